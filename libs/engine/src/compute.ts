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
import { canonicalJson } from './canonical-json';
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
  sha256Hex,
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

/** src × dst × ports, with the (flow, source node, destination node) triples that justify it. */
interface Rect {
  src: number;
  dst: number;
  ports: number;
  /** Flat triples: flow index, source node index, destination node index. */
  contribs: number[];
}

interface Group {
  ingress: string;
  egress: string;
  family: AddressFamily;
  protocol: Protocol;
  atoms: Map<string, Rect>;
}

interface PairTraffic {
  protocol: Protocol;
  ports: number;
  flows: IndexedFlow[];
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
  const groupsByDevice: Array<Map<string, Group> | undefined> = [];

  forEachDemand(index, table, (source, destination, pairFlows) => {
    const devices = index.candidateDevices(source, destination);
    let traffic: PairTraffic[] | null = null;
    for (const d of devices) {
      if (!selected[d]) continue;
      const device = index.devices[d];
      const srcSides = index.sides(source, device);
      if (srcSides.length === 0) continue;
      const dstSides = index.sides(destination, device);
      for (const a of srcSides) {
        for (const b of dstSides) {
          if (a.family !== b.family || a.iface === b.iface) continue;
          traffic ??= pairTraffic(pairFlows, ports);
          let groups = groupsByDevice[d];
          if (!groups) groupsByDevice[d] = groups = new Map();
          for (const t of traffic) {
            const groupKey = `${a.iface}\u0000${b.iface}\u0000${a.family}\u0000${t.protocol}`;
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
            const atomKey = `${a.setId},${b.setId}`;
            let rect = group.atoms.get(atomKey);
            if (!rect) {
              rect = { src: a.setId, dst: b.setId, ports: t.ports, contribs: [] };
              group.atoms.set(atomKey, rect);
            } else {
              rect.ports = ports.union(rect.ports, t.ports);
            }
            for (const f of t.flows) rect.contribs.push(f.idx, source.idx, destination.idx);
          }
        }
      }
    }
  });

  return index.devices
    .filter((d) => selected[d.idx])
    .map((d) =>
      buildRuleSet(index, table, ports, d.idx, [...(groupsByDevice[d.idx]?.values() ?? [])], prefix),
    );
}

function pairTraffic(flows: readonly IndexedFlow[], ports: PortSetRegistry): PairTraffic[] {
  return PROTOCOLS.map((protocol) => {
    const ofProtocol = flows.filter((f) => f.flow.protocol === protocol);
    return { protocol, ports: ports.intern(ofProtocol.flatMap((f) => f.ports)), flows: ofProtocol };
  }).filter((t) => t.flows.length > 0);
}

/** Merges the rectangles sharing `key` with `combine`; reports whether anything merged. */
function mergeBy(
  rects: Rect[],
  key: (r: Rect) => string,
  combine: (list: Rect[]) => Rect,
): [Rect[], boolean] {
  const groups = new Map<string, Rect[]>();
  for (const r of rects) {
    const k = key(r);
    const list = groups.get(k);
    if (list) list.push(r);
    else groups.set(k, [r]);
  }
  if (groups.size === rects.length) return [rects, false];
  return [[...groups.values()].map((list) => (list.length === 1 ? list[0] : combine(list))), true];
}

function concatContribs(list: readonly Rect[]): number[] {
  return list.flatMap((r) => r.contribs);
}

function mergeGroup(index: InventoryIndex, ports: PortSetRegistry, group: Group): Rect[] {
  let rects = [...group.atoms.values()];
  for (let changed = true; changed;) {
    let a: boolean, b: boolean, c: boolean;
    [rects, a] = mergeBy(
      rects,
      (r) => `${r.dst},${r.ports}`,
      (list) => ({
        src: index.sets.union(list.map((r) => r.src)),
        dst: list[0].dst,
        ports: list[0].ports,
        contribs: concatContribs(list),
      }),
    );
    [rects, b] = mergeBy(
      rects,
      (r) => `${r.src},${r.ports}`,
      (list) => ({
        src: list[0].src,
        dst: index.sets.union(list.map((r) => r.dst)),
        ports: list[0].ports,
        contribs: concatContribs(list),
      }),
    );
    [rects, c] = mergeBy(
      rects,
      (r) => `${r.src},${r.dst}`,
      (list) => ({
        src: list[0].src,
        dst: list[0].dst,
        ports: list.slice(1).reduce((acc, r) => ports.union(acc, r.ports), list[0].ports),
        contribs: concatContribs(list),
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
}

interface RuleDraft {
  group: Group;
  rect: Rect;
  src: ObjectDraft;
  dst: ObjectDraft;
  service: ServiceDraft;
}

const MAX_DESCRIPTION_LENGTH = 255;

function clip(text: string): string {
  return text.length <= MAX_DESCRIPTION_LENGTH ? text : `${text.slice(0, MAX_DESCRIPTION_LENGTH - 1)}…`;
}

function nodesOf(index: InventoryIndex, ids: Iterable<number>): IndexedNode[] {
  return [...ids].sort((a, b) => a - b).map((i) => index.nodes[i]);
}

function buildRuleSet(
  index: InventoryIndex,
  table: FlowTable,
  ports: PortSetRegistry,
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
        service = { key: serviceKey, protocol: group.protocol, ports: rect.ports, purposes: new Set() };
        services.set(serviceKey, service);
      }
      const c = rect.contribs;
      dst.target = true;
      for (let i = 0; i < c.length; i += 3) {
        service.purposes.add(table.flows[c[i]].flow.purpose);
        src.nodes.add(c[i + 1]);
        dst.nodes.add(c[i + 2]);
      }
      drafts.push({ group, rect, src, dst, service });
    }
  }

  // Names and texts name the deployment only on a device that serves several, so a single-deployment
  // inventory keeps the names and hashes it had before deployments existed.
  const deployments = new Set<string>();
  for (const o of objects.values()) for (const n of o.nodes) deployments.add(deploymentKey(index.nodes[n]));
  const qualify = deployments.size > 1;
  const objectList = [...objects.values()];
  for (const o of objectList) {
    const members = nodesOf(index, o.nodes);
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
            nodesOf(index, x.nodes)
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
        description: clip(describeNodes(nodesOf(index, o.nodes), qualify)),
      };
    })
    .sort((a, b) => compareText(a.name, b.name));
  const serviceObjects: ServiceObject[] = serviceList
    .map((s) => ({
      name: names.get(s) as string,
      protocol: s.protocol,
      ports: ports.sets[s.ports].map((r) => ({ ...r })),
      description: clip([...s.purposes].sort(compareText).join(', ')),
    }))
    .sort((a, b) => compareText(a.name, b.name));

  const rules: Rule[] = drafts
    .map((r) => toRule(index, table, r, ruleNames.get(r) as string, names, qualify))
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
  return { ...withoutHash, hash: sha256Hex(canonicalJson(withoutHash)) };
}

function toRule(
  index: InventoryIndex,
  table: FlowTable,
  draft: RuleDraft,
  name: string,
  names: Map<ObjectDraft | ServiceDraft, string>,
  qualify: boolean,
): Rule {
  const byFlow = new Map<number, { sources: Set<number>; destinations: Set<number> }>();
  const c = draft.rect.contribs;
  for (let i = 0; i < c.length; i += 3) {
    let entry = byFlow.get(c[i]);
    if (!entry) byFlow.set(c[i], (entry = { sources: new Set(), destinations: new Set() }));
    entry.sources.add(c[i + 1]);
    entry.destinations.add(c[i + 2]);
  }
  const explanations: RuleExplanation[] = [...byFlow.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([flowIdx, nodes]) => {
      const flow = table.flows[flowIdx];
      const sources = nodesOf(index, nodes.sources);
      const destinations = nodesOf(index, nodes.destinations);
      return {
        flowId: flow.flow.id,
        catalogVersion: flow.flow.version,
        purpose: flow.flow.purpose,
        sourceNodeIds: sources.map((n) => n.node.id),
        destinationNodeIds: destinations.map((n) => n.node.id),
        text:
          `${describeNodes(sources, qualify)} → ${describeTarget(destinations, flow.flow.to, qualify)}: ` +
          `${flow.flow.purpose}, ${formatPorts(flow.ports)}/${flow.flow.protocol}`,
      };
    });
  const allSources = new Set<number>();
  const allDestinations = new Set<number>();
  for (const entry of byFlow.values()) {
    entry.sources.forEach((n) => allSources.add(n));
    entry.destinations.forEach((n) => allDestinations.add(n));
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
    sourceNodeIds: nodesOf(index, allSources).map((n) => n.node.id),
    destinationNodeIds: nodesOf(index, allDestinations).map((n) => n.node.id),
    explanations,
  };
}
