import { computeRuleSets } from './compute';
import { EngineInputError } from './inventory-index';
import type {
  CatalogFlow,
  DeviceInput,
  Inventory,
  NodeInput,
  Protocol,
  Role,
  RuleSet,
  SiteInput,
  ZoneInput,
} from './model';
import { formatPorts, parsePorts } from './ports';

// --- a compact inventory DSL ---------------------------------------------------------------------

const site = (id: string, catalogVersion = 'v1'): SiteInput => ({
  id,
  name: id.toUpperCase(),
  catalogVersion,
});
const zone = (id: string, siteId: string, ...cidrs: string[]): ZoneInput => ({ id, siteId, name: id, cidrs });
const node = (
  id: string,
  siteId: string,
  role: Role,
  addresses: string[],
  extra: Partial<NodeInput> = {},
): NodeInput => ({ id, siteId, name: id, role, addresses, selectors: [], ...extra });
/** Interfaces as `{ name: [zone ids] }`, `'external'` for the external one. */
const device = (
  id: string,
  siteId: string,
  interfaces: Record<string, string[] | 'external'>,
): DeviceInput => ({
  id,
  siteId,
  name: id,
  vendor: 'pfsense',
  interfaces: Object.entries(interfaces).map(([name, zones]) => ({
    name,
    external: zones === 'external',
    zoneIds: zones === 'external' ? [] : zones,
  })),
});
const flow = (
  id: string,
  from: Role,
  to: Role | 'collector',
  protocol: Protocol,
  ports: string,
  extra: Partial<CatalogFlow> = {},
): CatalogFlow => ({
  id,
  version: 'v1',
  from,
  to,
  protocol,
  ports: parsePorts(ports),
  purpose: id,
  ...extra,
});

const AGENT_FLOW = flow('agent-manager', 'agent', 'collector', 'tcp', '9000');

/** Rules of one device as `ingress>egress src -> dst ports/protocol` lines. */
function view(ruleSets: RuleSet[], deviceId: string): string[] {
  const rs = ruleSets.find((r) => r.deviceId === deviceId);
  if (!rs) throw new Error(`no rule set for ${deviceId}`);
  const entries = (name: string) => rs.addresses.find((a) => a.name === name)?.entries.join(',');
  return rs.rules.map((r) => {
    const service = rs.services.find((s) => s.name === r.service);
    return `${r.ingress}>${r.egress} ${entries(r.source)} -> ${entries(r.destination)} ${formatPorts(service?.ports ?? [])}/${r.protocol}`;
  });
}

function inventory(parts: Partial<Inventory>): Inventory {
  return { sites: [], zones: [], nodes: [], devices: [], ...parts };
}

/** Two sites, each with lan + servers behind a firewall with an external wan. */
function twoSites(): Inventory {
  return inventory({
    sites: [site('a'), site('b'), site('c')],
    zones: [
      zone('a-lan', 'a', '10.1.1.0/24'),
      zone('a-srv', 'a', '10.1.2.0/24'),
      zone('b-lan', 'b', '10.2.1.0/24'),
      zone('b-srv', 'b', '10.2.2.0/24'),
      zone('c-lan', 'c', '10.3.1.0/24'),
    ],
    devices: [
      device('fw-a', 'a', { lan: ['a-lan'], srv: ['a-srv'], wan: 'external' }),
      device('fw-b', 'b', { lan: ['b-lan'], srv: ['b-srv'], wan: 'external' }),
      device('fw-c', 'c', { lan: ['c-lan'], wan: 'external' }),
    ],
  });
}

// --- placement ---------------------------------------------------------------------------------------

describe('placement', () => {
  it('crosses one firewall between two zones of the same site, none inside a zone', () => {
    const inv = twoSites();
    inv.nodes = [
      node('master', 'a', 'master', ['10.1.2.5']),
      node('lan-agent', 'a', 'agent', ['10.1.1.7']),
      node('srv-agent', 'a', 'agent', ['10.1.2.9']),
    ];
    const result = computeRuleSets(inv, [AGENT_FLOW]);
    expect(view(result, 'fw-a')).toEqual(['lan>srv 10.1.1.7/32 -> 10.1.2.5/32 9000/tcp']);
    expect(view(result, 'fw-b')).toEqual([]);
    expect(view(result, 'fw-c')).toEqual([]);
  });

  it('crosses the source firewall outbound and the destination firewall inbound between sites', () => {
    const inv = twoSites();
    inv.nodes = [node('master', 'b', 'master', ['10.2.2.5']), node('agent', 'a', 'agent', ['10.1.1.7'])];
    const result = computeRuleSets(inv, [AGENT_FLOW]);
    expect(view(result, 'fw-a')).toEqual(['lan>wan 10.1.1.7/32 -> 10.2.2.5/32 9000/tcp']);
    expect(view(result, 'fw-b')).toEqual(['wan>srv 10.1.1.7/32 -> 10.2.2.5/32 9000/tcp']);
    // fw-c sees both ends on its external interface: not on the path
    expect(view(result, 'fw-c')).toEqual([]);
  });

  it('places nodes outside every zone on the external interface', () => {
    const inv = twoSites();
    inv.nodes = [
      node('master', 'a', 'master', ['10.1.2.5']),
      node('analysts', 'a', 'console', ['203.0.113.0/28']),
      node('remote', 'c', 'console', ['198.51.100.9']),
    ];
    const result = computeRuleSets(inv, [flow('web', 'console', 'master', 'tcp', '443')]);
    expect(view(result, 'fw-a')).toEqual(['wan>srv 198.51.100.9/32,203.0.113.0/28 -> 10.1.2.5/32 443/tcp']);
    expect(view(result, 'fw-c')).toEqual([]);
  });

  it('handles a device without an external interface (internal segmentation)', () => {
    const inv = twoSites();
    inv.devices.push(device('seg-a', 'a', { inside: ['a-lan'], dc: ['a-srv'] }));
    inv.nodes = [
      node('master', 'a', 'master', ['10.1.2.5']),
      node('agent', 'a', 'agent', ['10.1.1.7']),
      node('remote-agent', 'a', 'agent', ['192.0.2.1']),
    ];
    const result = computeRuleSets(inv, [AGENT_FLOW]);
    // the remote agent is behind no interface of seg-a: seg-a is not on its path
    expect(view(result, 'seg-a')).toEqual(['inside>dc 10.1.1.7/32 -> 10.1.2.5/32 9000/tcp']);
    expect(view(result, 'fw-a')).toEqual([
      'lan>srv 10.1.1.7/32 -> 10.1.2.5/32 9000/tcp',
      'wan>srv 192.0.2.1/32 -> 10.1.2.5/32 9000/tcp',
    ]);
  });

  it('treats each address of a node separately', () => {
    const inv = twoSites();
    inv.nodes = [
      node('master', 'a', 'master', ['10.1.2.5']),
      node('multi', 'a', 'agent', ['10.1.1.7', '10.1.2.8', '192.0.2.1']),
    ];
    expect(view(computeRuleSets(inv, [AGENT_FLOW]), 'fw-a')).toEqual([
      'lan>srv 10.1.1.7/32 -> 10.1.2.5/32 9000/tcp',
      'wan>srv 192.0.2.1/32 -> 10.1.2.5/32 9000/tcp',
    ]);
  });

  it('keeps IPv4 and IPv6 apart: each rule and object is single-family', () => {
    const inv = twoSites();
    inv.zones.find((z) => z.id === 'a-srv')?.cidrs.push('2001:db8:a:2::/64');
    inv.nodes = [
      node('master', 'a', 'master', ['10.1.2.5', '2001:db8:a:2::5']),
      node('v4-agent', 'a', 'agent', ['10.1.1.7']),
      node('v6-console', 'a', 'console', ['2001:db8:ff::/48']),
    ];
    const result = computeRuleSets(inv, [AGENT_FLOW, flow('web', 'console', 'master', 'tcp', '443')]);
    expect(view(result, 'fw-a')).toEqual([
      'lan>srv 10.1.1.7/32 -> 10.1.2.5/32 9000/tcp',
      'wan>srv 2001:db8:ff::/48 -> 2001:db8:a:2::5/128 443/tcp',
    ]);
    const fwA = result.find((r) => r.deviceId === 'fw-a') as RuleSet;
    expect(fwA.rules.map((r) => r.family)).toEqual([4, 6]);
    expect(fwA.addresses.map((a) => `${a.name}:${a.family}`)).toEqual([
      expect.stringMatching(/^utm_agent_lan_[0-9a-f]{6}:4$/),
      expect.stringMatching(/^utm_console_wan_v6_[0-9a-f]{6}:6$/),
      expect.stringMatching(/^utm_master_srv_[0-9a-f]{6}:4$/),
      expect.stringMatching(/^utm_master_srv_v6_[0-9a-f]{6}:6$/),
    ]);
    // the two objects of the master share its signature: the same hash, one with `_v6`
    const [, , master4, master6] = fwA.addresses.map((a) => a.name);
    expect(master6).toBe(master4.replace('_srv_', '_srv_v6_'));
    expect(fwA.rules.map((r) => r.name)).toEqual([
      expect.stringMatching(/^utm_agent_to_master_[0-9a-f]{6}_tcp$/),
      expect.stringMatching(/^utm_console_to_master_[0-9a-f]{6}_tcp6$/),
    ]);
  });

  it('splits a node CIDR that is only partly inside zones along the zone boundaries', () => {
    const inv = twoSites();
    inv.zones = [zone('a-lan', 'a', '10.1.1.0/24'), zone('a-srv', 'a', '10.1.2.0/24')];
    inv.devices = [device('fw-a', 'a', { lan: ['a-lan'], srv: ['a-srv'], wan: 'external' })];
    inv.nodes = [
      node('master', 'a', 'master', ['10.1.2.5']),
      // a group standing for all agents in 10.1.0.0/16: the lan part enters on lan, the servers part is
      // behind the master's own interface (no rule), the rest comes from outside
      node('all-agents', 'a', 'agent', ['10.1.0.0/16']),
    ];
    expect(view(computeRuleSets(inv, [AGENT_FLOW]), 'fw-a')).toEqual([
      'lan>srv 10.1.1.0/24 -> 10.1.2.5/32 9000/tcp',
      'wan>srv 10.1.0.0/24,10.1.3.0/24,10.1.4.0/22,10.1.8.0/21,10.1.16.0/20,10.1.32.0/19,10.1.64.0/18,10.1.128.0/17 -> 10.1.2.5/32 9000/tcp',
    ]);
  });

  it('uses the most specific zone when zones nest', () => {
    const inv = inventory({
      sites: [site('a')],
      zones: [zone('corp', 'a', '10.0.0.0/8'), zone('servers', 'a', '10.1.0.0/16')],
      devices: [device('fw', 'a', { inside: ['corp'], dc: ['servers'], wan: 'external' })],
      nodes: [node('master', 'a', 'master', ['10.1.0.5']), node('agent', 'a', 'agent', ['10.2.0.5'])],
    });
    expect(view(computeRuleSets(inv, [AGENT_FLOW]), 'fw')).toEqual([
      'inside>dc 10.2.0.5/32 -> 10.1.0.5/32 9000/tcp',
    ]);
  });

  it('ignores zones of other sites listed on an interface and zones listed on the external interface', () => {
    const inv = twoSites();
    inv.devices = [device('fw-a', 'a', { lan: ['a-lan', 'b-lan'], srv: ['a-srv'], wan: 'external' })];
    inv.devices[0].interfaces[2].zoneIds = ['a-lan'];
    inv.nodes = [node('master', 'a', 'master', ['10.1.2.5']), node('b-agent', 'b', 'agent', ['10.2.1.7'])];
    expect(view(computeRuleSets(inv, [AGENT_FLOW]), 'fw-a')).toEqual([
      'wan>srv 10.2.1.7/32 -> 10.1.2.5/32 9000/tcp',
    ]);
  });

  it('breaks ties by interface name: several external interfaces, one CIDR behind two interfaces', () => {
    const inv = inventory({
      sites: [site('a')],
      zones: [zone('srv', 'a', '10.1.2.0/24'), zone('srv-copy', 'a', '10.1.2.0/24')],
      devices: [device('fw', 'a', { wan2: 'external', wan1: 'external', z2: ['srv'], z1: ['srv-copy'] })],
      nodes: [node('master', 'a', 'master', ['10.1.2.5']), node('agent', 'a', 'agent', ['192.0.2.1'])],
    });
    expect(view(computeRuleSets(inv, [AGENT_FLOW]), 'fw')).toEqual([
      'wan1>z1 192.0.2.1/32 -> 10.1.2.5/32 9000/tcp',
    ]);
  });

  it('puts a hub core firewall on the path only for traffic to or from its zones', () => {
    const inv = twoSites();
    inv.devices.push(device('core', 'a', { dc: ['a-srv'], inet: 'external' }));
    inv.nodes = [
      node('master', 'a', 'master', ['10.1.2.5']),
      node('b-agent', 'b', 'agent', ['10.2.1.7']),
      node('b-probe', 'b', 'probe', ['10.2.2.6']),
      node('c-agent', 'c', 'agent', ['10.3.1.7'], { collectorId: 'b-probe' }),
    ];
    const result = computeRuleSets(inv, [AGENT_FLOW]);
    // b-agent reports to its site's probe, c-agent to b-probe: neither touches the hub
    expect(view(result, 'core')).toEqual([]);
    expect(view(result, 'fw-b')).toEqual([
      'lan>srv 10.2.1.7/32 -> 10.2.2.6/32 9000/tcp',
      'wan>srv 10.3.1.7/32 -> 10.2.2.6/32 9000/tcp',
    ]);
    inv.nodes.push(node('c-agent-2', 'c', 'agent', ['10.3.1.8'], { collectorId: 'master' }));
    expect(view(computeRuleSets(inv, [AGENT_FLOW]), 'core')).toEqual([
      'inet>dc 10.3.1.8/32 -> 10.1.2.5/32 9000/tcp',
    ]);
  });
});

// --- demands -----------------------------------------------------------------------------------------

describe('collectors, roles, selectors and versions', () => {
  const collectorOf = (inv: Inventory, agentId: string): string[] => {
    const result = computeRuleSets({ ...inv, nodes: inv.nodes }, [AGENT_FLOW]);
    const rs = result.find((r) => r.deviceId === 'fw-a') as RuleSet;
    return rs.rules.filter((r) => r.sourceNodeIds.includes(agentId)).flatMap((r) => r.destinationNodeIds);
  };

  it('resolves the collector: collectorId, else own probe (by name), else own master, else first master', () => {
    const inv = twoSites();
    inv.nodes = [
      node('agent', 'a', 'agent', ['10.1.1.7']),
      node('m-b', 'b', 'master', ['10.2.2.5'], { name: 'beta' }),
      node('m-c', 'c', 'master', ['10.3.1.5'], { name: 'alpha' }),
    ];
    expect(collectorOf(inv, 'agent')).toEqual(['m-c']); // first master anywhere, by name
    inv.nodes.push(node('m-a', 'a', 'master', ['10.1.2.5']));
    expect(collectorOf(inv, 'agent')).toEqual(['m-a']); // master of the own site
    inv.nodes.push(node('p-a2', 'a', 'probe', ['10.1.2.7'], { name: 'probe-2' }));
    inv.nodes.push(node('p-a1', 'a', 'probe', ['10.1.2.6'], { name: 'probe-1' }));
    expect(collectorOf(inv, 'agent')).toEqual(['p-a1']); // first probe of the own site, by name
    inv.nodes[0] = { ...inv.nodes[0], collectorId: 'm-b' };
    expect(collectorOf(inv, 'agent')).toEqual(['m-b']); // explicit, even in another site
    inv.nodes[0] = { ...inv.nodes[0], collectorId: 'deleted-node' };
    expect(collectorOf(inv, 'agent')).toEqual(['p-a1']); // dangling id: default resolution
    inv.nodes[0] = { ...inv.nodes[0], collectorId: 'agent' };
    expect(collectorOf(inv, 'agent')).toEqual([]); // its own collector: nothing to open
  });

  it('never makes a node its own default collector', () => {
    const inv = twoSites();
    inv.nodes = [node('p-a', 'a', 'probe', ['10.1.2.6']), node('m-b', 'b', 'master', ['10.2.2.5'])];
    const result = computeRuleSets(inv, [flow('probe-up', 'probe', 'collector', 'tcp', '1194')]);
    expect(view(result, 'fw-a')).toEqual(['srv>wan 10.1.2.6/32 -> 10.2.2.5/32 1194/tcp']);
  });

  it('connects role targets to every node of the role, merging destinations exactly', () => {
    const inv = twoSites();
    inv.nodes = [
      node('m1', 'a', 'master', ['10.1.2.5']),
      node('m2', 'a', 'master', ['10.1.2.4']),
      node('analyst', 'a', 'console', ['192.0.2.7']),
    ];
    const result = computeRuleSets(inv, [flow('web', 'console', 'master', 'tcp', '443')]);
    expect(view(result, 'fw-a')).toEqual(['wan>srv 192.0.2.7/32 -> 10.1.2.4/31 443/tcp']);
    expect(result[0].rules[0].destinationNodeIds).toEqual(['m1', 'm2']);
  });

  it('applies a selector flow only to nodes listing the selector or listing none', () => {
    const inv = twoSites();
    inv.nodes = [
      node('master', 'a', 'master', ['10.1.2.5']),
      node('syslog-only', 'a', 'agentless', ['10.1.1.10'], { selectors: ['syslog'] }),
      node('netflow-only', 'a', 'agentless', ['10.1.1.11'], { selectors: ['netflow'] }),
      node('everything', 'a', 'agentless', ['10.1.1.12']),
    ];
    const flows = [
      flow('syslog', 'agentless', 'collector', 'udp', '514', { selector: 'syslog' }),
      flow('netflow', 'agentless', 'collector', 'udp', '2055', { selector: 'netflow' }),
      flow('ping', 'agentless', 'collector', 'tcp', '7'),
    ];
    const lines = view(computeRuleSets(inv, flows), 'fw-a');
    expect(lines[0]).toBe('lan>srv 10.1.1.10/31,10.1.1.12/32 -> 10.1.2.5/32 7/tcp');
    // three udp rules with the same interfaces, family and protocol, in the order of their source names
    // (`agentless_lan_` + the hash of each one's signature)
    expect(lines.slice(1).sort()).toEqual([
      'lan>srv 10.1.1.10/32 -> 10.1.2.5/32 514/udp',
      'lan>srv 10.1.1.11/32 -> 10.1.2.5/32 2055/udp',
      'lan>srv 10.1.1.12/32 -> 10.1.2.5/32 514,2055/udp',
    ]);
  });

  it("uses the source node's site version and includes custom flows of that version", () => {
    const inv = twoSites();
    inv.sites = [site('a', 'v1'), site('b', 'v2'), site('c', 'v1')];
    inv.nodes = [
      node('master', 'a', 'master', ['10.1.2.5']),
      node('a-agent', 'a', 'agent', ['10.1.1.7']),
      node('b-agent', 'b', 'agent', ['10.2.1.7'], { collectorId: 'master' }),
    ];
    const flows = [
      AGENT_FLOW,
      flow('v2-agent', 'agent', 'collector', 'tcp', '50051', { version: 'v2' }),
      flow('custom-ssh', 'agent', 'collector', 'tcp', '22', { custom: true }),
    ];
    expect(view(computeRuleSets(inv, flows), 'fw-a')).toEqual([
      'lan>srv 10.1.1.7/32 -> 10.1.2.5/32 22,9000/tcp',
      'wan>srv 10.2.1.7/32 -> 10.1.2.5/32 50051/tcp',
    ]);
  });
});

// --- objects, names and output shape -------------------------------------------------------------

describe('objects and names', () => {
  it('shares identical objects and groups a role of a site into one object', () => {
    const inv = twoSites();
    inv.nodes = [
      node('master', 'b', 'master', ['10.2.2.5']),
      ...Array.from({ length: 8 }, (_, i) => node(`agent-${i}`, 'a', 'agent', [`10.1.1.${16 + i}`])),
    ];
    const result = computeRuleSets(inv, [AGENT_FLOW, flow('logs', 'agent', 'collector', 'tcp', '5044')]);
    const fwA = result.find((r) => r.deviceId === 'fw-a') as RuleSet;
    expect(fwA.addresses).toEqual([
      {
        name: expect.stringMatching(/^utm_agent_lan_[0-9a-f]{6}$/),
        family: 4,
        entries: ['10.1.1.16/29'],
        description: 'agents of A',
      },
      {
        name: expect.stringMatching(/^utm_master_wan_[0-9a-f]{6}$/),
        family: 4,
        entries: ['10.2.2.5/32'],
        description: 'master master',
      },
    ]);
    expect(fwA.services.map((s) => s.name)).toEqual(['utm_tcp_5044_9000']);
    expect(fwA.rules.map((r) => r.name)).toEqual([
      expect.stringMatching(/^utm_agent_to_master_[0-9a-f]{6}_tcp$/),
    ]);
    expect(fwA.rules[0].explanations.map((e) => e.text)).toEqual([
      'agents of A → collector master: agent-manager, 9000/tcp',
      'agents of A → collector master: logs, 5044/tcp',
    ]);
  });

  it('fits long names within vendor limits with a stable hash suffix', () => {
    const inv = twoSites();
    const long = 'a-very-long-interface-name-for-the-primary-servers';
    inv.devices = [device('fw-a', 'a', { lan: ['a-lan'], [long]: ['a-srv'], wan: 'external' })];
    inv.nodes = [
      node('master', 'a', 'master', ['10.1.2.5']),
      node('agent', 'a', 'agent', ['10.1.1.7']),
      node('agentless', 'a', 'agentless', ['10.1.1.8']),
    ];
    const flows = [AGENT_FLOW, flow('syslog', 'agentless', 'collector', 'tcp', '9000')];
    const [fwA] = computeRuleSets(inv, flows);
    for (const o of [...fwA.addresses, ...fwA.services])
      expect(o.name).toMatch(/^[A-Za-z][A-Za-z0-9_]{0,30}$/);
    for (const r of fwA.rules) expect(r.name).toMatch(/^[A-Za-z][A-Za-z0-9_]{0,34}$/);
    const master = fwA.addresses.find((a) => a.description === 'master master');
    expect(master?.name).toMatch(/^utm_master_a_very_long_i_[0-9a-f]{6}$/);
    // the agent and the agentless source merge into one object: "agent_agentless_to_master" is cut, the
    // hash and the protocol stay
    expect(fwA.rules.map((r) => r.name)).toEqual([
      expect.stringMatching(/^utm_agent_agentless_to_m_[0-9a-f]{6}_tcp$/),
    ]);
    expect(computeRuleSets(inv, flows)).toEqual([fwA]);
  });

  it('keeps address and service names apart (pfSense/OPNsense aliases share one namespace)', () => {
    const inv = twoSites();
    // an interface and a deployment named like a service: object names still carry roles and a hash
    inv.devices = [device('fw-a', 'a', { tcp_9000: ['a-lan'], srv: ['a-srv'], wan: 'external' })];
    inv.nodes = [node('master', 'a', 'master', ['10.1.2.5']), node('agent', 'a', 'agent', ['10.1.1.7'])];
    const [fwA] = computeRuleSets(inv, [AGENT_FLOW]);
    const names = [...fwA.addresses, ...fwA.services].map((o) => o.name);
    expect(new Set(names).size).toBe(names.length);
    expect(fwA.services.map((s) => s.name)).toEqual(['utm_tcp_9000']);
    expect(fwA.addresses.map((a) => a.name)).toEqual([
      expect.stringMatching(/^utm_agent_tcp_9000_[0-9a-f]{6}$/),
      expect.stringMatching(/^utm_master_srv_[0-9a-f]{6}$/),
    ]);
  });

  it('returns one rule set per device sorted by id, also for devices with nothing to do', () => {
    const inv = twoSites();
    inv.devices.reverse();
    const result = computeRuleSets(inv, []);
    expect(result.map((r) => [r.deviceId, r.rules.length, r.addresses.length])).toEqual([
      ['fw-a', 0, 0],
      ['fw-b', 0, 0],
      ['fw-c', 0, 0],
    ]);
    for (const r of result) expect(r.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(new Set(result.map((r) => r.hash)).size).toBe(3); // the device id is part of the rule set
  });

  it('computes only the requested devices', () => {
    const inv = twoSites();
    inv.nodes = [node('master', 'b', 'master', ['10.2.2.5']), node('agent', 'a', 'agent', ['10.1.1.7'])];
    const all = computeRuleSets(inv, [AGENT_FLOW]);
    expect(computeRuleSets(inv, [AGENT_FLOW], { deviceIds: ['fw-b', 'unknown'] })).toEqual([all[1]]);
  });
});

describe('input errors', () => {
  it.each<[string, (inv: Inventory) => void, RegExp]>([
    [
      'invalid node address',
      (inv) => inv.nodes.push(node('bad', 'a', 'agent', ['10.0.0.256'])),
      /node "bad".*256/,
    ],
    ['host bits in a zone', (inv) => inv.zones.push(zone('z', 'a', '10.9.0.1/16')), /zone "z".*host bits/],
    [
      'duplicate node id',
      (inv) => inv.nodes.push(node('n', 'a', 'agent', ['10.1.1.1']), node('n', 'a', 'agent', ['10.1.1.2'])),
      /duplicate node id "n"/,
    ],
    [
      'duplicate interface',
      (inv) =>
        inv.devices.push(device('d', 'a', { lan: [] })) &&
        inv.devices[inv.devices.length - 1].interfaces.push({ name: 'lan', external: true, zoneIds: [] }),
      /two interfaces named "lan"/,
    ],
  ])('rejects %s', (_, mutate, message) => {
    const inv = twoSites();
    mutate(inv);
    expect(() => computeRuleSets(inv, [AGENT_FLOW])).toThrow(EngineInputError);
    expect(() => computeRuleSets(inv, [AGENT_FLOW])).toThrow(message);
  });

  it('rejects invalid flows and prefixes', () => {
    const inv = twoSites();
    expect(() => computeRuleSets(inv, [AGENT_FLOW, AGENT_FLOW])).toThrow(/duplicate flow id/);
    expect(() => computeRuleSets(inv, [{ ...AGENT_FLOW, ports: [] }])).toThrow(/has no ports/);
    expect(() => computeRuleSets(inv, [{ ...AGENT_FLOW, ports: [{ from: 0, to: 5 }] }])).toThrow(
      /outside 1-65535/,
    );
    expect(() => computeRuleSets(inv, [AGENT_FLOW], { prefix: '9x' })).toThrow(EngineInputError);
  });
});
