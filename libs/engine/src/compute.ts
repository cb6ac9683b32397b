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
import { describeNodes, describeTarget, memberSignature, objectLabel, roleLabel } from './describe';
import {
  deploymentKey,
  EngineInputError,
  FlowTable,
  forEachDemand,
  IndexedFlow,
  IndexedNode,
  indexFlows,
  InventoryIndex,
} from './inventory-index';
import type {
  AddressFamily,
  AddressObject,
  CatalogFlow,
  EngineOptions,
  Inventory,
  PortRange,
  Protocol,
  Rule,
  RuleExplanation,
  RuleSet,
  ServiceObject,
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
import { formatPorts, normalizePorts } from './ports';

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

/** Interned lists of flows: the flows of one protocol that one source sends one destination. */
class FlowListRegistry {
  readonly lists: IndexedFlow[][] = [];
  private readonly byKey = new Map<string, number>();

  intern(flows: IndexedFlow[]): number {
    const key = flows.map((f) => f.idx).join(',');
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
  for (const atom of atoms) {
    visit(atom.list, atom.from, atom.to);
    const more = atom.more;
    if (more) for (let i = 0; i < more.length; i += 3) visit(more[i], more[i + 1], more[i + 2]);
  }
}

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
  const wanted = options.deviceIds ? new Set(options.deviceIds) : null;
  const selected = index.devices.map((d) => wanted === null || wanted.has(d.device.id));
  const ports = new PortSetRegistry();
  const flowLists = new FlowListRegistry();
  const groupsByDevice: Array<Map<number, Group> | undefined> = [];
  // Interface names as small numbers, so a group's key is one number rather than a string per demand.
  const ifaceIds = new Map<string, number>();
  const ifaceId = (name: string): number => {
    let id = ifaceIds.get(name);
    if (id === undefined) ifaceIds.set(name, (id = ifaceIds.size));
    return id;
  };
  // The traffic of a (source, destination) pair depends only on its flows: most pairs share a few lists.
  const trafficByFlows = new Map<string, PairTraffic[]>();
  const trafficOf = (flows: readonly IndexedFlow[]): PairTraffic[] => {
    const key = flows.map((f) => f.idx).join(',');
    let traffic = trafficByFlows.get(key);
    if (!traffic) trafficByFlows.set(key, (traffic = pairTraffic(flows, ports, flowLists)));
    return traffic;
  };

  forEachDemand(index, table, (source, destination, pairFlows) => {
    let traffic: PairTraffic[] | null = null;
    const visit = (d: number): void => {
      if (!selected[d]) return;
      const device = index.devices[d];
      const srcSides = index.sides(source, device);
      if (srcSides.length === 0) return;
      const dstSides = index.sides(destination, device);
      for (const a of srcSides) {
        for (const b of dstSides) {
          if (a.family !== b.family || a.iface === b.iface) continue;
          traffic ??= trafficOf(pairFlows);
          let groups = groupsByDevice[d];
          if (!groups) groupsByDevice[d] = groups = new Map();
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
            let bySource = group.atoms.get(b.setId);
            if (!bySource) group.atoms.set(b.setId, (bySource = new Map<number, Rect>()));
            const rect = bySource.get(a.setId);
            if (!rect) {
              bySource.set(a.setId, {
                src: a.setId,
                dst: b.setId,
                ports: t.ports,
                list: t.list,
                from: source.idx,
                to: destination.idx,
                more: null,
                parts: null,
              });
            } else {
              rect.ports = ports.union(rect.ports, t.ports);
              (rect.more ??= []).push(t.list, source.idx, destination.idx);
            }
          }
        }
      }
    };
    // the devices of index.candidateDevices, in the same order, without building the list
    for (const d of source.pieces.keys()) visit(d);
    for (const d of destination.pieces.keys()) if (!source.pieces.has(d)) visit(d);
  });

  return index.devices
    .filter((d) => selected[d.idx])
    .map((d) => {
      const groups = [...(groupsByDevice[d.idx]?.values() ?? [])];
      groupsByDevice[d.idx] = undefined; // a built device's rectangles can go while the next is built
      return buildRuleSet(index, table, ports, flowLists, d.idx, groups, prefix);
    });
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
  // a lone rectangle stays unwrapped: most keys are unique, and an array per key cost as much as the merge
  const groups = new Map<number, Rect | Rect[]>();
  for (const r of rects) {
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

function nodesOf(index: InventoryIndex, ids: Iterable<number>): IndexedNode[] {
  // a typed array sorts numerically without a comparator call per comparison (hub sets hold every agent)
  return Array.from(Uint32Array.from(ids).sort(), (i) => index.nodes[i]);
}

function buildRuleSet(
  index: InventoryIndex,
  table: FlowTable,
  ports: PortSetRegistry,
  flowLists: FlowListRegistry,
  deviceIdx: number,
  groups: Group[],
  prefix: string,
): RuleSet {
  const device = index.devices[deviceIdx].device;
  const objects = new Map<number, ObjectDraft>();
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
      const dst = objectFor(rect.dst);
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
      index.sets.sets[o.setId].family,
      [...o.interfaces].sort(compareText),
      qualify,
    );
  }
  const signatureCache = [new Map<number, string>(), new Map<number, string>()];
  const signatures = (o: ObjectDraft): string => {
    const cache = signatureCache[o.target ? 1 : 0];
    const sigs = new Set<string>();
    for (const n of o.nodes) {
      let sig = cache.get(n);
      if (sig === undefined) cache.set(n, (sig = memberSignature(index, table, index.nodes[n], o.target)));
      sigs.add(sig);
    }
    return [...sigs].sort(compareText).join(';');
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
  const names = assignUniqueNames(
    named,
    (x) =>
      'setId' in x
        ? `${prefix}${x.label}`
        : `${prefix}${x.protocol}_${ports.keys[x.ports].replace(/-/g, 'to').replace(/,/g, '_')}`,
    (x) =>
      'setId' in x
        ? [
            signatures(x),
            (objectNodes.get(x) as IndexedNode[])
              .map((n) => n.node.name)
              .sort(compareText)
              .join(','),
            index.sets.sets[x.setId].key,
          ]
        : [x.key],
    MAX_OBJECT_NAME_LENGTH,
    { alwaysSuffix: (x) => 'setId' in x },
  );
  // A rule reads "<source roles>_to_<destination roles>_<hash>_<protocol>" (`_tcp6` for IPv6): the hash is
  // over its source and destination objects' names (which name its interfaces), so a rule keeps its name
  // exactly while its endpoints keep theirs. The roles part is cut to fit; the hash and protocol stay.
  const ruleTail = (r: RuleDraft): string => `_${r.group.protocol}${r.group.family === 6 ? '6' : ''}`;
  const ruleBase = (r: RuleDraft): string => {
    const src = names.get(r.src) as string;
    const dst = names.get(r.dst) as string;
    const tail = ruleTail(r);
    const hash = shortHash(`${src} ${dst}${tail}`);
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
      index.sets.sets[r.src.setId].key,
      index.sets.sets[r.dst.setId].key,
    ].join('|');
  const ruleNames = assignUniqueNames(drafts, ruleBase, (r) => [ruleKey(r)], MAX_RULE_NAME_LENGTH, {
    tail: ruleTail,
  });

  const addresses: AddressObject[] = objectList
    .map((o) => {
      const set = index.sets.sets[o.setId];
      return {
        name: names.get(o) as string,
        family: set.family,
        entries: [...set.entries],
        description: clip(describeNodes(objectNodes.get(o) as IndexedNode[], qualify)),
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
        compareText(a.service, b.service),
    );
  rules.forEach((rule, i) => (rule.order = i));

  const withoutHash = {
    deviceId: device.id,
    deviceName: device.name,
    vendor: device.vendor,
    prefix,
    addresses,
    services: serviceObjects,
    rules,
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
  const byFlow = new Map<number, NodeSets>();
  const unions = new Set<NodeSets>();
  for (const [list, entry] of byList) {
    for (const f of flowLists.lists[list]) {
      const known = byFlow.get(f.idx);
      if (!known) {
        byFlow.set(f.idx, entry);
        continue;
      }
      let union = known;
      if (!unions.has(known)) {
        union = { sources: new Set(known.sources), destinations: new Set(known.destinations) };
        unions.add(union);
        byFlow.set(f.idx, union);
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
  const described = new Map<Set<number>, string>();
  const describedSources = (ids: Set<number>): string => {
    let text = described.get(ids);
    if (text === undefined) described.set(ids, (text = describeNodes(sortedNodes(ids), qualify)));
    return text;
  };
  const explanations: RuleExplanation[] = [...byFlow.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([flowIdx, nodes]) => {
      const flow = table.flows[flowIdx];
      const sources = sortedNodes(nodes.sources);
      const destinations = sortedNodes(nodes.destinations);
      return {
        flowId: flow.flow.id,
        catalogVersion: flow.flow.version,
        purpose: flow.flow.purpose,
        sourceNodeIds: sources.map((n) => n.node.id),
        destinationNodeIds: destinations.map((n) => n.node.id),
        text:
          `${describedSources(nodes.sources)} → ${describeTarget(destinations, flow.flow.to, qualify)}: ` +
          `${flow.flow.purpose}, ${formatPorts(flow.ports)}/${flow.flow.protocol}`,
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
    flowIds: explanations.map((e) => e.flowId),
    sourceNodeIds: sortedNodes(allSources).map((n) => n.node.id),
    destinationNodeIds: sortedNodes(allDestinations).map((n) => n.node.id),
    explanations,
  };
}
