import { PrismaService } from '../../apps/api/src/database/prisma.service';
import { createTestApp, type TestApp } from '../utils/create-test-app';
import { create, smallDeployment, snapshotCounts, type SmallDeployment } from '../utils/fixtures';

interface Problem {
  status: number;
  code: string;
  detail: string;
  errors?: { field: string; message: string }[];
  referencedBy?: Record<string, unknown[]>;
}

describe('Inventory over REST', () => {
  let t: TestApp;
  let d: SmallDeployment;

  beforeAll(async () => {
    t = await createTestApp();
    d = await smallDeployment(t);
  });
  afterAll(() => t.close());

  async function expectRefused(
    method: 'post' | 'patch' | 'delete',
    path: string,
    body: unknown,
    status: number,
    field?: string,
  ): Promise<Problem> {
    const before = await snapshotCounts(t);
    const res = await t
      .http()
      [method](`/api/v1/${path}`)
      .send(body as object);
    expect(res.status).toBe(status);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    const problem = res.body as Problem;
    expect(problem.status).toBe(status);
    if (field) expect(problem.errors?.map((e) => e.field)).toContain(field);
    expect(await snapshotCounts(t)).toEqual(before);
    return problem;
  }

  describe('sites', () => {
    it('creates with defaults and reads back', async () => {
      const res = await t.http().get(`/api/v1/sites/${d.hq.id}`).expect(200);
      expect(res.body).toMatchObject({
        id: d.hq.id,
        name: 'HQ',
        description: 'Head office',
        // no override: the nodes at the site use their deployment's catalog version
        catalogVersion: null,
      });
    });

    it('lists with total, limit, offset and a name filter', async () => {
      const all = await t.http().get('/api/v1/sites').expect(200);
      expect(all.body).toMatchObject({ total: 2, limit: 50, offset: 0 });
      expect(all.body.items.map((s: { name: string }) => s.name)).toEqual(['Branch-1', 'HQ']);
      const page = await t.http().get('/api/v1/sites?limit=1&offset=1').expect(200);
      expect(page.body).toMatchObject({ total: 2, limit: 1, offset: 1 });
      expect(page.body.items.map((s: { name: string }) => s.name)).toEqual(['HQ']);
      const filtered = await t.http().get('/api/v1/sites?q=bRaNcH').expect(200);
      expect(filtered.body.items.map((s: { name: string }) => s.name)).toEqual(['Branch-1']);
    });

    it('refuses bad input with field-level problems and changes nothing', async () => {
      const missing = await expectRefused('post', 'sites', { description: 'no name' }, 400, 'name');
      expect(missing.errors).toEqual([{ field: 'name', message: 'name is required' }]);
      await expectRefused('post', 'sites', { name: 'X', color: 'red' }, 400, 'color');
      await expectRefused(
        'post',
        'sites',
        { name: 'X', catalogVersion: 'utmstack-v1' },
        400,
        'catalogVersion',
      );
      await expectRefused('post', 'sites', { name: '' }, 400, 'name');
      const wrongType = await expectRefused('post', 'sites', { name: 42 }, 400, 'name');
      // One cause per field: the type, not every length and pattern rule a number also fails.
      expect(wrongType.errors).toEqual([{ field: 'name', message: 'name must be a string' }]);
      await expectRefused('post', 'sites', { name: 'HQ' }, 409, 'name');
      await expectRefused('patch', `sites/${d.branch.id}`, { name: 'HQ' }, 409, 'name');
      await expectRefused('patch', `sites/${d.branch.id}`, { name: null }, 400, 'name');
    });

    it('answers 404 for unknown ids and 400 for malformed ones', async () => {
      const missing = await t.http().get('/api/v1/sites/00000000-0000-4000-8000-000000000000').expect(404);
      expect(missing.body.code).toBe('NOT_FOUND');
      const malformed = await t.http().get('/api/v1/sites/not-a-uuid').expect(400);
      expect(malformed.body.errors).toEqual([{ field: 'id', message: 'id must be a UUID' }]);
    });

    it('rejects malformed JSON with 400 and a request id', async () => {
      const res = await t
        .http()
        .post('/api/v1/sites')
        .set('content-type', 'application/json')
        .set('x-request-id', 'bad-json-1')
        .send('{"name":');
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ code: 'BAD_USER_INPUT', requestId: 'bad-json-1' });
      expect(res.headers['x-request-id']).toBe('bad-json-1');
    });

    it('answers 415 to a body that is not JSON and creates nothing', async () => {
      const before = await snapshotCounts(t);
      for (const [type, body] of [
        ['text/plain', '{"name":"Plain"}'],
        ['application/x-www-form-urlencoded', 'name=Form'],
        ['application/merge-patch+json', '{"name":"Merge"}'],
      ]) {
        const res = await t.http().post('/api/v1/sites').set('content-type', type).send(body);
        expect(res.status).toBe(415);
        expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
        expect(res.body).toMatchObject({ status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' });
        expect(res.body.detail).toContain(type);
      }
      expect(await snapshotCounts(t)).toEqual(before);
      // JSON with a charset parameter is still JSON.
      await t
        .http()
        .post('/api/v1/sites')
        .set('content-type', 'application/json; charset=utf-8')
        .send('{"name":"Charset"}')
        .expect(201);
    });

    it('refuses deleting a site with contents, naming them, unless cascade', async () => {
      const problem = await expectRefused('delete', `sites/${d.hq.id}`, undefined, 409);
      expect(problem.referencedBy?.nodes).toEqual(
        expect.arrayContaining([expect.objectContaining({ name: 'hq-master' })]),
      );
      expect(problem.referencedBy?.devices).toEqual([expect.objectContaining({ name: 'hq-fw' })]);
    });
  });

  describe('zones', () => {
    it('canonicalises CIDRs and filters by site', async () => {
      const zone = await create(t, 'zones', {
        siteId: d.branch.id,
        name: 'v6',
        cidrs: ['FD00:0002:0000::/48'],
      });
      expect(zone.cidrs).toEqual(['fd00:2::/48']);
      const list = await t.http().get(`/api/v1/zones?siteId=${d.branch.id}`).expect(200);
      expect(list.body.items.map((z: { name: string }) => z.name).sort()).toEqual(['lan', 'v6']);
      await t.http().delete(`/api/v1/zones/${zone.id}`).expect(204);
    });

    it('refuses invalid CIDRs naming the element', async () => {
      for (const bad of [
        '10.0.0.256/24',
        '10.0.0.0/33',
        '10.0.0.1/24',
        'banana',
        'fd00::/129',
        '10.0.0.0/8/8',
      ]) {
        const problem = await expectRefused(
          'post',
          'zones',
          { siteId: d.hq.id, name: 'bad', cidrs: ['10.9.0.0/16', bad] },
          400,
        );
        expect(problem.errors?.[0]?.field).toBe('cidrs');
        expect(problem.errors?.[0]?.message).toContain('cidrs.1');
      }
      await expectRefused('post', 'zones', { siteId: d.hq.id, name: 'empty', cidrs: [] }, 400, 'cidrs');
    });

    it('allows nested zones but refuses repeated CIDRs and partial overlaps', async () => {
      const nested = await create(t, 'zones', {
        siteId: d.hq.id,
        name: 'servers-mgmt',
        cidrs: ['10.1.10.128/25'],
      });
      await expectRefused(
        'post',
        'zones',
        { siteId: d.hq.id, name: 'dup', cidrs: ['10.1.10.0/24'] },
        409,
        'cidrs.0',
      );
      await expectRefused(
        'post',
        'zones',
        { siteId: d.hq.id, name: 'straddle', cidrs: ['10.1.10.0/25', '192.168.0.0/24'] },
        409,
        'cidrs.0',
      );
      await t.http().delete(`/api/v1/zones/${nested.id}`).expect(204);
    });

    it('refuses an unknown site and a duplicate name in the same site', async () => {
      await expectRefused(
        'post',
        'zones',
        { siteId: '00000000-0000-4000-8000-000000000000', name: 'x', cidrs: ['10.9.0.0/16'] },
        400,
        'siteId',
      );
      await expectRefused(
        'post',
        'zones',
        { siteId: d.hq.id, name: 'lan', cidrs: ['10.9.0.0/16'] },
        409,
        'name',
      );
    });

    it('refuses deleting a zone behind an interface; cascade takes it off the interface', async () => {
      const extra = await create(t, 'zones', { siteId: d.hq.id, name: 'dmz', cidrs: ['10.1.30.0/24'] });
      await t
        .http()
        .patch(`/api/v1/devices/${d.hqFw.id}`)
        .send({
          interfaces: [
            { name: 'opt1', zoneIds: [d.servers.id] },
            { name: 'lan', zoneIds: [d.lan.id] },
            { name: 'opt2', zoneIds: [extra.id] },
            { name: 'wan', external: true },
          ],
        })
        .expect(200);
      const problem = await expectRefused('delete', `zones/${extra.id}`, undefined, 409);
      expect(problem.referencedBy?.interfaces).toEqual([
        expect.objectContaining({ device: 'hq-fw', interface: 'opt2' }),
      ]);
      await t.http().delete(`/api/v1/zones/${extra.id}?cascade=true`).expect(204);
      const device = await t.http().get(`/api/v1/devices/${d.hqFw.id}`).expect(200);
      expect(device.body.interfaces.map((i: { name: string }) => i.name)).toEqual(['opt1', 'lan', 'wan']);
    });
  });

  describe('nodes', () => {
    it('exposes the zone of each address, null outside every zone', async () => {
      const analysts = await create(t, 'nodes', {
        siteId: d.hq.id,
        name: 'analysts',
        role: 'console',
        addresses: ['203.0.113.0/28', '10.1.20.7', 'FD00:1:20::9'],
      });
      expect(analysts.addresses).toEqual(['203.0.113.0/28', '10.1.20.7', 'fd00:1:20::9']);
      expect(analysts.addressZones).toEqual([
        { address: '203.0.113.0/28', zoneId: null, zoneName: null },
        { address: '10.1.20.7', zoneId: d.lan.id, zoneName: 'lan' },
        { address: 'fd00:1:20::9', zoneId: d.lan.id, zoneName: 'lan' },
      ]);
      await t.http().delete(`/api/v1/nodes/${analysts.id}`).expect(204);
    });

    it('filters by site and role', async () => {
      const res = await t.http().get(`/api/v1/nodes?siteId=${d.hq.id}&role=agent`).expect(200);
      expect(res.body.items.map((n: { name: string }) => n.name)).toEqual(['hq-agents']);
      expect(res.body.total).toBe(1);
      await t.http().get('/api/v1/nodes?role=wizard').expect(400);
    });

    it('refuses unknown roles, bad addresses, bad collectors and duplicates', async () => {
      const base = { siteId: d.hq.id, name: 'n1', role: 'agent', addresses: ['10.1.20.9'] };
      await expectRefused('post', 'nodes', { ...base, role: 'wizard' }, 400, 'role');
      await expectRefused('post', 'nodes', { ...base, addresses: ['10.1.20.300'] }, 400, 'addresses');
      await expectRefused('post', 'nodes', { ...base, addresses: [] }, 400, 'addresses');
      await expectRefused(
        'post',
        'nodes',
        { ...base, addresses: ['10.1.20.9', '10.1.20.9'] },
        400,
        'addresses.1',
      );
      await expectRefused('post', 'nodes', { ...base, name: 'hq-master' }, 409, 'name');
      await expectRefused('post', 'nodes', { ...base, collectorId: d.agents.id }, 400, 'collectorId');
      await expectRefused(
        'post',
        'nodes',
        { ...base, collectorId: '00000000-0000-4000-8000-000000000000' },
        400,
        'collectorId',
      );
      await expectRefused(
        'post',
        'nodes',
        { ...base, role: 'console', collectorId: d.master.id },
        400,
        'collectorId',
      );
      await expectRefused('post', 'nodes', { ...base, selectors: ['Not Valid'] }, 400, 'selectors');
      await expectRefused('post', 'nodes', { ...base, zone: 'lan' }, 400, 'zone');
    });

    it('accepts a collector in another site', async () => {
      const branchAgents = await create(t, 'nodes', {
        siteId: d.branch.id,
        name: 'branch-agents',
        role: 'agent',
        addresses: ['10.2.20.0/25'],
        collectorId: d.master.id,
      });
      expect(branchAgents.collectorId).toBe(d.master.id);
      await t.http().delete(`/api/v1/nodes/${branchAgents.id}`).expect(204);
    });

    it('refuses deleting a collector unless cascade, which detaches its nodes', async () => {
      const problem = await expectRefused('delete', `nodes/${d.master.id}`, undefined, 409);
      expect(problem.referencedBy?.nodes).toEqual([expect.objectContaining({ name: 'hq-agents' })]);
      const probe2 = await create(t, 'nodes', {
        siteId: d.branch.id,
        name: 'probe2',
        role: 'probe',
        addresses: ['10.2.20.3'],
      });
      const sensor = await create(t, 'nodes', {
        siteId: d.branch.id,
        name: 'switch',
        role: 'agentless',
        addresses: ['10.2.20.50'],
        selectors: ['syslog'],
        collectorId: probe2.id,
      });
      await t.http().delete(`/api/v1/nodes/${probe2.id}?cascade=true`).expect(204);
      const after = await t.http().get(`/api/v1/nodes/${sensor.id}`).expect(200);
      expect(after.body.collectorId).toBeNull();
      await t.http().delete(`/api/v1/nodes/${sensor.id}`).expect(204);
    });

    it('updates fields and clears the collector with null', async () => {
      const node = await create(t, 'nodes', {
        siteId: d.hq.id,
        name: 'temp',
        role: 'agent',
        addresses: ['10.1.20.40'],
        collectorId: d.master.id,
      });
      const res = await t
        .http()
        .patch(`/api/v1/nodes/${node.id}`)
        // Selectors the catalog version knows (others are refused), deduplicated and sorted.
        .send({ addresses: ['10.1.10.41'], collectorId: null, selectors: ['syslog', 'http', 'syslog'] })
        .expect(200);
      expect(res.body).toMatchObject({
        addresses: ['10.1.10.41'],
        collectorId: null,
        selectors: ['http', 'syslog'],
      });
      expect(res.body.addressZones[0].zoneName).toBe('servers');
      await t.http().delete(`/api/v1/nodes/${node.id}`).expect(204);
    });
  });

  describe('devices', () => {
    it('never returns credentials and stores only ciphertext', async () => {
      const res = await t.http().get(`/api/v1/devices/${d.hqFw.id}`).expect(200);
      expect(res.body.credentials).toEqual({ set: true, kind: 'apiKey' });
      expect(JSON.stringify(res.body)).not.toContain('pfsense-secret-key-123');
      const list = await t.http().get('/api/v1/devices').expect(200);
      expect(JSON.stringify(list.body)).not.toContain('pfsense-secret-key-123');
      const prisma = t.app.get(PrismaService);
      const row = await prisma.device.findUniqueOrThrow({ where: { id: d.hqFw.id } });
      expect(row.credentialsEncrypted).toMatch(/^v1:[0-9a-f]{8}:/);
      expect(row.credentialsEncrypted).not.toContain('pfsense-secret-key-123');
      expect(row.credentialsEncrypted).not.toContain(
        Buffer.from('pfsense-secret-key-123').toString('base64'),
      );
    });

    it('reads back interfaces, TLS defaults and vendor-specific fields', async () => {
      const res = await t.http().get(`/api/v1/devices/${d.hqFw.id}`).expect(200);
      expect(res.body).toMatchObject({
        name: 'hq-fw',
        vendor: 'pfsense',
        tls: { verify: true, insecure: false, caBundle: null, fingerprintSha256: null },
        vdom: null,
        enabled: true,
        schedule: null,
      });
      expect(res.body.interfaces).toEqual([
        expect.objectContaining({ name: 'opt1', external: false, zoneIds: [d.servers.id] }),
        expect.objectContaining({ name: 'lan', external: false, zoneIds: [d.lan.id] }),
        expect.objectContaining({ name: 'wan', external: true, zoneIds: [] }),
      ]);
      const forti = await create(t, 'devices', {
        siteId: d.branch.id,
        name: 'branch-fw',
        vendor: 'fortios',
        managementUrl: 'https://10.2.0.1:8443',
        credentials: { token: 'forti-token-xyz' },
        tls: { fingerprintSha256: 'AB'.repeat(32).match(/../g)!.join(':') },
        schedule: '*/15 * * * *',
        interfaces: [
          { name: 'port2', zoneIds: [d.branchLan.id] },
          { name: 'port1', external: true },
        ],
      });
      expect(forti).toMatchObject({
        vdom: 'root',
        schedule: '*/15 * * * *',
        credentials: { set: true, kind: 'token' },
      });
      expect((forti.tls as { fingerprintSha256: string }).fingerprintSha256).toBe('ab'.repeat(32));
      const list = await t.http().get('/api/v1/devices?vendor=fortios').expect(200);
      expect(list.body.items.map((x: { name: string }) => x.name)).toEqual(['branch-fw']);
      await t.http().delete(`/api/v1/devices/${forti.id}`).expect(204);
    });

    it('refuses bad devices with field-level detail and changes nothing', async () => {
      const base = {
        siteId: d.branch.id,
        name: 'fw-x',
        vendor: 'opnsense',
        managementUrl: 'https://10.2.0.1',
        credentials: { key: 'k', secret: 's' },
        interfaces: [
          { name: 'lan', zoneIds: [d.branchLan.id] },
          { name: 'wan', external: true },
        ],
      };
      await expectRefused('post', 'devices', { ...base, vendor: 'cisco' }, 400, 'vendor');
      await expectRefused('post', 'devices', { ...base, managementUrl: 'ftp://x' }, 400, 'managementUrl');
      await expectRefused(
        'post',
        'devices',
        { ...base, credentials: { token: 't' } },
        400,
        'credentials.token',
      );
      await expectRefused('post', 'devices', { ...base, credentials: { key: 'k' } }, 400, 'credentials');
      await expectRefused('post', 'devices', { ...base, vdom: 'root' }, 400, 'vdom');
      await expectRefused('post', 'devices', { ...base, schedule: '61 * * * *' }, 400, 'schedule');
      await expectRefused('post', 'devices', { ...base, name: 'hq-fw' }, 409, 'name');
      await expectRefused(
        'post',
        'devices',
        { ...base, tls: { fingerprintSha256: 'abc' } },
        400,
        'tls.fingerprintSha256',
      );
      await expectRefused(
        'post',
        'devices',
        { ...base, interfaces: [{ name: 'lan', zoneIds: [d.lan.id] }] },
        400,
        'interfaces.0.zoneIds.0',
      );
      await expectRefused(
        'post',
        'devices',
        {
          ...base,
          interfaces: [
            { name: 'lan', zoneIds: [d.branchLan.id] },
            { name: 'LAN', external: true },
          ],
        },
        400,
        'interfaces.1.name',
      );
      await expectRefused(
        'post',
        'devices',
        {
          ...base,
          interfaces: [
            { name: 'wan', external: true },
            { name: 'wan2', external: true },
          ],
        },
        400,
        'interfaces.1.external',
      );
      await expectRefused(
        'post',
        'devices',
        { ...base, interfaces: [{ name: 'lan' }] },
        400,
        'interfaces.0.zoneIds',
      );
      await expectRefused(
        'post',
        'devices',
        { ...base, interfaces: [{ name: 'wan', external: true, zoneIds: [d.branchLan.id] }] },
        400,
        'interfaces.0.zoneIds',
      );
      await expectRefused(
        'post',
        'devices',
        { ...base, interfaces: [{ name: 'lan', zones: [] }] },
        400,
        'interfaces.0.zones',
      );
    });

    it('replaces credentials on update without revealing them, and clears them with null', async () => {
      const res = await t
        .http()
        .patch(`/api/v1/devices/${d.hqFw.id}`)
        .send({
          credentials: { username: 'admin', password: 'pfsense-password-456' },
          tls: { insecure: true },
        })
        .expect(200);
      expect(res.body.credentials).toEqual({ set: true, kind: 'basic' });
      expect(res.body.tls).toMatchObject({ insecure: true, verify: false });
      expect(JSON.stringify(res.body)).not.toContain('pfsense-password-456');
      await t.http().patch(`/api/v1/devices/${d.hqFw.id}`).send({ vendor: 'fortios' }).expect(400);
      const cleared = await t
        .http()
        .patch(`/api/v1/devices/${d.hqFw.id}`)
        .send({ credentials: null, tls: { insecure: false } })
        .expect(200);
      expect(cleared.body.credentials).toEqual({ set: false, kind: null });
      await t
        .http()
        .patch(`/api/v1/devices/${d.hqFw.id}`)
        .send({ credentials: { apiKey: 'pfsense-secret-key-123' } })
        .expect(200);
    });
  });

  it('serves the OpenAPI document and Swagger UI', async () => {
    const doc = await t.http().get('/api/openapi.json').expect(200);
    expect(doc.body.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.body.paths)).toEqual(
      expect.arrayContaining([
        '/api/v1/sites',
        '/api/v1/sites/{id}',
        '/api/v1/zones',
        '/api/v1/nodes',
        '/api/v1/devices/{id}',
      ]),
    );
    // Error answers, Idempotency-Key and If-Match are documented for integrators.
    const paths = doc.body.paths as Record<
      string,
      Record<
        string,
        { responses: Record<string, { content?: Record<string, unknown> }>; parameters?: { name: string }[] }
      >
    >;
    const create = paths['/api/v1/sites'].post;
    expect(Object.keys(create.responses)).toEqual(
      expect.arrayContaining(['201', '400', '401', '403', '409', '415', '422', '429']),
    );
    expect(create.responses['400'].content).toHaveProperty(['application/problem+json']);
    expect(create.parameters?.map((p) => p.name)).toContain('Idempotency-Key');
    const update = paths['/api/v1/sites/{id}'].patch;
    expect(update.parameters?.map((p) => p.name)).toEqual(expect.arrayContaining(['id', 'If-Match']));
    expect(Object.keys(update.responses)).toEqual(expect.arrayContaining(['200', '404', '412']));
    expect(Object.keys(paths['/api/v1/tokens/{id}'].delete.responses)).not.toContain('412');
    expect(doc.body.components.schemas.Problem.properties).toHaveProperty('errors');
    expect((paths['/health'].get as { security?: unknown[] }).security).toEqual([]);
    const ui = await t.http().get('/api/docs').expect(200);
    expect(ui.text).toContain('swagger');
  });

  it('answers /health with the database state', async () => {
    const res = await t.http().get('/health').expect(200);
    expect(res.body).toMatchObject({ status: 'ok', database: 'up' });
  });
});
