import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSimulator, type StartedSimulator } from '@app/simulators';
import { provisionDatabase, type TestDatabase } from '../utils/test-database';
import { credentialsInputOf } from '../../apps/api/src/inventory/devices/device-credentials';
import { waitFor, type PushBody } from './push-helpers';
import { startService, type ServiceProcess } from './service-process';

const TOKEN = 'uto_crash-test-admin-token-0123456789';

type Api = ServiceProcess['api'];

/** A site with servers (master) and lan (agents) zones: agents → master needs rules on `lan`. */
async function seedSite(api: Api, name: string): Promise<{ siteId: string; servers: string; lan: string }> {
  const site = (await api<{ id: string }>('POST', '/api/v1/sites', { name })).body;
  const zone = async (zoneName: string, cidr: string): Promise<string> =>
    (await api<{ id: string }>('POST', '/api/v1/zones', { siteId: site.id, name: zoneName, cidrs: [cidr] }))
      .body.id;
  const servers = await zone('servers', '10.1.10.0/24');
  const lan = await zone('lan', '10.1.20.0/24');
  const master = (
    await api<{ id: string }>('POST', '/api/v1/nodes', {
      siteId: site.id,
      name: 'master',
      role: 'master',
      addresses: ['10.1.10.5'],
    })
  ).body;
  await api('POST', '/api/v1/nodes', {
    siteId: site.id,
    name: 'agents',
    role: 'agent',
    addresses: ['10.1.20.0/24'],
    collectorId: master.id,
  });
  return { siteId: site.id, servers, lan };
}

async function addDevice(
  api: Api,
  site: { siteId: string; servers: string; lan: string },
  name: string,
  sim: StartedSimulator<'pfsense' | 'fortios' | 'opnsense'>,
): Promise<string> {
  const device = await api<{ id: string }>('POST', '/api/v1/devices', {
    siteId: site.siteId,
    name,
    vendor: sim.vendor,
    managementUrl: sim.url,
    credentials: credentialsInputOf(sim.credentials),
    tls: { fingerprintSha256: sim.tls.fingerprintSha256 },
    interfaces: [
      { name: 'opt1', zoneIds: [site.servers] },
      { name: 'lan', zoneIds: [site.lan] },
      { name: 'wan', external: true },
    ],
  });
  expect(device.status).toBe(201);
  return device.body.id;
}

const FINISHED = ['succeeded', 'failed', 'noop', 'cancelled'];

describe('a push interrupted by SIGKILL', () => {
  let sim: StartedSimulator<'pfsense'>;
  let database: TestDatabase;
  let dataDir: string;
  let service: ServiceProcess | null = null;
  let env: Record<string, string>;

  beforeAll(async () => {
    sim = await startSimulator('pfsense');
    database = await provisionDatabase();
    dataDir = mkdtempSync(join(tmpdir(), 'utm-crash-'));
    env = {
      ADMIN_TOKEN: TOKEN,
      SECRET_KEY: 'cd'.repeat(32),
      DATA_DIR: dataDir,
      DATABASE_URL: database.url ?? '',
      SCHEDULER_INTERVAL_MS: '500',
      PUSH_RETRY_DELAY_SECONDS: '1',
    };
  });
  afterAll(async () => {
    await service?.kill('SIGKILL');
    await sim.stop();
    await database.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('is resumed after a restart, converges the device and leaves a readable history', async () => {
    service = await startService(env, TOKEN);
    const api = service.api;
    const deviceId = await addDevice(api, await seedSite(api, 'HQ'), 'hq-fw', sim);

    // Slow device: the push is still writing when the process dies.
    sim.faults.add({ fault: { type: 'latency', ms: 400 } });
    const push = await api<PushBody>('POST', `/api/v1/devices/${deviceId}/pushes`, {
      reason: 'crash test',
    });
    expect(push.status).toBe(202);
    await waitFor(
      () => Promise.resolve(sim.calls.writes()),
      (n) => n >= 1,
      60_000,
      'the first write',
    );
    await service.kill('SIGKILL');
    // The write in flight still lands after the process dies (its held answer ends when the socket closes).
    await sim.server.settled();
    const writesBeforeCrash = sim.calls.writes();
    expect(sim.simulator.hasUnappliedChanges() || sim.simulator.pendingSubsystems.length > 0).toBe(true);
    sim.faults.clear();

    service = await startService(env, TOKEN);
    const done = await waitFor(
      () => service!.api<PushBody>('GET', `/api/v1/pushes/${push.body.id}`).then((r) => r.body),
      (p) => ['succeeded', 'failed', 'noop'].includes(p.state),
      60_000,
      'the interrupted push to finish after the restart',
    );
    expect(done.state).toBe('succeeded');
    expect(done.attempts).toBe(2);
    const messages = done.events.map((e) => e.message);
    expect(messages).toEqual([
      expect.stringContaining('push requested'),
      expect.stringContaining('attempt 1 started'),
      expect.stringMatching(/attempt 1 was interrupted: the instance running it stopped; queued again/),
      expect.stringContaining('attempt 2 started'),
      // From the device's pending-state row: the dead process's writes are committed even if nothing else changed.
      'an earlier push left writes in the configuration that were never applied: this push applies them',
      expect.stringMatching(/^succeeded: \d+ change\(s\) applied .*the rule set is live on the device$/),
    ]);
    expect(sim.calls.writes()).toBeGreaterThan(writesBeforeCrash);

    // Converged: nothing left to change, everything committed, nothing stuck in running.
    const plan = await service.api<{ empty: boolean; pendingCommit: boolean }>(
      'POST',
      `/api/v1/devices/${deviceId}/plan`,
    );
    expect(plan.body).toMatchObject({ empty: true, pendingCommit: false });
    expect(sim.simulator.hasUnappliedChanges()).toBe(false);
    const running = await service.api<{ total: number }>('GET', '/api/v1/pushes?state=running');
    expect(running.body.total).toBe(0);
    await service.kill('SIGTERM');
    service = null;
  }, 240_000);

  it('leaves no FortiOS transaction open, no OPNsense rollback armed and no pfSense writes unapplied', async () => {
    const forti = await startSimulator('fortios', { interfaces: ['opt1', 'lan', 'wan'] });
    // 25.1.x: the newest OPNsense whose rollback timer restores (25.7-26.1.x: core#10721, not armed there).
    const opn = await startSimulator('opnsense', { version: '25.1.12' });
    const pf = await startSimulator('pfsense');
    const sims = [forti, opn, pf];
    try {
      service = await startService({ ...env, PUSH_MAX_ATTEMPTS: '2' }, TOKEN);
      let api = service.api;
      const site = await seedSite(api, 'Branch');
      const fortiId = await addDevice(api, site, 'branch-fortigate', forti);
      const opnId = await addDevice(api, site, 'branch-opnsense', opn);
      const pfId = await addDevice(api, site, 'branch-pfsense', pf);
      const push = async (deviceId: string): Promise<string> => {
        const res = await api<PushBody>('POST', `/api/v1/devices/${deviceId}/pushes`, {
          reason: 'crash test',
        });
        expect(res.status).toBe(202);
        return res.body.id;
      };
      const finished = (pushId: string, what: string): Promise<PushBody> =>
        waitFor(
          () => api<PushBody>('GET', `/api/v1/pushes/${pushId}`).then((r) => r.body),
          (p) => FINISHED.includes(p.state),
          90_000,
          what,
        );

      // pfSense: converged, then a managed rule is deleted by hand; the push that restores it writes only a
      // rule (pfSense flags nothing pending for rule writes) and every apply answers 500.
      expect((await finished(await push(pfId), 'the first pfSense push')).state).toBe('succeeded');
      const config = pf.simulator.state;
      const managedRule = config.rules.findIndex((r) => r.descr.startsWith('utm_'));
      config.rules.splice(managedRule, 1);
      pf.simulator.guiReplace(config);
      pf.faults.add({
        method: 'POST',
        path: '/api/v2/firewall/apply',
        fault: { type: 'status', status: 500 },
      });
      const pfFailed = await finished(await push(pfId), 'the pfSense push whose apply fails');
      expect(pfFailed.state).toBe('failed');
      expect(pf.simulator.hasUnappliedChanges()).toBe(true);
      expect(pf.simulator.pendingSubsystems).toEqual([]);
      pf.faults.clear();

      // FortiOS: the push dies inside its transaction (the second write never answers). The hangs outlast the
      // connector's 30 s request timeout, so that timeout (not the hang) bounds the time the waits below may take
      // on a loaded machine before the kill.
      forti.faults.add({
        method: 'POST',
        path: /^\/api\/v2\/cmdb\/firewall/,
        skip: 1,
        times: 1,
        fault: { type: 'hang', ms: 60_000, when: 'before' },
      });
      const fortiPush = await push(fortiId);
      // OPNsense: the push dies between apply/{revision} and cancelRollback.
      opn.faults.add({
        method: 'POST',
        path: /cancelRollback/,
        times: 1,
        fault: { type: 'hang', ms: 60_000, when: 'before' },
      });
      const opnPush = await push(opnId);
      // The hanging write itself, not just an open transaction: the connector's transaction probe opens (and
      // aborts) one before the write the fault holds, and a kill then would leave the fault armed for the restart.
      await waitFor(
        () =>
          Promise.resolve({
            hanging: forti.calls.list().some((call) => call.fault === 'hang'),
            open: forti.simulator.openTransactions().length,
          }),
        (state) => state.hanging && state.open === 1,
        60_000,
        'the FortiOS write inside a transaction to hang',
      );
      await waitFor(
        () => Promise.resolve(opn.calls.count({ path: /cancelRollback/ })),
        (n) => n >= 1,
        60_000,
        'the OPNsense cancelRollback',
      );
      expect(opn.simulator.pendingRollback).not.toBeNull();
      await service.kill('SIGKILL');
      const openTransaction = forti.simulator.openTransactions()[0];

      service = await startService({ ...env, PUSH_MAX_ATTEMPTS: '2' }, TOKEN);
      api = service.api;

      // The interrupted pushes run again; the transaction is aborted (by the start-up sweep or the push itself)
      // instead of locking the tables, and the rollback is cancelled only once the device matched.
      const fortiDone = await finished(fortiPush, 'the interrupted FortiOS push');
      expect({ state: fortiDone.state, error: fortiDone.errorMessage }).toEqual({
        state: 'succeeded',
        error: null,
      });
      expect(forti.simulator.openTransactions()).toEqual([]);
      expect(forti.calls.count({ method: 'POST', path: '/api/v2/cmdb' })).toBeGreaterThan(0);
      const opnDone = await finished(opnPush, 'the interrupted OPNsense push');
      expect(['succeeded', 'noop']).toContain(opnDone.state);
      expect(opn.simulator.pendingRollback).toBeNull();
      expect(opn.calls.count({ method: 'POST', path: /cancelRollback/ })).toBeGreaterThanOrEqual(2);
      expect(openTransaction).toBeGreaterThan(0);

      // pfSense: the process that knew about the unapplied rule is gone; the next push still applies it.
      const pfNext = await finished(await push(pfId), 'the pfSense push after the restart');
      expect(pfNext.state).toBe('succeeded');
      expect(pfNext.events.map((e) => e.message)).toContainEqual(
        expect.stringMatching(/never applied: this push applies them/),
      );
      expect(pf.simulator.hasUnappliedChanges()).toBe(false);

      for (const id of [fortiId, opnId, pfId]) {
        const plan = await api<{ empty: boolean; pendingCommit: boolean }>(
          'POST',
          `/api/v1/devices/${id}/plan`,
        );
        expect({ id, ...plan.body }).toMatchObject({ id, empty: true, pendingCommit: false });
      }
      await service.kill('SIGTERM');
      service = null;
    } finally {
      for (const sim of sims) await sim.stop();
    }
  }, 300_000);
});
