/**
 * Deployments through the API (issue #11): CRUD with the inventory's conventions, nodes bound to their
 * deployment (collectors and masters never cross it), the compatibility rule for clients that send no
 * deploymentId, and a second customer's deployment leaving the first one's rule sets untouched.
 */
import { handCheckedInventory } from '@app/engine/testing/hand-checked.fixture';
import { createTestApp, type TestApp } from '../utils/create-test-app';
import { create, type Created, snapshotCounts } from '../utils/fixtures';
import { seedInventory } from '../utils/seed-inventory';

interface Problem {
  status: number;
  code: string;
  detail?: string;
  errors?: { field: string; message: string }[];
  referencedBy?: Record<string, { id: string; name: string }[]>;
}

describe('deployments', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  async function counts(): Promise<Record<string, number>> {
    const deployments = await t.http().get('/api/v1/deployments?limit=500').expect(200);
    return { ...(await snapshotCounts(t)), deployments: (deployments.body as { total: number }).total };
  }

  /** Sends a write that must be refused with `status` naming `field`, and proves nothing changed. */
  async function refused(
    method: 'post' | 'patch' | 'delete',
    path: string,
    body: object | undefined,
    status: number,
    field?: string,
  ): Promise<Problem> {
    const before = await counts();
    const req = t.http()[method](`/api/v1/${path}`);
    const res = await (body ? req.send(body) : req);
    expect(res.status).toBe(status);
    const problem = res.body as Problem;
    if (field) expect(problem.errors?.map((e) => e.field)).toContain(field);
    expect(await counts()).toEqual(before);
    return problem;
  }

  describe('nodes created without deploymentId (clients written before deployments)', () => {
    let site: Created;

    it('creates a "default" deployment on demand, then joins the only one, then requires the field', async () => {
      site = await create(t, 'sites', { name: 'Compat' });
      expect((await t.http().get('/api/v1/deployments').expect(200)).body.total).toBe(0);
      const first = await create(t, 'nodes', {
        siteId: site.id,
        name: 'm',
        role: 'master',
        addresses: ['10.200.0.1'],
      });
      const list = await t.http().get('/api/v1/deployments').expect(200);
      expect(list.body.items).toEqual([
        expect.objectContaining({ name: 'default', catalogVersion: 'utmstack-v9', version: 1 }),
      ]);
      expect(first.deploymentId).toBe(list.body.items[0].id);
      const audit = await t
        .http()
        .get(`/api/v1/audit?action=deployment.create&targetId=${first.deploymentId as string}`)
        .expect(200);
      expect(audit.body.items).toHaveLength(1);

      const second = await create(t, 'nodes', {
        siteId: site.id,
        name: 'a',
        role: 'agent',
        addresses: ['10.200.0.10'],
      });
      expect(second.deploymentId).toBe(first.deploymentId);

      await create(t, 'deployments', { name: 'Other' });
      const problem = await refused(
        'post',
        'nodes',
        { siteId: site.id, name: 'b', role: 'agent', addresses: ['10.200.0.11'] },
        400,
        'deploymentId',
      );
      expect(problem.errors).toEqual([
        { field: 'deploymentId', message: 'deploymentId is required when there are several deployments' },
      ]);
    });
  });

  describe('CRUD', () => {
    it('creates, reads, lists with filters, updates with If-Match and audits', async () => {
      const created = await t
        .http()
        .post('/api/v1/deployments')
        .send({ name: 'Acme', description: 'Acme Corp', catalogVersion: 'utmstack-v11' })
        .expect(201);
      expect(created.body).toMatchObject({
        name: 'Acme',
        description: 'Acme Corp',
        catalogVersion: 'utmstack-v11',
        version: 1,
      });
      const id = created.body.id as string;
      const read = await t.http().get(`/api/v1/deployments/${id}`).expect(200);
      expect(read.headers.etag).toBe('"1"');
      const filtered = await t
        .http()
        .get('/api/v1/deployments?catalogVersion=utmstack-v11&q=acm')
        .expect(200);
      expect(filtered.body.items.map((d: { name: string }) => d.name)).toEqual(['Acme']);
      const page = await t.http().get('/api/v1/deployments?limit=1&offset=1').expect(200);
      expect(page.body).toMatchObject({ limit: 1, offset: 1 });

      await t
        .http()
        .patch(`/api/v1/deployments/${id}`)
        .set('If-Match', '"7"')
        .send({ description: 'stale' })
        .expect(412);
      const updated = await t
        .http()
        .patch(`/api/v1/deployments/${id}`)
        .set('If-Match', '"1"')
        .send({ description: 'Acme Corporation' })
        .expect(200);
      expect(updated.body).toMatchObject({ description: 'Acme Corporation', version: 2 });
      const audit = await t.http().get(`/api/v1/audit?action=deployment.update&targetId=${id}`).expect(200);
      expect(audit.body.items[0]).toMatchObject({
        before: expect.objectContaining({ description: 'Acme Corp' }),
        after: expect.objectContaining({ description: 'Acme Corporation' }),
      });
    });

    it('replays a POST sent again with the same Idempotency-Key', async () => {
      const send = () =>
        t.http().post('/api/v1/deployments').set('Idempotency-Key', 'dep-1').send({ name: 'Idem' });
      const first = await send().expect(201);
      const again = await send().expect(201);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(again.body.id).toBe(first.body.id);
    });

    it('refuses bad input with field-level problems and changes nothing', async () => {
      await refused(
        'post',
        'deployments',
        { name: 'X', catalogVersion: 'utmstack-v1' },
        400,
        'catalogVersion',
      );
      await refused('post', 'deployments', { description: 'no name' }, 400, 'name');
      await refused('post', 'deployments', { name: 'Acme' }, 409, 'name');
    });

    it('serves the same over GraphQL', async () => {
      const res = await t.gql<{
        createDeployment: { id: string; name: string; catalogVersion: string };
      }>(
        'mutation($input: CreateDeploymentInput!) { createDeployment(input: $input) { id name catalogVersion } }',
        { input: { name: 'Gql', catalogVersion: 'utmstack-v9' } },
      );
      expect(res.errors).toBeUndefined();
      const id = res.data!.createDeployment.id;
      const site = await create(t, 'sites', { name: 'GqlSite' });
      await create(t, 'nodes', {
        siteId: site.id,
        deploymentId: id,
        name: 'gql-master',
        role: 'master',
        addresses: ['10.201.0.1'],
      });
      const read = await t.gql<{
        deployment: { name: string; nodes: { name: string; deployment: { name: string } }[] };
        deployments: { totalCount: number };
        nodes: { nodes: { name: string }[] };
      }>(
        `query($id: ID!) {
          deployment(id: $id) { name nodes { name deployment { name } } }
          deployments(q: "gql") { totalCount }
          nodes(deploymentId: $id) { nodes { name } }
        }`,
        { id },
      );
      expect(read.errors).toBeUndefined();
      expect(read.data).toEqual({
        deployment: { name: 'Gql', nodes: [{ name: 'gql-master', deployment: { name: 'Gql' } }] },
        deployments: { totalCount: 1 },
        nodes: { nodes: [{ name: 'gql-master' }] },
      });
      const refusedDelete = await t.gql('mutation($id: ID!) { deleteDeployment(id: $id) { id } }', { id });
      expect(refusedDelete.errors?.[0].extensions?.code).toBe('CONFLICT');
    });
  });

  describe('nodes stay in their deployment', () => {
    let acme: Created;
    let beta: Created;
    let site: Created;
    let acmeMaster: Created;
    let betaMaster: Created;
    let acmeProbe: Created;
    let acmeAgents: Created;

    beforeAll(async () => {
      acme = await create(t, 'deployments', { name: 'Acme-2' });
      beta = await create(t, 'deployments', { name: 'Beta-2' });
      site = await create(t, 'sites', { name: 'DC' });
      const node = (deployment: Created, name: string, role: string, address: string) =>
        create(t, 'nodes', {
          siteId: site.id,
          deploymentId: deployment.id,
          name,
          role,
          addresses: [address],
        });
      acmeMaster = await node(acme, 'acme-master', 'master', '10.210.0.1');
      betaMaster = await node(beta, 'beta-master', 'master', '10.210.0.2');
      acmeProbe = await node(acme, 'acme-probe', 'probe', '10.210.0.3');
      acmeAgents = await node(acme, 'acme-agents', 'agent', '10.210.1.0/24');
    });

    it('refuses a collector, a master or a deployment that does not fit, naming the field', async () => {
      const collector = await refused(
        'patch',
        `nodes/${acmeAgents.id}`,
        { collectorId: betaMaster.id },
        400,
        'collectorId',
      );
      expect(collector.errors?.[0].message).toMatch(/another deployment/);
      await refused(
        'post',
        'nodes',
        {
          siteId: site.id,
          deploymentId: beta.id,
          name: 'beta-agents',
          role: 'agent',
          addresses: ['10.210.2.0/24'],
          collectorId: acmeMaster.id,
        },
        400,
        'collectorId',
      );
      const master = await refused(
        'patch',
        `nodes/${acmeProbe.id}`,
        { masterId: betaMaster.id },
        400,
        'masterId',
      );
      expect(master.errors?.[0].message).toMatch(/another deployment/);
      await refused('patch', `nodes/${acmeProbe.id}`, { masterId: acmeAgents.id }, 400, 'masterId');
      await refused('patch', `nodes/${acmeAgents.id}`, { masterId: acmeMaster.id }, 400, 'masterId');
      await refused(
        'patch',
        `nodes/${acmeAgents.id}`,
        { deploymentId: '00000000-0000-4000-8000-000000000000' },
        400,
        'deploymentId',
      );
      const probe = await refused(
        'patch',
        `nodes/${acmeProbe.id}`,
        { collectorId: acmeMaster.id },
        400,
        'collectorId',
      );
      expect(probe.errors?.[0].message).toMatch(/set masterId/);
    });

    it("accepts a probe's master of its own deployment and filters nodes and sites by deployment", async () => {
      const probe = await t
        .http()
        .patch(`/api/v1/nodes/${acmeProbe.id}`)
        .send({ masterId: acmeMaster.id })
        .expect(200);
      expect(probe.body).toMatchObject({ deploymentId: acme.id, masterId: acmeMaster.id });
      const nodes = await t.http().get(`/api/v1/nodes?deploymentId=${beta.id}`).expect(200);
      expect(nodes.body.items.map((n: { name: string }) => n.name)).toEqual(['beta-master']);
      const sites = await t.http().get(`/api/v1/sites?deploymentId=${beta.id}`).expect(200);
      expect(sites.body.items.map((s: { name: string }) => s.name)).toEqual(['DC']);
      const none = await t.http().get(`/api/v1/sites?deploymentId=${acme.id}&q=Compat`).expect(200);
      expect(none.body.total).toBe(0);
    });

    it('refuses to move a master away from its probe, and to delete a deployment with nodes', async () => {
      await refused('patch', `nodes/${acmeMaster.id}`, { deploymentId: beta.id }, 409, 'deploymentId');
      const problem = await refused('delete', `deployments/${acme.id}`, undefined, 409);
      expect(problem.referencedBy?.nodes.map((n) => n.name)).toEqual([
        'acme-agents',
        'acme-master',
        'acme-probe',
      ]);
    });

    it("refuses a catalog version whose collector roles its nodes' collectors do not fit", async () => {
      await t.http().patch(`/api/v1/nodes/${acmeAgents.id}`).send({ collectorId: acmeProbe.id }).expect(200);
      // utmstack-v11 collects on a collector agent or the master, never on a probe
      const problem = await refused(
        'patch',
        `deployments/${acme.id}`,
        { catalogVersion: 'utmstack-v11' },
        409,
        'catalogVersion',
      );
      expect(problem.referencedBy?.nodes.map((n) => n.name)).toEqual(['acme-agents']);
      await refused('patch', `sites/${site.id}`, { catalogVersion: 'utmstack-v11' }, 409, 'catalogVersion');
    });

    it('deletes a deployment and its nodes with cascade', async () => {
      await t.http().delete(`/api/v1/deployments/${acme.id}?cascade=true`).expect(204);
      await t.http().get(`/api/v1/nodes/${acmeMaster.id}`).expect(404);
      await t.http().get(`/api/v1/nodes/${betaMaster.id}`).expect(200);
      const audit = await t
        .http()
        .get(`/api/v1/audit?action=deployment.delete.cascade&targetId=${acme.id}`)
        .expect(200);
      expect(audit.body.items).toHaveLength(1);
    });
  });
});

describe("a second customer's deployment (issue #11)", () => {
  let t: TestApp;
  let ids: Map<string, string>;

  beforeAll(async () => {
    t = await createTestApp();
    const inventory = handCheckedInventory('utmstack-v9');
    ids = await seedInventory(t, {
      ...inventory,
      deployments: [{ id: 'main', name: 'Main', catalogVersion: 'utmstack-v9' }],
      sites: inventory.sites.map((s) => ({ ...s, catalogVersion: null })),
      nodes: inventory.nodes.map((n) => ({ ...n, deploymentId: 'main' })),
    });
  });
  afterAll(() => t.close());

  it("changes none of the first customer's rule sets and is never reachable from it", async () => {
    const hashes = async () =>
      Promise.all(
        ['hq-fw', 'br1-fw'].map(
          async (d) =>
            (
              await t
                .http()
                .get(`/api/v1/devices/${ids.get(d)!}/ruleset`)
                .expect(200)
            ).body.hash,
        ),
      );
    const before = await hashes();
    const acme = await create(t, 'deployments', { name: 'Acme' });
    const site = await create(t, 'sites', { name: 'Acme-HQ' });
    await create(t, 'zones', { siteId: site.id, name: 'servers', cidrs: ['10.50.0.0/24'] });
    const master = await create(t, 'nodes', {
      siteId: site.id,
      deploymentId: acme.id,
      name: 'acme-master',
      role: 'master',
      addresses: ['10.50.0.5'],
    });
    expect(await hashes()).toEqual(before);

    const trace = await t
      .http()
      .get(`/api/v1/reachability?from=${ids.get('br1-probe')!}&to=${master.id}`)
      .expect(200);
    expect(trace.body).toMatchObject({
      fromDeployment: { id: ids.get('main'), name: 'Main' },
      toDeployment: { id: acme.id, name: 'Acme' },
      flows: [],
      allowed: false,
    });
  });
});
