/**
 * Indexes an inventory and a flow list for the engine: parsed addresses, each device's zone prefixes,
 * where every node's addresses sit relative to every device that has a zone overlapping them, collector
 * resolution and the (source node, destination node, flows) demands of the catalog.
 */
import { compareText } from './compare';
import {
  cidrContains,
  cidrLast,
  compareCidrs,
  Cidr,
  describeInvalidCidr,
  FAMILY_BITS,
  formatCidr,
  packIpv4,
  prefixMask,
  splitCidr,
  summarizeCidrList,
  summarizePackedIpv4,
  tryParseCidr,
  unpackIpv4,
} from './ip';
import type {
  AddressFamily,
  CatalogFlow,
  DeploymentInput,
  DeviceInput,
  Inventory,
  NodeInput,
  PortRange,
  Role,
  SiteInput,
} from './model';
import { describeInvalidPortRange, normalizePorts } from './ports';

/**
 * Why an input was refused, for callers that map errors to answers: `duplicate-publication` is a conflict with
 * another publication (HTTP 409); the others are invalid input. Absent on the errors that predate codes.
 */
export type EngineInputErrorCode =
  | 'invalid-site'
  | 'invalid-site-link'
  | 'duplicate-site-link'
  | 'invalid-public-address'
  | 'invalid-publication'
  | 'duplicate-publication';

/** Thrown when the inventory or the flows cannot be computed (invalid address, duplicate id, ...). */
export class EngineInputError extends Error {
  constructor(
    message: string,
    readonly code?: EngineInputErrorCode,
  ) {
    super(message);
    this.name = 'EngineInputError';
  }
}

/**
 * Ids by 32-bit integer key, in one open-addressing table of two typed arrays: with the IPv4 address of every
 * node (555,000 at 10,000 sites) as a Map entry, its lookups took a sixth of building the index.
 */
class IdsByInt32 {
  private keys = new Int32Array(1024);
  /** id + 1 at the key's slot; 0 for a free slot. */
  private ids = new Int32Array(1024);
  /** 32 - log2(table size): the bits of a key's hash that pick its slot. */
  private shift = 22;
  private count = 0;

  /** The id stored for `key`, or -1. */
  get(key: number): number {
    const mask = this.keys.length - 1;
    for (let slot = this.slotOf(key); ; slot = (slot + 1) & mask) {
      const id = this.ids[slot];
      if (id === 0) return -1;
      if (this.keys[slot] === key) return id - 1;
    }
  }

  /** Stores `id` for a `key` not stored yet. */
  set(key: number, id: number): void {
    if (2 * (this.count + 1) > this.keys.length) this.grow();
    const mask = this.keys.length - 1;
    let slot = this.slotOf(key);
    while (this.ids[slot] !== 0) slot = (slot + 1) & mask;
    this.keys[slot] = key;
    this.ids[slot] = id + 1;
    this.count++;
  }

  private slotOf(key: number): number {
    // Fibonacci hashing: spreads the low bits that consecutive addresses differ in over the whole table
    return Math.imul(key, 0x9e3779b1) >>> this.shift;
  }

  private grow(): void {
    const { keys, ids } = this;
    this.keys = new Int32Array(keys.length * 2);
    this.ids = new Int32Array(keys.length * 2);
    this.shift--;
    this.count = 0;
    for (let slot = 0; slot < keys.length; slot++) if (ids[slot] !== 0) this.set(keys[slot], ids[slot] - 1);
  }
}

/**
 * Canonical, exactly summarised sets of addresses of one family, interned by content (equal sets, one id). Held
 * as arrays by id rather than an object per set: most sets are one node's address (555,000 at 10,000 sites),
 * kept as one number, and their texts are only written when asked for (most are never output).
 */
export class AddressSetRegistry {
  /** Each set's canonical blocks, by id; null for a set of one IPv4 block, which `packed` holds. */
  private readonly blocks: Array<readonly Cidr[] | null> = [];
  /** The block of each set of one IPv4 block ({@link packIpv4}), by id; -1 for the other sets. */
  private packed = new Float64Array(1024);
  private readonly families: AddressFamily[] = [];
  /** {@link key} of the sets it was asked for. */
  private readonly keys = new Map<number, string>();
  /** {@link entries} of the sets they were asked for. */
  private readonly written = new Map<number, readonly string[]>();
  /** Sets of several blocks (and of one IPv6 block) by their blocks, written out. */
  private readonly byContent = new Map<string, number>();
  /** Sets of one IPv4 block, by prefix length then network: no text to write and keep for each. */
  private readonly byIpv4Block: IdsByInt32[] = [];

  family(id: number): AddressFamily {
    return this.families[id];
  }

  /** The set's blocks, canonical (sorted, exactly summarised). */
  cidrs(id: number): readonly Cidr[] {
    return this.blocks[id] ?? [unpackIpv4(this.packed[id])];
  }

  /** The set's blocks as canonical CIDR texts. */
  entries(id: number): readonly string[] {
    let entries = this.written.get(id);
    if (!entries) this.written.set(id, (entries = this.cidrs(id).map(formatCidr)));
    return entries;
  }

  /** `family|entries`: equal keys mean equal sets. */
  key(id: number): string {
    let key = this.keys.get(id);
    if (key === undefined) this.keys.set(id, (key = `${this.families[id]}|${this.entries(id).join(',')}`));
    return key;
  }

  /** Interns the exact union of `cidrs` (which must all be of `family`). */
  intern(family: AddressFamily, cidrs: readonly Cidr[]): number {
    const summary = cidrs.length === 1 ? cidrs : summarizeCidrList(family, cidrs);
    return this.internSummary(family, summary);
  }

  union(ids: readonly number[]): number {
    if (ids.length === 1) {
      return ids[0];
    }
    const family = this.families[ids[0]];
    if (family === 4) {
      // packed as they are kept: no object per member (a hub unites 275,000 agents' addresses)
      let count = 0;
      for (let i = 0; i < ids.length; i++) count += this.blocks[ids[i]]?.length ?? 1;
      const packed = new Float64Array(count);
      let k = 0;
      for (let i = 0; i < ids.length; i++) {
        const blocks = this.blocks[ids[i]];
        if (!blocks) packed[k++] = this.packed[ids[i]];
        else for (let b = 0; b < blocks.length; b++) packed[k++] = packIpv4(blocks[b]);
      }
      return this.internSummary(4, summarizePackedIpv4(packed));
    }
    const cidrs: Cidr[] = [];
    for (let i = 0; i < ids.length; i++) {
      const blocks = this.cidrs(ids[i]);
      for (let b = 0; b < blocks.length; b++) cidrs.push(blocks[b]);
    }
    return this.intern(family, cidrs);
  }

  /**
   * The id of the set whose canonical blocks (sorted, exactly summarised) are `summary`: {@link intern} without the
   * summarising, for lists that are canonical already (the public internet: summarising its 30-odd blocks again took
   * a quarter of one device's computation on internet paths).
   */
  internSummary(family: AddressFamily, summary: readonly Cidr[]): number {
    if (summary.length === 1 && family === 4) {
      const block = summary[0];
      const byNetwork = (this.byIpv4Block[block.prefix] ??= new IdsByInt32());
      const network = Number(block.network) | 0;
      const known = byNetwork.get(network);
      if (known >= 0) return known;
      const id = this.add(4, null, packIpv4(block));
      byNetwork.set(network, id);
      return id;
    }
    // IPv4 blocks by their packed numbers: quicker to write than their texts (a hub's set has 30,000 blocks)
    const identity =
      family === 4 ? `4|${summary.map(packIpv4).join(',')}` : `6|${summary.map(formatCidr).join(',')}`;
    const known = this.byContent.get(identity);
    if (known !== undefined) {
      return known;
    }
    const id = this.add(family, summary, -1);
    this.byContent.set(identity, id);
    return id;
  }

  private add(family: AddressFamily, blocks: readonly Cidr[] | null, packed: number): number {
    const id = this.blocks.length;
    if (id === this.packed.length) {
      const grown = new Float64Array(id * 2);
      grown.set(this.packed);
      this.packed = grown;
    }
    this.packed[id] = packed;
    this.blocks.push(blocks);
    this.families.push(family);
    return id;
  }
}

/** Part of a node's addresses and the device interface it sits behind. */
export interface Piece {
  readonly iface: string;
  readonly cidr: Cidr;
}

/** All of a node's addresses of one family behind one interface of a device. */
export interface Side {
  readonly iface: string;
  readonly family: AddressFamily;
  readonly setId: number;
}

export interface IndexedNode {
  readonly idx: number;
  readonly node: NodeInput;
  readonly site: SiteInput | undefined;
  /** The node's deployment; null for a node in the implicit deployment (no `deploymentId`). */
  readonly deployment: DeploymentInput | null;
  /** Catalog version the node uses: its site's override, else its deployment's; undefined when none. */
  readonly catalogVersion: string | undefined;
  readonly selectors: ReadonlySet<string>;
  /** The node's whole set of IPv4 addresses, -1 when it has none. */
  readonly ipv4Set: number;
  /** The node's whole set of IPv6 addresses, -1 when it has none. */
  readonly ipv6Set: number;
  /**
   * Devices having a zone that overlaps one of the node's addresses, ascending: the only devices that see the
   * node elsewhere than behind their external interface. {@link InventoryIndex.sides} has its sides there.
   */
  readonly devices: readonly number[];
}

const NO_DEVICES: readonly number[] = [];

/** The node's whole sets (IPv4 first) behind one interface. */
function wholeSides(node: IndexedNode, iface: string): Side[] {
  const sides: Side[] = [];
  if (node.ipv4Set >= 0) sides.push({ iface, family: 4, setId: node.ipv4Set });
  if (node.ipv6Set >= 0) sides.push({ iface, family: 6, setId: node.ipv6Set });
  return sides;
}
const NO_FLOWS: readonly IndexedFlow[] = [];

/** Shared by the nodes without selectors (most agents), instead of an empty set each. */
const NO_SELECTORS: ReadonlySet<string> = new Set<string>();
const NO_SIDES: Side[] = [];

export interface DevicePrefix {
  readonly cidr: Cidr;
  readonly iface: string;
}

export interface IndexedDevice {
  readonly idx: number;
  readonly device: DeviceInput;
  /** Name of the external interface (the first by name when several are external), or null. */
  readonly external: string | null;
  /** Zone CIDRs of the device's own site behind its non-external interfaces (one entry per CIDR). */
  readonly prefixes: readonly DevicePrefix[];
}

export interface IndexedFlow {
  readonly idx: number;
  readonly flow: CatalogFlow;
  /** Normalised ports of the flow. */
  readonly ports: PortRange[];
}

function byNameThenId(a: IndexedNode, b: IndexedNode): number {
  return compareText(a.node.name, b.node.name) || compareText(a.node.id, b.node.id);
}

function uniqueById<T extends { id: string }>(items: readonly T[], kind: string): Map<string, T> {
  const map = new Map<string, T>();
  for (const item of items) {
    if (map.has(item.id)) {
      throw new EngineInputError(`duplicate ${kind} id "${item.id}"`);
    }
    map.set(item.id, item);
  }
  return map;
}

function parseOrThrow(text: string, kind: string, id: string): Cidr {
  const cidr = tryParseCidr(text);
  if (!cidr) {
    throw new EngineInputError(`${kind} "${id}": ${describeInvalidCidr(text)}`);
  }
  return cidr;
}

function cidrKey(cidr: Cidr): string {
  return `${cidr.family}/${cidr.prefix}/${cidr.network.toString(16)}`;
}

/**
 * Splits `block` by a device's zone prefixes: each part goes to the interface of the most specific zone
 * containing it, else to the external interface; parts with neither are dropped (not reachable through
 * this device).
 */
export function placeOnDevice(device: IndexedDevice, block: Cidr): Piece[] {
  const inner: DevicePrefix[] = [];
  const base = baseInterface(device, block, inner) as string | null;
  if (inner.length === 0) return base === null ? [] : [{ iface: base, cidr: block }];
  const out: Piece[] = [];
  split(block, base, inner, out);
  return out;
}

/**
 * The interface of the device's most specific zone containing `block`, else its external interface, else null.
 * The zones lying inside `block` (that split it) go to `inner`; without `inner`, the answer is undefined as soon
 * as there is one.
 */
function baseInterface(
  device: IndexedDevice,
  block: Cidr,
  inner?: DevicePrefix[],
): string | null | undefined {
  let base = device.external;
  let baseLength = -1;
  for (const p of device.prefixes) {
    if (p.cidr.family !== block.family) continue;
    if (p.cidr.prefix <= block.prefix) {
      if (p.cidr.prefix > baseLength && cidrContains(p.cidr, block)) {
        base = p.iface;
        baseLength = p.cidr.prefix;
      }
    } else if (cidrContains(block, p.cidr)) {
      if (!inner) return undefined;
      inner.push(p);
    }
  }
  return base;
}

/** {@link placeOnDevice} for each block, concatenated. */
function placeAll(device: IndexedDevice, blocks: readonly Cidr[]): Piece[] {
  return blocks.length === 1
    ? placeOnDevice(device, blocks[0])
    : blocks.flatMap((c) => placeOnDevice(device, c));
}

function split(block: Cidr, iface: string | null, inner: readonly DevicePrefix[], out: Piece[]): void {
  if (inner.length === 0) {
    if (iface !== null) out.push({ iface, cidr: block });
    return;
  }
  for (const half of splitCidr(block)) {
    let halfIface = iface;
    const deeper: DevicePrefix[] = [];
    for (const p of inner) {
      if (!cidrContains(half, p.cidr)) continue;
      if (p.cidr.prefix === half.prefix) halfIface = p.iface;
      else deeper.push(p);
    }
    split(half, halfIface, deeper, out);
  }
}

/**
 * A network address as a Map key. Not the bigint itself: V8 hashes a bigint by its low 64 bits only, so the
 * IPv6 /64 zones (low bits all zero) all collided and the 10,000 zones of the benchmark took a second to index.
 */
function networkKey(family: AddressFamily, network: bigint): number | string {
  return family === 4 ? Number(network) : network.toString(16);
}

/** Global index of zone prefixes → devices, to find the devices an address block can be placed on. */
class PrefixIndex {
  /** Family → prefix length → {@link networkKey} → devices. */
  private readonly exact: Record<AddressFamily, Array<Map<number | string, number[]>>> = { 4: [], 6: [] };
  private readonly lengths: Record<AddressFamily, number[]> = { 4: [], 6: [] };
  private readonly sorted: Record<AddressFamily, Array<{ cidr: Cidr; device: number }>> = { 4: [], 6: [] };

  constructor(devices: readonly IndexedDevice[]) {
    const lengthSets: Record<AddressFamily, Set<number>> = { 4: new Set(), 6: new Set() };
    for (const device of devices) {
      for (const p of device.prefixes) {
        const byNetwork = (this.exact[p.cidr.family][p.cidr.prefix] ??= new Map<number | string, number[]>());
        const key = networkKey(p.cidr.family, p.cidr.network);
        const list = byNetwork.get(key);
        if (!list) byNetwork.set(key, [device.idx]);
        else if (!list.includes(device.idx)) list.push(device.idx);
        lengthSets[p.cidr.family].add(p.cidr.prefix);
        this.sorted[p.cidr.family].push({ cidr: p.cidr, device: device.idx });
      }
    }
    for (const family of [4, 6] as const) {
      this.lengths[family] = [...lengthSets[family]].sort((a, b) => a - b);
      this.sorted[family].sort((a, b) => compareCidrs(a.cidr, b.cidr));
    }
  }

  /** Devices having a prefix that contains `block` or lies inside it. */
  devicesOverlapping(block: Cidr, into: Set<number>): void {
    // an IPv4 network in a double: masking it needs no bigint per zone length (a lookup per node)
    const ipv4 = block.family === 4 ? Number(block.network) : 0;
    for (const length of this.lengths[block.family]) {
      if (length > block.prefix) break;
      const key =
        block.family === 4
          ? ipv4 - (ipv4 % 2 ** (32 - length))
          : networkKey(6, block.network & prefixMask(6, length));
      const hit = this.exact[block.family][length].get(key);
      if (hit) for (const d of hit) into.add(d);
    }
    if (block.prefix === FAMILY_BITS[block.family]) return;
    const list = this.sorted[block.family];
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (list[mid].cidr.network < block.network) lo = mid + 1;
      else hi = mid;
    }
    const last = cidrLast(block);
    for (let i = lo; i < list.length && list[i].cidr.network <= last; i++) {
      if (list[i].cidr.prefix > block.prefix) into.add(list[i].device);
    }
  }
}

export interface FlowTable {
  readonly flows: readonly IndexedFlow[];
  /** catalog version → source role → flows */
  readonly byVersionAndRole: Map<string, Map<Role, IndexedFlow[]>>;
  /**
   * {@link flowsOfSource} of nodes with selectors, by version, role and selectors: one list per kind of node,
   * so that what is derived from a node's flows can be kept per list.
   */
  readonly bySelectors: Map<string, readonly IndexedFlow[]>;
}

export function indexFlows(flows: readonly CatalogFlow[]): FlowTable {
  const seen = new Set<string>();
  const sorted = [...flows].sort((a, b) => compareText(a.id, b.id));
  const indexed: IndexedFlow[] = [];
  const byVersionAndRole = new Map<string, Map<Role, IndexedFlow[]>>();
  for (const flow of sorted) {
    if (seen.has(flow.id)) {
      throw new EngineInputError(`duplicate flow id "${flow.id}"`);
    }
    seen.add(flow.id);
    for (const range of flow.ports) {
      const invalid = describeInvalidPortRange(range);
      if (invalid) throw new EngineInputError(`flow "${flow.id}": ${invalid}`);
    }
    if (flow.ports.length === 0) {
      throw new EngineInputError(`flow "${flow.id}" has no ports`);
    }
    const entry: IndexedFlow = { idx: indexed.length, flow, ports: normalizePorts(flow.ports) };
    indexed.push(entry);
    let byRole = byVersionAndRole.get(flow.version);
    if (!byRole) byVersionAndRole.set(flow.version, (byRole = new Map<Role, IndexedFlow[]>()));
    const list = byRole.get(flow.from);
    if (list) list.push(entry);
    else byRole.set(flow.from, [entry]);
  }
  return { flows: indexed, byVersionAndRole, bySelectors: new Map() };
}

/**
 * Sorts `items` by id (stable) and refuses a repeated id, naming the first repeat in input order (what a map
 * filled in input order would meet first). Without the map: the node list holds every agent.
 */
function sortedUniqueById<T extends { id: string }>(items: readonly T[], kind: string): T[] {
  const order = items.map((_, i) => i).sort((a, b) => compareText(items[a].id, items[b].id) || a - b);
  let repeat = -1;
  for (let k = 1; k < order.length; k++) {
    // equal ids are adjacent, in input order: the second of a run is where its id repeats first
    const first = k === 1 || items[order[k - 2]].id !== items[order[k]].id;
    if (first && items[order[k - 1]].id === items[order[k]].id && (repeat < 0 || order[k] < repeat)) {
      repeat = order[k];
    }
  }
  if (repeat >= 0) throw new EngineInputError(`duplicate ${kind} id "${items[repeat].id}"`);
  return order.map((i) => items[i]);
}

export class InventoryIndex {
  readonly sets = new AddressSetRegistry();
  /** Sorted by id. */
  readonly nodes: IndexedNode[] = [];
  readonly devices: IndexedDevice[] = [];
  readonly deviceById = new Map<string, IndexedDevice>();
  readonly siteById: Map<string, SiteInput>;
  readonly deploymentById: Map<string, DeploymentInput>;
  /** Deployment key ('' for the implicit deployment) → role → nodes sorted by id. */
  private readonly nodesByDeploymentAndRole = new Map<string, Map<Role, IndexedNode[]>>();
  private readonly collectors: Array<IndexedNode | null> = [];
  /**
   * Each node's sides on its first device (`devices[0]`), by node index; most nodes have no other. Most are
   * the node's whole sets behind one interface: then only that interface's name is kept (an array and an
   * object per family were a sixth of the index at 10,000 sites).
   */
  private readonly firstSides: Array<string | readonly Side[]> = [];
  /** The sides on a node's further devices, by node index × device count + device index. */
  private readonly moreSides = new Map<number, readonly Side[]>();
  /** `[d]` for each device d: the `devices` of every node placed on that device only. */
  private readonly onlyDevice: Array<readonly number[]> = [];
  /** The nodes placed on each device ({@link nodesOn}): device d's are `placed[placedStart[d] .. placedStart[d + 1]]`. */
  private readonly placedStart: Int32Array;
  private readonly placed: Int32Array;
  private readonly masters: Array<IndexedNode | null> = [];

  constructor(inventory: Inventory) {
    this.siteById = uniqueById(inventory.sites, 'site');
    this.deploymentById = uniqueById(inventory.deployments ?? [], 'deployment');
    const zoneById = uniqueById(inventory.zones, 'zone');
    const nodes = sortedUniqueById(inventory.nodes, 'node');
    uniqueById(inventory.devices, 'device');

    const zoneCidrs = new Map<string, Cidr[]>();
    for (const zone of inventory.zones) {
      zoneCidrs.set(
        zone.id,
        zone.cidrs.map((c) => parseOrThrow(c, 'zone', zone.id)),
      );
    }

    const devices = [...inventory.devices].sort((a, b) => compareText(a.id, b.id));
    for (const device of devices) {
      const names = new Set<string>();
      let external: string | null = null;
      const byCidr = new Map<string, DevicePrefix>();
      for (const iface of device.interfaces) {
        if (names.has(iface.name)) {
          throw new EngineInputError(`device "${device.id}" has two interfaces named "${iface.name}"`);
        }
        names.add(iface.name);
        if (iface.external) {
          if (external === null || iface.name < external) external = iface.name;
          continue;
        }
        for (const zoneId of iface.zoneIds) {
          const zone = zoneById.get(zoneId);
          if (!zone || zone.siteId !== device.siteId) continue;
          for (const cidr of zoneCidrs.get(zoneId) ?? []) {
            const key = cidrKey(cidr);
            const known = byCidr.get(key);
            // the same CIDR behind two interfaces: the first interface by name wins
            if (!known || iface.name < known.iface) byCidr.set(key, { cidr, iface: iface.name });
          }
        }
      }
      const indexed: IndexedDevice = {
        idx: this.devices.length,
        device,
        external,
        prefixes: [...byCidr.values()].sort((a, b) => compareCidrs(a.cidr, b.cidr)),
      };
      this.devices.push(indexed);
      this.deviceById.set(device.id, indexed);
    }

    const prefixIndex = new PrefixIndex(this.devices);
    const overlapping = new Set<number>();
    // indexed loops over the nodes: an iterator costs an object per step until its code is optimised
    for (let i = 0; i < nodes.length; i++) {
      const node = nodes[i];
      const cidrs = node.addresses.map((a) => parseOrThrow(a, 'node', node.id));
      overlapping.clear();
      for (const cidr of cidrs) prefixIndex.devicesOverlapping(cidr, overlapping);
      let placedOn = NO_DEVICES;
      if (overlapping.size === 1) {
        const [d] = overlapping;
        placedOn = this.onlyDevice[d] ??= [d];
      } else if (overlapping.size > 1) {
        placedOn = [...overlapping].sort((a, b) => a - b);
      }
      const site = this.siteById.get(node.siteId);
      let deployment: DeploymentInput | null = null;
      if (node.deploymentId) {
        deployment = this.deploymentById.get(node.deploymentId) ?? null;
        if (!deployment) {
          throw new EngineInputError(`node "${node.id}" refers to unknown deployment "${node.deploymentId}"`);
        }
      }
      const indexed: IndexedNode = {
        idx: this.nodes.length,
        node,
        site,
        deployment,
        catalogVersion: site?.catalogVersion ?? deployment?.catalogVersion ?? undefined,
        selectors: node.selectors.length === 0 ? NO_SELECTORS : new Set(node.selectors),
        ipv4Set: this.familySet(cidrs, 4),
        ipv6Set: this.familySet(cidrs, 6),
        devices: placedOn,
      };
      this.nodes.push(indexed);
      this.firstSides.push(placedOn.length === 0 ? NO_SIDES : this.firstSidesOf(indexed, cidrs, placedOn[0]));
      for (let i = 1; i < placedOn.length; i++) {
        this.moreSides.set(
          indexed.idx * this.devices.length + placedOn[i],
          this.placeSides(indexed, cidrs, placeAll(this.devices[placedOn[i]], cidrs)),
        );
      }
      let byRole = this.nodesByDeploymentAndRole.get(deploymentKey(indexed));
      if (!byRole)
        this.nodesByDeploymentAndRole.set(deploymentKey(indexed), (byRole = new Map<Role, IndexedNode[]>()));
      push(byRole, node.role, indexed);
    }
    [this.placedStart, this.placed] = this.nodesByDevice();
    this.resolveCollectorsAndMasters();
  }

  /** The set of a node's addresses of one family, -1 when it has none. */
  private familySet(cidrs: readonly Cidr[], family: AddressFamily): number {
    let count = 0;
    for (const c of cidrs) if (c.family === family) count++;
    if (count === 0) return -1;
    // all of one family (most nodes): the node's own array, which the set keeps when it is a single block
    return this.sets.intern(
      family,
      count === cidrs.length ? cidrs : cidrs.filter((c) => c.family === family),
    );
  }

  /** The node with that id, if any (a binary search: the nodes are sorted by id). */
  nodeWithId(id: string): IndexedNode | undefined {
    let lo = 0;
    let hi = this.nodes.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.nodes[mid].node.id < id) lo = mid + 1;
      else hi = mid;
    }
    return this.nodes[lo]?.node.id === id ? this.nodes[lo] : undefined;
  }

  /** Indexes of the nodes placed on the device (an address inside one of its zones), ascending. */
  nodesOn(device: number): Int32Array {
    return this.placed.subarray(this.placedStart[device], this.placedStart[device + 1]);
  }

  /** The `placedStart` and `placed` arrays of {@link nodesOn}, filled device by device. */
  private nodesByDevice(): [Int32Array, Int32Array] {
    const start = new Int32Array(this.devices.length + 1);
    for (let n = 0; n < this.nodes.length; n++) {
      const devices = this.nodes[n].devices;
      for (let i = 0; i < devices.length; i++) start[devices[i] + 1]++;
    }
    for (let d = 0; d < this.devices.length; d++) start[d + 1] += start[d];
    const placed = new Int32Array(start[this.devices.length]);
    const next = start.slice(0, this.devices.length);
    for (let n = 0; n < this.nodes.length; n++) {
      const devices = this.nodes[n].devices;
      for (let i = 0; i < devices.length; i++) placed[next[devices[i]]++] = n;
    }
    return [start, placed];
  }

  /** Nodes of a role in a node's deployment, sorted by id. */
  private sameDeployment(node: IndexedNode, role: Role): readonly IndexedNode[] {
    return this.nodesByDeploymentAndRole.get(deploymentKey(node))?.get(role) ?? [];
  }

  /**
   * The nodes that a flow from `source` to `role` reaches: the nodes of that role in the source's own
   * deployment (never the source itself), narrowed between probes and masters by a probe's `masterId`.
   */
  targetsOf(source: IndexedNode, role: Role): IndexedNode[] {
    const own = source.node.role === 'probe' && role === 'master' ? this.masters[source.idx] : null;
    if (own) return [own];
    return this.sameDeployment(source, role).filter((t) => t !== source && this.pairs(source, t));
  }

  /** True when `destination` is one of {@link targetsOf}(source, its role). */
  isTarget(source: IndexedNode, destination: IndexedNode): boolean {
    if (source === destination || deploymentKey(source) !== deploymentKey(destination)) return false;
    const own = source.node.role === 'probe' ? this.masters[source.idx] : null;
    if (own && destination.node.role === 'master') return own === destination;
    return this.pairs(source, destination);
  }

  /** A master and a probe assigned to another master do not exchange flows. */
  private pairs(source: IndexedNode, target: IndexedNode): boolean {
    if (source.node.role !== 'master' || target.node.role !== 'probe') return true;
    const master = this.masters[target.idx];
    return master === null || master === source;
  }

  /**
   * The node's collector, always in its own deployment: its `collectorId` when that node exists there;
   * otherwise the first (by name, then id) probe of its own site, else the first master of its own site,
   * else the first master of its deployment. The node itself is never its own default collector; a
   * `collectorId` pointing at the node itself means "none". (Before deployments the last fallback was the
   * first master anywhere, which is the same thing when there is one deployment.)
   */
  collectorOf(node: IndexedNode): IndexedNode | null {
    return this.collectors[node.idx];
  }

  private resolveCollectorsAndMasters(): void {
    const probesBySite = new Map<string, IndexedNode[]>();
    const mastersBySite = new Map<string, IndexedNode[]>();
    const mastersByDeployment = new Map<string, IndexedNode[]>();
    const siteKey = (n: IndexedNode): string => `${deploymentKey(n)}\u0000${n.node.siteId}`;
    for (const byRole of this.nodesByDeploymentAndRole.values()) {
      for (const n of byRole.get('probe') ?? []) push(probesBySite, siteKey(n), n);
      for (const n of byRole.get('master') ?? []) {
        push(mastersBySite, siteKey(n), n);
        push(mastersByDeployment, deploymentKey(n), n);
      }
    }
    for (const map of [probesBySite, mastersBySite, mastersByDeployment]) {
      for (const list of map.values()) list.sort(byNameThenId);
    }
    const firstOther = (
      list: readonly IndexedNode[] | undefined,
      self: IndexedNode,
    ): IndexedNode | undefined => list?.find((n) => n !== self);
    for (let i = 0; i < this.nodes.length; i++) {
      const n = this.nodes[i];
      const explicit = n.node.collectorId ? this.nodeWithId(n.node.collectorId) : undefined;
      if (explicit && deploymentKey(explicit) === deploymentKey(n)) {
        this.collectors.push(explicit === n ? null : explicit);
      } else {
        const site = siteKey(n);
        this.collectors.push(
          firstOther(probesBySite.get(site), n) ??
            firstOther(mastersBySite.get(site), n) ??
            firstOther(mastersByDeployment.get(deploymentKey(n)), n) ??
            null,
        );
      }
      const master = n.node.masterId ? this.nodeWithId(n.node.masterId) : undefined;
      this.masters.push(
        n.node.role === 'probe' &&
          master?.node.role === 'master' &&
          deploymentKey(master) === deploymentKey(n)
          ? master
          : null,
      );
    }
  }

  /** Where the node's addresses sit on a device: one entry per (interface, family), none when not placed. */
  sides(node: IndexedNode, device: IndexedDevice): readonly Side[] {
    const i = node.devices.indexOf(device.idx);
    if (i === 0) {
      const first = this.firstSides[node.idx];
      return typeof first === 'string' ? wholeSides(node, first) : first;
    }
    if (i > 0) return this.moreSides.get(node.idx * this.devices.length + device.idx) as readonly Side[];
    // all of the node's addresses behind the external interface: cheaper to build than to keep
    const iface = device.external;
    return iface === null ? NO_SIDES : wholeSides(node, iface);
  }

  /** {@link placeSides} on the node's first device, or the interface's name when they are its whole sets. */
  private firstSidesOf(node: IndexedNode, cidrs: readonly Cidr[], device: number): string | readonly Side[] {
    // most nodes: every address unsplit behind one interface, IPv4 first (the order wholeSides lists them in)
    let iface: string | null | undefined = null;
    if (cidrs.length > 0 && (cidrs[0].family === 4 || node.ipv4Set < 0)) {
      iface = baseInterface(this.devices[device], cidrs[0]);
      for (let i = 1; iface && i < cidrs.length; i++) {
        if (baseInterface(this.devices[device], cidrs[i]) !== iface) iface = null;
      }
    }
    if (iface) return iface;
    const sides = this.placeSides(node, cidrs, placeAll(this.devices[device], cidrs));
    if (sides.length === 0) return sides;
    const whole = wholeSides(node, sides[0].iface);
    const same =
      whole.length === sides.length &&
      whole.every(
        (w, i) => w.iface === sides[i].iface && w.family === sides[i].family && w.setId === sides[i].setId,
      );
    return same ? sides[0].iface : sides;
  }

  /**
   * The node's addresses placed on a device with a zone overlapping them (`pieces`, from {@link placeAll}): its
   * pieces per (interface, family), in the order of their first piece; the node's whole set of a family when its
   * addresses of that family are behind one interface unsplit (most nodes), else a set of their own.
   */
  private placeSides(node: IndexedNode, cidrs: readonly Cidr[], pieces: readonly Piece[]): readonly Side[] {
    const groups: Array<{ iface: string; family: AddressFamily; cidrs: Cidr[] }> = [];
    for (const p of pieces) {
      const group = groups.find((g) => g.iface === p.iface && g.family === p.cidr.family);
      if (group) group.cidrs.push(p.cidr);
      else groups.push({ iface: p.iface, family: p.cidr.family, cidrs: [p.cidr] });
    }
    return groups.map((g) => ({
      iface: g.iface,
      family: g.family,
      setId: this.wholeFamilySet(node, cidrs, g.family, g.cidrs) ?? this.sets.intern(g.family, g.cidrs),
    }));
  }

  /**
   * The node's whole set of `family` when `part` is its addresses (`cidrs`) of that family, unsplit and in
   * order; null otherwise.
   */
  private wholeFamilySet(
    node: IndexedNode,
    cidrs: readonly Cidr[],
    family: AddressFamily,
    part: readonly Cidr[],
  ): number | null {
    let i = 0;
    for (const c of cidrs) {
      if (c.family !== family) continue;
      if (part[i] !== c) return null;
      i++;
    }
    const whole = family === 4 ? node.ipv4Set : node.ipv6Set;
    return i === part.length && whole >= 0 ? whole : null;
  }

  /** The node's addresses, parsed again: the index keeps none (555,000 nodes at 10,000 sites). */
  addressesOf(node: IndexedNode): Cidr[] {
    return node.node.addresses.map((a) => parseOrThrow(a, 'node', node.node.id));
  }

  /** Devices on which `a` or `b` has an address inside a zone (the only devices that can be on their path). */
  candidateDevices(a: IndexedNode, b: IndexedNode): number[] {
    return [...a.devices, ...b.devices.filter((d) => !a.devices.includes(d))];
  }
}

/** '' for the implicit deployment. */
export function deploymentKey(node: IndexedNode): string {
  return node.deployment?.id ?? '';
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/** True when a flow with a selector applies to the node (flows without a selector always apply). */
export function selectorApplies(flow: CatalogFlow, node: IndexedNode): boolean {
  return !flow.selector || node.selectors.size === 0 || node.selectors.has(flow.selector);
}

/** The flows of the source node's catalog version that apply to it (role and selector). */
export function flowsOfSource(table: FlowTable, source: IndexedNode): readonly IndexedFlow[] {
  const version = source.catalogVersion;
  if (version === undefined) return NO_FLOWS;
  const candidates = table.byVersionAndRole.get(version)?.get(source.node.role) ?? NO_FLOWS;
  // every flow applies to a node without selectors (most agents): the table's own list
  if (source.selectors.size === 0) return candidates;
  const key = [version, source.node.role, ...[...source.selectors].sort(compareText)].join('\u0000');
  let flows = table.bySelectors.get(key);
  if (!flows) table.bySelectors.set(key, (flows = candidates.filter((f) => selectorApplies(f.flow, source))));
  return flows;
}

/**
 * Calls `visit` once per (source, destination) pair with the flows that require traffic between them. When they
 * are all the source's flows, `flows` is {@link flowsOfSource}'s list itself (shared by the nodes of a kind).
 */
export function forEachDemand(
  index: InventoryIndex,
  table: FlowTable,
  visit: (source: IndexedNode, destination: IndexedNode, flows: readonly IndexedFlow[]) => void,
): void {
  const byTarget = new Map<IndexedNode, IndexedFlow[]>();
  for (let i = 0; i < index.nodes.length; i++) {
    const source = index.nodes[i];
    const flows = flowsOfSource(table, source);
    if (flows.length === 0) continue;
    // most sources (agents, log sources) send every flow to their collector
    if (flows.every((f) => f.flow.to === 'collector')) {
      const collector = index.collectorOf(source);
      if (collector) visit(source, collector, flows);
      continue;
    }
    byTarget.clear();
    for (const f of flows) {
      if (f.flow.to === 'collector') {
        const collector = index.collectorOf(source);
        if (collector) push(byTarget, collector, f);
      } else {
        for (const target of index.targetsOf(source, f.flow.to)) push(byTarget, target, f);
      }
    }
    for (const [target, list] of byTarget) visit(source, target, list.length === flows.length ? flows : list);
  }
}

/** The flows that require traffic from `source` to `destination`. */
export function flowsBetween(
  index: InventoryIndex,
  table: FlowTable,
  source: IndexedNode,
  destination: IndexedNode,
): IndexedFlow[] {
  if (source === destination) return [];
  return flowsOfSource(table, source).filter((f) =>
    f.flow.to === 'collector'
      ? index.collectorOf(source) === destination
      : f.flow.to === destination.node.role && index.isTarget(source, destination),
  );
}
