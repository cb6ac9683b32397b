/**
 * The rule engine: inventory + catalog flows in, one rule set per firewall device out. Pure: no I/O,
 * no clock, no randomness; the output depends only on the content of the input, not on its order.
 *
 * Steps:
 * 1. Demands: for every source node, the flows of its site's catalog version that apply to it (role,
 *    selector) and their destination nodes (`collector` → the node's collector, a role → every node of
 *    that role except itself).
 * 2. Placement: on each device that has a zone overlapping the source or the destination (no other device
 *    can be on the path), the source's addresses are split by the interface they enter through and the
 *    destination's by the interface they leave through (most specific zone of the device's own site, else
 *    the external interface; a CIDR partly inside a zone is split along the zone boundary). Every pair of
 *    same-family parts with different interfaces is a requirement "src × dst × ports" on that device.
 * 3. Merging, per (ingress, egress, family, protocol), always exactly (the union of the merged
 *    rectangles equals the merged rectangle): same source and destination → ports united; same
 *    destination and ports → sources united; same source and ports → destinations united; repeated until
 *    nothing merges.
 * 4. Objects and names: one address object per distinct address set, one service object per distinct
 *    (protocol, ports); deterministic names (see naming.ts); rules ordered by interfaces, family,
 *    protocol and names; each rule explained by its flows and nodes; a SHA-256 hash of the rule set.
 */
import { canonicalJsonSha256 } from './canonical-json';
import { compareText } from './compare';
import { describeNodes, describeTarget, MemberSignatures, objectLabel, roleLabel } from './describe';
import {
  carrierOf,
  Coverage,
  describeVia,
  FlowDelivery,
  InternetIndex,
  ResolvedPublication,
  toExternal,
} from './internet';
import {
  deploymentKey,
  EngineInputError,
  FlowTable,
  forEachDemand,
  IndexedFlow,
  IndexedNode,
  indexFlows,
  InventoryIndex,
  placeOnDevice,
  Side,
} from './inventory-index';
import type {
  AddressFamily,
  AddressObject,
  CatalogFlow,
  EngineOptions,
  Inventory,
  NatEntry,
  NatSemantics,
  PortRange,
  Protocol,
  Rule,
  RuleExplanation,
  RuleSet,
  ServiceObject,
  Vendor,
} from './model';
import { PROTOCOLS } from './model';
import {
  assignUniqueNames,
  DEFAULT_PREFIX,
  describeInvalidPrefix,
  MAX_OBJECT_NAME_LENGTH,
  MAX_RULE_NAME_LENGTH,
  shortHash,
} from './naming';
import { formatPorts, intersectPorts, normalizePorts } from './ports';

/** Interned normalised port sets. */
class PortSetRegistry {
  readonly sets: PortRange[][] = [];
  readonly keys: string[] = [];
  private readonly byKey = new Map<string, number>();
  private readonly unions = new Map<string, number>();

  intern(ranges: readonly PortRange[]): number {
    const normal = normalizePorts(ranges);
    const key = formatPorts(normal);
    const known = this.byKey.get(key);
    if (known !== undefined) return known;
    const id = this.sets.length;
    this.sets.push(normal);
    this.keys.push(key);
    this.byKey.set(key, id);
    return id;
  }

  union(a: number, b: number): number {
    if (a === b) return a;
    const cacheKey = a < b ? `${a},${b}` : `${b},${a}`;
    let id = this.unions.get(cacheKey);
    if (id === undefined) {
      id = this.intern([...this.sets[a], ...this.sets[b]]);
      this.unions.set(cacheKey, id);
    }
    return id;
  }
}

/**
 * A flow as a rule carries it. On an internet path, `ports` are the part of the flow's ports that crosses
 * (what a publication forwards) and `via` says how ("198.51.100.10:1194"; '' when the destination is on the
 * internet itself); absent on every other path.
 */
interface RuleFlow extends IndexedFlow {
  readonly via?: string;
  /**
   * The end whose addresses are public on this device: the destination on the source site's firewalls (a
   * public address), the source on the destination site's (egress addresses). Their objects are told apart from
   * objects of the same nodes' private addresses.
   */
  readonly publicEnd?: 'src' | 'dst';
}

function flowKey(f: RuleFlow): string {
  return f.via === undefined ? `${f.idx}` : `${f.idx}@${formatPorts(f.ports)}@${f.via}@${f.publicEnd ?? ''}`;
}

/** Interned lists of flows: the flows of one protocol that one source sends one destination. */
class FlowListRegistry {
  readonly lists: RuleFlow[][] = [];
  private readonly byKey = new Map<string, number>();

  intern(flows: RuleFlow[]): number {
    const key = flows.map(flowKey).join(',');
    let id = this.byKey.get(key);
    if (id === undefined) {
      id = this.lists.length;
      this.lists.push(flows);
      this.byKey.set(key, id);
    }
    return id;
  }
}

/**
 * src × dst × ports, with the (flows, source node, destination node) triples that justify it. A merged
 * rectangle keeps the rectangles it was merged from instead of copying their triples: on a hub firewall
 * one rectangle stands for every agent of every site, and copying at each merge round was the largest
 * cost of the engine at 10,000 sites.
 */
interface Rect {
  src: number;
  dst: number;
  ports: number;
  /**
   * The first triple of an atom (flow list ({@link FlowListRegistry}), source node, destination node),
   * held inline: most atoms keep just one. `list` is -1 on a merged rectangle.
   */
  list: number;
  from: number;
  to: number;
  /** An atom's further triples, flat; null when none. */
  more: number[] | null;
  /** The rectangles merged into this one (their triples are this one's too), or null. */
  parts: Rect[] | null;
}

interface Group {
  ingress: string;
  egress: string;
  family: AddressFamily;
  protocol: Protocol;
  /** The NAT entry whose forwarded traffic the group's rules admit (never merged with other traffic). */
  nat?: NatDraft;
  /** Destination set → source set → atom (small-integer keys, no number object per atom). */
  atoms: Map<number, Map<number, Rect>>;
}

interface PairTraffic {
  protocol: Protocol;
  ports: number;
  /** Index in {@link PROTOCOLS}. */
  protocolIdx: number;
  /** Flow list id. */
  list: number;
}

/**
 * Largest address-set id (exclusive) that {@link pairKey} packs exactly: the key stays below 2^52, where
 * every integer is a distinct double. 2^26 sets is over a hundred times what 10,000 sites need.
 */
const MAX_KEYED_ID = 2 ** 26;

/** One number for a pair of ids (address sets or port sets), distinct for distinct pairs. */
function pairKey(a: number, b: number): number {
  if (a >= MAX_KEYED_ID || b >= MAX_KEYED_ID) {
    throw new EngineInputError(`inventory too large: more than ${MAX_KEYED_ID} distinct address sets`);
  }
  return a * MAX_KEYED_ID + b;
}

/** The atoms of a rectangle (itself, or those merged into it): together they hold its triples. */
function atomsOf(rect: Rect, out: Rect[] = []): Rect[] {
  if (rect.parts) for (const part of rect.parts) atomsOf(part, out);
  else out.push(rect);
  return out;
}

/** Calls `visit` with each triple of the atoms. */
function forEachTriple(
  atoms: readonly Rect[],
  visit: (list: number, from: number, to: number) => void,
): void {
  for (let a = 0; a < atoms.length; a++) {
    const atom = atoms[a];
    visit(atom.list, atom.from, atom.to);
    const more = atom.more;
    if (more) for (let i = 0; i < more.length; i += 3) visit(more[i], more[i + 1], more[i + 2]);
  }
}

/**
 * The catalog's demands: (source, destination) pairs with the flows from one to the other, in
 * {@link forEachDemand} order, held in flat arrays, and indexed by destination too. Rules are built device by
 * device from the demands of the nodes placed on the device, so that only one device's rectangles exist at a
 * time (all devices' at once were the largest part of the memory at 10,000 sites).
 */
class Demands {
  /** Demand i is `sources[i]` → `destinations[i]` with the flows `lists[flowLists[i]]`. */
  private readonly sources: number[] = [];
  private readonly destinations: number[] = [];
  private readonly flowLists: number[] = [];
  /** Flow lists interned by their flows' indexes: most demands share a few. */
  readonly lists: Array<readonly IndexedFlow[]> = [];
  private readonly listIds = new Map<string, number>();
  /** The ids of lists met before, by the list itself: most demands pass a source's shared list. */
  private readonly knownLists = new WeakMap<readonly IndexedFlow[], number>();
  /** A node's demands as the source are `bySourceStart[n] .. bySourceStart[n + 1]` (sources come in order). */
  private readonly bySourceStart: Int32Array;
  /** A node's demands as the destination are `byDestination[byDestinationStart[n] .. byDestinationStart[n + 1]]`. */
  private readonly byDestinationStart: Int32Array;
  private readonly byDestination: Int32Array;

  /** Keeps the demands `keep` accepts (the others go elsewhere: internet paths). */
  constructor(
    private readonly index: InventoryIndex,
    table: FlowTable,
    keep: (source: IndexedNode, destination: IndexedNode, flows: readonly IndexedFlow[]) => boolean,
  ) {
    const nodeCount = index.nodes.length;
    this.bySourceStart = new Int32Array(nodeCount + 1);
    this.byDestinationStart = new Int32Array(nodeCount + 1);
    forEachDemand(index, table, (source, destination, flows) => {
      if (!keep(source, destination, flows)) return;
      let list = this.knownLists.get(flows);
      if (list === undefined) {
        const key = flows.map((f) => f.idx).join(',');
        list = this.listIds.get(key);
        if (list === undefined) {
          this.listIds.set(key, (list = this.lists.length));
          this.lists.push(flows);
        }
        this.knownLists.set(flows, list);
      }
      this.sources.push(source.idx);
      this.destinations.push(destination.idx);
      this.flowLists.push(list);
      this.bySourceStart[source.idx + 1]++;
      this.byDestinationStart[destination.idx + 1]++;
    });
    for (let n = 0; n < nodeCount; n++) {
      this.bySourceStart[n + 1] += this.bySourceStart[n];
      this.byDestinationStart[n + 1] += this.byDestinationStart[n];
    }
    this.byDestination = new Int32Array(this.destinations.length);
    const next = this.byDestinationStart.slice(0, nodeCount);
    for (let i = 0; i < this.destinations.length; i++) this.byDestination[next[this.destinations[i]]++] = i;
  }

  source(i: number): IndexedNode {
    return this.index.nodes[this.sources[i]];
  }

  destination(i: number): IndexedNode {
    return this.index.nodes[this.destinations[i]];
  }

  /** Id of the demand's flow list in {@link lists}. */
  list(i: number): number {
    return this.flowLists[i];
  }

  /**
   * The demands that can cross the device (their source or destination has an address inside one of its zones:
   * the device sees every other pair behind its external interface on both sides), ascending.
   */
  on(device: number): Int32Array {
    const nodes = this.index.nodesOn(device);
    let count = 0;
    for (const n of nodes) {
      count += this.bySourceStart[n + 1] - this.bySourceStart[n];
      count += this.byDestinationStart[n + 1] - this.byDestinationStart[n];
    }
    const ids = new Int32Array(count);
    let k = 0;
    for (const n of nodes) {
      for (let i = this.bySourceStart[n]; i < this.bySourceStart[n + 1]; i++) ids[k++] = i;
      for (let i = this.byDestinationStart[n]; i < this.byDestinationStart[n + 1]; i++) {
        ids[k++] = this.byDestination[i];
      }
    }
    ids.sort();
    // a demand between two nodes of the device came twice
    let unique = 0;
    for (let i = 0; i < ids.length; i++) if (i === 0 || ids[i] !== ids[i - 1]) ids[unique++] = ids[i];
    return ids.subarray(0, unique);
  }
}

/** An atom of an internet path for a device, kept until the device is built (after its other demands). */
type InternetRecord =
  | { nat: null; ingress: string; egress: string; protocol: Protocol; atom: InternetAtom }
  | { nat: NatDraft; egress: string; atom: InternetAtom };

/** Computes the rule set of every device (sorted by device id). */
export function computeRuleSets(
  inventory: Inventory,
  flows: CatalogFlow[],
  options: EngineOptions = {},
): RuleSet[] {
  const prefix = options.prefix ?? DEFAULT_PREFIX;
  const invalidPrefix = describeInvalidPrefix(prefix);
  if (invalidPrefix) {
    throw new EngineInputError(invalidPrefix);
  }
  const index = new InventoryIndex(inventory);
  const table = indexFlows(flows);
  const internet = new InternetIndex(index, inventory);
  const wanted = options.deviceIds ? new Set(options.deviceIds) : null;
  const selected = index.devices.map((d) => wanted === null || wanted.has(d.device.id));
  const ports = new PortSetRegistry();
  const flowLists = new FlowListRegistry();
  // Interface names as small numbers, so a group's key is one number rather than a string per demand.
  const ifaceIds = new Map<string, number>();
  const ifaceId = (name: string): number => {
    let id = ifaceIds.get(name);
    if (id === undefined) ifaceIds.set(name, (id = ifaceIds.size));
    return id;
  };
  const internetDemands: InternetDemand[] = [];
  // Without any internet path (`internet.active` false) every demand is kept: the engine as it always was.
  const demands = new Demands(index, table, (source, destination, pairFlows) => {
    if (!internet.active || internet.path(source, destination) !== 'internet') return true;
    internetDemands.push({ source, destination, flows: pairFlows });
    return false;
  });
  // The traffic of a (source, destination) pair depends only on its flows, by flow list id.
  const trafficByList: Array<PairTraffic[] | undefined> = [];
  const memberSignatures = new MemberSignatures(index, table);

  // The last destination's sides on the last device: a device's demands mostly go to one collector or master.
  let lastDestination: IndexedNode | null = null;
  let lastDevice = -1;
  let lastSides: readonly Side[] = [];
  /** Adds demand i's rectangles on device d (nothing when the device is not on its path). */
  const addDemand = (groups: Map<number, Group>, d: number, i: number): void => {
    const source = demands.source(i);
    const destination = demands.destination(i);
    if (internet.active && internet.offPath(d, source, destination)) return;
    const device = index.devices[d];
    const srcSides = index.sides(source, device);
    if (srcSides.length === 0) return;
    if (destination !== lastDestination || d !== lastDevice) {
      lastSides = index.sides(destination, device);
      lastDestination = destination;
      lastDevice = d;
    }
    const dstSides = lastSides;
    for (const a of srcSides) {
      for (const b of dstSides) {
        if (a.family !== b.family || a.iface === b.iface) continue;
        const list = demands.list(i);
        const traffic = (trafficByList[list] ??= pairTraffic(demands.lists[list], ports, flowLists));
        const ifaces =
          (pairKey(ifaceId(a.iface), ifaceId(b.iface)) * 2 + (a.family === 6 ? 1 : 0)) * PROTOCOLS.length;
        for (const t of traffic) {
          const groupKey = ifaces + t.protocolIdx;
          let group = groups.get(groupKey);
          if (!group) {
            group = {
              ingress: a.iface,
              egress: b.iface,
              family: a.family,
              protocol: t.protocol,
              atoms: new Map(),
            };
            groups.set(groupKey, group);
          }
          addRect(group, ports, a.setId, b.setId, t.ports, t.list, source.idx, destination.idx);
        }
      }
    }
  };

  const natByDevice: Array<NatDraft[] | undefined> = [];
  const internetRecords: Array<InternetRecord[] | undefined> = [];
  if (internetDemands.length > 0) {
    const sink: AtomSink = {
      plain(d, ingress, egress, protocol, atom) {
        (internetRecords[d] ??= []).push({ nat: null, ingress, egress, protocol, atom });
      },
      nat(d, egress, nat, atom) {
        (internetRecords[d] ??= []).push({ nat, egress, atom });
      },
    };
    planInternet(
      index,
      table,
      internet,
      internetDemands,
      selected,
      ports,
      flowLists,
      prefix,
      sink,
      natByDevice,
    );
  }

  return index.devices
    .filter((d) => selected[d.idx])
    .map((d) => {
      const groups = new Map<number, Group>();
      const ids = demands.on(d.idx);
      for (let k = 0; k < ids.length; k++) addDemand(groups, d.idx, ids[k]);
      // internet paths: plain atoms join the family-4 groups of the same interfaces; forwards get their own
      const natGroups = new Map<string, Group>();
      for (const record of internetRecords[d.idx] ?? []) {
        const { egress, atom } = record;
        if (record.nat === null) {
          const { ingress, protocol } = record;
          const groupKey =
            pairKey(ifaceId(ingress), ifaceId(egress)) * 2 * PROTOCOLS.length + PROTOCOLS.indexOf(protocol);
          let group = groups.get(groupKey);
          if (!group)
            groups.set(groupKey, (group = { ingress, egress, family: 4, protocol, atoms: new Map() }));
          addAtom(group, ports, atom);
        } else {
          const nat = record.nat;
          const groupKey = `${nat.entry.name}\u0000${egress}`;
          let group = natGroups.get(groupKey);
          if (!group) {
            group = {
              ingress: nat.entry.interface,
              egress,
              family: 4,
              protocol: nat.entry.protocol,
              nat,
              atoms: new Map(),
            };
            natGroups.set(groupKey, group);
          }
          addAtom(group, ports, atom);
        }
      }
      internetRecords[d.idx] = undefined;
      return buildRuleSet(
        index,
        table,
        ports,
        flowLists,
        memberSignatures,
        d.idx,
        [...groups.values(), ...natGroups.values()],
        prefix,
        natByDevice[d.idx] ?? [],
      );
    });
}

/** A (source, destination) pair whose sites reach each other over the internet, with its flows. */
interface InternetDemand {
  source: IndexedNode;
  destination: IndexedNode;
  flows: readonly IndexedFlow[];
}

/** One atom of an internet path: source set × destination set × ports, for one flow part. */
interface InternetAtom {
  src: number;
  dst: number;
  ports: number;
  list: number;
  from: number;
  to: number;
}

interface AtomSink {
  plain(d: number, ingress: string, egress: string, protocol: Protocol, atom: InternetAtom): void;
  nat(d: number, egress: string, nat: NatDraft, atom: InternetAtom): void;
}

function addAtom(group: Group, ports: PortSetRegistry, atom: InternetAtom): void {
  addRect(group, ports, atom.src, atom.dst, atom.ports, atom.list, atom.from, atom.to);
}

/** Adds the triple (list, from, to) on src × dst × portSet to the group: a new atom, or one more of its triples. */
function addRect(
  group: Group,
  ports: PortSetRegistry,
  src: number,
  dst: number,
  portSet: number,
  list: number,
  from: number,
  to: number,
): void {
  let bySource = group.atoms.get(dst);
  if (!bySource) group.atoms.set(dst, (bySource = new Map<number, Rect>()));
  const rect = bySource.get(src);
  if (!rect) {
    bySource.set(src, { src, dst, ports: portSet, list, from, to, more: null, parts: null });
  } else {
    rect.ports = ports.union(rect.ports, portSet);
    (rect.more ??= []).push(list, from, to);
  }
}

/** A NAT entry of a device being built (its `order` is set with the rule set). */
interface NatDraft {
  entry: NatEntry;
  publication: ResolvedPublication;
  /** Roles of the published node (for rule names). */
  role: string;
}

const NAT_SEMANTICS: Record<Vendor, NatSemantics> = {
  pfsense: 'filter-after-dnat',
  opnsense: 'filter-after-dnat',
  fortios: 'vip-in-policy',
};

/**
 * prefix + `nat_<role>_` + 6 hex digits of the SHA-256 of what the entry forwards + `_<protocol>`: the name
 * changes exactly when the forward does (the role part is cut to fit 31 characters).
 */
export function natEntryName(
  prefix: string,
  role: string,
  nodeName: string,
  iface: string,
  externalAddress: string,
  protocol: Protocol,
  externalPorts: PortRange,
): string {
  const hash = shortHash(
    JSON.stringify([nodeName, iface, externalAddress, protocol, externalPorts.from, externalPorts.to]),
  );
  const tail = `_${hash}_${protocol}`;
  const room = MAX_OBJECT_NAME_LENGTH - prefix.length - 'nat_'.length - tail.length;
  const label = role.slice(0, Math.max(0, room)).replace(/_+$/, '');
  return label === '' ? `${prefix}nat${tail}` : `${prefix}nat_${label}${tail}`;
}

/**
 * Internet paths: carried flows dropped, NAT entries of the publications the remaining flows use (the
 * contiguous ranges of forwarded ports per publication entry), then the atoms: on the source site's devices
 * towards the public address (external ports), on the publication's device the rule admitting the forward
 * (internal ports), on the destination site's other devices from the source site's egress addresses to the
 * private target. Nothing is ever placed on a device of a third site.
 */
function planInternet(
  index: InventoryIndex,
  table: FlowTable,
  internet: InternetIndex,
  demands: readonly InternetDemand[],
  selected: readonly boolean[],
  ports: PortSetRegistry,
  flowLists: FlowListRegistry,
  prefix: string,
  sink: AtomSink,
  natByDevice: Array<NatDraft[] | undefined>,
): void {
  const devicesBySite = new Map<string, number[]>();
  for (const d of index.devices) {
    const list = devicesBySite.get(d.device.siteId);
    if (list) list.push(d.idx);
    else devicesBySite.set(d.device.siteId, [d.idx]);
  }
  const listOf = (flow: IndexedFlow, flowPorts: PortRange[], via: string, publicEnd: 'src' | 'dst'): number =>
    flowLists.intern([{ idx: flow.idx, flow: flow.flow, ports: flowPorts, via, publicEnd }]);

  interface Planned {
    demand: InternetDemand;
    egress: number;
    deliveries: FlowDelivery[];
  }
  const planned: Planned[] = [];
  // publication id \0 entry index → forwarded internal ports and the flows forwarded
  const needs = new Map<string, { coverage: Coverage; ports: PortRange[]; flows: Set<string> }>();
  // Most demands share a destination and flows (every agent of a site to the master): their deliveries, and
  // the coverages in them, are computed once.
  const deliveryCache = new Map<string, FlowDelivery[]>();
  const deliveriesOf = (destination: IndexedNode, flows: readonly IndexedFlow[]): FlowDelivery[] => {
    const key = `${destination.idx}|${flows.map((f) => f.idx).join(',')}`;
    let known = deliveryCache.get(key);
    if (!known) deliveryCache.set(key, (known = internet.deliveries(destination, flows)));
    return known;
  };
  const counted = new Set<Coverage>();
  for (const demand of demands) {
    const { source, destination } = demand;
    const egress = internet.egressSet(source);
    if (egress === null) continue; // internet paths are IPv4 only
    const flows = demand.flows.filter(
      (f) => carrierOf(index, table, internet, source, destination, f) === null,
    );
    if (flows.length === 0) continue;
    if (internet.onInternet(destination.node.siteId)) {
      sourceSide(index, internet, devicesBySite, selected, demand, (d, side, external) => {
        const dst = internet.internetSet(destination);
        if (dst === null) return;
        for (const f of flows) {
          sink.plain(d, side.iface, external, f.flow.protocol, {
            src: side.setId,
            dst,
            ports: ports.intern(f.ports),
            list: listOf(f, f.ports, '', 'dst'),
            from: source.idx,
            to: destination.idx,
          });
        }
      });
      continue;
    }
    const deliveries = deliveriesOf(destination, flows);
    planned.push({ demand, egress, deliveries });
    for (const delivery of deliveries) {
      for (const c of delivery.covered) {
        if (counted.has(c)) continue;
        counted.add(c);
        const key = `${c.publication.publication.id}\u0000${c.entry.index}`;
        let need = needs.get(key);
        if (!need) needs.set(key, (need = { coverage: c, ports: [], flows: new Set() }));
        need.ports.push(...c.ports);
        need.flows.add(delivery.flow.flow.id);
      }
    }
  }

  // NAT entries: one per contiguous range of forwarded ports of a publication entry.
  const entriesOf = new Map<string, NatDraft[]>();
  for (const [key, need] of needs) {
    const { publication, entry } = need.coverage;
    const node = publication.node;
    const drafts: NatDraft[] = [];
    for (const range of normalizePorts(need.ports)) {
      const [external] = toExternal(entry, [range]);
      const flowIds = [...need.flows]
        .filter((id) => {
          const flow = table.flows.find((f) => f.flow.id === id) as IndexedFlow;
          return intersectPorts(flow.ports, [range]).length > 0;
        })
        .sort(compareText);
      const draft: NatDraft = {
        role: node.node.role,
        publication,
        entry: {
          name: natEntryName(
            prefix,
            node.node.role,
            node.node.name,
            publication.iface,
            publication.address,
            entry.protocol,
            external,
          ),
          order: 0,
          interface: publication.iface,
          protocol: entry.protocol,
          externalAddress: publication.address,
          externalPorts: external,
          target: publication.targetText,
          targetPorts: { ...range },
          publicationId: publication.publication.id,
          nodeId: node.node.id,
          flowIds,
          description: clip(
            `publish ${describeNodes([node])} at ${describeVia(publication, [external])}/${entry.protocol} → ` +
              `${publication.targetText}:${formatPorts([range])}`,
          ),
        },
      };
      drafts.push(draft);
      if (selected[publication.device.idx]) {
        (natByDevice[publication.device.idx] ??= []).push(draft);
      }
    }
    entriesOf.set(key, drafts);
  }

  interface CoverageParts {
    via: string;
    /** source side: external ports, flow part */
    externalPorts: number;
    sourceList: number;
    /** destination side: internal ports, flow part */
    internalPorts: number;
    innerList: number;
    /** per NAT entry of the coverage's publication entry: the part it forwards */
    nat: Array<{ draft: NatDraft; ports: number; list: number }>;
  }
  const partsCache = new Map<Coverage, CoverageParts>();
  const partsOf = (flow: IndexedFlow, c: Coverage): CoverageParts => {
    let known = partsCache.get(c);
    if (known) return known;
    const via = describeVia(c.publication, c.external);
    const nat: CoverageParts['nat'] = [];
    for (const draft of entriesOf.get(`${c.publication.publication.id}\u0000${c.entry.index}`) ?? []) {
      const part = intersectPorts(c.ports, [draft.entry.targetPorts]);
      if (part.length > 0)
        nat.push({ draft, ports: ports.intern(part), list: listOf(flow, part, via, 'src') });
    }
    known = {
      via,
      externalPorts: ports.intern(c.external),
      sourceList: listOf(flow, c.ports, via, 'dst'),
      internalPorts: ports.intern(c.ports),
      innerList: listOf(flow, c.ports, via, 'src'),
      nat,
    };
    partsCache.set(c, known);
    return known;
  };

  for (const { demand, egress, deliveries } of planned) {
    const { source, destination } = demand;
    // 1. the source site's devices: to the public address, on the external ports
    sourceSide(index, internet, devicesBySite, selected, demand, (d, side, external) => {
      for (const delivery of deliveries) {
        for (const c of delivery.covered) {
          const parts = partsOf(delivery.flow, c);
          sink.plain(d, side.iface, external, delivery.flow.flow.protocol, {
            src: side.setId,
            dst: c.publication.publicSetId,
            ports: parts.externalPorts,
            list: parts.sourceList,
            from: source.idx,
            to: destination.idx,
          });
        }
      }
    });
    for (const delivery of deliveries) {
      for (const c of delivery.covered) {
        const { publication } = c;
        const parts = partsOf(delivery.flow, c);
        // 2. the publication's device: the rule admitting the forward, per NAT entry
        const pubDevice = publication.device;
        if (selected[pubDevice.idx]) {
          const [placed] = placeOnDevice(pubDevice, publication.target);
          for (const forward of placed ? parts.nat : []) {
            sink.nat(pubDevice.idx, placed.iface, forward.draft, {
              src: egress,
              dst: publication.targetSetId,
              ports: forward.ports,
              list: forward.list,
              from: source.idx,
              to: destination.idx,
            });
          }
        }
        // 3. the destination site's other devices between the outside and the target
        for (const d of devicesBySite.get(destination.node.siteId) ?? []) {
          if (d === pubDevice.idx || !selected[d] || !destination.devices.includes(d)) continue;
          const device = index.devices[d];
          if (device.external === null) continue;
          const [placed] = placeOnDevice(device, publication.target);
          if (!placed || placed.iface === device.external) continue;
          sink.plain(d, device.external, placed.iface, delivery.flow.flow.protocol, {
            src: egress,
            dst: publication.targetSetId,
            ports: parts.internalPorts,
            list: parts.innerList,
            from: source.idx,
            to: destination.idx,
          });
        }
      }
    }
  }
}

/**
 * Calls `visit` for each IPv4 side of the source on a device of its own site that it crosses towards the
 * internet (behind an inner interface, leaving through the external one).
 */
function sourceSide(
  index: InventoryIndex,
  internet: InternetIndex,
  devicesBySite: ReadonlyMap<string, number[]>,
  selected: readonly boolean[],
  demand: InternetDemand,
  visit: (d: number, side: Side, external: string) => void,
): void {
  const { source } = demand;
  if (internet.onInternet(source.node.siteId)) return;
  for (const d of devicesBySite.get(source.node.siteId) ?? []) {
    if (!selected[d] || !source.devices.includes(d)) continue;
    const device = index.devices[d];
    const external = device.external;
    if (external === null) continue;
    for (const side of index.sides(source, device)) {
      if (side.family === 4 && side.iface !== external) visit(d, side, external);
    }
  }
}

function pairTraffic(
  flows: readonly IndexedFlow[],
  ports: PortSetRegistry,
  flowLists: FlowListRegistry,
): PairTraffic[] {
  return PROTOCOLS.map((protocol, protocolIdx) => {
    const ofProtocol = flows.filter((f) => f.flow.protocol === protocol);
    return {
      protocol,
      protocolIdx,
      ports: ports.intern(ofProtocol.flatMap((f) => f.ports)),
      list: flowLists.intern(ofProtocol),
    };
  }).filter((t) => flowLists.lists[t.list].length > 0);
}

/** Merges the rectangles sharing `key` with `combine`; reports whether anything merged. */
function mergeBy(
  rects: Rect[],
  key: (r: Rect) => number,
  combine: (list: Rect[]) => Rect,
): [Rect[], boolean] {
  if (rects.length < 2) return [rects, false]; // most groups of a site's firewall hold one rectangle
  // a lone rectangle stays unwrapped: most keys are unique, and an array per key cost as much as the merge
  const groups = new Map<number, Rect | Rect[]>();
  for (let i = 0; i < rects.length; i++) {
    const r = rects[i];
    const k = key(r);
    const known = groups.get(k);
    if (known === undefined) groups.set(k, r);
    else if (Array.isArray(known)) known.push(r);
    else groups.set(k, [known, r]);
  }
  if (groups.size === rects.length) return [rects, false];
  const out: Rect[] = [];
  for (const entry of groups.values()) out.push(Array.isArray(entry) ? combine(entry) : entry);
  return [out, true];
}

/** The triple fields of a merged rectangle (its triples are its atoms'). */
const MERGED = { list: -1, from: -1, to: -1, more: null } as const;

function mergeGroup(index: InventoryIndex, ports: PortSetRegistry, group: Group): Rect[] {
  let rects: Rect[] = [];
  for (const bySource of group.atoms.values()) for (const atom of bySource.values()) rects.push(atom);
  for (let changed = true; changed;) {
    let a: boolean, b: boolean, c: boolean;
    [rects, a] = mergeBy(
      rects,
      (r) => pairKey(r.dst, r.ports),
      (list) => ({
        src: index.sets.union(list.map((r) => r.src)),
        dst: list[0].dst,
        ports: list[0].ports,
        ...MERGED,
        parts: list,
      }),
    );
    [rects, b] = mergeBy(
      rects,
      (r) => pairKey(r.src, r.ports),
      (list) => ({
        src: list[0].src,
        dst: index.sets.union(list.map((r) => r.dst)),
        ports: list[0].ports,
        ...MERGED,
        parts: list,
      }),
    );
    [rects, c] = mergeBy(
      rects,
      (r) => pairKey(r.src, r.dst),
      (list) => ({
        src: list[0].src,
        dst: list[0].dst,
        ports: list.slice(1).reduce((acc, r) => ports.union(acc, r.ports), list[0].ports),
        ...MERGED,
        parts: list,
      }),
    );
    changed = a || b || c;
  }
  return rects;
}

interface ObjectDraft {
  setId: number;
  nodes: Set<number>;
  /** Interfaces the addresses sit behind (one: placement puts an address behind one interface). */
  interfaces: Set<string>;
  /** The object is the destination of a rule. */
  target: boolean;
  /** Roles of the members, in role order (`agent_agentless`). */
  roles: string;
  label: string;
  /** Set on the stand-in for a FortiOS VIP (a rule's destination that is a NAT entry, not an object). */
  vip?: string;
  /** Some of its rules carry traffic crossing the internet (public or egress addresses, not private ones). */
  internet?: boolean;
}

interface ServiceDraft {
  key: string;
  protocol: Protocol;
  ports: number;
  purposes: Set<string>;
  /** Flow lists whose purposes are already in `purposes`. */
  lists: Set<number>;
}

interface RuleDraft {
  group: Group;
  rect: Rect;
  src: ObjectDraft;
  dst: ObjectDraft;
  service: ServiceDraft;
  /** The rectangle's atoms ({@link atomsOf}). */
  atoms: Rect[];
}

/** The source and destination nodes of some triples. */
interface NodeSets {
  sources: Set<number>;
  destinations: Set<number>;
}

const MAX_DESCRIPTION_LENGTH = 255;

function clip(text: string): string {
  return text.length <= MAX_DESCRIPTION_LENGTH ? text : `${text.slice(0, MAX_DESCRIPTION_LENGTH - 1)}…`;
}

function nodesOf(index: InventoryIndex, ids: ReadonlySet<number>): IndexedNode[] {
  // a typed array sorts numerically without a comparator call per comparison (hub sets hold every agent);
  // filled by forEach and read by index: iterators cost an object per element until the code is optimised
  const sorted = new Uint32Array(ids.size);
  let k = 0;
  ids.forEach((id) => (sorted[k++] = id));
  sorted.sort();
  const nodes: IndexedNode[] = [];
  for (let i = 0; i < sorted.length; i++) nodes.push(index.nodes[sorted[i]]);
  return nodes;
}

function buildRuleSet(
  index: InventoryIndex,
  table: FlowTable,
  ports: PortSetRegistry,
  flowLists: FlowListRegistry,
  memberSignatures: MemberSignatures,
  deviceIdx: number,
  groups: Group[],
  prefix: string,
  nat: readonly NatDraft[],
): RuleSet {
  const device = index.devices[deviceIdx].device;
  const semantics = NAT_SEMANTICS[device.vendor];
  const objects = new Map<number, ObjectDraft>();
  // FortiOS: a policy admitting a VIP names the VIP as its destination, not an address object.
  const vips = new Map<string, ObjectDraft>();
  const vipFor = (draft: NatDraft): ObjectDraft => {
    let o = vips.get(draft.entry.name);
    if (!o) {
      o = {
        setId: draft.publication.targetSetId,
        nodes: new Set(),
        interfaces: new Set(),
        target: true,
        roles: draft.role,
        label: '',
        vip: draft.entry.name,
      };
      vips.set(draft.entry.name, o);
    }
    return o;
  };
  const services = new Map<string, ServiceDraft>();
  const drafts: RuleDraft[] = [];
  const objectFor = (setId: number): ObjectDraft => {
    let o = objects.get(setId);
    if (!o) {
      o = {
        setId,
        nodes: new Set(),
        interfaces: new Set(),
        target: false,
        roles: '',
        label: '',
      };
      objects.set(setId, o);
    }
    return o;
  };

  for (const group of groups) {
    for (const rect of mergeGroup(index, ports, group)) {
      const src = objectFor(rect.src);
      const dst = group.nat && semantics === 'vip-in-policy' ? vipFor(group.nat) : objectFor(rect.dst);
      src.interfaces.add(group.ingress);
      dst.interfaces.add(group.egress);
      const serviceKey = `${group.protocol}|${ports.keys[rect.ports]}`;
      let service = services.get(serviceKey);
      if (!service) {
        service = {
          key: serviceKey,
          protocol: group.protocol,
          ports: rect.ports,
          purposes: new Set(),
          lists: new Set(),
        };
        services.set(serviceKey, service);
      }
      const atoms = atomsOf(rect);
      dst.target = true;
      const purposes = service.purposes;
      const lists = service.lists;
      forEachTriple(atoms, (list, from, to) => {
        if (!lists.has(list)) {
          lists.add(list);
          for (const f of flowLists.lists[list]) purposes.add(f.flow.purpose);
        }
        const end = flowLists.lists[list][0].publicEnd;
        if (end === 'src') src.internet = true;
        else if (end === 'dst') dst.internet = true;
        src.nodes.add(from);
        dst.nodes.add(to);
      });
      drafts.push({ group, rect, src, dst, service, atoms });
    }
  }

  // Names and texts name the deployment only on a device that serves several, so a single-deployment
  // inventory keeps the names and hashes it had before deployments existed.
  const deployments = new Set<string>();
  for (const o of objects.values()) {
    for (const n of o.nodes) deployments.add(deploymentKey(index.nodes[n]));
    if (deployments.size > 1) break;
  }
  const qualify = deployments.size > 1;
  const objectList = [...objects.values()];
  const objectNodes = new Map<ObjectDraft, IndexedNode[]>();
  for (const o of objectList) {
    const members = nodesOf(index, o.nodes);
    objectNodes.set(o, members);
    o.roles = roleLabel(members);
    o.label = objectLabel(
      members,
      index.sets.family(o.setId),
      [...o.interfaces].sort(compareText),
      qualify,
      o.roles,
    );
  }
  const signatures = (o: ObjectDraft): string => {
    const sigs = new Set<string>();
    o.nodes.forEach((n) => sigs.add(memberSignatures.of(index.nodes[n], o.target)));
    // An object of internet traffic stands for something else than the private addresses of the same nodes
    // (a site's egress addresses, a public address): it must not share their name.
    const joined = [...sigs].sort(compareText).join(';');
    return o.internet ? `${joined};internet` : joined;
  };
  const serviceList = [...services.values()];
  // An object's name depends on the object alone: its label plus the hash of its members' signatures
  // (what they ask of the network). Not the number of its members, not whether another object shares its
  // label: so a node joining or leaving it only changes its entries, and nodes elsewhere change nothing.
  // Objects of one device equal in label and signatures (two collectors of the same kind) are told apart
  // by their members' names (not ids, which are the database's), then by their content. pfSense and
  // OPNsense keep host, network and port aliases in one namespace, so services (named by protocol and
  // ports, never suffixed: their names differ whenever their content does) are named in the same pass.
  const named: Array<ObjectDraft | ServiceDraft> = [...objectList, ...serviceList];
  const names: Map<ObjectDraft | ServiceDraft, string> = assignUniqueNames(
    named,
    (x) =>
      'setId' in x
        ? `${prefix}${x.label}`
        : `${prefix}${x.protocol}_${ports.keys[x.ports].replace(/-/g, 'to').replace(/,/g, '_')}`,
    (x) =>
      'setId' in x
        ? [
            () => signatures(x),
            () =>
              (objectNodes.get(x) as IndexedNode[])
                .map((n) => n.node.name)
                .sort(compareText)
                .join(','),
            () => index.sets.key(x.setId),
          ]
        : [x.key],
    MAX_OBJECT_NAME_LENGTH,
    { alwaysSuffix: (x) => 'setId' in x },
  );
  for (const [name, vip] of vips) names.set(vip, name);
  // A rule reads "<source roles>_to_<destination roles>_<hash>_<protocol>" (`_tcp6` for IPv6): the hash is
  // over its source and destination objects' names (which name its interfaces), so a rule keeps its name
  // exactly while its endpoints keep theirs. The roles part is cut to fit; the hash and protocol stay.
  const ruleTail = (r: RuleDraft): string => `_${r.group.protocol}${r.group.family === 6 ? '6' : ''}`;
  const ruleBase = (r: RuleDraft): string => {
    const src = names.get(r.src) as string;
    const dst = names.get(r.dst) as string;
    const tail = ruleTail(r);
    // a rule admitting a forward also names its NAT entry (two forwards may reach one target and port)
    const hash = shortHash(
      r.group.nat ? `${src} ${dst} ${r.group.nat.entry.name}${tail}` : `${src} ${dst}${tail}`,
    );
    const room = MAX_RULE_NAME_LENGTH - prefix.length - hash.length - 1 - tail.length;
    const roles = `${r.src.roles}_to_${r.dst.roles}`;
    return `${prefix}${roles.slice(0, room).replace(/_+$/, '')}_${hash}${tail}`;
  };
  const ruleKey = (r: RuleDraft): string =>
    [
      r.group.ingress,
      r.group.egress,
      r.group.family,
      r.service.key,
      index.sets.key(r.src.setId),
      index.sets.key(r.dst.setId),
      ...(r.group.nat ? [r.group.nat.entry.name] : []),
    ].join('|');
  const ruleNames = assignUniqueNames(drafts, ruleBase, (r) => [() => ruleKey(r)], MAX_RULE_NAME_LENGTH, {
    tail: ruleTail,
  });

  const addresses: AddressObject[] = objectList
    .map((o) => {
      return {
        name: names.get(o) as string,
        family: index.sets.family(o.setId),
        entries: [...index.sets.entries(o.setId)],
        // the entries of an internet object are public or egress addresses, not the nodes' own: say so
        description: clip(
          `${describeNodes(objectNodes.get(o) as IndexedNode[], qualify)}${o.internet ? ' over the internet' : ''}`,
        ),
      };
    })
    .sort((a, b) => compareText(a.name, b.name));
  objectNodes.clear();
  const serviceObjects: ServiceObject[] = serviceList
    .map((s) => ({
      name: names.get(s) as string,
      protocol: s.protocol,
      ports: ports.sets[s.ports].map((r) => ({ ...r })),
      description: clip([...s.purposes].sort(compareText).join(', ')),
    }))
    .sort((a, b) => compareText(a.name, b.name));

  const rules: Rule[] = drafts
    .map((r) => toRule(index, table, flowLists, r, ruleNames.get(r) as string, names, qualify))
    .sort(
      (a, b) =>
        compareText(a.ingress, b.ingress) ||
        compareText(a.egress, b.egress) ||
        a.family - b.family ||
        compareText(a.protocol, b.protocol) ||
        compareText(a.source, b.source) ||
        compareText(a.destination, b.destination) ||
        compareText(a.service, b.service) ||
        compareText(a.nat ?? '', b.nat ?? ''),
    );
  rules.forEach((rule, i) => (rule.order = i));
  const natEntries: NatEntry[] = nat
    .map((d) => ({ ...d.entry, flowIds: [...d.entry.flowIds] }))
    .sort(
      (a, b) =>
        compareText(a.interface, b.interface) ||
        compareText(a.protocol, b.protocol) ||
        compareText(a.externalAddress, b.externalAddress) ||
        a.externalPorts.from - b.externalPorts.from ||
        compareText(a.name, b.name),
    );
  natEntries.forEach((entry, i) => (entry.order = i));

  const withoutHash = {
    deviceId: device.id,
    deviceName: device.name,
    vendor: device.vendor,
    prefix,
    addresses,
    services: serviceObjects,
    rules,
    // absent without NAT, so rule sets of inventories without internet paths hash as they always did
    ...(natEntries.length > 0 ? { nat: natEntries, natSemantics: semantics } : {}),
  };
  return { ...withoutHash, hash: canonicalJsonSha256(withoutHash) };
}

function toRule(
  index: InventoryIndex,
  table: FlowTable,
  flowLists: FlowListRegistry,
  draft: RuleDraft,
  name: string,
  names: Map<ObjectDraft | ServiceDraft, string>,
  qualify: boolean,
): Rule {
  const byList = new Map<number, NodeSets>();
  forEachTriple(draft.atoms, (list, from, to) => {
    let entry = byList.get(list);
    if (!entry) byList.set(list, (entry = { sources: new Set(), destinations: new Set() }));
    entry.sources.add(from);
    entry.destinations.add(to);
  });
  // A flow in one list shares that list's sets (the usual case: then the sorting and the texts below are
  // done once for all the flows of the list); a flow in several lists gets its own union.
  // Keyed by the flow's index; a part of a flow crossing the internet by its ports and path too (one
  // explanation per way it travels).
  const byFlow = new Map<number | string, NodeSets>();
  const parts = new Map<number | string, RuleFlow>();
  const unions = new Set<NodeSets>();
  for (const [list, entry] of byList) {
    for (const f of flowLists.lists[list]) {
      const key = f.via === undefined ? f.idx : flowKey(f);
      const known = byFlow.get(key);
      if (!known) {
        byFlow.set(key, entry);
        if (f.via !== undefined) parts.set(key, f);
        continue;
      }
      let union = known;
      if (!unions.has(known)) {
        union = { sources: new Set(known.sources), destinations: new Set(known.destinations) };
        unions.add(union);
        byFlow.set(key, union);
      }
      entry.sources.forEach((n) => union.sources.add(n));
      entry.destinations.forEach((n) => union.destinations.add(n));
    }
  }
  const sorted = new Map<Set<number>, IndexedNode[]>();
  const sortedNodes = (ids: Set<number>): IndexedNode[] => {
    let nodes = sorted.get(ids);
    if (!nodes) sorted.set(ids, (nodes = nodesOf(index, ids)));
    return nodes;
  };
  // The id lists are shared by the explanations and the rule that name the same nodes: on a hub, five lists of
  // 275,000 ids each were one.
  const idLists = new Map<Set<number>, string[]>();
  const sortedIds = (ids: Set<number>): string[] => {
    let list = idLists.get(ids);
    if (!list) idLists.set(ids, (list = sortedNodes(ids).map((n) => n.node.id)));
    return list;
  };
  const described = new Map<Set<number>, string>();
  const describedSources = (ids: Set<number>): string => {
    let text = described.get(ids);
    if (text === undefined) described.set(ids, (text = describeNodes(sortedNodes(ids), qualify)));
    return text;
  };
  const flowOf = (key: number | string): RuleFlow =>
    typeof key === 'number' ? table.flows[key] : (parts.get(key) as RuleFlow);
  const explanations: RuleExplanation[] = [...byFlow.entries()]
    .sort((a, b) =>
      typeof a[0] === 'number' && typeof b[0] === 'number'
        ? a[0] - b[0]
        : flowOf(a[0]).idx - flowOf(b[0]).idx ||
          (typeof a[0] === 'number' ? -1 : typeof b[0] === 'number' ? 1 : compareText(a[0], b[0])),
    )
    .map(([key, nodes]) => {
      const flow = flowOf(key);
      const destinations = sortedNodes(nodes.destinations);
      const path =
        flow.via === undefined
          ? ''
          : flow.via === ''
            ? ' over the internet'
            : ` over the internet via ${flow.via}`;
      return {
        flowId: flow.flow.id,
        catalogVersion: flow.flow.version,
        purpose: flow.flow.purpose,
        sourceNodeIds: sortedIds(nodes.sources),
        destinationNodeIds: sortedIds(nodes.destinations),
        text:
          `${describedSources(nodes.sources)} → ${describeTarget(destinations, flow.flow.to, qualify)}: ` +
          `${flow.flow.purpose}, ${formatPorts(flow.ports)}/${flow.flow.protocol}${path}`,
      };
    });
  let allSources: Set<number>;
  let allDestinations: Set<number>;
  if (byList.size === 1) {
    [{ sources: allSources, destinations: allDestinations }] = byList.values();
  } else {
    allSources = new Set<number>();
    allDestinations = new Set<number>();
    for (const entry of byList.values()) {
      entry.sources.forEach((n) => allSources.add(n));
      entry.destinations.forEach((n) => allDestinations.add(n));
    }
  }
  return {
    name,
    order: 0,
    ingress: draft.group.ingress,
    egress: draft.group.egress,
    family: draft.group.family,
    source: names.get(draft.src) as string,
    destination: names.get(draft.dst) as string,
    service: names.get(draft.service) as string,
    protocol: draft.group.protocol,
    flowIds:
      parts.size === 0 ? explanations.map((e) => e.flowId) : [...new Set(explanations.map((e) => e.flowId))],
    sourceNodeIds: sortedIds(allSources),
    destinationNodeIds: sortedIds(allDestinations),
    explanations,
    ...(draft.group.nat ? { nat: draft.group.nat.entry.name } : {}),
  };
}
