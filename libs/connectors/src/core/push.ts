import type { RuleSet } from '@app/engine/model';
import type { FirewallConnector } from './connector';
import { toConnectorError, type ConnectorErrorJson } from './errors';
import { withDeviceLock } from './lock';
import { isPlanEmpty, type ApplyResult, type Plan, type VerifyResult } from './model';

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
    try {
      const live = await connector.readState();
      plan = connector.plan(desired, live);
    } catch (err) {
      return {
        ok: false,
        plan: null,
        apply: null,
        verification: null,
        error: toConnectorError(err).toJSON(),
      };
    }
    if (options.dryRun) return { ok: true, plan, apply: null, verification: null };
    const apply = isPlanEmpty(plan) ? null : await connector.apply(plan);
    if (apply && !apply.ok) return { ok: false, plan, apply, verification: null, error: apply.error };
    if (options.verify === false || apply === null) return { ok: true, plan, apply, verification: null };
    try {
      const verification = await connector.verify(desired);
      if (!verification.ok) {
        return {
          ok: false,
          plan,
          apply,
          verification,
          error: {
            name: 'ConnectorError',
            kind: 'conflict',
            message: `verification found ${verification.plan.changes.length} change(s) still to do after apply (the device changed concurrently or ignored a write)`,
          },
        };
      }
      return { ok: true, plan, apply, verification };
    } catch (err) {
      return { ok: false, plan, apply, verification: null, error: toConnectorError(err).toJSON() };
    }
  });
}
