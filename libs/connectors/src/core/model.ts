import type { AddressFamily, PortRange, Protocol, Vendor } from '@app/engine/model';
import type { ConnectorErrorJson } from './errors';
import type { TlsMode } from './target';

/** Vendor-specific attributes a connector owns and wants compared (e.g. pfSense alias `type`, FortiOS `nat`). */
export type Scalar = string | number | boolean | null;
export type Attributes = Record<string, Scalar>;

/**
 * Normalised values. Connectors convert both the desired rule set and the live device into these shapes, so the
 * generic planner compares like with like. `ref` is the vendor's handle (pfSense tracker, FortiOS policyid, OPNsense
 * uuid); it is informational only and never compared.
 */
export interface ManagedAddress {
  name: string;
  /** Canonical CIDRs (hosts as /32 or /128), sorted. */
  entries: string[];
  /** Full description/comment as stored on the device (includes the marker). */
  description: string;
  attributes: Attributes;
  ref?: string;
}

export interface ManagedService {
  name: string;
  /** `null` when the vendor's service object has no protocol (pfSense port aliases: protocol lives on the rule). */
  protocol: Protocol | null;
  /** Sorted, non-overlapping. */
  ports: PortRange[];
  description: string;
  attributes: Attributes;
  ref?: string;
}

export interface ManagedRule {
  name: string;
  /** Ordering scope: the list this rule is ordered in (pfSense/OPNsense: ingress interface; FortiOS: the policy list). */
  scope: string;
  ingress: string;
  /** `null` when the vendor's rule has no egress interface (pfSense, OPNsense). */
  egress: string | null;
  family: AddressFamily | null;
  protocol: Protocol | null;
  source: string;
  destination: string;
  service: string;
  action: 'allow' | 'deny';
  enabled: boolean;
  description: string;
  attributes: Attributes;
  ref?: string;
}

/**
 * A managed destination NAT entry (pfSense port forward, FortiOS VIP with port forwarding, OPNsense d_nat rule),
 * normalised from the engine's `NatEntry`. Entries never overlap each other (the engine refuses the same public
 * address, protocol and port twice), so their order among themselves carries no meaning and is not managed.
 */
export interface ManagedNat {
  name: string;
  /** External interface (vendor name). */
  interface: string;
  protocol: Protocol;
  /** Public IPv4 host address, or `interface` for the interface's own address. */
  externalAddress: string;
  externalPorts: PortRange;
  /** Private IPv4 host address. */
  target: string;
  targetPorts: PortRange;
  description: string;
  attributes: Attributes;
  ref?: string;
}

/** One rule slot in a live ordering scope; `name` is set for managed rules only. */
export interface SequenceEntry {
  managed: boolean;
  name: string | null;
  /** Human label for unmanaged entries (their description), for plans and messages. */
  label?: string;
}

export interface RuleSequence {
  scope: string;
  /** Every rule of the scope, managed or not, in evaluation order. */
  entries: SequenceEntry[];
}

/** Prefixed names of objects that exist on the device but are NOT managed (no marker): never adopted. */
export interface ForeignNames {
  addresses: string[];
  services: string[];
  rules: string[];
  /** Absent: none (vendors without NAT support in the connector). */
  nat?: string[];
}

/** The desired state, normalised by a connector from a RuleSet. */
export interface DesiredState {
  addresses: ManagedAddress[];
  services: ManagedService[];
  rules: ManagedRule[];
  /** Rule names per scope, in evaluation order. */
  order: Record<string, string[]>;
  /** Absent: none. */
  nat?: ManagedNat[];
}

/** The device's live MANAGED state, as read by `readState()`. */
export interface ManagedState {
  vendor: Vendor;
  deviceKey: string;
  /** ISO timestamp of the read. */
  readAt: string;
  addresses: ManagedAddress[];
  services: ManagedService[];
  /** Managed rules in live order (duplicates by name are kept so the planner can remove them). */
  rules: ManagedRule[];
  sequences: RuleSequence[];
  /** Managed NAT entries (absent: the connector read none, e.g. a version without a NAT API). */
  nat?: ManagedNat[];
  foreign: ForeignNames;
  /** Changes were written but not committed/applied (a previous push failed before its commit). */
  pendingCommit: boolean;
  warnings: string[];
}

export type ObjectKind = 'address' | 'service' | 'rule' | 'nat';
export type ChangeOp = 'create' | 'update' | 'delete' | 'reorder';

interface ChangeBase {
  /** Stable within a plan, e.g. `update:address:utm_agent_lan_7f026f`. */
  id: string;
}

export type AddressChange = ChangeBase & {
  kind: 'address';
  op: 'create' | 'update' | 'delete';
  name: string;
  before: ManagedAddress | null;
  after: ManagedAddress | null;
};

export type ServiceChange = ChangeBase & {
  kind: 'service';
  op: 'create' | 'update' | 'delete';
  name: string;
  before: ManagedService | null;
  after: ManagedService | null;
};

export type RuleChange = ChangeBase & {
  kind: 'rule';
  op: 'create' | 'update' | 'delete';
  name: string;
  before: ManagedRule | null;
  after: ManagedRule | null;
};

export type NatChange = ChangeBase & {
  kind: 'nat';
  op: 'create' | 'update' | 'delete';
  name: string;
  before: ManagedNat | null;
  after: ManagedNat | null;
};

/** Puts the managed rules of one scope in the desired order (and the managed block at its configured position). */
export type ReorderChange = ChangeBase & {
  kind: 'order';
  op: 'reorder';
  /** The scope. */
  name: string;
  /** Managed rule names of the scope in live order (before creates/deletes). */
  before: string[];
  /** Desired order. */
  after: string[];
};

export type PlanChange = AddressChange | ServiceChange | NatChange | RuleChange | ReorderChange;

export interface PlanSummary {
  create: number;
  update: number;
  delete: number;
  reorder: number;
}

/**
 * Ordered changes turning the live managed state into the desired one. Plain JSON data (store it with the push).
 * Order = dependency order: create/update addresses, services, NAT entries, rules; reorder; delete rules, NAT
 * entries, services, addresses (a FortiOS policy names its VIP, so the VIP exists first and goes last).
 */
export interface Plan {
  vendor: Vendor;
  deviceId: string;
  deviceKey: string;
  ruleSetHash: string;
  prefix: string;
  blockPosition: 'top' | 'bottom';
  changes: PlanChange[];
  /** The device had uncommitted writes when it was read: apply must commit even with no changes. */
  pendingCommit: boolean;
  summary: PlanSummary;
  warnings: string[];
}

export function isPlanEmpty(plan: Plan): boolean {
  return plan.changes.length === 0 && !plan.pendingCommit;
}

export type ChangeStatus =
  /** The change was written. */
  | 'applied'
  /** Nothing needed writing when re-checked at apply time (e.g. already in order, already deleted). */
  | 'unchanged'
  /** The change was attempted and failed (see error). */
  | 'failed'
  /** Not attempted because an earlier change failed. */
  | 'not_attempted';

export interface ChangeResult {
  changeId: string;
  kind: PlanChange['kind'];
  op: ChangeOp;
  name: string;
  status: ChangeStatus;
  /** Write calls made for this change. */
  writes: number;
  durationMs: number;
  error?: ConnectorErrorJson;
}

export interface CommitResult {
  status: 'applied' | 'not_needed' | 'failed' | 'not_attempted';
  durationMs: number;
  error?: ConnectorErrorJson;
}

export interface ApplyResult {
  ok: boolean;
  results: ChangeResult[];
  commit: CommitResult;
  /** Total write calls made. */
  writes: number;
  durationMs: number;
  /** The first failure, classified. */
  error?: ConnectorErrorJson;
}

export interface ProbeResult {
  vendor: Vendor;
  /** Product/firmware version as reported by the device. */
  version: string | null;
  /** Version of the API package, when separate from the firmware (pfSense REST API package). */
  apiVersion: string | null;
  tls: TlsMode;
  latencyMs: number;
}

export interface VerifyResult {
  /** Live state equals the desired state and nothing is left uncommitted. */
  ok: boolean;
  plan: Plan;
  live: ManagedState;
}

/**
 * A rule people made (not managed), reduced to what it lets through: used to warn when a device exposes ports
 * that must never be reachable. Read-only; connectors never change such rules.
 */
export interface UnmanagedRule {
  scope: string;
  /** Ingress interface(s) the rule applies to. */
  interfaces: string[];
  /** Description/comment as shown on the device. */
  label: string;
  action: 'allow' | 'deny';
  enabled: boolean;
  /** `null`: any protocol. Only tcp/udp are listed (other protocols carry no ports). */
  protocols: Protocol[] | null;
  /** `null`: any port. */
  ports: PortRange[] | null;
  source: string;
  destination: string;
  /** Set when the port field could not be resolved (e.g. an alias that does not exist); `ports` is then empty. */
  unresolvedPorts?: string;
}

/**
 * A destination NAT entry people made (not managed), reduced to what it forwards: a port forward that exposes a
 * never-exposed port counts as an exposure. Read-only; connectors never change such entries.
 */
export interface UnmanagedNat {
  /** Description/comment as shown on the device. */
  label: string;
  interface: string;
  enabled: boolean;
  /** `null`: any protocol (tcp and udp). */
  protocols: Protocol[] | null;
  /** Public-side ports; `null`: any. */
  externalPorts: PortRange[] | null;
  /** Private target as shown on the device. */
  target: string;
  /** Ports on the target after translation; `null`: any (or unchanged from `externalPorts` when those are set). */
  targetPorts: PortRange[] | null;
}
