import type { RuleSet } from '@app/engine/model';
import { FortiOsConnector } from '../fortios/fortios.connector';
import { OpnSenseConnector } from '../opnsense/opnsense.connector';
import { PfSenseConnector } from '../pfsense/pfsense.connector';
import {
  FORTIOS_SIM_TOKEN,
  startFortiOsSimulator,
  type FortiOsSimulator,
} from '@app/simulators/fortios/simulator';
import {
  OPNSENSE_SIM_KEY,
  OPNSENSE_SIM_SECRET,
  startOpnSenseSimulator,
  type OpnSenseSimulator,
} from '@app/simulators/opnsense';
import { PFSENSE_SIM_API_KEY, startPfSenseSimulator } from '@app/simulators/pfsense/simulator';
import { hqRuleSet, ruleSet } from '../testing/rule-sets';
import type { FortiOsTarget, OpnSenseTarget, PfSenseTarget } from './target';
import { InMemoryPendingStateStore } from './pending-state';
import { isPlanEmpty } from './model';
import { pushRuleSet } from './push';

/*
 * A "process" is a connector with its own lock key (the in-process device lock and memory are per process); the
 * shared InMemoryPendingStateStore plays the service's database row. "Process A dies" = its push is left hanging on
 * the simulator and process B, started afterwards, pushes to the same device.
 */

const timeouts = { connectMs: 1_000, requestMs: 2_000, commitMs: 2_000 };
const retry = { retries: 2, baseDelayMs: 5, maxDelayMs: 20, maxRetryAfterMs: 2_000 };

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until(what: string, check: () => boolean | Promise<boolean>, ms = 5_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** Two lan rules swapped: a change that is only rule writes (pfSense marks no subsystem dirty for those). */
function swapped(rs: RuleSet): RuleSet {
  return ruleSet({
    ...rs,
    rules: rs.rules.map((r) =>
      r.name === 'utm_r_lan_agents_master'
        ? { ...r, order: 1 }
        : r.name === 'utm_r_lan_agentless_master'
          ? { ...r, order: 0 }
          : r,
    ),
  });
}

describe('FortiOS: a push that dies inside its transaction', () => {
  let sim: FortiOsSimulator;
  const fortiTarget = (url: string, process: string, requestMs = 2_000): FortiOsTarget => ({
    id: 'fw-hq',
    vendor: 'fortios',
    url,
    credentials: { kind: 'fortios-token', token: FORTIOS_SIM_TOKEN },
    timeouts: { ...timeouts, requestMs },
    retry,
    lockKey: `${url}#${process}`,
  });
  const hq = (): RuleSet => {
    const rs = hqRuleSet({ vendor: 'fortios' });
    const port: Record<string, string> = { lan: 'port2', opt1: 'port3', opt2: 'port4' };
    return ruleSet({
      ...rs,
      rules: rs.rules.map((r) => ({ ...r, ingress: port[r.ingress], egress: port[r.egress] })),
    });
  };

  beforeEach(async () => {
    sim = await startFortiOsSimulator();
    // The transaction probe (once per device and process, fortios.connector.spec.ts) first, so records and call
    // counts show the pushes only.
    for (const process of ['a', 'b']) {
      const probing = new FortiOsConnector(fortiTarget(sim.url, process, 10_000));
      expect(await probing.transactionMode()).toMatchObject({ mode: 'transaction' });
      probing.close();
    }
    sim.calls.reset();
  });
  afterEach(async () => {
    await sim.stop();
  });

  it('is aborted by the next push of another process from the recorded id, instead of failing with -580', async () => {
    const db = new InMemoryPendingStateStore();
    const a = new FortiOsConnector(fortiTarget(sim.url, 'a', 10_000), { pending: db });
    // Process A opens the transaction, writes the first address into it, then hangs on the second write (dies).
    sim.faults.add({
      method: 'POST',
      path: /\/api\/v2\/cmdb\/firewall\//,
      skip: 1,
      fault: { type: 'hang', ms: 3_000, when: 'before' },
      times: 1,
    });
    const dying = pushRuleSet(a, hq());
    await until('the transaction to be recorded and written to', async () => {
      const { transaction } = await db.read();
      return transaction?.id != null && sim.calls.writes() >= 3;
    });
    const recorded = (await db.read()).transaction!;
    expect(sim.openTransactions()).toEqual([recorded.id]);
    // Recorded with a null id before transaction-start, then with its id before the first write.
    expect(db.history.slice(0, 2)).toEqual([
      { transaction: { id: null, openedAt: recorded.openedAt } },
      { transaction: { id: recorded.id, openedAt: recorded.openedAt } },
    ]);

    const b = new FortiOsConnector(fortiTarget(sim.url, 'b'), { pending: db });
    try {
      const outcome = await pushRuleSet(b, hq());
      expect(outcome.error).toBeUndefined();
      expect(outcome.ok).toBe(true);
      expect(outcome.recovery!.actions).toEqual([
        `aborted FortiOS transaction ${recorded.id} that an interrupted push left open: none of its writes were committed`,
      ]);
      expect((await db.read()).transaction).toBeNull();
      expect(sim.openTransactions()).toEqual([]);
      expect(isPlanEmpty((await b.verify(hq())).plan)).toBe(true);
    } finally {
      await dying;
      a.close();
      b.close();
    }
  });

  it('treats a recorded transaction the device no longer knows as resolved', async () => {
    const db = new InMemoryPendingStateStore();
    await db.record({ transaction: { id: 4242, openedAt: new Date().toISOString() } });
    const b = new FortiOsConnector(fortiTarget(sim.url, 'b'), { pending: db });
    try {
      const report = await b.recover();
      expect(report.actions[0]).toMatch(/4242 .* no longer open on the device/);
      expect((await db.read()).transaction).toBeNull();
      expect((await pushRuleSet(b, hq())).ok).toBe(true);
    } finally {
      b.close();
    }
  });

  it('keeps the record when the abort cannot reach the device, and the push fails instead of writing', async () => {
    const db = new InMemoryPendingStateStore();
    await db.record({ transaction: { id: 7, openedAt: new Date().toISOString() } });
    sim.faults.add({ method: 'POST', path: '/api/v2/cmdb', fault: { type: 'status', status: 503 } });
    const b = new FortiOsConnector(fortiTarget(sim.url, 'b'), { pending: db });
    try {
      const outcome = await pushRuleSet(b, hq());
      expect(outcome.ok).toBe(false);
      expect(outcome.error).toMatchObject({ kind: 'unavailable' });
      expect(outcome.error!.message).toMatch(/transaction 7 left open .* could not be aborted/);
      expect(sim.calls.writes()).toBe(1);
      expect((await db.read()).transaction).toMatchObject({ id: 7 });
    } finally {
      b.close();
    }
  });
});

describe('OPNsense: rollbacks left armed', () => {
  const WINDOW_MS = 1_500;
  let sim: OpnSenseSimulator;
  const opnTarget = (url: string, process: string, requestMs = 2_000): OpnSenseTarget => ({
    id: 'fw-hq',
    vendor: 'opnsense',
    url,
    credentials: { kind: 'opnsense-api-key', key: OPNSENSE_SIM_KEY, secret: OPNSENSE_SIM_SECRET },
    timeouts: { ...timeouts, requestMs },
    retry,
    lockKey: `${url}#${process}`,
  });
  const rs = (): RuleSet => hqRuleSet({ vendor: 'opnsense' });
  const options = (db: InMemoryPendingStateStore) => ({
    pending: db,
    rollbackWindowMs: WINDOW_MS,
    rollbackSlackMs: 100,
  });
  const managedRules = (): number =>
    Object.values(sim.state.rules).filter((r) => r.description.includes('[managed by utm-orchestrator]'))
      .length;
  /** The push applies and verifies, then its cancelRollback fails: the rollback stays armed on the device. */
  const failNextCancelRollback = (): void => {
    sim.faults.add({
      method: 'POST',
      path: /cancelRollback/,
      fault: { type: 'status', status: 503 },
      times: 1,
    });
  };

  beforeEach(async () => {
    // 25.1.x: its rollback timer restores (25.7-26.1.x: core#10721, the connector does not arm it there).
    sim = await startOpnSenseSimulator({ rollbackTimerMs: WINDOW_MS, version: '25.1.12' });
  });
  afterEach(async () => {
    await sim.stop();
  });

  it('a process dying between apply and cancelRollback: the next push cancels it after verifying, and the rules stay', async () => {
    const db = new InMemoryPendingStateStore();
    const a = new OpnSenseConnector(opnTarget(sim.url, 'a', 10_000), options(db));
    sim.faults.add({
      method: 'POST',
      path: /cancelRollback/,
      fault: { type: 'hang', ms: 4_000, when: 'before' },
      times: 1,
    });
    const dying = pushRuleSet(a, rs());
    await until(
      'the cancelRollback that never arrives',
      () => sim.calls.count({ path: /cancelRollback/ }) > 0,
    );
    expect(sim.pendingRollback).not.toBeNull();
    const recorded = (await db.read()).rollback!;
    expect(recorded).toMatchObject({ revision: sim.pendingRollback!.revision, ruleSetHash: rs().hash });
    expect((await db.read()).uncommitted).toBe(false);

    const b = new OpnSenseConnector(opnTarget(sim.url, 'b'), options(db));
    try {
      const outcome = await pushRuleSet(b, rs());
      expect(outcome.error).toBeUndefined();
      expect(outcome.recovery).toEqual({
        actions: [
          expect.stringMatching(new RegExp(`^cancelled the rollback to savepoint ${recorded.revision}`)),
        ],
        writes: 1,
      });
      expect(sim.pendingRollback).toBeNull();
      expect((await db.read()).rollback).toBeNull();
      // Past the window: nothing was reverted.
      await sleep(WINDOW_MS + 200);
      expect(managedRules()).toBe(rs().rules.length);
      expect(sim.syslog.some((l) => /rollback to revision/.test(l))).toBe(false);
    } finally {
      a.close();
      b.close();
      await dying;
    }
  });

  it('a failing cancelRollback is reported honestly and the next push resolves it at once (no waiting out the window)', async () => {
    const db = new InMemoryPendingStateStore();
    const c = new OpnSenseConnector(opnTarget(sim.url, 'a'), options(db));
    try {
      failNextCancelRollback();
      const failed = await pushRuleSet(c, rs());
      expect(failed.ok).toBe(false);
      expect(failed.error).toMatchObject({ kind: 'unavailable' });
      expect(failed.error!.message).toMatch(
        /rules applied and verified on the device, but cancelRollback\/\S+ failed .*the device may revert them at \d{4}-\d\d-\d\dT/,
      );
      expect((await db.read()).rollback).not.toBeNull();
      expect(sim.pendingRollback).not.toBeNull();

      const started = Date.now();
      const next = await pushRuleSet(c, rs());
      expect(next.error).toBeUndefined();
      expect(next.ok).toBe(true);
      expect(Date.now() - started).toBeLessThan(WINDOW_MS);
      expect(next.recovery!.actions[0]).toMatch(/^cancelled the rollback/);
      expect(sim.pendingRollback).toBeNull();
      await sleep(WINDOW_MS + 200);
      expect(managedRules()).toBe(rs().rules.length);
    } finally {
      c.close();
    }
  });

  it('a device that differs from the rule set keeps the rollback armed until the push has applied and verified', async () => {
    const db = new InMemoryPendingStateStore();
    const c = new OpnSenseConnector(opnTarget(sim.url, 'a'), options(db));
    try {
      failNextCancelRollback();
      expect((await pushRuleSet(c, rs())).ok).toBe(false);
      const armed = (await db.read()).rollback!;
      const changed = hqRuleSet({ vendor: 'opnsense', agents: ['10.20.0.0/24', '10.20.7.7'] });
      sim.calls.reset();
      const next = await pushRuleSet(c, changed);
      expect(next.error).toBeUndefined();
      expect(next.recovery!.actions[0]).toMatch(/does not match the rule set .* stays armed until this push/);
      // No second savepoint: it wrote under the armed one and cancelled that after its verification.
      expect(sim.calls.count({ method: 'POST', path: '/api/firewall/filter/savepoint' })).toBe(0);
      expect(sim.calls.count({ method: 'POST', path: `/api/firewall/filter/apply/${armed.revision}` })).toBe(
        1,
      );
      expect(
        sim.calls.count({ method: 'POST', path: `/api/firewall/filter/cancelRollback/${armed.revision}` }),
      ).toBe(1);
      expect(sim.pendingRollback).toBeNull();
      expect((await db.read()).rollback).toBeNull();
      await sleep(WINDOW_MS + 200);
      expect(isPlanEmpty((await c.verify(changed)).plan)).toBe(true);
    } finally {
      c.close();
    }
  });

  it('a 500 on apply leaves the staged writes recorded, and another process commits them with an empty plan', async () => {
    const db = new InMemoryPendingStateStore();
    const a = new OpnSenseConnector(opnTarget(sim.url, 'a'), options(db));
    const b = new OpnSenseConnector(opnTarget(sim.url, 'b'), options(db));
    try {
      expect((await pushRuleSet(a, rs())).ok).toBe(true);
      sim.faults.add({
        method: 'POST',
        path: /\/filter\/apply\//,
        fault: { type: 'status', status: 500 },
        times: 1,
      });
      const failed = await pushRuleSet(a, swapped(rs()));
      expect(failed.ok).toBe(false);
      expect(sim.hasUnappliedChanges()).toBe(true);
      expect((await db.read()).uncommitted).toBe(true);
      const next = await pushRuleSet(b, swapped(rs()));
      expect(next.plan!.changes).toEqual([]);
      expect(next.plan!.pendingCommit).toBe(true);
      expect(next.error).toBeUndefined();
      expect(sim.hasUnappliedChanges()).toBe(false);
      expect(await db.read()).toMatchObject({ uncommitted: false, rollback: null });
    } finally {
      a.close();
      b.close();
    }
  });
});

describe('pfSense: staged writes', () => {
  /** The simulated HQ firewall; `lockKey` makes connectors of one simulator act as separate processes. */
  const pfTarget = (url: string, lockKey?: string): PfSenseTarget => ({
    id: 'fw-hq',
    vendor: 'pfsense',
    url,
    credentials: { kind: 'pfsense-api-key', apiKey: PFSENSE_SIM_API_KEY },
    timeouts,
    retry,
    ...(lockKey === undefined ? {} : { lockKey }),
  });

  it('a 500 on apply after rule-only writes: another process applies them although its plan is empty', async () => {
    const sim = await startPfSenseSimulator();
    const db = new InMemoryPendingStateStore();
    const a = new PfSenseConnector(pfTarget(sim.url, `${sim.url}#a`), { pending: db });
    const b = new PfSenseConnector(pfTarget(sim.url, `${sim.url}#b`), { pending: db });
    try {
      expect((await pushRuleSet(a, hqRuleSet())).ok).toBe(true);
      sim.faults.add({
        method: 'POST',
        path: '/api/v2/firewall/apply',
        fault: { type: 'status', status: 500 },
        times: 1,
      });
      const failed = await pushRuleSet(a, swapped(hqRuleSet()));
      expect(failed.ok).toBe(false);
      expect(failed.apply!.commit.status).toBe('failed');
      expect(sim.hasUnappliedChanges()).toBe(true);
      // The device itself reports nothing pending for rule writes: only the record knows.
      expect(sim.pendingSubsystems).toEqual([]);
      expect((await db.read()).uncommitted).toBe(true);

      const next = await pushRuleSet(b, swapped(hqRuleSet()));
      expect(next.plan!.changes).toEqual([]);
      expect(next.plan!.pendingCommit).toBe(true);
      expect(next.recovery!.actions).toEqual([
        expect.stringMatching(/never applied: this push applies them/),
      ]);
      expect(next.ok).toBe(true);
      expect(sim.hasUnappliedChanges()).toBe(false);
      expect((await db.read()).uncommitted).toBe(false);
    } finally {
      a.close();
      b.close();
      await sim.stop();
    }
  });
  it('a store that can defer the clear after the commit is asked to, instead of recording uncommitted: false', async () => {
    const sim = await startPfSenseSimulator();
    /** Plays the service's store: the clear is left to the push's record statement (`unwritten`). */
    class DeferringStore extends InMemoryPendingStateStore {
      unwritten = 0;
      clearUncommitted(): Promise<void> {
        this.unwritten += 1;
        this.state = { ...this.state, uncommitted: false };
        return Promise.resolve();
      }
    }
    const db = new DeferringStore();
    const c = new PfSenseConnector(pfTarget(sim.url), { pending: db });
    try {
      const pushed = await pushRuleSet(c, hqRuleSet());
      // The verification after the commit reads the flag through the store: cleared, so nothing is left to do.
      expect(pushed.ok).toBe(true);
      expect(pushed.apply!.commit.status).toBe('applied');
      expect(db.history).toEqual([{ uncommitted: true }]);
      expect(db.unwritten).toBe(1);
      expect(sim.hasUnappliedChanges()).toBe(false);
    } finally {
      c.close();
      await sim.stop();
    }
  });
});
