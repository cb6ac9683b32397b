import { startSimulator, type StartedSimulator } from '@app/simulators';
import { DeviceLocks } from '../../apps/api/src/jobs/device-locks.service';
import { createTestApp, type TestApp } from '../utils/create-test-app';
import { simulatedDeployment, type SimulatedDeployment } from './push-fixtures';
import { requestPush, waitFor, waitForPush, type PushBody } from './push-helpers';
import { createReplica, type Replica } from './replica';

const SECRET_KEY = 'ab'.repeat(32);

// Several replicas need one shared PostgreSQL; the embedded PGlite belongs to one process.
describe.skipIf(!process.env.DATABASE_URL)('several service instances on one PostgreSQL', () => {
  let t: TestApp;
  let replica: Replica;
  let sim: StartedSimulator<'pfsense'>;
  let d: SimulatedDeployment;

  beforeAll(async () => {
    sim = await startSimulator('pfsense');
    // Replicas share SECRET_KEY, as the README asks, or they cannot read each other's credentials.
    t = await createTestApp({ secretKey: SECRET_KEY, schedulerIntervalMs: 100 });
    replica = await createReplica(t, { secretKey: SECRET_KEY, schedulerIntervalMs: 100 });
    d = await simulatedDeployment(t, sim);
  });
  afterAll(async () => {
    await replica.close();
    await t.close();
    await sim.stop();
  });

  it('excludes one device across instances with the advisory lock (and tryRun sees it busy)', async () => {
    const a = t.app.get(DeviceLocks);
    const b = replica.app.get(DeviceLocks);
    const spans: { who: string; from: number; to: number }[] = [];
    const hold = (who: string) => async () => {
      const from = Date.now();
      await new Promise((r) => setTimeout(r, 150));
      spans.push({ who, from, to: Date.now() });
    };
    const first = a.run(d.device.id, hold('a'));
    await new Promise((r) => setTimeout(r, 30));
    expect(await b.tryRun(d.device.id, () => Promise.resolve('x'))).toEqual({ busy: true });
    await Promise.all([first, b.run(d.device.id, hold('b')), a.run(d.device.id, hold('a2'))]);
    spans.sort((x, y) => x.from - y.from);
    for (let i = 1; i < spans.length; i++) expect(spans[i].from).toBeGreaterThanOrEqual(spans[i - 1].to);
    // `run` answers once the work is done; the unlock follows, and the device is held until it has arrived.
    await waitFor(
      () => Promise.resolve(a.isHeld(d.device.id) || b.isHeld(d.device.id)),
      (held) => !held,
      5_000,
      'the last unlock',
    );
    expect(await b.tryRun(d.device.id, () => Promise.resolve('free'))).toEqual({
      busy: false,
      value: 'free',
    });
    // Other devices are not held up.
    expect(await b.tryRun(d.hq.id, () => Promise.resolve(1))).toEqual({ busy: false, value: 1 });
  });

  it('runs pushes requested on both instances one at a time per device, and converges', async () => {
    sim.faults.add({ fault: { type: 'latency', ms: 20 } });
    const requested: PushBody[] = [];
    for (let i = 0; i < 3; i++) {
      requested.push(await requestPush(t, d.device.id));
      const res = await replica.http().post(`/api/v1/devices/${d.device.id}/pushes`).send({}).expect(202);
      requested.push(res.body as PushBody);
    }
    const done = await Promise.all(requested.map((p) => waitForPush(t, p.id)));
    sim.faults.clear();
    expect(done.filter((p) => p.state === 'succeeded')).toHaveLength(1);
    expect(done.filter((p) => p.state === 'noop')).toHaveLength(5);
    const spans = done
      .map((p) => ({ from: Date.parse(p.startedAt!), to: Date.parse(p.finishedAt!) }))
      .sort((x, y) => x.from - y.from);
    for (let i = 1; i < spans.length; i++) expect(spans[i].from).toBeGreaterThanOrEqual(spans[i - 1].to);
    const workers = new Set(done.map((p) => /started on (\S+)/.exec(p.events[1].message)![1]));
    expect(workers.size).toBe(2);
  });

  it('fires a scheduled push once although both instances tick every 100 ms', async () => {
    const start = Date.now();
    await t.http().patch(`/api/v1/devices/${d.device.id}`).send({ schedule: '* * * * *' }).expect(200);
    const list = async (): Promise<PushBody[]> =>
      (await t.http().get(`/api/v1/pushes?deviceId=${d.device.id}&trigger=schedule`).expect(200)).body.items;
    const [first] = await waitFor(list, (l) => l.length > 0, 10_000, 'a scheduled push');
    expect((await waitForPush(t, first.id)).state).toBe('noop');
    // Many more ticks on both instances.
    await new Promise((r) => setTimeout(r, 1_500));
    const pushes = await list();
    const slots = pushes.map((p) => p.scheduledFor);
    expect(new Set(slots).size).toBe(slots.length);
    // At most a minute boundary crossed during the test adds one more slot.
    expect(pushes.length).toBeLessThanOrEqual(1 + Math.ceil((Date.now() - start) / 60_000));
    const firedBy = new Set(pushes.map((p) => /fired by (\S+)/.exec(p.events[0].message)![1]));
    expect(firedBy.size).toBeGreaterThanOrEqual(1);
    await t.http().patch(`/api/v1/devices/${d.device.id}`).send({ schedule: null }).expect(200);
  });
});
