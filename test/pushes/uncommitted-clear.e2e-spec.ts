import { startSimulator, type StartedSimulator } from '@app/simulators';
import { PrismaService } from '../../apps/api/src/database/prisma.service';
import { PrismaPendingStateStore } from '../../apps/api/src/pushes/device-pending-state';
import { PushRunner } from '../../apps/api/src/pushes/push-runner.service';
import { createTestApp, type TestApp } from '../utils/create-test-app';
import { create } from '../utils/fixtures';
import { simulatedDeployment, type SimulatedDeployment } from './push-fixtures';
import { requestPush, waitForPush } from './push-helpers';

/**
 * A pfSense push records `uncommitted: true` before its first write, and clears it after the commit in the
 * statement that records the push's end, not in a statement of its own. If that statement never runs (the
 * database or the process goes away), the flag stays set and the next attempt applies once more.
 */
describe('pushes: the uncommitted flag is cleared with the push record', () => {
  let t: TestApp;
  let sim: StartedSimulator<'pfsense'>;
  let d: SimulatedDeployment;
  let prisma: PrismaService;

  beforeAll(async () => {
    sim = await startSimulator('pfsense');
    t = await createTestApp({ pushRetryDelaySeconds: 1, pushMaxAttempts: 3 });
    d = await simulatedDeployment(t, sim);
    prisma = t.app.get(PrismaService);
  });
  afterAll(async () => {
    vi.restoreAllMocks();
    await t.close();
    await sim.stop();
  });

  const uncommitted = async (): Promise<boolean | undefined> =>
    (await prisma.devicePendingState.findUnique({ where: { deviceId: d.device.id } }))?.uncommitted;

  it('one pending-state write per push (before the first device write); the record clears the flag', async () => {
    const records = vi.spyOn(PrismaPendingStateStore.prototype, 'record');
    try {
      const done = await waitForPush(t, (await requestPush(t, d.device.id)).id);
      expect(done.state).toBe('succeeded');
      expect(done.writes).toBeGreaterThan(0);
      expect(records.mock.calls).toEqual([[{ uncommitted: true }]]);
      expect(await uncommitted()).toBe(false);
      expect(sim.simulator.hasUnappliedChanges()).toBe(false);
    } finally {
      records.mockRestore();
    }
  });

  it('a record statement that fails leaves the flag set, and the retry applies once more', async () => {
    // A syslog source in lan: the next push writes again.
    await create(t, 'nodes', {
      siteId: d.hq.id,
      name: 'lan-switch',
      role: 'agentless',
      addresses: ['10.1.20.30'],
      selectors: ['syslog'],
      collectorId: d.master.id,
    });
    // record is private: the runner is asked for as the shape it has.
    const runner = t.app.get<PushRunner, { record: (...args: unknown[]) => Promise<unknown> }>(PushRunner);
    const record = vi
      .spyOn(runner, 'record')
      .mockRejectedValueOnce(new Error('the database went away before the push was recorded'));
    try {
      const id = (await requestPush(t, d.device.id)).id;
      await vi.waitFor(() => expect(record).toHaveBeenCalledTimes(1), { timeout: 30_000 });
      // Committed on the device, not recorded: the row still says so.
      expect(await uncommitted()).toBe(true);
      const done = await waitForPush(t, id);
      expect(done).toMatchObject({ state: 'succeeded', attempts: 2 });
      expect(done.events.map((e) => e.message)).toEqual(
        expect.arrayContaining([expect.stringMatching(/never applied: this push applies them/)]),
      );
      expect(await uncommitted()).toBe(false);
      expect(sim.simulator.hasUnappliedChanges()).toBe(false);
    } finally {
      record.mockRestore();
    }
  });
});
