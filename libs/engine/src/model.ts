/**
 * Vendor-neutral model shared by the catalog, the rule engine, the connectors and the API.
 * Everything here is plain data so the engine stays pure and results are easy to serialise and hash.
 */

export const ROLES = ['master', 'probe', 'agent', 'agentless', 'console'] as const;
export type Role = (typeof ROLES)[number];

export const VENDORS = ['pfsense', 'fortios', 'opnsense'] as const;
export type Vendor = (typeof VENDORS)[number];

export const PROTOCOLS = ['tcp', 'udp'] as const;
export type Protocol = (typeof PROTOCOLS)[number];

/** Inclusive port range; a single port has `from === to`. */
export interface PortRange {
  from: number;
  to: number;
}

/** `collector` means "the source node's collector" (resolved per node), not a role. */
export type FlowTarget = Role | 'collector';

export interface CatalogFlow {
  /** Stable id, unique across all catalog versions (e.g. `v9-agent-hids`). */
  id: string;
  /** Catalog version this flow belongs to (e.g. `utmstack-v9`). */
  version: string;
  from: Role;
  to: FlowTarget;
  protocol: Protocol;
  ports: PortRange[];
  purpose: string;
  /** When set, the flow only applies to source nodes that list this selector (agentless log types, v11 integrations). */
  selector?: string | null;
  /** True for operator-defined flows stored in the database. */
  custom?: boolean;
}

/**
 * One UTMStack installation: a master and the probes, collectors, agents, log sources and consoles that
 * belong to it. Flows only ever join two nodes of the same deployment.
 */
export interface DeploymentInput {
  id: string;
  name: string;
  /** Catalog version of every node of the deployment, unless the node's site overrides it. */
  catalogVersion: string;
}

export interface SiteInput {
  id: string;
  name: string;
  /**
   * Override: the catalog version of every node at this site, whatever its deployment's version (null or
   * absent: the deployment's). Kept because it meant exactly that before deployments existed, so an upgrade
   * changes no rule set; without deployments it is the only version a node has.
   */
  catalogVersion?: string | null;
}

export interface ZoneInput {
  id: string;
  siteId: string;
  name: string;
  /** IPv4 and/or IPv6 CIDRs in canonical form. */
  cidrs: string[];
}

export interface NodeInput {
  id: string;
  siteId: string;
  name: string;
  role: Role;
  /** IPs or CIDRs (IPv4 or IPv6); a CIDR stands for a group of hosts. */
  addresses: string[];
  collectorId?: string | null;
  selectors: string[];
  /**
   * The node's deployment. Nodes without one form a single implicit deployment (the inventory as it was
   * before deployments), so an engine input that names no deployment computes exactly as before.
   */
  deploymentId?: string | null;
  /**
   * A probe's master: when set (and a master of the probe's deployment), the probe exchanges the
   * probe ↔ master flows with that master only; when null, with every master of its deployment.
   */
  masterId?: string | null;
}

export interface DeviceInterfaceInput {
  /** Vendor interface name (`lan`, `opt1`, `port3`). */
  name: string;
  /** `external` means "everything not behind another interface" (WAN, internet, other sites). */
  external: boolean;
  /** Zones of the device's own site behind this interface (empty when external). */
  zoneIds: string[];
}

export interface DeviceInput {
  id: string;
  siteId: string;
  name: string;
  vendor: Vendor;
  interfaces: DeviceInterfaceInput[];
}

export interface Inventory {
  /** Absent or empty: every node is in one implicit deployment and its site's catalog version rules. */
  deployments?: DeploymentInput[];
  sites: SiteInput[];
  zones: ZoneInput[];
  nodes: NodeInput[];
  devices: DeviceInput[];
}

export interface EngineOptions {
  /** Prefix of every managed name (default `utm_`). */
  prefix?: string;
  /**
   * Compute only these devices (unknown ids are ignored). The rule set of a device does not depend on
   * which other devices are computed, so the result equals the full computation's entry for that device.
   */
  deviceIds?: string[];
}

export type AddressFamily = 4 | 6;

/** A named set of addresses of one family; `entries` are canonical CIDRs (hosts as /32 or /128), summarised exactly. */
export interface AddressObject {
  name: string;
  family: AddressFamily;
  entries: string[];
  /** Human-readable description of what the object stands for ("agents of Branch-1"). */
  description: string;
}

/** A named set of ports of one protocol, ranges merged and sorted. */
export interface ServiceObject {
  name: string;
  protocol: Protocol;
  ports: PortRange[];
  description: string;
}

export interface RuleExplanation {
  flowId: string;
  catalogVersion: string;
  purpose: string;
  sourceNodeIds: string[];
  destinationNodeIds: string[];
  /** e.g. "agents of Branch-1 → collector hq-master: HIDS agent communication, 1514-1516/tcp" */
  text: string;
}

/** One allow rule: exactly one source object, destination object and service object. */
export interface Rule {
  name: string;
  /** Position in the device's managed block, 0-based, deterministic. */
  order: number;
  /** Interface where the traffic enters the device (vendor interface name). */
  ingress: string;
  /** Interface where the traffic leaves the device. */
  egress: string;
  family: AddressFamily;
  source: string;
  destination: string;
  service: string;
  protocol: Protocol;
  flowIds: string[];
  sourceNodeIds: string[];
  destinationNodeIds: string[];
  explanations: RuleExplanation[];
}

export interface RuleSet {
  deviceId: string;
  deviceName: string;
  vendor: Vendor;
  prefix: string;
  addresses: AddressObject[];
  services: ServiceObject[];
  rules: Rule[];
  /** Stable hash (hex) of the whole rule set; changes only when the rule set does. */
  hash: string;
}

/** Optional narrowing of a reachability query. */
export interface ReachabilityFilter {
  protocol?: Protocol;
  port?: number;
}

/** Traffic of one protocol on a set of ports. */
export interface TrafficSpec {
  protocol: Protocol;
  ports: PortRange[];
}

/** A catalog flow that requires traffic between the two nodes of a reachability query. */
export interface ReachabilityFlow {
  flowId: string;
  catalogVersion: string;
  protocol: Protocol;
  ports: PortRange[];
  purpose: string;
  selector: string | null;
}

/** A rule of a device's rule set that allows (part of) the checked traffic on a hop. */
export interface ReachabilityRuleMatch {
  deviceId: string;
  ruleName: string;
  protocol: Protocol;
  /** Ports of the rule's service that are part of the checked traffic. */
  ports: PortRange[];
  /** True when the rule's source and destination objects contain the hop's whole source and destination. */
  complete: boolean;
}

/** One device on the path between the two nodes, for one address family and interface pair. */
export interface ReachabilityHop {
  deviceId: string;
  deviceName: string;
  vendor: Vendor;
  family: AddressFamily;
  ingress: string;
  egress: string;
  /** The parts of the source node's addresses that enter through `ingress` (canonical CIDRs). */
  sourceCidrs: string[];
  /** The parts of the destination node's addresses that leave through `egress`. */
  destinationCidrs: string[];
  rules: ReachabilityRuleMatch[];
  /** Checked traffic that no complete rule allows on this hop. */
  missing: TrafficSpec[];
}

/** A deployment as named in results. */
export interface DeploymentRef {
  id: string;
  name: string;
}

export interface ReachabilityResult {
  fromNodeId: string;
  toNodeId: string;
  /** Deployments of the two nodes (null for a node in no deployment); flows never join two deployments. */
  fromDeployment: DeploymentRef | null;
  toDeployment: DeploymentRef | null;
  /** Catalog version the source node uses (its site's override, else its deployment's; null when none). */
  catalogVersion: string | null;
  /** Catalog flows that require traffic from → to (narrowed by the filter). */
  flows: ReachabilityFlow[];
  /**
   * The traffic checked on every hop: the flows' ports per protocol; when no flow matches and the filter
   * names both a protocol and a port, that port (so "is 5432/tcp open?" can be asked).
   */
  checked: TrafficSpec[];
  hops: ReachabilityHop[];
  /** True when something is checked and every hop allows all of it (no hop at all also counts as allowed). */
  allowed: boolean;
}
