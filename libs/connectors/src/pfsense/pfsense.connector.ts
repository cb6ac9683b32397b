import type { RuleSet } from '@app/engine/model';
import { runApply, type ApplyExecutor, type ChangeOutcome, type WriteMeter } from '../core/apply';
import type { ConnectorOptions, FirewallConnector } from '../core/connector';
import { rebucket } from '../core/aliases';
import { ConnectorError, isForbidden } from '../core/errors';
import { inRange, unsupportedVersion, versionNumbers } from '../core/versions';
import { restoreManagedState, type RestoreContext, type RestoreReport } from '../core/restore';
import { processPendingState, type PendingStateStore, type RecoveryReport } from '../core/pending-state';
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
import { firstWord } from '../core/ownership';
import { assertSameDevice, computePlan } from '../core/plan';
import { resolveSettings, type PfSenseTarget, type ResolvedSettings } from '../core/target';
import { PfSenseApi, type PfAlias, type PfAliasBody, type PfPortForward, type PfRule } from './api';
import {
  aliasBodyForAddress,
  aliasBodyForService,
  desiredFromRuleSet,
  isManagedAlias,
  liveFromPfSense,
  managedNatName,
  managedRuleName,
  natBody,
  ourPendingSubsystems,
  ruleBody,
  unmanagedNatFromPfSense,
  unmanagedRulesFromPfSense,
} from './mapping';

/** Privilege names come from the URL and method (R/Core/Endpoint.inc get_method_priv_name L517-530). */
const NAT_READ_PRIVILEGE = 'api-v2-firewall-nat-port-forwards-get';

/**
 * pfSense connector (pfSense-pkg-RESTAPI v2).
 *
 * - Objects: host/network aliases for address objects, port aliases (`a:b` ranges) for service objects.
 * - Rules: one pass rule per managed rule on its ingress interface; the managed name is the first word of `descr`,
 *   followed by the marker. Rule ids are array positions that shift, so every write re-resolves the rule (GET with a
 *   `descr__startswith` filter) immediately before it and checks the returned object.
 * - Ordering: the managed block of an interface is kept at the top (default) or bottom of that interface's rules,
 *   using `placement` (a global array index) on create/PATCH.
 * - NAT (destination NAT entries): one port forward each (`/api/v2/firewall/nat/port_forward`, R/Models/
 *   PortForward.inc), created WITHOUT a linked rule (`associated_rule_id: ""`): the managed pass rule on the same
 *   interface names the private target (pf filters after rdr), so the forward admits nothing by itself. Managed
 *   name = first word of `descr`, then the marker, as on rules. Ids are positions (and before package v2.8.0 every
 *   write re-sorts all forwards by interface), so every write re-resolves the forward by `descr` first. Every
 *   supported package (v2.0.0 and later) has the endpoint and every field written; v2.0.x ignores `ipprotocol`
 *   and pfSense then forwards IPv4 (filter.inc RELENG_2_7_2 L2678-2682), which is what is wanted: no NAT gate.
 * - Commit: one `POST /api/v2/firewall/apply {"async":false}` at the end (it also reloads NAT: `natconf`). Rule
 *   writes do not mark any subsystem dirty on pfSense (vendor-conformance P21: `FirewallRule.inc` sets no
 *   subsystem), so "written, not applied" is recorded in the pending-state store before the first write; the next
 *   push (any process) applies even with an empty plan.
 */
export class PfSenseConnector implements FirewallConnector {
  readonly vendor = 'pfsense' as const;
  readonly settings: ResolvedSettings;
  readonly api: PfSenseApi;
  readonly pending: PendingStateStore;
  /** represent_interfaces_as was read and is `id` (checked once per connector). */
  private interfaceIdsConfirmed = false;
  /** The firmware and package versions were read and are supported. */
  private versionSupported = false;

  constructor(
    readonly target: PfSenseTarget,
    options: ConnectorOptions = {},
  ) {
    this.settings = resolveSettings(target);
    this.api = new PfSenseApi(this.settings, target.credentials);
    this.pending = options.pending ?? processPendingState(this.settings.deviceKey);
  }

  /** Nothing to undo on pfSense: uncommitted writes are committed by the next apply (the plan's `pendingCommit`). */
  async recover(): Promise<RecoveryReport> {
    const state = await this.pending.read();
    return {
      actions: state.uncommitted
        ? ['an earlier push left writes in the configuration that were never applied: this push applies them']
        : [],
      writes: 0,
    };
  }

  close(): void {
    this.api.close();
  }

  async probe(): Promise<ProbeResult> {
    const t0 = Date.now();
    const v = await this.api.version();
    const pkg = await this.api.packageVersion();
    return {
      vendor: 'pfsense',
      version: v.version,
      apiVersion: pkg,
      tls: this.settings.tlsMode,
      latencyMs: Date.now() - t0,
    };
  }

  /**
   * Refuses, once per connector and before anything is written, a pfSense or REST API package outside
   * SUPPORTED_VERSIONS: CE 2.7-2.8 (`2.8.1-RELEASE`), Plus 24.03-26.03 (`25.11.1-RELEASE`), package 2.x.
   */
  private async assertSupported(): Promise<void> {
    if (this.versionSupported) return;
    const { version } = await this.api.version();
    const n = versionNumbers(version);
    const ok = n !== null && (n[0] === 2 ? inRange(n, [2, 7], [2, 8]) : inRange(n, [24, 3], [26, 3]));
    if (!ok) throw unsupportedVersion('pfsense', 'pfSense', version);
    const pkg = await this.api.packageVersion();
    const p = pkg === null ? null : versionNumbers(pkg);
    if (p === null || p[0] !== 2) throw unsupportedVersion('pfsense', 'pfSense REST API package', pkg);
    this.versionSupported = true;
  }

  /**
   * Rules are addressed by interface id (`lan`, `opt1`). The package names interfaces as its
   * `represent_interfaces_as` setting says: `id` is the installed default, but a box set to `descr` or `if` would
   * refuse every rule and show managed rules under other names, i.e. as foreign (vendor-conformance P14). Checked
   * once per connector before anything else is read, so such a box is refused before any write.
   */
  private async assertInterfaceIds(): Promise<void> {
    if (this.interfaceIdsConfirmed) return;
    let value: string | null;
    try {
      value = await this.api.interfaceRepresentation();
    } catch (err) {
      if (isForbidden(err)) {
        throw new ConnectorError({
          kind: 'authentication',
          status: 403,
          message:
            'cannot read the REST API setting represent_interfaces_as (GET /api/v2/system/restapi/settings needs ' +
            'the privilege api-v2-system-restapi-settings-get): without it managed rules cannot be told apart ' +
            'from foreign ones, so nothing was written',
          vendorMessage: err.vendorMessage,
        });
      }
      throw err;
    }
    if (value !== 'id') {
      throw new ConnectorError({
        kind: 'validation',
        message:
          `the pfSense REST API package names interfaces by "${value ?? 'unknown'}" (System > REST API > ` +
          'Settings > Represent Interfaces As); this connector addresses them by id (lan, opt1): set it to ' +
          '"Internal ID". Nothing was written',
        details: { setting: 'represent_interfaces_as', value },
      });
    }
    this.interfaceIdsConfirmed = true;
  }

  async readState(): Promise<ManagedState> {
    await this.assertSupported();
    await this.assertInterfaceIds();
    const readAt = new Date().toISOString();
    const aliases = await this.api.listAliases({ name__startswith: this.settings.prefix });
    const rules = await this.api.listRules();
    const portForwards = await this.readManagedForwards();
    const apply = await this.api.applyStatus();
    const { uncommitted } = await this.pending.read();
    const live = liveFromPfSense(
      { aliases, rules, portForwards: portForwards ?? [], apply, locallyDirty: uncommitted, readAt },
      this.settings,
    );
    if (portForwards !== null) return live;
    // Unknown, not empty: planning refuses NAT entries then (see plan()), and plans no NAT deletes.
    const { nat: _nat, ...rest } = live;
    return {
      ...rest,
      foreign: { ...live.foreign, nat: undefined },
      warnings: [
        ...live.warnings,
        `port forwards not read: the API user lacks ${NAT_READ_PRIVILEGE} (NAT entries cannot be managed)`,
      ],
    };
  }

  /**
   * The forwards whose `descr` starts with the prefix, or null when the API user holds no privilege for the
   * port forward endpoint (403: users set up before NAT was managed). Rule sets without NAT keep working for them.
   */
  private async readManagedForwards(): Promise<PfPortForward[] | null> {
    try {
      return await this.api.listPortForwards({ descr__startswith: this.settings.prefix });
    } catch (err) {
      if (isForbidden(err)) return null;
      throw err;
    }
  }

  /**
   * Own recovery (core/restore.ts), after a verification that failed once the apply went through. A push whose
   * writes or `firewall/apply` failed changed nothing live that pf did not reload as a whole (writes are staged;
   * flags stay set on a failed reload): the staged writes are recorded and the next push applies or replaces them.
   */
  async restore(previous: ManagedState, failure: RestoreContext): Promise<RestoreReport | null> {
    if (failure.stage === 'apply') return null;
    return restoreManagedState(this, previous, failure.ruleSetHash);
  }

  async readUnmanagedRules(): Promise<UnmanagedRule[]> {
    await this.assertInterfaceIds();
    const aliases = await this.api.listAliases();
    const rules = await this.api.listRules();
    return unmanagedRulesFromPfSense(rules, aliases, this.settings);
  }

  async readUnmanagedNat(): Promise<UnmanagedNat[]> {
    await this.assertInterfaceIds();
    const aliases = await this.api.listAliases();
    let forwards: PfPortForward[];
    try {
      forwards = await this.api.listPortForwards();
    } catch (err) {
      if (isForbidden(err)) {
        throw new ConnectorError({
          kind: 'authentication',
          status: 403,
          message: `cannot list the port forwards people made: the API user lacks ${NAT_READ_PRIVILEGE}`,
          vendorMessage: err.vendorMessage,
        });
      }
      throw err;
    }
    return unmanagedNatFromPfSense(forwards, aliases, this.settings);
  }

  plan(desired: RuleSet, live: ManagedState): Plan {
    assertSameDevice(this.target, this.settings, desired, live);
    if ((desired.nat ?? []).length > 0 && live.nat === undefined) {
      throw new ConnectorError({
        kind: 'authentication',
        status: 403,
        message:
          `the rule set has NAT entries but the port forwards could not be read: the API user needs ` +
          `${NAT_READ_PRIVILEGE} and the api-v2-firewall-nat-port-forward-post/-patch/-delete privileges. ` +
          'Nothing was written',
      });
    }
    return this.planTo(desiredFromRuleSet(desired, this.settings), live, desired.hash);
  }

  /** @internal The plan towards a normalised state (also the push's own recovery, see core/restore.ts). */
  planTo(want: DesiredState, live: ManagedState, ruleSetHash: string): Plan {
    return computePlan(want, rebucket(live, want), {
      vendor: 'pfsense',
      deviceId: this.target.id,
      deviceKey: this.settings.deviceKey,
      ruleSetHash,
      prefix: this.settings.prefix,
      blockPosition: this.settings.blockPosition,
      sharedObjectNamespace: true,
    });
  }

  apply(plan: Plan): Promise<ApplyResult> {
    return runApply(plan, new PfSenseExecutor(this.api, this.settings, plan), {
      vendor: 'pfsense',
      deviceKey: this.settings.deviceKey,
      pending: this.pending,
      staged: true,
    });
  }

  /**
   * The interface ids rules are written on (`wan`, `lan`, `opt1`; one `GET /api/v2/interfaces`, see the api). Rule
   * `interface` values are those ids only while `represent_interfaces_as` is `id`, hence the check first (cached per
   * connector). Interface groups, which rules also accept (R/Fields/InterfaceField.inc `get_interface_choices`
   * L207-214), are not listed.
   */
  async readInterfaceNames(): Promise<string[]> {
    await this.assertInterfaceIds();
    return this.api.listInterfaceIds();
  }

  async verify(desired: RuleSet): Promise<VerifyResult> {
    const live = await this.readState();
    const plan = this.plan(desired, live);
    return { ok: isPlanEmpty(plan), plan, live };
  }
}

class PfSenseExecutor implements ApplyExecutor {
  private readonly orders = new Map<string, string[]>();

  constructor(
    private readonly api: PfSenseApi,
    private readonly settings: ResolvedSettings,
    plan: Plan,
  ) {
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

  async commit(meter: WriteMeter): Promise<void> {
    meter.beforeWrite();
    const status = await this.api.apply(this.settings.timeouts.commitMs);
    const stillPending = ourPendingSubsystems(status.pending_subsystems);
    if (stillPending.length > 0) {
      throw new ConnectorError({
        kind: 'unavailable',
        message: `pfSense apply returned with subsystems still pending: ${stillPending.join(', ')}`,
      });
    }
  }

  // ----------------------------------------------------------------------------------------------------- aliases

  private async alias(change: AddressChange | ServiceChange, meter: WriteMeter): Promise<ChangeOutcome> {
    const body = this.aliasBody(change);
    if (change.op === 'create') {
      meter.beforeWrite();
      const created = await this.api.createAlias(body!);
      this.expectName(created.name, change.name, 'POST /api/v2/firewall/alias');
      return { status: 'applied' };
    }
    const found = await this.findAlias(change.name);
    if (change.op === 'delete') {
      if (!found) return { status: 'unchanged' };
      meter.beforeWrite();
      const deleted = await this.api.deleteAlias(found.id);
      this.expectName(deleted.name, change.name, 'DELETE /api/v2/firewall/alias');
      return { status: 'applied' };
    }
    if (!found) {
      throw new ConnectorError({
        kind: 'not_found',
        message: `alias ${change.name} disappeared since the plan was computed; push again to re-plan`,
      });
    }
    meter.beforeWrite();
    const updated = await this.api.updateAlias(found.id, body!);
    this.expectName(updated.name, change.name, 'PATCH /api/v2/firewall/alias');
    return { status: 'applied' };
  }

  private aliasBody(change: AddressChange | ServiceChange): PfAliasBody | null {
    if (change.kind === 'address') return change.after ? aliasBodyForAddress(change.after) : null;
    return change.after ? aliasBodyForService(change.after) : null;
  }

  /** Re-resolves an alias by name right before a write; refuses to touch one that is not managed. */
  private async findAlias(name: string): Promise<PfAlias | null> {
    const rows = (await this.api.listAliases({ name })).filter((a) => a.name === name);
    if (rows.length === 0) return null;
    const alias = rows[0];
    if (!isManagedAlias(alias, this.settings)) {
      throw new ConnectorError({
        kind: 'conflict',
        message: `alias ${name} is no longer managed (marker missing); it is left untouched`,
      });
    }
    return alias;
  }

  // --------------------------------------------------------------------------------------------- port forwards

  private async nat(change: NatChange, meter: WriteMeter): Promise<ChangeOutcome> {
    const call = 'firewall/nat/port_forward';
    if (change.op === 'create') {
      meter.beforeWrite();
      const created = await this.api.createPortForward(natBody(change.after!));
      this.expectName(firstWord(created.descr), change.name, `POST ${call}`);
      return { status: 'applied' };
    }
    const found = await this.findNat(change.name);
    if (change.op === 'delete') {
      if (!found) return { status: 'unchanged' };
      meter.beforeWrite();
      const deleted = await this.api.deletePortForward(found.id);
      this.expectName(firstWord(deleted.descr), change.name, `DELETE ${call}`);
      return { status: 'applied' };
    }
    if (!found) {
      throw new ConnectorError({
        kind: 'not_found',
        message: `port forward ${change.name} disappeared since the plan was computed; push again to re-plan`,
      });
    }
    meter.beforeWrite();
    const updated = await this.api.updatePortForward(found.id, natBody(change.after!));
    this.expectName(firstWord(updated.descr), change.name, `PATCH ${call}`);
    return { status: 'applied' };
  }

  /** Looks a managed forward up by name right before a write (ids are positions and shift). */
  private async findNat(name: string): Promise<PfPortForward | null> {
    const rows = await this.api.listPortForwards({ descr__startswith: name });
    const mine = rows.filter((r) => managedNatName(r, this.settings) === name).sort((a, b) => a.id - b.id);
    return mine[0] ?? null;
  }

  // ------------------------------------------------------------------------------------------------------- rules

  private async rule(change: RuleChange, meter: WriteMeter): Promise<ChangeOutcome> {
    if (change.op === 'create') {
      const after = change.after!;
      const placement = await this.placementFor(after.scope, after.name);
      meter.beforeWrite();
      const created = await this.api.createRule(ruleBody(after), placement);
      this.expectName(firstWord(created.descr), change.name, 'POST /api/v2/firewall/rule');
      return { status: 'applied' };
    }
    const duplicate = change.id.includes('#dup');
    const found = await this.findRule(change.name, change.before?.ref, duplicate);
    if (change.op === 'delete') {
      if (!found) return { status: 'unchanged' };
      meter.beforeWrite();
      const deleted = await this.api.deleteRule(found.id);
      this.expectName(firstWord(deleted.descr), change.name, 'DELETE /api/v2/firewall/rule');
      return { status: 'applied' };
    }
    if (!found) {
      throw new ConnectorError({
        kind: 'not_found',
        message: `rule ${change.name} disappeared since the plan was computed; push again to re-plan`,
      });
    }
    meter.beforeWrite();
    const updated = await this.api.updateRule(found.id, ruleBody(change.after!));
    this.expectName(firstWord(updated.descr), change.name, 'PATCH /api/v2/firewall/rule');
    return { status: 'applied' };
  }

  /**
   * Looks the rule up again by its managed name (ids are positions and shift). With several copies, the kept one is
   * the first; a duplicate delete takes the copy with the planned tracker, else the last. Trackers are creation
   * times in seconds, so copies made in the same second share one (vendor-conformance P24): that only changes which
   * of the surplus copies goes, never the kept first one, and every copy is the same managed rule.
   */
  private async findRule(name: string, ref: string | undefined, duplicate: boolean): Promise<PfRule | null> {
    const rows = await this.api.listRules({ descr__startswith: name });
    const mine = rows.filter((r) => managedRuleName(r, this.settings) === name).sort((a, b) => a.id - b.id);
    if (mine.length === 0) return null;
    if (!duplicate) return mine[0];
    if (mine.length === 1) return null;
    const copies = mine.slice(1);
    return copies.find((r) => ref !== undefined && String(r.tracker) === ref) ?? copies[copies.length - 1];
  }

  /** Non-floating rules of one interface, in evaluation order, with their global ids. */
  private async scopeRules(scope: string): Promise<PfRule[]> {
    const rows = await this.api.listRules({ interface__contains: scope });
    return rows
      .filter((r) => !r.floating && r.interface.length === 1 && r.interface[0] === scope)
      .sort((a, b) => a.id - b.id);
  }

  /** Global index where a new rule lands next to its desired neighbours (the reorder step fixes anything else). */
  private async placementFor(scope: string, name: string): Promise<number | undefined> {
    const order = this.orders.get(scope) ?? [name];
    const list = await this.scopeRules(scope);
    if (list.length === 0) return undefined;
    const idOf = new Map<string, number>();
    for (const r of list) {
      const n = managedRuleName(r, this.settings);
      if (n !== null && !idOf.has(n)) idOf.set(n, r.id);
    }
    const index = order.indexOf(name);
    for (let i = index - 1; i >= 0; i--) {
      const id = idOf.get(order[i]);
      if (id !== undefined) return id + 1;
    }
    for (let i = index + 1; i < order.length; i++) {
      const id = idOf.get(order[i]);
      if (id !== undefined) return id;
    }
    return this.settings.blockPosition === 'top' ? list[0].id : list[list.length - 1].id + 1;
  }

  /**
   * Puts the desired managed rules of one interface in order, as a contiguous block at the top (or bottom) of the
   * interface's rules. Only managed rules are moved; the relative order of other rules is kept. Re-reads before
   * every move; zero writes when everything is already in place.
   */
  private async reorder(change: ReorderChange, meter: WriteMeter): Promise<ChangeOutcome> {
    const top = this.settings.blockPosition === 'top';
    for (let guard = 0; guard < 1000; guard++) {
      const list = await this.scopeRules(change.name);
      const firstOf = new Map<string, PfRule>();
      for (const r of list) {
        const n = managedRuleName(r, this.settings);
        if (n !== null && !firstOf.has(n)) firstOf.set(n, r);
      }
      const block = change.after.map((n) => firstOf.get(n)).filter((r): r is PfRule => r !== undefined);
      const rest = list.filter((r) => !block.includes(r));
      const target = top ? [...block, ...rest] : [...rest, ...block];
      let i = -1;
      if (top) i = list.findIndex((r, k) => r !== target[k]);
      else for (let k = list.length - 1; k >= 0 && i === -1; k--) if (list[k] !== target[k]) i = k;
      if (i === -1) return { status: 'unchanged' };
      const moving = target[i];
      meter.beforeWrite();
      const moved = await this.api.moveRule(moving.id, list[i].id);
      this.expectName(
        firstWord(moved.descr),
        firstWord(moving.descr),
        'PATCH /api/v2/firewall/rule (placement)',
      );
    }
    throw new ConnectorError({ kind: 'protocol', message: `could not order the rules of ${change.name}` });
  }

  private expectName(actual: string, expected: string, call: string): void {
    if (actual !== expected) {
      throw new ConnectorError({
        kind: 'conflict',
        message: `${call} affected ${actual || '(unnamed)'} instead of ${expected}: the device changed concurrently`,
      });
    }
  }
}
