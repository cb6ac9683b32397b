import { BlockList } from 'node:net';
import { builtinFlows } from '@app/catalog';
import {
  createConnector,
  isPlanEmpty,
  pushRuleSet,
  type FirewallConnector,
  type PushOutcome,
} from '@app/connectors';
import { computeRuleSets } from '@app/engine/compute';
import type { Inventory, RuleSet, Vendor } from '@app/engine/model';
import {
  internetInventory,
  PUBLIC_INTERNET,
  type InternetVersion,
} from '@app/engine/testing/internet.fixture';
import {
  startSimulator,
  type CallLog,
  type PfSenseSeed,
  type SimPacket,
  type SimVerdict,
} from '@app/simulators';
import { isObj, text, type Row } from '@app/simulators/fortios/tables';

/*
 * The hand-checked internet deployment (libs/engine/src/testing/internet.fixture.ts, issue #12 "Done when") computed
 * by the engine, pushed by the real connectors over HTTP to one simulator per firewall, and judged by what each
 * simulator's LIVE APPLIED configuration does with packets (`trace`: the vendor's own evaluation order, never the
 * engine's rule set). The expectations below are written by hand from the fixture's header comment:
 *
 *   HQ (hq-fw, wan 198.51.100.10): hq-master 10.10.10.5 published 1194, 443, 9000-9001 at 19000-19001, 50051 (tcp).
 *   Branch-1 (br1-fw, wan 203.0.113.20): agents 10.20.10.21/.22 on lan; v9 probe 10.20.20.10 on dmz. Over the
 *     internet to HQ.
 *   Branch-2 (br2-fw, wan without public address): agents 10.30.10.0/24, routed to HQ by a site-to-site link.
 *   Roaming: analysts (v9, v11) and agents (v11) anywhere on the internet.
 *
 * Interface names: pfSense and OPNsense interface ids are `wan`, `lan`, `optN`, FortiOS ports are `portN`, so the
 * fixture's `dmz` (and FortiOS's every name) is renamed in the inventory BEFORE computing, so the rule sets name the
 * vendor's real interfaces.
 *
 * pfSense simulators start with one operator rule instead of the installed "Default allow LAN to any" rules: with
 * those every packet from a LAN passes whatever the orchestrator pushes, and "nothing else passes" would be about the
 * operator's rules rather than the pushed ones. The operator rule (a block of 198.18.0.0/15 on wan, which no packet
 * here comes from) is there because the REST API cannot delete the last filter rule (`FirewallRule` many_minimum 1,
 * /work/shared/reference/pfsense-rest-api.md §3): without it the push that removes Branch-1's last rule (v11) fails,
 * as the last test of this file shows.
 */

type Logical = 'wan' | 'lan' | 'dmz';
type DeviceId = 'hq-fw' | 'br1-fw' | 'br2-fw';
const DEVICES: DeviceId[] = ['hq-fw', 'br1-fw', 'br2-fw'];

const HQ_PUBLIC = '198.51.100.10';
const MASTER = '10.10.10.5';
const BR1_PUBLIC = '203.0.113.20';
const PROBE = '10.20.20.10';
const AGENT_1 = '10.20.10.21';
const AGENT_2 = '10.20.10.22';
const BR2_AGENT = '10.30.10.7';
/** Any other public address: a roaming analyst or agent, or a stranger. */
const ELSEWHERE = '192.0.2.77';

const INTERFACE_NAMES: Record<Vendor, Record<Logical, string>> = {
  pfsense: { wan: 'wan', lan: 'lan', dmz: 'opt1' },
  opnsense: { wan: 'wan', lan: 'lan', dmz: 'opt1' },
  fortios: { wan: 'port1', lan: 'port2', dmz: 'port3' },
};

/** Interface addresses of each firewall (CIDR); br2-fw's wan is a carrier-grade NAT address, not public. */
const ADDRESSES: Record<DeviceId, Partial<Record<Logical, string>>> = {
  'hq-fw': { wan: `${HQ_PUBLIC}/24`, lan: '10.10.10.1/24' },
  'br1-fw': { wan: `${BR1_PUBLIC}/24`, lan: '10.20.10.1/24', dmz: '10.20.20.1/24' },
  'br2-fw': { wan: '100.64.7.30/24', lan: '10.30.10.1/24' },
};

const LOGICAL: Logical[] = ['wan', 'lan', 'dmz'];

function forVendor(inventory: Inventory, vendor: Vendor): Inventory {
  const names = INTERFACE_NAMES[vendor];
  return {
    ...inventory,
    devices: inventory.devices.map((d) => ({
      ...d,
      interfaces: d.interfaces.map((i) => ({ ...i, name: names[i.name as Logical] ?? i.name })),
    })),
  };
}

// ------------------------------------------------------------------------------------------ the simulators

interface Firewall {
  deviceId: DeviceId;
  connector: FirewallConnector;
  calls: CallLog;
  /** `trace` with the packet's interface given by its fixture name. */
  trace(packet: Packet): SimVerdict;
  /** Every destination NAT entry on the device (managed or not), as `<external ports> → <target>` strings. */
  natEntries(): string[];
  stop(): Promise<void>;
}

interface Packet extends Omit<SimPacket, 'interface'> {
  interface: Logical;
}

const TIMEOUTS = { timeouts: { connectMs: 2_000, requestMs: 5_000, commitMs: 5_000 } };

function ipOf(cidr: string): string {
  return cidr.split('/')[0];
}

function networkOf(cidr: string): string {
  const [ip, bits] = cidr.split('/');
  const n = ip.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
  const size = 2 ** (32 - Number(bits));
  const net = n - (n % size);
  return `${[24, 16, 8, 0].map((s) => Math.floor(net / 2 ** s) % 256).join('.')}/${bits}`;
}

function vipTarget(vip: Row): string {
  return Array.isArray(vip.mappedip) && isObj(vip.mappedip[0]) ? text(vip.mappedip[0].range) : '';
}

/** Blocks a range no packet of this file comes from: an operator's rule that never decides a trace here. */
const OPERATOR_RULE = {
  type: 'block',
  interface: ['wan'],
  ipprotocol: 'inet',
  protocol: null,
  source: '198.18.0.0/15',
  destination: 'any',
  descr: 'operator: block the benchmarking range',
};

async function startFirewall(
  vendor: Vendor,
  deviceId: DeviceId,
  pfSenseRules: NonNullable<PfSenseSeed['rules']> = [OPERATOR_RULE],
): Promise<Firewall> {
  const names = INTERFACE_NAMES[vendor];
  const present = LOGICAL.filter((l) => ADDRESSES[deviceId][l] !== undefined);
  const cidr = (l: Logical): string => ADDRESSES[deviceId][l] as string;
  const onVendor = (p: Packet): SimPacket => ({ ...p, interface: names[p.interface] });
  if (vendor === 'pfsense') {
    const run = await startSimulator('pfsense', {
      version: '2.8.1-RELEASE',
      packageVersion: 'v2.4.3',
      interfaces: present.map((l) => names[l]),
      interfaceAddresses: Object.fromEntries(present.map((l) => [names[l], cidr(l)])),
      seed: { aliases: [], rules: pfSenseRules },
    });
    const sim = run.simulator;
    return {
      deviceId,
      connector: createConnector(run.deviceTarget(deviceId, TIMEOUTS)),
      calls: run.calls,
      trace: (p) => sim.trace(onVendor(p)),
      natEntries: () =>
        sim.state.nat.map((n) => `${n.interface} ${n.destination}:${n.destination_port} → ${n.target}`),
      stop: () => run.stop(),
    };
  }
  if (vendor === 'fortios') {
    const run = await startSimulator('fortios', {
      version: 'v7.4.3',
      interfaceAddresses: Object.fromEntries(present.map((l) => [names[l], cidr(l)])),
    });
    const sim = run.simulator;
    return {
      deviceId,
      connector: createConnector(run.deviceTarget(deviceId, TIMEOUTS)),
      calls: run.calls,
      trace: (p) => sim.trace(onVendor(p)),
      natEntries: () =>
        sim
          .table('firewall/vip')
          .map((v) => `${text(v.extintf)} ${text(v.extip)}:${text(v.extport)} → ${vipTarget(v)}`),
      stop: () => run.stop(),
    };
  }
  const run = await startSimulator('opnsense', {
    version: '26.7.2',
    interfaces: present.map((l) => ({
      id: names[l],
      descr: l.toUpperCase(),
      address: ipOf(cidr(l)),
      network: networkOf(cidr(l)),
    })),
  });
  const sim = run.simulator;
  return {
    deviceId,
    connector: createConnector(run.deviceTarget(deviceId, TIMEOUTS)),
    calls: run.calls,
    trace: (p) => sim.trace(onVendor(p)),
    natEntries: () =>
      sim
        .natRules()
        .map((n) => `${n.interface} ${n['destination.network']}:${n['destination.port']} → ${n.target}`),
    stop: () => run.stop(),
  };
}

// ------------------------------------------------------------------------------ the expected behaviour

/** A destination NAT entry the live state must hold (external address is HQ's public address, tcp). */
interface Forward {
  external: [number, number];
  internal: number;
}

/** A door the live state must open: packets arriving on `on` from `from` to `to` on `ports` (tcp) pass. */
interface Admit {
  on: Logical;
  from: string[];
  to: string;
  ports: [number, number][];
  /**
   * The door exists for a forward (external ports): on FortiOS the policy names the VIP, so only packets that VIP
   * translated match it; on pfSense/OPNsense pf translates first and the rule names the private target, so a packet
   * already addressed to the target (e.g. over the site link) matches it too (engine README, `natSemantics`).
   */
  forward?: [number, number];
}

interface Expected {
  forwards: Forward[];
  admits: Admit[];
}

/**
 * "Anywhere on the internet" (the roaming nodes' 0.0.0.0/0): the public internet, never a private address, so
 * Branch-2's agents (10.30.10.0/24, routed) reaching hq-fw's wan untranslated are not admitted by the forwards.
 */
const ANY = PUBLIC_INTERNET;
const BR1 = [`${BR1_PUBLIC}/32`];
const BR1_AGENTS = [`${AGENT_1}/32`, `${AGENT_2}/32`];
const BR2 = ['10.30.10.0/24'];
const V9_AGENT_PORTS: [number, number][] = [
  [1514, 1516],
  [5044, 5044],
  [9000, 9000],
  [55000, 55000],
];
const V11_AGENT_PORTS: [number, number][] = [
  [9000, 9001],
  [50051, 50051],
];

/** By hand, from the fixture's header comment; `published: false` is the inventory with `publications: []`. */
function expected(version: InternetVersion, published: boolean): Record<DeviceId, Expected> {
  // Branch-2 is routed: its agents reach the master's private address on the internal ports, no NAT anywhere.
  const br2 = (ports: [number, number][]): Expected => ({
    forwards: [],
    admits: [{ on: 'lan', from: BR2, to: MASTER, ports }],
  });
  const hqRouted = (ports: [number, number][]): Admit => ({ on: 'wan', from: BR2, to: MASTER, ports });
  if (version === 'utmstack-v9') {
    const agentsToProbe: Admit = { on: 'lan', from: BR1_AGENTS, to: PROBE, ports: V9_AGENT_PORTS };
    if (!published) {
      // Without the door nothing crosses the internet; what stays inside a site or on the link stays.
      return {
        'hq-fw': { forwards: [], admits: [hqRouted(V9_AGENT_PORTS)] },
        'br1-fw': { forwards: [], admits: [agentsToProbe] },
        'br2-fw': br2(V9_AGENT_PORTS),
      };
    }
    return {
      // The probe VPN from Branch-1's public address only; the console from anywhere. 9000-9001 and 50051 are
      // published but no v9 flow crosses the internet on them: not forwarded. The master → probe scanner
      // (9390, 8888) travels inside the VPN: no door anywhere.
      'hq-fw': {
        forwards: [
          { external: [1194, 1194], internal: 1194 },
          { external: [443, 443], internal: 443 },
        ],
        admits: [
          hqRouted(V9_AGENT_PORTS),
          { on: 'wan', from: BR1, to: MASTER, ports: [[1194, 1194]], forward: [1194, 1194] },
          { on: 'wan', from: ANY, to: MASTER, ports: [[443, 443]], forward: [443, 443] },
        ],
      },
      // The probe (dmz) dials the master's public address on 1194; the agents deliver to their probe.
      'br1-fw': {
        forwards: [],
        admits: [{ on: 'dmz', from: [`${PROBE}/32`], to: HQ_PUBLIC, ports: [[1194, 1194]] }, agentsToProbe],
      },
      'br2-fw': br2(V9_AGENT_PORTS),
    };
  }
  if (!published) {
    return {
      'hq-fw': { forwards: [], admits: [hqRouted(V11_AGENT_PORTS)] },
      'br1-fw': { forwards: [], admits: [] },
      'br2-fw': br2(V11_AGENT_PORTS),
    };
  }
  return {
    // Console 443 from anywhere; 19000-19001 → 9000-9001 and 50051 from Branch-1 and the roaming agents (anywhere).
    // 1194 has no v11 flow; 80, 22, 9090 of the analysts are not published.
    'hq-fw': {
      forwards: [
        { external: [443, 443], internal: 443 },
        { external: [19000, 19001], internal: 9000 },
        { external: [50051, 50051], internal: 50051 },
      ],
      admits: [
        hqRouted(V11_AGENT_PORTS),
        { on: 'wan', from: ANY, to: MASTER, ports: [[443, 443]], forward: [443, 443] },
        { on: 'wan', from: ANY, to: MASTER, ports: [[9000, 9001]], forward: [19000, 19001] },
        { on: 'wan', from: ANY, to: MASTER, ports: [[50051, 50051]], forward: [50051, 50051] },
      ],
    },
    // Branch-1's agents dial the master's public address on the EXTERNAL ports.
    'br1-fw': {
      forwards: [],
      admits: [
        {
          on: 'lan',
          from: BR1_AGENTS,
          to: HQ_PUBLIC,
          ports: [
            [19000, 19001],
            [50051, 50051],
          ],
        },
      ],
    },
    'br2-fw': br2(V11_AGENT_PORTS),
  };
}

const within = (port: number, ranges: [number, number][]): boolean =>
  ranges.some(([from, to]) => port >= from && port <= to);

function contains(cidrs: string[], ip: string): boolean {
  const list = new BlockList();
  for (const c of cidrs) {
    const [net, bits] = c.split('/');
    list.addSubnet(net, Number(bits), 'ipv4');
  }
  return list.check(ip, 'ipv4');
}

/** The verdict the hand-written expectation gives a packet (hq-fw's forwards are on wan, to HQ's public address). */
function verdictOf(
  exp: Expected,
  vendor: Vendor,
  p: Packet,
): { action: 'pass' | 'block'; destination: string; port: number } {
  const forward =
    p.interface === 'wan' && p.destination === HQ_PUBLIC && p.protocol === 'tcp'
      ? exp.forwards.find((f) => within(p.port, [f.external]))
      : undefined;
  const destination = forward ? MASTER : p.destination;
  const port = forward ? forward.internal + (p.port - forward.external[0]) : p.port;
  const admitted = exp.admits.some((a) => {
    if (a.on !== p.interface || p.protocol !== 'tcp' || a.to !== destination) return false;
    if (!within(port, a.ports) || !contains(a.from, p.source)) return false;
    if (vendor !== 'fortios') return true;
    // FortiOS: translated traffic matches only the policy naming its VIP; untranslated never matches a VIP policy.
    return forward ? a.forward?.[0] === forward.external[0] : a.forward === undefined;
  });
  return { action: admitted ? 'pass' : 'block', destination, port };
}

/** Bounded grid of packets per firewall: sources on their interfaces × destinations × ports × tcp/udp. */
const GRID_PORTS = [
  22, 80, 443, 1194, 1195, 1514, 1516, 5044, 5432, 8888, 9000, 9001, 9390, 19000, 19001, 19002, 50051, 55000,
];
const GRID: Record<DeviceId, { sources: [Logical, string][]; destinations: string[] }> = {
  'hq-fw': {
    sources: [
      ['wan', BR1_PUBLIC],
      ['wan', ELSEWHERE],
      ['wan', BR2_AGENT],
      ['lan', MASTER],
    ],
    destinations: [HQ_PUBLIC, MASTER, BR1_PUBLIC, PROBE],
  },
  'br1-fw': {
    sources: [
      ['lan', AGENT_1],
      ['lan', '10.20.10.99'],
      ['dmz', PROBE],
      ['dmz', '10.20.20.11'],
      ['wan', HQ_PUBLIC],
      ['wan', ELSEWHERE],
    ],
    destinations: [HQ_PUBLIC, BR1_PUBLIC, PROBE, AGENT_1, MASTER],
  },
  'br2-fw': {
    sources: [
      ['lan', BR2_AGENT],
      ['wan', MASTER],
      ['wan', HQ_PUBLIC],
    ],
    destinations: [MASTER, HQ_PUBLIC, BR2_AGENT],
  },
};

function grid(deviceId: DeviceId): Packet[] {
  const { sources, destinations } = GRID[deviceId];
  return sources.flatMap(([iface, source]) =>
    destinations
      .filter((d) => d !== source)
      .flatMap((destination) =>
        GRID_PORTS.flatMap((port) =>
          (['tcp', 'udp'] as const).map((protocol) => ({
            interface: iface,
            source,
            destination,
            protocol,
            port,
          })),
        ),
      ),
  );
}

/** Packets whose live verdict differs from the expectation (empty when the device does exactly what it should). */
function mismatches(fw: Firewall, exp: Expected, vendor: Vendor): string[] {
  const out: string[] = [];
  for (const p of grid(fw.deviceId)) {
    const want = verdictOf(exp, vendor, p);
    const got = fw.trace(p);
    if (got.action !== want.action || got.destination !== want.destination || got.port !== want.port) {
      out.push(
        `${fw.deviceId} ${p.interface} ${p.source} → ${p.destination}:${p.port}/${p.protocol}: got ` +
          `${got.action} ${got.destination}:${got.port}, want ${want.action} ${want.destination}:${want.port}`,
      );
    }
  }
  return out;
}

// ------------------------------------------------------------------------------------------------ the run

const tcp = (iface: Logical, source: string, destination: string, port: number): Packet => ({
  interface: iface,
  source,
  destination,
  protocol: 'tcp',
  port,
});

const VENDOR_CASES: [string, Vendor][] = [
  ['pfSense 2.8.1 (REST API v2.4.3)', 'pfsense'],
  ['FortiOS 7.4.3', 'fortios'],
  ['OPNsense 26.7.2', 'opnsense'],
];

describe.each(VENDOR_CASES)('internet deployment pushed to %s', (_label, vendor) => {
  describe.each<InternetVersion>(['utmstack-v9', 'utmstack-v11'])('%s', (version) => {
    const flows = builtinFlows(version);
    const published = forVendor(internetInventory(version, vendor), vendor);
    const ruleSets = computeRuleSets(published, flows);
    const unpublished = computeRuleSets({ ...published, publications: [] }, flows);
    const ruleSetOf = (sets: RuleSet[], id: DeviceId): RuleSet => {
      const rs = sets.find((r) => r.deviceId === id);
      if (!rs) throw new Error(`no rule set for ${id}`);
      return rs;
    };
    const firewalls = new Map<DeviceId, Firewall>();
    const fw = (id: DeviceId): Firewall => firewalls.get(id) as Firewall;
    const pushAll = async (sets: RuleSet[]): Promise<Record<DeviceId, PushOutcome>> => {
      const outcomes = await Promise.all(
        DEVICES.map(async (id) => [id, await pushRuleSet(fw(id).connector, ruleSetOf(sets, id))] as const),
      );
      return Object.fromEntries(outcomes) as Record<DeviceId, PushOutcome>;
    };
    const expectNoopEverywhere = async (sets: RuleSet[]): Promise<void> => {
      for (const id of DEVICES) fw(id).calls.reset();
      const again = await pushAll(sets);
      for (const id of DEVICES) {
        expect({ id, error: again[id].error, ok: again[id].ok }).toEqual({ id, error: undefined, ok: true });
        expect({ id, noop: isPlanEmpty(again[id].plan!), apply: again[id].apply }).toEqual({
          id,
          noop: true,
          apply: null,
        });
        expect({ id, writes: fw(id).calls.writes() }).toEqual({ id, writes: 0 });
      }
    };

    beforeAll(async () => {
      for (const id of DEVICES) firewalls.set(id, await startFirewall(vendor, id));
    });

    afterAll(async () => {
      for (const f of firewalls.values()) f.connector.close();
      await Promise.all([...firewalls.values()].map((f) => f.stop()));
    });

    it('computes NAT only for hq-fw, on the vendor interface names', () => {
      expect(ruleSets.map((r) => r.deviceId)).toEqual(['br1-fw', 'br2-fw', 'hq-fw']);
      expect(ruleSetOf(ruleSets, 'br1-fw').nat).toBeUndefined();
      expect(ruleSetOf(ruleSets, 'br2-fw').nat).toBeUndefined();
      const nat = ruleSetOf(ruleSets, 'hq-fw').nat ?? [];
      const byPort = (a: [string, string, number, string], b: [string, string, number, string]): number =>
        a[2] - b[2];
      expect(
        nat
          .map((n): [string, string, number, string] => [
            n.interface,
            n.externalAddress,
            n.externalPorts.from,
            n.target,
          ])
          .sort(byPort),
      ).toEqual(
        expected(version, true)
          ['hq-fw'].forwards.map((f): [string, string, number, string] => [
            INTERFACE_NAMES[vendor].wan,
            HQ_PUBLIC,
            f.external[0],
            MASTER,
          ])
          .sort(byPort),
      );
    });

    it('first push: every firewall converges; the live NAT is exactly the forwards of the master', async () => {
      const outcomes = await pushAll(ruleSets);
      for (const id of DEVICES) {
        expect({ id, error: outcomes[id].error, ok: outcomes[id].ok }).toEqual({
          id,
          error: undefined,
          ok: true,
        });
      }
      const wan = INTERFACE_NAMES[vendor].wan;
      const hq = expected(version, true)['hq-fw'].forwards;
      expect(fw('hq-fw').natEntries()).toHaveLength(hq.length);
      for (const entry of fw('hq-fw').natEntries()) {
        expect(entry.startsWith(`${wan} `)).toBe(true);
        expect(entry).toContain(HQ_PUBLIC);
        expect(entry.endsWith(`→ ${MASTER}`)).toBe(true);
      }
      expect(fw('br1-fw').natEntries()).toEqual([]);
      expect(fw('br2-fw').natEntries()).toEqual([]);
    });

    it('the live state forwards and admits the hand-checked traffic', () => {
      const hq = fw('hq-fw');
      const br1 = fw('br1-fw');
      const br2 = fw('br2-fw');
      // Roaming analysts, from any public address: the console.
      for (const source of [ELSEWHERE, BR1_PUBLIC, '8.8.8.8']) {
        expect(hq.trace(tcp('wan', source, HQ_PUBLIC, 443))).toMatchObject({
          action: 'pass',
          destination: MASTER,
          port: 443,
          nat: expect.any(String),
        });
      }
      // Never published, never needed: blocked and not translated.
      for (const port of [5432, 22, 1195, 9390, 8888, 9000, 9001, 80, 9090]) {
        expect(hq.trace(tcp('wan', BR1_PUBLIC, HQ_PUBLIC, port))).toEqual({
          action: 'block',
          destination: HQ_PUBLIC,
          port,
        });
      }
      // The master → probe scanner is not open across the internet on either side (carried inside the VPN).
      for (const port of [9390, 8888]) {
        expect(hq.trace(tcp('lan', MASTER, BR1_PUBLIC, port)).action).toBe('block');
        expect(br1.trace(tcp('wan', HQ_PUBLIC, BR1_PUBLIC, port))).toMatchObject({ action: 'block' });
        expect(br1.trace(tcp('wan', HQ_PUBLIC, PROBE, port))).toMatchObject({ action: 'block' });
        expect(br1.trace(tcp('wan', HQ_PUBLIC, BR1_PUBLIC, port))).not.toHaveProperty('nat');
      }
      // Branch-2 is routed: the master's private address, no NAT.
      const routed = version === 'utmstack-v9' ? [1514, 1515, 1516, 5044, 9000, 55000] : [9000, 9001, 50051];
      for (const port of routed) {
        const verdict = hq.trace(tcp('wan', BR2_AGENT, MASTER, port));
        expect(verdict).toMatchObject({ action: 'pass', destination: MASTER, port });
        expect(verdict).not.toHaveProperty('nat');
        expect(br2.trace(tcp('lan', BR2_AGENT, MASTER, port))).toMatchObject({ action: 'pass' });
      }
      expect(br2.trace(tcp('lan', BR2_AGENT, MASTER, 5432)).action).toBe('block');
      expect(br2.trace(tcp('lan', BR2_AGENT, HQ_PUBLIC, 1194)).action).toBe('block');

      if (version === 'utmstack-v9') {
        // The probe VPN from Branch-1's public address, translated to the master.
        expect(hq.trace(tcp('wan', BR1_PUBLIC, HQ_PUBLIC, 1194))).toMatchObject({
          action: 'pass',
          destination: MASTER,
          port: 1194,
          nat: expect.any(String),
        });
        // The same door from anywhere else: translated (rdr / VIP come first), then refused.
        expect(hq.trace(tcp('wan', ELSEWHERE, HQ_PUBLIC, 1194))).toMatchObject({
          action: 'block',
          destination: MASTER,
          port: 1194,
        });
        expect(hq.trace({ ...tcp('wan', BR1_PUBLIC, HQ_PUBLIC, 1194), protocol: 'udp' }).action).toBe(
          'block',
        );
        // v9 has no flow on the external agent ports: not forwarded.
        for (const port of [19000, 19001, 50051]) {
          expect(hq.trace(tcp('wan', ELSEWHERE, HQ_PUBLIC, port))).toEqual({
            action: 'block',
            destination: HQ_PUBLIC,
            port,
          });
        }
        // Branch-1: the probe dials 1194 and nothing else; the agents reach their probe, not the internet.
        expect(br1.trace(tcp('dmz', PROBE, HQ_PUBLIC, 1194))).toMatchObject({
          action: 'pass',
          destination: HQ_PUBLIC,
          port: 1194,
        });
        for (const port of [443, 1195, 9390, 8888, 19000, 22]) {
          expect(br1.trace(tcp('dmz', PROBE, HQ_PUBLIC, port)).action).toBe('block');
        }
        expect(br1.trace(tcp('dmz', PROBE, '192.0.2.1', 1194)).action).toBe('block');
        for (const port of [1514, 1515, 1516, 5044, 9000, 55000]) {
          expect(br1.trace(tcp('lan', AGENT_2, PROBE, port)).action).toBe('pass');
        }
        expect(br1.trace(tcp('lan', AGENT_1, HQ_PUBLIC, 1194)).action).toBe('block');
        expect(br1.trace(tcp('lan', AGENT_1, HQ_PUBLIC, 443)).action).toBe('block');
      } else {
        // Agent ports published at 19000-19001 (→ 9000-9001) and 50051, for Branch-1 and the roaming agents.
        for (const source of [BR1_PUBLIC, ELSEWHERE]) {
          for (const [external, internal] of [
            [19000, 9000],
            [19001, 9001],
            [50051, 50051],
          ]) {
            expect(hq.trace(tcp('wan', source, HQ_PUBLIC, external))).toMatchObject({
              action: 'pass',
              destination: MASTER,
              port: internal,
              nat: expect.any(String),
            });
          }
        }
        // No probe in v11; the internal agent ports are not reachable on the public address.
        for (const port of [1194, 18999, 19002, 50050, 50052]) {
          expect(hq.trace(tcp('wan', BR1_PUBLIC, HQ_PUBLIC, port))).toEqual({
            action: 'block',
            destination: HQ_PUBLIC,
            port,
          });
        }
        // Branch-1's agents dial the external ports and nothing else.
        for (const agent of [AGENT_1, AGENT_2]) {
          for (const port of [19000, 19001, 50051]) {
            expect(br1.trace(tcp('lan', agent, HQ_PUBLIC, port))).toMatchObject({
              action: 'pass',
              destination: HQ_PUBLIC,
              port,
            });
          }
          for (const port of [9000, 9001, 443, 1194, 22, 5432, 19002, 50052]) {
            expect(br1.trace(tcp('lan', agent, HQ_PUBLIC, port)).action).toBe('block');
          }
        }
        expect(br1.trace(tcp('lan', AGENT_1, '192.0.2.1', 19000)).action).toBe('block');
        expect(br1.trace(tcp('lan', '10.20.10.99', HQ_PUBLIC, 19000)).action).toBe('block');
      }
    });

    it('a bounded grid of packets on every firewall: exactly the expected ones pass, translated as expected', () => {
      const exp = expected(version, true);
      const failures = DEVICES.flatMap((id) => mismatches(fw(id), exp[id], vendor));
      expect(failures).toEqual([]);
    });

    it('a second push of every firewall is a no-op with zero writes', async () => {
      await expectNoopEverywhere(ruleSets);
    });

    it('without the publication: the forwards and the rules admitting them are gone; routed traffic still passes', async () => {
      const outcomes = await pushAll(unpublished);
      for (const id of DEVICES) {
        expect({ id, error: outcomes[id].error, ok: outcomes[id].ok }).toEqual({
          id,
          error: undefined,
          ok: true,
        });
      }
      expect(ruleSetOf(unpublished, 'hq-fw').nat ?? []).toEqual([]);
      // Branch-2 is unaffected: nothing to do there.
      expect(isPlanEmpty(outcomes['br2-fw'].plan!)).toBe(true);
      for (const id of DEVICES) expect({ id, nat: fw(id).natEntries() }).toEqual({ id, nat: [] });
      // The managed state holds exactly the recomputed rules and no NAT.
      for (const id of DEVICES) {
        const live = await fw(id).connector.readState();
        expect({ id, nat: live.nat ?? [] }).toEqual({ id, nat: [] });
        expect({ id, rules: live.rules.map((r) => r.name).sort() }).toEqual({
          id,
          rules: ruleSetOf(unpublished, id)
            .rules.map((r) => r.name)
            .sort(),
        });
      }
      const hq = fw('hq-fw');
      expect(hq.trace(tcp('wan', BR1_PUBLIC, HQ_PUBLIC, 1194))).toEqual({
        action: 'block',
        destination: HQ_PUBLIC,
        port: 1194,
      });
      expect(hq.trace(tcp('wan', ELSEWHERE, HQ_PUBLIC, 443))).toEqual({
        action: 'block',
        destination: HQ_PUBLIC,
        port: 443,
      });
      const routedPort = version === 'utmstack-v9' ? 1514 : 9000;
      expect(hq.trace(tcp('wan', BR2_AGENT, MASTER, routedPort))).toMatchObject({
        action: 'pass',
        destination: MASTER,
      });
      const exp = expected(version, false);
      expect(DEVICES.flatMap((id) => mismatches(fw(id), exp[id], vendor))).toEqual([]);
    });

    it('the push after the removal is a no-op with zero writes', async () => {
      await expectNoopEverywhere(unpublished);
    });
  });
});

/*
 * Known limitation, reported with the file (not fixed): the pfSense REST API refuses to delete the last filter rule
 * of the device (`FirewallRule` many_minimum 1; /work/shared/reference/pfsense-rest-api.md §3, "deleting the last
 * remaining rule → 403 MODEL_MANY_MINIMUM_REACHED"). A device whose only rules are the managed ones cannot be
 * pushed a rule set without rules: here Branch-1 (v11) once the master's publication is removed. The push fails as
 * a validation error and the old rule stays live. This pins today's behaviour so a change to it is noticed.
 */
describe('pfSense: a rule set that would leave the filter without any rule (REST API many_minimum 1)', () => {
  it('fails with MODEL_MANY_MINIMUM_REACHED and leaves the old rule live', async () => {
    const flows = builtinFlows('utmstack-v11');
    const published = forVendor(internetInventory('utmstack-v11', 'pfsense'), 'pfsense');
    const before = computeRuleSets(published, flows).find((r) => r.deviceId === 'br1-fw') as RuleSet;
    const after = computeRuleSets({ ...published, publications: [] }, flows).find(
      (r) => r.deviceId === 'br1-fw',
    ) as RuleSet;
    expect(after.rules).toEqual([]);
    const br1 = await startFirewall('pfsense', 'br1-fw', []);
    try {
      expect((await pushRuleSet(br1.connector, before)).ok).toBe(true);
      const outcome = await pushRuleSet(br1.connector, after);
      expect(outcome.ok).toBe(false);
      expect(outcome.error).toMatchObject({
        kind: 'validation',
        status: 403,
        vendorCode: 'MODEL_MANY_MINIMUM_REACHED',
      });
      expect(br1.trace(tcp('lan', AGENT_1, HQ_PUBLIC, 19000)).action).toBe('pass');
      expect((await br1.connector.readState()).rules.map((r) => r.name)).toEqual(
        before.rules.map((r) => r.name),
      );
    } finally {
      br1.connector.close();
      await br1.stop();
    }
  });
});
