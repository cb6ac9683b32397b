import { startSimulator, type StartedSimulator } from '@app/simulators';
import { createTestApp, type TestApp } from '../utils/create-test-app';
import { simulatedDeployment, type SimulatedDeployment } from './push-fixtures';

interface PlanBody {
  deviceId: string;
  vendor: string;
  ruleSetHash: string;
  empty: boolean;
  summary: { create: number; update: number; delete: number; reorder: number };
  changes: { id: string; kind: string; op: string; name: string; after: unknown }[];
}

describe('plan (dry run against the live device)', () => {
  let t: TestApp;
  let sim: StartedSimulator<'pfsense'>;
  let d: SimulatedDeployment;

  beforeAll(async () => {
    sim = await startSimulator('pfsense');
    t = await createTestApp();
    d = await simulatedDeployment(t, sim);
  });
  afterAll(async () => {
    await t.close();
    await sim.stop();
  });

  it('reads the pfSense simulator and lists every change of the rule set, writing nothing', async () => {
    const ruleSet = await t.http().get(`/api/v1/devices/${d.device.id}/ruleset`).expect(200);
    sim.calls.reset();
    const res = await t.http().post(`/api/v1/devices/${d.device.id}/plan`).expect(200);
    const plan = res.body as PlanBody;
    expect(plan).toMatchObject({
      deviceId: d.device.id,
      vendor: 'pfsense',
      ruleSetHash: ruleSet.body.hash,
      empty: false,
    });
    const creates = plan.changes.filter((c) => c.op === 'create');
    expect(creates.map((c) => c.name)).toEqual(
      expect.arrayContaining([
        ...ruleSet.body.addresses.map((a: { name: string }) => a.name),
        ...ruleSet.body.rules.map((r: { name: string }) => r.name),
      ]),
    );
    expect(plan.summary.create).toBe(creates.length);
    expect(sim.calls.count()).toBeGreaterThan(0);
    expect(sim.calls.writes()).toBe(0);
    expect(sim.simulator.state.aliases).toEqual([]);
  });

  it('answers the same plan over GraphQL', async () => {
    const rest = await t.http().post(`/api/v1/devices/${d.device.id}/plan`).expect(200);
    const gql = await t.gql<{ planDevice: PlanBody }>(
      `mutation($id: ID!) { planDevice(id: $id) { deviceId vendor ruleSetHash empty pendingCommit warnings
        summary { create update delete reorder } changes { id kind op name before after } } }`,
      { id: d.device.id },
    );
    expect(gql.errors).toBeUndefined();
    expect(gql.data!.planDevice).toEqual(rest.body);
  });

  it('needs the push scope and answers 404 for an unknown device', async () => {
    const reader = await t.token(['read']);
    await t.as(reader).post(`/api/v1/devices/${d.device.id}/plan`).expect(403);
    const pusher = await t.token(['push']);
    await t.as(pusher).post(`/api/v1/devices/${d.device.id}/plan`).expect(200);
    await t.http().post('/api/v1/devices/00000000-0000-4000-8000-000000000000/plan').expect(404);
  });

  it('reports an unreachable or refusing device as a classified upstream error', async () => {
    sim.faults.add({ path: '/api/v2/firewall/aliases', fault: { type: 'status', status: 401 }, times: 1 });
    const res = await t.http().post(`/api/v1/devices/${d.device.id}/plan`).expect(502);
    expect(res.body).toMatchObject({ code: 'UPSTREAM_ERROR', errorClass: 'authentication' });
    sim.faults.clear();
  });
});
