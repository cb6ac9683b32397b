import type { RuleSet } from '@app/engine/model';
import type { FirewallConnector } from './connector';
import { toConnectorError, type ConnectorErrorJson } from './errors';
import { withDeviceLock } from './lock';
import { isPlanEmpty, type ApplyResult, type ManagedState, type Plan, type VerifyResult } from './model';
import type { RecoveryReport } from './pending-state';
import type { RestoreReport } from './restore';

export interface PushOptions {
  /** Read and plan only. */
  dryRun?: boolean;
  /** Re-read and re-plan after a successful apply (default true). */
  verify?: boolean;
}

export interface PushOutcome {
  ok: boolean;
  /** Null when reading or planning failed. */
  plan: Plan | null;
  apply: ApplyResult | null;
  verification: VerifyResult | null;
  /** What resolving the state an earlier push left pending did (null: dry run, or recovery failed). */
  recovery: RecoveryReport | null;
  /**
   * The connector's own recovery after a failed apply or verification (null: not needed or not supported): what it
   * undid and what is live on the device afterwards. Its summary is also appended to `error.message`.
   */
  restore?: RestoreReport | null;
  /** The first failure (read, plan, apply or verification), classified. */
  error?: ConnectorErrorJson;
}

/**
 * One push: read → plan → apply → verify, all under the device lock so no other push can interleave between the
 * read and the writes. Never throws; the outcome is the record to keep.
 */
export async function pushRuleSet(
  connector: FirewallConnector,
  desired: RuleSet,
  options: PushOptions = {},
): Promise<PushOutcome> {
  return withDeviceLock(connector.settings.deviceKey, async () => {
    let plan: Plan;
    let live: ManagedState;
    let recovery: RecoveryReport | null = null;
    try {
      // A dry run writes nothing, recovery included; its read still reports what is pending.
      if (!options.dryRun) recovery = await connector.recover(desired);
      live = await connector.readState();
      plan = connector.plan(desired, live);
    } catch (err) {
      return {
        ok: false,
        plan: null,
        apply: null,
        verification: null,
        recovery,
        error: toConnectorError(err).toJSON(),
      };
    }
    if (options.dryRun) return { ok: true, plan, apply: null, verification: null, recovery };
    const apply = isPlanEmpty(plan) ? null : await connector.apply(plan);
    if (apply && !apply.ok) {
      const restore =
        apply.writes > 0 && connector.restore
          ? await connector.restore(live, { stage: 'apply', apply, ruleSetHash: desired.hash })
          : null;
      return {
        ok: false,
        plan,
        apply,
        verification: null,
        recovery,
        restore,
        error: withRestore(apply.error, restore),
      };
    }
    if (options.verify === false || apply === null) {
      return { ok: true, plan, apply, verification: null, recovery };
    }
    try {
      const verification = await connector.verify(desired);
      if (!verification.ok) {
        const restore = connector.restore
          ? await connector.restore(live, { stage: 'verify', apply, ruleSetHash: desired.hash })
          : null;
        return {
          ok: false,
          plan,
          apply,
          verification,
          recovery,
          restore,
          error: withRestore(
            {
              name: 'ConnectorError',
              kind: 'conflict',
              message: `verification found ${verification.plan.changes.length} change(s) still to do after apply (the device changed concurrently or ignored a write)`,
            },
            restore,
          ),
        };
      }
      return { ok: true, plan, apply, verification, recovery };
    } catch (err) {
      return { ok: false, plan, apply, verification: null, recovery, error: toConnectorError(err).toJSON() };
    }
  });
}

const LIVE: Record<RestoreReport['live'], string> = {
  previous: 'the device holds the managed rules and objects it had before this push',
  new: "this push's changes are live",
  partial: 'part of this push may be live: check the device, the next push re-plans from what it reads',
  unknown: 'what is live is unknown (the device could not be read)',
};

/** The failure, with what the connector's own recovery did and what is live afterwards. */
function withRestore(
  error: ConnectorErrorJson | undefined,
  restore: RestoreReport | null,
): ConnectorErrorJson | undefined {
  if (!error || !restore) return error;
  return {
    ...error,
    message: `${error.message}; recovery ${restore.status}: ${LIVE[restore.live]} (${restore.actions.join('; ')})`,
  };
}
