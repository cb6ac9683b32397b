import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSimulator, type StartedSimulator } from '@app/connectors/simulators';
import { provisionDatabase, type TestDatabase } from '../utils/test-database';
import { credentialsInputOf } from '../../apps/api/src/inventory/devices/device-credentials';
import { waitFor, type PushBody } from './push-helpers';
import { startService, type ServiceProcess } from './service-process';

const TOKEN = 'uto_crash-test-admin-token-0123456789';

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
    const site = (await api<{ id: string }>('POST', '/api/v1/sites', { name: 'HQ' })).body;
    const servers = (
      await api<{ id: string }>('POST', '/api/v1/zones', {
        siteId: site.id,
        name: 'servers',
        cidrs: ['10.1.10.0/24'],
      })
    ).body;
    const lan = (
      await api<{ id: string }>('POST', '/api/v1/zones', {
        siteId: site.id,
        name: 'lan',
        cidrs: ['10.1.20.0/24'],
      })
    ).body;
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
    const device = await api<{ id: string }>('POST', '/api/v1/devices', {
      siteId: site.id,
      name: 'hq-fw',
      vendor: 'pfsense',
      managementUrl: sim.url,
      credentials: credentialsInputOf(sim.credentials),
      tls: { fingerprintSha256: sim.tls.fingerprintSha256 },
      interfaces: [
        { name: 'opt1', zoneIds: [servers.id] },
        { name: 'lan', zoneIds: [lan.id] },
        { name: 'wan', external: true },
      ],
    });
    expect(device.status).toBe(201);

    // Slow device: the push is still writing when the process dies.
    sim.faults.add({ fault: { type: 'latency', ms: 400 } });
    const push = await api<PushBody>('POST', `/api/v1/devices/${device.body.id}/pushes`, {
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
      expect.stringContaining('succeeded'),
    ]);
    expect(sim.calls.writes()).toBeGreaterThan(writesBeforeCrash);

    // Converged: nothing left to change, everything committed, nothing stuck in running.
    const plan = await service.api<{ empty: boolean; pendingCommit: boolean }>(
      'POST',
      `/api/v1/devices/${device.body.id}/plan`,
    );
    expect(plan.body).toMatchObject({ empty: true, pendingCommit: false });
    expect(sim.simulator.hasUnappliedChanges()).toBe(false);
    const running = await service.api<{ total: number }>('GET', '/api/v1/pushes?state=running');
    expect(running.body.total).toBe(0);
    await service.kill('SIGTERM');
    service = null;
  }, 240_000);
});
