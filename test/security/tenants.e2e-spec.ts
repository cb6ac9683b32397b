/**
 * Customers (tenants) and tenant-scoped tokens (issue #11 items 3-4): two tenants with one deployment each share a
 * provider datacenter site whose FortiGate hosts both masters. Each branch firewall carries only its own
 * deployment's rules; the shared FortiGate carries both and nothing between them; a token of one tenant gets 404
 * for every resource of the other over every REST route and GraphQL operation, and sees only its own in lists,
 * counts, the fleet summary and /metrics.
 */
import { GraphQLSchemaHost } from '@nestjs/graphql';
import { getNamedType, isNonNullType, isObjectType, type GraphQLField } from 'graphql';
import { PrismaService } from '../../apps/api/src/database/prisma.service';
import { WebhooksService } from '../../apps/api/src/webhooks/webhooks.service';
import { inputLiteral, routeLayers } from '../utils/app-surface';
import { createTestApp, type TestApp } from '../utils/create-test-app';
import { create, type Created } from '../utils/fixtures';

interface Rule {
  sourceNodeIds: string[];
  destinationNodeIds: string[];
}

interface Customer {
  tenant: Created;
  deployment: Created;
  branch: Created;
  lan: Created;
  master: Created;
  agents: Created;
  firewall: Created;
  webhook: Created;
  push: { id: string };
  token: string;
  tokenId: string;
}

describe('tenants and tenant-scoped tokens (issue #11)', () => {
  let t: TestApp;
  let dc: Created;
  let dcFw: Created;
  let a: Customer;
  let b: Customer;

  async function customer(key: 'a' | 'b', net: number): Promise<Customer> {
    const tenant = await create(t, 'tenants', { name: `tenant-${key}` });
    const deployment = await create(t, 'deployments', { name: `dep-${key}`, tenantId: tenant.id });
    const branch = await create(t, 'sites', { name: `branch-${key}`, tenantId: tenant.id });
    const lan = await create(t, 'zones', { siteId: branch.id, name: 'lan', cidrs: [`10.${net}.0.0/24`] });
    const master = await create(t, 'nodes', {
      siteId: dc.id,
      deploymentId: deployment.id,
      name: `master-${key}`,
      role: 'master',
      addresses: [`10.100.${net}.5`],
    });
    const agents = await create(t, 'nodes', {
      siteId: branch.id,
      deploymentId: deployment.id,
      name: `agents-${key}`,
      role: 'agent',
      addresses: [`10.${net}.0.0/24`],
      collectorId: master.id,
    });
    const firewall = await create(t, 'devices', {
      siteId: branch.id,
      name: `fw-${key}`,
      vendor: 'pfsense',
      managementUrl: `https://fw-${key}.example.test`,
      interfaces: [
        { name: 'lan', zoneIds: [lan.id] },
        { name: 'wan', external: true },
      ],
    });
    const webhook = await create(t, 'webhooks', {
      url: `https://hooks-${key}.example.test/in`,
      events: ['push.succeeded'],
      tenantId: tenant.id,
    });
    // History rows as the push runner leaves them (no simulator needed to prove who may see them).
    const prisma = t.app.get(PrismaService);
    const push = await prisma.push.create({
      data: {
        deviceId: firewall.id,
        trigger: 'manual',
        actor: 'test',
        state: 'succeeded',
        startedAt: new Date(),
        finishedAt: new Date(),
      },
    });
    await prisma.driftCheck.create({
      data: { deviceId: firewall.id, trigger: 'manual', actor: 'test', drifted: true, checkedAt: new Date() },
    });
    const created = await t
      .http()
      .post('/api/v1/tokens')
      .send({ name: `token-${key}`, scopes: ['admin'], tenantIds: [tenant.id] })
      .expect(201);
    expect(created.body.tenantIds).toEqual([tenant.id]);
    return {
      tenant,
      deployment,
      branch,
      lan,
      master,
      agents,
      firewall,
      webhook,
      push,
      token: created.body.token as string,
      tokenId: created.body.id as string,
    };
  }

  const dcZones: Record<'a' | 'b', Created> = {} as Record<'a' | 'b', Created>;

  beforeAll(async () => {
    t = await createTestApp();
    // The provider's datacenter: no tenant, one FortiGate hosting both customers' masters.
    dc = await create(t, 'sites', { name: 'provider-dc' });
    expect(dc.tenantId).toBeNull();
    dcZones.a = await create(t, 'zones', { siteId: dc.id, name: 'masters-a', cidrs: ['10.100.1.0/24'] });
    dcZones.b = await create(t, 'zones', { siteId: dc.id, name: 'masters-b', cidrs: ['10.100.2.0/24'] });
    dcFw = await create(t, 'devices', {
      siteId: dc.id,
      name: 'dc-fortigate',
      vendor: 'fortios',
      managementUrl: 'https://dc-fortigate.example.test',
      interfaces: [
        { name: 'port1', zoneIds: [dcZones.a.id] },
        { name: 'port2', zoneIds: [dcZones.b.id] },
        { name: 'wan1', external: true },
      ],
    });
    a = await customer('a', 1);
    b = await customer('b', 2);
  });
  afterAll(() => t.close());

  const ruleSet = async (deviceId: string, token?: string) =>
    (await (token ? t.as(token) : t.http()).get(`/api/v1/devices/${deviceId}/ruleset`).expect(200)).body as {
      rules: Rule[];
      hash: string;
    };
  const nodesOf = (rules: Rule[]) =>
    new Set(rules.flatMap((r) => [...r.sourceNodeIds, ...r.destinationNodeIds]));

  it('serves tenants with the inventory conventions: ETag/If-Match, Idempotency-Key, audit, GraphQL', async () => {
    const send = () =>
      t.http().post('/api/v1/tenants').set('Idempotency-Key', 'tenant-1').send({ name: 'initech' });
    const created = await send().expect(201);
    const again = await send().expect(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body.id).toBe(created.body.id);
    const id = created.body.id as string;
    expect((await t.http().get(`/api/v1/tenants/${id}`).expect(200)).headers.etag).toBe('"1"');
    await t
      .http()
      .patch(`/api/v1/tenants/${id}`)
      .set('If-Match', '"7"')
      .send({ description: 'x' })
      .expect(412);
    await t
      .http()
      .patch(`/api/v1/tenants/${id}`)
      .set('If-Match', '"1"')
      .send({ description: 'Initech' })
      .expect(200);
    const audit = await t.http().get(`/api/v1/audit?action=tenant.update&tenantId=${id}`).expect(200);
    expect(audit.body.items[0]).toMatchObject({
      targetId: id,
      before: expect.objectContaining({ description: '' }),
      after: expect.objectContaining({ description: 'Initech' }),
    });
    await t.http().post('/api/v1/tenants').send({ name: 'initech' }).expect(409);
    const gql = await t.gql<{ updateTenant: { version: number }; deleteTenant: { id: string } }>(
      `mutation { updateTenant(id: "${id}", input: { name: "initech-2" }, expectedVersion: 2) { version } }`,
    );
    expect(gql.data?.updateTenant.version).toBe(3);
    const gone = await t.gql<{ deleteTenant: { id: string } }>(
      `mutation { deleteTenant(id: "${id}") { id } }`,
    );
    expect(gone.data?.deleteTenant.id).toBe(id);
    await t.http().get(`/api/v1/tenants/${id}`).expect(404);
  });

  it("branch firewalls carry only their deployment's rules; the shared FortiGate both and nothing between them", async () => {
    const own = { a: new Set([a.master.id, a.agents.id]), b: new Set([b.master.id, b.agents.id]) };
    for (const [key, c] of [['a', a] as const, ['b', b] as const]) {
      const rules = (await ruleSet(c.firewall.id)).rules;
      expect(rules.length).toBeGreaterThan(0);
      expect([...nodesOf(rules)].every((id) => own[key].has(id))).toBe(true);
    }
    const shared = (await ruleSet(dcFw.id)).rules;
    for (const key of ['a', 'b'] as const) {
      // Both customers' flows reach their masters through the shared FortiGate …
      expect(shared.some((r) => r.destinationNodeIds.every((id) => own[key].has(id)))).toBe(true);
    }
    // … and no rule joins one customer's node to the other's.
    for (const rule of shared) {
      const ids = [...rule.sourceNodeIds, ...rule.destinationNodeIds];
      expect(ids.every((id) => own.a.has(id)) || ids.every((id) => own.b.has(id))).toBe(true);
    }
  });

  it("a tenant token sees which of its flows the shared FortiGate carries, and none of the other's", async () => {
    const full = await ruleSet(dcFw.id);
    const mine = await ruleSet(dcFw.id, a.token);
    expect(mine.rules.length).toBeGreaterThan(0);
    expect(mine.rules.length).toBeLessThan(full.rules.length);
    expect([...nodesOf(mine.rules)].every((id) => [a.master.id, a.agents.id].includes(id))).toBe(true);
    expect(mine.hash).not.toBe(full.hash);
    // But the device itself is the provider's: not readable, plannable, pushable or drift-checked by a tenant.
    await t.as(a.token).get(`/api/v1/devices/${dcFw.id}`).expect(404);
    await t.as(a.token).post(`/api/v1/devices/${dcFw.id}/plan`).send({}).expect(404);
    await t.as(a.token).post(`/api/v1/devices/${dcFw.id}/pushes`).send({}).expect(404);
    await t.as(a.token).post(`/api/v1/devices/${dcFw.id}/drift`).send({}).expect(404);
    const fleet = await t
      .as(a.token)
      .post('/api/v1/pushes')
      .send({ deviceIds: [dcFw.id] });
    expect([400, 404]).toContain(fleet.status);
    const gql = await t.gql<{ device: unknown }>(`{ device(id: "${dcFw.id}") { id } }`, {}, a.token);
    expect(gql.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });

  it('answers reachability about its own nodes only', async () => {
    const trace = await t
      .as(a.token)
      .get(`/api/v1/reachability?from=${a.agents.id}&to=${a.master.id}`)
      .expect(200);
    expect(trace.body.allowed).toBe(true);
    const across = await t
      .as(a.token)
      .get(`/api/v1/reachability?from=${a.agents.id}&to=${b.master.id}`)
      .expect(400);
    expect(across.body.errors).toEqual([{ field: 'to', message: expect.stringContaining('does not exist') }]);
  });

  it('lists and counts only its own resources (REST and GraphQL)', async () => {
    const list = async (path: string) => (await t.as(a.token).get(`/api/v1/${path}`).expect(200)).body;
    const ids = (body: { items: { id: string }[] }) => body.items.map((i) => i.id).sort();
    expect(ids(await list('tenants'))).toEqual([a.tenant.id]);
    expect(ids(await list('deployments'))).toEqual([a.deployment.id]);
    // The provider datacenter is not its site, although its master stands there.
    expect(ids(await list('sites'))).toEqual([a.branch.id]);
    expect(ids(await list('zones'))).toEqual([a.lan.id]);
    expect(ids(await list('nodes'))).toEqual([a.master.id, a.agents.id].sort());
    const devices = await list('devices');
    expect(ids(devices)).toEqual([a.firewall.id]);
    expect(devices.total).toBe(1);
    expect(ids(await list('webhooks'))).toEqual([a.webhook.id]);
    expect(ids(await list('pushes'))).toEqual([a.push.id]);
    expect(ids(await list('tokens'))).toEqual([a.tokenId]);
    // The provider filter works on top: the other tenant's id yields nothing.
    expect((await list(`sites?tenantId=${b.tenant.id}`)).total).toBe(0);
    expect((await t.http().get(`/api/v1/sites?tenantId=${b.tenant.id}`).expect(200)).body.total).toBe(1);

    const audit = await list('audit?limit=500');
    expect(audit.total).toBeGreaterThan(0);
    const bIds = new Set([b.tenant.id, b.deployment.id, b.branch.id, b.lan.id, b.master.id, b.agents.id]);
    expect(audit.items.some((e: { targetId: string }) => bIds.has(e.targetId))).toBe(false);
    expect(audit.items.some((e: { targetId: string }) => e.targetId === dcFw.id)).toBe(false);
    expect(audit.items.some((e: { targetId: string }) => e.targetId === a.agents.id)).toBe(true);

    const gql = await t.gql<{
      sites: { totalCount: number };
      devices: { totalCount: number; nodes: { id: string }[] };
      nodes: { totalCount: number };
    }>('{ sites { totalCount } devices { totalCount nodes { id } } nodes { totalCount } }', {}, a.token);
    expect(gql.errors).toBeUndefined();
    expect(gql.data).toMatchObject({
      sites: { totalCount: 1 },
      devices: { totalCount: 1, nodes: [{ id: a.firewall.id }] },
      nodes: { totalCount: 2 },
    });
    // A node at the provider site resolves its site to null rather than leaking it.
    const node = await t.gql<{ node: { site: unknown } }>(
      `{ node(id: "${a.master.id}") { id site { id } } }`,
      {},
      a.token,
    );
    expect(node.errors).toBeUndefined();
    expect(node.data).toEqual({ node: { id: a.master.id, site: null } });
    const agents = await t.gql<{ node: { site: { id: string } } }>(
      `{ node(id: "${a.agents.id}") { site { id } } }`,
      {},
      a.token,
    );
    expect(agents.data?.node.site.id).toBe(a.branch.id);
  });

  it('filters every inventory and history list by tenantId (and zones and devices by deploymentId)', async () => {
    const ids = async (path: string): Promise<string[]> =>
      ((await t.http().get(`/api/v1/${path}`).expect(200)).body.items as { id: string }[])
        .map((i) => i.id)
        .sort();
    const q = `tenantId=${b.tenant.id}`;
    expect(await ids(`deployments?${q}`)).toEqual([b.deployment.id]);
    expect(await ids(`sites?${q}`)).toEqual([b.branch.id]);
    expect(await ids(`zones?${q}`)).toEqual([b.lan.id]);
    expect(await ids(`nodes?${q}`)).toEqual([b.master.id, b.agents.id].sort());
    expect(await ids(`devices?${q}`)).toEqual([b.firewall.id]);
    expect(await ids(`pushes?${q}`)).toEqual([b.push.id]);
    const audit = (await t.http().get(`/api/v1/audit?${q}&limit=500`).expect(200)).body.items as {
      targetId: string;
    }[];
    expect(audit.map((e) => e.targetId)).toContain(b.agents.id);
    expect(audit.map((e) => e.targetId)).not.toContain(a.agents.id);
    // The shared datacenter hosts both deployments: its zones and FortiGate show under each.
    expect(await ids(`zones?deploymentId=${b.deployment.id}`)).toEqual(
      [b.lan.id, dcZones.a.id, dcZones.b.id].sort(),
    );
    expect(await ids(`devices?deploymentId=${b.deployment.id}`)).toEqual([b.firewall.id, dcFw.id].sort());
    const gql = await t.gql<{ devices: { totalCount: number }; nodes: { totalCount: number } }>(
      `{ devices(tenantId: "${b.tenant.id}") { totalCount } nodes(tenantId: "${b.tenant.id}") { totalCount } }`,
    );
    expect(gql.data).toEqual({ devices: { totalCount: 1 }, nodes: { totalCount: 2 } });
  });

  it('fleet summaries and /metrics count only its own devices', async () => {
    const mine = await t.as(a.token).get('/api/v1/pushes/summary').expect(200);
    expect(mine.body.totalDevices).toBe(1);
    expect(mine.body.devices.map((d: { deviceId: string }) => d.deviceId)).toEqual([a.firewall.id]);
    expect(mine.body.drifted.map((d: { deviceId: string }) => d.deviceId)).toEqual([a.firewall.id]);
    expect((await t.http().get('/api/v1/pushes/summary').expect(200)).body.totalDevices).toBe(3);
    const gql = await t.gql<{ fleetSummary: { totalDevices: number } }>(
      '{ fleetSummary { totalDevices } }',
      {},
      a.token,
    );
    expect(gql.data?.fleetSummary.totalDevices).toBe(1);

    const metrics = await t.as(a.token).get('/metrics').expect(200);
    const deviceCount = (text: string) =>
      text
        .split('\n')
        .filter((l) => l.startsWith('utm_devices{'))
        .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
    expect(deviceCount(metrics.text)).toBe(1);
    expect(metrics.text).not.toContain('fw-b');
    expect(metrics.text).not.toContain('utm_http_requests_total');
    expect(deviceCount((await t.http().get('/metrics').expect(200)).text)).toBe(3);
  });

  it("delivers a device's events to its tenant's webhooks and the provider's, never another tenant's", async () => {
    const provider = await create(t, 'webhooks', {
      url: 'https://hooks-provider.example.test/in',
      events: ['push.succeeded'],
    });
    const webhooks = t.app.get(WebhooksService);
    const forA = await webhooks.emit('push.succeeded', { deviceId: a.firewall.id });
    expect(forA.map((d) => d.webhookId).sort()).toEqual([a.webhook.id, provider.id].sort());
    const forDc = await webhooks.emit('push.succeeded', { deviceId: dcFw.id });
    expect(forDc.map((d) => d.webhookId)).toEqual([provider.id]);
    // Each tenant token sees only its webhook's deliveries; the provider webhook is not visible to it.
    await t.as(a.token).get(`/api/v1/webhooks/${provider.id}/deliveries`).expect(404);
    const mine = await t.as(a.token).get(`/api/v1/webhooks/${a.webhook.id}/deliveries`).expect(200);
    expect(mine.body.total).toBe(1);
    await t.http().delete(`/api/v1/webhooks/${provider.id}`).expect(204);
  });

  describe('creating inside its tenants only', () => {
    it('defaults tenantId to its only tenant and refuses another tenant or the provider', async () => {
      const site = await t.as(a.token).post('/api/v1/sites').send({ name: 'branch-a2' }).expect(201);
      expect(site.body.tenantId).toBe(a.tenant.id);
      const other = await t
        .as(a.token)
        .post('/api/v1/sites')
        .send({ name: 'stolen', tenantId: b.tenant.id })
        .expect(400);
      expect(other.body.errors).toEqual([
        { field: 'tenantId', message: expect.stringContaining('does not exist') },
      ]);
      const provider = await t
        .as(a.token)
        .post('/api/v1/deployments')
        .send({ name: 'provider-owned', tenantId: null })
        .expect(400);
      expect(provider.body.errors[0].field).toBe('tenantId');
      await t.as(a.token).patch(`/api/v1/sites/${site.body.id}`).send({ tenantId: b.tenant.id }).expect(400);
      // Zones and devices of a site it cannot see: the site does not exist for it.
      await t
        .as(a.token)
        .post('/api/v1/zones')
        .send({ siteId: dc.id, name: 'mine', cidrs: ['10.100.9.0/24'] })
        .expect(400);
      await t.as(a.token).delete(`/api/v1/sites/${site.body.id}`).expect(204);
    });

    it("places its nodes at the provider datacenter but never at the other tenant's site", async () => {
      const shared = await t
        .as(a.token)
        .post('/api/v1/nodes')
        .send({
          siteId: dc.id,
          deploymentId: a.deployment.id,
          name: 'probe-a',
          role: 'probe',
          addresses: ['10.100.1.9'],
        })
        .expect(201);
      // Inside the provider's zone for its masters, although the token cannot see that zone.
      expect(shared.body.warnings).toEqual([]);
      const checks = await t.as(a.token).get('/api/v1/inventory/checks').expect(200);
      expect(checks.body.items).toEqual([]);
      await t.as(a.token).delete(`/api/v1/nodes/${shared.body.id}`).expect(204);
      const atOtherTenantsSite = {
        siteId: b.branch.id,
        deploymentId: a.deployment.id,
        name: 'x',
        role: 'probe',
        addresses: ['10.2.0.9'],
      };
      const foreign = await t.as(a.token).post('/api/v1/nodes').send(atOtherTenantsSite).expect(400);
      expect(foreign.body.errors).toEqual([
        { field: 'siteId', message: expect.stringContaining('does not exist') },
      ]);
      // The provider gets the same refusal, with the reason.
      const byProvider = await t.http().post('/api/v1/nodes').send(atOtherTenantsSite).expect(400);
      expect(byProvider.body.errors[0]).toMatchObject({
        field: 'siteId',
        message: expect.stringContaining('another tenant'),
      });
    });

    it('creates tenants and tokens only within its reach', async () => {
      await t.as(a.token).post('/api/v1/tenants').send({ name: 'tenant-c' }).expect(403);
      await t
        .as(a.token)
        .post('/api/v1/tokens')
        .send({ name: 'wider', scopes: ['read'], tenantIds: [b.tenant.id] })
        .expect(400);
      const sub = await t
        .as(a.token)
        .post('/api/v1/tokens')
        .send({ name: 'sub-a', scopes: ['read'] })
        .expect(201);
      expect(sub.body.tenantIds).toEqual([a.tenant.id]);
      const sites = await t
        .as(sub.body.token as string)
        .get('/api/v1/sites')
        .expect(200);
      expect(sites.body.items.map((s: { id: string }) => s.id)).toEqual([a.branch.id]);
      // Catalog flows are the provider's: one catalog for every tenant.
      await t
        .as(a.token)
        .post('/api/v1/catalog/flows')
        .send({
          version: 'utmstack-v9',
          from: 'console',
          to: 'master',
          protocol: 'tcp',
          ports: '7000',
          purpose: 'x',
        })
        .expect(403);
    });

    it('refuses to delete a tenant that still owns resources (409 naming them)', async () => {
      const res = await t.http().delete(`/api/v1/tenants/${b.tenant.id}`).expect(409);
      expect(res.body.referencedBy.deployments).toEqual([{ id: b.deployment.id, name: 'dep-b' }]);
      const empty = await create(t, 'tenants', { name: 'tenant-empty' });
      await t.http().delete(`/api/v1/tenants/${empty.id}`).expect(204);
    });
  });

  describe("the other tenant's resources do not exist for it", () => {
    // The other tenant's internet paths (issue #12): a site link and a publication. Created here, where nothing
    // counts the other tenant's sites and nodes any more.
    let bLink: Created;
    let bPublication: Created;

    beforeAll(async () => {
      const home = await create(t, 'sites', { name: 'home-b', tenantId: b.tenant.id, onInternet: true });
      bLink = await create(t, 'site-links', {
        siteAId: b.branch.id,
        siteBId: home.id,
        connectivity: 'internet',
      });
      const consoleNode = await create(t, 'nodes', {
        siteId: b.branch.id,
        deploymentId: b.deployment.id,
        name: 'console-b',
        role: 'console',
        addresses: ['10.2.0.9'],
      });
      bPublication = await create(t, 'publications', {
        nodeId: consoleNode.id,
        deviceId: b.firewall.id,
        publicAddress: 'interface',
        ports: [{ protocol: 'tcp', ports: { from: 22, to: 22 } }],
      });
    });

    /** Resource type of a REST path's :id, by the path's first segment. */
    function otherId(path: string): string | null {
      const segment = path.replace(/^\/api\/v1\//, '').split('/')[0];
      const map: Record<string, string> = {
        tenants: b.tenant.id,
        deployments: b.deployment.id,
        sites: b.branch.id,
        zones: b.lan.id,
        nodes: b.master.id,
        devices: b.firewall.id,
        webhooks: b.webhook.id,
        pushes: b.push.id,
        tokens: b.tokenId,
        'site-links': bLink.id,
        publications: bPublication.id,
      };
      return map[segment] ?? null;
    }

    it('answers 404 on every REST route with an id of the other tenant, and changes nothing', async () => {
      const routes = routeLayers(t);
      const checked: string[] = [];
      const unmapped: string[] = [];
      for (const route of routes) {
        if (!route.path.includes(':id')) continue;
        for (const [method, on] of Object.entries(route.methods)) {
          if (!on || method === '_all') continue;
          const id = otherId(route.path);
          if (!id) {
            // Global resources (the catalog) have no tenant.
            if (!route.path.startsWith('/api/v1/catalog/')) unmapped.push(`${method} ${route.path}`);
            continue;
          }
          const res = await t
            .as(a.token)
            [method as 'get' | 'post' | 'patch' | 'delete'](route.path.replace(':id', id))
            .send(method === 'get' || method === 'delete' ? undefined : {});
          expect({ route: `${method.toUpperCase()} ${route.path}`, status: res.status }).toEqual({
            route: `${method.toUpperCase()} ${route.path}`,
            status: 404,
          });
          checked.push(`${method} ${route.path}`);
        }
      }
      expect(unmapped).toEqual([]);
      expect(checked.length).toBeGreaterThanOrEqual(25);
      // Everything of the other tenant is still there and unchanged.
      for (const [path, id] of [
        ['tenants', b.tenant.id],
        ['deployments', b.deployment.id],
        ['sites', b.branch.id],
        ['zones', b.lan.id],
        ['nodes', b.master.id],
        ['devices', b.firewall.id],
        ['webhooks', b.webhook.id],
      ]) {
        const res = await t.http().get(`/api/v1/${path}/${id}`).expect(200);
        if ('version' in res.body) expect(res.body.version).toBe(1);
      }
      expect((await t.http().get(`/api/v1/tokens/${b.tokenId}`).expect(200)).body.revokedAt).toBeNull();
      await t.as(b.token).get('/api/v1/sites').expect(200);
    });

    const otherIds = (): string[] => [
      b.tenant.id,
      b.deployment.id,
      b.branch.id,
      b.lan.id,
      b.master.id,
      b.agents.id,
      b.firewall.id,
      b.webhook.id,
      b.push.id,
      b.tokenId,
      bLink.id,
      bPublication.id,
    ];

    it('never names a resource of the other tenant in any REST list or GraphQL query without an id', async () => {
      const routes = routeLayers(t);
      const gets = routes
        .filter((r) => r.methods.get && !r.path.includes(':') && r.path.startsWith('/api/v1/'))
        .map((r) => r.path);
      expect(gets.length).toBeGreaterThanOrEqual(12);
      for (const path of gets) {
        // Reachability needs two nodes: its own, whose path crosses the shared FortiGate.
        const query = path === '/api/v1/reachability' ? `?from=${a.agents.id}&to=${a.master.id}` : '';
        const res = await t.as(a.token).get(`${path}${query}`);
        expect({ path, status: res.status }).toEqual({ path, status: 200 });
        const text = JSON.stringify(res.body);
        for (const id of otherIds())
          expect({ path, leaks: text.includes(id) }).toEqual({ path, leaks: false });
        // The same list as the provider does name them (the check can fail).
      }
      const providerSites = JSON.stringify((await t.http().get('/api/v1/sites').expect(200)).body);
      expect(providerSites).toContain(b.branch.id);

      const schema = t.app.get(GraphQLSchemaHost).schema;
      const selection = (type: ReturnType<typeof getNamedType>, depth: number): string => {
        if (!isObjectType(type)) return '';
        const fields = Object.values(type.getFields()).filter(
          (f) => !f.args.some((a) => isNonNullType(a.type)),
        );
        const parts = fields
          .map((f) => {
            const inner = getNamedType(f.type);
            if (!isObjectType(inner))
              return f.name.toLowerCase().endsWith('id') || f.name === 'id' ? f.name : '';
            return depth > 0 ? `${f.name} ${selection(inner, depth - 1)}` : '';
          })
          .filter((p) => p && !p.endsWith(' '));
        return parts.length ? `{ ${parts.join(' ')} }` : '{ __typename }';
      };
      let queried = 0;
      for (const field of Object.values(schema.getQueryType()!.getFields())) {
        if (field.args.some((arg) => isNonNullType(arg.type))) continue;
        const res = await t.gql(`{ ${field.name} ${selection(getNamedType(field.type), 3)} }`, {}, a.token);
        expect({ field: field.name, errors: (res.errors ?? []).map((e) => e.message) }).toEqual({
          field: field.name,
          errors: [],
        });
        const text = JSON.stringify(res.data);
        for (const id of otherIds())
          expect({ field: field.name, leaks: text.includes(id) }).toEqual({
            field: field.name,
            leaks: false,
          });
        queried += 1;
      }
      expect(queried).toBeGreaterThanOrEqual(10);
    });

    it("refuses to attach anything to the other tenant's resources, and changes nothing", async () => {
      const as = t.as(a.token);
      const refused = [
        await as.post('/api/v1/zones').send({ siteId: b.branch.id, name: 'z', cidrs: ['10.9.0.0/24'] }),
        await as.post('/api/v1/devices').send({
          siteId: b.branch.id,
          name: 'd',
          vendor: 'pfsense',
          managementUrl: 'https://x.example.test',
          interfaces: [{ name: 'wan', external: true }],
        }),
        await as.post('/api/v1/nodes').send({
          siteId: a.branch.id,
          deploymentId: b.deployment.id,
          name: 'n',
          role: 'agent',
          addresses: ['10.1.0.9'],
        }),
        await as.post('/api/v1/nodes').send({
          siteId: a.branch.id,
          deploymentId: a.deployment.id,
          name: 'n',
          role: 'agent',
          addresses: ['10.1.0.9'],
          collectorId: b.master.id,
        }),
        await as.post('/api/v1/pushes').send({ deviceIds: [b.firewall.id] }),
        await as
          .patch(`/api/v1/devices/${a.firewall.id}`)
          .send({ interfaces: [{ name: 'lan', zoneIds: [b.lan.id] }] }),
      ];
      for (const [i, res] of refused.entries()) {
        expect({
          i,
          status: [400, 404].includes(res.status) ? 'refused' : res.status,
          body: res.body as unknown,
        }).toMatchObject({ i, status: 'refused' });
      }
      // A fleet push by the other tenant's site selects nothing; of everything, only its own devices.
      const bySite = await as.post('/api/v1/pushes').send({ siteId: b.branch.id, dryRun: true });
      expect(bySite.status).toBe(202);
      expect(bySite.body.pushes).toEqual([]);
      const all = await as.post('/api/v1/pushes').send({ all: true, dryRun: true });
      expect(all.status).toBe(202);
      // The fleet push names no device owner in its audit entry; it is the acting tenant's.
      const fleetAudit = await as.get('/api/v1/audit?targetType=fleet').expect(200);
      expect(fleetAudit.body.total).toBeGreaterThan(0);
      const selected = [...all.body.pushes, ...all.body.skipped].map((p: { deviceId: string }) => p.deviceId);
      expect(selected).toEqual([a.firewall.id]);
      expect((await t.http().get(`/api/v1/devices/${b.firewall.id}`).expect(200)).body.version).toBe(1);
      expect((await t.http().get(`/api/v1/devices/${a.firewall.id}`).expect(200)).body.version).toBe(1);
    });

    it('answers NOT_FOUND (or null) on every GraphQL operation taking an id of the other tenant', async () => {
      const schema = t.app.get(GraphQLSchemaHost).schema;
      const idFor = (field: string): string | null => {
        const name = field.toLowerCase();
        // Global (the catalog), or a list filtered by device (asserted empty below).
        if (name.includes('customflow') || name === 'pushes' || name === 'publications') return null;
        if (name.includes('tenant')) return b.tenant.id;
        if (name.includes('sitelink')) return bLink.id;
        if (name.includes('publication')) return bPublication.id;
        if (name.includes('deployment')) return b.deployment.id;
        if (name.includes('site')) return b.branch.id;
        if (name.includes('zone')) return b.lan.id;
        if (name.includes('node')) return b.master.id;
        if (name.includes('webhook')) return b.webhook.id;
        if (name.includes('token')) return b.tokenId;
        if (name === 'push' || name === 'cancelpush') return b.push.id;
        if (/device|drift|plan|ruleset/.test(name)) return b.firewall.id;
        return '';
      };
      const checked: string[] = [];
      const unmapped: string[] = [];
      for (const [kind, type] of [
        ['query', schema.getQueryType()],
        ['mutation', schema.getMutationType()],
      ] as const) {
        for (const field of Object.values(type!.getFields()) as GraphQLField<unknown, unknown>[]) {
          const idArg = field.args.find((arg) => arg.name === 'id' || arg.name === 'deviceId');
          if (!idArg) continue;
          const id = idFor(field.name);
          if (id === null) continue;
          if (id === '') {
            unmapped.push(field.name);
            continue;
          }
          const args = field.args
            .filter((arg) => arg === idArg || (isNonNullType(arg.type) && arg.defaultValue === undefined))
            .map((arg) => `${arg.name}: ${arg === idArg ? `"${id}"` : inputLiteral(arg.type, 'x')}`);
          const selection = isObjectType(getNamedType(field.type)) ? '{ __typename }' : '';
          const res = await t.gql<Record<string, unknown>>(
            `${kind} { ${field.name}(${args.join(', ')}) ${selection} }`,
            {},
            a.token,
          );
          const code = res.errors?.[0]?.extensions?.code ?? null;
          const value = res.data?.[field.name] ?? null;
          expect({ field: field.name, code: code === 'NOT_FOUND' ? 'NOT_FOUND' : code, value }).toEqual({
            field: field.name,
            code: code === null ? null : 'NOT_FOUND',
            value: null,
          });
          checked.push(field.name);
        }
      }
      expect(unmapped).toEqual([]);
      expect(checked.length).toBeGreaterThanOrEqual(20);
      const pushes = await t.gql<{ pushes: { totalCount: number } }>(
        `{ pushes(deviceId: "${b.firewall.id}") { totalCount } }`,
        {},
        a.token,
      );
      expect(pushes.data?.pushes.totalCount).toBe(0);
      const publications = await t.gql<{ publications: { totalCount: number } }>(
        `{ publications(deviceId: "${b.firewall.id}") { totalCount } }`,
        {},
        a.token,
      );
      expect(publications.data?.publications.totalCount).toBe(0);
      expect((await t.http().get(`/api/v1/devices/${b.firewall.id}`).expect(200)).body.version).toBe(1);
    });
  });
});
