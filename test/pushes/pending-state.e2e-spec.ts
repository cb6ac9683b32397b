import { FortiOsConnector, OpnSenseConnector } from '@app/connectors';
import { startSimulator, type StartedSimulator } from '@app/simulators';
import { PrismaService } from '../../apps/api/src/database/prisma.service';
import { DeviceLocks } from '../../apps/api/src/jobs/device-locks.service';
import { PushRunner } from '../../apps/api/src/pushes/push-runner.service';
import { createTestApp, type TestApp } from '../utils/create-test-app';
import { create } from '../utils/fixtures';
import { simulatedDeployment, simulatedDevice } from './push-fixtures';
import { requestPush, waitForPush } from './push-helpers';

/*
 * The start-up sweep and the next push resolve what the device_pending_states row says a dead process left on a
 * device. The rows are written here as a crashed push would have left them (the SIGKILL version of these cases is
 * test/pushes/crash.e2e-spec.ts).
 */
describe('device pending state: start-up sweep and next push', () => {
  let t: TestApp;
  let prisma: PrismaService;
  let runner: PushRunner;
  let forti: StartedSimulator<'fortios'>;
  let opn: StartedSimulator<'opnsense'>;
  let fortiDevice: string;
  let opnDevice: string;

  beforeAll(async () => {
    forti = await startSimulator('fortios', { interfaces: ['opt1', 'lan', 'wan'] });
    // 25.1.x: the newest OPNsense whose rollback timer restores (25.7-26.1.x: core#10721, not armed there).
    opn = await startSimulator('opnsense', { version: '25.1.12' });
    t = await createTestApp();
    prisma = t.app.get(PrismaService);
    runner = t.app.get(PushRunner);
    const d = await simulatedDeployment(t, forti);
    fortiDevice = d.device.id;
    const lan = await create(t, 'zones', { siteId: d.hq.id, name: 'lan2', cidrs: ['10.1.30.0/24'] });
    opnDevice = (
      await simulatedDevice(t, opn, d.hq.id, 'hq-opnsense', [
        { name: 'opt1', zoneIds: [d.servers.id] },
        { name: 'lan', zoneIds: [d.lan.id, lan.id] },
        { name: 'wan', external: true },
      ])
    ).id;
  });
  afterAll(async () => {
    await t.close();
    await forti.stop();
    await opn.stop();
  });

  /** A transaction a dead process opened and recorded (id known: it wrote inside it). */
  async function strandedTransaction(): Promise<number> {
    const c = new FortiOsConnector(forti.deviceTarget('raw'));
    try {
      const id = await c.api.startTransaction(60);
      await prisma.devicePendingState.upsert({
        where: { deviceId: fortiDevice },
        create: { deviceId: fortiDevice, transactionId: id, transactionOpenedAt: new Date() },
        update: { transactionId: id, transactionOpenedAt: new Date() },
      });
      return id;
    } finally {
      c.close();
    }
  }

  it('the start-up sweep aborts a recorded FortiOS transaction and clears the row', async () => {
    const id = await strandedTransaction();
    expect(forti.simulator.openTransactions()).toEqual([id]);
    expect(await runner.sweepPending()).toBe(1);
    expect(forti.simulator.openTransactions()).toEqual([]);
    expect(await prisma.devicePendingState.findUnique({ where: { deviceId: fortiDevice } })).toMatchObject({
      transactionId: null,
      transactionOpenedAt: null,
    });
    expect(await runner.sweepPending()).toBe(0);
  });

  it('skips a device someone holds (a push here or on a replica resolves it), and that next push does', async () => {
    const id = await strandedTransaction();
    const locks = t.app.get(DeviceLocks);
    let release!: () => void;
    const held = locks.run(fortiDevice, () => new Promise<void>((r) => (release = r)));
    await new Promise((r) => setTimeout(r, 50));
    expect(await runner.sweepPending()).toBe(0);
    expect(forti.simulator.openTransactions()).toEqual([id]);
    release();
    await held;

    const push = await requestPush(t, fortiDevice);
    const done = await waitForPush(t, push.id);
    expect(done.state).toBe('succeeded');
    expect(done.events.map((e) => e.message)).toContain(
      `aborted FortiOS transaction ${id} that an interrupted push left open: none of its writes were committed`,
    );
    expect(forti.simulator.openTransactions()).toEqual([]);
  });

  it('the sweep cancels an armed OPNsense rollback once the device matches its rule set', async () => {
    expect((await waitForPush(t, (await requestPush(t, opnDevice)).id)).state).toBe('succeeded');
    // A dead process had applied under a savepoint and never cancelled the timer.
    const c = new OpnSenseConnector(opn.deviceTarget('raw'));
    const savepoint = (await c.api.savepoint())!;
    await c.api.apply(savepoint.revision, 5_000);
    c.close();
    expect(opn.simulator.pendingRollback).toMatchObject({ revision: savepoint.revision });
    const armed = {
      rollbackRevision: savepoint.revision,
      rollbackExpiresAt: new Date(Date.now() + 65_000),
      rollbackReason: 'applied, rollback not yet cancelled',
    };
    await prisma.devicePendingState.upsert({
      where: { deviceId: opnDevice },
      create: { deviceId: opnDevice, ...armed },
      update: armed,
    });
    expect(await runner.sweepPending()).toBe(1);
    expect(opn.simulator.pendingRollback).toBeNull();
    expect(await prisma.devicePendingState.findUnique({ where: { deviceId: opnDevice } })).toMatchObject({
      rollbackRevision: null,
    });
  });

  it('a push never reports success while the rollback it found may still remove the rules', async () => {
    // The device differs from the rule set (a managed rule was removed by hand) and a recorded rollback is armed.
    const c = new OpnSenseConnector(opn.deviceTarget('raw'));
    const savepoint = (await c.api.savepoint())!;
    await c.api.apply(savepoint.revision, 5_000);
    c.close();
    const managed = Object.entries(opn.simulator.state.rules).find(([, r]) =>
      r.description.includes('[managed by utm-orchestrator]'),
    )!;
    opn.simulator.guiDeleteRule(managed[0]);
    await prisma.devicePendingState.update({
      where: { deviceId: opnDevice },
      data: {
        rollbackRevision: savepoint.revision,
        rollbackExpiresAt: new Date(Date.now() + 65_000),
        rollbackReason: 'applied, rollback not yet cancelled',
      },
    });
    // cancelRollback fails: the push re-applies under the armed savepoint, verifies, and says the rules may go.
    opn.faults.add({ method: 'POST', path: /cancelRollback/, fault: { type: 'status', status: 500 } });
    const failed = await waitForPush(t, (await requestPush(t, opnDevice)).id);
    expect(failed.state).toBe('failed');
    expect(failed.errorMessage).toMatch(
      /^rules applied and verified on the device, but cancelRollback\/\S+ failed .* the device may revert them at \d{4}-/,
    );
    expect(opn.simulator.pendingRollback).not.toBeNull();
    opn.faults.clear();

    const next = await waitForPush(t, (await requestPush(t, opnDevice)).id);
    expect(next.state).toBe('succeeded');
    expect(next.events.map((e) => e.message)).toContainEqual(
      expect.stringMatching(
        /^cancelled the rollback to savepoint .* after verifying that the device matches/,
      ),
    );
    expect(opn.simulator.pendingRollback).toBeNull();
  });
});
