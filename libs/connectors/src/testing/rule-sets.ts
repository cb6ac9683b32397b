import { createHash } from 'node:crypto';
import type { AddressObject, Protocol, Rule, RuleSet, ServiceObject, Vendor } from '@app/engine/model';

/**
 * Hand-built RuleSet fixtures for connector tests (the engine is tested on its own; connectors only need valid rule
 * sets). Shared by all vendors: pass `vendor` to get the same desired state for FortiOS or OPNsense.
 */

export function hashOf(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex');
}

export function address(name: string, entries: string[], description = name): AddressObject {
  return { name, family: entries.every((e) => !e.includes(':')) ? 4 : 6, entries, description };
}

export function service(
  name: string,
  protocol: Protocol,
  ports: Array<number | [number, number]>,
  description = name,
): ServiceObject {
  return {
    name,
    protocol,
    ports: ports.map((p) => (Array.isArray(p) ? { from: p[0], to: p[1] } : { from: p, to: p })),
    description,
  };
}

export function rule(
  name: string,
  order: number,
  opts: {
    ingress: string;
    egress: string;
    source: string;
    destination: string;
    service: string;
    protocol?: Protocol;
    family?: 4 | 6;
  },
): Rule {
  return {
    name,
    order,
    ingress: opts.ingress,
    egress: opts.egress,
    family: opts.family ?? 4,
    source: opts.source,
    destination: opts.destination,
    service: opts.service,
    protocol: opts.protocol ?? 'tcp',
    flowIds: [`flow-${name}`],
    sourceNodeIds: ['n-src'],
    destinationNodeIds: ['n-dst'],
    explanations: [],
  };
}

export interface RuleSetParts {
  deviceId?: string;
  vendor?: Vendor;
  prefix?: string;
  addresses: AddressObject[];
  services: ServiceObject[];
  rules: Rule[];
}

export function ruleSet(parts: RuleSetParts): RuleSet {
  const body = {
    deviceId: parts.deviceId ?? 'fw-hq',
    deviceName: 'HQ firewall',
    vendor: parts.vendor ?? 'pfsense',
    prefix: parts.prefix ?? 'utm_',
    addresses: parts.addresses,
    services: parts.services,
    rules: parts.rules,
  };
  return { ...body, hash: hashOf(body) };
}

export interface HqOptions {
  deviceId?: string;
  vendor?: Vendor;
  /** Agent addresses (IPs or CIDRs). */
  agents?: string[];
  /** Include the console → master HTTPS rule (default true). */
  consoles?: boolean;
  /** Include the agentless syslog/udp rule (default true). */
  syslog?: boolean;
  /** Include an IPv6 agents → master rule. */
  ipv6?: boolean;
}

/**
 * A small HQ deployment: master on opt1, agents and agentless sources on lan, consoles on opt2.
 * Rules: agents → master (9000, 50051, 1514-1516/tcp), agentless → master (514/udp), consoles → master (443/tcp).
 */
export function hqRuleSet(options: HqOptions = {}): RuleSet {
  const agents = options.agents ?? ['10.20.0.0/24'];
  const addresses = [
    address('utm_hq_master', ['10.10.0.5/32'], 'master hq-master'),
    address('utm_hq_agents', agents, 'agents of HQ'),
  ];
  const services = [
    service('utm_svc_agent_tcp', 'tcp', [9000, 50051, [1514, 1516]], 'agent manager, logs, HIDS'),
  ];
  const rules: Rule[] = [
    rule('utm_r_lan_agents_master', 0, {
      ingress: 'lan',
      egress: 'opt1',
      source: 'utm_hq_agents',
      destination: 'utm_hq_master',
      service: 'utm_svc_agent_tcp',
    }),
  ];
  if (options.syslog !== false) {
    addresses.push(address('utm_hq_agentless', ['10.40.0.0/24', '10.40.1.7/32'], 'agentless sources of HQ'));
    services.push(service('utm_svc_syslog_udp', 'udp', [514], 'syslog'));
    rules.push(
      rule('utm_r_lan_agentless_master', 1, {
        ingress: 'lan',
        egress: 'opt1',
        source: 'utm_hq_agentless',
        destination: 'utm_hq_master',
        service: 'utm_svc_syslog_udp',
        protocol: 'udp',
      }),
    );
  }
  if (options.consoles !== false) {
    addresses.push(address('utm_hq_consoles', ['10.30.0.0/24'], 'consoles of HQ'));
    services.push(service('utm_svc_https', 'tcp', [443], 'web console'));
    rules.push(
      rule('utm_r_opt2_consoles_master', 0, {
        ingress: 'opt2',
        egress: 'opt1',
        source: 'utm_hq_consoles',
        destination: 'utm_hq_master',
        service: 'utm_svc_https',
      }),
    );
  }
  if (options.ipv6) {
    addresses.push(address('utm_hq_master6', ['fd00:10::5/128'], 'master hq-master (IPv6)'));
    addresses.push(address('utm_hq_agents6', ['fd00:20::/64'], 'agents of HQ (IPv6)'));
    rules.push(
      rule('utm_r_lan_agents_master6', 2, {
        ingress: 'lan',
        egress: 'opt1',
        source: 'utm_hq_agents6',
        destination: 'utm_hq_master6',
        service: 'utm_svc_agent_tcp',
        family: 6,
      }),
    );
  }
  return ruleSet({ deviceId: options.deviceId, vendor: options.vendor, addresses, services, rules });
}

/** The rule set of a device with no UTMStack nodes left: nothing managed should remain. */
export function emptyRuleSet(options: { deviceId?: string; vendor?: Vendor } = {}): RuleSet {
  return ruleSet({ ...options, addresses: [], services: [], rules: [] });
}
