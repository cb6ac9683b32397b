/**
 * Reachability between two nodes: which catalog flows require traffic from → to, which devices lie on the
 * path (with their ingress and egress interface), and which rules of the given rule sets allow it.
 */
import { compareText } from './compare';
import { describeNodes } from './describe';
import { carrierOf, InternetIndex, ResolvedPublication, toExternal } from './internet';
import {
  EngineInputError,
  FlowTable,
  flowsBetween,
  IndexedFlow,
  IndexedNode,
  indexFlows,
  InventoryIndex,
  placeOnDevice,
  Side,
} from './inventory-index';
import { Cidr, cidrIntervals, cidrLast, parseCidr } from './ip';
import type {
  CatalogFlow,
  DeploymentRef,
  Inventory,
  PortRange,
  Protocol,
  ReachabilityCarried,
  ReachabilityFilter,
  ReachabilityHop,
  ReachabilityResult,
  ReachabilityRuleMatch,
  ReachabilityTranslation,
  RuleSet,
  TrafficSpec,
} from './model';
import { PROTOCOLS } from './model';
import { formatPorts, intersectPorts, normalizePorts, portsOverlap, subtractPorts } from './ports';

type Intervals = Array<[bigint, bigint]>;

function overlapsAny(cidrs: readonly Cidr[], intervals: Intervals): boolean {
  return cidrs.some((c) => {
    const last = cidrLast(c);
    return intervals.some(([first, end]) => c.network <= end && first <= last);
  });
}

function containedIn(cidrs: readonly Cidr[], intervals: Intervals): boolean {
  return cidrs.every((c) => {
    const last = cidrLast(c);
    return intervals.some(([first, end]) => first <= c.network && last <= end);
  });
}

function checkedTraffic(flows: ReturnType<typeof flowsBetween>, filter: ReachabilityFilter): TrafficSpec[] {
  const only = filter.port === undefined ? null : [{ from: filter.port, to: filter.port }];
  const checked: TrafficSpec[] = [];
  for (const protocol of PROTOCOLS) {
    let ports = normalizePorts(flows.filter((f) => f.flow.protocol === protocol).flatMap((f) => f.ports));
    if (only) ports = intersectPorts(ports, only);
    if (ports.length > 0) checked.push({ protocol, ports });
  }
  if (checked.length === 0 && flows.length === 0 && filter.protocol && only) {
    checked.push({ protocol: filter.protocol, ports: only });
  }
  return checked;
}

function hop(
  index: InventoryIndex,
  ruleSet: RuleSet | undefined,
  deviceIdx: number,
  src: Side,
  dst: Side,
  checked: readonly TrafficSpec[],
  translated?: ReachabilityTranslation[],
): ReachabilityHop {
  const device = index.devices[deviceIdx].device;
  const srcCidrs = index.sets.cidrs(src.setId);
  const dstCidrs = index.sets.cidrs(dst.setId);
  const objects = new Map(
    (ruleSet?.addresses ?? []).map((o) => [o.name, cidrIntervals(o.entries.map(parseCidr))]),
  );
  // A FortiOS policy names the VIP as its destination: it stands for the VIP's private target.
  for (const entry of ruleSet?.nat ?? []) {
    if (!objects.has(entry.name)) objects.set(entry.name, cidrIntervals([parseCidr(entry.target)]));
  }
  const services = new Map((ruleSet?.services ?? []).map((s) => [s.name, s]));
  const rules: ReachabilityRuleMatch[] = [];
  const covered: Record<Protocol, PortRange[]> = { tcp: [], udp: [] };
  for (const rule of ruleSet?.rules ?? []) {
    if (rule.ingress !== src.iface || rule.egress !== dst.iface || rule.family !== src.family) continue;
    const srcObject = objects.get(rule.source) ?? [];
    const dstObject = objects.get(rule.destination) ?? [];
    const service = services.get(rule.service);
    const wanted = checked.find((c) => c.protocol === rule.protocol);
    if (!service || !wanted || !portsOverlap(service.ports, wanted.ports)) continue;
    if (!overlapsAny(srcCidrs, srcObject) || !overlapsAny(dstCidrs, dstObject)) continue;
    const complete = containedIn(srcCidrs, srcObject) && containedIn(dstCidrs, dstObject);
    const ports = intersectPorts(service.ports, wanted.ports);
    if (complete) covered[rule.protocol].push(...ports);
    rules.push({ deviceId: device.id, ruleName: rule.name, protocol: rule.protocol, ports, complete });
  }
  // On the hop that forwards, traffic no NAT entry of the device translates is missing too.
  const forwarded: Record<Protocol, PortRange[]> = { tcp: [], udp: [] };
  for (const t of translated ?? []) forwarded[t.protocol].push(t.targetPorts);
  const missing = checked
    .map((c) => {
      let ports = subtractPorts(c.ports, covered[c.protocol]);
      if (translated) ports = normalizePorts([...ports, ...subtractPorts(c.ports, forwarded[c.protocol])]);
      return { protocol: c.protocol, ports };
    })
    .filter((c) => c.ports.length > 0);
  return {
    deviceId: device.id,
    deviceName: device.name,
    vendor: device.vendor,
    family: src.family,
    ingress: src.iface,
    egress: dst.iface,
    sourceCidrs: [...index.sets.entries(src.setId)],
    destinationCidrs: [...index.sets.entries(dst.setId)],
    rules,
    missing,
    ...(translated ? { translations: translated } : {}),
  };
}

function deploymentRef(node: IndexedNode): DeploymentRef | null {
  return node.deployment ? { id: node.deployment.id, name: node.deployment.name } : null;
}

function nodeOrThrow(index: InventoryIndex, id: string): IndexedNode {
  const node = index.nodeWithId(id);
  if (!node) throw new EngineInputError(`unknown node "${id}"`);
  return node;
}

/**
 * Traces traffic from one node to another. `flows` are the catalog flows (builtin and custom) and
 * `ruleSets` the rule sets to check (normally `computeRuleSets` output, or rule sets read from devices in
 * the same shape). Throws {@link EngineInputError} for unknown node ids.
 */
export function traceReachability(
  inventory: Inventory,
  flows: CatalogFlow[],
  ruleSets: RuleSet[],
  fromNodeId: string,
  toNodeId: string,
  filter: ReachabilityFilter = {},
): ReachabilityResult {
  const index = new InventoryIndex(inventory);
  const table = indexFlows(flows);
  const from = nodeOrThrow(index, fromNodeId);
  const to = nodeOrThrow(index, toNodeId);
  const required = flowsBetween(index, table, from, to).filter(
    (f) =>
      (!filter.protocol || f.flow.protocol === filter.protocol) &&
      (filter.port === undefined || f.ports.some((r) => r.from <= filter.port! && filter.port! <= r.to)),
  );
  const internet = new InternetIndex(index, inventory);
  const path = internet.path(from, to);
  const ruleSetByDevice = new Map(ruleSets.map((r) => [r.deviceId, r]));
  const hops: ReachabilityHop[] = [];
  if (path === 'internet') {
    const traced = traceInternet(index, table, internet, ruleSetByDevice, from, to, required, filter);
    return {
      ...result(fromNodeId, toNodeId, from, to, required, traced.checked, traced.hops),
      path,
      carried: traced.carried,
      unpublished: traced.unpublished,
      allowed:
        (traced.checked.length > 0 || traced.carried.length > 0) &&
        traced.unpublished.length === 0 &&
        traced.hops.every((h) => h.missing.length === 0),
    };
  }
  const checked = checkedTraffic(required, filter);
  if (from !== to) {
    for (const d of index.candidateDevices(from, to).sort((a, b) => a - b)) {
      // as in compute.ts: a firewall of a site that reaches either end over the internet is not on this path
      if (internet.active && internet.offPath(d, from, to)) continue;
      const device = index.devices[d];
      const dstSides = index.sides(to, device);
      for (const src of index.sides(from, device)) {
        for (const dst of dstSides) {
          if (src.family === dst.family && src.iface !== dst.iface) {
            hops.push(hop(index, ruleSetByDevice.get(device.device.id), d, src, dst, checked));
          }
        }
      }
    }
  }
  return {
    ...result(fromNodeId, toNodeId, from, to, required, checked, hops),
    path,
    allowed: checked.length > 0 && hops.every((h) => h.missing.length === 0),
  };
}

function result(
  fromNodeId: string,
  toNodeId: string,
  from: IndexedNode,
  to: IndexedNode,
  required: readonly IndexedFlow[],
  checked: TrafficSpec[],
  hops: ReachabilityHop[],
): Omit<ReachabilityResult, 'allowed'> {
  return {
    fromNodeId,
    toNodeId,
    fromDeployment: deploymentRef(from),
    toDeployment: deploymentRef(to),
    catalogVersion: from.catalogVersion ?? null,
    flows: required.map((f) => ({
      flowId: f.flow.id,
      catalogVersion: f.flow.version,
      protocol: f.flow.protocol,
      ports: f.ports.map((r) => ({ ...r })),
      purpose: f.flow.purpose,
      selector: f.flow.selector ?? null,
    })),
    checked,
    hops,
  };
}

/** "9390/tcp, 8888/tcp": a flow's ports as the catalog lists them. */
function listPorts(flow: IndexedFlow): string {
  return flow.flow.ports.map((r) => `${formatPorts([r])}/${flow.flow.protocol}`).join(', ');
}

/** Traffic per protocol, normalised, in protocol order. */
function byProtocol(
  parts: ReadonlyArray<{ protocol: Protocol; ports: readonly PortRange[] }>,
): TrafficSpec[] {
  return PROTOCOLS.map((protocol) => ({
    protocol,
    ports: normalizePorts(parts.filter((p) => p.protocol === protocol).flatMap((p) => p.ports)),
  })).filter((t) => t.ports.length > 0);
}

/**
 * An internet path: carried flows set aside; the rest checked on the source site's firewalls (towards the
 * public address, external ports), on the publication's firewall (the forward and the rule admitting it,
 * internal ports) and on the destination site's inner firewalls; what no publication forwards is unpublished.
 */
function traceInternet(
  index: InventoryIndex,
  table: FlowTable,
  internet: InternetIndex,
  ruleSetByDevice: ReadonlyMap<string, RuleSet>,
  from: IndexedNode,
  to: IndexedNode,
  required: readonly IndexedFlow[],
  filter: ReachabilityFilter,
): {
  checked: TrafficSpec[];
  hops: ReachabilityHop[];
  carried: ReachabilityCarried[];
  unpublished: TrafficSpec[];
} {
  const carried: ReachabilityCarried[] = [];
  const crossing: IndexedFlow[] = [];
  for (const f of required) {
    const carrier = carrierOf(index, table, internet, from, to, f);
    if (!carrier) {
      crossing.push(f);
      continue;
    }
    carried.push({
      flowId: f.flow.id,
      carrierFlowId: carrier.flow.id,
      text:
        `${describeNodes([from])} → ${describeNodes([to])}: ${f.flow.purpose} ${listPorts(f)} ` +
        `carried inside ${carrier.flow.id} ${listPorts(carrier)}`,
    });
  }
  const checked = required.length > 0 && crossing.length === 0 ? [] : checkedTraffic(crossing, filter);
  const hops: ReachabilityHop[] = [];
  const ruleSetOf = (d: number): RuleSet | undefined => ruleSetByDevice.get(index.devices[d].device.id);
  const egress = internet.egressSet(from);
  if (egress === null) return { checked, hops, carried, unpublished: checked };
  const sourceHops = (dstSetId: number, traffic: TrafficSpec[]): void => {
    if (internet.onInternet(from.node.siteId) || traffic.length === 0) return;
    for (const device of index.devices) {
      if (
        device.device.siteId !== from.node.siteId ||
        !from.devices.includes(device.idx) ||
        device.external === null
      ) {
        continue;
      }
      const dst: Side = { iface: device.external, family: 4, setId: dstSetId };
      for (const src of index.sides(from, device)) {
        if (src.family === 4 && src.iface !== device.external) {
          hops.push(hop(index, ruleSetOf(device.idx), device.idx, src, dst, traffic));
        }
      }
    }
  };
  if (internet.onInternet(to.node.siteId)) {
    const dst = internet.internetSet(to);
    if (dst === null) return { checked, hops, carried, unpublished: checked };
    sourceHops(dst, checked);
    return { checked, hops, carried, unpublished: [] };
  }
  // the forwarded part of the checked traffic, per publication
  const wanted = (protocol: Protocol): PortRange[] =>
    checked.find((c) => c.protocol === protocol)?.ports ?? [];
  const forwarded: PortRange[][] = [[], []];
  const perPublication = new Map<
    ResolvedPublication,
    Array<{ protocol: Protocol; ports: PortRange[]; external: PortRange[] }>
  >();
  for (const delivery of internet.deliveries(to, crossing)) {
    for (const c of delivery.covered) {
      const ports = intersectPorts(c.ports, wanted(c.entry.protocol));
      if (ports.length === 0) continue;
      forwarded[PROTOCOLS.indexOf(c.entry.protocol)].push(...ports);
      const list = perPublication.get(c.publication) ?? [];
      list.push({ protocol: c.entry.protocol, ports, external: toExternal(c.entry, ports) });
      perPublication.set(c.publication, list);
    }
  }
  const unpublished = checked
    .map((c) => ({
      protocol: c.protocol,
      ports: subtractPorts(c.ports, forwarded[PROTOCOLS.indexOf(c.protocol)]),
    }))
    .filter((c) => c.ports.length > 0);
  const publications = [...perPublication.keys()].sort((a, b) =>
    compareText(a.publication.id, b.publication.id),
  );
  // 1. the source site's firewalls, towards each public address
  for (const publication of publications) {
    const parts = perPublication.get(publication) ?? [];
    sourceHops(
      publication.publicSetId,
      byProtocol(parts.map((p) => ({ protocol: p.protocol, ports: p.external }))),
    );
  }
  for (const publication of publications) {
    const traffic = byProtocol(perPublication.get(publication) ?? []);
    const target: Side = { iface: '', family: 4, setId: publication.targetSetId };
    const source: Side = { iface: publication.iface, family: 4, setId: egress };
    // 2. the firewall that forwards
    const pubDevice = publication.device;
    const [placed] = placeOnDevice(pubDevice, publication.target);
    if (placed) {
      const ruleSet = ruleSetOf(pubDevice.idx);
      const translations: ReachabilityTranslation[] = (ruleSet?.nat ?? [])
        .filter(
          (n) =>
            n.publicationId === publication.publication.id &&
            traffic.some((t) => t.protocol === n.protocol && portsOverlap(t.ports, [n.targetPorts])),
        )
        .map((n) => ({
          natEntry: n.name,
          protocol: n.protocol,
          externalAddress: n.externalAddress,
          externalPorts: { ...n.externalPorts },
          target: n.target,
          targetPorts: { ...n.targetPorts },
          text:
            `${pubDevice.device.name}: ${n.interface} ${n.externalAddress}:${formatPorts([n.externalPorts])} → ` +
            `${to.node.name} ${n.target}:${formatPorts([n.targetPorts])}`,
        }));
      hops.push(
        hop(index, ruleSet, pubDevice.idx, source, { ...target, iface: placed.iface }, traffic, translations),
      );
    }
    // 3. the destination site's other firewalls between the outside and the target
    for (const device of index.devices) {
      if (device === pubDevice || device.device.siteId !== to.node.siteId || !to.devices.includes(device.idx))
        continue;
      if (device.external === null) continue;
      const [inner] = placeOnDevice(device, publication.target);
      if (!inner || inner.iface === device.external) continue;
      hops.push(
        hop(
          index,
          ruleSetOf(device.idx),
          device.idx,
          { ...source, iface: device.external },
          { ...target, iface: inner.iface },
          traffic,
        ),
      );
    }
  }
  return { checked, hops, carried, unpublished };
}
