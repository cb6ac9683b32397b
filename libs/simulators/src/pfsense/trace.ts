import { BlockList, isIP, isIPv4 } from 'node:net';
import type { SimPacket, SimVerdict } from '../core/packet-trace';
import { portNumber, type AliasRecord, type PfConfig, type RuleRecord } from './models';
import type { PortForwardRecord } from './nat';

/**
 * pf on pfSense, for one new inbound connection, from the applied config. pfsense/pfsense src/etc/inc/filter.inc
 * (RELENG_2_7_2 line numbers; the same code in 2.8 and HEAD):
 *
 * 1. Translation: the `rdr` rules made from `nat/rule` in config order (`foreach (config_get_path('nat/rule'...`
 *    L2641): disabled forwards are not written (L2644), an unresolvable target alias drops the forward (L2702),
 *    `nordr` writes `no rdr` (L2724), `associated-rule-id` `pass` writes `rdr pass`, which passes the translated
 *    packet without any filter rule (L2717). pf uses the FIRST matching translation rule (pf.conf(5),
 *    "TRANSLATION"). The target port is `local-port` plus the offset into the destination range (L2670); with a
 *    destination port alias every port goes to `local-port` (L2666). A forward without `ipprotocol` is inet (L2679).
 * 2. Filter, on the TRANSLATED destination (pf translates before filtering: a rule admitting a forward names the
 *    private target): user rules are written floating first, then interface-group rules, then interface rules
 *    (L4270-4311, rule_arr1/2/3); interface rules are always `quick` (first match), floating rules only when their
 *    `quick` is set (L3387-3389), a non-quick match is remembered and pf's last match applies at the end; the default
 *    is "Default deny rule" (L3782-3785). `inet46` rules are written once per family (L4276-4293). Rules pfSense
 *    generates itself (anti-lockout, bogons, ...) are not modelled; interface groups are not modelled.
 *
 * Source ports are not part of SimPacket: a rule or forward with a source port constraint is assumed to match.
 */
export interface InterfaceAddress {
  ip: string;
  prefix: number;
}

export interface TraceContext {
  config: PfConfig;
  skippedRules: Set<string>;
  skippedNat: Set<string>;
  interfaces: string[];
  addresses: Record<string, InterfaceAddress>;
}

export function tracePacket(packet: SimPacket, ctx: TraceContext): SimVerdict {
  let destination = packet.destination;
  let port = packet.port;
  let nat: string | undefined;
  const v4 = isIPv4(packet.source);

  for (const pf of ctx.config.nat) {
    if (pf.disabled || ctx.skippedNat.has(pf.descr)) continue;
    if (!forwardMatches(pf, packet, v4, ctx)) continue;
    if (pf.nordr) break; // `no rdr`: first match, no translation
    const target = resolveTarget(pf.target, ctx);
    if (target === null) break;
    destination = target;
    port = translatedPort(pf, packet.port, ctx);
    nat = pf.descr;
    if (pf.associated_rule_id === 'pass') {
      return { action: 'pass', destination, port, nat, rule: `rdr pass: ${pf.descr}` };
    }
    break;
  }

  const translated: SimPacket = { ...packet, destination, port };
  const floating = ctx.config.rules.filter((r) => r.floating);
  const onInterface = ctx.config.rules.filter(
    (r) => !r.floating && r.interface.length === 1 && r.interface[0] === packet.interface,
  );
  let remembered: RuleRecord | undefined;
  for (const rule of [...floating, ...onInterface]) {
    if (rule.disabled || ctx.skippedRules.has(rule.descr)) continue;
    if (rule.floating) {
      if (rule.direction === 'out') continue;
      if (!rule.interface.includes(packet.interface) && !rule.interface.includes('any')) continue;
    }
    if (!ruleMatches(rule, translated, v4, ctx)) continue;
    const quick = !rule.floating || rule.quick === true;
    if (quick) return verdict(rule, destination, port, nat);
    remembered = rule;
  }
  if (remembered) return verdict(remembered, destination, port, nat);
  return { action: 'block', destination, port, ...(nat !== undefined ? { nat } : {}) };
}

function verdict(rule: RuleRecord, destination: string, port: number, nat: string | undefined): SimVerdict {
  return {
    action: rule.type === 'pass' ? 'pass' : 'block',
    destination,
    port,
    rule: rule.descr,
    ...(nat !== undefined ? { nat } : {}),
  };
}

function familyMatches(ipprotocol: string | null, v4: boolean): boolean {
  if (ipprotocol === 'inet46') return true;
  if (ipprotocol === 'inet6') return !v4;
  return v4; // inet, or no field (v2.0.x forwards): filter.inc RELENG_2_7_2 L2678-2682
}

function protocolMatches(protocol: string | null, wanted: 'tcp' | 'udp'): boolean {
  if (protocol === null || protocol === 'any') return true;
  if (protocol === 'tcp/udp') return true;
  return protocol === wanted;
}

function forwardMatches(pf: PortForwardRecord, packet: SimPacket, v4: boolean, ctx: TraceContext): boolean {
  return (
    pf.interface === packet.interface &&
    familyMatches(pf.ipprotocol, v4) &&
    protocolMatches(pf.protocol, packet.protocol) &&
    addressMatches(pf.source, packet.source, ctx) &&
    addressMatches(pf.destination, packet.destination, ctx) &&
    portMatches(pf.destination_port, packet.port, ctx)
  );
}

function ruleMatches(rule: RuleRecord, packet: SimPacket, v4: boolean, ctx: TraceContext): boolean {
  return (
    familyMatches(rule.ipprotocol, v4) &&
    protocolMatches(rule.protocol, packet.protocol) &&
    addressMatches(rule.source, packet.source, ctx) &&
    addressMatches(rule.destination, packet.destination, ctx) &&
    portMatches(rule.destination_port, packet.port, ctx)
  );
}

function resolveTarget(target: string, ctx: TraceContext): string | null {
  if (isIP(target) !== 0) return target;
  if (target.endsWith(':ip')) return ctx.addresses[target.slice(0, -3)]?.ip ?? null;
  // An alias target becomes a pf table/pool (round robin); the first host stands for it here.
  const alias = findAlias(ctx, target);
  const first = alias?.address.find((a) => isIP(a) !== 0);
  return first ?? null;
}

function translatedPort(pf: PortForwardRecord, port: number, ctx: TraceContext): number {
  if (pf.local_port === null) return port;
  const local = portNumber(pf.local_port) ?? firstAliasPort(pf.local_port, ctx);
  if (local === null) return port;
  const range = pf.destination_port === null ? null : parseRange(pf.destination_port);
  if (range === null) return local;
  return local + (port - range.from);
}

function parseRange(value: string): { from: number; to: number } | null {
  const [a, b] = value.split(':');
  const from = portNumber(a);
  const to = b === undefined ? from : portNumber(b);
  return from === null || to === null ? null : { from, to };
}

function firstAliasPort(name: string, ctx: TraceContext): number | null {
  const alias = findAlias(ctx, name);
  const first = alias?.type === 'port' ? alias.address[0] : undefined;
  return first === undefined ? null : (parseRange(first)?.from ?? null);
}

function findAlias(ctx: TraceContext, name: string): AliasRecord | undefined {
  return ctx.config.aliases.find((a) => a.name === name);
}

function portMatches(
  spec: string | null,
  port: number,
  ctx: TraceContext,
  seen = new Set<string>(),
): boolean {
  if (spec === null || spec === '' || spec === 'any') return true;
  const range = parseRange(spec);
  if (range !== null) return range.from <= port && port <= range.to;
  const alias = findAlias(ctx, spec);
  if (!alias || alias.type !== 'port' || seen.has(spec)) return false;
  seen.add(spec);
  return alias.address.some((entry) => portMatches(entry, port, ctx, seen));
}

function inSubnet(ip: string, network: string, prefix: number): boolean {
  const family = isIPv4(network) ? 'ipv4' : 'ipv6';
  if ((isIPv4(ip) ? 'ipv4' : 'ipv6') !== family) return false;
  const list = new BlockList();
  list.addSubnet(network, prefix, family);
  return list.check(ip, family);
}

function addressMatches(spec: string, ip: string, ctx: TraceContext, seen = new Set<string>()): boolean {
  if (spec.startsWith('!')) return !addressMatches(spec.slice(1), ip, ctx, seen);
  if (spec === 'any') return true;
  if (isIP(spec) !== 0) return spec === ip;
  if (spec.includes('/')) {
    const [net, bits] = spec.split('/');
    return isIP(net) !== 0 && inSubnet(ip, net, Number(bits));
  }
  if (spec === '(self)') return Object.values(ctx.addresses).some((a) => a.ip === ip);
  if (spec.endsWith(':ip')) return ctx.addresses[spec.slice(0, -3)]?.ip === ip;
  if (ctx.interfaces.includes(spec)) {
    const a = ctx.addresses[spec];
    return a !== undefined && inSubnet(ip, a.ip, a.prefix);
  }
  const alias = findAlias(ctx, spec);
  if (!alias || alias.type === 'port' || seen.has(spec)) return false;
  seen.add(spec);
  return alias.address.some((entry) => addressMatches(entry, ip, ctx, seen));
}
