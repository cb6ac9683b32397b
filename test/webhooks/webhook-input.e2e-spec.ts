import { createTestApp, type TestApp } from '../utils/create-test-app';

interface Problem {
  code: string;
  errors?: { field: string; message: string }[];
}

const fields = (body: Problem): string[] => (body.errors ?? []).map((e) => e.field);

describe('webhook input and concurrency', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ schedulerIntervalMs: 3_600_000 });
  });
  afterAll(() => t.close());

  async function webhook(): Promise<{ id: string; version: number }> {
    const res = await t
      .http()
      .post('/api/v1/webhooks')
      .send({ url: 'https://hooks.example.com/x', events: ['push.failed'], description: 'kept' })
      .expect(201);
    return res.body as { id: string; version: number };
  }

  it('refuses null for url, description, enabled, events and secret with 400 naming the field (REST)', async () => {
    const base = { url: 'https://hooks.example.com/y', events: ['push.failed'] };
    const before = (await t.http().get('/api/v1/webhooks').expect(200)).body.total as number;
    for (const field of ['url', 'description', 'enabled', 'events', 'secret']) {
      const res = await t
        .http()
        .post('/api/v1/webhooks')
        .send({ ...base, [field]: null });
      expect({ field, status: res.status }).toEqual({ field, status: 400 });
      expect(fields(res.body as Problem)).toContain(field);
    }
    expect((await t.http().get('/api/v1/webhooks').expect(200)).body.total).toBe(before);

    const hook = await webhook();
    for (const field of ['url', 'description', 'enabled', 'events']) {
      const res = await t
        .http()
        .patch(`/api/v1/webhooks/${hook.id}`)
        .send({ [field]: null });
      expect({ field, status: res.status }).toEqual({ field, status: 400 });
      expect(res.body.code).toBe('BAD_USER_INPUT');
      expect(fields(res.body as Problem)).toContain(field);
    }
    const after = (await t.http().get(`/api/v1/webhooks/${hook.id}`).expect(200)).body;
    expect(after).toMatchObject({
      url: 'https://hooks.example.com/x',
      description: 'kept',
      enabled: true,
      version: 1,
    });
  });

  it('refuses the same over GraphQL createWebhook and updateWebhook', async () => {
    const hook = await webhook();
    for (const field of ['url', 'description', 'enabled']) {
      const created = await t.gql(
        `mutation($input: CreateWebhookInput!) { createWebhook(input: $input) { id } }`,
        { input: { url: 'https://hooks.example.com/z', events: ['push.failed'], [field]: null } },
      );
      expect(created.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      // url is non-null in the schema, so GraphQL itself refuses it (naming it in the message).
      if (field === 'url') expect(created.errors?.[0]?.message).toContain('url');
      else expect(created.errors?.[0]?.extensions?.errors?.map((e) => e.field)).toContain(field);
      const updated = await t.gql(
        `mutation($id: ID!, $input: UpdateWebhookInput!) { updateWebhook(id: $id, input: $input) { id } }`,
        { id: hook.id, input: { [field]: null } },
      );
      expect(updated.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      expect(updated.errors?.[0]?.extensions?.errors?.map((e) => e.field)).toContain(field);
    }
    expect((await t.http().get(`/api/v1/webhooks/${hook.id}`).expect(200)).body.version).toBe(1);
  });

  it('lets exactly one of 30 concurrent PATCHes with the same If-Match win; the others get 412', async () => {
    const hook = await webhook();
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        t
          .http()
          .patch(`/api/v1/webhooks/${hook.id}`)
          .set('If-Match', `"${hook.version}"`)
          .send({ description: `writer ${i}` }),
      ),
    );
    const statuses = results.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 412)).toHaveLength(29);
    const after = (await t.http().get(`/api/v1/webhooks/${hook.id}`).expect(200)).body;
    expect(after.version).toBe(2);
    const winner = results.find((r) => r.status === 200)!;
    expect(after.description).toBe(winner.body.description);
    const audit = await t.http().get(`/api/v1/audit?targetId=${hook.id}&action=webhook.update`).expect(200);
    expect(audit.body.total).toBe(1);
  });

  it('lets exactly one of 20 concurrent DELETEs with the same If-Match succeed', async () => {
    const hook = await webhook();
    const results = await Promise.all(
      Array.from({ length: 20 }, () =>
        t.http().delete(`/api/v1/webhooks/${hook.id}`).set('If-Match', `"${hook.version}"`),
      ),
    );
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 204)).toHaveLength(1);
    expect(statuses.every((s) => s === 204 || s === 412 || s === 404)).toBe(true);
    const audit = await t.http().get(`/api/v1/audit?targetId=${hook.id}&action=webhook.delete`).expect(200);
    expect(audit.body.total).toBe(1);
  });
});
