import { INTERFACE_ADDRESS, type RuleSet } from '@app/engine/model';
import { byName, splitAliasEntries } from '../core/aliases';
import { ingressRule, RuleSetProblems, ruleOrder } from '../core/desired';
import { ConnectorError } from '../core/errors';

import type {
  DesiredState,
  ManagedAddress,
  ManagedNat,
  ManagedRule,
  ManagedService,
  ManagedState,
  RuleSequence,
  UnmanagedNat,
  UnmanagedRule,
} from '../core/model';
import { cidrAddress, formatPortRange, isHostCidr, normalizePorts, parsePortRange } from '../core/net';
import { firstWord, isManaged, managedDescription, ruleDescription } from '../core/ownership';
import type { ResolvedSettings } from '../core/target';
import type {
  PfAlias,
  PfAliasBody,
  PfApplyStatus,
  PfPortForward,
  PfPortForwardBody,
  PfRule,
  PfRuleBody,
} from './api';

/** pfSense and OPNsense alias names: 1-31 chars of [A-Za-z0-9_]. */
const ALIAS_NAME = /^[A-Za-z0-9_]{1,31}$/;
/** Per-entry alias detail we write (one per address, so a PATCH never trips TOO_MANY_ALIAS_DETAILS). */
export const ALIAS_DETAIL = 'utm-orchestrator';

/** RuleSet → normalised desired state for pfSense: host/network/port aliases, rules on the ingress interface. */
export function desiredFromRuleSet(ruleSet: RuleSet, settings: ResolvedSettings): DesiredState {
  const problems = new RuleSetProblems(ruleSet, 'pfsense', settings);
  const addresses: ManagedAddress[] = ruleSet.addresses.map((obj) => {
    if (!ALIAS_NAME.test(obj.name))
      problems.add(`address object name ${obj.name} is not a valid pfSense alias name`);
    const sorted = problems.addressEntries(obj);
    const description = managedDescription(obj.description, settings.marker);
    // StringField's default maximum_length 1024 (R/Fields/StringField.inc L89-90; vendor-conformance P9).
    if (description.length > 1024)
      problems.add(`address object ${obj.name}: description longer than 1024 characters`);
    return {
      name: obj.name,
      entries: sorted,
      description,
      attributes: { type: sorted.every(isHostCidr) ? 'host' : 'network' },
    };
  });
  const services: ManagedService[] = ruleSet.services.map((svc) => {
    if (!ALIAS_NAME.test(svc.name))
      problems.add(`service object name ${svc.name} is not a valid pfSense alias name`);
    problems.servicePorts(svc);
    const description = managedDescription(svc.description, settings.marker);
    if (description.length > 1024)
      problems.add(`service object ${svc.name}: description longer than 1024 characters`);
    return {
      name: svc.name,
      // A pfSense port alias has no protocol: the protocol is on the rule.
      protocol: null,
      ports: normalizePorts(svc.ports),
      description,
      attributes: { type: 'port' },
    };
  });
  const rules: ManagedRule[] = ruleSet.rules.map((rule) => {
    const description = ruleDescription(rule.name, settings.marker);
    if (description.length > 1024) problems.add(`rule ${rule.name}: description longer than 1024 characters`);
    problems.oneWordRuleName(rule.name);
    return ingressRule(rule, description, { source_port: null });
  });
  const nat = desiredNat(ruleSet, settings, problems);
  problems.throwIfAny();
  return { addresses, services, rules, order: ruleOrder(ruleSet.rules, (rule) => rule.ingress), nat };
}

/**
 * NAT entries → port forwards. pf translates before it filters (pfsense/pfsense src/etc/inc/filter.inc: the `rdr`
 * rules are generated apart from and loaded ahead of the filter rules), so the rule admitting a forward names the
 * private target and internal port: the engine's `filter-after-dnat`, nothing to rewrite here. Forwards have no
 * name field: the managed name is the first word of `descr`, followed by the entry's text and the marker (as on
 * rules). The public side is the interface address as `<iface>:ip` (R/Fields/FilterAddressField.inc
 * validate_extra: the `:ip` modifier, since v2.0.0) or an IPv4 host; the internal range is `local_port` plus the
 * external range's offset (PortForward.inc L118-128 `local_port` is one port, filter.inc RELENG_2_7_2 L2670).
 */
function desiredNat(ruleSet: RuleSet, settings: ResolvedSettings, problems: RuleSetProblems): ManagedNat[] {
  problems.natSemantics(ruleSet, 'filter-after-dnat', 'pf filters after translation');
  return (ruleSet.nat ?? []).map((entry) => {
    problems.oneWordRuleName(entry.name);
    if (!entry.name.startsWith(settings.prefix))
      problems.add(`NAT entry ${entry.name} does not start with the prefix ${settings.prefix}`);
    const description = managedDescription(`${entry.name} ${entry.description}`, settings.marker);
    if (description.length > 1024)
      problems.add(`NAT entry ${entry.name}: description longer than 1024 characters`);
    return problems.natEntry(entry, description, NAT_ATTRIBUTES);
  });
}

/**
 * What a managed forward must also be for it to forward exactly what the plan says: no source restriction, IPv4,
 * enabled, redirecting, no linked or implicit pass rule (`associated_rule_id` "" : the connector's own rule admits
 * it). Read back so drift (someone switching a forward to `pass`) shows as a change.
 */
const NAT_ATTRIBUTES = {
  ipprotocol: 'inet',
  source: 'any',
  source_port: null,
  disabled: false,
  nordr: false,
  associated_rule_id: '',
} as const;

export function natBody(n: ManagedNat): PfPortForwardBody {
  return {
    interface: n.interface,
    ipprotocol: 'inet',
    protocol: n.protocol,
    source: 'any',
    source_port: null,
    // `wan:ip` is stored as `<destination><network>wanip</network>` (R/Fields/FilterAddressField.inc _to_internal
    // L304-320, read back as `wan:ip` by _from_internal L345-347): pf then matches whatever address the interface
    // holds (DHCP, PPPoE), which is what INTERFACE_ADDRESS means.
    destination: n.externalAddress === INTERFACE_ADDRESS ? `${n.interface}:ip` : n.externalAddress,
    // Port fields take ranges with a COLON (R/Fields/PortField.inc REPR_RANGE_CHAR L18).
    destination_port: formatPortRange(n.externalPorts, ':'),
    target: n.target,
    local_port: String(n.targetPorts.from),
    descr: n.description,
    disabled: false,
    nordr: false,
    associated_rule_id: '',
  };
}

/** Managed name of a port forward, or null when it is not ours. */
export function managedNatName(pf: PfPortForward, settings: ResolvedSettings): string | null {
  const name = firstWord(pf.descr);
  return isManaged(name, pf.descr, settings.prefix, settings.marker) ? name : null;
}

/** A live port forward, normalised; anything not expressible (aliases, `any`) lands in attributes so it differs. */
export function natToManaged(pf: PfPortForward, name: string): ManagedNat {
  const attributes: ManagedNat['attributes'] = {
    ipprotocol: pf.ipprotocol ?? 'inet',
    source: pf.source,
    source_port: pf.source_port,
    disabled: pf.disabled,
    nordr: pf.nordr,
    associated_rule_id: pf.associated_rule_id,
  };
  const ext = pf.destination_port === null ? null : parsePortRange(pf.destination_port, ':');
  if (ext === null) attributes.destination_port = pf.destination_port;
  const local = pf.local_port === null ? null : parsePortRange(pf.local_port, ':');
  if (local === null || local.from !== local.to) attributes.local_port = pf.local_port;
  if (pf.protocol !== 'tcp' && pf.protocol !== 'udp') attributes.protocol = pf.protocol;
  if (pf.natreflection !== null) attributes.natreflection = pf.natreflection;
  const externalPorts = ext ?? { from: 0, to: 0 };
  const from = local?.from ?? externalPorts.from;
  return {
    name,
    interface: pf.interface,
    protocol: pf.protocol === 'udp' ? 'udp' : 'tcp',
    externalAddress: pf.destination === `${pf.interface}:ip` ? INTERFACE_ADDRESS : pf.destination,
    externalPorts,
    target: pf.target,
    targetPorts: { from, to: from + (externalPorts.to - externalPorts.from) },
    description: pf.descr,
    attributes,
    ref: String(pf.id),
  };
}

/** Port forwards people made, reduced to what they forward (drift counts one reaching a never-exposed port). */
export function unmanagedNatFromPfSense(
  forwards: PfPortForward[],
  aliases: PfAlias[],
  settings: ResolvedSettings,
): UnmanagedNat[] {
  const portAliases = new Map(aliases.filter((a) => a.type === 'port').map((a) => [a.name, a]));
  const resolve = (field: string | null): UnmanagedNat['externalPorts'] => {
    if (field === null || field === '' || field === 'any') return null;
    const r = resolvePfPorts(field, portAliases, new Set());
    return r === null ? null : normalizePorts(r);
  };
  const out: UnmanagedNat[] = [];
  for (const pf of forwards) {
    if (managedNatName(pf, settings) !== null) continue;
    const protocols = pfProtocols(pf.protocol);
    const externalPorts = resolve(pf.destination_port);
    let targetPorts: UnmanagedNat['targetPorts'] = null;
    const local = pf.local_port === null ? null : resolve(pf.local_port);
    if (local !== null && local.length > 0) {
      // filter.inc RELENG_2_7_2 L2660-2672: local-port plus the offset into a literal destination range; with a
      // destination port alias everything goes to local-port itself.
      const start = local[0].from;
      const literal = pf.destination_port === null ? null : parsePortRange(pf.destination_port, ':');
      targetPorts = literal
        ? [{ from: start, to: start + (literal.to - literal.from) }]
        : [{ from: start, to: start }];
    }
    out.push({
      label: pf.descr,
      interface: pf.interface,
      // A `no rdr` forward translates nothing: it exposes nothing either.
      enabled: !pf.disabled && !pf.nordr,
      protocols,
      externalPorts,
      target: pf.target,
      targetPorts,
    });
  }
  return out;
}

/** Managed rule name of a pfSense rule, or null when the rule is not ours (floating rules are never ours). */
export function managedRuleName(rule: PfRule, settings: ResolvedSettings): string | null {
  const name = firstWord(rule.descr);
  if (rule.floating || rule.interface.length !== 1) return null;
  return isManaged(name, rule.descr, settings.prefix, settings.marker) ? name : null;
}

export function isManagedAlias(alias: PfAlias, settings: ResolvedSettings): boolean {
  return isManaged(alias.name, alias.descr, settings.prefix, settings.marker);
}

export interface LiveInput {
  aliases: PfAlias[];
  rules: PfRule[];
  portForwards: PfPortForward[];
  apply: PfApplyStatus;
  locallyDirty: boolean;
  readAt: string;
}

/** Live pfSense config → normalised managed state (+ foreign prefixed names, per-interface rule sequences). */
export function liveFromPfSense(input: LiveInput, settings: ResolvedSettings): ManagedState {
  const addresses: ManagedAddress[] = [];
  const services: ManagedService[] = [];
  const foreignObjects: string[] = [];
  const warnings: string[] = [];
  for (const alias of input.aliases) {
    if (!alias.name.startsWith(settings.prefix)) continue;
    if (!isManagedAlias(alias, settings)) {
      foreignObjects.push(alias.name);
      continue;
    }
    if (alias.type === 'port') services.push(aliasToService(alias));
    else addresses.push(aliasToAddress(alias));
  }

  const rules: ManagedRule[] = [];
  const foreignRules: string[] = [];
  const sequences = new Map<string, RuleSequence>();
  const ordered = [...input.rules].sort((a, b) => a.id - b.id);
  for (const rule of ordered) {
    const word = firstWord(rule.descr);
    const name = managedRuleName(rule, settings);
    if (name === null && word.startsWith(settings.prefix)) {
      foreignRules.push(word);
      if (rule.descr.includes(settings.marker)) {
        warnings.push(
          `rule "${rule.descr}" carries the marker but is floating or multi-interface: left alone`,
        );
      }
    }
    if (name !== null) rules.push(ruleToManaged(rule, name));
    if (rule.floating) continue;
    for (const iface of rule.interface) {
      const seq = sequences.get(iface) ?? { scope: iface, entries: [] };
      seq.entries.push(
        name !== null ? { managed: true, name } : { managed: false, name: null, label: rule.descr },
      );
      sequences.set(iface, seq);
    }
  }
  const nat: ManagedNat[] = [];
  const foreignNat: string[] = [];
  for (const pf of input.portForwards) {
    const name = managedNatName(pf, settings);
    if (name !== null) nat.push(natToManaged(pf, name));
    else if (firstWord(pf.descr).startsWith(settings.prefix)) foreignNat.push(firstWord(pf.descr));
  }
  const pendingServer = ourPendingSubsystems(input.apply.pending_subsystems);
  return {
    vendor: 'pfsense',
    deviceKey: settings.deviceKey,
    readAt: input.readAt,
    addresses: addresses.sort(byName),
    services: services.sort(byName),
    rules,
    sequences: [...sequences.values()].sort((a, b) => a.scope.localeCompare(b.scope)),
    nat: nat.sort(byName),
    foreign: {
      addresses: [...foreignObjects],
      services: [...foreignObjects],
      rules: [...new Set(foreignRules)],
      nat: [...new Set(foreignNat)],
    },
    pendingCommit: pendingServer.length > 0 || input.locallyDirty,
    warnings,
  };
}

function aliasToAddress(alias: PfAlias): ManagedAddress {
  const { entries, unparsed } = splitAliasEntries(alias.address);
  const attributes: ManagedAddress['attributes'] = { type: alias.type };
  if (unparsed.length > 0) attributes.unparsed = unparsed.join(' ');
  return {
    name: alias.name,
    entries,
    description: alias.descr,
    attributes,
    ref: String(alias.id),
  };
}

function aliasToService(alias: PfAlias): ManagedService {
  const ports = [];
  const unparsed: string[] = [];
  for (const entry of alias.address) {
    const p = parsePortRange(entry, ':');
    if (p === null) unparsed.push(entry);
    else ports.push(p);
  }
  const attributes: ManagedService['attributes'] = { type: 'port' };
  if (unparsed.length > 0) attributes.unparsed = unparsed.join(' ');
  return {
    name: alias.name,
    protocol: null,
    ports: normalizePorts(ports),
    description: alias.descr,
    attributes,
    ref: String(alias.id),
  };
}

function ruleToManaged(rule: PfRule, name: string): ManagedRule {
  return {
    name,
    scope: rule.interface[0],
    ingress: rule.interface[0],
    egress: null,
    family: rule.ipprotocol === 'inet' ? 4 : rule.ipprotocol === 'inet6' ? 6 : null,
    protocol: rule.protocol === 'tcp' || rule.protocol === 'udp' ? rule.protocol : null,
    source: rule.source,
    destination: rule.destination,
    service: rule.destination_port ?? '',
    action: rule.type === 'pass' ? 'allow' : 'deny',
    enabled: !rule.disabled,
    description: rule.descr,
    attributes: { source_port: rule.source_port },
    ref: rule.tracker === null ? undefined : String(rule.tracker),
  };
}

export function aliasBodyForAddress(a: ManagedAddress): PfAliasBody {
  const type = a.attributes.type === 'host' ? 'host' : 'network';
  const address = type === 'host' ? a.entries.map(cidrAddress) : a.entries;
  return { name: a.name, type, descr: a.description, address, detail: address.map(() => ALIAS_DETAIL) };
}

export function aliasBodyForService(s: ManagedService): PfAliasBody {
  // Port alias entries use a COLON for ranges (`1514:1516`).
  const address = s.ports.map((p) => formatPortRange(p, ':'));
  return {
    name: s.name,
    type: 'port',
    descr: s.description,
    address,
    detail: address.map(() => ALIAS_DETAIL),
  };
}

export function ruleBody(r: ManagedRule): PfRuleBody {
  if (r.family === null || r.protocol === null) {
    throw new ConnectorError({
      kind: 'validation',
      message: `rule ${r.name}: family and protocol are required`,
    });
  }
  return {
    type: 'pass',
    interface: [r.ingress],
    ipprotocol: r.family === 4 ? 'inet' : 'inet6',
    protocol: r.protocol,
    source: r.source,
    source_port: null,
    destination: r.destination,
    destination_port: r.service,
    descr: r.description,
    disabled: !r.enabled,
  };
}

/** Unmanaged pfSense rules with their protocols and destination ports resolved (port aliases expanded). */
export function unmanagedRulesFromPfSense(
  rules: PfRule[],
  aliases: PfAlias[],
  settings: ResolvedSettings,
): UnmanagedRule[] {
  const portAliases = new Map(aliases.filter((a) => a.type === 'port').map((a) => [a.name, a]));
  const out: UnmanagedRule[] = [];
  for (const rule of [...rules].sort((a, b) => a.id - b.id)) {
    if (managedRuleName(rule, settings) !== null) continue;
    const protocols = pfProtocols(rule.protocol);
    let ports: UnmanagedRule['ports'] = null;
    let unresolvedPorts: string | undefined;
    const field = rule.destination_port;
    if (field !== null && field !== '' && field !== 'any') {
      const resolved = resolvePfPorts(field, portAliases, new Set());
      if (resolved === null) {
        ports = [];
        unresolvedPorts = field;
      } else ports = normalizePorts(resolved);
    }
    out.push({
      scope: rule.floating ? 'floating' : (rule.interface[0] ?? ''),
      interfaces: rule.interface,
      label: rule.descr,
      action: rule.type === 'pass' ? 'allow' : 'deny',
      enabled: !rule.disabled,
      protocols,
      ports,
      source: rule.source,
      destination: rule.destination,
      ...(unresolvedPorts !== undefined ? { unresolvedPorts } : {}),
    });
  }
  return out;
}

function pfProtocols(protocol: string | null): UnmanagedRule['protocols'] {
  if (protocol === null || protocol === '' || protocol === 'any') return null;
  if (protocol === 'tcp/udp') return ['tcp', 'udp'];
  if (protocol === 'tcp' || protocol === 'udp') return [protocol];
  return [];
}

function resolvePfPorts(
  field: string,
  portAliases: Map<string, PfAlias>,
  seen: Set<string>,
): { from: number; to: number }[] | null {
  const direct = parsePortRange(field, ':');
  if (direct) return [direct];
  const alias = portAliases.get(field);
  if (!alias || seen.has(field)) return null;
  seen.add(field);
  const ranges: { from: number; to: number }[] = [];
  for (const entry of alias.address) {
    const nested = resolvePfPorts(entry, portAliases, seen);
    if (nested === null) return null;
    ranges.push(...nested);
  }
  return ranges;
}

/**
 * The pending subsystems our writes set (aliases, filter rules, port forwards: `natconf`); a reload clears them with
 * the shaper's together, after a successful reload only (filter_configure_sync()).
 */
export function ourPendingSubsystems(pending: string[]): string[] {
  return pending.filter((s) => s === 'aliases' || s === 'filter' || s === 'natconf');
}
