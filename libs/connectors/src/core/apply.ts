import type { Vendor } from '@app/engine/model';
import { ConnectorError, toConnectorError } from './errors';
import { pendingCommits, withDeviceLock, type PendingCommitTracker } from './lock';
import type { ApplyResult, ChangeResult, CommitResult, Plan, PlanChange } from './model';

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
  tracker?: PendingCommitTracker;
}

/**
 * Runs a plan in its (dependency) order under the device lock. Stops at the first failure: that change is `failed`,
 * later ones `not_attempted`, and nothing is committed (the uncommitted writes are remembered as pending so the next
 * push commits them after re-planning). Commits once at the end when anything was written or was pending.
 * Never throws: the result carries the classified error.
 */
export async function runApply(
  plan: Plan,
  executor: ApplyExecutor,
  options: RunApplyOptions,
): Promise<ApplyResult> {
  const tracker = options.tracker ?? pendingCommits;
  const started = Date.now();
  const results: ChangeResult[] = [];
  let totalWrites = 0;

  const mismatch =
    plan.vendor !== options.vendor
      ? `plan is for vendor ${plan.vendor}, connector is ${options.vendor}`
      : plan.deviceKey !== options.deviceKey
        ? `plan is for device ${plan.deviceKey}, connector is ${options.deviceKey}`
        : null;
  if (mismatch) {
    const error = new ConnectorError({ kind: 'validation', message: mismatch }).toJSON();
    return {
      ok: false,
      results: plan.changes.map((c) => notAttempted(c)),
      commit: { status: 'not_attempted', durationMs: 0 },
      writes: 0,
      durationMs: 0,
      error,
    };
  }

  return withDeviceLock(options.deviceKey, async () => {
    const markDirty = (): void => tracker.markDirty(options.deviceKey);
    for (let i = 0; i < plan.changes.length; i++) {
      const change = plan.changes[i];
      const meter = new WriteMeter(markDirty);
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
    if (totalWrites > 0 || plan.pendingCommit || tracker.isDirty(options.deviceKey)) {
      const meter = new WriteMeter(() => undefined);
      const t0 = Date.now();
      try {
        await executor.commit(meter);
        totalWrites += meter.writes;
        tracker.clear(options.deviceKey);
        commit = { status: 'applied', durationMs: Date.now() - t0 };
      } catch (raw) {
        totalWrites += meter.writes;
        const error = toConnectorError(raw).toJSON();
        commit = { status: 'failed', durationMs: Date.now() - t0, error };
        return { ok: false, results, commit, writes: totalWrites, durationMs: Date.now() - started, error };
      }
    }
    return { ok: true, results, commit, writes: totalWrites, durationMs: Date.now() - started };
  });
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
