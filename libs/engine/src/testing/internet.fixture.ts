/**
 * A deployment whose sites reach each other over the internet (issue #12), with rule sets and NAT entries
 * worked out by hand from the semantics in libs/engine/src/README.md ("Internet paths"), for catalogs
 * `utmstack-v9` and `utmstack-v11` and with every vendor as the firewalls' vendor.
 *
 * HQ (site `hq`, connectivity internet; firewall `hq-fw`: `wan` external, public 198.51.100.10; `lan` → servers)
 *   servers 10.10.10.0/24: hq-master 10.10.10.5, published on hq-fw (`pub-master`, wan, 198.51.100.10):
 *     1194/tcp, 443/tcp, 9000-9001/tcp at 19000-19001, 50051/tcp
 * Branch-1 (site `br1`, connectivity internet; firewall `br1-fw`: `wan` external, public 203.0.113.20;
 *   `lan` → lan 10.20.10.0/24, `dmz` → dmz 10.20.20.0/24)
 *   br1-agents 10.20.10.21 and .22; v9: br1-probe 10.20.20.10 (the agents' collector)
 * Branch-2 (site `br2`, default connectivity; site link HQ ↔ Branch-2 routed: a site-to-site VPN; firewall
 *   `br2-fw`: `wan` external without public address, `lan` → lan 10.30.10.0/24)
 *   br2-agents 10.30.10.0/24 (collector in v9: hq-master, the first master of the deployment)
 * Roaming (site `roam`, on the internet): analysts 0.0.0.0/0 (console, no selectors); v11: roaming-agents
 *   0.0.0.0/0
 *
 * The roaming nodes' 0.0.0.0/0 stands for the public internet on internet paths (PUBLIC_INTERNET below), so
 * HQ admits their forwards from public addresses only: never untranslated from Branch-2's VPN or HQ itself.
 *
 * What crosses the internet: Branch-1 → HQ (br1 and hq are `internet`), Roaming → HQ (an internet site);
 * Branch-2 ↔ HQ is routed by the link. internet.spec.ts checks the computed rule sets against the
 * hand-written expectations below (names by pattern, everything else exactly).
 */
import type { Inventory, PortRange, Protocol, Vendor } from '../model';

export type InternetVersion = 'utmstack-v9' | 'utmstack-v11';

export function internetInventory(version: InternetVersion, vendor: Vendor): Inventory {
  const v11 = version === 'utmstack-v11';
  return {
    sites: [
      { id: 'hq', name: 'HQ', catalogVersion: version, connectivity: 'internet' },
      { id: 'br1', name: 'Branch-1', catalogVersion: version, connectivity: 'internet' },
      { id: 'br2', name: 'Branch-2', catalogVersion: version },
      { id: 'roam', name: 'Roaming', catalogVersion: version, onInternet: true },
    ],
    siteLinks: [{ siteAId: 'br2', siteBId: 'hq', connectivity: 'routed' }],
    zones: [
      { id: 'hq-servers', siteId: 'hq', name: 'servers', cidrs: ['10.10.10.0/24'] },
      { id: 'br1-lan', siteId: 'br1', name: 'lan', cidrs: ['10.20.10.0/24'] },
      { id: 'br1-dmz', siteId: 'br1', name: 'dmz', cidrs: ['10.20.20.0/24'] },
      { id: 'br2-lan', siteId: 'br2', name: 'lan', cidrs: ['10.30.10.0/24'] },
    ],
    nodes: [
      {
        id: 'hq-master',
        siteId: 'hq',
        name: 'hq-master',
        role: 'master',
        addresses: ['10.10.10.5'],
        selectors: [],
      },
      {
        id: 'br1-agents',
        siteId: 'br1',
        name: 'br1-agents',
        role: 'agent',
        addresses: ['10.20.10.21', '10.20.10.22'],
        selectors: [],
      },
      ...(v11
        ? [
            {
              id: 'roaming-agents',
              siteId: 'roam',
              name: 'roaming-agents',
              role: 'agent' as const,
              addresses: ['0.0.0.0/0'],
              selectors: [],
            },
          ]
        : [
            {
              id: 'br1-probe',
              siteId: 'br1',
              name: 'br1-probe',
              role: 'probe' as const,
              addresses: ['10.20.20.10'],
              selectors: [],
            },
          ]),
      {
        id: 'br2-agents',
        siteId: 'br2',
        name: 'br2-agents',
        role: 'agent',
        addresses: ['10.30.10.0/24'],
        selectors: [],
      },
      {
        id: 'analysts',
        siteId: 'roam',
        name: 'analysts',
        role: 'console',
        addresses: ['0.0.0.0/0'],
        selectors: [],
      },
    ],
    devices: [
      {
        id: 'hq-fw',
        siteId: 'hq',
        name: 'HQ firewall',
        vendor,
        interfaces: [
          { name: 'wan', external: true, zoneIds: [], publicAddresses: ['198.51.100.10'] },
          { name: 'lan', external: false, zoneIds: ['hq-servers'] },
        ],
      },
      {
        id: 'br1-fw',
        siteId: 'br1',
        name: 'Branch-1 firewall',
        vendor,
        interfaces: [
          { name: 'wan', external: true, zoneIds: [], publicAddresses: ['203.0.113.20'] },
          { name: 'lan', external: false, zoneIds: ['br1-lan'] },
          { name: 'dmz', external: false, zoneIds: ['br1-dmz'] },
        ],
      },
      {
        id: 'br2-fw',
        siteId: 'br2',
        name: 'Branch-2 firewall',
        vendor,
        interfaces: [
          { name: 'wan', external: true, zoneIds: [] },
          { name: 'lan', external: false, zoneIds: ['br2-lan'] },
        ],
      },
    ],
    publications: [
      {
        id: 'pub-master',
        nodeId: 'hq-master',
        deviceId: 'hq-fw',
        ports: [
          { protocol: 'tcp', ports: { from: 1194, to: 1194 } },
          { protocol: 'tcp', ports: { from: 443, to: 443 } },
          { protocol: 'tcp', ports: { from: 9000, to: 9001 }, externalFrom: 19000 },
          { protocol: 'tcp', ports: { from: 50051, to: 50051 } },
        ],
      },
    ],
  };
}

/**
 * A rule as the hand-written expectations state it: addresses are the entries of its objects, a FortiOS VIP
 * destination reads `vip:<external address>:<external ports>`, ports are the service's, flows sorted.
 */
export interface ExpectedInternetRule {
  ingress: string;
  egress: string;
  source: string[];
  destination: string[] | string;
  protocol: Protocol;
  ports: string;
  flowIds: string[];
  /** `<external address>:<external ports>` of the NAT entry the rule admits. */
  nat?: string;
}

export interface ExpectedNat {
  interface: string;
  protocol: Protocol;
  externalAddress: string;
  externalPorts: PortRange;
  target: string;
  targetPorts: PortRange;
  flowIds: string[];
}

export interface ExpectedInternetRuleSet {
  rules: ExpectedInternetRule[];
  nat: ExpectedNat[];
}

const P = (from: number, to = from): PortRange => ({ from, to });
const HQ_MASTER = ['10.10.10.5/32'];
const BR1_EGRESS = ['203.0.113.20/32'];
const HQ_PUBLIC = ['198.51.100.10/32'];
/**
 * By hand: 0.0.0.0/0 minus the ranges README "Internet paths" says are not on the internet (0.0.0.0/8,
 * 10.0.0.0/8, 100.64.0.0/10, 127.0.0.0/8, 169.254.0.0/16, 172.16.0.0/12, 192.0.0.0/24, 192.168.0.0/16,
 * 198.18.0.0/15, 224.0.0.0/4, 240.0.0.0/4), one line per gap between them, each gap as its aligned blocks.
 * The documentation blocks 192.0.2.0/24, 198.51.100.0/24 and 203.0.113.0/24 are inside (public).
 */
export const PUBLIC_INTERNET = [
  // 1.0.0.0 - 9.255.255.255
  ...['1.0.0.0/8', '2.0.0.0/7', '4.0.0.0/6', '8.0.0.0/7'],
  // 11.0.0.0 - 100.63.255.255
  ...['11.0.0.0/8', '12.0.0.0/6', '16.0.0.0/4', '32.0.0.0/3', '64.0.0.0/3', '96.0.0.0/6', '100.0.0.0/10'],
  // 100.128.0.0 - 126.255.255.255
  ...['100.128.0.0/9', '101.0.0.0/8', '102.0.0.0/7', '104.0.0.0/5', '112.0.0.0/5', '120.0.0.0/6'],
  ...['124.0.0.0/7', '126.0.0.0/8'],
  // 128.0.0.0 - 169.253.255.255
  ...['128.0.0.0/3', '160.0.0.0/5', '168.0.0.0/8', '169.0.0.0/9', '169.128.0.0/10', '169.192.0.0/11'],
  ...['169.224.0.0/12', '169.240.0.0/13', '169.248.0.0/14', '169.252.0.0/15'],
  // 169.255.0.0 - 172.15.255.255
  ...['169.255.0.0/16', '170.0.0.0/7', '172.0.0.0/12'],
  // 172.32.0.0 - 191.255.255.255
  ...['172.32.0.0/11', '172.64.0.0/10', '172.128.0.0/9', '173.0.0.0/8', '174.0.0.0/7', '176.0.0.0/4'],
  // 192.0.1.0 - 192.167.255.255
  ...['192.0.1.0/24', '192.0.2.0/23', '192.0.4.0/22', '192.0.8.0/21', '192.0.16.0/20', '192.0.32.0/19'],
  ...['192.0.64.0/18', '192.0.128.0/17', '192.1.0.0/16', '192.2.0.0/15', '192.4.0.0/14', '192.8.0.0/13'],
  ...['192.16.0.0/12', '192.32.0.0/11', '192.64.0.0/10', '192.128.0.0/11', '192.160.0.0/13'],
  // 192.169.0.0 - 198.17.255.255
  ...['192.169.0.0/16', '192.170.0.0/15', '192.172.0.0/14', '192.176.0.0/12', '192.192.0.0/10'],
  ...['193.0.0.0/8', '194.0.0.0/7', '196.0.0.0/7', '198.0.0.0/12', '198.16.0.0/15'],
  // 198.20.0.0 - 223.255.255.255
  ...['198.20.0.0/14', '198.24.0.0/13', '198.32.0.0/11', '198.64.0.0/10', '198.128.0.0/9', '199.0.0.0/8'],
  ...['200.0.0.0/5', '208.0.0.0/4'],
];
/** The roaming nodes' 0.0.0.0/0 on internet paths, and Branch-1's 203.0.113.20 with them. */
const ANY = PUBLIC_INTERNET;
const V9_AGENT_FLOWS = ['v9-agent-hids', 'v9-agent-hids-api', 'v9-agent-logs', 'v9-agent-manager'];
const V11_AGENT_FLOWS = ['v11-agent-log-ingestion', 'v11-agent-manager', 'v11-agent-updates'];

/**
 * By hand. pfSense and OPNsense (`filter-after-dnat`): the rule admitting a forward names the private target
 * (hq-master's object). FortiOS (`vip-in-policy`): it names the VIP; everything else is the same.
 */
export function internetExpected(
  version: InternetVersion,
  vendor: Vendor,
): Record<string, ExpectedInternetRuleSet> {
  const vip = vendor === 'fortios';
  const natDestination = (nat: string): string[] | string => (vip ? `vip:${nat}` : HQ_MASTER);
  if (version === 'utmstack-v9') {
    return {
      // Branch-1: agents → their probe inside the site; the probe's VPN to the master's public address. The
      // master → probe scanner and asset discovery travel inside that VPN: no rule.
      'br1-fw': {
        rules: [
          {
            ingress: 'dmz',
            egress: 'wan',
            source: ['10.20.20.10/32'],
            destination: HQ_PUBLIC,
            protocol: 'tcp',
            ports: '1194',
            flowIds: ['v9-probe-master-vpn'],
          },
          {
            ingress: 'lan',
            egress: 'dmz',
            source: ['10.20.10.21/32', '10.20.10.22/32'],
            destination: ['10.20.20.10/32'],
            protocol: 'tcp',
            ports: '1514-1516,5044,9000,55000',
            flowIds: V9_AGENT_FLOWS,
          },
        ],
        nat: [],
      },
      // Branch-2 over the VPN: its agents reach the master's private address.
      'br2-fw': {
        rules: [
          {
            ingress: 'lan',
            egress: 'wan',
            source: ['10.30.10.0/24'],
            destination: HQ_MASTER,
            protocol: 'tcp',
            ports: '1514-1516,5044,9000,55000',
            flowIds: V9_AGENT_FLOWS,
          },
        ],
        nat: [],
      },
      // HQ: Branch-2's agents routed; the probe VPN from Branch-1's public address and the analysts' console
      // from anywhere through the forwards of 1194 and 443 (1194 and 443 only: nothing needs 9000-9001 or 50051
      // in v9, so they are not forwarded).
      'hq-fw': {
        rules: [
          {
            ingress: 'wan',
            egress: 'lan',
            source: ['10.30.10.0/24'],
            destination: HQ_MASTER,
            protocol: 'tcp',
            ports: '1514-1516,5044,9000,55000',
            flowIds: V9_AGENT_FLOWS,
          },
          {
            ingress: 'wan',
            egress: 'lan',
            source: BR1_EGRESS,
            destination: natDestination('198.51.100.10:1194'),
            protocol: 'tcp',
            ports: '1194',
            flowIds: ['v9-probe-master-vpn'],
            nat: '198.51.100.10:1194',
          },
          {
            ingress: 'wan',
            egress: 'lan',
            source: ANY,
            destination: natDestination('198.51.100.10:443'),
            protocol: 'tcp',
            ports: '443',
            flowIds: ['v9-console-web'],
            nat: '198.51.100.10:443',
          },
        ],
        nat: [
          {
            interface: 'wan',
            protocol: 'tcp',
            externalAddress: '198.51.100.10',
            externalPorts: P(443),
            target: '10.10.10.5',
            targetPorts: P(443),
            flowIds: ['v9-console-web'],
          },
          {
            interface: 'wan',
            protocol: 'tcp',
            externalAddress: '198.51.100.10',
            externalPorts: P(1194),
            target: '10.10.10.5',
            targetPorts: P(1194),
            flowIds: ['v9-probe-master-vpn'],
          },
        ],
      },
    };
  }
  return {
    // Branch-1's agents → the master's public address on the external ports (9000-9001 published at
    // 19000-19001, 50051 as is).
    'br1-fw': {
      rules: [
        {
          ingress: 'lan',
          egress: 'wan',
          source: ['10.20.10.21/32', '10.20.10.22/32'],
          destination: HQ_PUBLIC,
          protocol: 'tcp',
          ports: '19000-19001,50051',
          flowIds: V11_AGENT_FLOWS,
        },
      ],
      nat: [],
    },
    'br2-fw': {
      rules: [
        {
          ingress: 'lan',
          egress: 'wan',
          source: ['10.30.10.0/24'],
          destination: HQ_MASTER,
          protocol: 'tcp',
          ports: '9000-9001,50051',
          flowIds: V11_AGENT_FLOWS,
        },
      ],
      nat: [],
    },
    // HQ: the forwards 443 (analysts; their 80, 22 and 9090 are not published: nothing for them), 19000-19001 →
    // 9000-9001 and 50051 (Branch-1's public address and the roaming agents' public internet: together the
    // public internet).
    'hq-fw': {
      rules: [
        {
          ingress: 'wan',
          egress: 'lan',
          source: ['10.30.10.0/24'],
          destination: HQ_MASTER,
          protocol: 'tcp',
          ports: '9000-9001,50051',
          flowIds: V11_AGENT_FLOWS,
        },
        {
          ingress: 'wan',
          egress: 'lan',
          source: ANY,
          destination: natDestination('198.51.100.10:443'),
          protocol: 'tcp',
          ports: '443',
          flowIds: ['v11-console-web'],
          nat: '198.51.100.10:443',
        },
        {
          ingress: 'wan',
          egress: 'lan',
          source: ANY,
          destination: natDestination('198.51.100.10:19000-19001'),
          protocol: 'tcp',
          ports: '9000-9001',
          flowIds: ['v11-agent-manager', 'v11-agent-updates'],
          nat: '198.51.100.10:19000-19001',
        },
        {
          ingress: 'wan',
          egress: 'lan',
          source: ANY,
          destination: natDestination('198.51.100.10:50051'),
          protocol: 'tcp',
          ports: '50051',
          flowIds: ['v11-agent-log-ingestion'],
          nat: '198.51.100.10:50051',
        },
      ],
      nat: [
        {
          interface: 'wan',
          protocol: 'tcp',
          externalAddress: '198.51.100.10',
          externalPorts: P(443),
          target: '10.10.10.5',
          targetPorts: P(443),
          flowIds: ['v11-console-web'],
        },
        {
          interface: 'wan',
          protocol: 'tcp',
          externalAddress: '198.51.100.10',
          externalPorts: P(19000, 19001),
          target: '10.10.10.5',
          targetPorts: P(9000, 9001),
          flowIds: ['v11-agent-manager', 'v11-agent-updates'],
        },
        {
          interface: 'wan',
          protocol: 'tcp',
          externalAddress: '198.51.100.10',
          externalPorts: P(50051),
          target: '10.10.10.5',
          targetPorts: P(50051),
          flowIds: ['v11-agent-log-ingestion'],
        },
      ],
    },
  };
}
