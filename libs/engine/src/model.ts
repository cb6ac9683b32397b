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
  /**
   * Id of a flow (same version) whose tunnel carries this one when the two nodes' sites reach each other over the
   * internet: then this flow needs no rule and no publication anywhere, as long as the carrier flow is required
   * between the same two nodes (in either direction) and is itself reachable. The v9 master → probe flows (scanner,
   * asset discovery) travel inside the probe's 1194/tcp VPN to the master.
   */
  carriedBy?: string | null;
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

/**
 * How two sites reach each other. `routed`: private addresses cross unchanged (site-to-site VPN, MPLS, one LAN).
 * `internet`: NAT at both ends; a destination is reached only at a publication's public address and port.
 */
export const SITE_CONNECTIVITIES = ['routed', 'internet'] as const;
export type SiteConnectivity = (typeof SITE_CONNECTIVITIES)[number];

export interface SiteInput {
  id: string;
  name: string;
  /**
   * How this site reaches other sites unless a site link says otherwise (absent or null: `routed`). Between two
   * sites without a link the path is `internet` when either site says `internet`.
   */
  connectivity?: SiteConnectivity | null;
  /**
   * The site is the internet itself: its nodes (roaming agents, analysts at home, a cloud collector) have no
   * firewall of ours in front, their addresses are public (`0.0.0.0/0` when unknown: rules use only the public
   * part of a node's addresses, README "Internet paths"). They reach nodes of other
   * sites over the internet only, i.e. published services; no link can make such a site routed. Such a site has
   * no devices and no zones.
   */
  onInternet?: boolean | null;
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

/** A public address that is whatever the interface itself holds (DHCP, PPPoE): vendors resolve it on the device. */
export const INTERFACE_ADDRESS = 'interface';

export interface DeviceInterfaceInput {
  /** Vendor interface name (`lan`, `opt1`, `port3`). */
  name: string;
  /** `external` means "everything not behind another interface" (WAN, internet, other sites). */
  external: boolean;
  /** Zones of the device's own site behind this interface (empty when external). */
  zoneIds: string[];
  /**
   * External interfaces only: the public IPv4 addresses the interface answers on (host addresses, no prefix), or
   * `INTERFACE_ADDRESS` for the interface's own address. The first is the default address of a publication on this
   * interface; all static ones together are the site's egress addresses other sites' firewalls can restrict to.
   */
  publicAddresses?: string[];
}

export interface DeviceInput {
  id: string;
  siteId: string;
  name: string;
  vendor: Vendor;
  interfaces: DeviceInterfaceInput[];
}

/**
 * A site pair whose path differs from the sites' defaults (e.g. a branch on a site-to-site VPN while the rest
 * comes over the internet). Unordered: (a, b) and (b, a) are the same pair; at most one link per pair.
 */
export interface SiteLinkInput {
  siteAId: string;
  siteBId: string;
  connectivity: SiteConnectivity;
}

/** Internal ports `ports` of one protocol, reached on the public side at `externalFrom` .. `externalFrom + (to - from)`. */
export interface PublishedPortInput {
  protocol: Protocol;
  ports: PortRange;
  /** First external port (absent or null: the same ports as inside). */
  externalFrom?: number | null;
}

/**
 * A node made reachable over the internet through a firewall of its own site: a destination NAT (pfSense/OPNsense
 * port forward, FortiOS VIP) from the public address and port to the node's private IPv4 address, plus the rule
 * that admits it. Only the ports some flow crossing the internet needs are forwarded.
 */
export interface PublicationInput {
  id: string;
  nodeId: string;
  /** The firewall that forwards (a device of the node's site). */
  deviceId: string;
  /** One of the device's external interfaces (absent or null: the first external interface by name). */
  interface?: string | null;
  /** IPv4 host address or `INTERFACE_ADDRESS` (absent or null: the interface's first public address). */
  publicAddress?: string | null;
  ports: PublishedPortInput[];
}

export interface Inventory {
  /** Absent or empty: every node is in one implicit deployment and its site's catalog version rules. */
  deployments?: DeploymentInput[];
  sites: SiteInput[];
  zones: ZoneInput[];
  nodes: NodeInput[];
  devices: DeviceInput[];
  /** Exceptions to the sites' default connectivity, per site pair. */
  siteLinks?: SiteLinkInput[];
  publications?: PublicationInput[];
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

/**
 * How a vendor matches forwarded traffic. `filter-after-dnat` (pfSense, OPNsense: pf translates first, so the rule
 * admitting a port forward names the private target and internal port); `vip-in-policy` (FortiOS: the policy's
 * destination is the VIP object itself, its service the mapped port, and a policy cannot mix VIPs and addresses).
 */
export type NatSemantics = 'filter-after-dnat' | 'vip-in-policy';

/** One destination NAT (port forward / VIP with port forwarding): IPv4, one protocol, one contiguous port range. */
export interface NatEntry {
  name: string;
  /** 0-based, deterministic. Entries never overlap (same public address, protocol and port is refused upstream). */
  order: number;
  /** External interface the traffic arrives on. */
  interface: string;
  protocol: Protocol;
  /** Public IPv4 host address (no prefix) or `INTERFACE_ADDRESS`. */
  externalAddress: string;
  externalPorts: PortRange;
  /** The published node's private IPv4 host address (no prefix). */
  target: string;
  /** Same length as `externalPorts`. */
  targetPorts: PortRange;
  publicationId: string;
  nodeId: string;
  flowIds: string[];
  /** e.g. "publish master hq-master at 198.51.100.10:1194/tcp → 10.10.10.5:1194" */
  description: string;
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
  /**
   * Name of the NAT entry whose forwarded traffic this rule admits (absent for plain rules). With `vip-in-policy`
   * the rule's `destination` is that entry's name (the VIP), not an address object.
   */
  nat?: string;
}

export interface RuleSet {
  deviceId: string;
  deviceName: string;
  vendor: Vendor;
  prefix: string;
  addresses: AddressObject[];
  services: ServiceObject[];
  rules: Rule[];
  /** Destination NAT entries; absent when there are none (so rule sets without NAT hash as before). */
  nat?: NatEntry[];
  /** Present with `nat`. */
  natSemantics?: NatSemantics;
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
  /**
   * Destination NAT this hop applies (internet paths), e.g. "HQ pfSense: wan 198.51.100.10:1194 → hq-master
   * 10.10.10.5:1194". Hops are listed in path order (source side first).
   */
  translations?: ReachabilityTranslation[];
}

export interface ReachabilityTranslation {
  natEntry: string;
  protocol: Protocol;
  externalAddress: string;
  externalPorts: PortRange;
  target: string;
  targetPorts: PortRange;
  text: string;
}

/** A flow that needs no rule because another flow's tunnel carries it (internet paths). */
export interface ReachabilityCarried {
  flowId: string;
  carrierFlowId: string;
  text: string;
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
  /** How the two nodes' sites reach each other (`same-site` when they share one). */
  path?: 'same-site' | SiteConnectivity;
  /** Flows carried inside another flow's tunnel (checked on no hop). */
  carried?: ReachabilityCarried[];
  /** Internet paths: traffic the destination needs but no publication of it forwards (never allowed). */
  unpublished?: TrafficSpec[];
  /** True when something is checked and every hop allows all of it (no hop at all also counts as allowed). */
  allowed: boolean;
}
