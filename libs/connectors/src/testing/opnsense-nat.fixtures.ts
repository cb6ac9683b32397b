import type { NatEntry, Rule, RuleSet } from '@app/engine/model';
import { address, hashOf, hqRuleSet, rule, service } from './rule-sets';

/**
 * Hand-built OPNsense rule sets with destination NAT (the engine side is written separately): the HQ rule set of
 * rule-sets.ts plus publications of the master (10.10.0.5 on opt1) on `wan`, with `filter-after-dnat` semantics —
 * each admitting rule is on `wan`, names the PRIVATE target object and the INTERNAL port.
 */

export interface OpnNatOptions {
  /** Public port of the VPN forward (internal 1194/tcp); default 1194. */
  vpnPort?: number;
  /** Include the log forward 203.0.113.10:51514-51516 → 10.10.0.5:1514-1516/tcp (default true). */
  logs?: boolean;
  /** Include the VPN forward (default true). */
  vpn?: boolean;
  /** Source allowed to use the forwards (default the remote sites 198.51.100.0/24). */
  remote?: string[];
}

export const NAT_VPN = 'utm_nat_wan_master_vpn';
export const NAT_LOGS = 'utm_nat_wan_master_logs';
export const RULE_VPN = 'utm_r_wan_remote_master_vpn';
export const RULE_LOGS = 'utm_r_wan_remote_master_logs';

function natEntry(
  entry: Omit<NatEntry, 'publicationId' | 'nodeId' | 'flowIds' | 'order'>,
  order: number,
): NatEntry {
  return {
    ...entry,
    order,
    publicationId: 'pub-hq-master',
    nodeId: 'hq-master',
    flowIds: [`flow-${entry.name}`],
  };
}

export function opnNatRuleSet(options: OpnNatOptions = {}): RuleSet {
  const base = hqRuleSet({ vendor: 'opnsense' });
  const vpnPort = options.vpnPort ?? 1194;
  const addresses = [
    ...base.addresses,
    address('utm_remote_sites', options.remote ?? ['198.51.100.0/24'], 'remote sites'),
  ];
  const services = [...base.services];
  const rules: Rule[] = [...base.rules];
  const nat: NatEntry[] = [];
  const admit = (name: string, svc: string, entry: string, order: number): Rule => ({
    ...rule(name, order, {
      ingress: 'wan',
      egress: 'opt1',
      source: 'utm_remote_sites',
      destination: 'utm_hq_master',
      service: svc,
    }),
    nat: entry,
  });
  if (options.vpn !== false) {
    services.push(service('utm_svc_vpn_tcp', 'tcp', [1194], 'probe VPN'));
    nat.push(
      natEntry(
        {
          name: NAT_VPN,
          interface: 'wan',
          protocol: 'tcp',
          externalAddress: 'interface',
          externalPorts: { from: vpnPort, to: vpnPort },
          target: '10.10.0.5',
          targetPorts: { from: 1194, to: 1194 },
          description: `publish master hq-master at wan:${vpnPort}/tcp → 10.10.0.5:1194`,
        },
        nat.length,
      ),
    );
    rules.push(admit(RULE_VPN, 'utm_svc_vpn_tcp', NAT_VPN, 0));
  }
  if (options.logs !== false) {
    services.push(service('utm_svc_logs_tcp', 'tcp', [[1514, 1516]], 'logs'));
    nat.push(
      natEntry(
        {
          name: NAT_LOGS,
          interface: 'wan',
          protocol: 'tcp',
          externalAddress: '203.0.113.10',
          externalPorts: { from: 51514, to: 51516 },
          target: '10.10.0.5',
          targetPorts: { from: 1514, to: 1516 },
          description: 'publish master hq-master at 203.0.113.10:51514-51516/tcp → 10.10.0.5:1514-1516',
        },
        nat.length,
      ),
    );
    rules.push(admit(RULE_LOGS, 'utm_svc_logs_tcp', NAT_LOGS, 1));
  }
  const body = {
    deviceId: base.deviceId,
    deviceName: base.deviceName,
    vendor: base.vendor,
    prefix: base.prefix,
    addresses,
    services,
    rules,
    ...(nat.length > 0 ? { nat, natSemantics: 'filter-after-dnat' as const } : {}),
  };
  return { ...body, hash: hashOf(body) };
}
