/**
 * Stable names: an address object or rule whose meaning did not change keeps its name when nodes that
 * have nothing to do with it come and go, and an object that gains or loses members keeps its name too
 * (its entries change, so a connector updates it instead of deleting and recreating it).
 *
 * Random deployments on the built-in v9 and v11 catalogs: a headquarters with the master, branch sites
 * with or without a firewall, probes (v9), agents (some pointed at the master by `collectorId`),
 * agentless sources and consoles with random selectors. Changes:
 * - a whole new site with agents, agentless sources and consoles (and its removal: the same pair read
 *   backwards), i.e. nodes of other sites;
 * - a new agent, agentless source or console that asks exactly what an existing node asks (same site,
 *   zone, selectors and collector): it joins that node's object.
 * Comparing the rule sets before and after, per device:
 * - a rule with the same interfaces, family, protocol, source and destination entries and ports keeps its
 *   name, and so does an address object with the same entries and members;
 * - an object whose members all remain in one object, joined only by new nodes, keeps its name.
 */
import { builtinFlows } from '@app/catalog';
import fc from 'fast-check';
import { computeRuleSets } from './compute';
import { handCheckedInventory } from './testing/hand-checked.fixture';
import type { CatalogFlow, DeviceInput, Inventory, NodeInput, RuleSet, ZoneInput } from './model';

type Version = 'utmstack-v9' | 'utmstack-v11';

const AGENTLESS_SELECTORS = ['syslog', 'cisco', 'netflow', 'fortigate', 'http'];
const CONSOLE_SELECTORS = ['web', 'admin', 'http'];

interface RawNode {
  role: 'agent' | 'agentless' | 'console';
  zone: 0 | 1 | 2; // lan, dmz, outside every zone
  selectors: string[];
  /** Agents only: report to the master instead of the default collector. */
  toMaster: boolean;
}

interface RawSite {
  firewall: boolean;
  probe: boolean;
  nodes: RawNode[];
}

const rawNodeArb: fc.Arbitrary<RawNode> = fc
  .record({
    role: fc.constantFrom<RawNode['role']>('agent', 'agent', 'agentless', 'console'),
    zone: fc.constantFrom<RawNode['zone']>(0, 0, 1, 2),
    agentless: fc.subarray(AGENTLESS_SELECTORS, { maxLength: 2 }),
    console: fc.subarray(CONSOLE_SELECTORS, { maxLength: 2 }),
    toMaster: fc.boolean(),
  })
  .map((n) => ({
    role: n.role,
    zone: n.role === 'console' ? (n.zone === 0 ? 2 : n.zone) : n.zone,
    selectors: n.role === 'agentless' ? n.agentless : n.role === 'console' ? n.console : [],
    toMaster: n.role === 'agent' && n.toMaster,
  }));

const rawSiteArb: fc.Arbitrary<RawSite> = fc.record({
  firewall: fc.boolean(),
  probe: fc.boolean(),
  nodes: fc.array(rawNodeArb, { minLength: 1, maxLength: 5 }),
});

const scenarioArb = fc.record({
  version: fc.constantFrom<Version>('utmstack-v9', 'utmstack-v11'),
  hq: fc.array(rawNodeArb, { maxLength: 5 }),
  branches: fc.array(rawSiteArb, { minLength: 1, maxLength: 3 }),
  added: rawSiteArb,
  sibling: fc.nat(),
});

/** Site k: lan 10.k.1.0/24, dmz 10.k.2.0/24; "outside" nodes get 198.18.k.x (no zone anywhere). */
function address(site: number, zone: RawNode['zone'], host: number): string {
  return zone === 2 ? `198.18.${site}.${host}` : `10.${site}.${zone + 1}.${host}`;
}

function siteParts(
  version: Version,
  k: number,
  raw: RawSite | { firewall: true; probe: false; nodes: RawNode[] },
) {
  const siteId = `s${k}`;
  const zones: ZoneInput[] = [
    { id: `${siteId}-lan`, siteId, name: 'lan', cidrs: [`10.${k}.1.0/24`] },
    { id: `${siteId}-dmz`, siteId, name: 'dmz', cidrs: [`10.${k}.2.0/24`] },
  ];
  const nodes: NodeInput[] = [];
  if (k === 0) {
    nodes.push({
      id: 'master',
      siteId,
      name: 'master',
      role: 'master',
      addresses: ['10.0.2.5', '2001:db8::5'],
      selectors: [],
    });
  }
  if (raw.probe && version === 'utmstack-v9') {
    nodes.push({
      id: `${siteId}-probe`,
      siteId,
      name: `${siteId}-probe`,
      role: 'probe',
      addresses: [address(k, 1, 10)],
      selectors: [],
    });
  }
  raw.nodes.forEach((n, i) => nodes.push(nodeOf(k, n, i)));
  const devices: DeviceInput[] = raw.firewall
    ? [
        {
          id: `${siteId}-fw`,
          siteId,
          name: `${siteId}-fw`,
          vendor: 'pfsense',
          interfaces: [
            { name: 'lan', external: false, zoneIds: [`${siteId}-lan`] },
            { name: 'opt1', external: false, zoneIds: [`${siteId}-dmz`] },
            { name: 'wan', external: true, zoneIds: [] },
          ],
        },
      ]
    : [];
  return { site: { id: siteId, name: `Site-${k}`, catalogVersion: version }, zones, nodes, devices };
}

function nodeOf(k: number, n: RawNode, i: number, id = `s${k}-n${i}`): NodeInput {
  return {
    id,
    siteId: `s${k}`,
    name: id,
    role: n.role,
    addresses: [address(k, n.zone, 20 + i)],
    selectors: n.selectors,
    collectorId: n.toMaster ? 'master' : null,
  };
}

function inventoryOf(sites: Array<ReturnType<typeof siteParts>>): Inventory {
  return {
    sites: sites.map((s) => s.site),
    zones: sites.flatMap((s) => s.zones),
    nodes: sites.flatMap((s) => s.nodes),
    devices: sites.flatMap((s) => s.devices),
  };
}

function scenario(raw: Scenario) {
  const sites = [
    siteParts(raw.version, 0, { firewall: true, probe: false, nodes: raw.hq }),
    ...raw.branches.map((b, i) => siteParts(raw.version, i + 1, b)),
  ];
  const base = inventoryOf(sites);
  const withSite = inventoryOf([...sites, siteParts(raw.version, sites.length, raw.added)]);
  // a node asking exactly what an existing agent, agentless source or console asks, next to it
  const candidates = [raw.hq, ...raw.branches.map((b) => b.nodes)].flatMap((list, k) =>
    list.map((n, i) => ({ k, n, i })),
  );
  const pick = candidates.length > 0 ? candidates[raw.sibling % candidates.length] : null;
  const withSibling: Inventory | null = pick
    ? { ...base, nodes: [...base.nodes, nodeOf(pick.k, pick.n, 100 + pick.i, `s${pick.k}-sibling`)] }
    : null;
  return { base, withSite, withSibling };
}

type Scenario = {
  version: Version;
  hq: RawNode[];
  branches: RawSite[];
  added: RawSite;
  sibling: number;
};

interface ObjectView {
  name: string;
  entries: string;
  members: Set<string>;
}

/** Address objects with the nodes they stand for (read from the rules that use them). */
function objectViews(ruleSet: RuleSet): ObjectView[] {
  const members = new Map<string, Set<string>>(ruleSet.addresses.map((a) => [a.name, new Set<string>()]));
  for (const rule of ruleSet.rules) {
    rule.sourceNodeIds.forEach((id) => members.get(rule.source)?.add(id));
    rule.destinationNodeIds.forEach((id) => members.get(rule.destination)?.add(id));
  }
  return ruleSet.addresses.map((a) => ({
    name: a.name,
    entries: `${a.family}|${a.entries.join(',')}`,
    members: members.get(a.name) as Set<string>,
  }));
}

function ruleContents(ruleSet: RuleSet): Map<string, string> {
  const entries = new Map(ruleSet.addresses.map((a) => [a.name, a.entries.join(',')]));
  const ports = new Map(ruleSet.services.map((s) => [s.name, JSON.stringify(s.ports)]));
  return new Map(
    ruleSet.rules.map((r) => [
      [
        r.ingress,
        r.egress,
        r.family,
        r.protocol,
        entries.get(r.source),
        entries.get(r.destination),
        ports.get(r.service),
      ].join('|'),
      r.name,
    ]),
  );
}

/**
 * What a node asks of the network in these deployments, as the generator builds them: its role, selectors
 * and collector (`collectorId`, else its site's probe, else the master).
 */
function asks(inventory: Inventory, id: string): string {
  const node = inventory.nodes.find((n) => n.id === id) as NodeInput;
  const probe = inventory.nodes.find((n) => n.role === 'probe' && n.siteId === node.siteId);
  const collector = node.collectorId ?? (probe && probe.id !== node.id ? probe.id : 'master');
  return [node.role, [...node.selectors].sort().join(','), node.role === 'agent' ? collector : ''].join('|');
}

/** Names in `before` that should have survived into `after` but did not: [what, before name, after name]. */
function renamed(
  before: RuleSet,
  after: RuleSet,
  inventory: Inventory,
  joined: ReadonlySet<string>,
): string[][] {
  const out: string[][] = [];
  const afterRules = ruleContents(after);
  for (const [content, name] of ruleContents(before)) {
    const now = afterRules.get(content);
    if (now !== undefined && now !== name) out.push(['rule', name, now]);
  }
  const afterObjects = objectViews(after);
  for (const o of objectViews(before)) {
    const same = afterObjects.find(
      (a) =>
        a.entries === o.entries &&
        a.members.size === o.members.size &&
        [...o.members].every((m) => a.members.has(m)),
    );
    if (same && same.name !== o.name) out.push(['object', o.name, same.name]);
    // grown: every member is still in one object, and all that joined it are new nodes that ask what a
    // member asks (another agent reporting to the same collector)
    const family = o.entries.split('|')[0];
    const holders = afterObjects.filter(
      (a) => a.entries.split('|')[0] === family && [...o.members].some((m) => a.members.has(m)),
    );
    const kinds = new Set([...o.members].map((m) => asks(inventory, m)));
    if (
      holders.length === 1 &&
      [...o.members].every((m) => holders[0].members.has(m)) &&
      [...holders[0].members].every(
        (m) => o.members.has(m) || (joined.has(m) && kinds.has(asks(inventory, m))),
      ) &&
      holders[0].name !== o.name
    ) {
      out.push(['grown object', o.name, holders[0].name]);
    }
  }
  return out;
}

function compare(
  flows: CatalogFlow[],
  before: Inventory,
  after: Inventory,
): Array<{ device: string; renamed: string[][] }> {
  const beforeSets = computeRuleSets(before, flows);
  const afterSets = new Map(computeRuleSets(after, flows).map((r) => [r.deviceId, r]));
  const beforeIds = new Set(before.nodes.map((n) => n.id));
  const afterIds = new Set(after.nodes.map((n) => n.id));
  const added = new Set([...afterIds].filter((id) => !beforeIds.has(id)));
  const removed = new Set([...beforeIds].filter((id) => !afterIds.has(id)));
  const both: Inventory = {
    ...after,
    nodes: [...after.nodes, ...before.nodes.filter((n) => removed.has(n.id))],
  };
  return beforeSets
    .filter((b) => afterSets.has(b.deviceId))
    .map((b) => {
      const a = afterSets.get(b.deviceId) as RuleSet;
      // read forwards for additions and backwards for removals, so "joined" are the nodes that came
      return {
        device: b.deviceId,
        renamed: [...renamed(b, a, both, added), ...renamed(a, b, both, removed)],
      };
    })
    .filter((d) => d.renamed.length > 0);
}

describe('stable names (random deployments on the built-in catalogs)', () => {
  const flows = builtinFlows();

  it('adding or removing a site leaves the names of every unchanged or grown object and rule', () => {
    fc.assert(
      fc.property(scenarioArb, (raw) => {
        const { base, withSite } = scenario(raw);
        expect(compare(flows, base, withSite)).toEqual([]);
      }),
      { numRuns: 100 },
    );
  });

  it('a node joining the group of a node that asks the same keeps every name (the group is updated)', () => {
    fc.assert(
      fc.property(scenarioArb, (raw) => {
        const { base, withSibling } = scenario(raw);
        if (withSibling) expect(compare(flows, base, withSibling)).toEqual([]);
      }),
      { numRuns: 100 },
    );
  });

  it.each(['utmstack-v9', 'utmstack-v11'] as const)(
    'does not depend on node ids, which are the database’s (%s)',
    (version) => {
      const inventory = handCheckedInventory(version);
      const renumber = (id: string | null | undefined) => (id ? `00000000-${id}` : id);
      const reloaded: Inventory = {
        ...inventory,
        nodes: inventory.nodes.map((n) => ({
          ...n,
          id: renumber(n.id) as string,
          collectorId: renumber(n.collectorId),
          masterId: renumber(n.masterId),
        })),
      };
      const names = (ruleSets: RuleSet[]) =>
        ruleSets.map((r) => [...r.addresses, ...r.services, ...r.rules].map((o) => o.name));
      expect(names(computeRuleSets(reloaded, flows))).toEqual(names(computeRuleSets(inventory, flows)));
    },
  );
});
