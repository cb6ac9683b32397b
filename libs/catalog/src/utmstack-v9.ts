/**
 * `utmstack-v9`: UTMStack's v9 "Firewall Rules" page, row by row (installer README, 2022-07 to 2023-06;
 * see reference/utmstack-flows.md §1 and §6). A row with several protocols becomes one flow per protocol.
 * `collector` is the source node's collector: its probe, else the master (resolved per node by the engine).
 */
import type { CatalogFlow } from '@app/engine/model';

export const UTMSTACK_V9 = 'utmstack-v9';

const p = (from: number, to = from) => ({ from, to });

export const UTMSTACK_V9_FLOWS: readonly CatalogFlow[] = [
  {
    id: 'v9-probe-master-vpn',
    version: UTMSTACK_V9,
    from: 'probe',
    to: 'master',
    protocol: 'tcp',
    ports: [p(1194)],
    purpose: 'probe/proxy VPN to the master over the internet',
  },
  {
    id: 'v9-master-probe-vuln-scanner',
    version: UTMSTACK_V9,
    from: 'master',
    to: 'probe',
    protocol: 'tcp',
    ports: [p(9390), p(8888)],
    purpose: 'vulnerability scanner',
    // The seed row of 1194/tcp says the probe reaches the master "over the internet using VPN"; the master's
    // connections to the probe then run inside that tunnel (reference/utmstack-flows.md, rows L5-L6: "master (through VPN) → probe").
    carriedBy: 'v9-probe-master-vpn',
  },
  {
    id: 'v9-master-probe-asset-discovery',
    version: UTMSTACK_V9,
    from: 'master',
    to: 'probe',
    protocol: 'tcp',
    ports: [p(5000), p(8000)],
    purpose: 'asset discovery',
    // The seed row of 1194/tcp says the probe reaches the master "over the internet using VPN"; the master's
    // connections to the probe then run inside that tunnel (reference/utmstack-flows.md, rows L5-L6: "master (through VPN) → probe").
    carriedBy: 'v9-probe-master-vpn',
  },
  {
    id: 'v9-agentless-netflow',
    version: UTMSTACK_V9,
    from: 'agentless',
    to: 'collector',
    protocol: 'udp',
    ports: [p(2055)],
    purpose: 'NetFlow',
    selector: 'netflow',
  },
  {
    id: 'v9-agentless-syslog-udp',
    version: UTMSTACK_V9,
    from: 'agentless',
    to: 'collector',
    protocol: 'udp',
    ports: [p(514)],
    purpose: 'syslog',
    selector: 'syslog',
  },
  {
    id: 'v9-agentless-syslog-tcp',
    version: UTMSTACK_V9,
    from: 'agentless',
    to: 'collector',
    protocol: 'tcp',
    ports: [p(514), p(1470), p(2056)],
    purpose: 'syslog',
    selector: 'syslog',
  },
  {
    id: 'v9-agentless-http',
    version: UTMSTACK_V9,
    from: 'agentless',
    to: 'collector',
    protocol: 'tcp',
    ports: [p(8089)],
    purpose: 'logs over HTTP POST',
    selector: 'http',
  },
  {
    id: 'v9-agent-logs',
    version: UTMSTACK_V9,
    from: 'agent',
    to: 'collector',
    protocol: 'tcp',
    ports: [p(5044)],
    purpose: 'logs',
  },
  {
    id: 'v9-agent-hids',
    version: UTMSTACK_V9,
    from: 'agent',
    to: 'collector',
    protocol: 'tcp',
    ports: [p(1514, 1516)],
    purpose: 'HIDS agent communication',
  },
  {
    id: 'v9-agent-hids-api',
    version: UTMSTACK_V9,
    from: 'agent',
    to: 'collector',
    protocol: 'tcp',
    ports: [p(55000)],
    purpose: 'HIDS management API',
  },
  {
    id: 'v9-agent-manager',
    version: UTMSTACK_V9,
    from: 'agent',
    to: 'collector',
    protocol: 'tcp',
    ports: [p(9000)],
    purpose: 'agent manager',
  },
  {
    id: 'v9-console-web',
    version: UTMSTACK_V9,
    from: 'console',
    to: 'master',
    protocol: 'tcp',
    ports: [p(443)],
    purpose: 'web console',
  },
];
