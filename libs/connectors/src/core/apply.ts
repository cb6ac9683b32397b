import type { Vendor } from '@app/engine/model';
import { ConnectorError, toConnectorError } from './errors';
import { withDeviceLock } from './lock';
import type { ApplyResult, ChangeResult, CommitResult, Plan, PlanChange } from './model';
import { clearUncommitted, processPendingState, type PendingStateStore } from './pending-state';

/** Counts write calls; connectors call `beforeWrite()` right before sending any write request. */
export class WriteMeter {
  private count = 0;

  constructor(private readonly onWrite: () => void) {}

  beforeWrite(): void {
    this.count += 1;
    this.onWrite();
  }

  get writes(): number {
    return this.count;
  }
}

export interface ChangeOutcome {
  status: 'applied' | 'unchanged';
}

/** What a vendor implements to run plans; the runner does ordering bookkeeping, locking, results and commit. */
export interface ApplyExecutor {
  /** Executes one change. Must re-resolve vendor ids right before each write and throw a ConnectorError on failure. */
  execute(change: PlanChange, meter: WriteMeter): Promise<ChangeOutcome>;
  /** Makes the written configuration live (pfSense apply, OPNsense apply + cancelRollback, FortiOS commit). */
  commit(meter: WriteMeter): Promise<void>;
}

export interface RunApplyOptions {
  vendor: Vendor;
  deviceKey: string;
  /** Where "written but not committed" is recorded (default: the process-wide memory of `deviceKey`). */
  pending?: PendingStateStore;
  /**
   * Writes only go live with `commit()` (pfSense, OPNsense): `uncommitted` is recorded before the first change
   * runs and cleared after a successful commit. FortiOS (live writes or a transaction of its own) sets false.
   */
  staged?: boolean;
}

/**
 * Runs a plan in its (dependency) order under the device lock. Stops at the first failure: that change is `failed`,
 * later ones `not_attempted`, and nothing is committed (the uncommitted writes are recorded in the pending-state store,
 * so the next push, in this process or another, commits them even when its plan is empty). Commits once at the end
 * when anything was written or was pending.
 * Never throws: the result carries the classified error.
 */
export async function runApply(
  plan: Plan,
  executor: ApplyExecutor,
  options: RunApplyOptions,
): Promise<ApplyResult> {
  const pending = options.pending ?? processPendingState(options.deviceKey);
  const staged = options.staged ?? true;
  const started = Date.now();
  const results: ChangeResult[] = [];
  let totalWrites = 0;

  const mismatch =
    plan.vendor !== options.vendor
      ? `plan is for vendor ${plan.vendor}, connector is ${options.vendor}`
      : plan.deviceKey !== options.deviceKey
        ? `plan is for device ${plan.deviceKey}, connector is ${options.deviceKey}`
        : null;
  if (mismatch) return refusedApply(plan, new ConnectorError({ kind: 'validation', message: mismatch }));

  return withDeviceLock(options.deviceKey, async () => {
    const wasUncommitted = staged && (await pending.read()).uncommitted;
    // Recorded before any change runs (a change may write), so a crash mid-plan is remembered.
    if (staged && !wasUncommitted && plan.changes.length > 0) await pending.record({ uncommitted: true });
    for (let i = 0; i < plan.changes.length; i++) {
      const change = plan.changes[i];
      const meter = new WriteMeter(() => undefined);
      const t0 = Date.now();
      try {
        const outcome = await executor.execute(change, meter);
        totalWrites += meter.writes;
        results.push({
          changeId: change.id,
          kind: change.kind,
          op: change.op,
          name: change.name,
          status: meter.writes > 0 ? 'applied' : outcome.status,
          writes: meter.writes,
          durationMs: Date.now() - t0,
        });
      } catch (raw) {
        totalWrites += meter.writes;
        const error = toConnectorError(raw).toJSON();
        results.push({
          changeId: change.id,
          kind: change.kind,
          op: change.op,
          name: change.name,
          status: 'failed',
          writes: meter.writes,
          durationMs: Date.now() - t0,
          error,
        });
        for (const rest of plan.changes.slice(i + 1)) results.push(notAttempted(rest));
        return {
          ok: false,
          results,
          commit: { status: 'not_attempted', durationMs: 0 },
          writes: totalWrites,
          durationMs: Date.now() - started,
          error,
        };
      }
    }

    let commit: CommitResult = { status: 'not_needed', durationMs: 0 };
    if (totalWrites > 0 || plan.pendingCommit || wasUncommitted) {
      const meter = new WriteMeter(() => undefined);
      const t0 = Date.now();
      try {
        await executor.commit(meter);
        totalWrites += meter.writes;
        if (staged) await clearUncommitted(pending);
        commit = { status: 'applied', durationMs: Date.now() - t0 };
      } catch (raw) {
        totalWrites += meter.writes;
        const error = toConnectorError(raw).toJSON();
        commit = { status: 'failed', durationMs: Date.now() - t0, error };
        return { ok: false, results, commit, writes: totalWrites, durationMs: Date.now() - started, error };
      }
    } else if (staged && plan.changes.length > 0) {
      // Nothing was written after all (every change found the device already right): nothing to commit.
      await clearUncommitted(pending);
    }
    return { ok: true, results, commit, writes: totalWrites, durationMs: Date.now() - started };
  });
}

/**
 * The result of a plan refused before anything ran: no change attempted, nothing written, nothing recorded as
 * pending on the device (so the next push does not commit for nothing).
 */
export function refusedApply(plan: Plan, error: ConnectorError): ApplyResult {
  return {
    ok: false,
    results: plan.changes.map((c) => notAttempted(c)),
    commit: { status: 'not_attempted', durationMs: 0 },
    writes: 0,
    durationMs: 0,
    error: error.toJSON(),
  };
}

function notAttempted(change: PlanChange): ChangeResult {
  return {
    changeId: change.id,
    kind: change.kind,
    op: change.op,
    name: change.name,
    status: 'not_attempted',
    writes: 0,
    durationMs: 0,
  };
}
