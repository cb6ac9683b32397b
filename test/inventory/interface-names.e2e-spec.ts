/**
 * Guard rail (issue #11 item 5): a plan computed against the live device warns about every interface the device
 * record names but the firewall does not have (`INTERFACE_UNKNOWN interfaces.N.name: …`), over REST and GraphQL,
 * for each vendor; FortiOS counts only the interfaces of the device's VDOM.
 */
import { startSimulator, type StartedSimulator, type Vendor } from '@app/simulators';
import { createTestApp, type TestApp } from '../utils/create-test-app';
import { create, type Created } from '../utils/fixtures';
import { simulatedDeployment, simulatedDevice, type SimulatedDeployment } from '../pushes/push-fixtures';

interface PlanBody {
  warnings: string[];
}

const unknownWarnings = (plan: PlanBody): string[] => plan.warnings.filter((w) => w.startsWith('INTERFACE_'));

describe('plan-time check of interface names against the live device', () => {
  let t: TestApp;
  const sims: StartedSimulator<Vendor>[] = [];

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => {
    await t.close();
    for (const sim of sims) await sim.stop();
  });

  async function plan(deviceId: string): Promise<PlanBody> {
    const res = await t.http().post(`/api/v1/devices/${deviceId}/plan`).expect(200);
    return res.body as PlanBody;
  }

  describe.each(['pfsense', 'opnsense'] as const)('%s (interfaces wan, lan, opt1, opt2)', (vendor) => {
    let sim: StartedSimulator<typeof vendor>;
    let d: SimulatedDeployment;

    beforeAll(async () => {
      sim = await startSimulator(vendor);
      sims.push(sim);
      d = await simulatedDeployment(t, sim, {}, `-${vendor}`);
    });

    it('has no interface warning when every configured interface exists', async () => {
      expect(unknownWarnings(await plan(d.device.id))).toEqual([]);
    });

    it('warns INTERFACE_UNKNOWN naming interfaces.N.name for opt9, over REST and GraphQL, writing nothing', async () => {
      await t
        .http()
        .patch(`/api/v1/devices/${d.device.id}`)
        .send({
          interfaces: [
            { name: 'opt1', zoneIds: [d.servers.id] },
            { name: 'opt9', zoneIds: [d.lan.id] },
            { name: 'wan', external: true },
          ],
        })
        .expect(200);
      sim.calls.reset();
      const rest = await plan(d.device.id);
      expect(unknownWarnings(rest)).toEqual([
        expect.stringMatching(
          new RegExp(
            `^INTERFACE_UNKNOWN interfaces\\.1\\.name: device hq-fw-${vendor} has no interface "opt9"`,
          ),
        ),
      ]);
      expect(sim.calls.writes()).toBe(0);

      const gql = await t.gql<{ planDevice: PlanBody }>(
        `mutation($id: ID!) { planDevice(id: $id) { warnings } }`,
        { id: d.device.id },
      );
      expect(gql.errors).toBeUndefined();
      expect(unknownWarnings(gql.data!.planDevice)).toEqual(unknownWarnings(rest));
    });
  });

  describe('fortios with VDOMs root and cust', () => {
    let sim: StartedSimulator<'fortios'>;

    beforeAll(async () => {
      sim = await startSimulator('fortios', {
        vdoms: ['root', 'cust'],
        interfaces: ['port1', 'port2', 'port3', 'port4', 'port5'],
        interfaceVdoms: { port3: 'cust', port4: 'cust', port5: 'cust' },
      });
      sims.push(sim);
    });

    let deviceId: string;
    let servers: Created;
    let lan: Created;

    beforeAll(async () => {
      const site = await create(t, 'sites', { name: 'FGT-cust' });
      servers = await create(t, 'zones', { siteId: site.id, name: 'servers', cidrs: ['10.7.10.0/24'] });
      lan = await create(t, 'zones', { siteId: site.id, name: 'lan', cidrs: ['10.7.20.0/24'] });
      const master = await create(t, 'nodes', {
        siteId: site.id,
        name: 'fgt-master',
        role: 'master',
        addresses: ['10.7.10.5'],
      });
      await create(t, 'nodes', {
        siteId: site.id,
        name: 'fgt-agents',
        role: 'agent',
        addresses: ['10.7.20.0/24'],
        collectorId: master.id,
      });
      const device = await simulatedDevice(t, sim, site.id, 'fgt-cust', interfaces('port5'), {
        vdom: 'cust',
      });
      deviceId = device.id;
    });

    const interfaces = (external: string): Record<string, unknown>[] => [
      { name: 'port3', zoneIds: [servers.id] },
      { name: 'port4', zoneIds: [lan.id] },
      { name: external, external: true },
    ];

    it('has no interface warning when every interface is in the VDOM', async () => {
      expect(unknownWarnings(await plan(deviceId))).toEqual([]);
    });

    it("warns about an interface of another VDOM (port1 is root's)", async () => {
      await t
        .http()
        .patch(`/api/v1/devices/${deviceId}`)
        .send({ interfaces: interfaces('port1') })
        .expect(200);
      expect(unknownWarnings(await plan(deviceId))).toEqual([
        expect.stringMatching(
          /^INTERFACE_UNKNOWN interfaces\.2\.name: device fgt-cust has no interface "port1" \(it has: port3, port4, port5\)/,
        ),
      ]);
    });
  });
});
