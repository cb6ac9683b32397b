import { startSimulator, type StartedSimulator } from '@app/simulators';
import { createTestApp, type TestApp } from '../utils/create-test-app';
import { create, type Created } from '../utils/fixtures';
import { simulatedDevice } from './push-fixtures';
import { requestPush, waitForPush } from './push-helpers';

interface PlanBody {
  changes: { kind: string; op: string; name: string; after: Record<string, unknown> | null }[];
}

/**
 * A publication through the API ends as a port forward on the firewall: the rule set carries the NAT entry, the
 * plan creates it (kind `nat`) beside the rule admitting it, and a push writes it to the pfSense simulator.
 */
describe('publications planned and pushed (pfSense simulator)', () => {
  let t: TestApp;
  let sim: StartedSimulator<'pfsense'>;
  let device: Created;
  let publication: Created;

  beforeAll(async () => {
    sim = await startSimulator('pfsense');
    t = await createTestApp();
    const hq = await create(t, 'sites', { name: 'HQ' });
    const roaming = await create(t, 'sites', { name: 'Roaming', onInternet: true });
    const servers = await create(t, 'zones', { siteId: hq.id, name: 'servers', cidrs: ['10.1.10.0/24'] });
    const master = await create(t, 'nodes', {
      siteId: hq.id,
      name: 'hq-master',
      role: 'master',
      addresses: ['10.1.10.5'],
    });
    await create(t, 'nodes', {
      siteId: roaming.id,
      name: 'laptops',
      role: 'agent',
      addresses: ['0.0.0.0/0'],
      collectorId: master.id,
    });
    device = await simulatedDevice(t, sim, hq.id, 'hq-fw', [
      { name: 'opt1', zoneIds: [servers.id] },
      { name: 'wan', external: true, publicAddresses: ['198.51.100.10'] },
    ]);
    publication = await create(t, 'publications', {
      nodeId: master.id,
      deviceId: device.id,
      ports: [{ protocol: 'tcp', ports: { from: 5044, to: 5044 } }],
    });
  });
  afterAll(async () => {
    await t.close();
    await sim.stop();
  });

  it('plans the NAT entry (kind nat) beside the rule that admits it, over REST and GraphQL', async () => {
    const ruleSet = await t.http().get(`/api/v1/devices/${device.id}/ruleset`).expect(200);
    expect(ruleSet.body.natSemantics).toBe('filter-after-dnat');
    const [entry] = ruleSet.body.nat as { name: string; publicationId: string }[];
    expect(entry.publicationId).toBe(publication.id);
    const plan = (await t.http().post(`/api/v1/devices/${device.id}/plan`).expect(200)).body as PlanBody;
    const nat = plan.changes.filter((c) => c.kind === 'nat');
    expect(nat).toEqual([
      expect.objectContaining({
        op: 'create',
        name: entry.name,
        after: expect.objectContaining({
          interface: 'wan',
          protocol: 'tcp',
          externalAddress: '198.51.100.10',
          externalPorts: { from: 5044, to: 5044 },
          target: '10.1.10.5',
        }),
      }),
    ]);
    const admitting = (ruleSet.body.rules as { name: string; nat?: string }[]).find(
      (r) => r.nat === entry.name,
    );
    expect(plan.changes.map((c) => c.name)).toContain(admitting?.name);
    const gql = await t.gql<{ planDevice: { changes: { kind: string; name: string }[] } }>(
      `mutation($id: ID!) { planDevice(id: $id) { changes { kind name } } }`,
      { id: device.id },
    );
    expect(gql.data?.planDevice.changes.filter((c) => c.kind === 'nat')).toEqual([
      { kind: 'nat', name: entry.name },
    ]);
  });

  it('pushes the port forward to the device; the push records the nat change', async () => {
    const push = await waitForPush(t, (await requestPush(t, device.id, { reason: 'publish' })).id);
    expect(push.state, JSON.stringify(push.errorMessage)).toBe('succeeded');
    expect(push.plan?.changes).toEqual(expect.arrayContaining([expect.objectContaining({ op: 'create' })]));
    expect(JSON.stringify(push.plan)).toContain('"kind":"nat"');
    expect(sim.simulator.state.nat).toHaveLength(1);
    const again = await waitForPush(t, (await requestPush(t, device.id)).id);
    expect(again.state).toBe('noop');
  });
});
