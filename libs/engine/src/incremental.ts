/**
 * Incremental rule sets: keeps an inventory and the rule set of every device, and after a change
 * recomputes only the devices whose rule sets the change can affect. Pure, like the rest of the engine.
 *
 * Why it is exact. A device's rule set only involves (source, destination) pairs where one endpoint has
 * an address inside one of the device's zones (a "local" node of the device: see `candidateDevices` in
 * inventory-index.ts); every other pair sits behind the external interface on both sides. So a device's
 * rule set is a function of its own definition, its site's zones, its local nodes, their demand partners
 * and what the engine reads about those nodes (addresses, names, sites, deployments, collectors,
 * masters). Two things follow:
 *
 * - One device is computed by handing the normal engine a sub-inventory: that device, its site's zones,
 *   its local nodes and their partners (and the masters of included probes, so the probe ↔ master
 *   narrowing is the same), with every node's collector pinned to the one it has in the whole inventory
 *   (or to itself, which means "none", when that collector is not included: then no included pair needs
 *   it). Demands among included nodes are then those of the whole inventory, so the rule set is the same.
 * - A node change can only affect devices local to a node whose demands or description changed: the
 *   node itself and its partners before and after, the nodes whose resolved collector moved (and both
 *   collectors), and for a master the probes that name it (with every master they exchanged flows with).
 *
 * Internet paths (some pair of sites is `internet`, see compute.ts `planInternet`) add one kind of pair and
 * three kinds of reads. A device also carries the pairs towards a node it publishes (NAT entries and the rules
 * admitting them), local to it or not: its "ends" are its local nodes and the nodes it publishes. For a pair
 * with an end there, the engine reads, besides the two nodes: the publications of both nodes (what is forwarded,
 * and whether a carrier flow gets through) with the devices carrying them (interfaces, public addresses, name),
 * the egress addresses of the source's site (the external interfaces of every device of that site), and the
 * connectivity of the sites (sites and site links). Nothing of a third site, and no other device's zones. So:
 *
 * - the sub-inventory also holds the nodes the device publishes with their partners, the publications of every
 *   included node and their devices, every device of an included node's site (zones left out) and the links;
 * - a node change reaches, besides the devices above, the devices publishing the touched nodes;
 * - a device change reaches the device, and when its public face changed (site, name, interfaces' names,
 *   external flags, public addresses) the devices on which a node of its site or a node it publishes, or a
 *   partner of one, is an end; a zone change still only reaches its site's firewalls;
 * - a publication change reaches its devices before and after, and the devices on which its node, or a
 *   partner of it, is an end.
 *
 * Partners are over-approximated (flows towards a node's role are taken from every catalog version,
 * selectors are ignored): a larger set only costs time, never exactness. Changes of sites, deployments,
 * flows or site links recompute everything (they also turn internet paths on and off); device and zone changes
 * recompute the devices they belong to, and on internet paths those reading them as above.
 * `incremental.spec.ts` checks random change sequences against full recomputations, with and without internet
 * paths.
 */
import { compareText } from './compare';
import { computeRuleSets } from './compute';
import { cidrContains, Cidr, prefixMask, tryParseCidr } from './ip';
import type {
  CatalogFlow,
  DeploymentInput,
  DeviceInput,
  EngineOptions,
  Inventory,
  NodeInput,
  PublicationInput,
  Role,
  RuleSet,
  SiteInput,
  SiteLinkInput,
  ZoneInput,
} from './model';

/** One changed row: its new content, or null when it was deleted. */
export type InventoryChange =
  | { kind: 'node'; id: string; value: NodeInput | null }
  | { kind: 'device'; id: string; value: DeviceInput | null }
  | { kind: 'zone'; id: string; value: ZoneInput | null }
  | { kind: 'site'; id: string; value: SiteInput | null }
  | { kind: 'deployment'; id: string; value: DeploymentInput | null }
  | { kind: 'flows'; value: CatalogFlow[] }
  /** Every site link (they have no id of their own: the whole list, like flows). */
  | { kind: 'siteLinks'; value: SiteLinkInput[] }
  | { kind: 'publication'; id: string; value: PublicationInput | null };

export interface ApplyResult {
  /** Devices whose rule sets may have changed (added and removed devices included). */
  affected: string[];
  /** True when every rule set was invalidated (sites, deployments or flows changed). */
  all: boolean;
}

type Options = Omit<EngineOptions, 'deviceIds'>;

function depKey(node: NodeInput): string {
  // The engine treats a missing or empty deploymentId as the implicit deployment ('').
  return node.deploymentId || '';
}

function byNameThenId(a: NodeInput, b: NodeInput): number {
  return compareText(a.name, b.name) || compareText(a.id, b.id);
}

function add<K, V>(map: Map<K, Set<V>>, key: K, value: V): void {
  const set = map.get(key);
  if (set) set.add(value);
  else map.set(key, new Set([value]));
}

function remove<K, V>(map: Map<K, Set<V>>, key: K, value: V): void {
  const set = map.get(key);
  if (!set) return;
  set.delete(value);
  if (set.size === 0) map.delete(key);
}

function sameNode(a: NodeInput, b: NodeInput): boolean {
  return (
    a.siteId === b.siteId &&
    a.name === b.name &&
    a.role === b.role &&
    (a.collectorId ?? null) === (b.collectorId ?? null) &&
    (a.deploymentId ?? null) === (b.deploymentId ?? null) &&
    (a.masterId ?? null) === (b.masterId ?? null) &&
    a.addresses.join('\u0000') === b.addresses.join('\u0000') &&
    a.selectors.join('\u0000') === b.selectors.join('\u0000')
  );
}

/**
 * Equal when other firewalls read the two versions of a device alike on internet paths: its site, its name and
 * its interfaces' names, external flags and public addresses (egress addresses of its site, publications it
 * carries). Its zones and vendor only matter to itself.
 */
function samePublicFace(a: DeviceInput | undefined, b: DeviceInput | null): boolean {
  const face = (d: DeviceInput): string =>
    JSON.stringify([
      d.siteId,
      d.name,
      d.interfaces.map((i) => [i.name, i.external, i.publicAddresses ?? []]),
    ]);
  return a !== undefined && b !== null && face(a) === face(b);
}

/** Zone prefixes of every device → devices, to find the devices a node has an address inside. */
class Placement {
  private readonly exact = new Map<string, Set<string>>();
  private readonly byLength: Record<4 | 6, Map<number, Array<{ cidr: Cidr; device: string }>>> = {
    4: new Map(),
    6: new Map(),
  };

  constructor(devices: Iterable<DeviceInput>, zones: ReadonlyMap<string, ZoneInput>) {
    for (const device of devices) {
      for (const iface of device.interfaces) {
        if (iface.external) continue;
        for (const zoneId of iface.zoneIds) {
          const zone = zones.get(zoneId);
          if (!zone || zone.siteId !== device.siteId) continue;
          for (const text of zone.cidrs) {
            const cidr = tryParseCidr(text);
            if (!cidr) continue;
            add(this.exact, `${cidr.family}/${cidr.prefix}/${cidr.network.toString(16)}`, device.id);
            const list = this.byLength[cidr.family].get(cidr.prefix);
            if (list) list.push({ cidr, device: device.id });
            else this.byLength[cidr.family].set(cidr.prefix, [{ cidr, device: device.id }]);
          }
        }
      }
    }
  }

  /** Devices having a zone prefix that overlaps one of the addresses (a superset is harmless). */
  devicesOf(addresses: readonly string[]): Set<string> {
    const out = new Set<string>();
    for (const text of addresses) {
      const block = tryParseCidr(text);
      if (!block) continue;
      for (const [length, list] of this.byLength[block.family]) {
        if (length <= block.prefix) {
          const network = block.network & prefixMask(block.family, length);
          const hit = this.exact.get(`${block.family}/${length}/${network.toString(16)}`);
          if (hit) for (const d of hit) out.add(d);
        } else {
          for (const p of list) if (cidrContains(block, p.cidr)) out.add(p.device);
        }
      }
    }
    return out;
  }
}

/** An inventory with its rule sets, updated change by change. */
export class IncrementalRuleSets {
  private readonly nodes = new Map<string, NodeInput>();
  private readonly devices = new Map<string, DeviceInput>();
  private readonly zones = new Map<string, ZoneInput>();
  private readonly sites = new Map<string, SiteInput>();
  private readonly deployments = new Map<string, DeploymentInput>();
  private flows: CatalogFlow[] = [];
  private siteLinks: SiteLinkInput[] = [];
  private readonly publications = new Map<string, PublicationInput>();
  private readonly options: Options;

  /** deployment \0 role → node ids */
  private readonly byRole = new Map<string, Set<string>>();
  /** deployment \0 site → node ids */
  private readonly bySite = new Map<string, Set<string>>();
  /** deployment → node ids */
  private readonly byDeployment = new Map<string, Set<string>>();
  /** deployment \0 site \0 role (probes and masters) and deployment \0 \0 master → nodes by name, then id */
  private readonly ranked = new Map<string, NodeInput[]>();
  /** collectorId → nodes naming it */
  private readonly collectorRefs = new Map<string, Set<string>>();
  /** masterId → probes naming it */
  private readonly masterRefs = new Map<string, Set<string>>();
  /** catalog version \0 source role → target roles (flows to 'collector' excluded) */
  private targetRoles = new Map<string, Set<Role>>();
  /** catalog version \0 source role with at least one flow to 'collector' */
  private collectorFlows = new Set<string>();
  /** target role → source roles, over every catalog version */
  private sourceRoles = new Map<Role, Set<Role>>();

  private placement!: Placement;
  private readonly localDevices = new Map<string, Set<string>>();
  private readonly localNodes = new Map<string, Set<string>>();
  /** site → node ids (every deployment): the nodes whose egress addresses a site's firewalls make */
  private readonly siteNodes = new Map<string, Set<string>>();
  /** node id → ids of the publications naming it */
  private readonly nodePublications = new Map<string, Set<string>>();
  /** device id → ids of the publications carried by it */
  private readonly devicePublications = new Map<string, Set<string>>();

  private readonly cache = new Map<string, RuleSet>();

  constructor(inventory: Inventory, flows: CatalogFlow[], options: Options = {}) {
    this.options = { ...options };
    for (const s of inventory.sites) this.sites.set(s.id, s);
    for (const d of inventory.deployments ?? []) this.deployments.set(d.id, d);
    for (const z of inventory.zones) this.zones.set(z.id, z);
    for (const d of inventory.devices) this.devices.set(d.id, d);
    this.siteLinks = [...(inventory.siteLinks ?? [])];
    for (const p of inventory.publications ?? []) this.setPublication(p.id, p);
    this.setFlows(flows);
    this.placement = new Placement(this.devices.values(), this.zones);
    for (const n of inventory.nodes) this.addNode(n);
  }

  /** The current inventory (arrays in no particular order). */
  inventory(): Inventory {
    return {
      deployments: [...this.deployments.values()],
      sites: [...this.sites.values()],
      zones: [...this.zones.values()],
      nodes: [...this.nodes.values()],
      devices: [...this.devices.values()],
      siteLinks: [...this.siteLinks],
      publications: [...this.publications.values()],
    };
  }

  /**
   * True when some pair of sites reaches each other over the internet. Then a device's rule set also depends on
   * the nodes it publishes, on publications, on other sites' firewalls (their public addresses make egress
   * addresses) and on site links: the sub-inventory holds those too and changes reach further (see the top of
   * this file). Without internet paths publications and public addresses change no rule set (internet.ts), and
   * the sub-inventory leaves them out.
   */
  private internetActive(): boolean {
    for (const s of this.sites.values())
      if (s.onInternet === true || s.connectivity === 'internet') return true;
    return this.siteLinks.some((l) => l.connectivity === 'internet');
  }

  currentFlows(): CatalogFlow[] {
    return this.flows;
  }

  deviceIds(): string[] {
    return [...this.devices.keys()].sort(compareText);
  }

  /** Devices whose rule set is not computed yet. */
  pending(): string[] {
    return this.deviceIds().filter((id) => !this.cache.has(id));
  }

  /** The device's rule set (computed now when a change invalidated it), or null for an unknown device. */
  ruleSet(deviceId: string): RuleSet | null {
    const cached = this.cache.get(deviceId);
    if (cached) return cached;
    if (!this.devices.has(deviceId)) return null;
    const ruleSet = computeRuleSets(this.subInventory(deviceId), this.flows, {
      ...this.options,
      deviceIds: [deviceId],
    })[0];
    this.cache.set(deviceId, ruleSet);
    return ruleSet;
  }

  /** Computes every pending rule set: one full computation when many are pending, else one by one. */
  computePending(): void {
    const pending = this.pending();
    if (pending.length === 0) return;
    if (pending.length * 8 > this.devices.size) {
      for (const r of computeRuleSets(this.inventory(), this.flows, { ...this.options, deviceIds: pending }))
        this.cache.set(r.deviceId, r);
    } else {
      for (const id of pending) this.ruleSet(id);
    }
  }

  /** Every rule set, sorted by device id. */
  all(): RuleSet[] {
    this.computePending();
    return this.deviceIds().map((id) => this.cache.get(id) as RuleSet);
  }

  apply(changes: readonly InventoryChange[]): ApplyResult {
    const affected = new Set<string>();
    // Only site and site-link changes turn internet paths on or off, and they invalidate everything.
    const internet = this.internetActive();
    let all = false;
    let placementStale = false;
    for (const change of changes) {
      switch (change.kind) {
        case 'node':
          this.applyNode(change.id, change.value, affected, internet);
          break;
        case 'device': {
          const previous = this.devices.get(change.id);
          if (change.value) this.devices.set(change.id, change.value);
          else this.devices.delete(change.id);
          if (previous || change.value) affected.add(change.id);
          if (internet && !samePublicFace(previous, change.value)) {
            // Other firewalls see this one only through its public face: its external interfaces make its site's
            // egress addresses, and it resolves the publications it carries. Those are read wherever a node of its
            // site or a node it publishes is an end of a demand (that node, or a partner of it, is local to or
            // published on the reading device).
            const touched = new Set<string>();
            for (const site of new Set([previous?.siteId, change.value?.siteId])) {
              for (const id of (site !== undefined && this.siteNodes.get(site)) || []) touched.add(id);
            }
            for (const id of this.devicePublications.get(change.id) ?? []) {
              const publication = this.publications.get(id);
              if (publication) touched.add(publication.nodeId);
            }
            this.withPartners(touched);
            this.devicesOf(touched, affected, true);
          }
          placementStale = true;
          break;
        }
        case 'zone': {
          // A zone is only ever read by the firewalls of its site (placement), internet paths or not.
          const previous = this.zones.get(change.id);
          if (change.value) this.zones.set(change.id, change.value);
          else this.zones.delete(change.id);
          const sites = new Set([previous?.siteId, change.value?.siteId]);
          for (const d of this.devices.values()) if (sites.has(d.siteId)) affected.add(d.id);
          placementStale = true;
          break;
        }
        case 'site':
          if (change.value) this.sites.set(change.id, change.value);
          else this.sites.delete(change.id);
          all = true;
          break;
        case 'deployment':
          if (change.value) this.deployments.set(change.id, change.value);
          else this.deployments.delete(change.id);
          all = true;
          break;
        case 'flows':
          this.setFlows(change.value);
          all = true;
          break;
        case 'siteLinks':
          this.siteLinks = [...change.value];
          all = true;
          break;
        case 'publication': {
          // Only internet paths read publications: without any, nothing changes. With them, a publication is read
          // by its device (NAT entries) and wherever its node is an end of a demand (see the device case).
          const previous = this.publications.get(change.id);
          this.setPublication(change.id, change.value);
          if (!internet) break;
          const touched = new Set<string>();
          for (const p of [previous, change.value]) {
            if (!p) continue;
            touched.add(p.nodeId);
            if (this.devices.has(p.deviceId)) affected.add(p.deviceId);
          }
          this.withPartners(touched);
          this.devicesOf(touched, affected, true);
          break;
        }
      }
    }
    // Once, after every change of the batch: until then the placement may be stale, which misplaces nodes only on
    // the devices changed so far and the firewalls of the sites whose zones changed, all of them affected already
    // (an edit of every branch's wan is 1,000 device changes; rebuilding after each took minutes at 1,000 sites).
    if (placementStale) this.rebuildPlacement();
    if (all) {
      this.cache.clear();
      return { affected: this.deviceIds(), all: true };
    }
    for (const id of affected) this.cache.delete(id);
    return { affected: [...affected].sort(compareText), all: false };
  }

  private setPublication(id: string, value: PublicationInput | null): void {
    const previous = this.publications.get(id);
    if (previous) {
      remove(this.nodePublications, previous.nodeId, id);
      remove(this.devicePublications, previous.deviceId, id);
    }
    if (value) {
      this.publications.set(id, value);
      add(this.nodePublications, value.nodeId, id);
      add(this.devicePublications, value.deviceId, id);
    } else {
      this.publications.delete(id);
    }
  }

  private setFlows(flows: CatalogFlow[]): void {
    this.flows = flows;
    this.targetRoles = new Map();
    this.collectorFlows = new Set();
    this.sourceRoles = new Map();
    for (const f of flows) {
      const key = `${f.version}\u0000${f.from}`;
      if (f.to === 'collector') {
        this.collectorFlows.add(key);
      } else {
        add(this.targetRoles, key, f.to);
        add(this.sourceRoles, f.to, f.from);
      }
    }
  }

  private rebuildPlacement(): void {
    this.placement = new Placement(this.devices.values(), this.zones);
    this.localDevices.clear();
    this.localNodes.clear();
    for (const n of this.nodes.values()) this.place(n);
  }

  private place(node: NodeInput): void {
    const devices = this.placement.devicesOf(node.addresses);
    this.localDevices.set(node.id, devices);
    for (const d of devices) add(this.localNodes, d, node.id);
  }

  private rankedKeys(node: NodeInput): string[] {
    const dep = depKey(node);
    if (node.role === 'probe') return [`${dep}\u0000${node.siteId}\u0000probe`];
    if (node.role === 'master') return [`${dep}\u0000${node.siteId}\u0000master`, `${dep}\u0000\u0000master`];
    return [];
  }

  private addNode(node: NodeInput): void {
    const dep = depKey(node);
    this.nodes.set(node.id, node);
    add(this.byRole, `${dep}\u0000${node.role}`, node.id);
    add(this.bySite, `${dep}\u0000${node.siteId}`, node.id);
    add(this.byDeployment, dep, node.id);
    add(this.siteNodes, node.siteId, node.id);
    for (const key of this.rankedKeys(node)) {
      const list = this.ranked.get(key) ?? [];
      list.push(node);
      list.sort(byNameThenId);
      this.ranked.set(key, list);
    }
    if (node.collectorId) add(this.collectorRefs, node.collectorId, node.id);
    if (node.masterId) add(this.masterRefs, node.masterId, node.id);
    this.place(node);
  }

  private removeNode(node: NodeInput): void {
    const dep = depKey(node);
    this.nodes.delete(node.id);
    remove(this.byRole, `${dep}\u0000${node.role}`, node.id);
    remove(this.bySite, `${dep}\u0000${node.siteId}`, node.id);
    remove(this.byDeployment, dep, node.id);
    remove(this.siteNodes, node.siteId, node.id);
    for (const key of this.rankedKeys(node)) {
      const list = (this.ranked.get(key) ?? []).filter((n) => n.id !== node.id);
      if (list.length > 0) this.ranked.set(key, list);
      else this.ranked.delete(key);
    }
    if (node.collectorId) remove(this.collectorRefs, node.collectorId, node.id);
    if (node.masterId) remove(this.masterRefs, node.masterId, node.id);
    for (const d of this.localDevices.get(node.id) ?? []) remove(this.localNodes, d, node.id);
    this.localDevices.delete(node.id);
  }

  /** Same resolution as `InventoryIndex.collectorOf`. */
  private collectorOf(node: NodeInput): NodeInput | null {
    const dep = depKey(node);
    const explicit = node.collectorId ? this.nodes.get(node.collectorId) : undefined;
    if (explicit && depKey(explicit) === dep) return explicit.id === node.id ? null : explicit;
    const firstOther = (key: string): NodeInput | undefined =>
      this.ranked.get(key)?.find((n) => n.id !== node.id);
    return (
      firstOther(`${dep}\u0000${node.siteId}\u0000probe`) ??
      firstOther(`${dep}\u0000${node.siteId}\u0000master`) ??
      firstOther(`${dep}\u0000\u0000master`) ??
      null
    );
  }

  /** Same resolution as the engine's probe → master narrowing. */
  private masterOf(node: NodeInput): NodeInput | null {
    if (node.role !== 'probe' || !node.masterId) return null;
    const master = this.nodes.get(node.masterId);
    return master && master.role === 'master' && depKey(master) === depKey(node) ? master : null;
  }

  private catalogVersion(node: NodeInput): string | undefined {
    const site = this.sites.get(node.siteId);
    const deployment = node.deploymentId ? this.deployments.get(node.deploymentId) : undefined;
    return site?.catalogVersion ?? deployment?.catalogVersion ?? undefined;
  }

  /** Nodes that may exchange flows with `node`, in either direction (a superset; may add `node` itself). */
  private partners(node: NodeInput, into: Set<string>): void {
    const dep = depKey(node);
    const version = this.catalogVersion(node);
    const key = `${version ?? ''}\u0000${node.role}`;
    if (version !== undefined && this.collectorFlows.has(key)) {
      const collector = this.collectorOf(node);
      if (collector) into.add(collector.id);
    }
    for (const id of this.collectedBy(node)) into.add(id);
    const roles = new Set<Role>(version !== undefined ? (this.targetRoles.get(key) ?? []) : []);
    for (const role of this.sourceRoles.get(node.role) ?? []) roles.add(role);
    for (const role of roles) for (const id of this.byRole.get(`${dep}\u0000${role}`) ?? []) into.add(id);
    const master = this.masterOf(node);
    if (master) into.add(master.id);
  }

  /** Nodes whose resolved collector is `node`. */
  private collectedBy(node: NodeInput): string[] {
    return [...this.collectorCandidates(node)].filter((id) => {
      const other = this.nodes.get(id);
      return other !== undefined && this.collectorOf(other)?.id === node.id;
    });
  }

  /** Nodes whose resolved collector may be `node` (or may change when `node` changes). */
  private collectorCandidates(node: NodeInput): Set<string> {
    const out = new Set(this.collectorRefs.get(node.id) ?? []);
    const dep = depKey(node);
    if (node.role === 'master') {
      for (const id of this.byDeployment.get(dep) ?? []) out.add(id);
    } else if (node.role === 'probe') {
      for (const id of this.bySite.get(`${dep}\u0000${node.siteId}`) ?? []) out.add(id);
    }
    return out;
  }

  private applyNode(id: string, next: NodeInput | null, affected: Set<string>, internet: boolean): void {
    const previous = this.nodes.get(id) ?? null;
    if (previous === null && next === null) return;
    if (previous !== null && next !== null && sameNode(previous, next)) {
      this.nodes.set(id, next);
      return;
    }
    const touched = new Set<string>([id]);
    const candidates = new Set<string>(this.collectorRefs.get(id) ?? []);
    const masterNamers = new Set<string>(this.masterRefs.get(id) ?? []);
    for (const n of [previous, next]) {
      if (n) for (const c of this.collectorCandidates(n)) candidates.add(c);
    }
    const before = new Map<string, string | null>();
    for (const c of candidates) {
      const node = this.nodes.get(c);
      if (node) before.set(c, this.collectorOf(node)?.id ?? null);
    }
    if (previous) {
      this.partners(previous, touched);
      this.withNameDependents(previous, masterNamers, touched);
      this.devicesOf(touched, affected, internet);
      this.removeNode(previous);
    }
    touched.clear();
    touched.add(id);
    if (next) {
      this.addNode(next);
      this.partners(next, touched);
      this.withNameDependents(next, masterNamers, touched);
    }
    for (const c of candidates) {
      const node = this.nodes.get(c);
      if (!node) continue;
      const now = this.collectorOf(node)?.id ?? null;
      const then = before.get(c) ?? null;
      if (now === then) continue;
      touched.add(c);
      if (now) touched.add(now);
      if (then) touched.add(then);
    }
    this.devicesOf(touched, affected, internet);
  }

  /**
   * Nodes whose rules or names depend on `node` without being its partners' partners: a master's change moves
   * the narrowing of the probes naming it (they and every master are touched), and stable names carry a probe's
   * master name and a collected node's collector name in their signatures, so every device holding such a
   * probe or collected node (local to it or to one of its partners) must be recomputed too.
   */
  private withNameDependents(node: NodeInput, namers: ReadonlySet<string>, into: Set<string>): void {
    for (const id of this.collectedBy(node)) {
      const collected = this.nodes.get(id);
      if (!collected) continue;
      into.add(id);
      this.partners(collected, into);
    }
    // A probe's signature names whatever node its masterId points at, master or not (describe.ts).
    for (const probe of namers) {
      const p = this.nodes.get(probe);
      if (!p) continue;
      into.add(probe);
      this.partners(p, into);
      if (node.role !== 'master') continue;
      for (const m of this.byRole.get(`${depKey(p)}\u0000master`) ?? []) into.add(m);
    }
  }

  /**
   * The devices whose rule sets can involve the nodes: those the nodes are local to and, on internet paths, those
   * carrying their publications (a device's NAT entries and the rules admitting them involve the published node
   * and its partners, wherever the node sits behind the device).
   */
  private devicesOf(nodeIds: Iterable<string>, into: Set<string>, internet: boolean): void {
    for (const id of nodeIds) {
      for (const d of this.localDevices.get(id) ?? []) into.add(d);
      if (!internet) continue;
      for (const p of this.nodePublications.get(id) ?? []) {
        const deviceId = (this.publications.get(p) as PublicationInput).deviceId;
        if (this.devices.has(deviceId)) into.add(deviceId);
      }
    }
  }

  /** Adds the partners of the nodes (see {@link partners}). */
  private withPartners(nodeIds: Set<string>): void {
    for (const id of [...nodeIds]) {
      const node = this.nodes.get(id);
      if (node) this.partners(node, nodeIds);
    }
  }

  /**
   * The device, its site's zones, its local nodes and their partners, collectors pinned (see above). On internet
   * paths also the nodes it publishes and their partners, the publications of every included node with the
   * devices carrying them, every device of an included node's site (their public addresses are the site's egress
   * addresses) and the site links.
   */
  private subInventory(deviceId: string): Inventory {
    const device = this.devices.get(deviceId) as DeviceInput;
    const internet = this.internetActive();
    const ends = new Set(this.localNodes.get(deviceId) ?? []);
    if (internet) {
      for (const id of this.devicePublications.get(deviceId) ?? []) {
        const nodeId = (this.publications.get(id) as PublicationInput).nodeId;
        if (this.nodes.has(nodeId)) ends.add(nodeId);
      }
    }
    const included = new Set<string>();
    for (const id of ends) {
      included.add(id);
      this.partners(this.nodes.get(id) as NodeInput, included);
    }
    // Stable names carry a collected node's collector name and a probe's master name, so every included node
    // brings its resolved collector and master along (to a fixed point: a probe's own collector, …).
    const pending = [...included];
    while (pending.length > 0) {
      const node = this.nodes.get(pending.pop() as string) as NodeInput;
      const named = node.role === 'probe' && node.masterId ? this.nodes.get(node.masterId) : undefined;
      for (const other of [named, this.collectorOf(node)]) {
        if (other && !included.has(other.id)) {
          included.add(other.id);
          pending.push(other.id);
        }
      }
    }
    const nodes: NodeInput[] = [];
    for (const id of included) {
      const node = this.nodes.get(id) as NodeInput;
      const collector = this.collectorOf(node);
      nodes.push({ ...node, collectorId: collector ? collector.id : node.id });
    }
    const sub: Inventory = {
      deployments: [...this.deployments.values()],
      sites: [...this.sites.values()],
      zones: [...this.zones.values()].filter((z) => z.siteId === device.siteId),
      nodes,
      devices: [device],
    };
    if (!internet) return sub;
    const publications: PublicationInput[] = [];
    const deviceIds = new Set([deviceId]);
    const sites = new Set<string>();
    for (const id of included) {
      sites.add((this.nodes.get(id) as NodeInput).siteId);
      for (const p of this.nodePublications.get(id) ?? []) {
        const publication = this.publications.get(p) as PublicationInput;
        publications.push(publication);
        deviceIds.add(publication.deviceId);
      }
    }
    // Other devices' zones stay out: the engine reads a device's zones for that device's own rules only.
    for (const d of this.devices.values()) if (sites.has(d.siteId)) deviceIds.add(d.id);
    return {
      ...sub,
      devices: [...deviceIds].flatMap((id) => this.devices.get(id) ?? []),
      siteLinks: [...this.siteLinks],
      publications,
    };
  }
}
