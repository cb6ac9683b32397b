import type { NatEntry, NatSemantics, Rule, RuleSet } from '@app/engine/model';
import { address, hashOf, hqRuleSet, rule, service } from './rule-sets';

/**
 * Hand-built FortiOS rule sets with NAT entries (the engine side is written in parallel): the HQ fixture on
 * FortiOS ports (lan = port2, opt1 = port3) plus the master published on the WAN (port1):
 * - `utm_nat_master_vpn`: 198.51.100.10:<externalPort>/tcp → 10.10.0.5:1194, admitted by `utm_r_wan_master_vpn`;
 * - `utm_nat_master_syslog` (optional): the interface's own address :10514/udp → 10.10.0.5:514.
 * The admitting policies name the VIP as destination and the MAPPED port as service (`vip-in-policy`).
 */
export interface FortiNatOptions {
  /** External port of the VPN forward (default 1194). */
  externalPort?: number;
  /** Include the syslog forward on the interface address (default true). */
  syslog?: boolean;
  /** Leave every NAT entry and its rule out (default false). */
  withoutNat?: boolean;
  natSemantics?: NatSemantics;
}

export const WAN = 'port1';
export const PUBLIC_IP = '198.51.100.10';
export const WAN_IP = '192.0.2.1';
export const MASTER_IP = '10.10.0.5';

const PORTS: Record<string, string> = { lan: 'port2', opt1: 'port3', opt2: 'port4' };

function natEntry(
  name: string,
  order: number,
  over: Pick<NatEntry, 'protocol' | 'externalAddress' | 'externalPorts' | 'targetPorts'>,
): NatEntry {
  return {
    name,
    order,
    interface: WAN,
    target: MASTER_IP,
    publicationId: 'pub-master',
    nodeId: 'n-master',
    flowIds: [`flow-${name}`],
    description: `publish master hq-master at ${over.externalAddress}:${over.externalPorts.from}/${over.protocol}`,
    ...over,
  };
}

export function fortiNatRuleSet(options: FortiNatOptions = {}): RuleSet {
  const hq = hqRuleSet({ vendor: 'fortios', syslog: false, consoles: false });
  const rules: Rule[] = hq.rules.map((r) => ({ ...r, ingress: PORTS[r.ingress], egress: PORTS[r.egress] }));
  const addresses = [...hq.addresses];
  const services = [...hq.services];
  const nat: NatEntry[] = [];
  if (!options.withoutNat) {
    const port = options.externalPort ?? 1194;
    addresses.push(address('utm_internet', ['0.0.0.0/0'], 'the internet'));
    services.push(service('utm_svc_openvpn', 'tcp', [1194], 'probe VPN'));
    nat.push(
      natEntry('utm_nat_master_vpn', 0, {
        protocol: 'tcp',
        externalAddress: PUBLIC_IP,
        externalPorts: { from: port, to: port },
        targetPorts: { from: 1194, to: 1194 },
      }),
    );
    rules.push({
      ...rule('utm_r_wan_master_vpn', 1, {
        ingress: WAN,
        egress: 'port3',
        source: 'utm_internet',
        destination: 'utm_nat_master_vpn',
        service: 'utm_svc_openvpn',
      }),
      nat: 'utm_nat_master_vpn',
    });
    if (options.syslog !== false) {
      services.push(service('utm_svc_syslog_udp', 'udp', [514], 'syslog'));
      nat.push(
        natEntry('utm_nat_master_syslog', 1, {
          protocol: 'udp',
          externalAddress: 'interface',
          externalPorts: { from: 10514, to: 10514 },
          targetPorts: { from: 514, to: 514 },
        }),
      );
      rules.push({
        ...rule('utm_r_wan_master_syslog', 2, {
          ingress: WAN,
          egress: 'port3',
          source: 'utm_internet',
          destination: 'utm_nat_master_syslog',
          service: 'utm_svc_syslog_udp',
          protocol: 'udp',
        }),
        nat: 'utm_nat_master_syslog',
      });
    }
  }
  const body = {
    deviceId: hq.deviceId,
    deviceName: hq.deviceName,
    vendor: 'fortios' as const,
    prefix: hq.prefix,
    addresses,
    services,
    rules,
    ...(nat.length > 0 ? { nat, natSemantics: options.natSemantics ?? ('vip-in-policy' as const) } : {}),
  };
  return { ...body, hash: hashOf(body) };
}
