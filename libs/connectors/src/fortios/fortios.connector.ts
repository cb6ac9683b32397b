import { randomBytes } from 'node:crypto';
import type { AddressFamily, RuleSet } from '@app/engine/model';
import { runApply, type ApplyExecutor, type ChangeOutcome, type WriteMeter } from '../core/apply';
import type { ConnectorOptions, FirewallConnector } from '../core/connector';
import { ConnectorError } from '../core/errors';
import { inRange, unsupportedVersion } from '../core/versions';
import { restoreManagedState, type RestoreContext, type RestoreReport } from '../core/restore';
import { withDeviceLock } from '../core/lock';
import {
  isPlanEmpty,
  type AddressChange,
  type ApplyResult,
  type DesiredState,
  type ManagedAddress,
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
import { isManaged } from '../core/ownership';
import {
  processPendingState,
  type PendingStateStore,
  type PendingTransaction,
  type RecoveryReport,
} from '../core/pending-state';
import { assertSameDevice, computePlan } from '../core/plan';
import { resolveSettings, type FortiOsTarget, type ResolvedSettings } from '../core/target';
import { FortiOsApi, filterValue, names, str, type FortiRow, type FortiStatus } from './api';
import {
  addressBody,
  addressTables,
  adoptMembers,
  desiredFromRuleSet,
  liveFromFortiOs,
  memberName,
  policyBody,
  serviceBody,
  unmanagedNatFromFortiOs,
  unmanagedRulesFromFortiOs,
  vipBody,
  vipHasStatus,
} from './mapping';

export interface FortiOsConnectorOptions extends ConnectorOptions {
  /**
   * `auto` (default): wrap every apply in a batch transaction when the firmware has them (6.4.0+), so a failed
   * push leaves the device untouched. `never`: write directly (each write is live at once).
   */
  transactions?: 'auto' | 'never';
  /**
   * `timeout` sent with `transaction-start` (default 60). Its unit is not documented for REST; the CLI form of the
   * command takes minutes 1-60 (vendor-conformance F23). So only 1-60 is accepted (valid in both readings), and the
   * device is assumed to discard a forgotten transaction only after the longer reading (minutes).
   */
  transactionTimeout?: number;
}

const POLICY_FIELDS =
  'policyid|name|comments|srcintf|dstintf|srcaddr|dstaddr|srcaddr6|dstaddr6|service|action|status|schedule|logtraffic|nat|srcaddr-negate|dstaddr-negate|service-negate';

/**
 * Whether the address group table of `family` has `exclude`: addrgrp from 6.2.0
 * (ANS/plugins/modules/fortios_firewall_addrgrp.py L546), addrgrp6 from 7.4.0 (fortios_firewall_addrgrp6.py L500).
 */
export function groupHasExclude(family: AddressFamily, status: FortiStatus): boolean {
  const v = status.semver;
  if (v === null) return false;
  const [major, minor] = family === 4 ? [6, 2] : [7, 4];
  return v[0] > major || (v[0] === major && v[1] >= minor);
}

/** Refuses firmware outside FortiOS 6.4-7.6 (SUPPORTED_VERSIONS) before anything is written. */
export function assertFortiOsSupported(status: FortiStatus): void {
  if (status.semver === null || !inRange(status.semver, [6, 4], [7, 6])) {
    throw unsupportedVersion('fortios', 'FortiOS', status.version);
  }
}

/**
 * `transaction-start` timeout: 60 is in range whether the device reads seconds (the docs example sends 60,
 * docs.fortinet.com 7.4.0 new-features/174532) or minutes like the CLI (1-60, 7.6.6 cli-reference/148302082).
 */
export const TRANSACTION_TIMEOUT = 60;

export function supportsTransactions(status: FortiStatus): boolean {
  const v = status.semver;
  return v !== null && (v[0] > 6 || (v[0] === 6 && v[1] >= 4));
}

/** `TCP/UDP/SCTP` up to 7.4.x, `TCP/UDP/UDP-Lite/SCTP` from 7.6.0 (reference pitfall 3). */
export function serviceProtocolLiteral(status: FortiStatus): string {
  const v = status.semver;
  return v !== null && (v[0] > 7 || (v[0] === 7 && v[1] >= 6)) ? 'TCP/UDP/UDP-Lite/SCTP' : 'TCP/UDP/SCTP';
}

/**
 * FortiOS connector (FortiGate REST API, CMDB).
 *
 * - Address objects: one `firewall/address` (ipmask, or iprange when the entries form one range) or, for several
 *   entries, a `firewall/addrgrp` of ipmask members named `<group>-<cidr>`; IPv6 objects use address6/addrgrp6.
 * - Service objects: `firewall.service/custom` with `a-b` port ranges; policies: `firewall/policy` accept rules
 *   with srcintf/dstintf, ownership marker in `comments`, ids from the create response `mkey`.
 * - NAT entries: `firewall/vip` static-nat port forwards (marker in `comment`); the policy admitting one names the VIP
 *   as `dstaddr` and the mapped port as service. Refused before any write under central NAT (read per readState).
 * - Ordering: one policy list per VDOM; the managed block is kept at the top (default) or bottom with `move`.
 * - Apply runs in a batch transaction on 6.4.0+ (commit at the end, abort on failure); every call carries `vdom`.
 *   The transaction is recorded in the pending-state store before `transaction-start` and with its id before the
 *   first write inside it, so a push that dies holding it (its tables stay locked for every other transaction until
 *   the device's timeout) is aborted by the next push or the start-up sweep (`recover()`).
 */
export class FortiOsConnector implements FirewallConnector {
  readonly vendor = 'fortios' as const;
  readonly settings: ResolvedSettings;
  readonly api: FortiOsApi;
  readonly vdom: string;
  readonly pending: PendingStateStore;
  private firmware: FortiStatus | null = null;
  /** Central NAT (or NGFW policy-based mode) on the VDOM, as read by the last readState. */
  private centralNat = false;

  constructor(
    readonly target: FortiOsTarget,
    private readonly options: FortiOsConnectorOptions = {},
  ) {
    this.settings = resolveSettings(target);
    this.vdom = target.vdom ?? 'root';
    this.api = new FortiOsApi(this.settings, target.credentials, this.vdom);
    this.pending = options.pending ?? processPendingState(this.settings.deviceKey);
    const timeout = options.transactionTimeout ?? TRANSACTION_TIMEOUT;
    if (!Number.isInteger(timeout) || timeout < 1 || timeout > 60) {
      throw new ConnectorError({
        kind: 'validation',
        message: `transactionTimeout must be a whole number from 1 to 60 (valid as seconds and as minutes), got ${timeout}`,
      });
    }
  }

  private get transactionTimeout(): number {
    return this.options.transactionTimeout ?? TRANSACTION_TIMEOUT;
  }

  /** Aborts a transaction an earlier push (this process or a dead one) left recorded as open. */
  recover(): Promise<RecoveryReport> {
    return withDeviceLock(this.settings.deviceKey, async () => {
      const { transaction } = await this.pending.read();
      if (!transaction) return { actions: [], writes: 0 };
      const action = await this.abortRecorded(transaction);
      return { actions: [action], writes: transaction.id === null ? 0 : 1 };
    });
  }

  /**
   * Aborts `transaction` and clears the record; answers what happened. An id the device no longer knows (committed
   * after all, aborted, or expired) counts as resolved. Throws when the device cannot be asked (the record stays).
   */
  async abortRecorded(transaction: PendingTransaction): Promise<string> {
    if (transaction.id === null) {
      // transaction-start was sent but its answer never recorded: no write carried the id (it is recorded before the
      // first write), so the transaction locks no table and the device discards it at its timeout.
      await this.pending.record({ transaction: null });
      return 'an interrupted push had sent transaction-start without writing inside it: nothing to abort';
    }
    const id = transaction.id;
    try {
      await this.api.abortTransaction(id);
    } catch (err) {
      if (!(err instanceof ConnectorError)) throw err;
      if (!isUnknownTransaction(err)) {
        // The unit is unknown (F23): the device may hold it for `timeout` minutes.
        const expiresAt = Date.parse(transaction.openedAt) + this.transactionTimeout * 60_000;
        // Transient: keep the record and let the push fail (and retry). Anything else may be the unverified abort
        // syntax (vendor-conformance F24): after the transaction's own timeout the device has discarded it anyway.
        if (err.kind === 'unavailable' || err.kind === 'timeout' || Date.now() < expiresAt) {
          throw new ConnectorError({
            kind: err.kind,
            status: err.status,
            vendorCode: err.vendorCode,
            vendorMessage: err.vendorMessage,
            message:
              `FortiOS transaction ${id} left open by an interrupted push could not be aborted (${err.message}); ` +
              `its tables stay locked until it is aborted or the device discards it at ` +
              `${new Date(expiresAt).toISOString()}`,
            retryAfterMs: err.retryAfterMs,
            details: { transactionId: id },
          });
        }
        await this.pending.record({ transaction: null });
        return `FortiOS transaction ${id} left open by an interrupted push could not be aborted (${err.message}), but its timeout has passed: the device discarded it`;
      }
      await this.pending.record({ transaction: null });
      return `FortiOS transaction ${id} recorded by an interrupted push is no longer open on the device (committed, aborted or expired): nothing to abort`;
    }
    await this.pending.record({ transaction: null });
    return `aborted FortiOS transaction ${id} that an interrupted push left open: none of its writes were committed`;
  }

  close(): void {
    this.api.close();
  }

  async probe(): Promise<ProbeResult> {
    const t0 = Date.now();
    const status = await this.api.status();
    this.firmware = status;
    return {
      vendor: 'fortios',
      version: status.version,
      apiVersion: null,
      tls: this.settings.tlsMode,
      latencyMs: Date.now() - t0,
    };
  }

  /** Firmware status, read once per connector (it decides transactions and the service protocol literal). */
  async firmwareStatus(): Promise<FortiStatus> {
    if (!this.firmware) this.firmware = await this.api.status();
    return this.firmware;
  }

  async readState(): Promise<ManagedState> {
    assertFortiOsSupported(await this.firmwareStatus());
    const readAt = new Date().toISOString();
    const prefixFilter = { filter: `name=@${filterValue(this.settings.prefix)}` };
    const address = await this.api.list('firewall/address', prefixFilter);
    const address6 = await this.api.list('firewall/address6', prefixFilter);
    const addrgrp = await this.api.list('firewall/addrgrp', prefixFilter);
    const addrgrp6 = await this.api.list('firewall/addrgrp6', prefixFilter);
    const services = await this.api.list('firewall.service/custom', prefixFilter);
    // Every policy (not only ours): their order decides where the managed block sits.
    // VIPs (destination NAT): every supported firmware has the table (fortios_firewall_vip.py v_range v6.0.0+).
    const vips = await this.api.list('firewall/vip', prefixFilter);
    const policies = await this.api.list('firewall/policy', { format: POLICY_FIELDS });
    const settings = await this.api.systemSettings();
    this.centralNat =
      str(settings['central-nat']) === 'enable' || str(settings['ngfw-mode']) === 'policy-based';
    return liveFromFortiOs(
      { address, address6, addrgrp, addrgrp6, services, policies, vips, readAt },
      this.settings,
    );
  }

  /** VIPs this service does not manage, with what they forward (a forward to a never-exposed port is an exposure). */
  async readUnmanagedNat(): Promise<UnmanagedNat[]> {
    assertFortiOsSupported(await this.firmwareStatus());
    const vips = await this.api.list('firewall/vip');
    const policies = await this.api.list('firewall/policy', { format: POLICY_FIELDS });
    return unmanagedNatFromFortiOs(vips, policies, this.settings);
  }

  /** Policies this service does not manage, with the ports their services open (for the exposure check). */
  async readUnmanagedRules(): Promise<UnmanagedRule[]> {
    const policies = await this.api.list('firewall/policy', { format: POLICY_FIELDS });
    const services = await this.api.list('firewall.service/custom');
    const serviceGroups = await this.api.list('firewall.service/group');
    return unmanagedRulesFromFortiOs({ policies, services, serviceGroups }, this.settings);
  }

  plan(desired: RuleSet, live: ManagedState): Plan {
    assertSameDevice(this.target, this.settings, desired, live);
    if ((desired.nat ?? []).length > 0 && this.centralNat) {
      // With central NAT "virtual IPs (VIPs) are not configured in the firewall policy" (docs.fortinet.com/document/
      // fortigate/7.2.4/administration-guide/448790/central-dnat); NGFW policy-based mode turns it on (KB
      // community.fortinet.com/t5/FortiGate/Technical-Tip-How-to-configure-port-forwarding-Virtual-IPs-when/ta-p/
      // 251572). Policies naming VIPs (vip-in-policy) would not be what the device evaluates: refused before writing.
      throw new ConnectorError({
        kind: 'validation',
        message:
          `VDOM ${this.vdom} runs central NAT (system settings central-nat enable or ngfw-mode policy-based): ` +
          'NAT entries are pushed as VIPs named in policies, which this mode does not use. Nothing was written',
        details: { code: 'central_nat' },
      });
    }
    return this.planTo(desiredFromRuleSet(desired, this.settings), live, desired.hash);
  }

  /**
   * Own recovery (core/restore.ts): a push that ran in a transaction was aborted, so this only re-reads and
   * confirms; one that wrote directly (transactions off, or the probe found them unusable) has its live writes
   * undone with compensating writes, then verified.
   */
  restore(previous: ManagedState, failure: RestoreContext): Promise<RestoreReport | null> {
    return restoreManagedState(this, previous, failure.ruleSetHash);
  }

  /** @internal The plan towards a normalised state (also the push's own recovery, see core/restore.ts). */
  planTo(want: DesiredState, live: ManagedState, ruleSetHash: string): Plan {
    return computePlan(want, adoptMembers(live, want), {
      vendor: 'fortios',
      deviceId: this.target.id,
      deviceKey: this.settings.deviceKey,
      ruleSetHash,
      prefix: this.settings.prefix,
      blockPosition: this.settings.blockPosition,
    });
  }

  apply(plan: Plan): Promise<ApplyResult> {
    const key = this.settings.deviceKey;
    return withDeviceLock(key, async () => {
      // A transaction still recorded (its abort failed, or a process died holding it) keeps its tables locked.
      const { transaction } = await this.pending.read();
      if (transaction) await this.abortRecorded(transaction).catch(() => undefined);
      const status = await this.firmwareStatus();
      let useTx = (this.options.transactions ?? 'auto') === 'auto' && supportsTransactions(status);
      let probeWrites = 0;
      if (useTx && plan.changes.length > 0) {
        const probe = await this.probeTransactions(status);
        if (probe.refused) {
          return {
            ok: false,
            results: plan.changes.map((c) => ({
              changeId: c.id,
              kind: c.kind,
              op: c.op,
              name: c.name,
              status: 'not_attempted' as const,
              writes: 0,
              durationMs: 0,
            })),
            commit: { status: 'not_attempted', durationMs: 0 },
            writes: probe.writes,
            durationMs: 0,
            error: probe.refused.toJSON(),
          };
        }
        useTx = probe.mode === 'transaction';
        probeWrites = probe.writes;
      }
      const executor = new FortiOsExecutor(this.api, this.settings, this, {
        firmware: status,
        transactions: useTx,
        timeout: this.transactionTimeout,
        protocolLiteral: serviceProtocolLiteral(status),
      });
      // FortiOS writes are live at once or discarded with the transaction: nothing is ever left to commit.
      const result = await runApply(plan, executor, {
        vendor: 'fortios',
        deviceKey: key,
        pending: this.pending,
        staged: false,
      });
      if (!result.ok) await executor.rollback();
      return { ...result, writes: result.writes + probeWrites };
    });
  }

  /**
   * Names of the interfaces in this connector's VDOM (one GET, see the api). Whether FortiOS answers a
   * `vdom=`-scoped read of this global table with every VDOM's interfaces or only that VDOM's is not settled by the
   * sources in reach, so rows are kept by their own `vdom` attribute (a row without one is kept). Zones and SD-WAN
   * zones, which policies also accept as `srcintf`, are not listed.
   */
  async readInterfaceNames(): Promise<string[]> {
    const rows = await this.api.listInterfaces();
    return rows.flatMap((row) =>
      typeof row.name === 'string' && (typeof row.vdom !== 'string' || row.vdom === this.vdom)
        ? [row.name]
        : [],
    );
  }

  async verify(desired: RuleSet): Promise<VerifyResult> {
    const live = await this.readState();
    const plan = this.plan(desired, live);
    return { ok: isPlanEmpty(plan), plan, live };
  }

  /**
   * Whether pushes to this device run in a batch transaction, probing the device first when that is not known yet
   * for its firmware (see probeTransactions). `direct` without probing when transactions are off or absent.
   */
  transactionMode(): Promise<TransactionProbe> {
    return withDeviceLock(this.settings.deviceKey, async () => {
      const status = await this.firmwareStatus();
      if ((this.options.transactions ?? 'auto') !== 'auto' || !supportsTransactions(status)) {
        return { mode: 'direct', reason: 'transactions are off, or the firmware has none (before 6.4)' };
      }
      const { mode, reason, refused } = await this.probeTransactions(status);
      if (refused) throw refused;
      return { mode, reason };
    });
  }

  /**
   * Transactions rest on behaviour no vendor source settles (vendor-conformance F24-F26): the commit/abort syntax,
   * and whether GETs carrying the transaction id see its staged objects. So before the first transactional push
   * to a device (per firmware, remembered in this process) the connector checks them with a throwaway address
   * object `<prefix>txprobe_<hex>` (marker in its comment): staged and seen inside, invisible outside, discarded by
   * abort; then staged again, committed, visible, deleted. Anything else, or any error, and the device is pushed
   * without transactions (each write live at once; a failure half-way is undone by the push's own recovery).
   * Except a refused write of the probe object: possibly a table lock (answer unknown), it fails the push unremembered.
   */
  private async probeTransactions(
    status: FortiStatus,
  ): Promise<TransactionProbe & { writes: number; refused?: ConnectorError }> {
    const key = `${this.settings.deviceKey}|${status.version ?? ''}`;
    const known = TRANSACTION_PROBES.get(key);
    if (known) return { ...known, writes: 0 };
    const name = `${this.settings.prefix}txprobe_${randomBytes(4).toString('hex')}`;
    const body = {
      name,
      type: 'ipmask',
      subnet: '192.0.2.1 255.255.255.255',
      comment: `transaction probe ${this.settings.marker}`,
    };
    let writes = 0;
    let open: number | null = null;
    const start = async (): Promise<number> => {
      const openedAt = new Date().toISOString();
      await this.pending.record({ transaction: { id: null, openedAt } });
      writes += 1;
      const id = await this.api.startTransaction(this.transactionTimeout);
      await this.pending.record({ transaction: { id, openedAt } });
      open = id;
      return id;
    };
    const inside = async <T>(id: number, fn: () => Promise<T>): Promise<T> => {
      this.api.transactionId = id;
      try {
        return await fn();
      } finally {
        this.api.transactionId = null;
      }
    };
    // A refused staged write says nothing about the device's transactions: it may be a table locked by someone
    // else's open transaction (another client, an admin's GUI/CLI session), whose answer is unknown (the simulator's
    // -580 is inferred, vendor-conformance F28). So it is not taken as "transactions unusable".
    let refused: ConnectorError | null = null;
    const stage = async (id: number): Promise<void> => {
      writes += 1;
      try {
        await inside(id, () => this.api.create('firewall/address', body));
      } catch (err) {
        // Only an answer of the device (an HTTP status) is a refusal; a dropped connection is not (below).
        if (err instanceof ConnectorError && err.status !== undefined) refused = err;
        throw err;
      }
    };
    const check = async (): Promise<string | null> => {
      const first = await start();
      await stage(first);
      if ((await inside(first, () => this.api.get('firewall/address', name))) === null) {
        return 'a GET carrying the transaction id did not see the object staged in it';
      }
      if ((await this.api.get('firewall/address', name)) !== null) {
        return 'an object written inside a transaction was live before the commit';
      }
      writes += 1;
      await this.api.abortTransaction(first);
      open = null;
      await this.pending.record({ transaction: null });
      if ((await this.api.get('firewall/address', name)) !== null)
        return 'transaction-abort did not discard it';
      const second = await start();
      await stage(second);
      writes += 1;
      await this.api.commitTransaction(second, this.settings.timeouts.commitMs);
      open = null;
      await this.pending.record({ transaction: null });
      if ((await this.api.get('firewall/address', name)) === null)
        return 'transaction-commit did not apply it';
      return null;
    };
    let problem: string | null;
    // The device did not answer some probe call (connection reset, timeout): that says nothing about its
    // transactions either, so the result is not remembered; this push writes directly (own recovery covers it) and
    // the next push probes again.
    let unanswered = false;
    try {
      problem = await check();
    } catch (err) {
      problem = `the probe failed: ${err instanceof Error ? err.message : String(err)}`;
      unanswered = err instanceof ConnectorError && err.status === undefined;
    }
    if (open !== null) {
      const id: number = open;
      writes += 1;
      await this.api
        .abortTransaction(id)
        .then(() => this.pending.record({ transaction: null }))
        .catch(() => undefined);
    }
    const leftover = await this.api.get('firewall/address', name).catch(() => null);
    if (leftover !== null) {
      writes += 1;
      await this.api.remove('firewall/address', name).catch(() => false);
    }
    if (refused !== null) {
      // Not remembered: the next push probes again. Failing (rather than writing directly) keeps a push from running
      // half-way into the same lock without a transaction to discard it.
      const err: ConnectorError = refused;
      const error = new ConnectorError({
        kind: err.kind,
        status: err.status,
        vendorCode: err.vendorCode,
        vendorMessage: err.vendorMessage,
        method: err.method,
        path: err.path,
        message:
          `FortiOS transaction probe: its write inside a transaction was refused (${err.message}); this may be a ` +
          'table locked by another open transaction (the device answer for that is unknown), so nothing was pushed ' +
          "and the next push probes again. If it persists, the device refuses writes in transactions: set transactions 'never'",
        details: { probe: 'refused' },
      });
      return { mode: 'direct', reason: error.message, writes, refused: error };
    }
    const result: TransactionProbe =
      problem === null
        ? { mode: 'transaction', reason: 'start, staged reads, abort and commit behaved as expected' }
        : { mode: 'direct', reason: problem };
    if (unanswered)
      return { ...result, reason: `${problem ?? ''}; not remembered: the next push probes again`, writes };
    TRANSACTION_PROBES.set(key, result);
    return { ...result, writes };
  }
}

export interface TransactionProbe {
  /** `transaction`: pushes run in one batch transaction; `direct`: every write is live at once. */
  mode: 'transaction' | 'direct';
  reason: string;
}

/** Probe results per `deviceKey|firmware version`, for the life of the process (a restart probes again). */
const TRANSACTION_PROBES = new Map<string, TransactionProbe>();

/**
 * Forgets every remembered probe, as a restart does. For tests: a simulator started on a port an earlier one used is
 * the same device to this memory, whatever transaction semantics it was given.
 */
export function forgetTransactionProbes(): void {
  TRANSACTION_PROBES.clear();
}

interface ExecutorOptions {
  firmware: FortiStatus;
  transactions: boolean;
  timeout: number;
  protocolLiteral: string;
}

class FortiOsExecutor implements ApplyExecutor {
  /** Id of the transaction whose commit was attempted (aborted by rollback() if that commit failed). */
  private committing: number | null = null;

  constructor(
    private readonly api: FortiOsApi,
    private readonly settings: ResolvedSettings,
    private readonly connector: FortiOsConnector,
    private readonly options: ExecutorOptions,
  ) {}

  execute(change: PlanChange, meter: WriteMeter): Promise<ChangeOutcome> {
    switch (change.kind) {
      case 'address':
        return this.address(change, meter);
      case 'service':
        return this.service(change, meter);
      case 'rule':
        return this.rule(change, meter);
      case 'order':
        return this.reorder(change, meter);
      case 'nat':
        return this.nat(change, meter);
    }
  }

  async commit(meter: WriteMeter): Promise<void> {
    const id = this.api.transactionId;
    if (id === null) return;
    meter.beforeWrite();
    try {
      await this.api.commitTransaction(id, this.settings.timeouts.commitMs);
    } finally {
      // Committed, or failed: either way the id is not reused; a failed commit is aborted by rollback().
      this.committing = id;
      this.api.transactionId = null;
    }
    await this.connector.pending.record({ transaction: null });
  }

  /**
   * After a failed apply: abort the open (or failed-to-commit) transaction so nothing of it is applied. When the
   * abort fails the record stays, and the next push (or the start-up sweep) aborts it.
   */
  async rollback(): Promise<void> {
    this.api.transactionId = null;
    this.committing = null;
    const { transaction } = await this.connector.pending.read();
    if (transaction) await this.connector.abortRecorded(transaction).catch(() => undefined);
  }

  /** Every write goes through here: opens the transaction lazily, right before the first write. */
  private async beforeWrite(meter: WriteMeter): Promise<void> {
    if (this.options.transactions && this.api.transactionId === null && this.committing === null) {
      const openedAt = new Date().toISOString();
      await this.connector.pending.record({ transaction: { id: null, openedAt } });
      meter.beforeWrite();
      const id = await this.api.startTransaction(this.options.timeout);
      // Durable before the first write that would lock a table under this id.
      await this.connector.pending.record({ transaction: { id, openedAt } });
      this.api.transactionId = id;
    }
    meter.beforeWrite();
  }

  // ----------------------------------------------------------------------------------------------------- helpers

  private managed(row: FortiRow, commentField = 'comment'): boolean {
    return isManaged(str(row.name), str(row[commentField]), this.settings.prefix, this.settings.marker);
  }

  private notManaged(what: string): ConnectorError {
    return new ConnectorError({
      kind: 'conflict',
      message: `${what} is not managed (prefix or marker missing); it is left untouched`,
    });
  }

  // --------------------------------------------------------------------------------------------------- addresses

  private async address(change: AddressChange, meter: WriteMeter): Promise<ChangeOutcome> {
    const before = change.before;
    const after = change.after;
    if (change.op === 'create') {
      await this.createAddress(after!, meter);
      return { status: 'applied' };
    }
    const family = (before!.attributes.family as AddressFamily) ?? 4;
    const tables = addressTables(family);
    const wasGroup = before!.attributes.kind === 'group';
    const current = await this.api.get(wasGroup ? tables.group : tables.address, change.name);
    if (change.op === 'delete') {
      if (!current) return { status: 'unchanged' };
      if (!this.managed(current)) throw this.notManaged(`address ${change.name}`);
      await this.beforeWrite(meter);
      await this.api.remove(wasGroup ? tables.group : tables.address, change.name);
      if (wasGroup) await this.deleteMembers(family, change.name, names(current.member), [], meter);
      return { status: 'applied' };
    }
    if (!current) {
      throw new ConnectorError({
        kind: 'not_found',
        message: `address ${change.name} disappeared since the plan was computed; push again to re-plan`,
      });
    }
    if (!this.managed(current)) throw this.notManaged(`address ${change.name}`);
    const isGroup = after!.attributes.kind === 'group';
    if (after!.attributes.family !== before!.attributes.family || isGroup !== wasGroup) {
      await this.swapKind(before!, after!, current, meter);
      return { status: 'applied' };
    }
    if (isGroup) {
      const members = await this.ensureMembers(after!, meter);
      await this.beforeWrite(meter);
      await this.api.update(tables.group, change.name, {
        member: members.map((name) => ({ name })),
        comment: after!.description,
        // addrgrp has `exclude` from 6.2.0, addrgrp6 only from 7.4.0 (vendor-conformance F13): never send a field
        // the table may not have.
        ...(groupHasExclude(family, this.options.firmware) ? { exclude: 'disable' } : {}),
      });
      await this.deleteMembers(family, change.name, names(current.member), members, meter);
    } else {
      await this.beforeWrite(meter);
      await this.api.update(
        tables.address,
        change.name,
        addressBody(change.name, family, after!.entries, after!.description),
      );
    }
    return { status: 'applied' };
  }

  private async createAddress(a: ManagedAddress, meter: WriteMeter): Promise<void> {
    const family = a.attributes.family as AddressFamily;
    const tables = addressTables(family);
    if (a.attributes.kind === 'group') {
      const members = await this.ensureMembers(a, meter);
      await this.beforeWrite(meter);
      await this.api.create(tables.group, {
        name: a.name,
        member: members.map((name) => ({ name })),
        comment: a.description,
      });
    } else {
      await this.beforeWrite(meter);
      await this.api.create(tables.address, addressBody(a.name, family, a.entries, a.description));
    }
  }

  /** Makes one ipmask member per entry exist with the right value (reusing members left by an earlier push). */
  private async ensureMembers(group: ManagedAddress, meter: WriteMeter): Promise<string[]> {
    const family = group.attributes.family as AddressFamily;
    const table = addressTables(family).address;
    const out: string[] = [];
    for (const entry of group.entries) {
      const name = memberName(group.name, entry);
      const comment = `member of ${group.name} ${this.settings.marker}`;
      const body = addressBody(name, family, [entry], comment);
      const existing = await this.api.get(table, name);
      if (!existing) {
        await this.beforeWrite(meter);
        await this.api.create(table, body);
      } else {
        if (!this.managed(existing)) throw this.notManaged(`address ${name}`);
        const same =
          family === 4
            ? existing.type === 'ipmask' && str(existing.subnet) === body.subnet
            : existing.type === 'ipprefix' && str(existing.ip6) === body.ip6;
        if (!same || str(existing.comment) !== comment) {
          await this.beforeWrite(meter);
          await this.api.update(table, name, body);
        }
      }
      out.push(name);
    }
    return out;
  }

  /** Deletes former members of a group that are ours and no longer listed. */
  private async deleteMembers(
    family: AddressFamily,
    group: string,
    old: string[],
    keep: string[],
    meter: WriteMeter,
  ): Promise<void> {
    const table = addressTables(family).address;
    for (const name of old) {
      if (keep.includes(name) || !name.startsWith(`${group}-`)) continue;
      const row = await this.api.get(table, name);
      if (!row || !this.managed(row)) continue;
      await this.beforeWrite(meter);
      await this.api.remove(table, name);
    }
  }

  /**
   * An address that becomes a group (or the reverse) keeps its name, but address and addrgrp share one namespace
   * (-163) and a referenced object cannot be deleted (-23). So the managed policies that use it are pointed at the
   * member addresses meanwhile, the object is replaced, and the policies are pointed back.
   */
  private async swapKind(
    before: ManagedAddress,
    after: ManagedAddress,
    current: FortiRow,
    meter: WriteMeter,
  ): Promise<void> {
    const oldFamily = before.attributes.family as AddressFamily;
    const oldTables = addressTables(oldFamily);
    const wasGroup = before.attributes.kind === 'group';
    const users = await this.policiesUsing(before.name, oldFamily);
    let stand: string[];
    if (after.attributes.kind === 'group' && after.attributes.family === before.attributes.family) {
      stand = await this.ensureMembers(after, meter);
    } else if (wasGroup) {
      stand = names(current.member);
    } else {
      stand = [];
    }
    if (users.length > 0 && stand.length === 0) {
      throw new ConnectorError({
        kind: 'conflict',
        message: `address ${before.name} changes family while policies use it; push again after they were updated`,
      });
    }
    const fields = oldFamily === 4 ? ['srcaddr', 'dstaddr'] : ['srcaddr6', 'dstaddr6'];
    for (const p of users) {
      const body: FortiRow = {};
      for (const f of fields) {
        const list = names(p[f]);
        if (list.includes(before.name))
          body[f] = [...list.filter((n) => n !== before.name), ...stand].map((name) => ({ name }));
      }
      await this.beforeWrite(meter);
      await this.api.update('firewall/policy', Number(p.policyid), body);
    }
    await this.beforeWrite(meter);
    await this.api.remove(wasGroup ? oldTables.group : oldTables.address, before.name);
    await this.createAddress(after, meter);
    for (const p of users) {
      const body: FortiRow = {};
      for (const f of fields)
        if (names(p[f]).includes(before.name)) body[f] = names(p[f]).map((name) => ({ name }));
      await this.beforeWrite(meter);
      await this.api.update('firewall/policy', Number(p.policyid), body);
    }
    if (wasGroup) {
      const keep =
        after.attributes.kind === 'group' ? after.entries.map((e) => memberName(after.name, e)) : [];
      await this.deleteMembers(oldFamily, before.name, names(current.member), keep, meter);
    }
  }

  /** Policies that reference an address by name; refuses when one of them is not ours. */
  private async policiesUsing(name: string, family: AddressFamily): Promise<FortiRow[]> {
    const [src, dst] = family === 4 ? ['srcaddr', 'dstaddr'] : ['srcaddr6', 'dstaddr6'];
    // Every policy of the VDOM, matched here: whether `srcaddr==X` looks inside member lists is in no vendor source
    // (vendor-conformance F9), and a device that compares whole values would hide the users, so the replaced address
    // would be deleted while in use. readState reads the same list anyway.
    const rows = await this.api.list('firewall/policy', { format: `policyid|name|comments|${src}|${dst}` });
    const users = rows.filter((r) => names(r[src]).includes(name) || names(r[dst]).includes(name));
    const foreign = users.find((r) => !this.managed(r, 'comments'));
    if (foreign) {
      throw new ConnectorError({
        kind: 'conflict',
        message: `address ${name} is used by policy ${str(foreign.policyid)} (${str(foreign.name) || 'unnamed'}) that is not managed; it cannot be replaced`,
      });
    }
    return users;
  }

  // ---------------------------------------------------------------------------------------------------- services

  private async service(change: ServiceChange, meter: WriteMeter): Promise<ChangeOutcome> {
    const table = 'firewall.service/custom';
    if (change.op === 'create') {
      await this.beforeWrite(meter);
      await this.api.create(table, serviceBody(change.after!, this.options.protocolLiteral));
      return { status: 'applied' };
    }
    const current = await this.api.get(table, change.name);
    if (change.op === 'delete') {
      if (!current) return { status: 'unchanged' };
      if (!this.managed(current)) throw this.notManaged(`service ${change.name}`);
      await this.beforeWrite(meter);
      await this.api.remove(table, change.name);
      return { status: 'applied' };
    }
    if (!current) {
      throw new ConnectorError({
        kind: 'not_found',
        message: `service ${change.name} disappeared since the plan was computed; push again to re-plan`,
      });
    }
    if (!this.managed(current)) throw this.notManaged(`service ${change.name}`);
    await this.beforeWrite(meter);
    await this.api.update(table, change.name, serviceBody(change.after!, this.options.protocolLiteral));
    return { status: 'applied' };
  }

  // ----------------------------------------------------------------------------------------------------- VIPs

  /**
   * One VIP (`firewall/vip`), written through beforeWrite like every other object so it is inside the push's
   * transaction (or live at once in direct mode, undone by restore). The planner creates VIPs before the policies
   * that name them and deletes them after (a VIP in use cannot be deleted: -23).
   */
  private async nat(change: NatChange, meter: WriteMeter): Promise<ChangeOutcome> {
    const table = 'firewall/vip';
    const hasStatus = vipHasStatus(this.options.firmware.semver);
    if (change.op === 'create') {
      await this.beforeWrite(meter);
      await this.api.create(table, vipBody(change.after!, hasStatus));
      return { status: 'applied' };
    }
    const current = await this.api.get(table, change.name);
    if (change.op === 'delete') {
      if (!current) return { status: 'unchanged' };
      if (!this.managed(current)) throw this.notManaged(`VIP ${change.name}`);
      await this.beforeWrite(meter);
      await this.api.remove(table, change.name);
      return { status: 'applied' };
    }
    if (!current) {
      throw new ConnectorError({
        kind: 'not_found',
        message: `VIP ${change.name} disappeared since the plan was computed; push again to re-plan`,
      });
    }
    if (!this.managed(current)) throw this.notManaged(`VIP ${change.name}`);
    await this.beforeWrite(meter);
    await this.api.update(table, change.name, vipBody(change.after!, hasStatus));
    return { status: 'applied' };
  }

  // ------------------------------------------------------------------------------------------------------ policies

  private async rule(change: RuleChange, meter: WriteMeter): Promise<ChangeOutcome> {
    if (change.op === 'create') {
      await this.beforeWrite(meter);
      // The answer's mkey is not relied on (F16): later steps find the policy by name.
      await this.api.create('firewall/policy', { policyid: 0, ...policyBody(change.after!) });
      return { status: 'applied' };
    }
    const found = await this.findPolicy(change.name, change.before?.ref, change.id.includes('#dup'));
    if (change.op === 'delete') {
      if (found === null) return { status: 'unchanged' };
      await this.beforeWrite(meter);
      await this.api.remove('firewall/policy', found);
      return { status: 'applied' };
    }
    if (found === null) {
      throw new ConnectorError({
        kind: 'not_found',
        message: `policy ${change.name} disappeared since the plan was computed; push again to re-plan`,
      });
    }
    await this.beforeWrite(meter);
    await this.api.update('firewall/policy', found, policyBody(change.after!));
    return { status: 'applied' };
  }

  /** Policy id of the managed policy with this name (the kept first copy, or for a duplicate the planned copy). */
  private async findPolicy(
    name: string,
    ref: string | undefined,
    duplicate: boolean,
  ): Promise<number | null> {
    const rows = await this.api.list('firewall/policy', {
      filter: `name==${filterValue(name)}`,
      format: 'policyid|name|comments',
    });
    const mine = rows
      .filter((r) => str(r.name) === name && this.managed(r, 'comments'))
      .map((r) => Number(r.policyid));
    if (!duplicate) return mine[0] ?? null;
    if (mine.length < 2) return null;
    const copies = mine.slice(1);
    return copies.find((id) => ref !== undefined && String(id) === ref) ?? copies[copies.length - 1];
  }

  /**
   * Puts the managed policies in the desired order as one block at the top (or bottom) of the VDOM's policy list.
   * Only managed policies move; others keep their relative order. The list is read once and the moves are
   * replayed locally; zero writes when everything is already in place.
   */
  private async reorder(change: ReorderChange, meter: WriteMeter): Promise<ChangeOutcome> {
    const rows = await this.api.list('firewall/policy', { format: 'policyid|name|comments' });
    const list = rows.map((r) => Number(r.policyid));
    const idOf = new Map<string, number>();
    for (const r of rows) {
      const name = str(r.name);
      if (this.managed(r, 'comments') && !idOf.has(name)) idOf.set(name, Number(r.policyid));
    }
    const block = change.after.map((n) => idOf.get(n)).filter((id): id is number => id !== undefined);
    const rest = list.filter((id) => !block.includes(id));
    const target = this.settings.blockPosition === 'top' ? [...block, ...rest] : [...rest, ...block];
    let moved = 0;
    for (let guard = 0; guard <= list.length; guard++) {
      const i = list.findIndex((id, k) => id !== target[k]);
      if (i === -1) return { status: moved > 0 ? 'applied' : 'unchanged' };
      const id = target[i];
      await this.beforeWrite(meter);
      await this.api.movePolicy(id, 'before', list[i]);
      list.splice(list.indexOf(id), 1);
      list.splice(i, 0, id);
      moved += 1;
    }
    throw new ConnectorError({ kind: 'protocol', message: 'could not order the policy list' });
  }
}

/**
 * The device does not know the transaction id any more. The simulator answers 500 / -3 "transaction N not found";
 * no Fortinet source shows the real answer to an abort of an unknown id (vendor-conformance F24, F28: the
 * commit/abort syntax itself is unverified), so a 404 is taken to mean the same.
 */
function isUnknownTransaction(err: ConnectorError): boolean {
  return err.vendorCode === '-3' || err.kind === 'not_found' || err.status === 404;
}
