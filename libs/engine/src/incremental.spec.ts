/**
 * Incremental vs full: random inventories and random change sequences (nodes added, removed, moved,
 * renamed, re-addressed, given another role, collector, master, deployment or selectors; now and then a
 * zone, device, site or the flows), and after every step each device's rule set from
 * {@link IncrementalRuleSets} (cached when the change did not affect it, recomputed on its own
 * sub-inventory when it did) must be byte-identical, hash included, to a full `computeRuleSets`.
 */
import fc from 'fast-check';
import { computeRuleSets } from './compute';
import { IncrementalRuleSets, InventoryChange } from './incremental';
import type {
  CatalogFlow,
  DeviceInput,
  Inventory,
  NodeInput,
  PublicationInput,
  Role,
  RuleSet,
  SiteLinkInput,
  ZoneInput,
} from './model';
import { ROLES } from './model';

const FLOWS: CatalogFlow[] = [
  {
    id: 'v1-agent',
    version: 'v1',
    from: 'agent',
    to: 'collector',
    protocol: 'tcp',
    ports: [{ from: 1, to: 2 }],
    purpose: 'logs',
  },
  {
    id: 'v1-src',
    version: 'v1',
    from: 'agentless',
    to: 'collector',
    protocol: 'udp',
    ports: [{ from: 3, to: 3 }],
    purpose: 'syslog',
    selector: 'syslog',
  },
  {
    id: 'v1-probe',
    version: 'v1',
    from: 'probe',
    to: 'master',
    protocol: 'tcp',
    ports: [{ from: 4, to: 4 }],
    purpose: 'probe',
  },
  {
    id: 'v1-master',
    version: 'v1',
    from: 'master',
    to: 'probe',
    protocol: 'tcp',
    ports: [{ from: 5, to: 5 }],
    purpose: 'master',
  },
  {
    id: 'v1-console',
    version: 'v1',
    from: 'console',
    to: 'master',
    protocol: 'tcp',
    ports: [{ from: 6, to: 6 }],
    purpose: 'ui',
  },
  {
    id: 'v2-agent',
    version: 'v2',
    from: 'agent',
    to: 'master',
    protocol: 'tcp',
    ports: [{ from: 1, to: 1 }],
    purpose: 'agent',
  },
  {
    id: 'v2-src',
    version: 'v2',
    from: 'agentless',
    to: 'collector',
    protocol: 'tcp',
    ports: [{ from: 2, to: 3 }],
    purpose: 'http',
    selector: 'http',
  },
  {
    id: 'v2-peer',
    version: 'v2',
    from: 'agent',
    to: 'agent',
    protocol: 'udp',
    ports: [{ from: 6, to: 6 }],
    purpose: 'peer',
    selector: 'peer',
  },
];

/** Small deterministic PRNG, so a failing seed replays. */
function rng(seed: number): {
  int(n: number): number;
  pick<T>(list: readonly T[]): T;
  chance(p: number): boolean;
} {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    int: (n) => Math.floor(next() * n),
    pick: (list) => list[Math.floor(next() * list.length)],
    chance: (p) => next() < p,
  };
}

type Rng = ReturnType<typeof rng>;

const SITES = ['s1', 's2', 's3'];
const DEPLOYMENTS = ['d1', 'd2'];

function randomAddresses(r: Rng): string[] {
  const out = new Set<string>();
  const count = 1 + r.int(2);
  for (let i = 0; i < count; i++) {
    if (r.chance(0.8)) {
      const prefix = r.pick([32, 32, 32, 30, 28]);
      const size = 2 ** (32 - prefix);
      out.add(`10.0.${r.int(4)}.${r.int(64 / size) * size}/${prefix}`);
    } else {
      out.add(`2001:db8:${r.int(3)}::${r.int(16).toString(16)}/128`);
    }
  }
  return [...out];
}

function randomZone(r: Rng, id: string): ZoneInput {
  const third = r.int(4);
  const cidrs = [r.chance(0.5) ? `10.0.${third}.0/26` : `10.0.${third}.${r.pick([0, 16, 32])}/28`];
  if (r.chance(0.3)) cidrs.push(`2001:db8:${r.int(3)}::/64`);
  return { id, siteId: r.pick(SITES), name: id, cidrs };
}

function randomDevice(r: Rng, id: string, zones: readonly ZoneInput[]): DeviceInput {
  const siteId = r.pick(SITES);
  const own = zones.filter((z) => z.siteId === siteId).map((z) => z.id);
  const interfaces: DeviceInput['interfaces'] = [];
  for (const name of ['a', 'b', 'c'].slice(0, 1 + r.int(3))) {
    interfaces.push({ name, external: false, zoneIds: own.filter(() => r.chance(0.5)) });
  }
  if (r.chance(0.8)) interfaces.push({ name: 'wan', external: true, zoneIds: [] });
  return {
    id,
    siteId,
    name: `fw-${id}`,
    vendor: r.pick(['pfsense', 'fortios', 'opnsense'] as const),
    interfaces,
  };
}

function randomNode(r: Rng, id: string, others: readonly NodeInput[]): NodeInput {
  const role: Role = r.pick([...ROLES, 'agent', 'agent', 'probe', 'master']);
  const ref = (): string | null => (others.length > 0 && r.chance(0.3) ? r.pick(others).id : null);
  return {
    id,
    siteId: r.pick(SITES),
    name: r.pick(['n', 'x', 'y', id]) + (r.chance(0.5) ? '' : id),
    role,
    addresses: randomAddresses(r),
    collectorId: ref(),
    masterId: ref(),
    selectors: r.chance(0.5) ? [] : [r.pick(['syslog', 'http', 'peer'])],
    deploymentId: r.pick(DEPLOYMENTS),
  };
}

function randomInventory(r: Rng): Inventory {
  const zones = Array.from({ length: 4 + r.int(4) }, (_, i) => randomZone(r, `z${i}`));
  const nodes: NodeInput[] = [];
  for (let i = 0; i < 6 + r.int(14); i++) nodes.push(randomNode(r, `n${i}`, nodes));
  return {
    deployments: DEPLOYMENTS.map((id) => ({ id, name: `dep-${id}`, catalogVersion: r.pick(['v1', 'v2']) })),
    sites: SITES.map((id) => ({
      id,
      name: `site-${id}`,
      catalogVersion: r.chance(0.3) ? r.pick(['v1', 'v2']) : null,
    })),
    zones,
    nodes,
    devices: Array.from({ length: 2 + r.int(4) }, (_, i) => randomDevice(r, `dev${i}`, zones)),
  };
}

function randomChange(r: Rng, inventory: Inventory, counter: { next: number }): InventoryChange {
  const roll = r.int(100);
  const nodes = inventory.nodes;
  if (roll < 20 || nodes.length === 0) {
    const id = `m${counter.next++}`;
    return { kind: 'node', id, value: randomNode(r, id, nodes) };
  }
  const node = r.pick(nodes);
  if (roll < 30) return { kind: 'node', id: node.id, value: null };
  if (roll < 85) {
    const fresh = randomNode(r, node.id, nodes);
    const field = r.pick([
      'siteId',
      'name',
      'role',
      'addresses',
      'collectorId',
      'masterId',
      'selectors',
      'deploymentId',
      'all',
    ] as const);
    const value: NodeInput = field === 'all' ? fresh : { ...node, [field]: fresh[field] };
    if (field === 'collectorId' && nodes.length > 0) value.collectorId = r.pick(nodes).id;
    if (field === 'masterId' && nodes.length > 0) value.masterId = r.pick(nodes).id;
    return { kind: 'node', id: node.id, value };
  }
  if (roll < 90) {
    const zone = r.pick(inventory.zones);
    return {
      kind: 'zone',
      id: zone.id,
      value: { ...randomZone(r, zone.id), siteId: r.chance(0.7) ? zone.siteId : r.pick(SITES) },
    };
  }
  if (roll < 95) {
    // Every device may have been deleted by earlier steps: then one is added.
    if (inventory.devices.length === 0) {
      const id = `dev-new-${counter.next++}`;
      return { kind: 'device', id, value: randomDevice(r, id, inventory.zones) };
    }
    const device = r.pick(inventory.devices);
    return {
      kind: 'device',
      id: device.id,
      value: r.chance(0.2) ? null : randomDevice(r, device.id, inventory.zones),
    };
  }
  if (roll < 98) {
    const site = r.pick(inventory.sites);
    return {
      kind: 'site',
      id: site.id,
      value: { ...site, name: `renamed-${counter.next++}`, catalogVersion: r.pick(['v1', 'v2', null]) },
    };
  }
  return { kind: 'flows', value: FLOWS.filter(() => r.chance(0.8)) };
}

/** Applies a change to a plain inventory the way the database would hold it. */
function applyToInventory(
  inventory: Inventory,
  change: InventoryChange,
): { inventory: Inventory; flows?: CatalogFlow[] } {
  const replace = <T extends { id: string }>(list: readonly T[], id: string, value: T | null): T[] => {
    const rest = list.filter((x) => x.id !== id);
    return value ? [...rest, value] : rest;
  };
  switch (change.kind) {
    case 'node':
      return { inventory: { ...inventory, nodes: replace(inventory.nodes, change.id, change.value) } };
    case 'zone':
      return { inventory: { ...inventory, zones: replace(inventory.zones, change.id, change.value) } };
    case 'device':
      return { inventory: { ...inventory, devices: replace(inventory.devices, change.id, change.value) } };
    case 'site':
      return { inventory: { ...inventory, sites: replace(inventory.sites, change.id, change.value) } };
    case 'deployment':
      return {
        inventory: {
          ...inventory,
          deployments: replace(inventory.deployments ?? [], change.id, change.value),
        },
      };
    case 'flows':
      return { inventory, flows: change.value };
    case 'siteLinks':
      return { inventory: { ...inventory, siteLinks: change.value } };
    case 'publication':
      return {
        inventory: {
          ...inventory,
          publications: replace(inventory.publications ?? [], change.id, change.value),
        },
      };
  }
}

function expectSame(
  incremental: IncrementalRuleSets,
  inventory: Inventory,
  flows: CatalogFlow[],
  context: string,
): void {
  const full = computeRuleSets(inventory, flows, { prefix: 'p_' });
  // One by one, each on its sub-inventory: `all()` computes many pending devices on the whole inventory instead,
  // which would leave the sub-inventories of these small inventories untested.
  for (const id of incremental.pending()) incremental.ruleSet(id);
  const got = incremental.all();
  expect(
    got.map((r) => r.deviceId),
    context,
  ).toEqual(full.map((r) => r.deviceId));
  for (let i = 0; i < full.length; i++) {
    expect(got[i].hash, `${context}: ${full[i].deviceId}`).toBe(full[i].hash);
    expect(JSON.stringify(got[i]), `${context}: ${full[i].deviceId}`).toBe(JSON.stringify(full[i]));
  }
}

/**
 * Internet paths: a fourth site on the internet (nodes only), random site connectivity and links, public
 * addresses on the firewalls' external interfaces, publications of nodes on their site's firewalls (at an address
 * of their own, or at the interface's first one). Changes also flip connectivity, replace the links, add, drop or
 * replace publications, and change a firewall's public face only (public addresses, name) or its zones only, the
 * cases the invalidation tells apart; a change that makes a publication invalid (its node moved or lost its IPv4
 * host address, its device moved, lost `wan` or the public address it took) drops it in the same batch, as the
 * database would refuse or cascade.
 */
const INTERNET_SITES = [...SITES, 's4'];

/** A node with one address and no selectors, named after its id (the hand-written internet cases). */
function hostNode(id: string, siteId: string, role: Role, address: string): NodeInput {
  return { id, siteId, name: id, role, addresses: [address], selectors: [] };
}

/**
 * Flows carried by another in the opposite direction (like the v9 scanner inside the probe's VPN): whether they
 * need a rule depends on whether the carrier gets through, i.e. on the publications of the carried flow's source.
 */
const INTERNET_FLOWS: CatalogFlow[] = [
  ...FLOWS,
  {
    id: 'v1-master-scan',
    version: 'v1',
    from: 'master',
    to: 'probe',
    protocol: 'tcp',
    ports: [{ from: 6, to: 6 }],
    purpose: 'scan',
    carriedBy: 'v1-probe',
  },
  {
    id: 'v2-master-push',
    version: 'v2',
    from: 'master',
    to: 'agent',
    protocol: 'tcp',
    ports: [{ from: 3, to: 3 }],
    purpose: 'push',
    carriedBy: 'v2-agent',
  },
];

const PUBLIC_ADDRESSES = [
  ['203.0.113.1'],
  ['203.0.113.2'],
  ['interface'],
  ['203.0.113.2', '203.0.113.1'],
  [],
];

function internetDevice(r: Rng, id: string, zones: readonly ZoneInput[]): DeviceInput {
  const device = randomDevice(r, id, zones);
  return {
    ...device,
    interfaces: device.interfaces.map((i) =>
      i.external && r.chance(0.7) ? { ...i, publicAddresses: r.pick(PUBLIC_ADDRESSES) } : i,
    ),
  };
}

/** The same device with other public addresses on its external interface, or another name (both public). */
function republishedDevice(r: Rng, device: DeviceInput): DeviceInput {
  if (r.chance(0.25)) return { ...device, name: `${device.name}-renamed` };
  return {
    ...device,
    interfaces: device.interfaces.map((i) =>
      i.external ? { ...i, publicAddresses: r.pick(PUBLIC_ADDRESSES) } : i,
    ),
  };
}

/** The same device with other zones behind its inner interfaces (not public: other firewalls do not see it). */
function rezonedDevice(r: Rng, device: DeviceInput, zones: readonly ZoneInput[]): DeviceInput {
  const own = zones.filter((z) => z.siteId === device.siteId).map((z) => z.id);
  return {
    ...device,
    interfaces: device.interfaces.map((i) =>
      i.external ? i : { ...i, zoneIds: own.filter(() => r.chance(0.5)) },
    ),
  };
}

function randomLinks(r: Rng): SiteLinkInput[] {
  const links: SiteLinkInput[] = [];
  for (let a = 0; a < INTERNET_SITES.length; a++) {
    for (let b = a + 1; b < INTERNET_SITES.length; b++) {
      if (!r.chance(0.3)) continue;
      const internetOnly = INTERNET_SITES[b] === 's4';
      links.push({
        siteAId: INTERNET_SITES[a],
        siteBId: INTERNET_SITES[b],
        connectivity: internetOnly || r.chance(0.5) ? 'internet' : 'routed',
      });
    }
  }
  return links;
}

function publicationValid(inventory: Inventory, p: PublicationInput): boolean {
  const node = inventory.nodes.find((n) => n.id === p.nodeId);
  const device = inventory.devices.find((d) => d.id === p.deviceId);
  const wan = device?.interfaces.find((i) => i.name === 'wan' && i.external);
  return (
    node !== undefined &&
    device !== undefined &&
    device.siteId === node.siteId &&
    wan !== undefined &&
    // without an address of its own, the publication takes the interface's first one
    (p.publicAddress != null || (wan.publicAddresses ?? []).length > 0) &&
    node.addresses.some((a) => a.startsWith('10.') && a.endsWith('/32'))
  );
}

function randomPublication(
  r: Rng,
  inventory: Inventory,
  id: string,
  address: number,
): PublicationInput | null {
  const candidates = inventory.nodes.flatMap((n) =>
    inventory.devices
      .filter((d) => d.siteId === n.siteId)
      .map((d) => ({ nodeId: n.id, deviceId: d.id }))
      // valid with an address of its own (the interface's first one is checked below)
      .filter((c) => publicationValid(inventory, { id, ...c, ports: [], publicAddress: '198.51.100.1' })),
  );
  if (candidates.length === 0) return null;
  const pick = r.pick(candidates);
  // One address per publication, so two publications never forward the same public port: its own, or (at most
  // one publication per device) the interface's first one, which a public-address change of the device moves.
  const interfaceAddressTaken = (inventory.publications ?? []).some(
    (p) => p.id !== id && p.deviceId === pick.deviceId && p.publicAddress == null,
  );
  const own =
    interfaceAddressTaken ||
    r.chance(0.6) ||
    !publicationValid(inventory, { id, ...pick, ports: [], publicAddress: null });
  return {
    id,
    ...pick,
    interface: 'wan',
    publicAddress: own ? `198.51.${100 + Math.floor(address / 250)}.${address % 250}` : null,
    ports: [
      { protocol: 'tcp', ports: { from: 1, to: 6 }, externalFrom: r.chance(0.5) ? null : 1001 },
      ...(r.chance(0.5) ? [{ protocol: 'udp' as const, ports: { from: 3, to: 6 } }] : []),
    ],
  };
}

function randomInternetInventory(r: Rng): Inventory {
  const base = randomInventory(r);
  const devices = base.devices.map((d) => internetDevice(r, d.id, base.zones));
  const nodes = base.nodes.map((n) => (r.chance(0.15) ? { ...n, siteId: 's4' } : n));
  const inventory: Inventory = {
    ...base,
    sites: [
      ...base.sites.map((s) => ({ ...s, connectivity: r.pick(['routed', 'internet', null] as const) })),
      { id: 's4', name: 'site-s4', onInternet: true, catalogVersion: null },
    ],
    devices,
    nodes,
    siteLinks: randomLinks(r),
  };
  const publications: PublicationInput[] = [];
  for (let i = 0; i < 1 + r.int(4); i++) {
    const p = randomPublication(r, { ...inventory, publications }, `pub${i}`, i);
    if (p) publications.push(p);
  }
  return { ...inventory, publications };
}

function randomInternetChange(r: Rng, inventory: Inventory, counter: { next: number }): InventoryChange {
  const roll = r.int(100);
  if (roll < 10) {
    const site = r.pick(inventory.sites.filter((s) => s.id !== 's4'));
    return {
      kind: 'site',
      id: site.id,
      value: { ...site, connectivity: r.pick(['routed', 'internet', null]) },
    };
  }
  if (roll < 15) return { kind: 'siteLinks', value: randomLinks(r) };
  if (roll < 25) {
    const id = `pub-new-${counter.next++}`;
    const p = randomPublication(r, inventory, id, 1000 + counter.next);
    if (p) return { kind: 'publication', id, value: p };
  }
  if (roll < 30 && (inventory.publications ?? []).length > 0) {
    const { id } = r.pick(inventory.publications ?? []);
    // dropped, or replaced (another node, device, address or ports)
    return {
      kind: 'publication',
      id,
      value: r.chance(0.5) ? null : randomPublication(r, inventory, id, 2000 + counter.next++),
    };
  }
  if (roll < 45 && inventory.devices.length > 0) {
    const device = r.pick(inventory.devices);
    const value =
      roll < 35
        ? internetDevice(r, device.id, inventory.zones)
        : roll < 42
          ? republishedDevice(r, device)
          : rezonedDevice(r, device, inventory.zones);
    return { kind: 'device', id: device.id, value };
  }
  const change = randomChange(r, inventory, counter);
  if (change.kind === 'node' && change.value && r.chance(0.1)) {
    return { ...change, value: { ...change.value, siteId: 's4' } };
  }
  if (change.kind === 'zone' && change.value?.siteId === 's4') return { ...change, value: null };
  return change;
}

describe('IncrementalRuleSets', () => {
  it('matches a full recomputation with internet paths (connectivity, links, publications, public addresses)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 31 - 1 }), (seed) => {
        const r = rng(seed);
        let inventory = randomInternetInventory(r);
        let flows = INTERNET_FLOWS;
        const incremental = new IncrementalRuleSets(inventory, flows, { prefix: 'p_' });
        expectSame(incremental, inventory, flows, `seed ${seed}, start`);
        const counter = { next: 0 };
        for (let step = 0; step < 12; step++) {
          const batch: InventoryChange[] = [];
          for (let i = 0; i < 1 + r.int(2); i++) {
            const change = randomInternetChange(r, inventory, counter);
            const next = applyToInventory(inventory, change);
            inventory = next.inventory;
            flows = next.flows ?? flows;
            batch.push(change);
            for (const p of inventory.publications ?? []) {
              if (publicationValid(inventory, p)) continue;
              const drop: InventoryChange = { kind: 'publication', id: p.id, value: null };
              inventory = applyToInventory(inventory, drop).inventory;
              batch.push(drop);
            }
          }
          incremental.apply(batch);
          if (r.chance(0.5)) {
            for (const id of incremental.deviceIds()) if (r.chance(0.5)) incremental.ruleSet(id);
            continue;
          }
          expectSame(incremental, inventory, flows, `seed ${seed}, step ${step}: ${JSON.stringify(batch)}`);
        }
        expectSame(incremental, inventory, flows, `seed ${seed}, end`);
      }),
      // 100 runs by default (about a second): internet paths are where the invalidation is most involved
      { numRuns: Math.max(100, Math.floor(Number(process.env.INCREMENTAL_RUNS ?? 25) / 5)) },
    );
  });

  it('generates internet inventories that do reach forwards (seeds 0-99)', () => {
    let withNat = 0;
    for (let seed = 0; seed < 100; seed++) {
      const inventory = randomInternetInventory(rng(seed));
      if (computeRuleSets(inventory, FLOWS).some((r) => r.nat)) withNat++;
    }
    expect(withNat).toBeGreaterThan(10);
  });

  it('matches a full recomputation after every change of random change sequences', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 31 - 1 }), (seed) => {
        const r = rng(seed);
        let inventory = randomInventory(r);
        let flows = FLOWS;
        const incremental = new IncrementalRuleSets(inventory, flows, { prefix: 'p_' });
        expectSame(incremental, inventory, flows, `seed ${seed}, start`);
        const counter = { next: 0 };
        for (let step = 0; step < 20; step++) {
          const batch = Array.from({ length: 1 + r.int(2) }, () => {
            const change = randomChange(r, inventory, counter);
            const next = applyToInventory(inventory, change);
            inventory = next.inventory;
            flows = next.flows ?? flows;
            return change;
          });
          incremental.apply(batch);
          // Half the time only some devices are read before the next change: the others stay pending.
          if (r.chance(0.5)) {
            for (const id of incremental.deviceIds()) if (r.chance(0.5)) incremental.ruleSet(id);
            continue;
          }
          expectSame(incremental, inventory, flows, `seed ${seed}, step ${step}: ${JSON.stringify(batch)}`);
        }
        expectSame(incremental, inventory, flows, `seed ${seed}, end`);
      }),
      // 729037760: a renamed master must rename the probe object naming it on another site's firewall.
      { numRuns: Number(process.env.INCREMENTAL_RUNS ?? 25), examples: [[729037760]] },
    );
  });

  it('recomputes only the devices a node change can reach', () => {
    const zone = (id: string, siteId: string, cidr: string): ZoneInput => ({
      id,
      siteId,
      name: id,
      cidrs: [cidr],
    });
    const device = (id: string, siteId: string, zoneId: string): DeviceInput => ({
      id,
      siteId,
      name: id,
      vendor: 'pfsense',
      interfaces: [
        { name: 'lan', external: false, zoneIds: [zoneId] },
        { name: 'wan', external: true, zoneIds: [] },
      ],
    });
    const inventory: Inventory = {
      sites: ['hq', 'b1', 'b2'].map((id) => ({ id, name: id, catalogVersion: 'v1' })),
      zones: [
        zone('zhq', 'hq', '10.0.0.0/24'),
        zone('z1', 'b1', '10.0.1.0/24'),
        zone('z2', 'b2', '10.0.2.0/24'),
      ],
      devices: [device('fw-hq', 'hq', 'zhq'), device('fw-b1', 'b1', 'z1'), device('fw-b2', 'b2', 'z2')],
      nodes: [
        hostNode('master', 'hq', 'master', '10.0.0.10'),
        hostNode('probe-b1', 'b1', 'probe', '10.0.1.5'),
        hostNode('agent-b1', 'b1', 'agent', '10.0.1.20'),
        hostNode('agent-b2', 'b2', 'agent', '10.0.2.20'),
      ],
    };
    const v1 = FLOWS.filter((f) => f.version === 'v1');
    const incremental = new IncrementalRuleSets(inventory, v1, { prefix: 'p_' });
    incremental.all();
    // b1's agents report to b1's probe: only b1's firewall carries them.
    const moved = { ...inventory.nodes[2], addresses: ['10.0.1.21'] };
    expect(incremental.apply([{ kind: 'node', id: 'agent-b1', value: moved }])).toEqual({
      affected: ['fw-b1'],
      all: false,
    });
    expect(incremental.pending()).toEqual(['fw-b1']);
    // b2 has no probe: its agents report to the master across the WAN, through the HQ firewall too.
    const renamed = { ...inventory.nodes[3], name: 'agent-b2-renamed' };
    expect(incremental.apply([{ kind: 'node', id: 'agent-b2', value: renamed }]).affected).toEqual([
      'fw-b2',
      'fw-hq',
    ]);
    const after = { ...inventory, nodes: [inventory.nodes[0], inventory.nodes[1], moved, renamed] };
    expectSame(incremental, after, v1, 'after both changes');
  });
});

describe('IncrementalRuleSets and internet paths', () => {
  const inventory: Inventory = {
    sites: [
      { id: 'hq', name: 'hq', catalogVersion: 'v2' },
      { id: 'br', name: 'br', catalogVersion: 'v2' },
    ],
    zones: [
      { id: 'zhq', siteId: 'hq', name: 'zhq', cidrs: ['10.0.0.0/24'] },
      { id: 'zbr', siteId: 'br', name: 'zbr', cidrs: ['10.0.1.0/24'] },
    ],
    nodes: [
      { id: 'master', siteId: 'hq', name: 'master', role: 'master', addresses: ['10.0.0.10'], selectors: [] },
      { id: 'agent', siteId: 'br', name: 'agent', role: 'agent', addresses: ['10.0.1.20'], selectors: [] },
    ],
    devices: ['hq', 'br'].map((site) => ({
      id: `fw-${site}`,
      siteId: site,
      name: `fw-${site}`,
      vendor: 'pfsense' as const,
      interfaces: [
        { name: 'lan', external: false, zoneIds: [`z${site}`] },
        {
          name: 'wan',
          external: true,
          zoneIds: [],
          publicAddresses: [site === 'hq' ? '198.51.100.1' : '203.0.113.1'],
        },
      ],
    })),
  };
  const publication: PublicationInput = {
    id: 'pub',
    nodeId: 'master',
    deviceId: 'fw-hq',
    ports: [{ protocol: 'tcp', ports: { from: 1, to: 1 } }],
  };

  it('changes nothing for a publication while every path is routed, everything once a link crosses the internet', () => {
    const incremental = new IncrementalRuleSets(inventory, FLOWS, { prefix: 'p_' });
    incremental.all();
    expect(incremental.apply([{ kind: 'publication', id: 'pub', value: publication }])).toEqual({
      affected: [],
      all: false,
    });
    const links: SiteLinkInput[] = [{ siteAId: 'hq', siteBId: 'br', connectivity: 'internet' }];
    expect(incremental.apply([{ kind: 'siteLinks', value: links }])).toEqual({
      affected: ['fw-br', 'fw-hq'],
      all: true,
    });
    const now: Inventory = { ...inventory, siteLinks: links, publications: [publication] };
    expectSame(incremental, now, FLOWS, 'over the internet');
    expect(incremental.ruleSet('fw-hq')?.nat?.map((n) => n.externalAddress)).toEqual(['198.51.100.1']);
    // a node change while internet paths exist: the devices it is local to, or whose local or published nodes
    // are its partners (the master, local to and published on fw-hq), nothing else
    const moved = { ...inventory.nodes[1], addresses: ['10.0.1.21'] };
    expect(incremental.apply([{ kind: 'node', id: 'agent', value: moved }])).toEqual({
      affected: ['fw-br', 'fw-hq'],
      all: false,
    });
    expectSame(incremental, { ...now, nodes: [inventory.nodes[0], moved] }, FLOWS, 'after the node change');
  });

  /**
   * HQ publishes its master, reached over the internet by b1 and over a VPN by b2 (a routed link); b1 and b2 have
   * an agent each, b3 only a firewall, HQ also an edge firewall without zones. Each change must invalidate the
   * devices it can reach, not every device, and leave every rule set equal to a full computation. No agent → agent flow: with it every agent would be every other agent's partner.
   */
  describe('invalidates only what a change can reach', () => {
    const withoutPeers = FLOWS.filter((f) => f.id !== 'v2-peer');
    let flows = withoutPeers;
    const site = (id: string): Inventory['sites'][number] => ({ id, name: id, catalogVersion: 'v2' });
    const firewall = (id: string, publicAddress: string): DeviceInput => ({
      id: `fw-${id}`,
      siteId: id,
      name: `fw-${id}`,
      vendor: 'pfsense',
      interfaces: [
        { name: 'lan', external: false, zoneIds: [`z${id}`] },
        { name: 'wan', external: true, zoneIds: [], publicAddresses: [publicAddress] },
      ],
    });
    const agent = (id: string, siteId: string, address: string): NodeInput =>
      hostNode(id, siteId, 'agent', address);
    const start: Inventory = {
      sites: [{ ...site('hq'), connectivity: 'internet' }, site('b1'), site('b2'), site('b3')],
      zones: ['hq', 'b1', 'b2', 'b3'].map((id, i) => ({
        id: `z${id}`,
        siteId: id,
        name: `z${id}`,
        cidrs: [`10.0.${i}.0/24`],
      })),
      nodes: [
        hostNode('master', 'hq', 'master', '10.0.0.10'),
        agent('agent-b1', 'b1', '10.0.1.20'),
        agent('agent-b2', 'b2', '10.0.2.20'),
      ],
      devices: [
        firewall('hq', '198.51.100.1'),
        // an edge firewall at HQ with no zone of its own (nothing is local to it)
        {
          ...firewall('edge', '198.51.100.2'),
          siteId: 'hq',
          interfaces: [firewall('edge', '198.51.100.2').interfaces[1]],
        },
        firewall('b1', '203.0.113.1'),
        firewall('b2', '203.0.113.2'),
        firewall('b3', '203.0.113.3'),
      ],
      // b2 reaches HQ over a VPN
      siteLinks: [{ siteAId: 'hq', siteBId: 'b2', connectivity: 'routed' }],
      publications: [publication],
    };
    let inventory = start;
    let incremental: IncrementalRuleSets;
    const change = (c: InventoryChange, expected: string[]): void => {
      inventory = applyToInventory(inventory, c).inventory;
      expect(incremental.apply([c])).toEqual({ affected: expected, all: false });
      expectSame(incremental, inventory, flows, JSON.stringify(c));
    };
    beforeEach(() => {
      flows = withoutPeers;
      inventory = start;
      incremental = new IncrementalRuleSets(start, flows, { prefix: 'p_' });
      incremental.all();
    });

    it('a node change: its own firewall, and the firewall it reaches the master through', () => {
      change({ kind: 'node', id: 'agent-b1', value: agent('agent-b1', 'b1', '10.0.1.21') }, [
        'fw-b1',
        'fw-hq',
      ]);
      // renamed, the master changes every rule that names it: both branches (to its public address) and HQ
      const master = inventory.nodes[0];
      change({ kind: 'node', id: 'master', value: { ...master, name: 'hq-master' } }, [
        'fw-b1',
        'fw-b2',
        'fw-hq',
      ]);
    });

    it("a firewall's public address: it and the firewalls admitting its site's traffic (its egress address)", () => {
      const fw = firewall('b1', '203.0.113.9');
      change({ kind: 'device', id: 'fw-b1', value: fw }, ['fw-b1', 'fw-hq']);
      const hq = incremental.ruleSet('fw-hq') as RuleSet;
      expect(hq.addresses.some((a) => a.entries.includes('203.0.113.9/32'))).toBe(true);
      // a zone behind an inner interface only matters to the firewall itself
      const rezoned = { ...fw, interfaces: [{ ...fw.interfaces[0], zoneIds: [] }, fw.interfaces[1]] };
      change({ kind: 'device', id: 'fw-b1', value: rezoned }, ['fw-b1']);
      // moved to b3, it no longer makes b1's egress address (now the public internet): HQ admits that instead
      change({ kind: 'device', id: 'fw-b1', value: { ...rezoned, siteId: 'b3' } }, ['fw-b1', 'fw-hq']);
      expect(
        (incremental.ruleSet('fw-hq') as RuleSet).addresses.some((a) => a.entries.includes('203.0.113.9/32')),
      ).toBe(false);
    });

    it('a publication: its firewall and those of every partner of the published node', () => {
      const wider = { ...publication, ports: [{ protocol: 'tcp' as const, ports: { from: 1, to: 2 } }] };
      change({ kind: 'publication', id: 'pub', value: wider }, ['fw-b1', 'fw-b2', 'fw-hq']);
      // published at the interface's own address, the forward is described with its firewall's name: renaming
      // that firewall changes the branches' rules too
      change({ kind: 'publication', id: 'pub', value: { ...wider, publicAddress: 'interface' } }, [
        'fw-b1',
        'fw-b2',
        'fw-hq',
      ]);
      const renamed = { ...firewall('hq', '198.51.100.1'), name: 'hq-gateway' };
      change({ kind: 'device', id: 'fw-hq', value: renamed }, ['fw-b1', 'fw-b2', 'fw-hq']);
      const b1 = incremental.ruleSet('fw-b1') as RuleSet;
      expect(b1.rules.flatMap((r) => r.explanations.map((e) => e.text)).join('\n')).toContain('hq-gateway');
    });

    it('a publication moved to a firewall its node is not local to, then dropped', () => {
      const moved = { ...publication, deviceId: 'fw-edge' };
      change({ kind: 'publication', id: 'pub', value: moved }, ['fw-b1', 'fw-b2', 'fw-edge', 'fw-hq']);
      expect(incremental.ruleSet('fw-edge')?.nat?.length).toBeGreaterThan(0);
      expect(incremental.ruleSet('fw-hq')?.nat).toBeUndefined();
      // the edge firewall is no one's end any more: only the publication leads to it
      change({ kind: 'publication', id: 'pub', value: null }, ['fw-b1', 'fw-b2', 'fw-edge', 'fw-hq']);
      expect(incremental.ruleSet('fw-edge')?.nat).toBeUndefined();
    });

    it("a carrier's publication: the carried flow comes back on the firewalls of both ends", () => {
      // master → agent rides on agent → master (published): no rule towards b1 while the carrier gets through (b2's
      // VPN is routed: carriers only matter on the internet)
      const carried = INTERNET_FLOWS.filter((f) => f.id === 'v2-master-push');
      flows = [...flows, ...carried];
      const agentPublication: PublicationInput = {
        id: 'pub-b1',
        nodeId: 'agent-b1',
        deviceId: 'fw-b1',
        ports: [{ protocol: 'tcp', ports: { from: 3, to: 3 } }],
      };
      inventory = { ...start, publications: [publication, agentPublication] };
      incremental = new IncrementalRuleSets(inventory, flows, { prefix: 'p_' });
      expectSame(incremental, inventory, flows, 'carried');
      const pushes = (): string[] =>
        ['fw-hq', 'fw-b1'].filter((id) =>
          (incremental.ruleSet(id) as RuleSet).rules.some(
            (r) => r.flowIds.includes('v2-master-push') && r.destinationNodeIds.includes('agent-b1'),
          ),
        );
      expect(pushes()).toEqual([]);
      // the master no longer published on 1/tcp: the carrier is cut, the push needs its own rules (HQ towards the
      // agent's public address, b1 admitting the forward)
      const elsewhere = { ...publication, ports: [{ protocol: 'tcp' as const, ports: { from: 2, to: 2 } }] };
      change({ kind: 'publication', id: 'pub', value: elsewhere }, ['fw-b1', 'fw-b2', 'fw-hq']);
      expect(pushes()).toEqual(['fw-hq', 'fw-b1']);
    });
  });
});
