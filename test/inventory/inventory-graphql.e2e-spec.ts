import { TokensService } from '../../apps/api/src/auth/tokens.service';
import { QueryCounter } from '../../apps/api/src/database/query-counter';
import { createTestApp, type TestApp } from '../utils/create-test-app';
import { create, smallDeployment, type SmallDeployment } from '../utils/fixtures';

const SITE_FIELDS =
  'id name description catalogVersion connectivity onInternet tenantId version createdAt updatedAt';
const NODE_FIELDS =
  'id siteId deploymentId name role addresses collectorId masterId selectors addressZones { address zoneId zoneName } version createdAt updatedAt';
const DEVICE_FIELDS = `id siteId name vendor managementUrl credentials { set kind } tls { verify insecure caBundle fingerprintSha256 }
  vdom schedule enabled interfaces { id name external zoneIds publicAddresses } version createdAt updatedAt`;

describe('Inventory over GraphQL', () => {
  let t: TestApp;
  let d: SmallDeployment;

  beforeAll(async () => {
    t = await createTestApp();
    d = await smallDeployment(t);
  });
  afterAll(() => t.close());

  it('reads what REST created, field for field', async () => {
    const { data, errors } = await t.gql<{ site: unknown; zone: unknown; node: unknown; device: unknown }>(
      `query($s: ID!, $z: ID!, $n: ID!, $d: ID!) {
        site(id: $s) { ${SITE_FIELDS} }
        zone(id: $z) { id siteId name cidrs version createdAt updatedAt }
        node(id: $n) { ${NODE_FIELDS} }
        device(id: $d) { ${DEVICE_FIELDS} }
      }`,
      { s: d.hq.id, z: d.lan.id, n: d.agents.id, d: d.hqFw.id },
    );
    expect(errors).toBeUndefined();
    for (const [key, path] of [
      ['site', `sites/${d.hq.id}`],
      ['zone', `zones/${d.lan.id}`],
      ['node', `nodes/${d.agents.id}`],
      ['device', `devices/${d.hqFw.id}`],
    ] as const) {
      const rest = await t.http().get(`/api/v1/${path}`).expect(200);
      expect(data?.[key]).toEqual(rest.body);
    }
  });

  it('creates over GraphQL what REST then reads identically, and updates/deletes the same', async () => {
    const created = await t.gql<{ createSite: { id: string } & Record<string, unknown> }>(
      `mutation($input: CreateSiteInput!) { createSite(input: $input) { ${SITE_FIELDS} } }`,
      { input: { name: 'DMZ', description: 'datacenter', catalogVersion: 'utmstack-v11' } },
    );
    expect(created.errors).toBeUndefined();
    const site = created.data!.createSite;
    expect((await t.http().get(`/api/v1/sites/${site.id}`).expect(200)).body).toEqual(site);

    const zone = await t.gql<{ createZone: { id: string } }>(
      `mutation($input: CreateZoneInput!) { createZone(input: $input) { id cidrs } }`,
      { input: { siteId: site.id, name: 'dmz', cidrs: ['172.16.0.0/24'] } },
    );
    expect(zone.errors).toBeUndefined();
    const node = await t.gql<{ createNode: Record<string, unknown> & { id: string } }>(
      `mutation($input: CreateNodeInput!) { createNode(input: $input) { ${NODE_FIELDS} } }`,
      {
        input: {
          siteId: site.id,
          name: 'web',
          role: 'agentless',
          addresses: ['172.16.0.10'],
          selectors: ['http'],
        },
      },
    );
    expect(node.errors).toBeUndefined();
    expect((await t.http().get(`/api/v1/nodes/${node.data!.createNode.id}`).expect(200)).body).toEqual(
      node.data!.createNode,
    );
    expect(node.data!.createNode.addressZones).toEqual([
      { address: '172.16.0.10', zoneId: zone.data!.createZone.id, zoneName: 'dmz' },
    ]);

    const device = await t.gql<{ createDevice: Record<string, unknown> & { id: string } }>(
      `mutation($input: CreateDeviceInput!) { createDevice(input: $input) { ${DEVICE_FIELDS} } }`,
      {
        input: {
          siteId: site.id,
          name: 'dmz-fw',
          vendor: 'opnsense',
          managementUrl: 'https://172.16.0.1',
          credentials: { key: 'opn-key', secret: 'opn-secret-789' },
          interfaces: [
            { name: 'opt1', zoneIds: [zone.data!.createZone.id] },
            { name: 'wan', external: true },
          ],
        },
      },
    );
    expect(device.errors).toBeUndefined();
    expect(JSON.stringify(device.data)).not.toContain('opn-secret-789');
    expect((await t.http().get(`/api/v1/devices/${device.data!.createDevice.id}`).expect(200)).body).toEqual(
      device.data!.createDevice,
    );

    const updated = await t.gql<{ updateSite: Record<string, unknown> }>(
      `mutation($id: ID!) { updateSite(id: $id, input: { description: "moved" }) { ${SITE_FIELDS} } }`,
      { id: site.id },
    );
    expect(updated.data!.updateSite.description).toBe('moved');
    expect((await t.http().get(`/api/v1/sites/${site.id}`).expect(200)).body).toEqual(
      updated.data!.updateSite,
    );

    const refused = await t.gql(`mutation($id: ID!) { deleteSite(id: $id) { id } }`, { id: site.id });
    expect(refused.errors?.[0]?.extensions?.code).toBe('CONFLICT');
    const deleted = await t.gql<{ deleteSite: { id: string } }>(
      `mutation($id: ID!) { deleteSite(id: $id, cascade: true) { id } }`,
      {
        id: site.id,
      },
    );
    expect(deleted.data?.deleteSite.id).toBe(site.id);
    await t.http().get(`/api/v1/sites/${site.id}`).expect(404);
    await t.http().get(`/api/v1/devices/${device.data!.createDevice.id}`).expect(404);
  });

  it('REST updates show in GraphQL', async () => {
    await t.http().patch(`/api/v1/zones/${d.lan.id}`).send({ name: 'users' }).expect(200);
    const res = await t.gql<{ zone: { name: string } }>(`query($id: ID!) { zone(id: $id) { name } }`, {
      id: d.lan.id,
    });
    expect(res.data?.zone.name).toBe('users');
    await t.http().patch(`/api/v1/zones/${d.lan.id}`).send({ name: 'lan' }).expect(200);
  });

  it('walks the graph: site → zones, nodes, devices → interfaces → zones; node → site, collector, zones', async () => {
    const res = await t.gql<{
      site: {
        zones: { name: string }[];
        nodes: {
          name: string;
          site: { name: string };
          collector: { name: string } | null;
          zones: { name: string }[];
        }[];
        devices: {
          name: string;
          site: { name: string };
          interfaces: { name: string; zones: { name: string }[] }[];
        }[];
      };
    }>(
      `query($id: ID!) { site(id: $id) {
        zones { name }
        nodes { name site { name } collector { name } zones { name } }
        devices { name site { name } interfaces { name zones { name } } }
      } }`,
      { id: d.hq.id },
    );
    expect(res.errors).toBeUndefined();
    expect(res.data!.site.zones.map((z) => z.name)).toEqual(['lan', 'servers']);
    const agents = res.data!.site.nodes.find((n) => n.name === 'hq-agents');
    expect(agents).toEqual({
      name: 'hq-agents',
      site: { name: 'HQ' },
      collector: { name: 'hq-master' },
      zones: [{ name: 'lan' }],
    });
    expect(res.data!.site.devices[0].interfaces).toEqual([
      { name: 'opt1', zones: [{ name: 'servers' }] },
      { name: 'lan', zones: [{ name: 'lan' }] },
      { name: 'wan', zones: [] },
    ]);
  });

  it('paginates as a connection with totalCount and filters', async () => {
    const first = await t.gql<{
      sites: {
        totalCount: number;
        nodes: { name: string }[];
        pageInfo: { hasNextPage: boolean; endCursor: string };
      };
    }>(`{ sites(first: 1) { totalCount nodes { name } pageInfo { hasNextPage endCursor } } }`);
    expect(first.data!.sites).toMatchObject({
      totalCount: 2,
      nodes: [{ name: 'Branch-1' }],
      pageInfo: { hasNextPage: true },
    });
    const second = await t.gql<{
      sites: { nodes: { name: string }[]; edges: { cursor: string }[]; pageInfo: { hasNextPage: boolean } };
    }>(
      `query($after: String) { sites(first: 1, after: $after) { nodes { name } edges { cursor } pageInfo { hasNextPage } } }`,
      { after: first.data!.sites.pageInfo.endCursor },
    );
    expect(second.data!.sites.nodes).toEqual([{ name: 'HQ' }]);
    expect(second.data!.sites.pageInfo.hasNextPage).toBe(false);
    const agents = await t.gql<{ nodes: { totalCount: number } }>(`{ nodes(role: agent) { totalCount } }`);
    expect(agents.data!.nodes.totalCount).toBe(1);
    const pf = await t.gql<{ devices: { totalCount: number } }>(
      `{ devices(vendor: pfsense) { totalCount } }`,
    );
    expect(pf.data!.devices.totalCount).toBe(1);
  });

  it('maps errors to extensions.code with field detail', async () => {
    const notFound = await t.gql(`{ site(id: "00000000-0000-4000-8000-000000000000") { id } }`);
    expect(notFound.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    const badId = await t.gql(`{ site(id: "nope") { id } }`);
    expect(badId.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const duplicate = await t.gql(`mutation { createSite(input: { name: "HQ" }) { id } }`);
    expect(duplicate.errors?.[0]?.extensions?.code).toBe('CONFLICT');
    expect(duplicate.errors?.[0]?.extensions?.errors).toEqual([
      { field: 'name', message: 'name is already taken' },
    ]);
    const badCidr = await t.gql(
      `mutation($s: ID!) { createZone(input: { siteId: $s, name: "x", cidrs: ["10.0.0.1/24"] }) { id } }`,
      { s: d.hq.id },
    );
    expect(badCidr.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(badCidr.errors?.[0]?.extensions?.errors?.[0]?.field).toBe('cidrs');
    const badEnum = await t.gql(
      `mutation($s: ID!) { createNode(input: { siteId: $s, name: "x", role: wizard, addresses: ["10.0.0.1"] }) { id } }`,
      {
        s: d.hq.id,
      },
    );
    expect(badEnum.errors?.[0]?.extensions?.code).toMatch(/GRAPHQL_VALIDATION_FAILED|BAD_USER_INPUT/);
    const zones = await t.http().get('/api/v1/zones?q=x').expect(200);
    expect(zones.body.total).toBe(0);
  });
});

describe('GraphQL batching', () => {
  let t: TestApp;

  beforeAll(async () => {
    // The scheduler, drift and webhook timers' statements would land in the count when a tick falls inside it.
    // Tokens read on every request: with the cache, whether the token's row is re-read depends on how long the
    // seeding took (a loaded machine outlasts the TTL between the two counts), not on the query.
    t = await createTestApp({ schedulerIntervalMs: 3_600_000, tokenCacheTtlMs: 0 });
  });
  afterAll(() => t.close());

  async function seedSites(from: number, to: number): Promise<void> {
    for (let i = from; i < to; i += 1) {
      const site = await create(t, 'sites', { name: `site-${String(i).padStart(3, '0')}` });
      const zone = await create(t, 'zones', {
        siteId: site.id,
        name: 'lan',
        cidrs: [`10.${i >> 8}.${i & 255}.0/24`],
      });
      const master = await create(t, 'nodes', {
        siteId: site.id,
        name: 'probe',
        role: 'probe',
        addresses: [`10.${i >> 8}.${i & 255}.2`],
      });
      await create(t, 'nodes', {
        siteId: site.id,
        name: 'agents',
        role: 'agent',
        addresses: [`10.${i >> 8}.${i & 255}.128/25`],
        collectorId: master.id,
      });
      await create(t, 'devices', {
        siteId: site.id,
        name: `fw-${i}`,
        vendor: 'pfsense',
        managementUrl: `https://10.${i >> 8}.${i & 255}.1`,
        interfaces: [
          { name: 'lan', zoneIds: [zone.id] },
          { name: 'wan', external: true },
        ],
      });
    }
  }

  const QUERY = `{ sites(first: 500) { totalCount nodes {
    id name zones { name cidrs }
    nodes { name addressZones { zoneName } collector { name } site { name } zones { name } }
    devices { name site { name } interfaces { name zones { name } } }
  } } }`;

  async function countQueries(): Promise<{ queries: number; sites: number }> {
    // A token's last use is written a couple of seconds after it, in the background: now, so not in the count.
    await t.app.get(TokensService).writeLastUse();
    const counter = t.app.get(QueryCounter);
    const before = counter.value;
    const res = await t.gql<{ sites: { totalCount: number; nodes: unknown[] } }>(QUERY);
    expect(res.errors).toBeUndefined();
    return { queries: counter.value - before, sites: res.data!.sites.nodes.length };
  }

  it('runs a constant number of SQL queries for 20 or 200 sites with zones, nodes and devices', async () => {
    await seedSites(0, 20);
    const small = await countQueries();
    expect(small.sites).toBe(20);
    await seedSites(20, 200);
    const large = await countQueries();
    expect(large.sites).toBe(200);
    expect(large.queries).toBe(small.queries);
    // Token (2), sites and their count, zones, nodes, devices with interfaces and their zones (3): an
    // interface's zones, a node's collector and a device's site come from rows already read.
    expect(large.queries).toBeLessThanOrEqual(9);
  });
});
