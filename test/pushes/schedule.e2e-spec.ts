import { startSimulator, type StartedSimulator } from '@app/simulators';
import { latestSlot, PushScheduler } from '../../apps/api/src/pushes/push-scheduler.service';
import { createTestApp, type TestApp } from '../utils/create-test-app';
import { simulatedDeployment, simulatedDevice, type SimulatedDeployment } from './push-fixtures';
import { requestPush, waitFor, waitForPush, type PushBody } from './push-helpers';

async function scheduled(t: TestApp, deviceId: string): Promise<PushBody[]> {
  const res = await t
    .http()
    .get(`/api/v1/pushes?deviceId=${deviceId}&trigger=schedule&limit=500`)
    .expect(200);
  return res.body.items as PushBody[];
}

describe('scheduled pushes', () => {
  let t: TestApp;
  let sim: StartedSimulator<'pfsense'>;
  let d: SimulatedDeployment;

  beforeAll(async () => {
    sim = await startSimulator('pfsense');
    // Ticks are driven by the test; the default schedule covers devices without their own.
    t = await createTestApp({ schedulerIntervalMs: 3_600_000, defaultPushSchedule: '*/5 * * * *' });
    d = await simulatedDeployment(t, sim);
  });
  afterAll(async () => {
    await t.close();
    await sim.stop();
  });

  it('computes the latest cron slot in UTC', () => {
    const now = new Date('2026-11-24T10:07:30Z');
    expect(latestSlot('*/5 * * * *', now)?.toISOString()).toBe('2026-11-24T10:05:00.000Z');
    expect(latestSlot('0 3 * * *', now)?.toISOString()).toBe('2026-11-24T03:00:00.000Z');
    expect(latestSlot('7 10 * * *', now)?.toISOString()).toBe('2026-11-24T10:07:00.000Z');
  });

  it('fires each slot once per device, records noop for an unchanged device, skips disabled devices', async () => {
    const scheduler = t.app.get(PushScheduler);
    // Converge first, so the scheduled push finds nothing to do.
    expect((await waitForPush(t, (await requestPush(t, d.device.id)).id)).state).toBe('succeeded');
    const disabled = await simulatedDevice(t, sim, d.hq.id, 'off-fw', [{ name: 'wan', external: true }], {
      enabled: false,
      schedule: '* * * * *',
      // Another endpoint than hq-fw's: two records of one firewall are refused.
      managementUrl: 'https://192.0.2.11',
    });
    // A fixed clock: two real-time ticks a second apart may straddle a slot boundary.
    const now = new Date('2030-01-01T10:02:00Z');
    await Promise.all([scheduler.tick(now), scheduler.tick(now)]);
    await scheduler.fireDue(now);
    await scheduler.fireDue(new Date(now.getTime() + 1000));

    const pushes = await scheduled(t, d.device.id);
    expect(pushes).toHaveLength(1);
    expect(pushes[0]).toMatchObject({ trigger: 'schedule', actor: 'scheduler' });
    expect(pushes[0].scheduledFor).toBe(latestSlot('*/5 * * * *', now)!.toISOString());
    sim.calls.reset();
    const done = await waitForPush(t, pushes[0].id);
    expect(done).toMatchObject({ state: 'noop', writes: 0 });
    expect(sim.calls.writes()).toBe(0);
    expect(await scheduled(t, disabled.id)).toHaveLength(0);

    const audit = await t
      .http()
      .get(`/api/v1/audit?action=push.schedule&targetId=${pushes[0].id}`)
      .expect(200);
    expect(audit.body.total).toBe(1);
  });

  it('uses the device schedule over the default, and does not fire a slot older than the catch-up window', async () => {
    const scheduler = t.app.get(PushScheduler);
    await t.http().patch(`/api/v1/devices/${d.device.id}`).send({ schedule: '0 0 1 1 *' }).expect(200);
    const before = (await scheduled(t, d.device.id)).length;
    expect(await scheduler.fireDue(new Date('2027-03-01T12:00:00Z'))).toHaveLength(0);
    const fired = await scheduler.fireDue(new Date('2027-01-01T00:04:00Z'));
    expect(fired.map((p) => p.deviceId)).toEqual([d.device.id]);
    expect(fired[0].scheduledFor!.toISOString()).toBe('2027-01-01T00:00:00.000Z');
    await waitFor(
      () => scheduled(t, d.device.id),
      (list) => list.length === before + 1 && list.every((p) => ['noop', 'succeeded'].includes(p.state)),
    );
  });
});
