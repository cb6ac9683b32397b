import { computeRuleSets } from '@app/engine';
import type { RuleSet } from '@app/engine/model';
import { CatalogService } from '../../apps/api/src/catalog/catalog.service';
import { PrismaService } from '../../apps/api/src/database/prisma.service';
import { readInventory, RuleSetsService } from '../../apps/api/src/rules/rule-sets.service';
import { asSystem } from '../../apps/api/src/tenants/tenant-scope';
import { createTestApp, type TestApp } from '../utils/create-test-app';
import { create, type Created } from '../utils/fixtures';

interface Problem {
  status: number;
  code: string;
  detail: string;
  errors?: { field: string; message: string }[];
  existingId?: string;
  referencedBy?: Record<string, unknown[]>;
}

interface Port {
  protocol: string;
  ports: { from: number; to: number };
  externalFrom: number | null;
}

/** v9 master: what reaches a master (1194 VPN, 443 console) and what reaches a collector, merged per protocol. */
const V9_MASTER_PORTS: Port[] = [
  ...[443, 514, 1194, 1470, [1514, 1516], 2056, 5044, 8089, 9000, 55000].map((p) => ({
    protocol: 'tcp',
    ports: Array.isArray(p) ? { from: p[0], to: p[1] } : { from: p, to: p },
    externalFrom: null,
  })),
  ...[514, 2055].map((p) => ({ protocol: 'udp', ports: { from: p, to: p }, externalFrom: null })),
];

describe('Internet paths: site connectivity, site links, public addresses, publications', () => {
  let t: TestApp;
  let acme: Created;
  let hq: Created;
  let branch: Created;
  let roaming: Created;
  let servers: Created;
  let master: Created;
  let agents: Created;
  let hqFw: Created;
  let branchFw: Created;
  let globexToken: string;
  let acmeToken: string;

  async function counts(): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const path of ['sites', 'zones', 'nodes', 'devices', 'site-links', 'publications']) {
      out[path] = (await t.http().get(`/api/v1/${path}?limit=500`).expect(200)).body.total as number;
    }
    return out;
  }

  /** A refused write: the status, problem+json, the field named, and nothing changed. */
  async function refused(
    method: 'post' | 'patch' | 'delete',
    path: string,
    body: object,
    status: number,
    field?: string,
  ): Promise<Problem> {
    const before = await counts();
    const res = await t.http()[method](`/api/v1/${path}`).send(body);
    expect(res.status, JSON.stringify(res.body)).toBe(status);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    const problem = res.body as Problem;
    if (field) expect(problem.errors?.map((e) => e.field)).toContain(field);
    expect(await counts()).toEqual(before);
    return problem;
  }

  beforeAll(async () => {
    t = await createTestApp();
    acme = await create(t, 'tenants', { name: 'acme' });
    const globex = await create(t, 'tenants', { name: 'globex' });
    const deployment = await create(t, 'deployments', {
      name: 'Acme',
      tenantId: acme.id,
      catalogVersion: 'utmstack-v9',
    });
    hq = await create(t, 'sites', { name: 'HQ', tenantId: acme.id });
    branch = await create(t, 'sites', { name: 'Branch', tenantId: acme.id, connectivity: 'internet' });
    roaming = await create(t, 'sites', { name: 'Roaming', tenantId: acme.id, onInternet: true });
    servers = await create(t, 'zones', { siteId: hq.id, name: 'servers', cidrs: ['10.10.10.0/24'] });
    const branchLan = await create(t, 'zones', { siteId: branch.id, name: 'lan', cidrs: ['10.20.0.0/24'] });
    master = await create(t, 'nodes', {
      siteId: hq.id,
      deploymentId: deployment.id,
      name: 'hq-master',
      role: 'master',
      addresses: ['10.10.10.5'],
    });
    agents = await create(t, 'nodes', {
      siteId: branch.id,
      deploymentId: deployment.id,
      name: 'branch-agents',
      role: 'agent',
      addresses: ['10.20.0.0/24'],
      collectorId: master.id,
    });
    await create(t, 'nodes', {
      siteId: roaming.id,
      deploymentId: deployment.id,
      name: 'laptops',
      role: 'agent',
      addresses: ['0.0.0.0/0'],
      collectorId: master.id,
    });
    hqFw = await create(t, 'devices', {
      siteId: hq.id,
      name: 'hq-fw',
      vendor: 'pfsense',
      managementUrl: 'https://hq-fw.example.test',
      interfaces: [
        { name: 'lan', zoneIds: [servers.id] },
        { name: 'wan', external: true, publicAddresses: ['198.51.100.10', 'interface'] },
      ],
    });
    branchFw = await create(t, 'devices', {
      siteId: branch.id,
      name: 'branch-fw',
      vendor: 'fortios',
      managementUrl: 'https://branch-fw.example.test',
      interfaces: [
        { name: 'port1', zoneIds: [branchLan.id] },
        { name: 'wan1', external: true },
      ],
    });
    const tokens = await Promise.all(
      [acme, globex].map((tenant) =>
        t
          .http()
          .post('/api/v1/tokens')
          .send({ name: `ops-${tenant.name as string}`, scopes: ['admin'], tenantIds: [tenant.id] })
          .expect(201),
      ),
    );
    [acmeToken, globexToken] = tokens.map((r) => r.body.token as string);
  });
  afterAll(() => t.close());

  describe('site connectivity and sites on the internet', () => {
    it('stores connectivity and onInternet (routed by default; an onInternet site is internet)', async () => {
      expect((await t.http().get(`/api/v1/sites/${hq.id}`).expect(200)).body).toMatchObject({
        connectivity: 'routed',
        onInternet: false,
      });
      expect(branch).toMatchObject({ connectivity: 'internet', onInternet: false });
      expect(roaming).toMatchObject({ connectivity: 'internet', onInternet: true });
      const list = await t.http().get('/api/v1/sites?connectivity=internet').expect(200);
      expect(list.body.items.map((s: { name: string }) => s.name)).toEqual(['Branch', 'Roaming']);
    });

    it('refuses zones and devices at a site on the internet, and onInternet for a site with zones', async () => {
      const zone = await refused(
        'post',
        'zones',
        { siteId: roaming.id, name: 'home', cidrs: ['192.168.1.0/24'] },
        400,
        'siteId',
      );
      expect(zone.detail).toMatch(/on the internet/);
      await refused(
        'post',
        'devices',
        {
          siteId: roaming.id,
          name: 'home-fw',
          vendor: 'opnsense',
          managementUrl: 'https://home.example.test',
        },
        400,
        'siteId',
      );
      await refused('patch', `devices/${branchFw.id}`, { siteId: roaming.id }, 400, 'siteId');
      const zones = await refused('patch', `sites/${hq.id}`, { onInternet: true }, 400, 'onInternet');
      expect(zones.errors?.[0].message).toMatch(/1 zone\(s\) and 1 device\(s\)/);
      await refused(
        'post',
        'sites',
        { name: 'Cloud', onInternet: true, connectivity: 'routed', tenantId: acme.id },
        400,
        'connectivity',
      );
    });

    it('changes connectivity with If-Match and audits it; GraphQL shows the fields', async () => {
      const site = await create(t, 'sites', { name: 'Lab', tenantId: acme.id });
      await t
        .http()
        .patch(`/api/v1/sites/${site.id}`)
        .set('If-Match', '"1"')
        .send({ connectivity: 'internet' })
        .expect(200);
      const audit = await t.http().get(`/api/v1/audit?action=site.update&targetId=${site.id}`).expect(200);
      expect(audit.body.items[0]).toMatchObject({
        before: expect.objectContaining({ connectivity: 'routed' }),
        after: expect.objectContaining({ connectivity: 'internet' }),
      });
      const gql = await t.gql<{ site: { connectivity: string; onInternet: boolean } }>(
        `query($id: ID!) { site(id: $id) { connectivity onInternet } }`,
        { id: roaming.id },
      );
      expect(gql.data?.site).toEqual({ connectivity: 'internet', onInternet: true });
      await t.http().delete(`/api/v1/sites/${site.id}`).expect(204);
    });
  });

  describe('public addresses of external interfaces', () => {
    it('stores and returns them in order', async () => {
      const device = await t.http().get(`/api/v1/devices/${hqFw.id}`).expect(200);
      expect(device.body.interfaces).toEqual([
        expect.objectContaining({ name: 'lan', publicAddresses: [] }),
        expect.objectContaining({ name: 'wan', publicAddresses: ['198.51.100.10', 'interface'] }),
      ]);
    });

    it('refuses them on an internal interface, and anything but IPv4 hosts or "interface"', async () => {
      const body = (iface: object) => ({
        siteId: hq.id,
        name: 'hq-fw2',
        vendor: 'opnsense',
        managementUrl: 'https://hq-fw2.example.test',
        interfaces: [iface],
      });
      const internal = await refused(
        'post',
        'devices',
        body({ name: 'lan', zoneIds: [servers.id], publicAddresses: ['198.51.100.20'] }),
        400,
        'interfaces.0.publicAddresses',
      );
      expect(internal.detail).toMatch(/only an external interface has public addresses/);
      for (const bad of ['198.51.100.0/24', '2001:db8::1', 'wan', '0.0.0.0', '224.0.0.1']) {
        const problem = await refused(
          'post',
          'devices',
          body({ name: 'wan', external: true, publicAddresses: [bad] }),
          400,
        );
        expect(problem.errors?.[0].field).toMatch(/^interfaces\.0\.publicAddresses/);
      }
    });
  });

  describe('site links', () => {
    let link: Created;

    it('creates (stored with the smaller id first), reads with an ETag, lists, updates with If-Match, audits', async () => {
      const created = await t
        .http()
        .post('/api/v1/site-links')
        .send({ siteAId: branch.id, siteBId: hq.id, connectivity: 'routed', description: 'IPsec' })
        .expect(201);
      link = created.body as Created;
      const [a, b] = [hq.id, branch.id].sort();
      expect(link).toMatchObject({
        siteAId: a,
        siteBId: b,
        connectivity: 'routed',
        description: 'IPsec',
        tenantId: acme.id,
        version: 1,
      });
      const read = await t.http().get(`/api/v1/site-links/${link.id}`).expect(200);
      expect(read.headers.etag).toBe('"1"');
      const bySite = await t.http().get(`/api/v1/site-links?siteId=${hq.id}`).expect(200);
      expect(bySite.body).toMatchObject({ total: 1, items: [expect.objectContaining({ id: link.id })] });
      expect((await t.http().get('/api/v1/site-links?connectivity=internet').expect(200)).body.total).toBe(0);
      expect((await t.http().get('/api/v1/site-links?q=branch').expect(200)).body.total).toBe(1);
      await t
        .http()
        .patch(`/api/v1/site-links/${link.id}`)
        .set('If-Match', '"9"')
        .send({ connectivity: 'internet' })
        .expect(412);
      const updated = await t
        .http()
        .patch(`/api/v1/site-links/${link.id}`)
        .set('If-Match', '"1"')
        .send({ connectivity: 'internet' })
        .expect(200);
      expect(updated.body).toMatchObject({ connectivity: 'internet', version: 2 });
      const audit = await t.http().get(`/api/v1/audit?targetId=${link.id}`).expect(200);
      expect(audit.body.items.map((e: { action: string }) => e.action).sort()).toEqual([
        'site-link.create',
        'site-link.update',
      ]);
    });

    it('refuses the same site twice (400), a second link of a pair either way round (409), a routed link to the internet (400)', async () => {
      await refused(
        'post',
        'site-links',
        { siteAId: hq.id, siteBId: hq.id, connectivity: 'routed' },
        400,
        'siteBId',
      );
      const duplicate = await refused(
        'post',
        'site-links',
        { siteAId: hq.id, siteBId: branch.id, connectivity: 'routed' },
        409,
        'siteBId',
      );
      expect(duplicate).toMatchObject({ code: 'CONFLICT', existingId: link.id });
      await refused(
        'post',
        'site-links',
        { siteAId: hq.id, siteBId: roaming.id, connectivity: 'routed' },
        400,
        'connectivity',
      );
      await refused(
        'post',
        'site-links',
        { siteAId: hq.id, siteBId: '00000000-0000-4000-8000-000000000000', connectivity: 'internet' },
        400,
        'siteBId',
      );
      await refused('post', 'site-links', { siteAId: hq.id, siteBId: branch.id, connectivity: 'vpn' }, 400);
    });

    it('blocks deleting a linked site unless cascade', async () => {
      const site = await create(t, 'sites', { name: 'Spoke', tenantId: acme.id });
      const spoke = await create(t, 'site-links', {
        siteAId: site.id,
        siteBId: hq.id,
        connectivity: 'routed',
      });
      const problem = await refused('delete', `sites/${site.id}`, {}, 409);
      expect(problem.referencedBy?.siteLinks).toEqual([expect.objectContaining({ id: spoke.id })]);
      await t.http().delete(`/api/v1/sites/${site.id}?cascade=true`).expect(204);
      await t.http().get(`/api/v1/site-links/${spoke.id}`).expect(404);
    });

    it('works over GraphQL: mutations, Site.siteLinks, error codes', async () => {
      const created = await t.gql<{
        createSiteLink: { id: string; version: number; siteA: { name: string } };
      }>(
        `mutation($input: CreateSiteLinkInput!) { createSiteLink(input: $input) { id version siteA { name } } }`,
        { input: { siteAId: roaming.id, siteBId: branch.id, connectivity: 'internet' } },
      );
      expect(created.errors).toBeUndefined();
      const id = created.data!.createSiteLink.id;
      const stale = await t.gql(
        `mutation($id: ID!) { updateSiteLink(id: $id, input: { description: "x" }, expectedVersion: 5) { id } }`,
        { id },
      );
      expect(stale.errors?.[0].extensions?.code).toBe('PRECONDITION_FAILED');
      const dup = await t.gql(
        `mutation($input: CreateSiteLinkInput!) { createSiteLink(input: $input) { id } }`,
        { input: { siteAId: branch.id, siteBId: roaming.id, connectivity: 'internet' } },
      );
      expect(dup.errors?.[0].extensions?.code).toBe('CONFLICT');
      const routed = await t.gql(
        `mutation($id: ID!) { updateSiteLink(id: $id, input: { connectivity: routed }) { id } }`,
        { id },
      );
      expect(routed.errors?.[0].extensions).toMatchObject({
        code: 'BAD_USER_INPUT',
        errors: [expect.objectContaining({ field: 'connectivity' })],
      });
      const site = await t.gql<{ site: { siteLinks: { id: string; connectivity: string }[] } }>(
        `query($id: ID!) { site(id: $id) { siteLinks { id connectivity } } }`,
        { id: branch.id },
      );
      expect(site.data?.site.siteLinks.map((l) => l.id).sort()).toEqual([id, link.id].sort());
      const deleted = await t.gql<{ deleteSiteLink: { id: string } }>(
        `mutation($id: ID!) { deleteSiteLink(id: $id, expectedVersion: 1) { id } }`,
        { id },
      );
      expect(deleted.data?.deleteSiteLink.id).toBe(id);
    });
  });

  describe('publications', () => {
    let published: Created;

    it('fills omitted ports from the catalog (what reaches a v9 master and a collector), stores and returns them', async () => {
      const res = await t
        .http()
        .post('/api/v1/publications')
        .send({ nodeId: master.id, deviceId: hqFw.id, description: 'master to the internet' })
        .expect(201);
      published = res.body as Created;
      expect(published).toMatchObject({
        nodeId: master.id,
        deviceId: hqFw.id,
        interface: null,
        publicAddress: null,
        description: 'master to the internet',
        version: 1,
      });
      expect(published.ports).toEqual(V9_MASTER_PORTS);
      const read = await t.http().get(`/api/v1/publications/${published.id}`).expect(200);
      expect(read.headers.etag).toBe('"1"');
      expect(read.body.ports).toEqual(V9_MASTER_PORTS);
      const stored = await t.app
        .get(PrismaService)
        .publication.findUniqueOrThrow({ where: { id: published.id } });
      expect(stored.ports).toEqual(V9_MASTER_PORTS);
    });

    it('replays a POST sent again with the same Idempotency-Key (one publication)', async () => {
      const send = () =>
        t
          .http()
          .post('/api/v1/publications')
          .set('Idempotency-Key', 'publish-tcp-22')
          .send({
            nodeId: master.id,
            deviceId: hqFw.id,
            ports: [{ protocol: 'tcp', ports: { from: 22, to: 22 } }],
          });
      const first = await send();
      expect(first.status, JSON.stringify(first.body)).toBe(201);
      const again = await send();
      expect(again.status).toBe(201);
      expect(again.body.id).toBe(first.body.id);
      const prisma = t.app.get(PrismaService);
      expect(await prisma.publication.count({ where: { deviceId: hqFw.id } })).toBe(2);
      await t
        .http()
        .delete(`/api/v1/publications/${first.body.id as string}`)
        .expect(204);
    });

    it('lists with filters and pagination', async () => {
      const byNode = await t.http().get(`/api/v1/publications?nodeId=${master.id}`).expect(200);
      expect(byNode.body).toMatchObject({ total: 1, limit: 50, offset: 0 });
      expect(
        (await t.http().get(`/api/v1/publications?deviceId=${branchFw.id}`).expect(200)).body.total,
      ).toBe(0);
      expect((await t.http().get(`/api/v1/publications?siteId=${hq.id}`).expect(200)).body.total).toBe(1);
      expect((await t.http().get('/api/v1/publications?q=hq-master').expect(200)).body.total).toBe(1);
      expect((await t.http().get(`/api/v1/publications?tenantId=${acme.id}`).expect(200)).body.total).toBe(1);
    });

    it('refuses a port on the never-exposed list, inside or outside, naming it and why', async () => {
      const inside = await refused(
        'post',
        'publications',
        {
          nodeId: master.id,
          deviceId: hqFw.id,
          ports: [{ protocol: 'tcp', ports: { from: 5430, to: 5440 } }],
        },
        400,
        'ports.0.ports',
      );
      expect(inside.errors?.[0].message).toMatch(
        /5432\/tcp \(PostgreSQL\) can never be published: UTMStack database/,
      );
      const outside = await refused(
        'post',
        'publications',
        {
          nodeId: master.id,
          deviceId: hqFw.id,
          ports: [{ protocol: 'tcp', ports: { from: 8443, to: 8443 }, externalFrom: 9200 }],
        },
        400,
        'ports.0.externalFrom',
      );
      expect(outside.errors?.[0].message).toMatch(
        /9200\/tcp \(OpenSearch\) can never be published.*external port/,
      );
      // 7946 is never exposed over udp too; 4789 only over udp.
      await refused(
        'post',
        'publications',
        {
          nodeId: master.id,
          deviceId: hqFw.id,
          ports: [{ protocol: 'udp', ports: { from: 4789, to: 4789 } }],
        },
        400,
        'ports.0.ports',
      );
    });

    it('refuses bad ranges, addresses, interfaces, devices and targets with field-level errors', async () => {
      const base = { nodeId: master.id, deviceId: hqFw.id };
      const tcp = (ports: object) => ({ ...base, ports: [{ protocol: 'tcp', ...ports }] });
      await refused('post', 'publications', tcp({ ports: { from: 90, to: 80 } }), 400, 'ports.0.ports');
      await refused('post', 'publications', tcp({ ports: { from: 0, to: 80 } }), 400, 'ports.0.ports.from');
      const overflow = await refused(
        'post',
        'publications',
        tcp({ ports: { from: 1000, to: 1010 }, externalFrom: 65530 }),
        400,
        'ports.0.externalFrom',
      );
      expect(overflow.errors?.[0].message).toMatch(/ends at 65540, beyond 65535/);
      await refused(
        'post',
        'publications',
        {
          ...base,
          ports: [
            { protocol: 'tcp', ports: { from: 80, to: 90 } },
            { protocol: 'tcp', ports: { from: 85, to: 85 } },
          ],
        },
        400,
        'ports.1.ports',
      );
      for (const publicAddress of ['198.51.100.0/24', 'example.com', '::1']) {
        await refused('post', 'publications', { ...base, publicAddress }, 400, 'publicAddress');
      }
      const internal = await refused('post', 'publications', { ...base, interface: 'lan' }, 400, 'interface');
      expect(internal.errors?.[0].message).toMatch(/not an external interface/);
      await refused('post', 'publications', { ...base, interface: 'opt9' }, 400, 'interface');
      const elsewhere = await refused(
        'post',
        'publications',
        { ...base, deviceId: branchFw.id },
        400,
        'deviceId',
      );
      expect(elsewhere.errors?.[0].message).toMatch(/not at the site of node hq-master/);
      const group = await refused(
        'post',
        'publications',
        {
          nodeId: agents.id,
          deviceId: branchFw.id,
          ports: [{ protocol: 'tcp', ports: { from: 22, to: 22 } }],
        },
        400,
        'nodeId',
      );
      expect(group.errors?.[0].message).toMatch(/no IPv4 host address/);
      await refused(
        'post',
        'publications',
        { ...base, nodeId: '00000000-0000-4000-8000-000000000000' },
        400,
        'nodeId',
      );
      // An interface without public addresses needs the publication to say one.
      const branchConsole = await create(t, 'nodes', {
        siteId: branch.id,
        name: 'branch-console',
        role: 'console',
        addresses: ['10.20.0.7'],
      });
      const noAddress = await refused(
        'post',
        'publications',
        {
          nodeId: branchConsole.id,
          deviceId: branchFw.id,
          ports: [{ protocol: 'tcp', ports: { from: 22, to: 22 } }],
        },
        400,
        'publicAddress',
      );
      expect(noAddress.errors?.[0].message).toMatch(
        /interface wan1 of device branch-fw lists no public address/,
      );
      await t.http().delete(`/api/v1/nodes/${branchConsole.id}`).expect(204);
    });

    it('refuses a second forward of the same public address, protocol and port on the device (409 naming it)', async () => {
      const clash = await refused(
        'post',
        'publications',
        {
          nodeId: master.id,
          deviceId: hqFw.id,
          publicAddress: '198.51.100.10',
          ports: [{ protocol: 'tcp', ports: { from: 8443, to: 8443 }, externalFrom: 443 }],
        },
        409,
        'ports',
      );
      expect(clash).toMatchObject({ code: 'CONFLICT', existingId: published.id });
      expect(clash.detail).toContain(
        `publication ${published.id} (node hq-master) already forwards 198.51.100.10:443/tcp`,
      );
      // The same port on the interface's own address, or over udp, is another forward.
      const other = await t
        .http()
        .post('/api/v1/publications')
        .send({
          nodeId: master.id,
          deviceId: hqFw.id,
          interface: 'wan',
          publicAddress: 'interface',
          ports: [{ protocol: 'tcp', ports: { from: 443, to: 443 } }],
        })
        .expect(201);
      await t
        .http()
        .delete(`/api/v1/publications/${other.body.id as string}`)
        .expect(204);
    });

    it('updates with If-Match (re-checked) and audits create, update and delete', async () => {
      await t
        .http()
        .patch(`/api/v1/publications/${published.id}`)
        .set('If-Match', '"3"')
        .send({ description: 'stale' })
        .expect(412);
      const before = await counts();
      const bad = await t
        .http()
        .patch(`/api/v1/publications/${published.id}`)
        .send({ ports: [{ protocol: 'tcp', ports: { from: 10000, to: 10000 } }] })
        .expect(400);
      expect(bad.body.errors[0].message).toMatch(/10000\/tcp/);
      expect(await counts()).toEqual(before);
      const updated = await t
        .http()
        .patch(`/api/v1/publications/${published.id}`)
        .set('If-Match', '"1"')
        .send({
          ports: [
            { protocol: 'tcp', ports: { from: 1194, to: 1194 } },
            { protocol: 'tcp', ports: { from: 443, to: 443 } },
          ],
        })
        .expect(200);
      expect(updated.body).toMatchObject({
        version: 2,
        ports: [
          { protocol: 'tcp', ports: { from: 1194, to: 1194 }, externalFrom: null },
          { protocol: 'tcp', ports: { from: 443, to: 443 }, externalFrom: null },
        ],
      });
      const temp = await create(t, 'publications', {
        nodeId: master.id,
        deviceId: hqFw.id,
        ports: [{ protocol: 'udp', ports: { from: 514, to: 514 } }],
      });
      await t.http().delete(`/api/v1/publications/${temp.id}`).set('If-Match', '"1"').expect(204);
      const audit = await t.http().get(`/api/v1/audit?targetType=publication`).expect(200);
      const actions = audit.body.items.map(
        (e: { action: string; targetId: string }) => `${e.action} ${e.targetId}`,
      );
      expect(actions).toEqual(
        expect.arrayContaining([
          `publication.create ${published.id}`,
          `publication.update ${published.id}`,
          `publication.create ${temp.id}`,
          `publication.delete ${temp.id}`,
        ]),
      );
    });

    it('keeps publications true: refuses deleting or moving their node or device, and removing their interface', async () => {
      const device = await refused('delete', `devices/${hqFw.id}`, {}, 409);
      expect(device.referencedBy?.publications).toEqual([expect.objectContaining({ id: published.id })]);
      const node = await refused('delete', `nodes/${master.id}`, {}, 409);
      expect(node.referencedBy?.publications).toEqual([expect.objectContaining({ id: published.id })]);
      const cidr = await refused('patch', `nodes/${master.id}`, { addresses: ['10.10.10.0/28'] }, 409);
      expect(cidr.detail).toMatch(/no IPv4 host address/);
      const wan = await refused(
        'patch',
        `devices/${hqFw.id}`,
        { interfaces: [{ name: 'lan', zoneIds: [servers.id] }] },
        409,
      );
      expect(wan.detail).toMatch(/no external interface/);
      const addresses = await refused(
        'patch',
        `devices/${hqFw.id}`,
        {
          interfaces: [
            { name: 'lan', zoneIds: [servers.id] },
            { name: 'wan', external: true },
          ],
        },
        409,
      );
      expect(addresses.detail).toMatch(/lists no public address/);
    });

    it('works over GraphQL: create with default ports, Node/Device fields, update, codes in extensions', async () => {
      const node = await create(t, 'nodes', {
        siteId: hq.id,
        name: 'hq-console',
        role: 'console',
        addresses: ['10.10.10.9'],
      });
      const created = await t.gql<{
        createPublication: { id: string; ports: Port[]; node: { name: string } };
      }>(
        `mutation($input: CreatePublicationInput!) {
          createPublication(input: $input) { id ports { protocol ports { from to } externalFrom } node { name } }
        }`,
        {
          input: {
            nodeId: node.id,
            deviceId: hqFw.id,
            publicAddress: 'interface',
            ports: [{ protocol: 'tcp', ports: { from: 22, to: 22 }, externalFrom: 2222 }],
          },
        },
      );
      expect(created.errors).toBeUndefined();
      expect(created.data?.createPublication).toMatchObject({
        node: { name: 'hq-console' },
        ports: [{ protocol: 'tcp', ports: { from: 22, to: 22 }, externalFrom: 2222 }],
      });
      const id = created.data!.createPublication.id;
      const views = await t.gql<{
        device: { publications: { id: string }[] };
        node: { publications: { id: string }[] };
      }>(
        `query($device: ID!, $node: ID!) {
          device(id: $device) { publications { id } } node(id: $node) { publications { id } }
        }`,
        { device: hqFw.id, node: master.id },
      );
      expect(views.data?.device.publications.map((p) => p.id).sort()).toEqual([id, published.id].sort());
      expect(views.data?.node.publications.map((p) => p.id)).toEqual([published.id]);
      const never = await t.gql(
        `mutation($id: ID!) {
          updatePublication(id: $id, input: { ports: [{ protocol: tcp, ports: { from: 5432, to: 5432 } }] }) { id }
        }`,
        { id },
      );
      expect(never.errors?.[0].extensions).toMatchObject({
        code: 'BAD_USER_INPUT',
        errors: [
          expect.objectContaining({ field: 'ports.0.ports', message: expect.stringMatching(/5432\/tcp/) }),
        ],
      });
      const clash = await t.gql(
        `mutation($input: CreatePublicationInput!) { createPublication(input: $input) { id } }`,
        {
          input: {
            nodeId: master.id,
            deviceId: hqFw.id,
            interface: 'wan',
            publicAddress: 'interface',
            ports: [{ protocol: 'tcp', ports: { from: 2222, to: 2222 } }],
          },
        },
      );
      expect(clash.errors?.[0].extensions).toMatchObject({ code: 'CONFLICT', existingId: id });
      const updated = await t.gql<{ updatePublication: { version: number; description: string } }>(
        `mutation($id: ID!) { updatePublication(id: $id, input: { description: "ssh" }, expectedVersion: 1) { version description } }`,
        { id },
      );
      expect(updated.data?.updatePublication).toEqual({ version: 2, description: 'ssh' });
      const list = await t.gql<{ publications: { totalCount: number } }>(
        `query { publications(deviceId: "${hqFw.id}") { totalCount } }`,
      );
      expect(list.data?.publications.totalCount).toBe(2);
      const deleted = await t.gql(`mutation($id: ID!) { deletePublication(id: $id) { id } }`, { id });
      expect(deleted.errors).toBeUndefined();
    });
  });

  describe('tenant isolation', () => {
    it('hides links and publications from another tenant and refuses its use of them', async () => {
      const links = await t.as(globexToken).get('/api/v1/site-links').expect(200);
      const pubs = await t.as(globexToken).get('/api/v1/publications').expect(200);
      expect([links.body.total, pubs.body.total]).toEqual([0, 0]);
      const [link] = (await t.http().get('/api/v1/site-links').expect(200)).body.items as Created[];
      const [publication] = (await t.http().get('/api/v1/publications').expect(200)).body.items as Created[];
      await t.as(globexToken).get(`/api/v1/site-links/${link.id}`).expect(404);
      await t.as(globexToken).get(`/api/v1/publications/${publication.id}`).expect(404);
      await t
        .as(globexToken)
        .patch(`/api/v1/publications/${publication.id}`)
        .send({ description: 'x' })
        .expect(404);
      await t.as(globexToken).delete(`/api/v1/site-links/${link.id}`).expect(404);
      const use = await t
        .as(globexToken)
        .post('/api/v1/publications')
        .send({
          nodeId: master.id,
          deviceId: hqFw.id,
          ports: [{ protocol: 'tcp', ports: { from: 80, to: 80 } }],
        })
        .expect(400);
      expect(use.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['deviceId', 'nodeId']);
      await t
        .as(globexToken)
        .post('/api/v1/site-links')
        .send({ siteAId: hq.id, siteBId: branch.id, connectivity: 'routed' })
        .expect(400);
      const gql = await t.gql(
        `query($id: ID!) { publication(id: $id) { id } }`,
        { id: publication.id },
        globexToken,
      );
      expect(gql.errors?.[0].extensions?.code).toBe('NOT_FOUND');
      const own = await t.as(acmeToken).get('/api/v1/publications').expect(200);
      expect(own.body.total).toBe(1);
      expect((await t.as(acmeToken).get('/api/v1/site-links').expect(200)).body.total).toBe(1);
    });
  });

  describe('engine input', () => {
    async function engineRuleSets(): Promise<RuleSet[]> {
      const prisma = t.app.get(PrismaService);
      const flows = await asSystem(() => t.app.get(CatalogService).flows());
      return computeRuleSets(await asSystem(() => readInventory(prisma)), flows);
    }

    it('passes connectivity, onInternet, site links, public addresses and publications to the engine', async () => {
      const inventory = await asSystem(() => readInventory(t.app.get(PrismaService)));
      expect(inventory.sites).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ id: hq.id, connectivity: 'routed', onInternet: false }),
          expect.objectContaining({ id: branch.id, connectivity: 'internet', onInternet: false }),
          expect.objectContaining({ id: roaming.id, connectivity: 'internet', onInternet: true }),
        ]),
      );
      const [a, b] = [hq.id, branch.id].sort();
      expect(inventory.siteLinks).toEqual([{ siteAId: a, siteBId: b, connectivity: 'internet' }]);
      const wan = inventory.devices.find((d) => d.id === hqFw.id)?.interfaces.find((i) => i.name === 'wan');
      expect(wan?.publicAddresses).toEqual(['198.51.100.10', 'interface']);
      // Interfaces without public addresses stay as before (rule sets of existing inventories unchanged).
      expect(inventory.devices.find((d) => d.id === branchFw.id)?.interfaces[1]).not.toHaveProperty(
        'publicAddresses',
      );
      expect(inventory.publications).toEqual([
        expect.objectContaining({
          nodeId: master.id,
          deviceId: hqFw.id,
          interface: null,
          publicAddress: null,
          ports: [
            { protocol: 'tcp', ports: { from: 1194, to: 1194 }, externalFrom: null },
            { protocol: 'tcp', ports: { from: 443, to: 443 }, externalFrom: null },
          ],
        }),
      ]);
    });

    it('serves what a full computation gives after link and publication changes (REST and GraphQL)', async () => {
      const link = (await t.http().get('/api/v1/site-links').expect(200)).body.items[0] as Created;
      const service = t.app.get(RuleSetsService);
      await t.http().get(`/api/v1/devices/${hqFw.id}/ruleset`).expect(200);
      for (const connectivity of ['routed', 'internet']) {
        const loads = service.fullLoads;
        await t.http().patch(`/api/v1/site-links/${link.id}`).send({ connectivity }).expect(200);
        await t.http().get(`/api/v1/devices/${hqFw.id}/ruleset`).expect(200);
        // Caught up from the change log (a siteLinks change), not by reloading the whole inventory.
        expect(service.fullLoads).toBe(loads);
        const expected = await engineRuleSets();
        for (const device of [hqFw, branchFw]) {
          const rest = await t.http().get(`/api/v1/devices/${device.id}/ruleset`).expect(200);
          const want = expected.find((r) => r.deviceId === device.id)!;
          expect(rest.body.hash).toBe(want.hash);
          expect(rest.body.nat).toEqual(want.nat);
          expect(rest.body.natSemantics).toEqual(want.natSemantics);
        }
      }
      const gql = await t.gql<{ device: { ruleSet: { hash: string; nat: unknown; natSemantics: unknown } } }>(
        `query($id: ID!) { device(id: $id) { ruleSet { hash natSemantics nat { name externalAddress target publicationId } rules { name nat } } } }`,
        { id: hqFw.id },
      );
      expect(gql.errors).toBeUndefined();
      const want = (await engineRuleSets()).find((r) => r.deviceId === hqFw.id)!;
      expect(gql.data?.device.ruleSet.hash).toBe(want.hash);
      expect(gql.data?.device.ruleSet.natSemantics ?? undefined).toEqual(want.natSemantics);
    });

    /**
     * Waits for the engine of branch `engine-nat`: main's engine ignores publications and emits no `nat`. Runs as
     * soon as the engine emits NAT entries for this inventory (the agents at the internet-connected branch reach
     * the published master).
     */
    it('shows the NAT entry of the publication in the rule set of the forwarding device (engine-nat)', async ({
      skip,
    }) => {
      const publication = (await t.http().get('/api/v1/publications').expect(200)).body.items[0] as Created;
      // What the branch agents (and the roaming laptops) send their collector: 5044 and 1514-1516 published,
      // 55000 and 9000 not.
      await t
        .http()
        .patch(`/api/v1/publications/${publication.id}`)
        .send({
          ports: [
            { protocol: 'tcp', ports: { from: 5044, to: 5044 } },
            { protocol: 'tcp', ports: { from: 1514, to: 1516 } },
          ],
        })
        .expect(200);
      const want = (await engineRuleSets()).find((r) => r.deviceId === hqFw.id)!;
      if (!want.nat) skip();
      const rest = await t.http().get(`/api/v1/devices/${hqFw.id}/ruleset`).expect(200);
      expect(rest.body.natSemantics).toBe('filter-after-dnat');
      expect(rest.body.nat).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            publicationId: publication.id,
            nodeId: master.id,
            interface: 'wan',
            protocol: 'tcp',
            externalAddress: '198.51.100.10',
            target: '10.10.10.5',
            externalPorts: { from: 5044, to: 5044 },
            targetPorts: { from: 5044, to: 5044 },
          }),
        ]),
      );
      const natNames = new Set((rest.body.nat as { name: string }[]).map((n) => n.name));
      expect((rest.body.rules as { nat?: string }[]).some((r) => r.nat && natNames.has(r.nat))).toBe(true);
      const reach = await t.http().get(`/api/v1/reachability?from=${agents.id}&to=${master.id}`).expect(200);
      expect(reach.body.path).toBe('internet');
      expect(reach.body.unpublished).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ protocol: 'tcp', ports: expect.stringMatching(/9000/) }),
        ]),
      );
      const forwarding = (reach.body.hops as { deviceId: string; translations?: unknown[] }[]).find(
        (h) => h.deviceId === hqFw.id,
      );
      expect(forwarding?.translations).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            protocol: 'tcp',
            externalAddress: '198.51.100.10',
            externalPorts: { from: 5044, to: 5044 },
            target: '10.10.10.5',
            targetPorts: { from: 5044, to: 5044 },
          }),
        ]),
      );
      const gql = await t.gql<{ reachability: Record<string, unknown> }>(
        `query($from: ID!, $to: ID!) { reachability(from: $from, to: $to) {
          path unpublished { protocol ports } carried { flowId carrierFlowId text }
          hops { deviceId translations { natEntry protocol externalAddress externalPorts { from to } target
            targetPorts { from to } text } }
        } }`,
        { from: agents.id, to: master.id },
      );
      expect(gql.errors).toBeUndefined();
      const restHops = (reach.body.hops as { deviceId: string; translations?: unknown[] }[]).map((h) => ({
        deviceId: h.deviceId,
        translations: h.translations ?? null,
      }));
      expect(gql.data?.reachability).toEqual({
        path: reach.body.path,
        unpublished: reach.body.unpublished,
        carried: reach.body.carried ?? null,
        hops: restHops,
      });
    });
  });
});
