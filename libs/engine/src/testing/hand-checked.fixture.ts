/**
 * A small UTMStack deployment whose rule sets were worked out by hand (for `utmstack-v9` and
 * `utmstack-v11`), for the engine's tests and for anyone who needs a realistic deployment with known
 * rule sets (connectors, e2e, demo).
 *
 * HQ (site `hq`, firewall `hq-fw`, pfSense: `lan` → zone lan, `opt1` → zone servers, `wan` external)
 *   servers 10.1.10.0/24 + 2001:db8:1:10::/64: hq-master 10.1.10.5 + 2001:db8:1:10::5,
 *                                              hq-srv-agents 10.1.10.20 and .21
 *   lan 10.1.20.0/24: hq-lan-agents 10.1.20.0/25, hq-wifi-agents 10.1.20.128/25
 *   consoles outside every zone: analysts 203.0.113.0/28 + 2001:db8:ff::/64 (selectors: web),
 *                                admins 198.51.100.7 (selectors: admin)
 * Branch-1 (site `br1`, firewall `br1-fw`, FortiOS: `port1` external, `port2` → lan, `port3` → dmz)
 *   lan 10.2.10.0/24: br1-agents 10.2.10.20 and .21, br1-legacy 10.2.10.30 (collector: hq-master),
 *                     br1-switch 10.2.10.2 (agentless, selectors: syslog, cisco)
 *   dmz 10.2.20.0/24: v9: br1-probe 10.2.20.10 (probe); v11: br1-collector 10.2.20.10 (collector agent,
 *                     br1-switch's collector)
 *
 * Names follow libs/engine/src/README.md ("Names"); hand-checked.spec.ts derives every object and rule name
 * below from hand-written member signatures.
 */
import type { AddressObject, Inventory, RuleExplanation, RuleSet, ServiceObject } from '../model';

export type HandCheckedVersion = 'utmstack-v9' | 'utmstack-v11';

export function handCheckedInventory(version: HandCheckedVersion): Inventory {
  const v11 = version === 'utmstack-v11';
  return {
    sites: [
      { id: 'hq', name: 'HQ', catalogVersion: version },
      { id: 'br1', name: 'Branch-1', catalogVersion: version },
    ],
    zones: [
      { id: 'hq-servers', siteId: 'hq', name: 'servers', cidrs: ['10.1.10.0/24', '2001:db8:1:10::/64'] },
      { id: 'hq-lan', siteId: 'hq', name: 'lan', cidrs: ['10.1.20.0/24'] },
      { id: 'br1-lan', siteId: 'br1', name: 'lan', cidrs: ['10.2.10.0/24'] },
      { id: 'br1-dmz', siteId: 'br1', name: 'dmz', cidrs: ['10.2.20.0/24'] },
    ],
    nodes: [
      {
        id: 'hq-master',
        siteId: 'hq',
        name: 'hq-master',
        role: 'master',
        addresses: ['10.1.10.5', '2001:db8:1:10::5'],
        selectors: [],
      },
      {
        id: 'hq-srv-agents',
        siteId: 'hq',
        name: 'hq-srv-agents',
        role: 'agent',
        addresses: ['10.1.10.20', '10.1.10.21'],
        selectors: [],
      },
      {
        id: 'hq-lan-agents',
        siteId: 'hq',
        name: 'hq-lan-agents',
        role: 'agent',
        addresses: ['10.1.20.0/25'],
        selectors: [],
      },
      {
        id: 'hq-wifi-agents',
        siteId: 'hq',
        name: 'hq-wifi-agents',
        role: 'agent',
        addresses: ['10.1.20.128/25'],
        selectors: [],
      },
      {
        id: 'analysts',
        siteId: 'hq',
        name: 'analysts',
        role: 'console',
        addresses: ['203.0.113.0/28', '2001:db8:ff::/64'],
        selectors: ['web'],
      },
      {
        id: 'admins',
        siteId: 'hq',
        name: 'admins',
        role: 'console',
        addresses: ['198.51.100.7'],
        selectors: ['admin'],
      },
      v11
        ? {
            id: 'br1-collector',
            siteId: 'br1',
            name: 'br1-collector',
            role: 'agent',
            addresses: ['10.2.20.10'],
            selectors: [],
          }
        : {
            id: 'br1-probe',
            siteId: 'br1',
            name: 'br1-probe',
            role: 'probe',
            addresses: ['10.2.20.10'],
            selectors: [],
          },
      {
        id: 'br1-agents',
        siteId: 'br1',
        name: 'br1-agents',
        role: 'agent',
        addresses: ['10.2.10.20', '10.2.10.21'],
        selectors: [],
      },
      {
        id: 'br1-legacy',
        siteId: 'br1',
        name: 'br1-legacy',
        role: 'agent',
        addresses: ['10.2.10.30'],
        collectorId: 'hq-master',
        selectors: [],
      },
      {
        id: 'br1-switch',
        siteId: 'br1',
        name: 'br1-switch',
        role: 'agentless',
        addresses: ['10.2.10.2'],
        collectorId: v11 ? 'br1-collector' : null,
        selectors: ['syslog', 'cisco'],
      },
    ],
    devices: [
      {
        id: 'hq-fw',
        siteId: 'hq',
        name: 'hq-fw',
        vendor: 'pfsense',
        interfaces: [
          { name: 'lan', external: false, zoneIds: ['hq-lan'] },
          { name: 'opt1', external: false, zoneIds: ['hq-servers'] },
          { name: 'wan', external: true, zoneIds: [] },
        ],
      },
      {
        id: 'br1-fw',
        siteId: 'br1',
        name: 'br1-fw',
        vendor: 'fortios',
        interfaces: [
          { name: 'port1', external: true, zoneIds: [] },
          { name: 'port2', external: false, zoneIds: ['br1-lan'] },
          { name: 'port3', external: false, zoneIds: ['br1-dmz'] },
        ],
      },
    ],
  };
}

export type ExpectedRuleSet = Omit<RuleSet, 'hash'>;

const V9 = 'utmstack-v9';
const V11 = 'utmstack-v11';

/** `utm_tcp_1514to1516_5044_9000_55000` is 34 characters: cut, plus the first 6 hex digits of its SHA-256. */
const V9_AGENT_SERVICE = 'utm_tcp_1514to1516_5044_4b9b03';
const V9_AGENT_PURPOSES = 'HIDS agent communication, HIDS management API, agent manager, logs';

/** The four v9 agent → collector explanations for a given source description and nodes. */
function v9AgentExplanations(
  sourceText: string,
  sourceNodeIds: string[],
  collector: string,
): RuleExplanation[] {
  return [
    {
      flowId: 'v9-agent-hids',
      catalogVersion: V9,
      purpose: 'HIDS agent communication',
      sourceNodeIds,
      destinationNodeIds: [collector],
      text: `${sourceText} → collector ${collector}: HIDS agent communication, 1514-1516/tcp`,
    },
    {
      flowId: 'v9-agent-hids-api',
      catalogVersion: V9,
      purpose: 'HIDS management API',
      sourceNodeIds,
      destinationNodeIds: [collector],
      text: `${sourceText} → collector ${collector}: HIDS management API, 55000/tcp`,
    },
    {
      flowId: 'v9-agent-logs',
      catalogVersion: V9,
      purpose: 'logs',
      sourceNodeIds,
      destinationNodeIds: [collector],
      text: `${sourceText} → collector ${collector}: logs, 5044/tcp`,
    },
    {
      flowId: 'v9-agent-manager',
      catalogVersion: V9,
      purpose: 'agent manager',
      sourceNodeIds,
      destinationNodeIds: [collector],
      text: `${sourceText} → collector ${collector}: agent manager, 9000/tcp`,
    },
  ];
}
const V9_AGENT_FLOWS = ['v9-agent-hids', 'v9-agent-hids-api', 'v9-agent-logs', 'v9-agent-manager'];

const V9_MASTER_TO_PROBE_EXPLANATIONS: RuleExplanation[] = [
  {
    flowId: 'v9-master-probe-asset-discovery',
    catalogVersion: V9,
    purpose: 'asset discovery',
    sourceNodeIds: ['hq-master'],
    destinationNodeIds: ['br1-probe'],
    text: 'master hq-master → probe br1-probe: asset discovery, 5000,8000/tcp',
  },
  {
    flowId: 'v9-master-probe-vuln-scanner',
    catalogVersion: V9,
    purpose: 'vulnerability scanner',
    sourceNodeIds: ['hq-master'],
    destinationNodeIds: ['br1-probe'],
    text: 'master hq-master → probe br1-probe: vulnerability scanner, 8888,9390/tcp',
  },
];

const V9_PROBE_VPN_EXPLANATIONS: RuleExplanation[] = [
  {
    flowId: 'v9-probe-master-vpn',
    catalogVersion: V9,
    purpose: 'probe/proxy VPN to the master over the internet',
    sourceNodeIds: ['br1-probe'],
    destinationNodeIds: ['hq-master'],
    text: 'probe br1-probe → master hq-master: probe/proxy VPN to the master over the internet, 1194/tcp',
  },
];

/** hq-master's IPv4 object: `master_<interface on that firewall>` + the hash of its signature as a target. */
const hqMasterV4 = (name: string): AddressObject => ({
  name,
  family: 4,
  entries: ['10.1.10.5/32'],
  description: 'master hq-master',
});

export const HAND_CHECKED_V9: Record<'hq-fw' | 'br1-fw', ExpectedRuleSet> = {
  'hq-fw': {
    deviceId: 'hq-fw',
    deviceName: 'hq-fw',
    vendor: 'pfsense',
    prefix: 'utm_',
    addresses: [
      // hq-lan-agents 10.1.20.0/25 + hq-wifi-agents 10.1.20.128/25, summarised exactly; they and br1-legacy
      // all report to hq-master: one signature, so one hash (7f026f) on lan and on wan
      { name: 'utm_agent_lan_7f026f', family: 4, entries: ['10.1.20.0/24'], description: 'agents of HQ' },
      {
        name: 'utm_agent_wan_7f026f',
        family: 4,
        entries: ['10.2.10.30/32'],
        description: 'agent br1-legacy',
      },
      // admins and analysts both need exactly 443/tcp to the master: one union object
      {
        name: 'utm_console_wan_dcb256',
        family: 4,
        entries: ['198.51.100.7/32', '203.0.113.0/28'],
        description: 'consoles of HQ',
      },
      {
        name: 'utm_console_wan_v6_dcb256',
        family: 6,
        entries: ['2001:db8:ff::/64'],
        description: 'console analysts',
      },
      hqMasterV4('utm_master_opt1_983f45'),
      {
        name: 'utm_master_opt1_v6_983f45',
        family: 6,
        entries: ['2001:db8:1:10::5/128'],
        description: 'master hq-master',
      },
      { name: 'utm_probe_wan_7e4a19', family: 4, entries: ['10.2.20.10/32'], description: 'probe br1-probe' },
    ],
    services: [
      {
        name: 'utm_tcp_1194',
        protocol: 'tcp',
        ports: [{ from: 1194, to: 1194 }],
        description: 'probe/proxy VPN to the master over the internet',
      },
      {
        name: V9_AGENT_SERVICE,
        protocol: 'tcp',
        ports: [
          { from: 1514, to: 1516 },
          { from: 5044, to: 5044 },
          { from: 9000, to: 9000 },
          { from: 55000, to: 55000 },
        ],
        description: V9_AGENT_PURPOSES,
      },
      { name: 'utm_tcp_443', protocol: 'tcp', ports: [{ from: 443, to: 443 }], description: 'web console' },
      {
        name: 'utm_tcp_5000_8000_8888_9390',
        protocol: 'tcp',
        ports: [
          { from: 5000, to: 5000 },
          { from: 8000, to: 8000 },
          { from: 8888, to: 8888 },
          { from: 9390, to: 9390 },
        ],
        description: 'asset discovery, vulnerability scanner',
      },
    ],
    rules: [
      {
        name: 'utm_agent_to_master_d4186b_tcp',
        order: 0,
        ingress: 'lan',
        egress: 'opt1',
        family: 4,
        source: 'utm_agent_lan_7f026f',
        destination: 'utm_master_opt1_983f45',
        service: V9_AGENT_SERVICE,
        protocol: 'tcp',
        flowIds: V9_AGENT_FLOWS,
        sourceNodeIds: ['hq-lan-agents', 'hq-wifi-agents'],
        destinationNodeIds: ['hq-master'],
        explanations: v9AgentExplanations('agents of HQ', ['hq-lan-agents', 'hq-wifi-agents'], 'hq-master'),
      },
      {
        name: 'utm_master_to_probe_c7fc2b_tcp',
        order: 1,
        ingress: 'opt1',
        egress: 'wan',
        family: 4,
        source: 'utm_master_opt1_983f45',
        destination: 'utm_probe_wan_7e4a19',
        service: 'utm_tcp_5000_8000_8888_9390',
        protocol: 'tcp',
        flowIds: ['v9-master-probe-asset-discovery', 'v9-master-probe-vuln-scanner'],
        sourceNodeIds: ['hq-master'],
        destinationNodeIds: ['br1-probe'],
        explanations: V9_MASTER_TO_PROBE_EXPLANATIONS,
      },
      {
        name: 'utm_agent_to_master_10ed2d_tcp',
        order: 2,
        ingress: 'wan',
        egress: 'opt1',
        family: 4,
        source: 'utm_agent_wan_7f026f',
        destination: 'utm_master_opt1_983f45',
        service: V9_AGENT_SERVICE,
        protocol: 'tcp',
        flowIds: V9_AGENT_FLOWS,
        sourceNodeIds: ['br1-legacy'],
        destinationNodeIds: ['hq-master'],
        explanations: v9AgentExplanations('agent br1-legacy', ['br1-legacy'], 'hq-master'),
      },
      {
        name: 'utm_console_to_master_60d302_tcp',
        order: 3,
        ingress: 'wan',
        egress: 'opt1',
        family: 4,
        source: 'utm_console_wan_dcb256',
        destination: 'utm_master_opt1_983f45',
        service: 'utm_tcp_443',
        protocol: 'tcp',
        flowIds: ['v9-console-web'],
        sourceNodeIds: ['admins', 'analysts'],
        destinationNodeIds: ['hq-master'],
        explanations: [
          {
            flowId: 'v9-console-web',
            catalogVersion: V9,
            purpose: 'web console',
            sourceNodeIds: ['admins', 'analysts'],
            destinationNodeIds: ['hq-master'],
            text: 'consoles of HQ → master hq-master: web console, 443/tcp',
          },
        ],
      },
      {
        name: 'utm_probe_to_master_4e16e8_tcp',
        order: 4,
        ingress: 'wan',
        egress: 'opt1',
        family: 4,
        source: 'utm_probe_wan_7e4a19',
        destination: 'utm_master_opt1_983f45',
        service: 'utm_tcp_1194',
        protocol: 'tcp',
        flowIds: ['v9-probe-master-vpn'],
        sourceNodeIds: ['br1-probe'],
        destinationNodeIds: ['hq-master'],
        explanations: V9_PROBE_VPN_EXPLANATIONS,
      },
      {
        name: 'utm_console_to_master_5b59f2_tcp6',
        order: 5,
        ingress: 'wan',
        egress: 'opt1',
        family: 6,
        source: 'utm_console_wan_v6_dcb256',
        destination: 'utm_master_opt1_v6_983f45',
        service: 'utm_tcp_443',
        protocol: 'tcp',
        flowIds: ['v9-console-web'],
        sourceNodeIds: ['analysts'],
        destinationNodeIds: ['hq-master'],
        explanations: [
          {
            flowId: 'v9-console-web',
            catalogVersion: V9,
            purpose: 'web console',
            sourceNodeIds: ['analysts'],
            destinationNodeIds: ['hq-master'],
            text: 'console analysts → master hq-master: web console, 443/tcp',
          },
        ],
      },
    ],
  },
  'br1-fw': {
    deviceId: 'br1-fw',
    deviceName: 'br1-fw',
    vendor: 'fortios',
    prefix: 'utm_',
    addresses: [
      // two agent objects behind port2, told apart by what they ask: br1-legacy reports to hq-master (the
      // hash of hq-fw's agent objects), br1-agents to br1-probe
      {
        name: 'utm_agent_port2_7f026f',
        family: 4,
        entries: ['10.2.10.30/32'],
        description: 'agent br1-legacy',
      },
      // 10.2.10.20 + 10.2.10.21 summarised exactly
      {
        name: 'utm_agent_port2_a5e74b',
        family: 4,
        entries: ['10.2.10.20/31'],
        description: 'agent br1-agents',
      },
      {
        name: 'utm_agentless_port2_b48027',
        family: 4,
        entries: ['10.2.10.2/32'],
        description: 'agentless br1-switch',
      },
      hqMasterV4('utm_master_port1_983f45'),
      {
        name: 'utm_probe_port3_7e4a19',
        family: 4,
        entries: ['10.2.20.10/32'],
        description: 'probe br1-probe',
      },
    ],
    services: [
      {
        name: 'utm_tcp_1194',
        protocol: 'tcp',
        ports: [{ from: 1194, to: 1194 }],
        description: 'probe/proxy VPN to the master over the internet',
      },
      {
        name: V9_AGENT_SERVICE,
        protocol: 'tcp',
        ports: [
          { from: 1514, to: 1516 },
          { from: 5044, to: 5044 },
          { from: 9000, to: 9000 },
          { from: 55000, to: 55000 },
        ],
        description: V9_AGENT_PURPOSES,
      },
      {
        name: 'utm_tcp_5000_8000_8888_9390',
        protocol: 'tcp',
        ports: [
          { from: 5000, to: 5000 },
          { from: 8000, to: 8000 },
          { from: 8888, to: 8888 },
          { from: 9390, to: 9390 },
        ],
        description: 'asset discovery, vulnerability scanner',
      },
      {
        name: 'utm_tcp_514_1470_2056',
        protocol: 'tcp',
        ports: [
          { from: 514, to: 514 },
          { from: 1470, to: 1470 },
          { from: 2056, to: 2056 },
        ],
        description: 'syslog',
      },
      { name: 'utm_udp_514', protocol: 'udp', ports: [{ from: 514, to: 514 }], description: 'syslog' },
    ],
    rules: [
      {
        name: 'utm_master_to_probe_f18475_tcp',
        order: 0,
        ingress: 'port1',
        egress: 'port3',
        family: 4,
        source: 'utm_master_port1_983f45',
        destination: 'utm_probe_port3_7e4a19',
        service: 'utm_tcp_5000_8000_8888_9390',
        protocol: 'tcp',
        flowIds: ['v9-master-probe-asset-discovery', 'v9-master-probe-vuln-scanner'],
        sourceNodeIds: ['hq-master'],
        destinationNodeIds: ['br1-probe'],
        explanations: V9_MASTER_TO_PROBE_EXPLANATIONS,
      },
      {
        name: 'utm_agent_to_master_e20b30_tcp',
        order: 1,
        ingress: 'port2',
        egress: 'port1',
        family: 4,
        source: 'utm_agent_port2_7f026f',
        destination: 'utm_master_port1_983f45',
        service: V9_AGENT_SERVICE,
        protocol: 'tcp',
        flowIds: V9_AGENT_FLOWS,
        sourceNodeIds: ['br1-legacy'],
        destinationNodeIds: ['hq-master'],
        explanations: v9AgentExplanations('agent br1-legacy', ['br1-legacy'], 'hq-master'),
      },
      {
        name: 'utm_agent_to_probe_2cb904_tcp',
        order: 2,
        ingress: 'port2',
        egress: 'port3',
        family: 4,
        source: 'utm_agent_port2_a5e74b',
        destination: 'utm_probe_port3_7e4a19',
        service: V9_AGENT_SERVICE,
        protocol: 'tcp',
        flowIds: V9_AGENT_FLOWS,
        sourceNodeIds: ['br1-agents'],
        destinationNodeIds: ['br1-probe'],
        explanations: v9AgentExplanations('agent br1-agents', ['br1-agents'], 'br1-probe'),
      },
      {
        name: 'utm_agentless_to_probe_907097_tcp',
        order: 3,
        ingress: 'port2',
        egress: 'port3',
        family: 4,
        source: 'utm_agentless_port2_b48027',
        destination: 'utm_probe_port3_7e4a19',
        service: 'utm_tcp_514_1470_2056',
        protocol: 'tcp',
        flowIds: ['v9-agentless-syslog-tcp'],
        sourceNodeIds: ['br1-switch'],
        destinationNodeIds: ['br1-probe'],
        explanations: [
          {
            flowId: 'v9-agentless-syslog-tcp',
            catalogVersion: V9,
            purpose: 'syslog',
            sourceNodeIds: ['br1-switch'],
            destinationNodeIds: ['br1-probe'],
            text: 'agentless br1-switch → collector br1-probe: syslog, 514,1470,2056/tcp',
          },
        ],
      },
      {
        name: 'utm_agentless_to_probe_3053bc_udp',
        order: 4,
        ingress: 'port2',
        egress: 'port3',
        family: 4,
        source: 'utm_agentless_port2_b48027',
        destination: 'utm_probe_port3_7e4a19',
        service: 'utm_udp_514',
        protocol: 'udp',
        flowIds: ['v9-agentless-syslog-udp'],
        sourceNodeIds: ['br1-switch'],
        destinationNodeIds: ['br1-probe'],
        explanations: [
          {
            flowId: 'v9-agentless-syslog-udp',
            catalogVersion: V9,
            purpose: 'syslog',
            sourceNodeIds: ['br1-switch'],
            destinationNodeIds: ['br1-probe'],
            text: 'agentless br1-switch → collector br1-probe: syslog, 514/udp',
          },
        ],
      },
      {
        name: 'utm_probe_to_master_31f737_tcp',
        order: 5,
        ingress: 'port3',
        egress: 'port1',
        family: 4,
        source: 'utm_probe_port3_7e4a19',
        destination: 'utm_master_port1_983f45',
        service: 'utm_tcp_1194',
        protocol: 'tcp',
        flowIds: ['v9-probe-master-vpn'],
        sourceNodeIds: ['br1-probe'],
        destinationNodeIds: ['hq-master'],
        explanations: V9_PROBE_VPN_EXPLANATIONS,
      },
    ],
  },
};

/** 9000 and 9001 are adjacent: one range. */
const V11_AGENT_SERVICE = 'utm_tcp_9000to9001_50051';
const V11_AGENT_FLOWS = ['v11-agent-log-ingestion', 'v11-agent-manager', 'v11-agent-updates'];

/** The three v11 agent → master explanations. */
function v11AgentExplanations(sourceText: string, sourceNodeIds: string[]): RuleExplanation[] {
  const explain = (flowId: string, purpose: string, port: number): RuleExplanation => ({
    flowId,
    catalogVersion: V11,
    purpose,
    sourceNodeIds,
    destinationNodeIds: ['hq-master'],
    text: `${sourceText} → master hq-master: ${purpose}, ${port}/tcp`,
  });
  return [
    explain('v11-agent-log-ingestion', 'log ingestion (gRPC over TLS)', 50051),
    explain('v11-agent-manager', 'agent manager (gRPC over TLS)', 9000),
    explain('v11-agent-updates', 'agent dependencies and updates (HTTPS)', 9001),
  ];
}

/** v11 console → master explanations of one console node. */
function v11ConsoleExplanation(node: string, flowId: string, purpose: string, port: number): RuleExplanation {
  return {
    flowId,
    catalogVersion: V11,
    purpose,
    sourceNodeIds: [node],
    destinationNodeIds: ['hq-master'],
    text: `console ${node} → master hq-master: ${purpose}, ${port}/tcp`,
  };
}

const V11_AGENT_SERVICE_OBJECT: ServiceObject = {
  name: V11_AGENT_SERVICE,
  protocol: 'tcp',
  ports: [
    { from: 9000, to: 9001 },
    { from: 50051, to: 50051 },
  ],
  description:
    'agent dependencies and updates (HTTPS), agent manager (gRPC over TLS), log ingestion (gRPC over TLS)',
};

export const HAND_CHECKED_V11: Record<'hq-fw' | 'br1-fw', ExpectedRuleSet> = {
  'hq-fw': {
    deviceId: 'hq-fw',
    deviceName: 'hq-fw',
    vendor: 'pfsense',
    prefix: 'utm_',
    addresses: [
      { name: 'utm_agent_lan_0c2524', family: 4, entries: ['10.1.20.0/24'], description: 'agents of HQ' },
      // br1-agents, br1-legacy and br1-collector all need the same agent ports to the master
      {
        name: 'utm_agent_wan_0c2524',
        family: 4,
        entries: ['10.2.10.20/31', '10.2.10.30/32', '10.2.20.10/32'],
        description: 'agents of Branch-1',
      },
      {
        name: 'utm_console_wan_1c11c2',
        family: 4,
        entries: ['203.0.113.0/28'],
        description: 'console analysts',
      },
      {
        name: 'utm_console_wan_f471ac',
        family: 4,
        entries: ['198.51.100.7/32'],
        description: 'console admins',
      },
      {
        name: 'utm_console_wan_v6_1c11c2',
        family: 6,
        entries: ['2001:db8:ff::/64'],
        description: 'console analysts',
      },
      hqMasterV4('utm_master_opt1_983f45'),
      {
        name: 'utm_master_opt1_v6_983f45',
        family: 6,
        entries: ['2001:db8:1:10::5/128'],
        description: 'master hq-master',
      },
    ],
    services: [
      {
        name: 'utm_tcp_22_80_443_9090',
        protocol: 'tcp',
        ports: [
          { from: 22, to: 22 },
          { from: 80, to: 80 },
          { from: 443, to: 443 },
          { from: 9090, to: 9090 },
        ],
        description:
          'Cockpit administration (HTTPS), SSH administration, web console and API (HTTPS), web console redirect to HTTPS',
      },
      {
        name: 'utm_tcp_80_443',
        protocol: 'tcp',
        ports: [
          { from: 80, to: 80 },
          { from: 443, to: 443 },
        ],
        description: 'web console and API (HTTPS), web console redirect to HTTPS',
      },
      V11_AGENT_SERVICE_OBJECT,
    ],
    rules: [
      {
        name: 'utm_agent_to_master_70726d_tcp',
        order: 0,
        ingress: 'lan',
        egress: 'opt1',
        family: 4,
        source: 'utm_agent_lan_0c2524',
        destination: 'utm_master_opt1_983f45',
        service: V11_AGENT_SERVICE,
        protocol: 'tcp',
        flowIds: V11_AGENT_FLOWS,
        sourceNodeIds: ['hq-lan-agents', 'hq-wifi-agents'],
        destinationNodeIds: ['hq-master'],
        explanations: v11AgentExplanations('agents of HQ', ['hq-lan-agents', 'hq-wifi-agents']),
      },
      {
        name: 'utm_agent_to_master_75adfd_tcp',
        order: 1,
        ingress: 'wan',
        egress: 'opt1',
        family: 4,
        source: 'utm_agent_wan_0c2524',
        destination: 'utm_master_opt1_983f45',
        service: V11_AGENT_SERVICE,
        protocol: 'tcp',
        flowIds: V11_AGENT_FLOWS,
        sourceNodeIds: ['br1-agents', 'br1-collector', 'br1-legacy'],
        destinationNodeIds: ['hq-master'],
        explanations: v11AgentExplanations('agents of Branch-1', [
          'br1-agents',
          'br1-collector',
          'br1-legacy',
        ]),
      },
      {
        // analysts list only `web`: no admin ports
        name: 'utm_console_to_master_c87f29_tcp',
        order: 2,
        ingress: 'wan',
        egress: 'opt1',
        family: 4,
        source: 'utm_console_wan_1c11c2',
        destination: 'utm_master_opt1_983f45',
        service: 'utm_tcp_80_443',
        protocol: 'tcp',
        flowIds: ['v11-console-web', 'v11-console-web-redirect'],
        sourceNodeIds: ['analysts'],
        destinationNodeIds: ['hq-master'],
        explanations: [
          v11ConsoleExplanation('analysts', 'v11-console-web', 'web console and API (HTTPS)', 443),
          v11ConsoleExplanation('analysts', 'v11-console-web-redirect', 'web console redirect to HTTPS', 80),
        ],
      },
      {
        // admins list the `admin` selector: SSH and Cockpit on top of the web console
        name: 'utm_console_to_master_f5a24e_tcp',
        order: 3,
        ingress: 'wan',
        egress: 'opt1',
        family: 4,
        source: 'utm_console_wan_f471ac',
        destination: 'utm_master_opt1_983f45',
        service: 'utm_tcp_22_80_443_9090',
        protocol: 'tcp',
        flowIds: ['v11-console-cockpit', 'v11-console-ssh', 'v11-console-web', 'v11-console-web-redirect'],
        sourceNodeIds: ['admins'],
        destinationNodeIds: ['hq-master'],
        explanations: [
          v11ConsoleExplanation('admins', 'v11-console-cockpit', 'Cockpit administration (HTTPS)', 9090),
          v11ConsoleExplanation('admins', 'v11-console-ssh', 'SSH administration', 22),
          v11ConsoleExplanation('admins', 'v11-console-web', 'web console and API (HTTPS)', 443),
          v11ConsoleExplanation('admins', 'v11-console-web-redirect', 'web console redirect to HTTPS', 80),
        ],
      },
      {
        name: 'utm_console_to_master_9683b9_tcp6',
        order: 4,
        ingress: 'wan',
        egress: 'opt1',
        family: 6,
        source: 'utm_console_wan_v6_1c11c2',
        destination: 'utm_master_opt1_v6_983f45',
        service: 'utm_tcp_80_443',
        protocol: 'tcp',
        flowIds: ['v11-console-web', 'v11-console-web-redirect'],
        sourceNodeIds: ['analysts'],
        destinationNodeIds: ['hq-master'],
        explanations: [
          v11ConsoleExplanation('analysts', 'v11-console-web', 'web console and API (HTTPS)', 443),
          v11ConsoleExplanation('analysts', 'v11-console-web-redirect', 'web console redirect to HTTPS', 80),
        ],
      },
    ],
  },
  'br1-fw': {
    deviceId: 'br1-fw',
    deviceName: 'br1-fw',
    vendor: 'fortios',
    prefix: 'utm_',
    addresses: [
      {
        name: 'utm_agent_port2_0c2524',
        family: 4,
        entries: ['10.2.10.20/31', '10.2.10.30/32'],
        description: 'agents of Branch-1',
      },
      {
        name: 'utm_agent_port3_c3178f',
        family: 4,
        entries: ['10.2.20.10/32'],
        description: 'agent br1-collector',
      },
      {
        name: 'utm_agentless_port2_814847',
        family: 4,
        entries: ['10.2.10.2/32'],
        description: 'agentless br1-switch',
      },
      hqMasterV4('utm_master_port1_983f45'),
    ],
    services: [
      {
        name: 'utm_tcp_1470',
        protocol: 'tcp',
        ports: [{ from: 1470, to: 1470 }],
        description: 'Cisco syslog',
      },
      V11_AGENT_SERVICE_OBJECT,
      { name: 'utm_udp_514', protocol: 'udp', ports: [{ from: 514, to: 514 }], description: 'Cisco syslog' },
    ],
    rules: [
      {
        name: 'utm_agent_to_master_dce068_tcp',
        order: 0,
        ingress: 'port2',
        egress: 'port1',
        family: 4,
        source: 'utm_agent_port2_0c2524',
        destination: 'utm_master_port1_983f45',
        service: V11_AGENT_SERVICE,
        protocol: 'tcp',
        flowIds: V11_AGENT_FLOWS,
        sourceNodeIds: ['br1-agents', 'br1-legacy'],
        destinationNodeIds: ['hq-master'],
        explanations: v11AgentExplanations('agents of Branch-1', ['br1-agents', 'br1-legacy']),
      },
      {
        // br1-switch lists `syslog` and `cisco`: only the Cisco flows exist in v11
        name: 'utm_agentless_to_agent_54418e_tcp',
        order: 1,
        ingress: 'port2',
        egress: 'port3',
        family: 4,
        source: 'utm_agentless_port2_814847',
        destination: 'utm_agent_port3_c3178f',
        service: 'utm_tcp_1470',
        protocol: 'tcp',
        flowIds: ['v11-agentless-cisco-tcp'],
        sourceNodeIds: ['br1-switch'],
        destinationNodeIds: ['br1-collector'],
        explanations: [
          {
            flowId: 'v11-agentless-cisco-tcp',
            catalogVersion: V11,
            purpose: 'Cisco syslog',
            sourceNodeIds: ['br1-switch'],
            destinationNodeIds: ['br1-collector'],
            text: 'agentless br1-switch → collector br1-collector: Cisco syslog, 1470/tcp',
          },
        ],
      },
      {
        name: 'utm_agentless_to_agent_a4ce13_udp',
        order: 2,
        ingress: 'port2',
        egress: 'port3',
        family: 4,
        source: 'utm_agentless_port2_814847',
        destination: 'utm_agent_port3_c3178f',
        service: 'utm_udp_514',
        protocol: 'udp',
        flowIds: ['v11-agentless-cisco-udp'],
        sourceNodeIds: ['br1-switch'],
        destinationNodeIds: ['br1-collector'],
        explanations: [
          {
            flowId: 'v11-agentless-cisco-udp',
            catalogVersion: V11,
            purpose: 'Cisco syslog',
            sourceNodeIds: ['br1-switch'],
            destinationNodeIds: ['br1-collector'],
            text: 'agentless br1-switch → collector br1-collector: Cisco syslog, 514/udp',
          },
        ],
      },
      {
        name: 'utm_agent_to_master_504ee4_tcp',
        order: 3,
        ingress: 'port3',
        egress: 'port1',
        family: 4,
        source: 'utm_agent_port3_c3178f',
        destination: 'utm_master_port1_983f45',
        service: V11_AGENT_SERVICE,
        protocol: 'tcp',
        flowIds: V11_AGENT_FLOWS,
        sourceNodeIds: ['br1-collector'],
        destinationNodeIds: ['hq-master'],
        explanations: v11AgentExplanations('agent br1-collector', ['br1-collector']),
      },
    ],
  },
};

/** Expected rule sets of {@link handCheckedInventory}, by version and device id (the hash aside). */
export const HAND_CHECKED_EXPECTED: Record<
  HandCheckedVersion,
  Record<'hq-fw' | 'br1-fw', ExpectedRuleSet>
> = {
  'utmstack-v9': HAND_CHECKED_V9,
  'utmstack-v11': HAND_CHECKED_V11,
};
