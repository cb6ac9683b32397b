/**
 * `utmstack-v11`: what UTMStack v10.7 to v11.x actually listens on (reference/utmstack-flows.md §2, §7, §9).
 *
 * - Agents (including collector agents) talk to the master only: 9000/tcp agent manager (gRPC over TLS,
 *   also the command stream), 50051/tcp log ingestion, 9001/tcp dependency and update downloads.
 * - Agentless sources send to their collector (a UTMStack agent acting as collector; by default the
 *   engine resolves it to the site's probe, else the master, i.e. the agent running on the master host;
 *   set the node's collectorId to point at a collector agent). One port per integration, TCP and UDP,
 *   each flow carrying the integration's selector:
 *
 *   | selector        | port | integration                  |
 *   |-----------------|------|------------------------------|
 *   | vmware-esxi     | 7002 | VMware ESXi                  |
 *   | eset            | 7003 | ESET                         |
 *   | kaspersky       | 7004 | Kaspersky                    |
 *   | fortigate       | 7005 | FortiGate                    |
 *   | paloalto        | 7006 | Palo Alto                    |
 *   | mikrotik        | 7007 | MikroTik                     |
 *   | sophos-xg       | 7008 | Sophos XG                    |
 *   | sonicwall       | 7009 | SonicWall                    |
 *   | deceptive-bytes | 7010 | Deceptive Bytes              |
 *   | sentinelone     | 7012 | SentinelOne                  |
 *   | generic-syslog  | 7014 | generic syslog (and Oracle)  |
 *   | macos           | 7015 | macOS (v11 only)             |
 *   | ibm-aix         | 7016 | IBM AIX                      |
 *   | pfsense         | 7017 | pfSense                      |
 *   | fortiweb        | 7018 | FortiWeb                     |
 *   | cisco           | 514/udp, 1470/tcp | Cisco ASA, Meraki, Firepower, switches (fixed ports) |
 *   | netflow         | 2055/udp | NetFlow v1/v5/v6/v7/v9 and IPFIX (fixed port) |
 *   | http            | 8080/tcp to the master | HTTP log ingestion (`/v1/log(s)`, GitHub webhook) |
 *
 *   7011 and 7013 are not assigned. A node with no selectors gets every selector's flows (engine rule).
 * - Consoles reach the master on 443/tcp (web console and API) and 80/tcp (redirect to HTTPS). Admin access
 *   (22/tcp SSH, 9090/tcp Cockpit) carries the selector `admin`: console nodes with no selectors get it,
 *   console nodes that list selectors get it only when they list `admin`.
 * Left out on purpose: the Bitdefender GravityZone push (8000/tcp from fixed Bitdefender cloud addresses,
 * not a node role), outbound internet access of the master (§4) and the federation service (§2 rows 17-18).
 */
import type { CatalogFlow, PortRange } from '@app/engine/model';
import { PROTOCOLS } from '@app/engine/model';

export const UTMSTACK_V11 = 'utmstack-v11';

const p = (from: number, to = from): PortRange => ({ from, to });

/** Integration selectors of the v11 agent collector and their syslog port (TCP and UDP). */
export const UTMSTACK_V11_INTEGRATIONS: ReadonlyArray<{ selector: string; port: number; name: string }> = [
  { selector: 'vmware-esxi', port: 7002, name: 'VMware ESXi' },
  { selector: 'eset', port: 7003, name: 'ESET' },
  { selector: 'kaspersky', port: 7004, name: 'Kaspersky' },
  { selector: 'fortigate', port: 7005, name: 'FortiGate' },
  { selector: 'paloalto', port: 7006, name: 'Palo Alto' },
  { selector: 'mikrotik', port: 7007, name: 'MikroTik' },
  { selector: 'sophos-xg', port: 7008, name: 'Sophos XG' },
  { selector: 'sonicwall', port: 7009, name: 'SonicWall' },
  { selector: 'deceptive-bytes', port: 7010, name: 'Deceptive Bytes' },
  { selector: 'sentinelone', port: 7012, name: 'SentinelOne' },
  { selector: 'generic-syslog', port: 7014, name: 'generic syslog' },
  { selector: 'macos', port: 7015, name: 'macOS' },
  { selector: 'ibm-aix', port: 7016, name: 'IBM AIX' },
  { selector: 'pfsense', port: 7017, name: 'pfSense' },
  { selector: 'fortiweb', port: 7018, name: 'FortiWeb' },
];

const integrationFlows: CatalogFlow[] = UTMSTACK_V11_INTEGRATIONS.flatMap((integration) =>
  PROTOCOLS.map((protocol): CatalogFlow => ({
    id: `v11-agentless-${integration.selector}-${protocol}`,
    version: UTMSTACK_V11,
    from: 'agentless',
    to: 'collector',
    protocol,
    ports: [p(integration.port)],
    purpose: `${integration.name} syslog`,
    selector: integration.selector,
  })),
);

export const UTMSTACK_V11_FLOWS: readonly CatalogFlow[] = [
  {
    id: 'v11-agent-manager',
    version: UTMSTACK_V11,
    from: 'agent',
    to: 'master',
    protocol: 'tcp',
    ports: [p(9000)],
    purpose: 'agent manager (gRPC over TLS)',
  },
  {
    id: 'v11-agent-log-ingestion',
    version: UTMSTACK_V11,
    from: 'agent',
    to: 'master',
    protocol: 'tcp',
    ports: [p(50051)],
    purpose: 'log ingestion (gRPC over TLS)',
  },
  {
    id: 'v11-agent-updates',
    version: UTMSTACK_V11,
    from: 'agent',
    to: 'master',
    protocol: 'tcp',
    ports: [p(9001)],
    purpose: 'agent dependencies and updates (HTTPS)',
  },
  ...integrationFlows,
  {
    id: 'v11-agentless-cisco-udp',
    version: UTMSTACK_V11,
    from: 'agentless',
    to: 'collector',
    protocol: 'udp',
    ports: [p(514)],
    purpose: 'Cisco syslog',
    selector: 'cisco',
  },
  {
    id: 'v11-agentless-cisco-tcp',
    version: UTMSTACK_V11,
    from: 'agentless',
    to: 'collector',
    protocol: 'tcp',
    ports: [p(1470)],
    purpose: 'Cisco syslog',
    selector: 'cisco',
  },
  {
    id: 'v11-agentless-netflow',
    version: UTMSTACK_V11,
    from: 'agentless',
    to: 'collector',
    protocol: 'udp',
    ports: [p(2055)],
    purpose: 'NetFlow/IPFIX',
    selector: 'netflow',
  },
  {
    id: 'v11-agentless-http',
    version: UTMSTACK_V11,
    from: 'agentless',
    to: 'master',
    protocol: 'tcp',
    ports: [p(8080)],
    purpose: 'HTTP log ingestion (HTTPS)',
    selector: 'http',
  },
  {
    id: 'v11-console-web',
    version: UTMSTACK_V11,
    from: 'console',
    to: 'master',
    protocol: 'tcp',
    ports: [p(443)],
    purpose: 'web console and API (HTTPS)',
  },
  {
    id: 'v11-console-web-redirect',
    version: UTMSTACK_V11,
    from: 'console',
    to: 'master',
    protocol: 'tcp',
    ports: [p(80)],
    purpose: 'web console redirect to HTTPS',
  },
  {
    id: 'v11-console-ssh',
    version: UTMSTACK_V11,
    from: 'console',
    to: 'master',
    protocol: 'tcp',
    ports: [p(22)],
    purpose: 'SSH administration',
    selector: 'admin',
  },
  {
    id: 'v11-console-cockpit',
    version: UTMSTACK_V11,
    from: 'console',
    to: 'master',
    protocol: 'tcp',
    ports: [p(9090)],
    purpose: 'Cockpit administration (HTTPS)',
    selector: 'admin',
  },
];
