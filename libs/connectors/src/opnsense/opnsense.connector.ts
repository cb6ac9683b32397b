import type { RuleSet } from '@app/engine/model';
import { rebucket } from '../core/aliases';
import {
  refusedApply,
  runApply,
  type ApplyExecutor,
  type ChangeOutcome,
  type WriteMeter,
} from '../core/apply';
import type { ConnectorOptions, FirewallConnector } from '../core/connector';
import { ConnectorError, isForbidden } from '../core/errors';
import { inRange, unsupportedVersion, versionNumbers } from '../core/versions';
import { restoreManagedState, type RestoreContext, type RestoreReport } from '../core/restore';
import { withDeviceLock } from '../core/lock';
import {
  isPlanEmpty,
  type AddressChange,
  type ApplyResult,
  type DesiredState,
  type ManagedState,
  type NatChange,
  type Plan,
  type PlanChange,
  type ProbeResult,
  type ReorderChange,
  type RuleChange,
  type ServiceChange,
  type UnmanagedNat,
  type UnmanagedRule,
  type VerifyResult,
} from '../core/model';
import {
  processPendingState,
  type PendingRollback,
  type PendingStateStore,
  type RecoveryReport,
} from '../core/pending-state';
import { assertSameDevice, computePlan, sameValue, type PlanOptions } from '../core/plan';
import { resolveSettings, type OpnSenseTarget, type ResolvedSettings } from '../core/target';
import {
  OpnSenseApi,
  type OpnAlias,
  type OpnAliasBody,
  type OpnNat,
  type OpnRule,
  type OpnSavepoint,
} from './api';
import {
  aliasBodyForAddress,
  aliasBodyForService,
  byEvaluation,
  desiredFromRuleSet,
  isManagedAlias,
  liveFromOpnSense,
  managedNatName,
  managedRuleName,
  natBody,
  ruleBody,
  ruleFromBody,
  unmanagedNatFromOpnSense,
  unmanagedRulesFromOpnSense,
} from './mapping';
import { assignSequences, blockBounds, DEFAULT_MAX_SEQUENCE, type SequenceBounds } from './sequence';

/** First release with the destination NAT API (`/api/firewall/d_nat`, opnsense/core PR #9473, tag 26.1). */
export const OPNSENSE_NAT_SINCE: [number, number] = [26, 1];

/** Whether the d_nat API could be read on this device: unknown until the first read. */
type NatAccess = 'unknown' | 'yes' | 'absent' | 'forbidden';

export interface OpnSenseConnectorOptions extends ConnectorOptions {
  /** The device's rollback window after `apply/{revision}` (60 s on real OPNsense; the simulator's is configurable). */
  rollbackWindowMs?: number;
  /** Margin added to the window before this process assumes an un-cancelled rollback has fired (default 5 s). */
  rollbackSlackMs?: number;
  /**
   * Extra check after apply and the configuration re-read, before the rollback is cancelled (e.g. "the management
   * address still answers"). Returning false or throwing keeps the rollback armed: the device restores the previous
   * rules when the window ends.
   */
  postApplyCheck?: () => Promise<boolean>;
  /** Highest sequence used for managed rules (default 99999, the limit of 24.x..25.1.4). */
  maxSequence?: number;
}

/**
 * OPNsense connector (automation filter rules + aliases, `/api/firewall/{filter,alias}`).
 *
 * - Objects: host/network aliases for address objects, port aliases (`a:b` ranges) for service objects, content
 *   newline-separated; `alias/reconfigure` after alias changes.
 * - Rules: one `pass`/`in` automation rule per managed rule on its ingress interface, protocol `TCP`/`UDP`, source
 *   and destination aliases, destination port = the port alias; description = `<name> <marker>`.
 * - Reading: `GET filter/get` and `GET alias/get` (whole models): `searchRule` hides interface rules on 25.1.5..26.1
 *   and pages, so it is never used.
 * - Ordering: `(sequence, uuid)` per interface; only managed rules' sequences are rewritten, strictly below (top) or
 *   above (bottom) people's rules.
 * - Commit: `savepoint` before the first write, then `apply/{revision}`, alias reconfigure, re-read + verify the plan
 *   landed (+ optional `postApplyCheck`), and only then `cancelRollback/{revision}`. Without savepoints (26.7+:
 *   404) a plain `apply`. A failed verification leaves the rollback armed: the device restores the previous rules.
 * - Crash safety (pending-state store): "written, not applied" is recorded before the first write; the rollback
 *   (revision, expiry, rule set) before `apply/{revision}`; both are cleared once resolved. The next push's
 *   `recover()` cancels a still-armed rollback only after re-reading the device and finding it matches the rule
 *   set; otherwise the push writes under that same savepoint (the device keeps one timer) and cancels it after
 *   its own verification. A push never reports success while a rollback it knows of may still remove its rules.
 */
export class OpnSenseConnector implements FirewallConnector {
  readonly vendor = 'opnsense' as const;
  readonly settings: ResolvedSettings;
  readonly api: OpnSenseApi;
  readonly options: Required<Omit<OpnSenseConnectorOptions, 'postApplyCheck'>> &
    Pick<OpnSenseConnectorOptions, 'postApplyCheck'>;
  /** undefined until known: probed firmware ≥ 26.7 or a `savepoint` 404 turn it off. */
  savepointSupported: boolean | undefined;
  firmwareVersion: string | null = null;
  /** probe() ran (the version may still be null when the key may not read the firmware page). */
  private firmwareRead = false;
  /** Set by every read of the NAT rules (readState, verification). */
  natAccess: NatAccess = 'unknown';
  readonly pending: PendingStateStore;
  private readonly planned = new WeakMap<Plan, DesiredState>();

  constructor(
    readonly target: OpnSenseTarget,
    options: OpnSenseConnectorOptions = {},
  ) {
    this.settings = resolveSettings(target);
    this.api = new OpnSenseApi(this.settings, target.credentials);
    this.pending = options.pending ?? processPendingState(this.settings.deviceKey);
    this.options = {
      rollbackWindowMs: options.rollbackWindowMs ?? 60_000,
      rollbackSlackMs: options.rollbackSlackMs ?? 5_000,
      maxSequence: options.maxSequence ?? DEFAULT_MAX_SEQUENCE,
      postApplyCheck: options.postApplyCheck,
      pending: this.pending,
    };
  }

  close(): void {
    this.api.close();
  }

  /** A rollback an earlier push left armed on the device (per the pending-state record), if it may still fire. */
  async pendingRollback(now = Date.now()): Promise<PendingRollback | null> {
    const { rollback } = await this.pending.read();
    return rollback && Date.parse(rollback.expiresAt) > now ? rollback : null;
  }

  /**
   * Resolves a rollback an earlier push left recorded. Expired: forgotten (the device restored the savepoint, or
   * core#10721 made the timer inert; the push's own read shows which). Still armed and the device matches `desired`:
   * cancelled, so the rules stay. Still armed and the device differs: left armed; the push writes under the same
   * savepoint and cancels it after its own verification (see the executor).
   */
  recover(desired: RuleSet | null): Promise<RecoveryReport> {
    return withDeviceLock(this.settings.deviceKey, async () => {
      const state = await this.pending.read();
      const actions: string[] = [];
      if (state.uncommitted) {
        actions.push(
          'an earlier push left writes in the configuration that were never applied: this push applies them',
        );
      }
      const rollback = state.rollback;
      if (!rollback) return { actions, writes: 0 };
      if (Date.parse(rollback.expiresAt) <= Date.now()) {
        await this.pending.record({ rollback: null });
        actions.push(
          `the rollback to savepoint ${rollback.revision} left armed by an earlier push (${rollback.reason}) ended ` +
            `at ${rollback.expiresAt}: the device may have restored the filter rules from before that push, so ` +
            `this push re-reads the device and re-applies what is missing`,
        );
        return { actions, writes: 0 };
      }
      const differences = desired === null ? null : await this.differences(desired);
      if (differences === null || differences.length > 0) {
        actions.push(
          `a rollback to savepoint ${rollback.revision} left armed by an earlier push (${rollback.reason}) may ` +
            `restore the previous filter rules until ${rollback.expiresAt}; ` +
            (differences === null
              ? 'it was left armed (no rule set to verify the device against)'
              : `the device does not match the rule set (${differences.join('; ')}), so it stays armed until ` +
                `this push has applied and verified the rules`),
        );
        return { actions, writes: 0 };
      }
      const cancelled = await this.api.cancelRollback(rollback.revision);
      await this.pending.record({ rollback: null });
      actions.push(
        cancelled
          ? `cancelled the rollback to savepoint ${rollback.revision} left armed by an earlier push ` +
              `(${rollback.reason}) after verifying that the device matches the rule set: its rules stay live`
          : `no rollback timer for savepoint ${rollback.revision} was armed any more (it fired, or never armed); ` +
              `the device matched the rule set when checked`,
      );
      return { actions, writes: 1 };
    });
  }

  /** What would still change to make the device match `desired` (empty: it matches; pending commits ignored). */
  private async differences(desired: RuleSet): Promise<string[]> {
    const live = await this.readLive(false, []);
    return this.plan(desired, live).changes.map((c) => `${c.kind} ${c.name} needs ${c.op}`);
  }

  /**
   * The d_nat rules, or null when there is no NAT API to read: firmware before 26.1 (not even asked), a dispatch 404
   * (firmware unknown), or a key without the `page-firewall-nat-portforward-edit` privilege (403; a warning, so a
   * rule set without NAT still deploys with such a key).
   */
  async readNat(warnings: string[]): Promise<OpnNat[] | null> {
    const v = this.firmwareVersion;
    if (v !== null && compareVersion(v, OPNSENSE_NAT_SINCE) < 0) {
      this.natAccess = 'absent';
      return null;
    }
    try {
      const nat = await this.api.listNat();
      this.natAccess = nat === null ? 'absent' : 'yes';
      return nat;
    } catch (err) {
      if (!isForbidden(err)) throw err;
      this.natAccess = 'forbidden';
      warnings.push(
        'the API key may not read destination NAT (/api/firewall/d_nat: privilege "Firewall: NAT: Destination NAT"): managed NAT entries are not checked',
      );
      return null;
    }
  }

  /** @internal Aliases, rules and NAT rules, normalised. */
  async readLive(locallyDirty: boolean, warnings: string[]): Promise<ManagedState> {
    const readAt = new Date().toISOString();
    const aliases = await this.api.listAliases();
    const rules = await this.api.listRules();
    const nat = await this.readNat(warnings);
    return liveFromOpnSense(
      { aliases, rules, ...(nat ? { nat } : {}), locallyDirty, readAt, warnings },
      this.settings,
    );
  }

  /**
   * Refusal of NAT entries on a device without the d_nat API (before 26.1) or whose key may not use it: raised by
   * plan() and apply() before anything is written. Rule sets without NAT entries are unaffected.
   */
  natRefusal(entries: string[]): ConnectorError | null {
    if (entries.length === 0) return null;
    const v = this.firmwareVersion;
    const old = v !== null && compareVersion(v, OPNSENSE_NAT_SINCE) < 0;
    if (!old && this.natAccess !== 'absent' && this.natAccess !== 'forbidden') return null;
    const what = `${entries.length} destination NAT entr${entries.length === 1 ? 'y' : 'ies'} (${entries.join(', ')})`;
    const why =
      this.natAccess === 'forbidden' && !old
        ? 'the API key lacks the "Firewall: NAT: Destination NAT" privilege (page-firewall-nat-portforward-edit) for /api/firewall/d_nat'
        : `OPNsense ${v ?? '(version unreadable)'} has no destination NAT API: /api/firewall/d_nat exists from OPNsense 26.1`;
    return new ConnectorError({
      kind: 'validation',
      message: `the rule set has ${what} but ${why}; nothing was written. Upgrade the firewall to 26.1 or later (or grant the privilege), or publish the nodes through another device`,
      details: {
        code: 'nat_unsupported',
        version: v,
        minimumVersion: OPNSENSE_NAT_SINCE.join('.'),
        access: this.natAccess,
        entries,
      },
    });
  }

  async probe(): Promise<ProbeResult> {
    const t0 = Date.now();
    let version: string | null;
    try {
      version = await this.api.firmwareVersion();
    } catch (err) {
      // A key limited to the firewall pages may not read the firmware page: prove access another way.
      if (!isForbidden(err)) throw err;
      await this.api.listRules();
      version = null;
    }
    this.firmwareVersion = version;
    this.firmwareRead = true;
    if (version !== null && compareVersion(version, [26, 7]) >= 0) this.savepointSupported = false;
    return {
      vendor: 'opnsense',
      version,
      apiVersion: null,
      tls: this.settings.tlsMode,
      latencyMs: Date.now() - t0,
    };
  }

  /**
   * Reads the firmware once per connector (it decides the rollback timer, O31) and refuses a version outside
   * OPNsense 24.7-26.7 before anything is written. A key that may not read the firmware page leaves it unknown:
   * allowed, with the rollback timer not relied on.
   */
  private async assertSupported(): Promise<void> {
    if (!this.firmwareRead) await this.probe();
    const v = this.firmwareVersion;
    const n = v === null ? null : versionNumbers(v);
    if (v !== null && (n === null || !inRange(n, [24, 7], [26, 7]))) {
      throw unsupportedVersion('opnsense', 'OPNsense', v);
    }
  }

  async readState(): Promise<ManagedState> {
    await this.assertSupported();
    const warnings: string[] = [];
    const pending = await this.pendingRollback();
    if (pending) {
      warnings.push(
        `a rollback to savepoint ${pending.revision} may still fire until ${pending.expiresAt} (${pending.reason})`,
      );
    }
    const { uncommitted } = await this.pending.read();
    return this.readLive(uncommitted, warnings);
  }

  /**
   * Port forwards people made (the exposure check). Null where they exist but cannot be read: firmware before 26.1
   * (no d_nat API) or a key without the NAT privilege.
   */
  async readUnmanagedNat(): Promise<UnmanagedNat[] | null> {
    if (!this.firmwareRead) await this.probe();
    const nat = await this.readNat([]);
    if (nat === null) return null;
    const aliases = await this.api.listAliases();
    return unmanagedNatFromOpnSense(nat, aliases, this.settings);
  }

  /** Filter rules this service does not manage, with their destination ports resolved (for the exposure check). */
  async readUnmanagedRules(): Promise<UnmanagedRule[]> {
    const aliases = await this.api.listAliases();
    const rules = await this.api.listRules();
    return unmanagedRulesFromOpnSense(rules, aliases, this.settings);
  }

  plan(desired: RuleSet, live: ManagedState): Plan {
    assertSameDevice(this.target, this.settings, desired, live);
    const refusal = this.natRefusal((desired.nat ?? []).map((n) => n.name));
    if (refusal) throw refusal;
    return this.planTo(desiredFromRuleSet(desired, this.settings), live, desired.hash);
  }

  /** @internal The plan towards a normalised state (also the push's own recovery, see core/restore.ts). */
  planTo(want: DesiredState, live: ManagedState, ruleSetHash: string): Plan {
    const plan = computePlan(want, rebucket(live, want), this.planOptions(ruleSetHash));
    this.planned.set(plan, want);
    return plan;
  }

  /**
   * Own recovery (core/restore.ts). A rollback timer that works and is still armed restores the
   * rules itself, so it is left to do that (aliases are not part of it; the next push re-checks them). Otherwise
   * (25.7-26.1.x, 26.7+, unknown firmware) the managed state read before the push is written back and applied.
   */
  async restore(previous: ManagedState, failure: RestoreContext): Promise<RestoreReport | null> {
    // Only a verification failure inside the commit (the apply went through) leaves wrong rules live; a failed
    // write or apply call leaves staged writes, recorded for the next push.
    const details = failure.apply.commit.error?.details;
    const verifiedBad = typeof details === 'object' && details !== null && 'problems' in details;
    if (failure.stage === 'apply' && !verifiedBad) return null;
    const armed = await this.pendingRollback();
    if (armed) {
      return {
        status: 'deferred',
        live: 'new',
        writes: 0,
        actions: [
          `the device's rollback timer (savepoint ${armed.revision}) restores the previous filter rules at ` +
            `${armed.expiresAt}; aliases keep the pushed content until the next push`,
        ],
      };
    }
    return restoreManagedState(this, previous, failure.ruleSetHash);
  }

  /** @internal */
  planOptions(ruleSetHash: string): PlanOptions {
    return {
      vendor: 'opnsense',
      deviceId: this.target.id,
      deviceKey: this.settings.deviceKey,
      ruleSetHash,
      prefix: this.settings.prefix,
      blockPosition: this.settings.blockPosition,
      sharedObjectNamespace: true,
    };
  }

  /**
   * Whether `apply/{savepoint}` arms a timer that can restore anything here. 26.7+ has no savepoints; on 25.7-26.1.x
   * the savepoint revision never names a backup file, so the timer restores nothing (core#10721, vendor-conformance
   * O31); an unknown version is treated as "does not work". Only then is the timer used at all.
   */
  rollbackTimerWorks(): boolean {
    return this.firmwareVersion !== null && compareVersion(this.firmwareVersion, [25, 7]) < 0;
  }

  /** Why the rollback timer is not used on this device (for messages and the push history). */
  rollbackTimerAbsence(): string {
    const v = this.firmwareVersion;
    if (v === null) return 'the firmware version could not be read, so its rollback timer is not relied on';
    if (compareVersion(v, [26, 7]) >= 0) return `OPNsense ${v} has no savepoints or rollback timer`;
    return `OPNsense ${v}'s rollback timer restores nothing (the savepoint revision names no backup, core#10721)`;
  }

  async apply(plan: Plan): Promise<ApplyResult> {
    // The device holds one rollback timer: a new apply/{rev} would arm none while an earlier one is armed, and that
    // timer would then revert this push too. So a push inside that window writes under the SAME savepoint and
    // cancels it after its own verification (its rules are what the device ends up with either way).
    const inherited = await this.pendingRollback();
    const natNames = plan.changes.filter((c) => c.kind === 'nat' && c.op !== 'delete').map((c) => c.name);
    // Refused before runApply, which records the device as holding uncommitted writes before the first change.
    const refusal = this.natRefusal(natNames);
    if (refusal) return refusedApply(plan, refusal);
    return runApply(plan, new OpnSenseExecutor(this, plan, inherited), {
      vendor: 'opnsense',
      deviceKey: this.settings.deviceKey,
      pending: this.pending,
      staged: true,
    });
  }

  /**
   * Identifiers of the assigned interfaces the device has live (`lan`, `opt1`: what filter rules name; one GET,
   * see the api). The endpoint exists on every release of the supported range, so there is no per-version branch.
   * Interface groups, also valid rule interfaces, are not listed.
   */
  async readInterfaceNames(): Promise<string[]> {
    return this.api.listInterfaceIdentifiers();
  }

  async verify(desired: RuleSet): Promise<VerifyResult> {
    const live = await this.readState();
    const plan = this.plan(desired, live);
    return { ok: isPlanEmpty(plan), plan, live };
  }

  /** @internal The desired state a plan was computed from, for the full verification inside the commit. */
  desiredOf(plan: Plan): DesiredState | undefined {
    return this.planned.get(plan);
  }

  /** @internal Used by the executor: recorded before the `apply/{revision}` that arms the timer. */
  async markRollback(
    revision: string,
    armedAt: number,
    ruleSetHash: string,
    reason: string,
  ): Promise<string> {
    const expiresAt = new Date(
      armedAt + this.options.rollbackWindowMs + this.options.rollbackSlackMs,
    ).toISOString();
    await this.pending.record({ rollback: { revision, expiresAt, ruleSetHash, reason } });
    return expiresAt;
  }

  /** @internal */
  async clearRollback(): Promise<void> {
    await this.pending.record({ rollback: null });
  }
}

function compareVersion(version: string, wanted: [number, number]): number {
  const [major, minor] = version.split(/[.-]/).map(Number);
  return (major || 0) - wanted[0] || (minor || 0) - wanted[1];
}

class OpnSenseExecutor implements ApplyExecutor {
  private readonly api: OpnSenseApi;
  private readonly settings: ResolvedSettings;
  private readonly orders = new Map<string, string[]>();
  /** Rules as last read plus our own writes, to place creates without a full re-read per create. */
  private view: Map<string, OpnRule> | null = null;
  private savepoint: OpnSavepoint | null = null;
  private savepointDecided = false;
  private aliasesWritten = false;
  private wrote = false;

  constructor(
    private readonly connector: OpnSenseConnector,
    private readonly plan: Plan,
    /** A rollback an earlier push left armed: its savepoint is reused instead of taking a new one. */
    inherited: PendingRollback | null = null,
  ) {
    if (inherited) {
      this.savepoint = { revision: inherited.revision, retention: '' };
      this.savepointDecided = true;
    }
    this.api = connector.api;
    this.settings = connector.settings;
    for (const change of plan.changes)
      if (change.kind === 'order') this.orders.set(change.name, change.after);
  }

  execute(change: PlanChange, meter: WriteMeter): Promise<ChangeOutcome> {
    switch (change.kind) {
      case 'address':
      case 'service':
        return this.alias(change, meter);
      case 'rule':
        return this.rule(change, meter);
      case 'order':
        return this.reorder(change, meter);
      case 'nat':
        return this.nat(change, meter);
    }
  }

  /** Takes the savepoint right before the first write, so a rollback restores the rules as they were before. */
  private async beforeWrite(meter: WriteMeter): Promise<void> {
    if (
      !this.savepointDecided &&
      this.connector.savepointSupported !== false &&
      this.connector.rollbackTimerWorks()
    ) {
      meter.beforeWrite();
      const sp = await this.api.savepoint();
      this.connector.savepointSupported = sp !== null;
      this.savepoint = sp;
    }
    this.savepointDecided = true;
    this.wrote = true;
    meter.beforeWrite();
  }

  async commit(meter: WriteMeter): Promise<void> {
    const { commitMs } = this.settings.timeouts;
    const revision = this.savepoint?.revision ?? null;
    const hash = this.plan.ruleSetHash;
    // Durable before the call that arms the timer: a crash after it leaves a record the next push resolves.
    let expiresAt =
      revision === null
        ? null
        : await this.connector.markRollback(
            revision,
            Date.now(),
            hash,
            'applied, rollback not yet cancelled',
          );
    meter.beforeWrite();
    // On failure the record stays: the request may have reached the box (dropped answer, timeout).
    await this.api.apply(revision, commitMs);
    await this.connector.pending.record({ uncommitted: false });
    // Alias tables are refreshed by reconfigure (26.7's apply skips them). Pending-only commits do not know what
    // the failed push changed, so they reconfigure too.
    if (this.aliasesWritten || !this.wrote) {
      meter.beforeWrite();
      await this.api.reconfigureAliases(commitMs);
    }
    const problems = await this.landed();
    if (problems.length === 0 && this.connector.options.postApplyCheck) {
      let passed = false;
      try {
        passed = await this.connector.options.postApplyCheck();
      } catch (err) {
        problems.push(`post-apply check failed: ${err instanceof Error ? err.message : String(err)}`);
      }
      if (!passed && problems.length === 0) problems.push('post-apply check failed');
    }
    if (problems.length > 0) {
      if (revision !== null) {
        expiresAt = await this.connector.markRollback(
          revision,
          Date.now(),
          hash,
          'verification after apply failed',
        );
      }
      throw new ConnectorError({
        kind: 'conflict',
        message:
          `verification after apply failed (${problems.join('; ')}); ` +
          (revision !== null
            ? `the rollback to savepoint ${revision} was NOT cancelled: the device restores the previous filter rules at ${expiresAt} (aliases are not reverted), unless the next push verifies the rules and cancels it`
            : // What is live is for the push's own recovery to say (it runs next and undoes these writes).
              `no rollback timer undoes the applied rules: ${this.connector.rollbackTimerAbsence()}`),
        retryAfterMs:
          revision !== null
            ? this.connector.options.rollbackWindowMs + this.connector.options.rollbackSlackMs
            : undefined,
        details: { problems, revision, rollbackExpiresAt: expiresAt },
      });
    }
    if (revision === null) return;
    meter.beforeWrite();
    let cancelled: boolean;
    try {
      cancelled = await this.api.cancelRollback(revision);
    } catch (raw) {
      // The record stays: the next push cancels it after re-verifying, or re-applies after it fired. Same kind,
      // so a transient fault is retried (and that retry's recovery cancels it) instead of waiting out the window.
      const err = raw instanceof ConnectorError ? raw : null;
      throw new ConnectorError({
        kind: err?.kind ?? 'protocol',
        status: err?.status,
        vendorMessage: err?.vendorMessage,
        retryAfterMs: err?.retryAfterMs,
        message:
          `rules applied and verified on the device, but cancelRollback/${revision} failed ` +
          `(${raw instanceof Error ? raw.message : String(raw)}): the device may revert them at ${expiresAt}; ` +
          `the next push cancels the rollback after re-checking the device, or re-applies the rules after it fired`,
        details: { revision, rollbackExpiresAt: expiresAt },
      });
    }
    if (!cancelled) {
      await this.connector.markRollback(revision, Date.now(), hash, 'cancelRollback found no timer');
      throw new ConnectorError({
        kind: 'conflict',
        message:
          `rules applied and verified, but cancelRollback/${revision} found no pending rollback timer: another ` +
          `timer held the device's single slot or the window had already ended, so the filter rules may be ` +
          `reverted until ${expiresAt}; the next push re-checks the device and re-applies what is missing`,
        vendorMessage: 'no rollback timer pending',
        details: { revision, rollbackExpiresAt: expiresAt },
      });
    }
    await this.connector.clearRollback();
  }

  /**
   * Re-reads the device after apply. With the desired state this plan came from, anything still to do is a problem
   * (a concurrent edit, an ignored write); for a plan from elsewhere (e.g. stored), every planned change must be there.
   */
  private async landed(): Promise<string[]> {
    const live = await this.connector.readLive(false, []);
    const desired = this.connector.desiredOf(this.plan);
    if (desired) {
      try {
        const rest = computePlan(
          desired,
          rebucket(live, desired),
          this.connector.planOptions(this.plan.ruleSetHash),
        );
        return rest.changes.map((c) => `${c.kind} ${c.name} still needs ${c.op}`);
      } catch (err) {
        return [err instanceof Error ? err.message : String(err)];
      }
    }
    const problems: string[] = [];
    for (const change of this.plan.changes) {
      if (change.kind === 'order') {
        const entries = live.sequences.find((s) => s.scope === change.name)?.entries ?? [];
        const wanted = new Set(change.after);
        const seen = new Set<string>();
        const relevant = entries.filter((e) => {
          if (!e.managed) return true;
          if (e.name === null || !wanted.has(e.name) || seen.has(e.name)) return false;
          seen.add(e.name);
          return true;
        });
        const managed = relevant.filter((e) => e.managed).map((e) => e.name);
        const firstForeign = relevant.findIndex((e) => !e.managed);
        const lastManaged = relevant.map((e) => e.managed).lastIndexOf(true);
        const firstManaged = relevant.findIndex((e) => e.managed);
        const lastForeign = relevant.map((e) => e.managed).lastIndexOf(false);
        const placed =
          firstForeign === -1 ||
          managed.length === 0 ||
          (this.settings.blockPosition === 'top' ? lastManaged < firstForeign : firstManaged > lastForeign);
        if (managed.join('\u0000') !== change.after.join('\u0000') || !placed) {
          problems.push(`order of ${change.name} is not as planned`);
        }
        continue;
      }
      const list =
        change.kind === 'address'
          ? live.addresses
          : change.kind === 'service'
            ? live.services
            : change.kind === 'nat'
              ? (live.nat ?? [])
              : live.rules;
      const found = list.filter((o) => o.name === change.name);
      if (change.op === 'delete') {
        const allowed = change.id.includes('#dup') ? 1 : 0;
        if (found.length > allowed) problems.push(`${change.kind} ${change.name} still exists`);
      } else if (found.length === 0 || !sameValue(found[0], change.after!)) {
        problems.push(`${change.kind} ${change.name} is not as written`);
      }
    }
    return problems;
  }

  // ----------------------------------------------------------------------------------------------------- aliases

  private async alias(change: AddressChange | ServiceChange, meter: WriteMeter): Promise<ChangeOutcome> {
    const body = this.aliasBody(change);
    if (change.op === 'create') {
      await this.beforeWrite(meter);
      await this.api.addAlias(body!);
      this.aliasesWritten = true;
      return { status: 'applied' };
    }
    const found = await this.findAlias(change.name);
    if (change.op === 'delete') {
      if (!found) return { status: 'unchanged' };
      await this.beforeWrite(meter);
      this.aliasesWritten = true;
      await this.api.delAlias(found.uuid);
      return { status: 'applied' };
    }
    if (!found) {
      throw new ConnectorError({
        kind: 'not_found',
        message: `alias ${change.name} disappeared since the plan was computed; push again to re-plan`,
      });
    }
    await this.beforeWrite(meter);
    this.aliasesWritten = true;
    await this.api.setAlias(found.uuid, body!);
    return { status: 'applied' };
  }

  private aliasBody(change: AddressChange | ServiceChange): OpnAliasBody | null {
    if (change.kind === 'address') return change.after ? aliasBodyForAddress(change.after) : null;
    return change.after ? aliasBodyForService(change.after) : null;
  }

  /** Re-resolves an alias by name right before a write; refuses to touch one that is not managed. */
  private async findAlias(name: string): Promise<OpnAlias | null> {
    const alias = await this.api.findAlias(name);
    if (alias && !isManagedAlias(alias, this.settings)) {
      throw new ConnectorError({
        kind: 'conflict',
        message: `alias ${name} is no longer managed (marker missing); it is left untouched`,
      });
    }
    return alias;
  }

  // --------------------------------------------------------------------------------------------- destination NAT

  /**
   * d_nat add/set/del. Staged like rules: config.xml only, live with the commit's `filter/apply`, whose
   * `filter reload` regenerates the rdr rules from the DNat model too (opnsense/core src/etc/inc/filter.inc
   * L256-258 at 26.1, L258 at 26.7.2), so no separate `d_nat/apply` (the same FilterBaseController::applyAction) is
   * sent. Not covered by the savepoint rollback either way: Filter::rollback restores only the
   * OPNsense/Firewall/Filter section (models/OPNsense/Firewall/Filter.php L351-368 at 26.1) while DNat lives at
   * `/nat/rule` (DNat.xml `<mount>`);
   * this connector arms no timer on 25.7+ anyway (core#10721), and its own recovery (core/restore.ts) plans NAT.
   */
  private async nat(change: NatChange, meter: WriteMeter): Promise<ChangeOutcome> {
    if (change.op === 'create') {
      await this.beforeWrite(meter);
      await this.api.addNat(natBody(change.after!));
      return { status: 'applied' };
    }
    const found = await this.resolveNat(change);
    if (change.op === 'delete') {
      if (!found) return { status: 'unchanged' };
      await this.beforeWrite(meter);
      await this.api.delNat(found.uuid);
      return { status: 'applied' };
    }
    if (!found) {
      throw new ConnectorError({
        kind: 'not_found',
        message: `NAT entry ${change.name} disappeared since the plan was computed; push again to re-plan`,
      });
    }
    await this.beforeWrite(meter);
    await this.api.setNat(found.uuid, natBody(change.after!));
    return { status: 'applied' };
  }

  /** Re-reads the planned NAT rule by uuid right before writing (setRule on a vanished uuid would create one). */
  private async resolveNat(change: NatChange): Promise<OpnNat | null> {
    const ref = change.before?.ref;
    if (ref === undefined) return null;
    const nat = await this.api.getNat(ref);
    if (nat === null) return null;
    if (managedNatName(nat, this.settings) !== change.name) {
      throw new ConnectorError({
        kind: 'conflict',
        message: `NAT rule ${ref} is no longer the managed entry ${change.name}; it is left untouched`,
      });
    }
    return nat;
  }

  // ------------------------------------------------------------------------------------------------------- rules

  private async rule(change: RuleChange, meter: WriteMeter): Promise<ChangeOutcome> {
    if (change.op === 'create') {
      const after = change.after!;
      const sequence = await this.sequenceForCreate(after.scope, after.name);
      const body = ruleBody(after, sequence);
      await this.beforeWrite(meter);
      const uuid = await this.api.addRule(body);
      this.view?.set(uuid, ruleFromBody(uuid, body, sequence));
      return { status: 'applied' };
    }
    const found = await this.resolveRule(change);
    if (change.op === 'delete') {
      if (!found) return { status: 'unchanged' };
      await this.beforeWrite(meter);
      await this.api.delRule(found.uuid);
      this.view?.delete(found.uuid);
      return { status: 'applied' };
    }
    if (!found) {
      throw new ConnectorError({
        kind: 'not_found',
        message: `rule ${change.name} disappeared since the plan was computed; push again to re-plan`,
      });
    }
    const body = ruleBody(change.after!);
    await this.beforeWrite(meter);
    await this.api.setRule(found.uuid, body);
    this.view?.set(found.uuid, ruleFromBody(found.uuid, body, found.sequence));
    return { status: 'applied' };
  }

  /**
   * Reads the planned rule again by uuid right before writing it, and checks it is still this managed rule.
   * Essential: `setRule` on a uuid that no longer exists would CREATE a rule (upsert), not fail.
   */
  private async resolveRule(change: RuleChange): Promise<OpnRule | null> {
    const ref = change.before?.ref;
    if (ref === undefined) return null;
    const rule = await this.api.getRule(ref);
    if (rule === null) return null;
    const name = managedRuleName(rule, this.settings);
    if (name !== change.name) {
      throw new ConnectorError({
        kind: 'conflict',
        message: `rule ${ref} is no longer the managed rule ${change.name}; it is left untouched`,
      });
    }
    return rule;
  }

  private async scopeRules(scope: string, fresh: boolean): Promise<OpnRule[]> {
    if (fresh || this.view === null) {
      this.view = new Map((await this.api.listRules()).map((r) => [r.uuid, r]));
    }
    return [...this.view.values()]
      .filter((r) => r.interface.length === 1 && r.interface[0] === scope)
      .sort(byEvaluation);
  }

  private boundsFor(list: OpnRule[]): SequenceBounds {
    const unmanaged = list.filter((r) => managedRuleName(r, this.settings) === null).map((r) => r.sequence);
    return blockBounds(unmanaged, this.settings.blockPosition, this.connector.options.maxSequence);
  }

  /** A sequence that places a new rule next to its desired neighbours (the reorder step fixes anything else). */
  private async sequenceForCreate(scope: string, name: string): Promise<number> {
    const list = await this.scopeRules(scope, false);
    const current = new Map<string, number | undefined>();
    for (const r of list) {
      const n = managedRuleName(r, this.settings);
      if (n !== null && !current.has(n)) current.set(n, r.sequence);
    }
    current.set(name, undefined);
    const order = (this.orders.get(scope) ?? [name]).filter((n) => current.has(n));
    const bounds = this.boundsFor(list);
    const assigned = assignSequences(order, current, bounds);
    // Refuse before writing: an unplaceable rule would still go live with the next reload anyone triggers.
    if (assigned === null) throw this.noRoom(scope, order.length, bounds);
    return assigned.get(name) ?? current.get(name) ?? bounds.lower + 1;
  }

  private noRoom(scope: string, count: number, bounds: SequenceBounds): ConnectorError {
    return new ConnectorError({
      kind: 'conflict',
      message:
        `cannot place ${count} managed rule(s) ${this.settings.blockPosition === 'top' ? 'before' : 'after'} ` +
        `the rules people made on ${scope}: their sequences leave no room between ${bounds.lower} and ` +
        `${bounds.upper} (rules made before 25.1.5 default to sequence 1); renumber them or change blockPosition`,
      details: { scope, bounds },
    });
  }

  /**
   * Puts the desired managed rules of one interface in order, as a block before (or after) the rules people made,
   * by rewriting the `sequence` of managed rules only. Zero writes when everything is already in place.
   */
  private async reorder(change: ReorderChange, meter: WriteMeter): Promise<ChangeOutcome> {
    const list = await this.scopeRules(change.name, true);
    const firstOf = new Map<string, OpnRule>();
    for (const r of list) {
      const n = managedRuleName(r, this.settings);
      if (n !== null && !firstOf.has(n)) firstOf.set(n, r);
    }
    const order = change.after.filter((n) => firstOf.has(n));
    const current = new Map(order.map((n) => [n, firstOf.get(n)!.sequence] as [string, number | undefined]));
    const bounds = this.boundsFor(list);
    const assigned = assignSequences(order, current, bounds);
    if (assigned === null) throw this.noRoom(change.name, order.length, bounds);
    for (const [name, sequence] of assigned) {
      const rule = firstOf.get(name)!;
      const fresh = await this.api.getRule(rule.uuid);
      if (fresh === null || managedRuleName(fresh, this.settings) !== name) {
        throw new ConnectorError({
          kind: 'conflict',
          message: `rule ${name} changed while it was being ordered; push again to re-plan`,
        });
      }
      await this.beforeWrite(meter);
      await this.api.setRule(rule.uuid, { sequence: String(sequence) });
      this.view?.set(rule.uuid, { ...fresh, sequence });
    }
    return { status: assigned.size === 0 ? 'unchanged' : 'applied' };
  }
}
