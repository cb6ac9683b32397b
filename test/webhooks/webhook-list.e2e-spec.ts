import { createTestApp, type TestApp } from '../utils/create-test-app';

/** The webhooks list accepted `q` and ignored it, and had no `tenantId` filter like the other lists. */
describe('webhook list filters', () => {
  let t: TestApp;
  let tenantId: string;

  beforeAll(async () => {
    t = await createTestApp();
    tenantId = (
      (await t.http().post('/api/v1/tenants').send({ name: 'acme' }).expect(201)).body as { id: string }
    ).id;
    const hook = (url: string, description: string, owner?: string) =>
      t
        .http()
        .post('/api/v1/webhooks')
        .send({ url, description, events: ['push.failed'], ...(owner ? { tenantId: owner } : {}) })
        .expect(201);
    await hook('https://hooks.example.com/ops', 'provider on-call');
    await hook('https://acme.example.com/hook', 'acme tickets', tenantId);
    await hook('https://hooks.example.com/under_score', 'literal 50%');
  });
  afterAll(() => t.close());

  const urls = async (query: string): Promise<string[]> => {
    const res = await t.http().get(`/api/v1/webhooks${query}`).expect(200);
    const body = res.body as { items: { url: string }[]; total: number };
    expect(body.total).toBe(body.items.length);
    return body.items.map((i) => i.url).sort();
  };

  it('filters by q over the URL and the description, wildcards literal (REST)', async () => {
    expect(await urls('?q=ACME')).toEqual(['https://acme.example.com/hook']);
    expect(await urls('?q=on-call')).toEqual(['https://hooks.example.com/ops']);
    expect(await urls('?q=_')).toEqual(['https://hooks.example.com/under_score']);
    expect(await urls('?q=%25')).toEqual(['https://hooks.example.com/under_score']);
    expect(await urls('?q=nothing-like-this')).toEqual([]);
  });

  it('filters by tenantId (REST and GraphQL)', async () => {
    expect(await urls(`?tenantId=${tenantId}`)).toEqual(['https://acme.example.com/hook']);
    expect((await t.http().get('/api/v1/webhooks?tenantId=not-a-uuid')).status).toBe(400);
    const gql = await t.gql<{ webhooks: { url: string }[] }>(
      `query($tenantId: ID, $q: String) { webhooks(tenantId: $tenantId, q: $q) { url } }`,
      { tenantId, q: 'hook' },
    );
    expect(gql.data?.webhooks.map((w) => w.url)).toEqual(['https://acme.example.com/hook']);
  });
});
