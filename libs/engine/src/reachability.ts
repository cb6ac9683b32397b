/**
 * Reachability between two nodes: which catalog flows require traffic from → to, which devices lie on the
 * path (with their ingress and egress interface), and which rules of the given rule sets allow it.
 */
import {
  EngineInputError,
  flowsBetween,
  IndexedNode,
  indexFlows,
  InventoryIndex,
  Side,
} from './inventory-index';
import { Cidr, cidrIntervals, cidrLast, parseCidr } from './ip';
import type {
  CatalogFlow,
  DeploymentRef,
  Inventory,
  PortRange,
  Protocol,
  ReachabilityFilter,
  ReachabilityHop,
  ReachabilityResult,
  ReachabilityRuleMatch,
  RuleSet,
  TrafficSpec,
} from './model';
import { PROTOCOLS } from './model';
import { intersectPorts, normalizePorts, portsOverlap, subtractPorts } from './ports';

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
): ReachabilityHop {
  const device = index.devices[deviceIdx].device;
  const srcSet = index.sets.sets[src.setId];
  const dstSet = index.sets.sets[dst.setId];
  const objects = new Map(
    (ruleSet?.addresses ?? []).map((o) => [o.name, cidrIntervals(o.entries.map(parseCidr))]),
  );
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
    if (!overlapsAny(srcSet.cidrs, srcObject) || !overlapsAny(dstSet.cidrs, dstObject)) continue;
    const complete = containedIn(srcSet.cidrs, srcObject) && containedIn(dstSet.cidrs, dstObject);
    const ports = intersectPorts(service.ports, wanted.ports);
    if (complete) covered[rule.protocol].push(...ports);
    rules.push({ deviceId: device.id, ruleName: rule.name, protocol: rule.protocol, ports, complete });
  }
  const missing = checked
    .map((c) => ({ protocol: c.protocol, ports: subtractPorts(c.ports, covered[c.protocol]) }))
    .filter((c) => c.ports.length > 0);
  return {
    deviceId: device.id,
    deviceName: device.name,
    vendor: device.vendor,
    family: src.family,
    ingress: src.iface,
    egress: dst.iface,
    sourceCidrs: [...srcSet.entries],
    destinationCidrs: [...dstSet.entries],
    rules,
    missing,
  };
}

function deploymentRef(node: IndexedNode): DeploymentRef | null {
  return node.deployment ? { id: node.deployment.id, name: node.deployment.name } : null;
}

function nodeOrThrow(index: InventoryIndex, id: string): IndexedNode {
  const node = index.nodeById.get(id);
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
  const checked = checkedTraffic(required, filter);
  const ruleSetByDevice = new Map(ruleSets.map((r) => [r.deviceId, r]));
  const hops: ReachabilityHop[] = [];
  if (from !== to) {
    for (const d of index.candidateDevices(from, to).sort((a, b) => a - b)) {
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
    allowed: checked.length > 0 && hops.every((h) => h.missing.length === 0),
  };
}
