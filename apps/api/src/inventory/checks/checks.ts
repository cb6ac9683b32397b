import { cidrsOverlap, tryParseCidr, type Cidr } from '@app/engine';
import type { Inventory, NodeInput, Role, SiteInput } from '@app/engine/model';
import { collectorRolesFor, effectiveCatalogVersion } from '../collector-roles';
import { endpointKey } from './endpoint';

/**
 * Guard rails over the inventory: things that are legal but probably wrong (`warning`), and stored data that a
 * write would be refused for today but that predates the refusal (`error`). Pure: inventory in, findings out.
 */
export const CHECK_CODES = [
  'NODE_OUTSIDE_ZONES',
  'NODE_ANY_ADDRESS',
  'ZONE_OVERLAP',
  'DEPLOYMENT_WITHOUT_MASTER',
  'COLLECTOR_NO_FIREWALL_PATH',
  'SELECTOR_UNKNOWN',
  'DEVICE_ENDPOINT_DUPLICATE',
  'INTERFACE_UNKNOWN',
] as const;
export type CheckCode = (typeof CHECK_CODES)[number];

export type CheckSeverity = 'warning' | 'error';
export type CheckEntityType = 'node' | 'zone' | 'device' | 'deployment';

export interface CheckEntity {
  type: CheckEntityType;
  id: string;
  name: string;
}

export interface InventoryCheck {
  code: CheckCode;
  severity: CheckSeverity;
  /** The entity's field the finding is about (`addresses.0`, `cidrs.1`, `managementUrl`). */
  field: string;
  message: string;
  entity: CheckEntity;
  /** Deployments the finding concerns (filtering by deployment or tenant); empty for provider-only findings. */
  deploymentIds: string[];
  /** Sites the finding concerns: a site-level finding belongs to every deployment with nodes there. */
  siteIds: string[];
}

export interface CheckDeployment {
  id: string;
  name: string;
  catalogVersion: string;
}

export interface CheckDevice {
  id: string;
  name: string;
  siteId: string;
  managementUrl: string;
  vdom: string | null;
  createdAt: Date;
}

export interface CheckInput {
  inventory: Inventory;
  deployments: CheckDeployment[];
  devices: CheckDevice[];
  /** Selectors the catalog flows of each version know (builtin and custom). */
  selectorsByVersion: ReadonlyMap<string, ReadonlySet<string>>;
}

type CheckFn = (input: CheckInput, index: Index) => InventoryCheck[];

/**
 * Lookups built once per run: every check walks the nodes once and asks these, so a run stays linear in the
 * inventory (a write answers with its findings, and 1,000 sites hold ~55,000 nodes).
 */
interface Index {
  siteName: Map<string, string>;
  site: Map<string, SiteInput>;
  deployment: Map<string, CheckDeployment>;
  node: Map<string, NodeInput>;
  /** Each site's zone CIDRs, parsed. */
  zoneCidrsBySite: Map<string, Cidr[]>;
  /** Masters by deployment (`''` for none) and probes by deployment and site: the default collectors. */
  masters: Map<string, NodeInput[]>;
  probes: Map<string, NodeInput[]>;
}

export function runChecks(input: CheckInput): InventoryCheck[] {
  const { inventory } = input;
  const zoneCidrsBySite = new Map<string, Cidr[]>();
  for (const zone of inventory.zones) {
    const list = zoneCidrsBySite.get(zone.siteId) ?? [];
    for (const text of zone.cidrs) {
      const cidr = tryParseCidr(text);
      if (cidr) list.push(cidr);
    }
    zoneCidrsBySite.set(zone.siteId, list);
  }
  const masters = new Map<string, NodeInput[]>();
  const probes = new Map<string, NodeInput[]>();
  for (const node of inventory.nodes) {
    if (node.role === 'master') append(masters, node.deploymentId ?? '', node);
    if (node.role === 'probe') append(probes, probeKey(node.deploymentId, node.siteId), node);
  }
  const index: Index = {
    siteName: new Map(inventory.sites.map((s) => [s.id, s.name])),
    site: new Map(inventory.sites.map((s) => [s.id, s])),
    deployment: new Map(input.deployments.map((d) => [d.id, d])),
    node: new Map(inventory.nodes.map((n) => [n.id, n])),
    zoneCidrsBySite,
    masters,
    probes,
  };
  return CHECKS.flatMap((check) => check(input, index));
}

function append<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

function probeKey(deploymentId: string | null | undefined, siteId: string): string {
  return `${deploymentId ?? ''}\u0000${siteId}`;
}

const ANY_ADDRESS_PREFIX = 0;

const nodeAnyAddress: CheckFn = ({ inventory }) =>
  inventory.nodes.flatMap((node) =>
    node.addresses.flatMap((address, i) => {
      const cidr = tryParseCidr(address);
      if (!cidr || cidr.prefix !== ANY_ADDRESS_PREFIX) return [];
      return [
        nodeCheck(node, {
          code: 'NODE_ANY_ADDRESS',
          field: `addresses.${i}`,
          message:
            `node ${node.name} stands for every ${cidr.family === 4 ? 'IPv4' : 'IPv6'} address (${address}): ` +
            'its rules would open UTMStack ports to the whole internet; give the real hosts or networks',
        }),
      ];
    }),
  );

const nodeOutsideZones: CheckFn = ({ inventory }, index) =>
  inventory.nodes.flatMap((node) => {
    const zoneCidrs = index.zoneCidrsBySite.get(node.siteId) ?? [];
    return node.addresses.flatMap((address, i) => {
      const cidr = tryParseCidr(address);
      // 0.0.0.0/0 has its own finding; a network that straddles zones is partly inside one, not outside all.
      if (!cidr || cidr.prefix === ANY_ADDRESS_PREFIX) return [];
      if (zoneCidrs.some((c) => cidrsOverlap(c, cidr))) return [];
      return [
        nodeCheck(node, {
          code: 'NODE_OUTSIDE_ZONES',
          field: `addresses.${i}`,
          message:
            `${address} of node ${node.name} is outside every zone of site ${index.siteName.get(node.siteId) ?? node.siteId}: ` +
            "the site's firewalls treat it as external (internet or another site); add a zone or fix the address",
        }),
      ];
    });
  });

/**
 * Zones of different sites that overlap, where one deployment has nodes at both sites: in its routed space an
 * address would be in two places, and rules for one site would also admit hosts of the other.
 */
const zoneOverlap: CheckFn = ({ inventory }, index) => {
  const sitesByDeployment = new Map<string, Set<string>>();
  for (const node of inventory.nodes) {
    const key = node.deploymentId ?? '';
    const sites = sitesByDeployment.get(key) ?? new Set<string>();
    sites.add(node.siteId);
    sitesByDeployment.set(key, sites);
  }
  const out: InventoryCheck[] = [];
  const zones = inventory.zones;
  for (const [a, b] of overlappingZonePairs(zones)) {
    const [za, zb] = [zones[a], zones[b]];
    if (za.siteId === zb.siteId) continue;
    const shared = [...sitesByDeployment.entries()]
      .filter(([, sites]) => sites.has(za.siteId) && sites.has(zb.siteId))
      .map(([id]) => id);
    if (!shared.length) continue;
    for (const [self, other] of [
      [za, zb],
      [zb, za],
    ]) {
      const i = self.cidrs.findIndex((c) => other.cidrs.some((o) => cidrsOverlap(c, o)));
      if (i < 0) continue;
      const theirs = other.cidrs.find((o) => cidrsOverlap(self.cidrs[i], o));
      const names = shared.map((id) => index.deployment.get(id)?.name ?? 'default').join(', ');
      out.push({
        code: 'ZONE_OVERLAP',
        severity: 'warning',
        field: `cidrs.${i}`,
        message:
          `${self.cidrs[i]} of zone ${self.name} (site ${index.siteName.get(self.siteId) ?? self.siteId}) overlaps ` +
          `${theirs} of zone ${other.name} (site ${index.siteName.get(other.siteId) ?? other.siteId}), both in ` +
          `the routed space of deployment ${names}`,
        entity: { type: 'zone', id: self.id, name: self.name },
        deploymentIds: shared.filter((id) => id !== ''),
        siteIds: [self.siteId, other.siteId],
      });
    }
  }
  return out;
};

/**
 * Index pairs (a < b, in ascending order) of zones with overlapping CIDRs, found by sorting the ranges and
 * sweeping instead of comparing every pair: 1,000 sites carry thousands of zones.
 */
function overlappingZonePairs(zones: Inventory['zones']): Array<[number, number]> {
  const ranges: Array<{ zone: number; family: number; start: bigint; end: bigint }> = [];
  zones.forEach((zone, i) => {
    for (const text of zone.cidrs) {
      const cidr = tryParseCidr(text);
      if (!cidr) continue;
      const size = 1n << BigInt((cidr.family === 4 ? 32 : 128) - cidr.prefix);
      ranges.push({ zone: i, family: cidr.family, start: cidr.network, end: cidr.network + size - 1n });
    }
  });
  ranges.sort((x, y) => x.family - y.family || (x.start < y.start ? -1 : x.start > y.start ? 1 : 0));
  const pairs = new Map<string, [number, number]>();
  for (let i = 0; i < ranges.length; i++) {
    const r = ranges[i];
    for (let j = i + 1; j < ranges.length; j++) {
      const q = ranges[j];
      if (q.family !== r.family || q.start > r.end) break;
      if (q.zone === r.zone) continue;
      const [a, b] = q.zone < r.zone ? [q.zone, r.zone] : [r.zone, q.zone];
      pairs.set(`${a},${b}`, [a, b]);
    }
  }
  return [...pairs.values()].sort((x, y) => x[0] - y[0] || x[1] - y[1]);
}

const deploymentWithoutMaster: CheckFn = ({ inventory, deployments }) => {
  const withMaster = new Set(
    inventory.nodes.filter((n) => n.role === 'master').map((n) => n.deploymentId ?? ''),
  );
  return deployments
    .filter((d) => !withMaster.has(d.id))
    .map((d) => ({
      code: 'DEPLOYMENT_WITHOUT_MASTER' as const,
      severity: 'warning' as const,
      field: 'nodes',
      message: `deployment ${d.name} has no master: agents, probes and consoles have nothing to reach, so no rule is computed for them`,
      entity: { type: 'deployment' as const, id: d.id, name: d.name },
      deploymentIds: [d.id],
      siteIds: [],
    }));
};

/**
 * A node whose collector is at another site, where neither site has a managed firewall: the traffic crosses
 * between sites but no device is on its path, so nothing this service computes will ever carry it.
 */
const collectorNoFirewallPath: CheckFn = ({ inventory }, index) => {
  const sitesWithDevice = new Set(inventory.devices.map((d) => d.siteId));
  return inventory.nodes.flatMap((node) => {
    const deployment = node.deploymentId ? index.deployment.get(node.deploymentId) : undefined;
    const site = index.site.get(node.siteId);
    if (!deployment || !site) return [];
    const collectors = collectorsOf(
      node,
      effectiveCatalogVersion({ catalogVersion: site.catalogVersion ?? null }, deployment),
      index,
    );
    return collectors
      .filter((c) => c.siteId !== node.siteId)
      .filter((c) => !sitesWithDevice.has(node.siteId) && !sitesWithDevice.has(c.siteId))
      .map((c) =>
        nodeCheck(node, {
          code: 'COLLECTOR_NO_FIREWALL_PATH',
          field: 'collectorId',
          message:
            `node ${node.name} reports to ${c.role} ${c.name} at site ${index.siteName.get(c.siteId) ?? c.siteId}, ` +
            `but neither that site nor ${index.siteName.get(node.siteId) ?? node.siteId} has a managed firewall: ` +
            'no rule will carry this traffic; add the firewalls or pick a collector at the same site',
        }),
      );
  });
};

/** The collectors a collected node reports to: its explicit one, else a probe of its site (v9), else the masters. */
function collectorsOf(node: NodeInput, catalogVersion: string, index: Index): NodeInput[] {
  if (!(['agent', 'agentless'] as Role[]).includes(node.role)) return [];
  if (node.collectorId) {
    const explicit = index.node.get(node.collectorId);
    return explicit ? [explicit] : [];
  }
  const allowed = collectorRolesFor(catalogVersion);
  const probe = allowed.includes('probe')
    ? (index.probes.get(probeKey(node.deploymentId, node.siteId)) ?? [])
    : [];
  return probe.length ? probe : (index.masters.get(node.deploymentId ?? '') ?? []);
}

/** Stored nodes whose selectors their catalog version does not know (saved before writes were checked). */
const selectorUnknown: CheckFn = ({ inventory, selectorsByVersion }, index) =>
  inventory.nodes.flatMap((node) => {
    const deployment = node.deploymentId ? index.deployment.get(node.deploymentId) : undefined;
    const site = index.site.get(node.siteId);
    if (!deployment || !site) return [];
    const version = effectiveCatalogVersion({ catalogVersion: site.catalogVersion ?? null }, deployment);
    const known = selectorsByVersion.get(version) ?? new Set<string>();
    return node.selectors.flatMap((selector, i) =>
      known.has(selector)
        ? []
        : [
            {
              ...nodeCheck(node, {
                code: 'SELECTOR_UNKNOWN',
                field: `selectors.${i}`,
                message: unknownSelectorMessage(selector, version, known),
              }),
              severity: 'error' as const,
            },
          ],
    );
  });

/** Device records that share a management endpoint (saved before the unique endpoint): the second plan wins. */
const deviceEndpointDuplicate: CheckFn = ({ devices }) => {
  const byKey = new Map<string, CheckDevice[]>();
  for (const device of devices) {
    const key = endpointKey(device.managementUrl, device.vdom);
    if (!key) continue;
    byKey.set(key, [...(byKey.get(key) ?? []), device]);
  }
  return [...byKey.values()]
    .filter((group) => group.length > 1)
    .flatMap((group) => {
      const sorted = [...group].sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
      return sorted.map((device) => ({
        code: 'DEVICE_ENDPOINT_DUPLICATE' as const,
        severity: 'error' as const,
        field: 'managementUrl',
        message:
          `device ${device.name} shares its management endpoint ${device.managementUrl}` +
          `${device.vdom ? ` (vdom ${device.vdom})` : ''} with ` +
          `${sorted
            .filter((d) => d.id !== device.id)
            .map((d) => d.name)
            .join(', ')}: each record's plan deletes the other's rules; keep one record`,
        entity: { type: 'device' as const, id: device.id, name: device.name },
        deploymentIds: [],
        siteIds: [device.siteId],
      }));
    });
};

const CHECKS: CheckFn[] = [
  nodeOutsideZones,
  nodeAnyAddress,
  zoneOverlap,
  deploymentWithoutMaster,
  collectorNoFirewallPath,
  selectorUnknown,
  deviceEndpointDuplicate,
];

export function unknownSelectorMessage(
  selector: string,
  catalogVersion: string,
  known: ReadonlySet<string>,
): string {
  const list = [...known].sort();
  return (
    `selector "${selector}" is not used by any flow of ${catalogVersion}, so it would produce no rule; ` +
    `known selectors: ${list.length ? list.join(', ') : '(none)'}`
  );
}

function nodeCheck(
  node: NodeInput,
  check: { code: CheckCode; field: string; message: string },
): InventoryCheck {
  return {
    ...check,
    severity: 'warning',
    entity: { type: 'node', id: node.id, name: node.name },
    deploymentIds: node.deploymentId ? [node.deploymentId] : [],
    siteIds: [node.siteId],
  };
}
