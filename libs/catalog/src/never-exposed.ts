/**
 * Ports that listen on a UTMStack v10/v11 master but must never be reachable from outside it
 * (reference/utmstack-flows.md §3). Used to warn when a live firewall exposes them.
 */
import type { Protocol } from '@app/engine/model';

export interface NeverExposedPort {
  protocol: Protocol;
  port: number;
  /** What listens there. */
  service: string;
  reason: string;
  /** Catalog versions it applies to. */
  versions: string[];
}

const V10_V11 = ['utmstack-v11'];

export const NEVER_EXPOSED_PORTS: readonly NeverExposedPort[] = [
  {
    protocol: 'tcp',
    port: 5432,
    service: 'PostgreSQL',
    reason:
      'UTMStack database; published only during installation, then removed. Never reachable from outside.',
    versions: V10_V11,
  },
  {
    protocol: 'tcp',
    port: 9200,
    service: 'OpenSearch',
    reason: 'Log and alert store (node1); published only during installation, then removed.',
    versions: V10_V11,
  },
  {
    protocol: 'tcp',
    port: 10001,
    service: 'frontend container',
    reason: 'Published so the host nginx can proxy it; reach the console only through 443.',
    versions: V10_V11,
  },
  {
    protocol: 'tcp',
    port: 10000,
    service: 'v10 correlation engine',
    reason: 'Internal correlation API (v10); published at install time only.',
    versions: V10_V11,
  },
  {
    protocol: 'tcp',
    port: 2377,
    service: 'Docker Swarm management',
    reason: 'Single-node swarm; cluster management must not be reachable.',
    versions: V10_V11,
  },
  {
    protocol: 'tcp',
    port: 7946,
    service: 'Docker Swarm node communication',
    reason: 'Single-node swarm; gossip must not be reachable.',
    versions: V10_V11,
  },
  {
    protocol: 'udp',
    port: 7946,
    service: 'Docker Swarm node communication',
    reason: 'Single-node swarm; gossip must not be reachable.',
    versions: V10_V11,
  },
  {
    protocol: 'udp',
    port: 4789,
    service: 'Docker Swarm overlay (VXLAN)',
    reason: 'Overlay network traffic; must not be reachable.',
    versions: V10_V11,
  },
  {
    protocol: 'tcp',
    port: 10091,
    service: 'host updater',
    reason: 'Updater API (/api/updater/v1/*) protected only by an internal key (later v11).',
    versions: V10_V11,
  },
];

/** Networks that must never be routable to or reachable from outside the master. */
export const NEVER_ROUTABLE_NETWORKS: ReadonlyArray<{ cidr: string; reason: string }> = [
  {
    cidr: '10.21.199.0/24',
    reason:
      'UTMStack internal VLAN (vlan10, master 10.21.199.3); PostgreSQL trusts the whole subnet without a password.',
  },
];
