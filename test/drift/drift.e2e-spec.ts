import { startSimulator, type StartedSimulator } from '@app/simulators';
import { PrismaService } from '../../apps/api/src/database/prisma.service';
import { DriftService } from '../../apps/api/src/drift/drift.service';
import { createTestApp, type TestApp } from '../utils/create-test-app';
import { simulatedDeployment, type SimulatedDeployment } from '../pushes/push-fixtures';
import { requestPush, waitFor, waitForPush } from '../pushes/push-helpers';

interface DriftBody {
  id: string;
  state: string;
  trigger: string;
  missing: { kind: string; name: string }[];
  changed: { kind: string; name: string; live: unknown; desired: unknown }[];
  extra: { kind: string; name: string }[];
  exposures: { rule: string; port: number; protocol: string; service: string; external: boolean }[];
  exposuresChecked: boolean;
  pendingCommit: boolean;
}

const MARKER = '[managed by utm-orchestrator]';

describe('drift', () => {
  let t: TestApp;
  let sim: StartedSimulator<'pfsense'>;
  let d: SimulatedDeployment;

  beforeAll(async () => {
    sim = await startSimulator('pfsense');
    t = await createTestApp({ driftCheckSchedule: '*/10 * * * *', schedulerIntervalMs: 3_600_000 });
    d = await simulatedDeployment(t, sim);
    expect((await waitForPush(t, (await requestPush(t, d.device.id)).id)).state).toBe('succeeded');
  });
  afterAll(async () => {
    await t.close();
    await sim.stop();
  });

  it('reads never contact the device: GET answers 404 until a check is recorded, and a live check needs push', async () => {
    const reader = await t.token(['read']);
    const writer = await t.token(['write']);
    const prisma = t.app.get(PrismaService);
    const calls = sim.calls.count();
    const none = await t.as(reader).get(`/api/v1/devices/${d.device.id}/drift`).expect(404);
    expect(none.body).toMatchObject({ code: 'NOT_FOUND', reason: 'NO_DRIFT_CHECK', deviceId: d.device.id });
    expect(none.body.detail).toContain('POST /api/v1/devices/');
    await t.as(reader).post(`/api/v1/devices/${d.device.id}/drift`).expect(403);
    const refused = await t.as(writer).post(`/api/v1/devices/${d.device.id}/drift`).expect(403);
    expect(refused.body).toMatchObject({ code: 'FORBIDDEN', requiredScope: 'push' });
    const gql = await t.gql(`mutation($id: ID!) { checkDrift(id: $id) { id } }`, { id: d.device.id }, writer);
    expect(gql.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(sim.calls.count()).toBe(calls);
    expect(await prisma.driftCheck.count({ where: { deviceId: d.device.id } })).toBe(0);
    const unknown = '00000000-0000-4000-8000-000000000000';
    expect((await t.as(reader).get(`/api/v1/devices/${unknown}/drift`).expect(404)).body).toMatchObject({
      code: 'NOT_FOUND',
      entity: 'device',
    });
  });

  it('finds a freshly pushed device clean, and records the check', async () => {
    const pusher = await t.token(['push']);
    const res = await t.as(pusher).post(`/api/v1/devices/${d.device.id}/drift`).expect(201);
    expect(res.body).toMatchObject({
      state: 'clean',
      trigger: 'api',
      missing: [],
      changed: [],
      extra: [],
      exposures: [],
      exposuresChecked: true,
      pendingCommit: false,
    });
    const reader = await t.token(['read']);
    const calls = sim.calls.count();
    const recorded = await t.as(reader).get(`/api/v1/devices/${d.device.id}/drift`).expect(200);
    expect(recorded.body).toEqual(res.body);
    expect(sim.calls.count()).toBe(calls);
    const summary = await t.http().get('/api/v1/pushes/summary').expect(200);
    expect(summary.body.drifted).toEqual([]);
  });

  it('detects changes made directly on the simulator: changed, missing, extra and an exposed port', async () => {
    const state = sim.simulator.state;
    const address = state.aliases.find((a) => a.type !== 'port')!;
    const removedRule = state.rules.find((r) => r.descr.includes(MARKER))!;
    sim.simulator.guiReplace({
      aliases: state.aliases.map((a) =>
        a.name === address.name
          ? { ...a, address: [...a.address, '192.0.2.99'], detail: [...a.detail, 'x'] }
          : a,
      ),
      rules: state.rules.filter((r) => r !== removedRule),
    });
    sim.simulator.guiAddAlias({
      name: 'utm_leftover',
      type: 'host',
      descr: `left behind ${MARKER}`,
      address: ['192.0.2.50'],
    });
    // Someone opened PostgreSQL on the WAN while debugging.
    sim.simulator.guiAddRule({
      type: 'pass',
      interface: ['wan'],
      ipprotocol: 'inet',
      protocol: 'tcp',
      source: 'any',
      destination: 'any',
      destination_port: '5432',
      descr: 'debug db access',
    });

    const res = await t.http().post(`/api/v1/devices/${d.device.id}/drift`).expect(201);
    const body = res.body as DriftBody;
    expect(body.state).toBe('drifted');
    expect(body.changed.map((c) => c.name)).toContain(address.name);
    expect(body.missing.map((c) => c.name)).toContain(removedRule.descr.split(' ')[0]);
    expect(body.extra.map((c) => c.name)).toEqual(['utm_leftover']);
    expect(body.exposures).toEqual([
      expect.objectContaining({
        rule: 'debug db access',
        protocol: 'tcp',
        port: 5432,
        service: 'PostgreSQL',
        external: true,
      }),
    ]);

    const summary = await t.http().get('/api/v1/pushes/summary').expect(200);
    expect(summary.body.drifted).toEqual([
      expect.objectContaining({
        deviceId: d.device.id,
        checkId: body.id,
        missing: 1,
        extra: 1,
        exposures: 1,
      }),
    ]);

    const gql = await t.gql<{ device: { drift: DriftBody } }>(
      `query($id: ID!) { device(id: $id) { drift { id state exposures { port service } extra { name } } } }`,
      { id: d.device.id },
    );
    expect(gql.errors).toBeUndefined();
    expect(gql.data!.device.drift).toMatchObject({
      id: body.id,
      state: 'drifted',
      extra: [{ name: 'utm_leftover' }],
    });
  });

  it('is clean again after a push, except for the unmanaged rule, which is never touched', async () => {
    expect((await waitForPush(t, (await requestPush(t, d.device.id)).id)).state).toBe('succeeded');
    const pusher = await t.token(['push']);
    const res = await t.gql<{ checkDrift: DriftBody }>(
      `mutation($id: ID!) { checkDrift(id: $id) { id state trigger missing { name } changed { name } extra { name } exposures { port rule } } }`,
      { id: d.device.id },
      pusher,
    );
    expect(res.errors).toBeUndefined();
    expect(res.data!.checkDrift).toMatchObject({
      state: 'drifted',
      trigger: 'manual',
      missing: [],
      changed: [],
      extra: [],
      exposures: [{ port: 5432, rule: 'debug db access' }],
    });
    expect(sim.simulator.state.rules.some((r) => r.descr === 'debug db access')).toBe(true);
  });

  it('runs scheduled checks once per slot through the queue', async () => {
    const drift = t.app.get(DriftService);
    const now = new Date('2027-05-05T10:01:00Z');
    const fired = await drift.fireDue(now);
    expect(fired[0].scheduledFor!.toISOString()).toBe('2027-05-05T10:00:00.000Z');
    expect(fired.map((c) => c.deviceId)).toEqual([d.device.id]);
    expect(await drift.fireDue(now)).toEqual([]);
    const done = await waitFor(
      () =>
        t
          .http()
          .get(`/api/v1/devices/${d.device.id}/drift`)
          .then((r) => r.body as DriftBody),
      (b) => b.id === fired[0].id,
    );
    expect(done).toMatchObject({ state: 'drifted', trigger: 'schedule' });
    await t.http().get('/api/v1/devices/00000000-0000-4000-8000-000000000000/drift').expect(404);
    await t.http().post('/api/v1/devices/00000000-0000-4000-8000-000000000000/drift').expect(404);
  });
});

describe('drift on a FortiOS device', () => {
  let t: TestApp;
  let sim: StartedSimulator<'fortios'>;
  let d: SimulatedDeployment;

  beforeAll(async () => {
    sim = await startSimulator('fortios', { interfaces: ['opt1', 'lan', 'wan'] });
    t = await createTestApp({ schedulerIntervalMs: 3_600_000 });
    d = await simulatedDeployment(t, sim);
    expect((await waitForPush(t, (await requestPush(t, d.device.id)).id)).state).toBe('succeeded');
  });
  afterAll(async () => {
    await t.close();
    await sim.stop();
  });

  it('flags an unmanaged policy opening PostgreSQL and an all-ports policy from the WAN', async () => {
    sim.simulator.guiAdd('firewall.service/custom', { name: 'PG', 'tcp-portrange': '5432' });
    const policy = (name: string, service: string, srcintf: string): void => {
      sim.simulator.guiAdd('firewall/policy', {
        name,
        srcintf: [{ name: srcintf }],
        dstintf: [{ name: 'opt1' }],
        srcaddr: [{ name: 'all' }],
        dstaddr: [{ name: 'all' }],
        service: [{ name: service }],
        action: 'accept',
        schedule: 'always',
      });
    };
    policy('debug-db', 'PG', 'lan');
    policy('wan-any', 'ALL', 'wan');
    policy('lan-any', 'ALL', 'lan');

    const res = await t.http().post(`/api/v1/devices/${d.device.id}/drift`).expect(201);
    const body = res.body as DriftBody;
    expect(body.exposuresChecked).toBe(true);
    expect(body.missing).toEqual([]);
    expect(body.changed).toEqual([]);
    expect(body.extra).toEqual([]);
    const flagged = body.exposures.map((e) => `${e.rule} ${e.port}/${e.protocol} ${e.external}`);
    expect(flagged).toContain('debug-db 5432/tcp false');
    expect(flagged).toContain('wan-any 5432/tcp true');
    expect(flagged.filter((f) => f.startsWith('debug-db'))).toEqual(['debug-db 5432/tcp false']);
    expect(flagged.some((f) => f.startsWith('lan-any'))).toBe(false);
  });

  it('flags a VIP someone made forwarding the WAN to PostgreSQL (readUnmanagedNat), not an unused one', async () => {
    const vip = (name: string, mapped: string, extport: string, mappedport: string): void => {
      sim.simulator.guiAdd('firewall/vip', {
        name,
        extintf: 'wan',
        extip: '198.51.100.10',
        mappedip: [{ range: mapped }],
        portforward: 'enable',
        protocol: 'tcp',
        extport,
        mappedport,
        comment: `${name} by hand`,
      });
    };
    vip('db-forward', '10.0.0.9', '15432', '5432');
    vip('db-unused', '10.0.0.10', '25432', '5432');
    sim.simulator.guiAdd('firewall.service/custom', { name: 'PG-VIP', 'tcp-portrange': '5432' });
    sim.simulator.guiAdd('firewall/policy', {
      name: 'db-in',
      srcintf: [{ name: 'wan' }],
      dstintf: [{ name: 'opt1' }],
      srcaddr: [{ name: 'all' }],
      dstaddr: [{ name: 'db-forward' }],
      service: [{ name: 'PG-VIP' }],
      action: 'accept',
      schedule: 'always',
    });
    const res = await t.http().post(`/api/v1/devices/${d.device.id}/drift`).expect(201);
    const body = res.body as DriftBody;
    expect(body.extra).toEqual([]);
    const flagged = body.exposures.map((e) => `${e.rule} ${e.port}/${e.protocol} ${e.external}`);
    expect(flagged).toContain('db-forward by hand 5432/tcp true');
    expect(flagged.some((f) => f.startsWith('db-unused'))).toBe(false);
  });
});
