/**
 * Property tests of the engine against a brute-force reference.
 *
 * Addresses live in two tiny spaces (10.0.0.0/27 and 2001:db8::/123, 32 hosts each) and ports in 1-6,
 * so every allowed and every required (ingress, egress, source host, destination host, protocol, port)
 * tuple can be enumerated. The reference below shares no code with the engine: it places each single
 * host by scanning zones, resolves collectors and selectors from the rules in the brief, and enumerates
 * what must be allowed; the engine's rule sets are expanded back into tuples and compared exactly.
 * Inventories have no deployment (the implicit one, as before deployments existed) or up to three, which
 * share sites and firewalls; no allowed tuple may join hosts of two deployments.
 */
import fc from 'fast-check';
import { createHash } from 'node:crypto';
import { computeRuleSets } from './compute';
import type {
  CatalogFlow,
  DeviceInput,
  Inventory,
  NodeInput,
  PortRange,
  Protocol,
  Role,
  RuleSet,
  ZoneInput,
} from './model';
import { ROLES } from './model';

// ---------------------------------------------------------------------------------------------------
// Tiny address spaces: text ⇄ (family, host offset, size)

interface Block {
  family: 4 | 6;
  first: number;
  size: number;
}

function blockText(family: 4 | 6, network: number, prefix: number): string {
  return family === 4 ? `10.0.0.${network}/${prefix}` : `2001:db8::${network.toString(16)}/${prefix}`;
}

/** Parses the generator's own format and the engine's canonical output for these two spaces. */
function parseBlock(text: string): Block {
  const [address, prefixText] = text.split('/');
  const prefix = Number(prefixText);
  if (address.startsWith('10.0.0.')) {
    return { family: 4, first: Number(address.slice(7)), size: 2 ** (32 - prefix) };
  }
  if (address.startsWith('2001:db8::')) {
    return { family: 6, first: parseInt(address.slice(10) || '0', 16), size: 2 ** (128 - prefix) };
  }
  throw new Error(`address outside the test spaces: ${text}`);
}

function hosts(text: string): Array<{ family: 4 | 6; host: number }> {
  const block = parseBlock(text);
  return Array.from({ length: block.size }, (_, i) => ({ family: block.family, host: block.first + i }));
}

function containsHost(cidrText: string, family: 4 | 6, host: number): { prefix: number } | null {
  const block = parseBlock(cidrText);
  if (block.family !== family || host < block.first || host >= block.first + block.size) return null;
  return { prefix: Number(cidrText.split('/')[1]) };
}

// ---------------------------------------------------------------------------------------------------
// Reference model

function refInterface(inventory: Inventory, device: DeviceInput, family: 4 | 6, host: number): string | null {
  let best: { name: string; prefix: number } | null = null;
  for (const iface of device.interfaces) {
    if (iface.external) continue;
    for (const zoneId of iface.zoneIds) {
      const zone = inventory.zones.find((z) => z.id === zoneId);
      if (!zone || zone.siteId !== device.siteId) continue;
      for (const cidr of zone.cidrs) {
        const hit = containsHost(cidr, family, host);
        if (
          hit &&
          (!best || hit.prefix > best.prefix || (hit.prefix === best.prefix && iface.name < best.name))
        ) {
          best = { name: iface.name, prefix: hit.prefix };
        }
      }
    }
  }
  if (best) return best.name;
  const externals = device.interfaces.filter((i) => i.external).map((i) => i.name);
  externals.sort();
  return externals[0] ?? null;
}

function firstByNameThenId(nodes: NodeInput[]): NodeInput | undefined {
  return [...nodes].sort((a, b) =>
    a.name !== b.name ? (a.name < b.name ? -1 : 1) : a.id < b.id ? -1 : a.id > b.id ? 1 : 0,
  )[0];
}

function deploymentOf(node: NodeInput): string {
  return node.deploymentId ?? '';
}

function refCollector(inventory: Inventory, node: NodeInput): NodeInput | null {
  // Only nodes of the node's own deployment can be its collector.
  const mine = inventory.nodes.filter((n) => deploymentOf(n) === deploymentOf(node));
  if (node.collectorId) {
    const explicit = mine.find((n) => n.id === node.collectorId);
    if (explicit) return explicit.id === node.id ? null : explicit;
  }
  const others = mine.filter((n) => n.id !== node.id);
  return (
    firstByNameThenId(others.filter((n) => n.role === 'probe' && n.siteId === node.siteId)) ??
    firstByNameThenId(others.filter((n) => n.role === 'master' && n.siteId === node.siteId)) ??
    firstByNameThenId(others.filter((n) => n.role === 'master')) ??
    null
  );
}

/** A probe's explicit master, when it names a master of the probe's own deployment. */
function refMaster(inventory: Inventory, node: NodeInput): NodeInput | null {
  if (node.role !== 'probe' || !node.masterId) return null;
  const master = inventory.nodes.find((n) => n.id === node.masterId);
  return master && master.role === 'master' && deploymentOf(master) === deploymentOf(node) ? master : null;
}

function refVersion(inventory: Inventory, node: NodeInput): string | undefined {
  const site = inventory.sites.find((s) => s.id === node.siteId);
  const deployment = (inventory.deployments ?? []).find((d) => d.id === node.deploymentId);
  return site?.catalogVersion ?? deployment?.catalogVersion ?? undefined;
}

function refRoleTargets(inventory: Inventory, source: NodeInput, role: Role): NodeInput[] {
  return inventory.nodes.filter((n) => {
    if (n.role !== role || n.id === source.id || deploymentOf(n) !== deploymentOf(source)) return false;
    const sourceMaster = refMaster(inventory, source);
    if (sourceMaster && role === 'master') return n.id === sourceMaster.id;
    if (source.role === 'master' && role === 'probe') {
      const probeMaster = refMaster(inventory, n);
      return probeMaster === null || probeMaster.id === source.id;
    }
    return true;
  });
}

function refDemands(inventory: Inventory, flows: CatalogFlow[]) {
  const out: Array<{ source: NodeInput; destination: NodeInput; flow: CatalogFlow }> = [];
  for (const source of inventory.nodes) {
    const version = refVersion(inventory, source);
    for (const flow of flows) {
      if (flow.version !== version || flow.from !== source.role) continue;
      if (flow.selector && source.selectors.length > 0 && !source.selectors.includes(flow.selector)) continue;
      const destinations =
        flow.to === 'collector'
          ? [refCollector(inventory, source)].filter((n): n is NodeInput => n !== null)
          : refRoleTargets(inventory, source, flow.to);
      for (const destination of destinations) out.push({ source, destination, flow });
    }
  }
  return out;
}

function expandPorts(ranges: PortRange[]): number[] {
  return ranges.flatMap((r) => Array.from({ length: r.to - r.from + 1 }, (_, i) => r.from + i));
}

function requiredTuples(inventory: Inventory, flows: CatalogFlow[], device: DeviceInput): Set<string> {
  const out = new Set<string>();
  for (const { source, destination, flow } of refDemands(inventory, flows)) {
    const ports = expandPorts(flow.ports);
    for (const s of source.addresses.flatMap(hosts)) {
      const ingress = refInterface(inventory, device, s.family, s.host);
      if (ingress === null) continue;
      for (const d of destination.addresses.flatMap(hosts)) {
        if (d.family !== s.family) continue;
        const egress = refInterface(inventory, device, d.family, d.host);
        if (egress === null || egress === ingress) continue;
        for (const port of ports) {
          out.add(`${ingress}>${egress}|${s.family}|${s.host}|${d.host}|${flow.protocol}|${port}`);
        }
      }
    }
  }
  return out;
}

function allowedTuples(ruleSet: RuleSet): Set<string> {
  const out = new Set<string>();
  const objects = new Map(ruleSet.addresses.map((a) => [a.name, a]));
  const services = new Map(ruleSet.services.map((s) => [s.name, s]));
  for (const rule of ruleSet.rules) {
    const source = objects.get(rule.source);
    const destination = objects.get(rule.destination);
    const service = services.get(rule.service);
    if (!source || !destination || !service) throw new Error(`rule ${rule.name} references a missing object`);
    const ports = expandPorts(service.ports);
    for (const s of source.entries.flatMap(hosts)) {
      for (const d of destination.entries.flatMap(hosts)) {
        for (const port of ports) {
          out.add(
            `${rule.ingress}>${rule.egress}|${s.family}|${s.host}|${d.host}|${service.protocol}|${port}`,
          );
        }
      }
    }
  }
  return out;
}

/** Allowed tuples whose source and destination hosts belong to no common deployment. */
function crossDeploymentTuples(inventory: Inventory, ruleSet: RuleSet): string[] {
  const deploymentsOf = new Map<string, Set<string>>();
  for (const node of inventory.nodes) {
    for (const h of node.addresses.flatMap(hosts)) {
      const key = `${h.family}|${h.host}`;
      const set = deploymentsOf.get(key) ?? new Set<string>();
      set.add(deploymentOf(node));
      deploymentsOf.set(key, set);
    }
  }
  const out: string[] = [];
  for (const tuple of allowedTuples(ruleSet)) {
    const [, family, src, dst] = tuple.split('|');
    const from = deploymentsOf.get(`${family}|${src}`) ?? new Set<string>();
    const to = deploymentsOf.get(`${family}|${dst}`) ?? new Set<string>();
    if (![...from].some((d) => to.has(d))) out.push(tuple);
  }
  return out.slice(0, 5);
}

function difference(a: Set<string>, b: Set<string>): string[] {
  return [...a].filter((x) => !b.has(x)).slice(0, 5);
}

// ---------------------------------------------------------------------------------------------------
// Structural invariants of a rule set

const OBJECT_NAME = /^[A-Za-z][A-Za-z0-9_]{0,30}$/;
const RULE_NAME = /^[A-Za-z][A-Za-z0-9_]{0,34}$/;

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, canonical((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}

function checkInvariants(ruleSet: RuleSet, prefix: string): void {
  const names = [...ruleSet.addresses, ...ruleSet.services].map((o) => o.name);
  expect(new Set(names).size).toBe(names.length);
  for (const name of names) {
    expect(name).toMatch(OBJECT_NAME);
    expect(name.startsWith(prefix)).toBe(true);
  }
  const ruleNames = ruleSet.rules.map((r) => r.name);
  expect(new Set(ruleNames).size).toBe(ruleNames.length);
  ruleSet.rules.forEach((rule, i) => {
    expect(rule.name).toMatch(RULE_NAME);
    expect(rule.name.startsWith(prefix)).toBe(true);
    expect(rule.order).toBe(i);
    expect(rule.ingress).not.toBe(rule.egress);
    const source = ruleSet.addresses.find((a) => a.name === rule.source);
    const destination = ruleSet.addresses.find((a) => a.name === rule.destination);
    const service = ruleSet.services.find((s) => s.name === rule.service);
    expect(source?.family).toBe(rule.family);
    expect(destination?.family).toBe(rule.family);
    expect(service?.protocol).toBe(rule.protocol);
    expect(rule.explanations.map((e) => e.flowId)).toEqual(rule.flowIds);
  });
  for (const object of ruleSet.addresses) {
    // entries are sorted, disjoint and not adjacent-and-mergeable: summarised exactly
    const blocks = object.entries.map(parseBlock);
    blocks.forEach((b, i) => {
      expect(b.family).toBe(object.family);
      if (i > 0) expect(b.first).toBeGreaterThanOrEqual(blocks[i - 1].first + blocks[i - 1].size);
      if (i > 0 && b.first === blocks[i - 1].first + blocks[i - 1].size && b.size === blocks[i - 1].size) {
        // two equal adjacent blocks must not be the two halves of one aligned block
        expect(blocks[i - 1].first % (2 * b.size)).not.toBe(0);
      }
    });
  }
  for (const service of ruleSet.services) {
    service.ports.forEach((r, i) => {
      expect(r.from).toBeLessThanOrEqual(r.to);
      if (i > 0) expect(r.from).toBeGreaterThan(service.ports[i - 1].to + 1);
    });
  }
  const { hash, ...rest } = ruleSet;
  expect(hash).toBe(
    createHash('sha256')
      .update(JSON.stringify(canonical(rest)))
      .digest('hex'),
  );
}

// ---------------------------------------------------------------------------------------------------
// Generators

const familyArb = fc.constantFrom<4 | 6>(4, 4, 6);

/** A block of the test spaces with `minExtraBits`..5 bits more than /27 (or /123): at most 2^(5-min) hosts. */
const blockArb = (minExtraBits: number) =>
  fc
    .record({ family: familyArb, extraBits: fc.integer({ min: minExtraBits, max: 5 }), offset: fc.nat(31) })
    .map(({ family, extraBits, offset }) => {
      const prefix = (family === 4 ? 27 : 123) + extraBits;
      const size = 2 ** (5 - extraBits);
      return blockText(family, offset - (offset % size), prefix);
    });

/** Zones: any block of the space. */
const zoneBlockArb = blockArb(0);
/** Node addresses: at most 8 hosts each, so the enumeration stays small. */
const nodeBlockArb = blockArb(2);

const VERSIONS = ['vA', 'vB'];
const SELECTORS = ['s1', 's2'];

const rawArb = fc.record({
  /** None: every node in the implicit deployment, versions from the sites (the inventory before deployments). */
  deployments: fc.array(
    fc.record({ name: fc.constantFrom('P', 'Q', 'p'), version: fc.constantFrom(...VERSIONS) }),
    { minLength: 0, maxLength: 3 },
  ),
  sites: fc.array(
    fc.record({
      name: fc.constantFrom('A', 'B', 'a'),
      version: fc.constantFrom(...VERSIONS),
      /** With deployments: most sites follow their nodes' deployment, some override its version. */
      overrides: fc.boolean(),
    }),
    {
      minLength: 1,
      maxLength: 3,
    },
  ),
  /** Probability-ish knob: how many interface zone references may point at another site's zones. */
  foreignZones: fc.boolean(),
  zones: fc.array(
    fc.record({ site: fc.nat(), cidrs: fc.array(zoneBlockArb, { minLength: 1, maxLength: 2 }) }),
    {
      minLength: 1,
      maxLength: 6,
    },
  ),
  nodes: fc.array(
    fc.record({
      site: fc.nat(),
      name: fc.constantFrom('x', 'y', 'z'),
      role: fc.constantFrom<Role>(...ROLES),
      addresses: fc.array(nodeBlockArb, { minLength: 1, maxLength: 3 }),
      collector: fc.option(fc.nat(), { nil: null }),
      selectors: fc.subarray(SELECTORS),
      deployment: fc.nat(),
      master: fc.option(fc.nat(), { nil: null }),
    }),
    { minLength: 2, maxLength: 7 },
  ),
  devices: fc.array(
    fc.record({
      site: fc.nat(),
      interfaces: fc.uniqueArray(
        fc.record({
          name: fc.constantFrom('a', 'b', 'c', 'd'),
          external: fc.boolean(),
          zones: fc.array(fc.nat(), { minLength: 1, maxLength: 3 }),
        }),
        { selector: (i) => i.name, minLength: 2, maxLength: 4 },
      ),
    }),
    { minLength: 1, maxLength: 3 },
  ),
  flows: fc.array(
    fc.record({
      // indexes into the generated sites / nodes, so most flows match something
      version: fc.option(fc.nat(), { nil: null, freq: 5 }),
      from: fc.nat(),
      to: fc.option(fc.nat(), { nil: null }),
      protocol: fc.constantFrom<Protocol>('tcp', 'udp'),
      ports: fc.array(
        fc.tuple(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 0, max: 2 })).map(([from, span]) => ({
          from,
          to: Math.min(6, from + span),
        })),
        { minLength: 1, maxLength: 2 },
      ),
      selector: fc.option(fc.constantFrom(...SELECTORS), { nil: null }),
    }),
    { minLength: 1, maxLength: 6 },
  ),
});

type Raw = typeof rawArb extends fc.Arbitrary<infer T> ? T : never;

function build(raw: Raw): { inventory: Inventory; flows: CatalogFlow[] } {
  const deployments = raw.deployments.map((d, i) => ({
    id: `p${i}`,
    name: d.name,
    catalogVersion: d.version,
  }));
  const sites = raw.sites.map((s, i) => ({
    id: `s${i}`,
    name: s.name,
    catalogVersion: deployments.length === 0 || s.overrides ? s.version : null,
  }));
  const siteId = (k: number) => sites[k % sites.length].id;
  const zones: ZoneInput[] = raw.zones.map((z, i) => ({
    id: `z${i}`,
    siteId: siteId(z.site),
    name: `z${i}`,
    cidrs: z.cidrs,
  }));
  const nodes: NodeInput[] = raw.nodes.map((n, i) => ({
    id: `n${i}`,
    siteId: siteId(n.site),
    name: n.name,
    role: n.role,
    addresses: n.addresses,
    collectorId:
      n.collector === null
        ? null
        : n.collector % (raw.nodes.length + 1) === raw.nodes.length
          ? 'gone'
          : `n${n.collector % raw.nodes.length}`,
    selectors: n.selectors,
    ...(deployments.length > 0
      ? {
          deploymentId: deployments[n.deployment % deployments.length].id,
          masterId: n.master === null ? null : `n${n.master % raw.nodes.length}`,
        }
      : {}),
  }));
  const devices: DeviceInput[] = raw.devices.map((d, i) => {
    const site = siteId(d.site);
    const pool = raw.foreignZones ? zones : zones.filter((z) => z.siteId === site);
    return {
      id: `d${i}`,
      siteId: site,
      name: `fw${i}`,
      vendor: 'pfsense',
      interfaces: d.interfaces.map((iface) => ({
        name: iface.name,
        external: iface.external,
        zoneIds: pool.length === 0 ? [] : [...new Set(iface.zones.map((z) => pool[z % pool.length].id))],
      })),
    };
  });
  const flows: CatalogFlow[] = raw.flows.map((f, i) => ({
    id: `f${i}`,
    // usually the version of the source node's site, sometimes any site's
    version:
      f.version === null
        ? (refVersion({ deployments, sites, zones, nodes, devices }, nodes[f.from % nodes.length]) ?? 'vA')
        : VERSIONS[f.version % VERSIONS.length],
    from: nodes[f.from % nodes.length].role,
    to: f.to === null ? 'collector' : nodes[f.to % nodes.length].role,
    protocol: f.protocol,
    ports: f.ports,
    purpose: `purpose ${i}`,
    selector: f.selector,
  }));
  return {
    inventory:
      deployments.length > 0
        ? { deployments, sites, zones, nodes, devices }
        : { sites, zones, nodes, devices },
    flows,
  };
}

/** Deterministic Fisher-Yates shuffle driven by a seed. */
function shuffle<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let state = seed >>> 0 || 1;
  for (let i = out.length - 1; i > 0; i--) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    const j = state % (i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

function shuffleAll(inventory: Inventory, flows: CatalogFlow[], seed: number) {
  let s = seed;
  const next = () => (s = (s * 31 + 7) >>> 0);
  return {
    inventory: {
      ...(inventory.deployments ? { deployments: shuffle(inventory.deployments, next()) } : {}),
      sites: shuffle(inventory.sites, next()),
      zones: shuffle(inventory.zones, next()).map((z) => ({ ...z, cidrs: shuffle(z.cidrs, next()) })),
      nodes: shuffle(inventory.nodes, next()).map((n) => ({
        ...n,
        addresses: shuffle(n.addresses, next()),
        selectors: shuffle(n.selectors, next()),
      })),
      devices: shuffle(inventory.devices, next()).map((d) => ({
        ...d,
        interfaces: shuffle(d.interfaces, next()).map((i) => ({ ...i, zoneIds: shuffle(i.zoneIds, next()) })),
      })),
    },
    flows: shuffle(flows, next()),
  };
}

// ---------------------------------------------------------------------------------------------------

describe('engine properties (brute-force reference)', () => {
  it('allows exactly the required tuples on every device and interface pair', () => {
    fc.assert(
      fc.property(rawArb, (raw) => {
        const { inventory, flows } = build(raw);
        const ruleSets = computeRuleSets(inventory, flows);
        expect(ruleSets.map((r) => r.deviceId)).toEqual(inventory.devices.map((d) => d.id).sort());
        for (const ruleSet of ruleSets) {
          checkInvariants(ruleSet, 'utm_');
          const device = inventory.devices.find((d) => d.id === ruleSet.deviceId) as DeviceInput;
          const required = requiredTuples(inventory, flows, device);
          const allowed = allowedTuples(ruleSet);
          expect({
            device: device.id,
            missing: difference(required, allowed),
            extra: difference(allowed, required),
          }).toEqual({ device: device.id, missing: [], extra: [] });
          expect(allowed.size).toBe(required.size);
          expect({ device: device.id, cross: crossDeploymentTuples(inventory, ruleSet) }).toEqual({
            device: device.id,
            cross: [],
          });
        }
      }),
      { numRuns: 1500 },
    );
  });

  it('is deterministic: shuffled input arrays give byte-identical output', () => {
    fc.assert(
      fc.property(rawArb, fc.nat(), (raw, seed) => {
        const { inventory, flows } = build(raw);
        const reference = JSON.stringify(computeRuleSets(inventory, flows));
        const shuffled = shuffleAll(inventory, flows, seed);
        expect(JSON.stringify(computeRuleSets(shuffled.inventory, shuffled.flows))).toBe(reference);
      }),
      { numRuns: 400 },
    );
  });

  it('computes a device alone exactly as in the full computation (deviceIds option)', () => {
    fc.assert(
      fc.property(rawArb, fc.nat(), (raw, pick) => {
        const { inventory, flows } = build(raw);
        const all = computeRuleSets(inventory, flows);
        const chosen = all[pick % all.length];
        expect(computeRuleSets(inventory, flows, { deviceIds: [chosen.deviceId] })).toEqual([chosen]);
      }),
      { numRuns: 100 },
    );
  });
});
