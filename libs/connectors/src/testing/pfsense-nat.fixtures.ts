import type { NatEntry, Rule, RuleSet } from '@app/engine/model';
import { address, hashOf, hqRuleSet, rule, service } from './rule-sets';

/**
 * Hand-built rule sets with destination NAT for pfSense (`filter-after-dnat`: the rule admitting a forward names
 * the PRIVATE target object and the internal port). The engine side is built separately; these only need to be
 * valid rule sets of the shape the engine contract (libs/engine/src/model.ts NatEntry, Rule.nat) describes.
 *
 * The HQ master (10.10.0.5 on opt1) is published on wan:
 *  - `utm_nat_hq_master_vpn`: the interface's own address, 1194/tcp → 10.10.0.5:1194;
 *  - `utm_nat_hq_master_web` (unless `console: false`): 203.0.113.10:`consoleExternal` (default 8443)/tcp →
 *    10.10.0.5:443.
 */
export interface PfNatOptions {
  console?: boolean;
  consoleExternal?: number;
  deviceId?: string;
}

export const PUBLIC_VIP = '203.0.113.10';
export const MASTER = '10.10.0.5';

function natEntry(
  name: string,
  order: number,
  externalAddress: string,
  external: number,
  internal: number,
  description: string,
): NatEntry {
  return {
    name,
    order,
    interface: 'wan',
    protocol: 'tcp',
    externalAddress,
    externalPorts: { from: external, to: external },
    target: MASTER,
    targetPorts: { from: internal, to: internal },
    publicationId: 'pub-hq-master',
    nodeId: 'n-hq-master',
    flowIds: [`flow-${name}`],
    description,
  };
}

export function pfSenseNatRuleSet(options: PfNatOptions = {}): RuleSet {
  const hq = hqRuleSet({ deviceId: options.deviceId, syslog: false, consoles: false });
  const addresses = [...hq.addresses, address('utm_internet', ['0.0.0.0/0'], 'the internet')];
  const services = [
    ...hq.services,
    service('utm_svc_vpn_tcp', 'tcp', [1194], 'probe VPN'),
    service('utm_svc_https', 'tcp', [443], 'web console'),
  ];
  const nat: NatEntry[] = [
    natEntry(
      'utm_nat_hq_master_vpn',
      0,
      'interface',
      1194,
      1194,
      'publish master hq-master at wan:1194/tcp → 10.10.0.5:1194',
    ),
  ];
  const admit = (name: string, order: number, svc: string, natName: string): Rule => ({
    ...rule(name, order, {
      ingress: 'wan',
      egress: 'opt1',
      source: 'utm_internet',
      destination: 'utm_hq_master',
      service: svc,
    }),
    nat: natName,
  });
  const rules: Rule[] = [...hq.rules, admit('utm_r_wan_pub_master_vpn', 0, 'utm_svc_vpn_tcp', nat[0].name)];
  if (options.console !== false) {
    const external = options.consoleExternal ?? 8443;
    nat.push(
      natEntry(
        'utm_nat_hq_master_web',
        1,
        PUBLIC_VIP,
        external,
        443,
        `publish master hq-master at ${PUBLIC_VIP}:${external}/tcp → 10.10.0.5:443`,
      ),
    );
    rules.push(admit('utm_r_wan_pub_master_web', 1, 'utm_svc_https', nat[1].name));
  }
  const body = {
    deviceId: hq.deviceId,
    deviceName: hq.deviceName,
    vendor: hq.vendor,
    prefix: hq.prefix,
    addresses,
    services,
    rules,
    nat,
    natSemantics: 'filter-after-dnat' as const,
  };
  return { ...body, hash: hashOf(body) };
}
