/**
 * Inventory guard rails (issue #11 item 5): writes that cannot be right are refused and change nothing (unknown
 * selectors, a second record of one firewall endpoint); writes that are legal but probably wrong answer with
 * `warnings`, and GET /api/v1/inventory/checks (and GraphQL inventoryChecks) lists the same findings.
 */
import { PrismaService } from '../../apps/api/src/database/prisma.service';
import { createTestApp, type TestApp } from '../utils/create-test-app';
import { create, type Created, snapshotCounts } from '../utils/fixtures';

interface Warning {
  code: string;
  severity: string;
  field: string;
  message: string;
  entity: { type: string; id: string; name: string };
}

interface Problem {
  status: number;
  code: string;
  detail?: string;
  errors?: { field: string; message: string }[];
  existingId?: string;
}

describe('inventory guard rails', () => {
  let t: TestApp;
  let hq: Created;
  let branch: Created;
  let acme: Created;
  let master: Created;
  /** Devices live here, so HQ and the branch have no managed firewall between them. */
  let dc: Created;

  beforeAll(async () => {
    t = await createTestApp();
    acme = await create(t, 'deployments', { name: 'acme', catalogVersion: 'utmstack-v9' });
    hq = await create(t, 'sites', { name: 'GR-HQ' });
    branch = await create(t, 'sites', { name: 'GR-Branch' });
    dc = await create(t, 'sites', { name: 'GR-DC' });
    await create(t, 'zones', { siteId: hq.id, name: 'servers', cidrs: ['10.60.10.0/24'] });
    master = await create(t, 'nodes', {
      siteId: hq.id,
      deploymentId: acme.id,
      name: 'gr-master',
      role: 'master',
      addresses: ['10.60.10.5'],
    });
  });
  afterAll(() => t.close());

  async function refused(
    method: 'post' | 'patch',
    path: string,
    body: object,
    status: number,
    field: string,
  ): Promise<Problem> {
    const before = await snapshotCounts(t);
    const res = await t.http()[method](`/api/v1/${path}`).send(body);
    expect(res.status).toBe(status);
    const problem = res.body as Problem;
    expect(problem.errors?.map((e) => e.field)).toContain(field);
    expect(await snapshotCounts(t)).toEqual(before);
    return problem;
  }

  describe('selectors the catalog version does not know', () => {
    it('refuses "sylog" on create with 400 naming selectors and listing the known ones', async () => {
      const problem = await refused(
        'post',
        'nodes',
        {
          siteId: hq.id,
          deploymentId: acme.id,
          name: 'fw-logs',
          role: 'agentless',
          addresses: ['10.60.10.9'],
          selectors: ['netflow', 'sylog'],
        },
        400,
        'selectors',
      );
      expect(problem.code).toBe('BAD_USER_INPUT');
      expect(problem.errors?.map((e) => e.field)).toContain('selectors.1');
      expect(problem.detail).toContain('"sylog"');
      expect(problem.detail).toContain('known selectors: http, netflow, syslog');
    });

    it('accepts a known selector and refuses an unknown one on update, changing nothing', async () => {
      const node = await create(t, 'nodes', {
        siteId: hq.id,
        deploymentId: acme.id,
        name: 'fw-logs',
        role: 'agentless',
        addresses: ['10.60.10.9'],
        selectors: ['syslog'],
      });
      await refused('patch', `nodes/${node.id}`, { selectors: ['sylog'] }, 400, 'selectors');
      const after = await t.http().get(`/api/v1/nodes/${node.id}`).expect(200);
      expect(after.body.selectors).toEqual(['syslog']);
      expect(after.body.version).toBe(node.version);
    });

    it('knows the selectors of custom flows of the same catalog version', async () => {
      await create(t, 'catalog/flows', {
        id: 'custom-gr-beats',
        version: 'utmstack-v9',
        from: 'agentless',
        to: 'collector',
        protocol: 'tcp',
        ports: '5045',
        purpose: 'beats',
        selector: 'beats',
      });
      const node = await create(t, 'nodes', {
        siteId: hq.id,
        deploymentId: acme.id,
        name: 'beats-src',
        role: 'agentless',
        addresses: ['10.60.10.10'],
        selectors: ['beats'],
      });
      expect(node.selectors).toEqual(['beats']);
    });
  });

  describe('one device record per management endpoint (and VDOM)', () => {
    const device = (name: string, extra: Record<string, unknown>): Record<string, unknown> => ({
      siteId: dc.id,
      name,
      vendor: 'pfsense',
      interfaces: [{ name: 'wan', external: true }],
      ...extra,
    });

    it('refuses the same endpoint written differently with 409 naming managementUrl and the existing device', async () => {
      const first = await create(t, 'devices', device('gr-fw-1', { managementUrl: 'https://10.60.0.1' }));
      for (const url of [
        'https://10.60.0.1:443',
        'HTTPS://10.60.0.1/api/v2',
        'https://user@10.60.0.1:443/',
      ]) {
        const problem = await refused(
          'post',
          'devices',
          device('gr-fw-2', { managementUrl: url }),
          409,
          'managementUrl',
        );
        expect(problem.existingId).toBe(first.id);
      }
      // Another port or scheme is another endpoint.
      await create(t, 'devices', device('gr-fw-8443', { managementUrl: 'https://10.60.0.1:8443' }));
      await create(t, 'devices', device('gr-fw-http', { managementUrl: 'http://10.60.0.1' }));
    });

    it("refuses re-pointing a device at another record's endpoint", async () => {
      const other = await create(t, 'devices', device('gr-fw-3', { managementUrl: 'https://10.60.0.3' }));
      const problem = await refused(
        'patch',
        `devices/${other.id}`,
        { managementUrl: 'https://10.60.0.1:443', credentials: { apiKey: 'fresh-key-0123456789' } },
        409,
        'managementUrl',
      );
      expect(problem.existingId).not.toBe(other.id);
      // Its own endpoint written differently is not a conflict with itself.
      await t
        .http()
        .patch(`/api/v1/devices/${other.id}`)
        .send({ managementUrl: 'https://10.60.0.3:443/', credentials: { apiKey: 'fresh-key-0123456789' } })
        .expect(200);
    });

    it('tells FortiOS VDOMs of one box apart', async () => {
      const forti = (name: string, vdom: string): Record<string, unknown> =>
        device(name, { vendor: 'fortios', managementUrl: 'https://10.60.0.9', vdom });
      await create(t, 'devices', forti('gr-forti-root', 'root'));
      await create(t, 'devices', forti('gr-forti-cust', 'cust1'));
      await refused('post', 'devices', forti('gr-forti-root-2', 'root'), 409, 'managementUrl');
    });

    it('lets exactly one of two concurrent creates of one endpoint through', async () => {
      const results = await Promise.all(
        ['gr-race-a', 'gr-race-b', 'gr-race-c'].map((name) =>
          t
            .http()
            .post('/api/v1/devices')
            .send(device(name, { managementUrl: 'https://10.60.0.77' })),
        ),
      );
      expect(results.map((r) => r.status).sort()).toEqual([201, 409, 409]);
      for (const res of results.filter((r) => r.status === 409)) {
        expect((res.body as Problem).errors?.map((e) => e.field)).toContain('managementUrl');
      }
      const listed = await t.http().get('/api/v1/devices?q=gr-race').expect(200);
      expect(listed.body.total).toBe(1);
    });
  });

  describe('device records that share an endpoint from before the unique key', () => {
    it('lists them as DEVICE_ENDPOINT_DUPLICATE errors and refuses a third record on that endpoint', async () => {
      const prisma = t.app.get(PrismaService);
      // As the migration leaves them: the oldest keyed, the later duplicate without a key.
      const kept = await prisma.device.create({
        data: {
          siteId: dc.id,
          name: 'legacy-a',
          vendor: 'opnsense',
          managementUrl: 'https://10.61.0.1',
          endpointKey: 'https://10.61.0.1:443',
        },
      });
      const duplicate = await prisma.device.create({
        data: {
          siteId: dc.id,
          name: 'legacy-b',
          vendor: 'opnsense',
          managementUrl: 'https://10.61.0.1:443/',
        },
      });
      const listed = await t
        .http()
        .get('/api/v1/inventory/checks?code=DEVICE_ENDPOINT_DUPLICATE')
        .expect(200);
      expect((listed.body.items as Warning[]).map((w) => [w.entity.name, w.severity, w.field])).toEqual([
        ['legacy-a', 'error', 'managementUrl'],
        ['legacy-b', 'error', 'managementUrl'],
      ]);
      const problem = await refused(
        'post',
        'devices',
        {
          siteId: dc.id,
          name: 'legacy-c',
          vendor: 'opnsense',
          managementUrl: 'https://10.61.0.1',
          interfaces: [{ name: 'wan', external: true }],
        },
        409,
        'managementUrl',
      );
      expect(problem.existingId).toBe(kept.id);
      // The unkeyed record can still be edited as long as its endpoint stays, and re-pointed elsewhere.
      await t.http().patch(`/api/v1/devices/${duplicate.id}`).send({ enabled: false }).expect(200);
      await t
        .http()
        .patch(`/api/v1/devices/${duplicate.id}`)
        .send({
          managementUrl: 'https://10.61.0.2',
          credentials: { key: 'k-0123456789', secret: 's-0123456789' },
        })
        .expect(200);
      const after = await t.http().get('/api/v1/inventory/checks?code=DEVICE_ENDPOINT_DUPLICATE').expect(200);
      expect(after.body.items).toEqual([]);
    });
  });

  describe('warnings on writes and the checks list', () => {
    it('answers a node outside every zone with a warning, keeping the ETag', async () => {
      const res = await t
        .http()
        .post('/api/v1/nodes')
        .send({
          siteId: hq.id,
          deploymentId: acme.id,
          name: 'stray-agents',
          role: 'agent',
          addresses: ['10.60.10.0/24', '192.168.77.0/24'],
        })
        .expect(201);
      expect(res.headers.etag).toBe(`"${res.body.version as number}"`);
      const warnings = res.body.warnings as Warning[];
      expect(warnings).toEqual([
        expect.objectContaining({
          code: 'NODE_OUTSIDE_ZONES',
          severity: 'warning',
          field: 'addresses.1',
          entity: { type: 'node', id: res.body.id, name: 'stray-agents' },
        }),
      ]);
      // Fixing the address clears it.
      const fixed = await t
        .http()
        .patch(`/api/v1/nodes/${res.body.id as string}`)
        .send({ addresses: ['10.60.10.0/25'] })
        .expect(200);
      expect(fixed.body.warnings).toEqual([]);
      // Reads carry no warnings field.
      const read = await t
        .http()
        .get(`/api/v1/nodes/${res.body.id as string}`)
        .expect(200);
      expect(read.body).not.toHaveProperty('warnings');
    });

    it('warns about a node of 0.0.0.0/0 or ::/0', async () => {
      const node = await create(t, 'nodes', {
        siteId: hq.id,
        deploymentId: acme.id,
        name: 'everyone',
        role: 'console',
        addresses: ['0.0.0.0/0', '::/0'],
      });
      const codes = (node.warnings as Warning[]).map((w) => `${w.code} ${w.field}`);
      expect(codes).toEqual(['NODE_ANY_ADDRESS addresses.0', 'NODE_ANY_ADDRESS addresses.1']);
    });

    it('warns about a deployment without a master, until it has one', async () => {
      const empty = await create(t, 'deployments', { name: 'no-master' });
      expect((empty.warnings as Warning[]).map((w) => w.code)).toEqual(['DEPLOYMENT_WITHOUT_MASTER']);
      const renamed = await t
        .http()
        .patch(`/api/v1/deployments/${empty.id}`)
        .send({ description: 'still none' })
        .expect(200);
      expect((renamed.body.warnings as Warning[]).map((w) => w.code)).toEqual(['DEPLOYMENT_WITHOUT_MASTER']);
      const acmeNow = await t
        .http()
        .patch(`/api/v1/deployments/${acme.id}`)
        .send({ description: 'x' })
        .expect(200);
      expect(acmeNow.body.warnings).toEqual([]);
    });

    it('warns about zones of two sites of one deployment that overlap, and a collector with no firewall path', async () => {
      const overlapping = await create(t, 'zones', {
        siteId: branch.id,
        name: 'lan',
        cidrs: ['10.60.0.0/16'],
      });
      // No node of the deployment at the branch yet: not in its routed space.
      expect(overlapping.warnings).toEqual([]);
      const agents = await create(t, 'nodes', {
        siteId: branch.id,
        deploymentId: acme.id,
        name: 'branch-agents',
        role: 'agent',
        addresses: ['10.60.20.0/24'],
        collectorId: master.id,
      });
      expect((agents.warnings as Warning[]).map((w) => w.code)).toEqual(['COLLECTOR_NO_FIREWALL_PATH']);
      const zone = await t.http().patch(`/api/v1/zones/${overlapping.id}`).send({ name: 'lan2' }).expect(200);
      expect(zone.body.warnings).toEqual([
        expect.objectContaining({ code: 'ZONE_OVERLAP', field: 'cidrs.0', severity: 'warning' }),
      ]);
      expect((zone.body.warnings as Warning[])[0].message).toContain('acme');
    });

    it('lists every finding at GET /api/v1/inventory/checks, filtered by code and deployment, and in GraphQL', async () => {
      const all = await t.http().get('/api/v1/inventory/checks').expect(200);
      const codes = new Set((all.body.items as Warning[]).map((w) => w.code));
      expect([...codes].sort()).toEqual([
        'COLLECTOR_NO_FIREWALL_PATH',
        'DEPLOYMENT_WITHOUT_MASTER',
        'NODE_ANY_ADDRESS',
        'ZONE_OVERLAP',
      ]);
      expect(all.body.total).toBe((all.body.items as Warning[]).length);

      const zones = await t.http().get('/api/v1/inventory/checks?code=ZONE_OVERLAP').expect(200);
      expect((zones.body.items as Warning[]).map((w) => w.entity.type)).toEqual(['zone', 'zone']);

      const ofAcme = await t.http().get(`/api/v1/inventory/checks?deploymentId=${acme.id}`).expect(200);
      expect((ofAcme.body.items as Warning[]).map((w) => w.code)).not.toContain('DEPLOYMENT_WITHOUT_MASTER');

      await t.http().get('/api/v1/inventory/checks?code=NOPE').expect(400);

      const gql = await t.gql<{ inventoryChecks: Warning[] }>(
        `query($code: String) { inventoryChecks(code: $code) { code severity field message entity { type id name } } }`,
        { code: 'NODE_ANY_ADDRESS' },
      );
      expect(gql.errors).toBeUndefined();
      expect(gql.data?.inventoryChecks.map((w) => w.field)).toEqual(['addresses.0', 'addresses.1']);
    });

    it('answers GraphQL mutations with warnings and refuses unknown selectors with BAD_USER_INPUT', async () => {
      const created = await t.gql<{ createNode: { id: string; warnings: Warning[] } }>(
        `mutation($input: CreateNodeInput!) { createNode(input: $input) { id warnings { code field } } }`,
        {
          input: {
            siteId: hq.id,
            deploymentId: acme.id,
            name: 'gql-stray',
            role: 'agent',
            addresses: ['172.31.0.0/24'],
          },
        },
      );
      expect(created.errors).toBeUndefined();
      expect(created.data?.createNode.warnings).toEqual([
        { code: 'NODE_OUTSIDE_ZONES', field: 'addresses.0' },
      ]);
      const bad = await t.gql(`mutation($input: CreateNodeInput!) { createNode(input: $input) { id } }`, {
        input: {
          siteId: hq.id,
          deploymentId: acme.id,
          name: 'gql-typo',
          role: 'agentless',
          addresses: ['10.60.10.11'],
          selectors: ['sylog'],
        },
      });
      expect(bad.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    });
  });
});
