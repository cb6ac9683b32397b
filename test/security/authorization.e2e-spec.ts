import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTestApp, type TestApp } from '../utils/create-test-app';
import { create, smallDeployment, type SmallDeployment } from '../utils/fixtures';

interface Problem {
  code: string;
  reason?: string;
  requiredScope?: string;
  errors?: { field: string; message: string }[];
}

/** A host a `write` token would like the service to send firewall credentials to. */
async function listener(): Promise<{ url: string; hits: string[]; close(): Promise<void> }> {
  const hits: string[] = [];
  const server: Server = createServer((req, res) => {
    hits.push(`${req.method} ${req.url} ${req.headers.authorization ?? ''}`);
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    hits,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const fields = (body: Problem): string[] => (body.errors ?? []).map((e) => e.field).sort();

describe('what each scope may do to a device', () => {
  let t: TestApp;
  let d: SmallDeployment;
  let writer: string;
  let pusher: string;
  let reader: string;
  let attacker: Awaited<ReturnType<typeof listener>>;

  beforeAll(async () => {
    t = await createTestApp({ schedulerIntervalMs: 3_600_000 });
    d = await smallDeployment(t);
    writer = await t.token(['write']);
    // Inventory routes need write; push is what additionally allows re-pointing and schedules.
    pusher = await t.token(['write', 'push']);
    reader = await t.token(['read']);
    attacker = await listener();
  });
  afterAll(async () => {
    await t.close();
    await attacker.close();
  });

  let devices = 0;
  async function device(
    extra: Record<string, unknown> = {},
  ): Promise<{ id: string; version: number; managementUrl: string }> {
    devices += 1;
    const created = await create(t, 'devices', {
      siteId: d.hq.id,
      name: `fw-${Math.random().toString(36).slice(2, 10)}`,
      vendor: 'pfsense',
      // One endpoint per record: two records of one firewall are refused.
      managementUrl: `https://10.254.${devices}.1`,
      credentials: { username: 'admin', password: 'pfsense-password-0123' },
      interfaces: [{ name: 'lan', zoneIds: [d.lan.id] }],
      ...extra,
    });
    return {
      id: created.id,
      version: created.version as number,
      managementUrl: created.managementUrl as string,
    };
  }

  describe('credentials are bound to the endpoint they were given for', () => {
    it('refuses a write token re-pointing managementUrl while keeping the credentials (REST), and changes nothing', async () => {
      // Port 9 (discard) is closed: a check of the real endpoint fails fast instead of waiting on a timeout.
      const dev = await device({ managementUrl: 'http://127.0.0.1:9' });
      const before = (await t.http().get(`/api/v1/devices/${dev.id}`).expect(200)).body;
      const res = await t
        .as(writer)
        .patch(`/api/v1/devices/${dev.id}`)
        .send({ managementUrl: attacker.url, name: 'renamed-too' })
        .expect(403);
      expect(res.body).toMatchObject({
        code: 'FORBIDDEN',
        reason: 'CREDENTIALS_REQUIRED',
        requiredScope: 'push',
      });
      expect(fields(res.body as Problem)).toEqual(['credentials', 'managementUrl']);
      const after = (await t.http().get(`/api/v1/devices/${dev.id}`).expect(200)).body;
      expect(after).toEqual(before);
      // The read that used to contact the device (and send Basic admin:password) does not reach the attacker.
      await t.as(reader).get(`/api/v1/devices/${dev.id}/drift`).expect(404);
      await t.http().post(`/api/v1/devices/${dev.id}/drift`).expect(201);
      expect(attacker.hits).toEqual([]);
    });

    it('refuses TLS trust and VDOM changes the same way, naming the field', async () => {
      const dev = await device();
      for (const tls of [
        { insecure: true },
        { fingerprintSha256: 'ab'.repeat(32) },
        { caBundle: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----' },
      ]) {
        const res = await t.as(writer).patch(`/api/v1/devices/${dev.id}`).send({ tls }).expect(403);
        expect(fields(res.body as Problem)).toEqual(['credentials', `tls.${Object.keys(tls)[0]}`].sort());
      }
      const forti = await device({ vendor: 'fortios', credentials: { token: 'forti-token-0123456789' } });
      const res = await t
        .as(writer)
        .patch(`/api/v1/devices/${forti.id}`)
        .send({ vdom: 'customer2' })
        .expect(403);
      expect(fields(res.body as Problem)).toEqual(['credentials', 'vdom']);
      const after = (await t.http().get(`/api/v1/devices/${forti.id}`).expect(200)).body;
      expect(after).toMatchObject({ vdom: 'root', version: forti.version });
    });

    it('lets a write token re-point with fresh credentials, and anything that keeps the endpoint', async () => {
      const dev = await device();
      // Same values as stored: not a change.
      await t
        .as(writer)
        .patch(`/api/v1/devices/${dev.id}`)
        .send({ managementUrl: dev.managementUrl, tls: { insecure: false }, name: 'kept-endpoint' })
        .expect(200);
      const res = await t
        .as(writer)
        .patch(`/api/v1/devices/${dev.id}`)
        .send({ managementUrl: 'https://10.255.0.2', credentials: { apiKey: 'fresh-key-for-new-host' } })
        .expect(200);
      expect(res.body).toMatchObject({
        managementUrl: 'https://10.255.0.2',
        credentials: { set: true, kind: 'apiKey' },
      });
      const audit = await t
        .http()
        .get(`/api/v1/audit?targetId=${dev.id}&action=device.update.endpoint`)
        .expect(200);
      expect(audit.body.items).toHaveLength(1);
      expect(audit.body.items[0].after.endpointChange).toEqual({
        fields: ['managementUrl'],
        credentialsAction: 'replaced',
      });
      expect(JSON.stringify(audit.body)).not.toContain('fresh-key-for-new-host');
    });

    it('lets a push token re-point a device and keep its credentials, and audits that they were kept', async () => {
      const dev = await device();
      await t
        .as(pusher)
        .patch(`/api/v1/devices/${dev.id}`)
        .send({ managementUrl: 'https://10.255.0.3', tls: { insecure: true } })
        .expect(200);
      const audit = await t
        .http()
        .get(`/api/v1/audit?targetId=${dev.id}&action=device.update.endpoint`)
        .expect(200);
      expect(audit.body.items[0]).toMatchObject({
        before: { managementUrl: dev.managementUrl },
        after: {
          managementUrl: 'https://10.255.0.3',
          credentials: { set: true, kind: 'basic' },
          endpointChange: { fields: ['managementUrl', 'tls.insecure'], credentialsAction: 'kept' },
        },
      });
      expect(JSON.stringify(audit.body)).not.toContain('pfsense-password-0123');
    });

    it('applies the same rule to GraphQL updateDevice', async () => {
      const dev = await device();
      const mutation = `mutation($id: ID!, $input: UpdateDeviceInput!) { updateDevice(id: $id, input: $input) { managementUrl version } }`;
      const refused = await t.gql(mutation, { id: dev.id, input: { managementUrl: attacker.url } }, writer);
      expect(refused.errors?.[0]?.extensions).toMatchObject({
        code: 'FORBIDDEN',
        reason: 'CREDENTIALS_REQUIRED',
        requiredScope: 'push',
      });
      expect(refused.errors?.[0]?.extensions?.errors?.map((e) => e.field).sort()).toEqual([
        'credentials',
        'managementUrl',
      ]);
      const withCredentials = await t.gql<{ updateDevice: { managementUrl: string } }>(
        mutation,
        {
          id: dev.id,
          input: { managementUrl: 'https://10.255.0.4', credentials: { apiKey: 'another-fresh-key' } },
        },
        writer,
      );
      expect(withCredentials.errors).toBeUndefined();
      expect(withCredentials.data?.updateDevice.managementUrl).toBe('https://10.255.0.4');
      const byPusher = await t.gql(
        mutation,
        { id: dev.id, input: { managementUrl: 'https://10.255.0.5' } },
        pusher,
      );
      expect(byPusher.errors).toBeUndefined();
    });
  });

  describe('schedules are pushes', () => {
    let scheduled = 0;
    const base = (): Record<string, unknown> => ({
      siteId: d.hq.id,
      name: `sched-${Math.random().toString(36).slice(2, 10)}`,
      vendor: 'pfsense',
      // One endpoint per record: two records of one firewall are refused.
      managementUrl: `https://10.255.1.${++scheduled}`,
      credentials: { apiKey: 'sched-key-0123456789' },
      interfaces: [{ name: 'lan', zoneIds: [d.lan.id] }],
    });

    it('refuses a write token setting a schedule on create or update (REST), and creates nothing', async () => {
      const body: Record<string, unknown> = { ...base(), schedule: '* * * * *' };
      const res = await t.as(writer).post('/api/v1/devices').send(body).expect(403);
      expect(res.body).toMatchObject({ code: 'FORBIDDEN', requiredScope: 'push' });
      expect(fields(res.body as Problem)).toEqual(['schedule']);
      const list = await t
        .http()
        .get(`/api/v1/devices?q=${body.name as string}`)
        .expect(200);
      expect(list.body.total).toBe(0);

      const dev = (
        await t
          .as(writer)
          .post('/api/v1/devices')
          .send({ ...base(), schedule: null })
          .expect(201)
      ).body;
      const patch = await t
        .as(writer)
        .patch(`/api/v1/devices/${dev.id}`)
        .send({ schedule: '* * * * *' })
        .expect(403);
      expect(fields(patch.body as Problem)).toEqual(['schedule']);
      // Sending the stored value back is not a change.
      await t
        .as(writer)
        .patch(`/api/v1/devices/${dev.id}`)
        .send({ schedule: null, enabled: true })
        .expect(200);
      await t.as(pusher).patch(`/api/v1/devices/${dev.id}`).send({ schedule: '*/30 * * * *' }).expect(200);
      await t.as(writer).patch(`/api/v1/devices/${dev.id}`).send({ schedule: null }).expect(403);
      const after = (await t.http().get(`/api/v1/devices/${dev.id}`).expect(200)).body;
      expect(after.schedule).toBe('*/30 * * * *');
      await t
        .as(pusher)
        .post('/api/v1/devices')
        .send({ ...base(), schedule: '0 3 * * *' })
        .expect(201);
    });

    it('refuses the same over GraphQL createDevice and updateDevice', async () => {
      const created = await t.gql(
        `mutation($input: CreateDeviceInput!) { createDevice(input: $input) { id } }`,
        { input: { ...base(), schedule: '* * * * *' } },
        writer,
      );
      expect(created.errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN', requiredScope: 'push' });
      expect(created.errors?.[0]?.extensions?.errors?.map((e) => e.field)).toEqual(['schedule']);
      const dev = await create(t, 'devices', base());
      const updated = await t.gql(
        `mutation($id: ID!) { updateDevice(id: $id, input: { schedule: "* * * * *" }) { schedule } }`,
        { id: dev.id },
        writer,
      );
      expect(updated.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      expect((await t.http().get(`/api/v1/devices/${dev.id}`).expect(200)).body.schedule).toBeNull();
    });
  });

  describe('anything that contacts a device needs push', () => {
    it('plans (REST and GraphQL) and live drift checks refuse read and write tokens', async () => {
      const dev = await device();
      for (const token of [reader, writer]) {
        await t.as(token).post(`/api/v1/devices/${dev.id}/plan`).expect(403);
        await t.as(token).post(`/api/v1/devices/${dev.id}/drift`).expect(403);
        for (const field of ['planDevice', 'checkDrift']) {
          const res = await t.gql(
            `mutation($id: ID!) { ${field}(id: $id) { __typename } }`,
            { id: dev.id },
            token,
          );
          expect(res.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
        }
      }
    });
  });
});
