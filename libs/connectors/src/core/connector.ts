import type { RuleSet, Vendor } from '@app/engine/model';
import type {
  ApplyResult,
  ManagedState,
  Plan,
  ProbeResult,
  UnmanagedNat,
  UnmanagedRule,
  VerifyResult,
} from './model';
import type { PendingStateStore, RecoveryReport } from './pending-state';
import type { RestoreContext, RestoreReport } from './restore';
import type { DeviceTarget, ResolvedSettings } from './target';

export interface ConnectorOptions {
  /** Where the device's pending state is recorded (default: process memory; the service passes its database). */
  pending?: PendingStateStore;
}

/**
 * One connector per vendor behind this interface. A connector instance talks to ONE device.
 *
 * Contract (all vendors):
 * - It owns only objects whose name starts with the prefix AND whose description/comment contains the marker.
 *   Anything else is never changed or deleted. An unmanaged object whose name collides with a desired one is never
 *   adopted: `plan()` throws a `conflict` ConnectorError listing the collisions, and nothing is written.
 * - `plan()` is pure and compares normalised values, so an unchanged device plans to nothing.
 * - `apply()` runs the plan in dependency order, never retries a failed write, stops at the first failure (remaining
 *   changes are `not_attempted`, nothing is committed) and commits once at the end. The next push re-reads and
 *   re-plans, which converges (and commits writes left uncommitted by the failed push).
 * - Writes to one device are serialised in-process (see `withDeviceLock`), keyed by `settings.deviceKey`.
 * - Device state that must outlive the process (open transaction, armed rollback, uncommitted writes) is recorded in
 *   `pending` before the call that creates it and resolved by `recover()` (see `core/pending-state.ts`).
 * - Every failure is a classified `ConnectorError`.
 */
export interface FirewallConnector {
  readonly vendor: Vendor;
  readonly target: DeviceTarget;
  readonly settings: ResolvedSettings;
  /** The device's pending-state record (the service's database, or process memory by default). */
  readonly pending: PendingStateStore;

  /**
   * Resolves what an earlier push left pending (see `core/pending-state.ts`) before a new one reads the device:
   * aborts a recorded FortiOS transaction, cancels an OPNsense rollback once the device is verified to match
   * `desired` (or forgets it once it has fired). Uncommitted writes are not applied here: the next plan carries
   * `pendingCommit` and commits them. Throws a classified ConnectorError when the device cannot be reached.
   */
  recover(desired: RuleSet | null): Promise<RecoveryReport>;

  /** Authenticated health/version check. Throws a classified ConnectorError when the device is not usable. */
  probe(): Promise<ProbeResult>;

  /** Reads the device's live managed state (plus the names needed for collision checks and ordering). */
  readState(): Promise<ManagedState>;

  /** Pure: the ordered changes turning `live` into `desired`. Throws `validation`/`conflict` ConnectorErrors. */
  plan(desired: RuleSet, live: ManagedState): Plan;

  /** Executes a plan under the device lock. Failures are reported in the result (never thrown) and classified. */
  apply(plan: Plan): Promise<ApplyResult>;

  /** Re-reads and re-plans: ok when there is nothing left to do. */
  verify(desired: RuleSet): Promise<VerifyResult>;

  /**
   * Optional, read-only: the interface names the live device has, as rules name them (pfSense/OPNsense interface
   * ids, FortiOS interface names of the VDOM). The plan's guard rail warns about configured interfaces missing here.
   */
  readInterfaceNames?(): Promise<string[]>;

  /**
   * Optional: the rules people made, with what they let through (drift checks warn about exposed ports that
   * must stay closed). Vendors without it are checked for managed drift only.
   */
  readUnmanagedRules?(): Promise<UnmanagedRule[]>;

  /**
   * Optional: the destination NAT entries people made (a forward to a never-exposed port is an exposure). Null when
   * the device has them but they cannot be read (no NAT API on its firmware, or the key may not read them), so the
   * exposure check says it is incomplete instead of finding nothing.
   */
  readUnmanagedNat?(): Promise<UnmanagedNat[] | null>;

  /**
   * Own recovery after a failed push (core/restore.ts): puts back the managed state read before the push with
   * compensating writes, verifies it, and says what is live. Null when nothing the push wrote can be live (staged
   * writes never applied). Called by `pushRuleSet` under the device lock; never throws.
   */
  restore?(previous: ManagedState, failure: RestoreContext): Promise<RestoreReport | null>;

  /** Releases keep-alive sockets. The connector must not be used afterwards. */
  close(): void;
}
