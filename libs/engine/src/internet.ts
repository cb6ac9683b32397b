/**
 * Internet paths (issue #12): how two sites reach each other, the public side of sites (egress addresses of
 * their firewalls, publications of their nodes) and what a flow crossing the internet needs. Validated here
 * once; compute.ts turns it into rules and NAT entries, reachability.ts into hops and translations.
 *
 * An inventory in which no pair of sites is `internet` is not "active": then nothing here changes a rule set
 * (routed paths are computed as they always were), only the validation applies.
 */
import { compareText } from './compare';
import {
  EngineInputError,
  FlowTable,
  flowsBetween,
  IndexedDevice,
  IndexedFlow,
  IndexedNode,
  InventoryIndex,
} from './inventory-index';
import {
  Cidr,
  compareCidrs,
  formatAddress,
  intersectCidrList,
  parseCidr,
  subtractCidrList,
  tryParseCidr,
} from './ip';
import type { Inventory, PortRange, Protocol, PublicationInput, SiteConnectivity, SiteInput } from './model';
import { INTERFACE_ADDRESS, SITE_CONNECTIVITIES } from './model';
import {
  describeInvalidPortRange,
  formatPorts,
  intersectPorts,
  normalizePorts,
  subtractPorts,
} from './ports';

export type PathKind = 'same-site' | SiteConnectivity;

/** One port entry of a publication: internal `ports` reached at `external` (same length). */
export interface PublishedPorts {
  /** Index of the entry in the publication's `ports`. */
  readonly index: number;
  readonly protocol: Protocol;
  readonly ports: PortRange;
  readonly external: PortRange;
}

export interface ResolvedPublication {
  readonly publication: PublicationInput;
  readonly node: IndexedNode;
  readonly device: IndexedDevice;
  /** The external interface the NAT listens on. */
  readonly iface: string;
  /** Canonical IPv4 host address, or `INTERFACE_ADDRESS`. */
  readonly address: string;
  /** The IPv4 set the source side sends to: the address /32, or the public internet for `interface` (unknown there). */
  readonly publicSetId: number;
  /** The private IPv4 host the NAT forwards to (the node's first /32 in canonical order). */
  readonly target: Cidr;
  readonly targetText: string;
  readonly targetSetId: number;
  readonly ports: readonly PublishedPorts[];
}

/** The part of a flow a publication entry forwards. */
export interface Coverage {
  readonly publication: ResolvedPublication;
  readonly entry: PublishedPorts;
  /** Internal ports of the flow the entry forwards (normalised, inside `entry.ports`). */
  readonly ports: PortRange[];
  /** The same ports on the public side. */
  readonly external: PortRange[];
}

/** What one flow of an internet path gets: forwarded parts and the ports no publication forwards. */
export interface FlowDelivery {
  readonly flow: IndexedFlow;
  readonly covered: Coverage[];
  readonly unpublished: PortRange[];
}

/** Maps internal ports of a publication entry to its external ports. */
export function toExternal(entry: PublishedPorts, ports: readonly PortRange[]): PortRange[] {
  const shift = entry.external.from - entry.ports.from;
  return ports.map((r) => ({ from: r.from + shift, to: r.to + shift }));
}

/** "198.51.100.10" or "hq-fw wan address" (an `interface` address is only known on the device). */
export function describePublicAddress(publication: ResolvedPublication): string {
  return publication.address === INTERFACE_ADDRESS
    ? `${publication.device.device.name} ${publication.iface} address`
    : publication.address;
}

/** "198.51.100.10:1194" */
export function describeVia(publication: ResolvedPublication, external: readonly PortRange[]): string {
  return `${describePublicAddress(publication)}:${formatPorts(external)}`;
}

function parseHost(text: string): Cidr | null {
  if (text.includes('/')) return null;
  const cidr = tryParseCidr(text);
  return cidr && cidr.family === 4 ? cidr : null;
}

function pairKey(a: string, b: string): string {
  return a < b ? `${a}\u0000${b}` : `${b}\u0000${a}`;
}

const ANY_IPV4: Cidr = { family: 4, network: 0n, prefix: 0 };

/**
 * IPv4 ranges that are not "somewhere on the internet": the special-purpose blocks of RFC 6890 (as updated by
 * RFC 6598 and RFC 8190) that are not globally reachable, plus multicast (RFC 5771) and the reserved block with
 * the limited broadcast (RFC 1112, RFC 919). A rule meaning "any address on the internet" must not reach these:
 * behind an external interface they are routed peers, the far side of an inner firewall, the firewall's own
 * networks. Kept PUBLIC on purpose: the documentation blocks 192.0.2.0/24, 198.51.100.0/24 and 203.0.113.0/24
 * (RFC 5737), which fixtures and users' examples use as public addresses, and 192.88.99.0/24 (6to4 relay
 * anycast, deprecated by RFC 7526, formerly globally routed). 192.0.0.0/24 is removed whole, although two of
 * its hosts (192.0.0.9, 192.0.0.10) are globally reachable anycast services no UTMStack node is.
 */
export const NON_PUBLIC_IPV4: readonly string[] = [
  '0.0.0.0/8', // "this network" (RFC 791, RFC 6890)
  '10.0.0.0/8', // private (RFC 1918)
  '100.64.0.0/10', // shared address space, carrier-grade NAT (RFC 6598)
  '127.0.0.0/8', // loopback (RFC 1122)
  '169.254.0.0/16', // link local (RFC 3927)
  '172.16.0.0/12', // private (RFC 1918)
  '192.0.0.0/24', // IETF protocol assignments (RFC 6890)
  '192.168.0.0/16', // private (RFC 1918)
  '198.18.0.0/15', // benchmarking (RFC 2544)
  '224.0.0.0/4', // multicast (RFC 5771)
  '240.0.0.0/4', // reserved (RFC 1112) and limited broadcast 255.255.255.255 (RFC 919)
];

/** The public internet: 0.0.0.0/0 minus {@link NON_PUBLIC_IPV4}, as an exact sorted CIDR list. */
export const PUBLIC_IPV4: readonly Cidr[] = subtractCidrList(
  4,
  [ANY_IPV4],
  NON_PUBLIC_IPV4.map((c) => parseCidr(c)),
);

export class InternetIndex {
  /** True when some pair of sites reaches each other over the internet. */
  readonly active: boolean;
  private readonly links = new Map<string, SiteConnectivity>();
  private readonly publications = new Map<number, ResolvedPublication[]>();
  private readonly egressSets = new Map<string, number | null>();
  private readonly internetSets = new Map<number, number | null>();
  private readonly deviceSites: string[];

  constructor(
    private readonly index: InventoryIndex,
    inventory: Inventory,
  ) {
    const sites = index.siteById;
    for (const site of sites.values()) {
      if (site.connectivity != null && !SITE_CONNECTIVITIES.includes(site.connectivity)) {
        throw new EngineInputError(
          `site "${site.id}": connectivity must be routed or internet, not "${String(site.connectivity)}"`,
          'invalid-site',
        );
      }
    }
    for (const zone of inventory.zones) {
      if (sites.get(zone.siteId)?.onInternet) {
        throw new EngineInputError(
          `site "${zone.siteId}" is on the internet and cannot have zones (zone "${zone.id}")`,
          'invalid-site',
        );
      }
    }
    for (const device of index.devices) {
      if (sites.get(device.device.siteId)?.onInternet) {
        throw new EngineInputError(
          `site "${device.device.siteId}" is on the internet and cannot have devices (device "${device.device.id}")`,
          'invalid-site',
        );
      }
      for (const iface of device.device.interfaces) {
        for (const address of iface.publicAddresses ?? []) {
          if (!iface.external) {
            throw new EngineInputError(
              `device "${device.device.id}" interface "${iface.name}": public addresses belong on external interfaces only`,
              'invalid-public-address',
            );
          }
          if (address !== INTERFACE_ADDRESS && !parseHost(address)) {
            throw new EngineInputError(
              `device "${device.device.id}" interface "${iface.name}": public address "${address}" must be an IPv4 host address or "${INTERFACE_ADDRESS}"`,
              'invalid-public-address',
            );
          }
        }
      }
    }
    for (const link of inventory.siteLinks ?? []) {
      for (const id of [link.siteAId, link.siteBId]) {
        if (!sites.has(id)) {
          throw new EngineInputError(`site link names unknown site "${id}"`, 'invalid-site-link');
        }
      }
      if (link.siteAId === link.siteBId) {
        throw new EngineInputError(`site link joins site "${link.siteAId}" to itself`, 'invalid-site-link');
      }
      if (!SITE_CONNECTIVITIES.includes(link.connectivity)) {
        throw new EngineInputError(
          `site link ${link.siteAId} ↔ ${link.siteBId}: connectivity must be routed or internet, not "${String(link.connectivity)}"`,
          'invalid-site-link',
        );
      }
      const key = pairKey(link.siteAId, link.siteBId);
      if (this.links.has(key)) {
        throw new EngineInputError(
          `two site links for ${link.siteAId} ↔ ${link.siteBId}`,
          'duplicate-site-link',
        );
      }
      for (const id of [link.siteAId, link.siteBId]) {
        if (link.connectivity === 'routed' && sites.get(id)?.onInternet) {
          throw new EngineInputError(
            `site link ${link.siteAId} ↔ ${link.siteBId} is routed, but site "${id}" is on the internet`,
            'invalid-site-link',
          );
        }
      }
      this.links.set(key, link.connectivity);
    }
    this.active =
      [...sites.values()].some((s) => s.onInternet === true || s.connectivity === 'internet') ||
      [...this.links.values()].includes('internet');
    this.deviceSites = index.devices.map((d) => d.device.siteId);
    this.resolvePublications(inventory.publications ?? []);
  }

  private resolvePublications(publications: readonly PublicationInput[]): void {
    const seen = new Set<string>();
    // device \0 address (an `interface` address per interface) \0 protocol → external ranges taken
    const taken = new Map<string, Array<{ range: PortRange; id: string }>>();
    const sorted = [...publications].sort((a, b) => compareText(a.id, b.id));
    for (const publication of sorted) {
      const what = `publication "${publication.id}"`;
      if (seen.has(publication.id)) {
        throw new EngineInputError(`duplicate publication id "${publication.id}"`, 'invalid-publication');
      }
      seen.add(publication.id);
      const node = this.index.nodeWithId(publication.nodeId);
      if (!node) {
        throw new EngineInputError(
          `${what} names unknown node "${publication.nodeId}"`,
          'invalid-publication',
        );
      }
      const device = this.index.deviceById.get(publication.deviceId);
      if (!device) {
        throw new EngineInputError(
          `${what} names unknown device "${publication.deviceId}"`,
          'invalid-publication',
        );
      }
      if (device.device.siteId !== node.node.siteId) {
        throw new EngineInputError(
          `${what}: device "${device.device.id}" is not at the site of node "${node.node.id}"`,
          'invalid-publication',
        );
      }
      const externals = device.device.interfaces
        .filter((i) => i.external)
        .sort((a, b) => compareText(a.name, b.name));
      const iface = publication.interface
        ? device.device.interfaces.find((i) => i.name === publication.interface)
        : externals[0];
      if (!iface) {
        throw new EngineInputError(
          publication.interface
            ? `${what}: device "${device.device.id}" has no interface "${publication.interface}"`
            : `${what}: device "${device.device.id}" has no external interface`,
          'invalid-publication',
        );
      }
      if (!iface.external) {
        throw new EngineInputError(
          `${what}: interface "${iface.name}" of device "${device.device.id}" is not external`,
          'invalid-publication',
        );
      }
      const chosen = publication.publicAddress ?? iface.publicAddresses?.[0];
      if (chosen === undefined) {
        throw new EngineInputError(
          `${what}: no public address (interface "${iface.name}" of device "${device.device.id}" lists none)`,
          'invalid-publication',
        );
      }
      let address = INTERFACE_ADDRESS;
      if (chosen !== INTERFACE_ADDRESS) {
        const host = parseHost(chosen);
        if (!host) {
          throw new EngineInputError(
            `${what}: public address "${chosen}" must be an IPv4 host address or "${INTERFACE_ADDRESS}"`,
            'invalid-publication',
          );
        }
        address = formatAddress(4, host.network);
      }
      const target = this.index
        .addressesOf(node)
        .sort(compareCidrs)
        .find((c) => c.family === 4 && c.prefix === 32);
      if (!target) {
        throw new EngineInputError(
          `${what}: node "${node.node.id}" has no IPv4 host address to forward to (a group of addresses cannot be a NAT target)`,
          'invalid-publication',
        );
      }
      const ports: PublishedPorts[] = publication.ports.map((p, i) => {
        const invalid = describeInvalidPortRange(p.ports);
        if (invalid) throw new EngineInputError(`${what}: ${invalid}`, 'invalid-publication');
        if (p.protocol !== 'tcp' && p.protocol !== 'udp') {
          throw new EngineInputError(
            `${what}: protocol must be tcp or udp, not "${String(p.protocol)}"`,
            'invalid-publication',
          );
        }
        const from = p.externalFrom ?? p.ports.from;
        const external = { from, to: from + (p.ports.to - p.ports.from) };
        const invalidExternal = describeInvalidPortRange(external);
        if (invalidExternal) {
          throw new EngineInputError(`${what}: external ${invalidExternal}`, 'invalid-publication');
        }
        return { index: i, protocol: p.protocol, ports: { ...p.ports }, external };
      });
      const addressKey = address === INTERFACE_ADDRESS ? `${INTERFACE_ADDRESS}:${iface.name}` : address;
      for (const p of ports) {
        const key = `${device.device.id}\u0000${addressKey}\u0000${p.protocol}`;
        let list = taken.get(key);
        if (!list) taken.set(key, (list = []));
        const clash = list.find((t) => t.range.from <= p.external.to && p.external.from <= t.range.to);
        if (clash) {
          const shown = address === INTERFACE_ADDRESS ? `the address of interface "${iface.name}"` : address;
          throw new EngineInputError(
            clash.id === publication.id
              ? `${what} forwards ${p.protocol} port(s) ${formatPorts([p.external])} of ${shown} on device "${device.device.id}" twice`
              : `${what} and publication "${clash.id}" both forward ${p.protocol} port(s) ${formatPorts([p.external])} of ${shown} on device "${device.device.id}"`,
            'duplicate-publication',
          );
        }
        list.push({ range: p.external, id: publication.id });
      }
      // Sets are interned when first used, so an inventory without internet paths interns exactly what it
      // always did.
      const sets = this.index.sets;
      let publicSetId: number | undefined;
      let targetSetId: number | undefined;
      const resolved: ResolvedPublication = {
        publication,
        node,
        device,
        iface: iface.name,
        address,
        get publicSetId(): number {
          // an `interface` address is unknown here: somewhere on the public internet, never a private address
          return (publicSetId ??=
            address === INTERFACE_ADDRESS
              ? sets.internSummary(4, PUBLIC_IPV4)
              : sets.intern(4, [parseHost(address) as Cidr]));
        },
        target,
        targetText: formatAddress(4, target.network),
        get targetSetId(): number {
          return (targetSetId ??= sets.intern(4, [target]));
        },
        ports,
      };
      const list = this.publications.get(node.idx);
      if (list) list.push(resolved);
      else this.publications.set(node.idx, [resolved]);
    }
  }

  site(node: IndexedNode): SiteInput | undefined {
    return node.site;
  }

  onInternet(siteId: string): boolean {
    return this.index.siteById.get(siteId)?.onInternet === true;
  }

  /**
   * A link for the pair wins; else `internet` when either site says `internet` or is on the internet; else
   * `routed`.
   */
  connectivity(siteA: string, siteB: string): PathKind {
    if (siteA === siteB) return 'same-site';
    const link = this.links.get(pairKey(siteA, siteB));
    if (link) return link;
    const a = this.index.siteById.get(siteA);
    const b = this.index.siteById.get(siteB);
    const internet = (s: SiteInput | undefined): boolean =>
      s?.onInternet === true || s?.connectivity === 'internet';
    return internet(a) || internet(b) ? 'internet' : 'routed';
  }

  path(source: IndexedNode, destination: IndexedNode): PathKind {
    return this.connectivity(source.node.siteId, destination.node.siteId);
  }

  /**
   * True when a routed or same-site path between the two nodes cannot cross the device: its site reaches
   * one of their sites over the internet, so it only ever sees them through NAT, never by private address
   * (two NATed sites may both use 10.0.0.0/24).
   */
  offPath(deviceIdx: number, source: IndexedNode, destination: IndexedNode): boolean {
    const site = this.deviceSites[deviceIdx];
    return (
      this.connectivity(site, source.node.siteId) === 'internet' ||
      this.connectivity(site, destination.node.siteId) === 'internet'
    );
  }

  deviceSite(deviceIdx: number): string {
    return this.deviceSites[deviceIdx];
  }

  /** Publications of a node, by id. */
  publicationsOf(node: IndexedNode): readonly ResolvedPublication[] {
    return this.publications.get(node.idx) ?? [];
  }

  /**
   * The IPv4 set other sites see a node's connections come from: the node's own IPv4 addresses on a site
   * that is the internet (its public part, {@link internetSet}); else every static public address of its site's
   * firewalls' external interfaces, or the public internet when some external interface has none (its address
   * is unknown here) or there is none at all: never a private address, which would admit routed peers and
   * local nodes untranslated. Null when the node has no IPv4 address (internet paths are IPv4 only).
   */
  egressSet(source: IndexedNode): number | null {
    if (source.ipv4Set < 0) return null;
    if (this.onInternet(source.node.siteId)) return this.internetSet(source);
    const siteId = source.node.siteId;
    let known = this.egressSets.get(siteId);
    if (known === undefined) {
      const addresses: Cidr[] = [];
      let unknown = false;
      for (const device of this.index.devices) {
        if (device.device.siteId !== siteId) continue;
        for (const iface of device.device.interfaces) {
          if (!iface.external) continue;
          const hosts = (iface.publicAddresses ?? [])
            .filter((a) => a !== INTERFACE_ADDRESS)
            .map((a) => parseHost(a) as Cidr);
          if (hosts.length === 0) unknown = true;
          addresses.push(...hosts);
        }
      }
      known =
        unknown || addresses.length === 0
          ? this.index.sets.internSummary(4, PUBLIC_IPV4)
          : this.index.sets.intern(4, addresses);
      this.egressSets.set(siteId, known);
    }
    return known;
  }

  /**
   * The IPv4 set a node of an `onInternet` site stands for on an internet path: its IPv4 addresses within the
   * public internet (a node at 0.0.0.0/0 is the public internet). Null when none is public: such a node is
   * reached by, and reaches, nothing over the internet.
   */
  internetSet(node: IndexedNode): number | null {
    let known = this.internetSets.get(node.idx);
    if (known === undefined) {
      const cidrs =
        node.ipv4Set >= 0 ? intersectCidrList(4, this.index.sets.cidrs(node.ipv4Set), PUBLIC_IPV4) : [];
      known = cidrs.length === 0 ? null : this.index.sets.intern(4, cidrs);
      this.internetSets.set(node.idx, known);
    }
    return known;
  }

  /** What each flow of an internet path to `destination` gets from its publications (by publication id, entry). */
  deliveries(destination: IndexedNode, flows: readonly IndexedFlow[]): FlowDelivery[] {
    const publications = this.publicationsOf(destination);
    return flows.map((flow) => {
      const covered: Coverage[] = [];
      const all: PortRange[] = [];
      for (const publication of publications) {
        for (const entry of publication.ports) {
          if (entry.protocol !== flow.flow.protocol) continue;
          const ports = intersectPorts(flow.ports, [entry.ports]);
          if (ports.length === 0) continue;
          covered.push({ publication, entry, ports, external: toExternal(entry, ports) });
          all.push(...ports);
        }
      }
      return { flow, covered, unpublished: subtractPorts(flow.ports, normalizePorts(all)) };
    });
  }

  /** True when every port of the flow reaches `destination` from `source` (routed, same site, or forwarded). */
  deliverable(source: IndexedNode, destination: IndexedNode, flow: IndexedFlow): boolean {
    const path = this.path(source, destination);
    if (path !== 'internet') return true;
    if (this.egressSet(source) === null) return false;
    if (this.onInternet(destination.node.siteId)) return this.internetSet(destination) !== null;
    return this.deliveries(destination, [flow])[0].unpublished.length === 0;
  }
}

/**
 * The flow that carries `flow` between the two nodes, or null: the flow names a carrier (`carriedBy`) that is
 * required between the same two nodes (either direction) and reaches its destination (the v9 scanner inside
 * the probe's VPN). Then the flow needs no rule and no publication of its own.
 */
export function carrierOf(
  index: InventoryIndex,
  table: FlowTable,
  internet: InternetIndex,
  source: IndexedNode,
  destination: IndexedNode,
  flow: IndexedFlow,
): IndexedFlow | null {
  const id = flow.flow.carriedBy;
  if (!id || id === flow.flow.id) return null;
  for (const [from, to] of [
    [source, destination],
    [destination, source],
  ]) {
    const carrier = flowsBetween(index, table, from, to).find((f) => f.flow.id === id);
    if (carrier && internet.deliverable(from, to, carrier)) return carrier;
  }
  return null;
}
