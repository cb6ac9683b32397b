import { computeRuleSets } from '@app/engine';
import { handCheckedInventory } from '@app/engine/testing/hand-checked.fixture';
import { CatalogService } from '../../apps/api/src/catalog/catalog.service';
import { PrismaService } from '../../apps/api/src/database/prisma.service';
import { readInventory, RuleSetsService } from '../../apps/api/src/rules/rule-sets.service';
import { asSystem } from '../../apps/api/src/tenants/tenant-scope';
import { createTestApp, type TestApp } from '../utils/create-test-app';
import { create } from '../utils/fixtures';
import { seedInventory } from '../utils/seed-inventory';

/**
 * The service catches up from the change log (only the changed rows, only the devices they can affect)
 * and must then serve exactly what a full computation of the database's inventory gives.
 */
describe('incremental rule sets through the change log', () => {
  let t: TestApp;
  let ids: Map<string, string>;
  let service: RuleSetsService;

  beforeAll(async () => {
    t = await createTestApp();
    ids = await seedInventory(t, handCheckedInventory('utmstack-v9'));
    service = t.app.get(RuleSetsService);
  });
  afterAll(() => t.close());

  /** Every device's rule set over REST has the hash of a full computation of the database's inventory. */
  async function expectFullComputation(): Promise<void> {
    const prisma = t.app.get(PrismaService);
    const flows = await asSystem(() => t.app.get(CatalogService).flows());
    const full = computeRuleSets(await asSystem(() => readInventory(prisma)), flows);
    expect(full.length).toBeGreaterThan(1);
    for (const ruleSet of full) {
      const res = await t.http().get(`/api/v1/devices/${ruleSet.deviceId}/ruleset`).expect(200);
      expect({ device: ruleSet.deviceName, hash: res.body.hash }).toEqual({
        device: ruleSet.deviceName,
        hash: ruleSet.hash,
      });
    }
  }

  it('reports readiness once the rule sets found at start are computed', async () => {
    let res = await t.anon().get('/health?ready=true');
    for (let i = 0; i < 240 && res.status !== 200; i++) {
      await new Promise((r) => setTimeout(r, 250));
      res = await t.anon().get('/health?ready=true');
    }
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'ok', ruleSets: 'ready' });
    expect(service.state).toBe('ready');
  });

  it('follows node, zone, device, site and catalog changes without reloading the inventory', async () => {
    await expectFullComputation();
    const loads = service.fullLoads;
    const hashes = async (): Promise<string[]> =>
      Promise.all(
        ['hq-fw', 'br1-fw'].map(
          async (d) =>
            (
              await t
                .http()
                .get(`/api/v1/devices/${ids.get(d)}/ruleset`)
                .expect(200)
            ).body.hash,
        ),
      );
    const steps: Array<[string, () => Promise<unknown>]> = [];
    let agent = '';
    let probe = '';
    steps.push([
      'new agent at br1',
      async () => {
        agent = (
          await create(t, 'nodes', {
            siteId: ids.get('br1'),
            name: 'br1-new',
            role: 'agent',
            addresses: ['10.2.10.99'],
          })
        ).id;
      },
    ]);
    steps.push([
      'agent readdressed',
      () =>
        t
          .http()
          .patch(`/api/v1/nodes/${agent}`)
          .send({ addresses: ['10.2.10.98', '10.2.10.97'] })
          .expect(200),
    ]);
    steps.push([
      'master renamed',
      () =>
        t
          .http()
          .patch(`/api/v1/nodes/${ids.get('hq-master')}`)
          .send({ name: 'hq-master-2' })
          .expect(200),
    ]);
    steps.push([
      'probe at hq: a new default collector there',
      async () => {
        probe = (
          await create(t, 'nodes', {
            siteId: ids.get('hq'),
            name: 'hq-probe',
            role: 'probe',
            addresses: ['10.1.10.9'],
          })
        ).id;
      },
    ]);
    steps.push([
      'agent collected by the new probe',
      () => t.http().patch(`/api/v1/nodes/${agent}`).send({ collectorId: probe }).expect(200),
    ]);
    // Selectors and a probe's master travel in the change log's node content as well (RuleSetsService.head).
    steps.push([
      "switch's selectors: cisco replaced by netflow",
      () =>
        t
          .http()
          .patch(`/api/v1/nodes/${ids.get('br1-switch')}`)
          .send({ selectors: ['syslog', 'netflow'] })
          .expect(200),
    ]);
    let branchProbe = '';
    steps.push([
      'probe at br1 pinned to the master',
      async () => {
        branchProbe = (
          await create(t, 'nodes', {
            siteId: ids.get('br1'),
            name: 'br1-probe-b',
            role: 'probe',
            addresses: ['10.2.10.7'],
            masterId: ids.get('hq-master'),
          })
        ).id;
      },
    ]);
    steps.push(['agent deleted', () => t.http().delete(`/api/v1/nodes/${agent}`).expect(204)]);
    steps.push(['branch probe deleted', () => t.http().delete(`/api/v1/nodes/${branchProbe}`).expect(204)]);
    steps.push(['probe deleted', () => t.http().delete(`/api/v1/nodes/${probe}`).expect(204)]);
    steps.push([
      'zone narrowed',
      () =>
        t
          .http()
          .patch(`/api/v1/zones/${ids.get('br1-lan')}`)
          .send({ cidrs: ['10.2.10.0/28'] })
          .expect(200),
    ]);
    steps.push([
      'device renamed',
      () =>
        t
          .http()
          .patch(`/api/v1/devices/${ids.get('br1-fw')}`)
          .send({ name: 'br1-fw-2' })
          .expect(200),
    ]);
    steps.push([
      'site renamed',
      () =>
        t
          .http()
          .patch(`/api/v1/sites/${ids.get('br1')}`)
          .send({ name: 'Branch-One' })
          .expect(200),
    ]);
    steps.push([
      'custom flow',
      () =>
        t
          .http()
          .post('/api/v1/catalog/flows')
          .send({
            id: 'custom-x',
            version: 'utmstack-v9',
            from: 'agent',
            to: 'master',
            protocol: 'tcp',
            ports: '7000',
            purpose: 'x',
          })
          .expect(201),
    ]);
    for (const [label, step] of steps) {
      const before = await hashes();
      await step();
      // Every step but the site rename (names of single nodes do not mention their site) changes a rule set.
      if (label !== 'site renamed') expect(await hashes(), label).not.toEqual(before);
      await expectFullComputation();
    }
    expect(service.fullLoads).toBe(loads);
  });
});
