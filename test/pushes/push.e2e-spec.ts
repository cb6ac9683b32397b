import { startSimulator, type StartedSimulator } from '@app/simulators';
import { createTestApp, type TestApp } from '../utils/create-test-app';
import { create } from '../utils/fixtures';
import { simulatedDeployment, simulatedDevice, type SimulatedDeployment } from './push-fixtures';
import { getPush, requestPush, waitFor, waitForPush, type PushBody } from './push-helpers';

describe('pushes through the job queue', () => {
  let t: TestApp;
  let sim: StartedSimulator<'pfsense'>;
  let d: SimulatedDeployment;

  beforeAll(async () => {
    sim = await startSimulator('pfsense');
    t = await createTestApp({ pushRetryDelaySeconds: 1, pushMaxAttempts: 3 });
    d = await simulatedDeployment(t, sim);
  });
  afterAll(async () => {
    await t.close();
    await sim.stop();
  });

  it('answers 202 with the queued push, then converges the device and records everything', async () => {
    const ruleSet = await t.http().get(`/api/v1/devices/${d.device.id}/ruleset`).expect(200);
    const queued = await requestPush(t, d.device.id, { reason: 'initial rollout', ticket: 'CHG0001' });
    expect(queued).toMatchObject({
      deviceId: d.device.id,
      trigger: 'api',
      actor: 'bootstrap-admin',
      reason: 'initial rollout',
      ticket: 'CHG0001',
      dryRun: false,
    });
    expect(['queued', 'running']).toContain(queued.state);

    const done = await waitForPush(t, queued.id);
    expect(done.state).toBe('succeeded');
    expect(done.ruleSetHash).toBe(ruleSet.body.hash);
    expect(done.attempts).toBe(1);
    expect(done.writes).toBeGreaterThan(0);
    expect(done.plan!.changes.length).toBeGreaterThan(0);
    expect(done.result!.verified).toBe(true);
    expect(done.result!.apply!.results.every((r) => r.status === 'applied' || r.status === 'unchanged')).toBe(
      true,
    );
    expect(done.startedAt).not.toBeNull();
    expect(done.durationMs).toBeGreaterThanOrEqual(0);
    expect(done.events.map((e) => e.message)).toEqual([
      expect.stringContaining('push requested by bootstrap-admin (api)'),
      expect.stringContaining('attempt 1 started on'),
      expect.stringContaining('succeeded:'),
    ]);
    const aliases = sim.simulator.state.aliases.map((a) => a.name);
    expect(aliases).toEqual(
      expect.arrayContaining(ruleSet.body.addresses.map((a: { name: string }) => a.name)),
    );

    const plan = await t.http().post(`/api/v1/devices/${d.device.id}/plan`).expect(200);
    expect(plan.body.empty).toBe(true);

    const audit = await t.http().get(`/api/v1/audit?action=push.request&targetId=${queued.id}`).expect(200);
    expect(audit.body.items[0]).toMatchObject({ actor: 'bootstrap-admin', targetType: 'push' });
  });

  it('records noop without writing when the device already matches', async () => {
    sim.calls.reset();
    const done = await waitForPush(t, (await requestPush(t, d.device.id)).id);
    expect(done).toMatchObject({ state: 'noop', writes: 0 });
    expect(sim.calls.writes()).toBe(0);
  });

  it('records a dry run with its plan and writes nothing', async () => {
    sim.simulator.guiReplace({ ...sim.simulator.state, aliases: [], rules: [] });
    sim.calls.reset();
    const done = await waitForPush(t, (await requestPush(t, d.device.id, { dryRun: true })).id);
    expect(done).toMatchObject({ state: 'succeeded', dryRun: true, writes: 0 });
    expect(done.plan!.changes.length).toBeGreaterThan(0);
    expect(sim.calls.writes()).toBe(0);
    // Converge again for the next tests.
    expect((await waitForPush(t, (await requestPush(t, d.device.id)).id)).state).toBe('succeeded');
  });

  it('retries a transient failure with backoff and then succeeds', async () => {
    sim.simulator.guiReplace({ ...sim.simulator.state, aliases: [], rules: [] });
    // More 502s than the connector's own read retries (1 + 3): the first attempt fails `unavailable`.
    sim.faults.add({ path: '/api/v2/firewall/aliases', fault: { type: 'status', status: 502 }, times: 4 });
    const done = await waitForPush(t, (await requestPush(t, d.device.id)).id);
    sim.faults.clear();
    expect(done.state).toBe('succeeded');
    expect(done.attempts).toBe(2);
    expect(done.events.map((e) => e.message)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/attempt 1 failed \(unavailable\).*retrying/),
        expect.stringContaining('attempt 2 started'),
      ]),
    );
  });

  it('gives up after PUSH_MAX_ATTEMPTS and records the error class, and never retries a permanent failure', async () => {
    sim.faults.add({ path: '/api/v2/firewall/aliases', fault: { type: 'status', status: 502 } });
    const unavailable = await waitForPush(t, (await requestPush(t, d.device.id)).id, undefined, 60_000);
    sim.faults.clear();
    expect(unavailable).toMatchObject({ state: 'failed', attempts: 3, errorClass: 'unavailable' });

    sim.faults.add({ path: '/api/v2/firewall/aliases', fault: { type: 'status', status: 401 } });
    const denied = await waitForPush(t, (await requestPush(t, d.device.id)).id);
    sim.faults.clear();
    expect(denied).toMatchObject({ state: 'failed', attempts: 1, errorClass: 'authentication' });
    expect(denied.errorMessage).toBeTruthy();
  });

  it('cancels a queued push; a running push cannot be cancelled', async () => {
    sim.faults.add({ fault: { type: 'latency', ms: 150 } });
    sim.simulator.guiReplace({ ...sim.simulator.state, aliases: [], rules: [] });
    const first = await requestPush(t, d.device.id);
    // Same device: the second waits for the first to release the device, queued.
    const second = await requestPush(t, d.device.id);
    await waitForPush(t, first.id, ['running']);
    const pusher = await t.token(['push']);
    const cancelled = await t.as(pusher).post(`/api/v1/pushes/${second.id}/cancel`).expect(200);
    expect(cancelled.body.state).toBe('cancelled');
    const running = await t.http().post(`/api/v1/pushes/${first.id}/cancel`).expect(409);
    expect(running.body.detail).toContain('running');
    const reader = await t.token(['read']);
    await t.as(reader).post(`/api/v1/pushes/${first.id}/cancel`).expect(403);

    expect((await waitForPush(t, first.id)).state).toBe('succeeded');
    sim.faults.clear();
    await new Promise((r) => setTimeout(r, 300));
    const after = await getPush(t, second.id);
    expect(after).toMatchObject({ state: 'cancelled', attempts: 0, startedAt: null });
    expect(after.events.at(-1)!.message).toContain('cancelled by');
    await t.http().post(`/api/v1/pushes/${second.id}/cancel`).expect(409);
  });

  it('lists history filtered by device, site, state and time, over REST and GraphQL', async () => {
    const all = await t.http().get(`/api/v1/pushes?deviceId=${d.device.id}&limit=100`).expect(200);
    expect(all.body.total).toBeGreaterThanOrEqual(8);
    const created = all.body.items.map((p: PushBody) => p.createdAt);
    expect([...created].sort().reverse()).toEqual(created);
    const cancelled = await t.http().get(`/api/v1/pushes?siteId=${d.hq.id}&state=cancelled`).expect(200);
    expect(cancelled.body.total).toBe(1);
    const future = new Date(Date.now() + 60_000).toISOString();
    expect((await t.http().get(`/api/v1/pushes?since=${future}`).expect(200)).body.total).toBe(0);
    expect((await t.http().get(`/api/v1/pushes?until=${future}`).expect(200)).body.total).toBe(
      all.body.total,
    );
    await t.http().get('/api/v1/pushes?state=exploded').expect(400);
    await t.http().get('/api/v1/pushes/00000000-0000-4000-8000-000000000000').expect(404);

    const gql = await t.gql<{
      device: {
        lastPush: { id: string; state: string };
        pushes: { totalCount: number; nodes: { id: string }[] };
      };
      pushes: { totalCount: number };
    }>(
      `query($id: ID!) {
        device(id: $id) { lastPush { id state } pushes(first: 2, state: failed) { totalCount nodes { id } } }
        pushes(deviceId: $id) { totalCount }
      }`,
      { id: d.device.id },
    );
    expect(gql.errors).toBeUndefined();
    expect(gql.data!.device.lastPush.id).toBe(all.body.items[0].id);
    expect(gql.data!.device.pushes.totalCount).toBe(2);
    expect(gql.data!.device.pushes.nodes).toHaveLength(2);
    expect(gql.data!.pushes.totalCount).toBe(all.body.total);

    // q finds pushes by ticket or reason (it used to be accepted and ignored); wildcards are literal.
    await t
      .http()
      .post(`/api/v1/devices/${d.device.id}/pushes`)
      .send({ dryRun: true, ticket: 'CHG-4711', reason: 'quarterly review' })
      .expect(202);
    const byTicket = await t.http().get('/api/v1/pushes?q=chg-4711').expect(200);
    expect(byTicket.body.items.map((p: PushBody & { ticket: string }) => p.ticket)).toEqual(['CHG-4711']);
    expect((await t.http().get('/api/v1/pushes?q=QUARTERLY').expect(200)).body.total).toBe(1);
    expect((await t.http().get('/api/v1/pushes?q=%25').expect(200)).body.total).toBe(0);
    const gqlQ = await t.gql<{ pushes: { totalCount: number } }>(`{ pushes(q: "CHG-4711") { totalCount } }`);
    expect(gqlQ.data?.pushes.totalCount).toBe(1);
  });

  it('pushes and cancels through GraphQL mutations (trigger manual)', async () => {
    const res = await t.gql<{ pushDevice: { id: string; trigger: string } }>(
      `mutation($id: ID!) { pushDevice(id: $id, input: { reason: "from the dashboard" }) { id trigger state } }`,
      { id: d.device.id },
    );
    expect(res.errors).toBeUndefined();
    expect(res.data!.pushDevice.trigger).toBe('manual');
    const done = await waitForPush(t, res.data!.pushDevice.id);
    expect(done.state).toBe('noop');
    const reader = await t.token(['read']);
    const denied = await t.gql(
      `mutation($id: ID!) { pushDevice(id: $id) { id } }`,
      { id: d.device.id },
      reader,
    );
    expect(denied.errors![0].extensions!.code).toBe('FORBIDDEN');
  });

  it('refuses pushes to disabled devices and devices without credentials', async () => {
    const other = await create(t, 'devices', {
      siteId: d.hq.id,
      name: 'no-creds-fw',
      vendor: 'pfsense',
      managementUrl: 'https://192.0.2.10',
      interfaces: [{ name: 'wan', external: true }],
    });
    const res = await t.http().post(`/api/v1/devices/${other.id}/pushes`).send({}).expect(422);
    expect(res.body.detail).toContain('no credentials');
    const disabled = await simulatedDevice(
      t,
      sim,
      d.hq.id,
      'disabled-fw',
      [{ name: 'wan', external: true }],
      {
        enabled: false,
        // Another endpoint than hq-fw's: two records of one firewall are refused.
        managementUrl: 'https://192.0.2.11',
      },
    );
    await t.http().post(`/api/v1/devices/${disabled.id}/pushes`).send({}).expect(422);
  });

  it('pushes a fleet (all, a site, a vendor), skipping what cannot be pushed, and summarises it', async () => {
    const sim2 = await startSimulator('pfsense');
    try {
      const branch = await create(t, 'sites', { name: 'Branch' });
      const lan = await create(t, 'zones', { siteId: branch.id, name: 'lan', cidrs: ['10.2.20.0/24'] });
      await create(t, 'nodes', {
        siteId: branch.id,
        name: 'br-agents',
        role: 'agent',
        addresses: ['10.2.20.0/24'],
      });
      const brFw = await simulatedDevice(t, sim2, branch.id, 'br-fw', [
        { name: 'lan', zoneIds: [lan.id] },
        { name: 'wan', external: true },
      ]);
      await t.http().post('/api/v1/pushes').send({}).expect(400);
      await t.http().post('/api/v1/pushes').send({ all: true, siteId: branch.id }).expect(400);

      const fleet = await t
        .http()
        .post('/api/v1/pushes')
        .send({ all: true, reason: 'fleet rollout' })
        .expect(202);
      const names = (fleet.body.skipped as { deviceName: string; reason: string }[])
        .map((s) => s.deviceName)
        .sort();
      expect(names).toEqual(['disabled-fw', 'no-creds-fw']);
      expect(fleet.body.pushes).toHaveLength(2);
      for (const p of fleet.body.pushes as PushBody[]) expect(p.fleetId).toBe(fleet.body.fleetId);
      const finished = await Promise.all((fleet.body.pushes as PushBody[]).map((p) => waitForPush(t, p.id)));
      const byDevice = new Map(finished.map((p) => [p.deviceId, p.state]));
      // The branch's agents report to the HQ master, so HQ needs new rules too.
      expect(byDevice.get(d.device.id)).toBe('succeeded');
      expect(byDevice.get(brFw.id)).toBe('succeeded');
      const listed = await t.http().get(`/api/v1/pushes?fleetId=${fleet.body.fleetId}`).expect(200);
      expect(listed.body.total).toBe(2);

      const site = await t.http().post('/api/v1/pushes').send({ siteId: branch.id }).expect(202);
      expect(site.body.pushes.map((p: PushBody) => p.deviceId)).toEqual([brFw.id]);
      expect((await waitForPush(t, site.body.pushes[0].id)).state).toBe('noop');
      const vendor = await t.gql<{
        pushFleet: { pushes: { deviceId: string }[]; skipped: { reason: string }[] };
      }>(
        `mutation { pushFleet(input: { vendor: pfsense, dryRun: true }) { fleetId pushes { deviceId trigger } skipped { deviceName reason } } }`,
      );
      expect(vendor.errors).toBeUndefined();
      expect(vendor.data!.pushFleet.pushes).toHaveLength(2);
      await waitFor(
        () =>
          t
            .http()
            .get('/api/v1/pushes?state=queued')
            .then((r) => r.body.total as number),
        (n) => n === 0,
      );
      await waitFor(
        () =>
          t
            .http()
            .get('/api/v1/pushes?state=running')
            .then((r) => r.body.total as number),
        (n) => n === 0,
      );

      const summary = await t.http().get('/api/v1/pushes/summary').expect(200);
      expect(summary.body.totalDevices).toBe(4);
      const counts = Object.fromEntries(
        (summary.body.byState as { state: string; devices: number }[]).map((s) => [s.state, s.devices]),
      );
      expect(counts).toMatchObject({ noop: 1, succeeded: 1 });
      expect(summary.body.neverPushed.map((n: { deviceName: string }) => n.deviceName).sort()).toEqual([
        'disabled-fw',
        'no-creds-fw',
      ]);
      const hq = summary.body.devices.find((x: { deviceId: string }) => x.deviceId === d.device.id);
      expect(hq.lastSuccessAt).not.toBeNull();
      const gql = await t.gql<{ fleetSummary: unknown }>(
        `{ fleetSummary { totalDevices byState { state devices } neverPushed { deviceId deviceName vendor lastState lastPushAt lastSuccessAt lastSuccessPushId }
          devices { deviceId deviceName vendor lastState lastPushAt lastSuccessAt lastSuccessPushId }
          drifted { deviceId deviceName checkId checkedAt missing changed extra exposures } } }`,
      );
      expect(gql.errors).toBeUndefined();
      expect(JSON.parse(JSON.stringify(gql.data!.fleetSummary))).toEqual(summary.body);
    } finally {
      await sim2.stop();
    }
  });
});
