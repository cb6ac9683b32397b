import type { RuleSet } from '@app/engine/model';
import { byName, splitAliasEntries } from '../core/aliases';
import { ingressRule, RuleSetProblems, ruleOrder } from '../core/desired';
import { ConnectorError } from '../core/errors';

import type {
  DesiredState,
  ManagedAddress,
  ManagedRule,
  ManagedService,
  ManagedState,
  RuleSequence,
  UnmanagedRule,
} from '../core/model';
import { cidrAddress, formatPortRange, isHostCidr, normalizePorts, parsePortRange } from '../core/net';
import { firstWord, isManaged, managedDescription, ruleDescription } from '../core/ownership';
import type { ResolvedSettings } from '../core/target';
import type { PfAlias, PfAliasBody, PfApplyStatus, PfRule, PfRuleBody } from './api';

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
  problems.throwIfAny();
  return { addresses, services, rules, order: ruleOrder(ruleSet.rules, (rule) => rule.ingress) };
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
  const pendingServer = input.apply.pending_subsystems.filter((s) => s === 'aliases' || s === 'filter');
  return {
    vendor: 'pfsense',
    deviceKey: settings.deviceKey,
    readAt: input.readAt,
    addresses: addresses.sort(byName),
    services: services.sort(byName),
    rules,
    sequences: [...sequences.values()].sort((a, b) => a.scope.localeCompare(b.scope)),
    foreign: {
      addresses: [...foreignObjects],
      services: [...foreignObjects],
      rules: [...new Set(foreignRules)],
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
