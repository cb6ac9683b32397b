import { randomUUID } from 'node:crypto';
import type { Database } from '@app/persistence';
import { startSimulator, type StartedSimulator } from '@app/simulators';
import { DATABASE } from '../../apps/api/src/database/database.module';
import { PrismaService } from '../../apps/api/src/database/prisma.service';
import {
  latestSlot,
  PushScheduler,
  UNQUEUED_GRACE_SECONDS,
} from '../../apps/api/src/pushes/push-scheduler.service';
import { createTestApp, type TestApp } from '../utils/create-test-app';
import { simulatedDeployment, simulatedDevice, type SimulatedDeployment } from './push-fixtures';
import {
  holdDevice,
  requestPush,
  type PushBody,
  waitFor,
  waitForPush,
  waitUntilFetched,
} from './push-helpers';

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

  it('queues a push committed without its job once the grace has passed, and leaves one with a live job alone', async () => {
    const scheduler = t.app.get(PushScheduler);
    const prisma = t.app.get(PrismaService);
    const db = t.app.get<Database>(DATABASE);
    // What an instance that stopped between the commit and the queue leaves behind: a queued row, no job.
    const unqueued = async (): Promise<{ id: string; jobId: string | null }> =>
      prisma.push.create({
        data: { deviceId: d.device.id, trigger: 'manual', actor: 'stopped instance', jobId: randomUUID() },
        select: { id: true, jobId: true },
      });
    const age = (id: string) =>
      db.sql.query(`UPDATE "pushes" SET "updated_at" = now() - make_interval(secs => $2) WHERE "id" = $1`, [
        id,
        UNQUEUED_GRACE_SECONDS + 60,
      ]);
    // A queued push whose job is live: fetched, and waiting for the device held here.
    const device = holdDevice(t, d.device.id);
    const live = await requestPush(t, d.device.id);
    const liveJob = await waitUntilFetched(t, live.id);
    const lost = await unqueued();
    const recent = await unqueued();
    await age(lost.id);
    await age(live.id);

    expect(await scheduler.recoverUnqueued()).toEqual([lost.id]);
    // Another replica's sweep a moment later finds nothing left to do.
    expect(await scheduler.recoverUnqueued()).toEqual([]);
    await device.release();
    const [ranLost, ranLive] = await Promise.all([waitForPush(t, lost.id), waitForPush(t, live.id)]);
    expect(['noop', 'succeeded']).toContain(ranLost.state);
    expect(ranLost.events.map((e) => e.message).join('\n')).toContain('queued again');
    expect(['noop', 'succeeded']).toContain(ranLive.state);
    expect((await prisma.push.findUniqueOrThrow({ where: { id: live.id } })).jobId).toBe(liveJob);
    // Within the grace: the request that created it may still be queuing its job.
    const stillWaiting = await prisma.push.findUniqueOrThrow({ where: { id: recent.id } });
    expect(stillWaiting).toMatchObject({ state: 'queued', jobId: recent.jobId });
  });
});
