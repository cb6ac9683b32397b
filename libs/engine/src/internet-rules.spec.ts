/**
 * Focused checks of the internet-path semantics (README "Internet paths"), one rule at a time, on small
 * inventories built here: connectivity, publications and NAT entries, the source and destination sides,
 * onInternet destinations, carried flows, overlapping private ranges, FortiOS VIPs, validation.
 */
import { builtinFlows } from '@app/catalog';
import { computeRuleSets } from './compute';
import { EngineInputError } from './inventory-index';
import type {
  CatalogFlow,
  DeviceInput,
  Inventory,
  NodeInput,
  PublicationInput,
  RuleSet,
  SiteInput,
  Vendor,
} from './model';
import { traceReachability } from './reachability';
import { handCheckedInventory } from './testing/hand-checked.fixture';
import { PUBLIC_INTERNET } from './testing/internet.fixture';

/** 0.0.0.0/0 minus the non-public ranges, as written out by hand in the internet fixture. */
const PUBLIC = PUBLIC_INTERNET.join(',');

const V1 = 'v1';
const flow = (
  id: string,
  from: CatalogFlow['from'],
  to: CatalogFlow['to'],
  ports: number[],
  extra: Partial<CatalogFlow> = {},
): CatalogFlow => ({
  id,
  version: V1,
  from,
  to,
  protocol: 'tcp',
  ports: ports.map((p) => ({ from: p, to: p })),
  purpose: id,
  ...extra,
});
const FLOWS: CatalogFlow[] = [
  flow('agent-master', 'agent', 'master', [9000, 9001, 50051]),
  flow('console-master', 'console', 'master', [443]),
  flow('probe-vpn', 'probe', 'master', [1194]),
  flow('master-probe', 'master', 'probe', [8888, 9390], { carriedBy: 'probe-vpn' }),
];

const site = (id: string, extra: Partial<SiteInput> = {}): SiteInput => ({
  id,
  name: id.toUpperCase(),
  catalogVersion: V1,
  ...extra,
});
const node = (id: string, siteId: string, role: NodeInput['role'], addresses: string[]): NodeInput => ({
  id,
  siteId,
  name: id,
  role,
  addresses,
  selectors: [],
});
const firewall = (
  id: string,
  siteId: string,
  zoneIds: string[],
  publicAddresses?: string[],
  vendor: Vendor = 'pfsense',
): DeviceInput => ({
  id,
  siteId,
  name: `${id} box`,
  vendor,
  interfaces: [
    { name: 'wan', external: true, zoneIds: [], ...(publicAddresses ? { publicAddresses } : {}) },
    { name: 'lan', external: false, zoneIds },
  ],
});
const publication = (
  id: string,
  nodeId: string,
  deviceId: string,
  ports: PublicationInput['ports'],
  extra: Partial<PublicationInput> = {},
): PublicationInput => ({
  id,
  nodeId,
  deviceId,
  ports,
  ...extra,
});
const tcp = (from: number, to = from, externalFrom?: number) => ({
  protocol: 'tcp' as const,
  ports: { from, to },
  ...(externalFrom !== undefined ? { externalFrom } : {}),
});

/** HQ (master 10.0.0.5, published 9000-9001, 50051, 443, 1194) and a branch (agents), both `internet`. */
function twoSites(vendor: Vendor = 'pfsense'): Inventory {
  return {
    sites: [site('hq', { connectivity: 'internet' }), site('br', { connectivity: 'internet' })],
    zones: [
      { id: 'hq-lan', siteId: 'hq', name: 'lan', cidrs: ['10.0.0.0/24'] },
      { id: 'br-lan', siteId: 'br', name: 'lan', cidrs: ['10.1.0.0/24'] },
    ],
    nodes: [node('master', 'hq', 'master', ['10.0.0.5']), node('agents', 'br', 'agent', ['10.1.0.0/25'])],
    devices: [
      firewall('hq-fw', 'hq', ['hq-lan'], ['198.51.100.10'], vendor),
      firewall('br-fw', 'br', ['br-lan'], ['203.0.113.20'], vendor),
    ],
    publications: [publication('pub', 'master', 'hq-fw', [tcp(9000, 9001), tcp(50051), tcp(443), tcp(1194)])],
  };
}

function byDevice(ruleSets: RuleSet[]): Record<string, RuleSet> {
  return Object.fromEntries(ruleSets.map((r) => [r.deviceId, r]));
}

/** Each rule as "ingress>egress source-entries -> destination-entries ports [nat]". */
function summary(ruleSet: RuleSet): string[] {
  const objects = new Map(ruleSet.addresses.map((a) => [a.name, a.entries.join(',')]));
  const services = new Map(
    ruleSet.services.map((s) => [
      s.name,
      s.ports.map((p) => (p.from === p.to ? `${p.from}` : `${p.from}-${p.to}`)).join(','),
    ]),
  );
  const nat = new Map((ruleSet.nat ?? []).map((n) => [n.name, n]));
  return ruleSet.rules.map((r) => {
    const vip = nat.get(r.destination);
    const dst = vip ? `VIP(${vip.externalAddress}:${vip.externalPorts.from})` : objects.get(r.destination);
    const forward = r.nat
      ? ` [${nat.get(r.nat)?.externalAddress}:${nat.get(r.nat)?.externalPorts.from}]`
      : '';
    return `${r.ingress}>${r.egress} ${objects.get(r.source)} -> ${dst} ${services.get(r.service)}/${r.protocol}${forward}`;
  });
}

describe('internet paths: connectivity', () => {
  it('keeps inventories without internet connectivity byte-identical, publications and public addresses notwithstanding', () => {
    for (const version of ['utmstack-v9', 'utmstack-v11'] as const) {
      const plain = handCheckedInventory(version);
      const decorated: Inventory = {
        ...plain,
        devices: plain.devices.map((d) => ({
          ...d,
          interfaces: d.interfaces.map((i) =>
            i.external ? { ...i, publicAddresses: ['192.0.2.1', 'interface'] } : i,
          ),
        })),
        siteLinks: [{ siteAId: 'hq', siteBId: 'br1', connectivity: 'routed' }],
        publications: [publication('p', 'hq-master', 'hq-fw', [tcp(1, 65535)])],
      };
      const before = computeRuleSets(plain, builtinFlows());
      const after = computeRuleSets(decorated, builtinFlows());
      expect(after).toEqual(before);
      expect(after.every((r) => !('nat' in r) && !('natSemantics' in r))).toBe(true);
    }
  });

  it('lets a site link win over the sites’ connectivity, in either order', () => {
    const routed = {
      ...twoSites(),
      siteLinks: [{ siteAId: 'br', siteBId: 'hq', connectivity: 'routed' as const }],
    };
    const sets = byDevice(computeRuleSets(routed, FLOWS));
    expect(summary(sets['br-fw'])).toEqual(['lan>wan 10.1.0.0/25 -> 10.0.0.5/32 9000-9001,50051/tcp']);
    expect(sets['hq-fw'].nat).toBeUndefined();
    const internet = {
      ...twoSites(),
      sites: [site('hq'), site('br')],
      siteLinks: [{ siteAId: 'hq', siteBId: 'br', connectivity: 'internet' as const }],
    };
    expect(summary(byDevice(computeRuleSets(internet, FLOWS))['br-fw'])).toEqual([
      'lan>wan 10.1.0.0/25 -> 198.51.100.10/32 9000-9001,50051/tcp',
    ]);
  });

  it('makes a pair internet when either site says so', () => {
    const one = { ...twoSites(), sites: [site('hq', { connectivity: 'internet' }), site('br')] };
    expect(summary(byDevice(computeRuleSets(one, FLOWS))['br-fw'])).toEqual([
      'lan>wan 10.1.0.0/25 -> 198.51.100.10/32 9000-9001,50051/tcp',
    ]);
  });
});

describe('internet paths: publications and NAT', () => {
  it('forwards exactly the ports flows need, per contiguous range, with the external ports mapped', () => {
    const inventory = {
      ...twoSites(),
      publications: [publication('pub', 'master', 'hq-fw', [tcp(8990, 9010, 18990), tcp(50000, 50100)])],
    };
    const sets = byDevice(computeRuleSets(inventory, FLOWS));
    expect(
      sets['hq-fw'].nat?.map((n) => [
        n.interface,
        n.externalAddress,
        n.externalPorts,
        n.target,
        n.targetPorts,
        n.flowIds,
      ]),
    ).toEqual([
      [
        'wan',
        '198.51.100.10',
        { from: 19000, to: 19001 },
        '10.0.0.5',
        { from: 9000, to: 9001 },
        ['agent-master'],
      ],
      [
        'wan',
        '198.51.100.10',
        { from: 50051, to: 50051 },
        '10.0.0.5',
        { from: 50051, to: 50051 },
        ['agent-master'],
      ],
    ]);
    // the branch sends to the external ports; HQ admits the internal ones from the branch's public address
    expect(summary(sets['br-fw'])).toEqual(['lan>wan 10.1.0.0/25 -> 198.51.100.10/32 19000-19001,50051/tcp']);
    expect(summary(sets['hq-fw']).sort()).toEqual([
      'wan>lan 203.0.113.20/32 -> 10.0.0.5/32 50051/tcp [198.51.100.10:50051]',
      'wan>lan 203.0.113.20/32 -> 10.0.0.5/32 9000-9001/tcp [198.51.100.10:19000]',
    ]);
    expect(sets['hq-fw'].natSemantics).toBe('filter-after-dnat');
  });

  it('leaves unpublished ports without any rule', () => {
    const inventory = { ...twoSites(), publications: [publication('pub', 'master', 'hq-fw', [tcp(50051)])] };
    const sets = byDevice(computeRuleSets(inventory, FLOWS));
    expect(summary(sets['br-fw'])).toEqual(['lan>wan 10.1.0.0/25 -> 198.51.100.10/32 50051/tcp']);
    expect(sets['hq-fw'].nat?.map((n) => n.externalPorts.from)).toEqual([50051]);
    const result = traceReachability(inventory, FLOWS, Object.values(sets), 'agents', 'master');
    expect(result.unpublished).toEqual([{ protocol: 'tcp', ports: [{ from: 9000, to: 9001 }] }]);
    expect(result.allowed).toBe(false);
    const nothing = { ...twoSites(), publications: [] };
    const none = byDevice(computeRuleSets(nothing, FLOWS));
    expect(none['br-fw'].rules).toEqual([]);
    expect(none['hq-fw'].rules).toEqual([]);
  });

  it('sends to the public internet when the public address is the interface’s own, and forwards on `interface`', () => {
    const inventory = {
      ...twoSites(),
      publications: [publication('pub', 'master', 'hq-fw', [tcp(50051)], { publicAddress: 'interface' })],
    };
    const sets = byDevice(computeRuleSets(inventory, FLOWS));
    expect(summary(sets['br-fw'])).toEqual([`lan>wan 10.1.0.0/25 -> ${PUBLIC} 50051/tcp`]);
    expect(sets['hq-fw'].nat?.map((n) => [n.externalAddress, n.description])).toEqual([
      ['interface', 'publish master master at hq-fw box wan address:50051/tcp → 10.0.0.5:50051'],
    ]);
    expect(sets['br-fw'].rules[0].explanations[0].text).toBe(
      'agent agents → master master: agent-master, 50051/tcp over the internet via hq-fw box wan address:50051',
    );
  });

  it('admits the public internet when the source site’s egress address is unknown', () => {
    const base = twoSites();
    const inventory = {
      ...base,
      devices: [base.devices[0], firewall('br-fw', 'br', ['br-lan'], ['interface'])],
    };
    expect(summary(byDevice(computeRuleSets(inventory, FLOWS))['hq-fw']).sort()).toEqual([
      `wan>lan ${PUBLIC} -> 10.0.0.5/32 50051/tcp [198.51.100.10:50051]`,
      `wan>lan ${PUBLIC} -> 10.0.0.5/32 9000-9001/tcp [198.51.100.10:9000]`,
    ]);
  });

  // Issue #12, exactness: "somewhere on the internet" never covers a private address, which only an
  // untranslated packet carries (a routed peer behind the VPN, a local node on an inner firewall's outside).
  it('never admits a forward or lets a node out to a private address when an end is unknown', () => {
    const base = twoSites();
    const inventory: Inventory = {
      ...base,
      sites: [...base.sites, site('vpn'), site('roam', { onInternet: true })],
      siteLinks: [{ siteAId: 'hq', siteBId: 'vpn', connectivity: 'routed' }],
      zones: [
        ...base.zones,
        { id: 'hq-srv', siteId: 'hq', name: 'servers', cidrs: ['10.0.0.0/28'] },
        { id: 'vpn-lan', siteId: 'vpn', name: 'lan', cidrs: ['172.16.5.0/24'] },
      ],
      nodes: [
        node('master', 'hq', 'master', ['10.0.0.5']),
        node('agents', 'br', 'agent', ['10.1.0.0/25']),
        node('roamers', 'roam', 'agent', ['0.0.0.0/0']),
      ],
      devices: [
        firewall('hq-fw', 'hq', ['hq-lan'], ['198.51.100.10']),
        firewall('br-fw', 'br', ['br-lan'], ['interface']),
        {
          id: 'hq-core',
          siteId: 'hq',
          name: 'core',
          vendor: 'opnsense',
          interfaces: [
            { name: 'up', external: true, zoneIds: [] },
            { name: 'srv', external: false, zoneIds: ['hq-srv'] },
          ],
        },
      ],
      publications: [publication('pub', 'master', 'hq-fw', [tcp(50051)], { publicAddress: 'interface' })],
    };
    const sets = byDevice(computeRuleSets(inventory, FLOWS));
    // the branch's egress is unknown and the roamers are anywhere: the public internet, at the edge and on
    // the inner firewall, so neither 172.16.5.0/24 (routed VPN) nor 10.0.0.16-255 (outside the core) passes
    expect(summary(sets['hq-fw'])).toEqual([`wan>lan ${PUBLIC} -> 10.0.0.5/32 50051/tcp [interface:50051]`]);
    expect(summary(sets['hq-core'])).toEqual([`up>srv ${PUBLIC} -> 10.0.0.5/32 50051/tcp`]);
    // the master's address is the interface's own: the branch may send anywhere public, nowhere private
    expect(summary(sets['br-fw'])).toEqual([`lan>wan 10.1.0.0/25 -> ${PUBLIC} 50051/tcp`]);
    for (const id of ['hq-fw', 'hq-core', 'br-fw']) {
      expect(sets[id].addresses.flatMap((a) => a.entries)).not.toContain('0.0.0.0/0');
    }
    const result = traceReachability(inventory, FLOWS, Object.values(sets), 'roamers', 'master');
    expect(result.hops.map((h) => [h.deviceId, h.sourceCidrs.join(','), h.missing])).toEqual([
      ['hq-fw', PUBLIC, []],
      ['hq-core', PUBLIC, []],
    ]);
    // only 50051 is published: 9000-9001 are reported, nothing else stands in the way
    expect([result.allowed, result.unpublished]).toEqual([
      false,
      [{ protocol: 'tcp', ports: [{ from: 9000, to: 9001 }] }],
    ]);
  });

  it('lets the destination site’s inner firewalls admit the forwarded traffic, from the egress address', () => {
    const base = twoSites();
    const inventory: Inventory = {
      ...base,
      zones: [...base.zones, { id: 'hq-srv', siteId: 'hq', name: 'servers', cidrs: ['10.0.0.0/28'] }],
      devices: [
        ...base.devices,
        {
          id: 'hq-core',
          siteId: 'hq',
          name: 'core',
          vendor: 'opnsense',
          interfaces: [
            { name: 'up', external: true, zoneIds: [] },
            { name: 'srv', external: false, zoneIds: ['hq-srv'] },
          ],
        },
      ],
    };
    const sets = byDevice(computeRuleSets(inventory, FLOWS));
    expect(summary(sets['hq-core'])).toEqual(['up>srv 203.0.113.20/32 -> 10.0.0.5/32 9000-9001,50051/tcp']);
    expect(sets['hq-core'].nat).toBeUndefined();
    // reachability: the branch, then the forward at the edge, then the core
    const result = traceReachability(inventory, FLOWS, Object.values(sets), 'agents', 'master');
    expect(
      result.hops.map((h) => [h.deviceId, h.ingress, h.egress, h.translations?.length ?? 0, h.missing]),
    ).toEqual([
      ['br-fw', 'lan', 'wan', 0, []],
      ['hq-fw', 'wan', 'lan', 2, []],
      ['hq-core', 'up', 'srv', 0, []],
    ]);
    expect(result.allowed).toBe(true);
  });

  it('names NAT entries within 31 characters whatever the prefix', () => {
    const sets = computeRuleSets(twoSites(), FLOWS, { prefix: 'averylongpre' });
    for (const n of byDevice(sets)['hq-fw'].nat ?? []) {
      expect(n.name.length).toBeLessThanOrEqual(31);
      expect(n.name).toMatch(/^averylongprenat_[a-z]*_?[0-9a-f]{6}_tcp$/);
    }
  });
});

describe('internet paths: FortiOS VIPs', () => {
  it('names the VIP as the policy destination and never puts two VIPs or a VIP and an address in one policy', () => {
    const base = twoSites('fortios');
    const inventory: Inventory = {
      ...base,
      sites: [...base.sites, site('b2')],
      siteLinks: [{ siteAId: 'hq', siteBId: 'b2', connectivity: 'routed' }],
      zones: [...base.zones, { id: 'b2-lan', siteId: 'b2', name: 'lan', cidrs: ['10.2.0.0/24'] }],
      nodes: [...base.nodes, node('b2-agents', 'b2', 'agent', ['10.2.0.0/24'])],
      devices: [
        {
          ...base.devices[0],
          interfaces: [
            { ...base.devices[0].interfaces[0], publicAddresses: ['198.51.100.10', '198.51.100.11'] },
            base.devices[0].interfaces[1],
          ],
        },
        base.devices[1],
        firewall('b2-fw', 'b2', ['b2-lan'], undefined, 'fortios'),
      ],
      publications: [
        publication('pub-a', 'master', 'hq-fw', [tcp(9000, 9001), tcp(50051)]),
        publication('pub-b', 'master', 'hq-fw', [tcp(9000, 9001), tcp(50051)], {
          publicAddress: '198.51.100.11',
        }),
      ],
    };
    const hq = byDevice(computeRuleSets(inventory, FLOWS))['hq-fw'];
    expect(hq.natSemantics).toBe('vip-in-policy');
    expect(summary(hq).sort()).toEqual([
      'wan>lan 10.2.0.0/24 -> 10.0.0.5/32 9000-9001,50051/tcp',
      'wan>lan 203.0.113.20/32 -> VIP(198.51.100.10:50051) 50051/tcp [198.51.100.10:50051]',
      'wan>lan 203.0.113.20/32 -> VIP(198.51.100.10:9000) 9000-9001/tcp [198.51.100.10:9000]',
      'wan>lan 203.0.113.20/32 -> VIP(198.51.100.11:50051) 50051/tcp [198.51.100.11:50051]',
      'wan>lan 203.0.113.20/32 -> VIP(198.51.100.11:9000) 9000-9001/tcp [198.51.100.11:9000]',
    ]);
    // the VIPs are not address objects
    expect(hq.addresses.some((a) => (hq.nat ?? []).some((n) => n.name === a.name))).toBe(false);
    // the branch may use either door (.10 and .11 summarised exactly into one /31)
    expect(summary(byDevice(computeRuleSets(inventory, FLOWS))['br-fw'])).toEqual([
      'lan>wan 10.1.0.0/25 -> 198.51.100.10/31 9000-9001,50051/tcp',
    ]);
  });
});

describe('internet paths: destinations on the internet', () => {
  it('gives the source site an outbound rule to the node’s own addresses, and no NAT anywhere', () => {
    const base = twoSites();
    const inventory: Inventory = {
      ...base,
      sites: [...base.sites, site('cloud', { onInternet: true })],
      nodes: [
        node('cloud-master', 'cloud', 'master', ['192.0.2.50']),
        node('agents', 'br', 'agent', ['10.1.0.0/25']),
      ],
      publications: [],
    };
    const sets = computeRuleSets(inventory, FLOWS);
    const br = byDevice(sets)['br-fw'];
    expect(summary(br)).toEqual(['lan>wan 10.1.0.0/25 -> 192.0.2.50/32 9000-9001,50051/tcp']);
    expect(br.rules[0].explanations.map((e) => e.text)).toEqual([
      'agent agents → master cloud-master: agent-master, 9000-9001,50051/tcp over the internet',
    ]);
    expect(sets.every((r) => r.nat === undefined)).toBe(true);
    expect(byDevice(sets)['hq-fw'].rules).toEqual([]);
    const result = traceReachability(inventory, FLOWS, sets, 'agents', 'cloud-master');
    expect([result.path, result.allowed, result.unpublished, result.hops.map((h) => h.deviceId)]).toEqual([
      'internet',
      true,
      [],
      ['br-fw'],
    ]);
  });

  it('admits sources on the internet at their own addresses, with no rule on their side', () => {
    const base = twoSites();
    const inventory: Inventory = {
      ...base,
      sites: [...base.sites, site('roam', { onInternet: true })],
      nodes: [...base.nodes, node('analysts', 'roam', 'console', ['192.0.2.0/24', '2001:db8::/64'])],
    };
    expect(summary(byDevice(computeRuleSets(inventory, FLOWS))['hq-fw'])).toContain(
      'wan>lan 192.0.2.0/24 -> 10.0.0.5/32 443/tcp [198.51.100.10:443]',
    );
  });

  it('sends to the public part of an internet node’s addresses only', () => {
    const base = twoSites();
    const inventory: Inventory = {
      ...base,
      sites: [...base.sites, site('cloud', { onInternet: true })],
      nodes: [
        // anywhere, and a range straddling 10.0.0.0/8: only what is public is on the internet
        node('cloud-master', 'cloud', 'master', ['0.0.0.0/0']),
        node('agents', 'br', 'agent', ['10.1.0.0/25']),
      ],
      publications: [],
    };
    expect(summary(byDevice(computeRuleSets(inventory, FLOWS))['br-fw'])).toEqual([
      `lan>wan 10.1.0.0/25 -> ${PUBLIC} 9000-9001,50051/tcp`,
    ]);
    const straddling: Inventory = {
      ...inventory,
      nodes: [node('cloud-master', 'cloud', 'master', ['8.0.0.0/6']), inventory.nodes[1]],
    };
    // 8.0.0.0/6 = 8.0.0.0-11.255.255.255: 10.0.0.0/8 taken out
    expect(summary(byDevice(computeRuleSets(straddling, FLOWS))['br-fw'])).toEqual([
      'lan>wan 10.1.0.0/25 -> 8.0.0.0/7,11.0.0.0/8 9000-9001,50051/tcp',
    ]);
  });

  it('gives nothing to an internet node without a public address', () => {
    const base = twoSites();
    const inventory: Inventory = {
      ...base,
      sites: [...base.sites, site('cloud', { onInternet: true })],
      nodes: [
        node('cloud-master', 'cloud', 'master', ['10.9.0.1']),
        node('agents', 'br', 'agent', ['10.1.0.0/25']),
      ],
      publications: [],
    };
    const sets = computeRuleSets(inventory, FLOWS);
    expect(sets.flatMap((r) => r.rules)).toEqual([]);
    const result = traceReachability(inventory, FLOWS, sets, 'agents', 'cloud-master');
    expect([result.path, result.allowed, result.hops]).toEqual(['internet', false, []]);
  });

  it('drops sources without an IPv4 address (no NAT66)', () => {
    const base = twoSites();
    const inventory = { ...base, nodes: [base.nodes[0], node('agents', 'br', 'agent', ['2001:db8:1::/64'])] };
    const sets = computeRuleSets(inventory, FLOWS);
    expect(sets.flatMap((r) => r.rules)).toEqual([]);
  });
});

describe('internet paths: carried flows', () => {
  const withProbe = (publishVpn: boolean, publishProbe: boolean): Inventory => {
    const base = twoSites();
    return {
      ...base,
      nodes: [...base.nodes, node('probe', 'br', 'probe', ['10.1.0.200'])],
      publications: [
        publication('pub', 'master', 'hq-fw', publishVpn ? [tcp(1194)] : [tcp(50051)]),
        ...(publishProbe ? [publication('pub-probe', 'probe', 'br-fw', [tcp(8888), tcp(9390)])] : []),
      ],
    };
  };

  it('needs no rule for a flow carried inside a deliverable carrier', () => {
    const inventory = withProbe(true, false);
    const sets = computeRuleSets(inventory, FLOWS);
    // only the VPN (branch out, HQ in); the agents' ports are not published here
    expect(sets.flatMap((r) => r.rules.flatMap((x) => x.flowIds)).sort()).toEqual(['probe-vpn', 'probe-vpn']);
    const result = traceReachability(inventory, FLOWS, sets, 'master', 'probe');
    expect(result.carried).toEqual([
      {
        flowId: 'master-probe',
        carrierFlowId: 'probe-vpn',
        text: 'master master → probe probe: master-probe 8888/tcp, 9390/tcp carried inside probe-vpn 1194/tcp',
      },
    ]);
    expect(result.allowed).toBe(true);
  });

  it('treats the flow as any other when its carrier cannot get through', () => {
    const unpublished = withProbe(false, false);
    const sets = computeRuleSets(unpublished, FLOWS);
    expect(sets.flatMap((r) => r.rules.flatMap((x) => x.flowIds))).not.toContain('master-probe');
    const result = traceReachability(unpublished, FLOWS, sets, 'master', 'probe');
    expect(result.carried).toEqual([]);
    expect(result.unpublished).toEqual([
      {
        protocol: 'tcp',
        ports: [
          { from: 8888, to: 8888 },
          { from: 9390, to: 9390 },
        ],
      },
    ]);
    expect(result.allowed).toBe(false);
    // published on the branch's firewall, it is forwarded there like any flow
    const published = byDevice(computeRuleSets(withProbe(false, true), FLOWS));
    expect(summary(published['hq-fw'])).toContain('lan>wan 10.0.0.5/32 -> 203.0.113.20/32 8888,9390/tcp');
    expect(published['br-fw'].nat?.map((n) => n.externalPorts.from)).toEqual([8888, 9390]);
  });

  it('is not carried on a routed path', () => {
    const routed = {
      ...withProbe(true, false),
      siteLinks: [{ siteAId: 'hq', siteBId: 'br', connectivity: 'routed' as const }],
    };
    const sets = byDevice(computeRuleSets(routed, FLOWS));
    expect(summary(sets['hq-fw'])).toContain('lan>wan 10.0.0.5/32 -> 10.1.0.200/32 8888,9390/tcp');
  });
});

describe('internet paths: overlapping private ranges', () => {
  it('never evaluates a path on the firewall of another site that uses the same private range', () => {
    // Both NATed sites use 10.0.0.0/24; a third site reaches HQ over a VPN.
    const inventory: Inventory = {
      sites: [
        site('hq', { connectivity: 'internet' }),
        site('br', { connectivity: 'internet' }),
        site('vpn'),
      ],
      siteLinks: [{ siteAId: 'vpn', siteBId: 'hq', connectivity: 'routed' }],
      zones: [
        { id: 'hq-lan', siteId: 'hq', name: 'lan', cidrs: ['10.0.0.0/24'] },
        { id: 'br-lan', siteId: 'br', name: 'lan', cidrs: ['10.0.0.0/24'] },
        { id: 'vpn-lan', siteId: 'vpn', name: 'lan', cidrs: ['10.9.0.0/24'] },
      ],
      nodes: [
        node('master', 'hq', 'master', ['10.0.0.5']),
        node('br-agents', 'br', 'agent', ['10.0.0.20']),
        node('vpn-agents', 'vpn', 'agent', ['10.9.0.0/24']),
      ],
      devices: [
        firewall('hq-fw', 'hq', ['hq-lan'], ['198.51.100.10']),
        firewall('br-fw', 'br', ['br-lan'], ['203.0.113.20']),
        firewall('vpn-fw', 'vpn', ['vpn-lan']),
      ],
      publications: [publication('pub', 'master', 'hq-fw', [tcp(9000, 9001), tcp(50051)])],
    };
    const sets = byDevice(computeRuleSets(inventory, FLOWS));
    // Branch's firewall: only its own agents towards HQ's public address; never the VPN site's traffic to
    // 10.0.0.5, which is one of its own addresses there
    expect(summary(sets['br-fw'])).toEqual(['lan>wan 10.0.0.20/32 -> 198.51.100.10/32 9000-9001,50051/tcp']);
    expect(summary(sets['hq-fw']).sort()).toEqual([
      'wan>lan 10.9.0.0/24 -> 10.0.0.5/32 9000-9001,50051/tcp',
      'wan>lan 203.0.113.20/32 -> 10.0.0.5/32 50051/tcp [198.51.100.10:50051]',
      'wan>lan 203.0.113.20/32 -> 10.0.0.5/32 9000-9001/tcp [198.51.100.10:9000]',
    ]);
    expect(summary(sets['vpn-fw'])).toEqual(['lan>wan 10.9.0.0/24 -> 10.0.0.5/32 9000-9001,50051/tcp']);
    const hops = traceReachability(inventory, FLOWS, Object.values(sets), 'vpn-agents', 'master').hops;
    expect(hops.map((h) => h.deviceId)).toEqual(['hq-fw', 'vpn-fw']);
  });
});

describe('internet paths: determinism', () => {
  it('gives the same rule sets for shuffled publications, ports, links and public addresses', () => {
    const inventory: Inventory = {
      ...twoSites('fortios'),
      publications: [
        publication('a', 'master', 'hq-fw', [tcp(9000), tcp(9001, 9001, 19001)]),
        publication('b', 'master', 'hq-fw', [tcp(50051), tcp(443)], { publicAddress: '198.51.100.12' }),
      ],
    };
    const shuffled: Inventory = {
      ...inventory,
      publications: [...(inventory.publications ?? [])]
        .reverse()
        .map((p) => ({ ...p, ports: [...p.ports].reverse() })),
      devices: [...inventory.devices].reverse(),
      nodes: [...inventory.nodes].reverse(),
    };
    expect(computeRuleSets(shuffled, [...FLOWS].reverse())).toEqual(computeRuleSets(inventory, FLOWS));
  });
});

describe('internet paths: validation', () => {
  const base = twoSites();
  const cases: Array<[string, Inventory, string, RegExp]> = [
    [
      'unknown node',
      { ...base, publications: [publication('p', 'nope', 'hq-fw', [tcp(1)])] },
      'invalid-publication',
      /unknown node "nope"/,
    ],
    [
      'unknown device',
      { ...base, publications: [publication('p', 'master', 'nope', [tcp(1)])] },
      'invalid-publication',
      /unknown device "nope"/,
    ],
    [
      'device of another site',
      { ...base, publications: [publication('p', 'master', 'br-fw', [tcp(1)])] },
      'invalid-publication',
      /not at the site/,
    ],
    [
      'unknown interface',
      { ...base, publications: [publication('p', 'master', 'hq-fw', [tcp(1)], { interface: 'opt9' })] },
      'invalid-publication',
      /no interface "opt9"/,
    ],
    [
      'interface not external',
      { ...base, publications: [publication('p', 'master', 'hq-fw', [tcp(1)], { interface: 'lan' })] },
      'invalid-publication',
      /not external/,
    ],
    [
      'bad public address',
      {
        ...base,
        publications: [publication('p', 'master', 'hq-fw', [tcp(1)], { publicAddress: '198.51.100.0/24' })],
      },
      'invalid-publication',
      /IPv4 host address or "interface"/,
    ],
    [
      'IPv6 public address',
      {
        ...base,
        publications: [publication('p', 'master', 'hq-fw', [tcp(1)], { publicAddress: '2001:db8::1' })],
      },
      'invalid-publication',
      /IPv4 host address/,
    ],
    [
      'no public address',
      { ...base, devices: [firewall('hq-fw', 'hq', ['hq-lan']), base.devices[1]] },
      'invalid-publication',
      /no public address/,
    ],
    [
      'node without an IPv4 host',
      { ...base, nodes: [node('master', 'hq', 'master', ['10.0.0.0/28', '2001:db8::5'])] },
      'invalid-publication',
      /no IPv4 host address/,
    ],
    [
      'external port out of range',
      { ...base, publications: [publication('p', 'master', 'hq-fw', [tcp(100, 200, 65500)])] },
      'invalid-publication',
      /external port range/,
    ],
    [
      'public address on an inner interface',
      {
        ...base,
        devices: [
          {
            ...base.devices[0],
            interfaces: [
              base.devices[0].interfaces[0],
              { name: 'lan', external: false, zoneIds: ['hq-lan'], publicAddresses: ['192.0.2.1'] },
            ],
          },
          base.devices[1],
        ],
      },
      'invalid-public-address',
      /external interfaces only/,
    ],
    [
      'public address not a host',
      { ...base, devices: [firewall('hq-fw', 'hq', ['hq-lan'], ['198.51.100.0/24']), base.devices[1]] },
      'invalid-public-address',
      /must be an IPv4 host address/,
    ],
    [
      'link to an unknown site',
      { ...base, siteLinks: [{ siteAId: 'hq', siteBId: 'mars', connectivity: 'routed' }] },
      'invalid-site-link',
      /unknown site "mars"/,
    ],
    [
      'link to itself',
      { ...base, siteLinks: [{ siteAId: 'hq', siteBId: 'hq', connectivity: 'routed' }] },
      'invalid-site-link',
      /to itself/,
    ],
    [
      'two links for a pair',
      {
        ...base,
        siteLinks: [
          { siteAId: 'hq', siteBId: 'br', connectivity: 'routed' },
          { siteAId: 'br', siteBId: 'hq', connectivity: 'internet' },
        ],
      },
      'duplicate-site-link',
      /two site links/,
    ],
    [
      'routed link to a site on the internet',
      {
        ...base,
        sites: [...base.sites, site('roam', { onInternet: true })],
        siteLinks: [{ siteAId: 'roam', siteBId: 'hq', connectivity: 'routed' }],
      },
      'invalid-site-link',
      /on the internet/,
    ],
    [
      'internet site with a zone',
      {
        ...base,
        sites: [...base.sites, site('roam', { onInternet: true })],
        zones: [...base.zones, { id: 'z', siteId: 'roam', name: 'z', cidrs: ['192.0.2.0/24'] }],
      },
      'invalid-site',
      /cannot have zones/,
    ],
    [
      'internet site with a device',
      {
        ...base,
        sites: [...base.sites, site('roam', { onInternet: true })],
        devices: [...base.devices, firewall('r-fw', 'roam', [])],
      },
      'invalid-site',
      /cannot have devices/,
    ],
    [
      'two publications forwarding the same public port',
      {
        ...base,
        nodes: [...base.nodes, node('other', 'hq', 'master', ['10.0.0.6'])],
        publications: [
          publication('p1', 'master', 'hq-fw', [tcp(443)]),
          publication('p2', 'other', 'hq-fw', [tcp(400, 500)]),
        ],
      },
      'duplicate-publication',
      /publication "p2" and publication "p1" both forward tcp port\(s\) 400-500 of 198\.51\.100\.10/,
    ],
    [
      'one publication forwarding a public port twice',
      { ...base, publications: [publication('p1', 'master', 'hq-fw', [tcp(443), tcp(8443, 8443, 443)])] },
      'duplicate-publication',
      /twice/,
    ],
  ];

  it.each(cases)('refuses %s', (_, inventory, code, message) => {
    let caught: unknown;
    try {
      computeRuleSets(inventory, FLOWS);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(EngineInputError);
    expect((caught as EngineInputError).code).toBe(code);
    expect((caught as EngineInputError).message).toMatch(message);
  });

  it('accepts the same public port on another address, protocol or device', () => {
    const inventory: Inventory = {
      ...base,
      devices: [
        {
          ...base.devices[0],
          interfaces: [
            { ...base.devices[0].interfaces[0], publicAddresses: ['198.51.100.10', '198.51.100.11'] },
            base.devices[0].interfaces[1],
          ],
        },
        base.devices[1],
      ],
      nodes: [...base.nodes, node('other', 'hq', 'master', ['10.0.0.6'])],
      publications: [
        publication('p1', 'master', 'hq-fw', [tcp(443)]),
        publication('p2', 'other', 'hq-fw', [tcp(443)], { publicAddress: '198.51.100.11' }),
        publication('p3', 'other', 'hq-fw', [{ protocol: 'udp', ports: { from: 443, to: 443 } }]),
      ],
    };
    expect(() => computeRuleSets(inventory, FLOWS)).not.toThrow();
  });
});
