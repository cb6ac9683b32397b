import { INTERFACE_ADDRESS, type NatEntry, type PortRange, type RuleSet } from '@app/engine/model';
import { byName, splitAliasEntries } from '../core/aliases';
import { ingressRule, RuleSetProblems, ruleOrder } from '../core/desired';
import { ConnectorError } from '../core/errors';

import type {
  Attributes,
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
import type { OpnAlias, OpnAliasBody, OpnNat, OpnNatBody, OpnRule, OpnRuleBody } from './api';

/** AliasNameField: 1-31 chars, a letter or ONE leading underscore, then alphanumerics/underscores. */
export const ALIAS_NAME = /^([a-zA-Z]|(([_a-zA-Z][a-zA-Z0-9]|[a-zA-Z][_a-zA-Z0-9])[_a-zA-Z0-9]{0,29}))$/;

/**
 * Rule fields the connector owns besides the compared core fields. Written on every create/update, so a person
 * who flips one of them on a managed rule sees it restored on the next push.
 */
export const RULE_ATTRIBUTES = {
  direction: 'in',
  quick: '1',
  source_port: '',
  source_not: '0',
  destination_not: '0',
  gateway: '',
  log: '0',
} as const satisfies Attributes;

const DESCRIPTION_MAX_BYTES = 255;

/** RuleSet → normalised desired state for OPNsense: host/network/port aliases, automation rules per ingress. */
export function desiredFromRuleSet(ruleSet: RuleSet, settings: ResolvedSettings): DesiredState {
  const problems = new RuleSetProblems(ruleSet, 'opnsense', settings);
  const checkDescription = (what: string, description: string): void => {
    if (Buffer.byteLength(description) > DESCRIPTION_MAX_BYTES) {
      problems.add(`${what}: description longer than ${DESCRIPTION_MAX_BYTES} bytes`);
    }
  };
  const addresses: ManagedAddress[] = ruleSet.addresses.map((obj) => {
    if (!ALIAS_NAME.test(obj.name))
      problems.add(`address object name ${obj.name} is not a valid OPNsense alias name`);
    const sorted = problems.addressEntries(obj);
    const description = managedDescription(obj.description, settings.marker);
    checkDescription(`address object ${obj.name}`, description);
    return {
      name: obj.name,
      entries: sorted,
      description,
      attributes: { type: sorted.every(isHostCidr) ? 'host' : 'network', enabled: '1' },
    };
  });
  const services: ManagedService[] = ruleSet.services.map((svc) => {
    if (!ALIAS_NAME.test(svc.name))
      problems.add(`service object name ${svc.name} is not a valid OPNsense alias name`);
    problems.servicePorts(svc);
    const description = managedDescription(svc.description, settings.marker);
    checkDescription(`service object ${svc.name}`, description);
    return {
      name: svc.name,
      // A port alias has no protocol: the protocol is on the rule.
      protocol: null,
      ports: normalizePorts(svc.ports),
      description,
      attributes: { type: 'port', enabled: '1' },
    };
  });
  const rules: ManagedRule[] = ruleSet.rules.map((rule) => {
    const description = ruleDescription(rule.name, settings.marker);
    checkDescription(`rule ${rule.name}`, description);
    problems.oneWordRuleName(rule.name);
    if (rule.ingress === '' || rule.ingress.includes(',')) {
      problems.add(`rule ${rule.name}: ingress "${rule.ingress}" must be one interface id`);
    }
    return ingressRule(rule, description, { ...RULE_ATTRIBUTES });
  });
  const nat = ruleSet.nat?.map((entry) => desiredNat(entry, settings, problems, checkDescription));
  // pf translates before it filters: the admitting rule must name the private target, not the NAT entry (a
  // `vip-in-policy` rule set is for FortiOS).
  if (ruleSet.nat && ruleSet.natSemantics !== undefined && ruleSet.natSemantics !== 'filter-after-dnat') {
    problems.add(`NAT semantics ${ruleSet.natSemantics}: OPNsense filters after rdr (filter-after-dnat)`);
  }
  const natNames = new Set((ruleSet.nat ?? []).map((n) => n.name));
  for (const rule of ruleSet.rules) {
    if (rule.nat !== undefined && !natNames.has(rule.nat))
      problems.add(`rule ${rule.name} admits NAT entry ${rule.nat}, which the rule set does not have`);
  }
  problems.throwIfAny();
  return {
    addresses,
    services,
    rules,
    order: ruleOrder(ruleSet.rules, (rule) => rule.ingress),
    ...(nat ? { nat } : {}),
  };
}

// ---------------------------------------------------------------------------------------------- destination NAT

/**
 * d_nat fields the connector owns besides the compared core fields (written on every create/update, so a managed
 * entry someone flipped is restored). `pass` '' = "Manual" (DNat.xml `pass` BlankDesc): no `rdr pass` and no
 * registered rule, because OPNsense filters AFTER rdr (pf) and the rule set carries the rule that admits the private
 * target (`natSemantics: 'filter-after-dnat'`). `natreflection` '' = the system default. `ipprotocol` inet: the
 * engine's NAT entries are IPv4.
 */
export const NAT_ATTRIBUTES = {
  disabled: '0',
  nordr: '0',
  ipprotocol: 'inet',
  pass: '',
  natreflection: '',
  log: '0',
  sourceNetwork: 'any',
  sourcePort: '',
  sourceNot: '0',
  destinationNot: '0',
} as const satisfies Attributes;

/** d_nat description of a managed entry: `<name> <text> <marker>`, or `<name> <marker>` when that exceeds 255 bytes. */
export function natDescription(entry: Pick<NatEntry, 'name' | 'description'>, marker: string): string {
  const full = managedDescription(`${entry.name} ${entry.description}`, marker);
  return Buffer.byteLength(full) <= DESCRIPTION_MAX_BYTES ? full : ruleDescription(entry.name, marker);
}

function desiredNat(
  entry: NatEntry,
  settings: ResolvedSettings,
  problems: RuleSetProblems,
  checkDescription: (what: string, description: string) => void,
): ManagedNat {
  const what = `NAT entry ${entry.name}`;
  problems.oneWordRuleName(entry.name);
  if (!entry.name.startsWith(settings.prefix))
    problems.add(`${what}: name must start with ${settings.prefix}`);
  if (entry.interface === '' || entry.interface.includes(','))
    problems.add(`${what}: interface "${entry.interface}" must be one interface id`);
  if (entry.protocol !== 'tcp' && entry.protocol !== 'udp')
    problems.add(`${what}: protocol must be tcp or udp`);
  // Ranges of equal length only: local-port is one port (DNat.xml: PortField without EnableRanges) and
  // ForwardRule.php maps a destination range onto local-port.. of the same length.
  const description = natDescription(entry, settings.marker);
  checkDescription(what, description);
  return problems.natEntry(entry, description, NAT_ATTRIBUTES);
}

/** Managed name of a d_nat rule, or null: entries on several (or no) interfaces are never ours. */
export function managedNatName(nat: OpnNat, settings: ResolvedSettings): string | null {
  if (nat.interface.length !== 1) return null;
  const name = firstWord(nat.descr);
  return isManaged(name, nat.descr, settings.prefix, settings.marker) ? name : null;
}

/**
 * The d_nat body of a managed entry. `destination.network` is the IPv4 host, or `<if>ip` for the interface's own
 * address (NetworkAliasField offers `<ifname>ip` per interface: Base/FieldTypes/NetworkAliasField.php at 26.1,
 * rendered by ForwardRule/Rule as the interface address, so a DHCP/PPPoE address needs no update).
 * `destination.port` uses a dash for ranges (PortField EnableRanges: `a-b`, a < b); `local-port` is ONE port, the
 * first target port (ForwardRule.php parseRdrRules at 26.1: a destination range is mapped 1:1 from local-port).
 * No `sequence`: DNatSequenceField gives a new rule max+100; NAT order is not managed (entries never overlap).
 */
export function natBody(n: ManagedNat): OpnNatBody {
  const a = n.attributes;
  const text = (key: keyof typeof NAT_ATTRIBUTES): string => String(a[key] ?? NAT_ATTRIBUTES[key]);
  return {
    disabled: text('disabled'),
    nordr: text('nordr'),
    interface: n.interface,
    ipprotocol: text('ipprotocol'),
    protocol: n.protocol,
    source: { network: text('sourceNetwork'), port: text('sourcePort'), not: text('sourceNot') },
    destination: {
      network: n.externalAddress === INTERFACE_ADDRESS ? `${n.interface}ip` : n.externalAddress,
      port: formatPortRange(n.externalPorts, '-'),
      not: text('destinationNot'),
    },
    target: n.target,
    'local-port': String(n.targetPorts.from),
    pass: text('pass'),
    natreflection: text('natreflection'),
    log: text('log'),
    descr: n.description,
  };
}

/** A port field value as one range (`443`, `1000-1010`, a well-known name), or null. */
function natPortRange(value: string): PortRange | null {
  const known = WELL_KNOWN_PORTS[value];
  if (known !== undefined) return { from: known, to: known };
  return parsePortRange(value, value.includes(':') ? ':' : '-');
}

function natToManaged(nat: OpnNat, name: string): ManagedNat {
  const iface = nat.interface[0];
  const unparsed: string[] = [];
  const externalPorts = natPortRange(nat.destinationPort);
  if (externalPorts === null) unparsed.push(`destination.port=${nat.destinationPort}`);
  const ext = externalPorts ?? { from: 0, to: 0 };
  let targetPorts: PortRange;
  if (nat.localPort === '') {
    targetPorts = ext;
  } else {
    const local = natPortRange(nat.localPort);
    if (local === null || local.from !== local.to) unparsed.push(`local-port=${nat.localPort}`);
    const from = local?.from ?? 0;
    targetPorts = { from, to: from + (ext.to - ext.from) };
  }
  const net = nat.destinationNetwork;
  const host = /^(.+)\/32$/.exec(net)?.[1] ?? net;
  const externalAddress = net === `${iface}ip` ? INTERFACE_ADDRESS : host;
  const attributes: Attributes = {
    disabled: nat.disabled,
    nordr: nat.nordr,
    ipprotocol: nat.ipprotocol,
    pass: nat.pass,
    natreflection: nat.natreflection,
    log: nat.log,
    sourceNetwork: nat.sourceNetwork,
    sourcePort: nat.sourcePort,
    sourceNot: nat.sourceNot,
    destinationNot: nat.destinationNot,
  };
  if (nat.protocol !== 'tcp' && nat.protocol !== 'udp') unparsed.push(`protocol=${nat.protocol}`);
  if (unparsed.length > 0) attributes.unparsed = unparsed.join(' ');
  return {
    name,
    interface: iface,
    protocol: nat.protocol === 'udp' ? 'udp' : 'tcp',
    externalAddress,
    externalPorts: ext,
    target: /^(.+)\/32$/.exec(nat.target)?.[1] ?? nat.target,
    targetPorts,
    description: nat.descr,
    attributes,
    ref: nat.uuid,
  };
}

/** Managed NAT entries (by sequence) and the prefixed first words of the unmanaged ones (for conflicts). */
export function natFromOpnSense(
  list: OpnNat[],
  settings: ResolvedSettings,
  warnings: string[],
): { nat: ManagedNat[]; foreign: string[] } {
  const nat: ManagedNat[] = [];
  const foreign = new Set<string>();
  for (const entry of [...list].sort(byNatSequence)) {
    const name = managedNatName(entry, settings);
    if (name !== null) {
      nat.push(natToManaged(entry, name));
      continue;
    }
    const word = firstWord(entry.descr);
    if (!word.startsWith(settings.prefix)) continue;
    foreign.add(word);
    if (entry.descr.includes(settings.marker)) {
      warnings.push(
        `NAT rule "${entry.descr}" carries the marker but is not on exactly one interface: left alone`,
      );
    }
  }
  return { nat, foreign: [...foreign] };
}

function byNatSequence(a: OpnNat, b: OpnNat): number {
  return a.sequence - b.sequence || (a.uuid < b.uuid ? -1 : a.uuid > b.uuid ? 1 : 0);
}

/**
 * Port forwards people made, reduced to what they forward (exposure check). "No RDR" entries forward nothing and
 * are skipped. A port field that cannot be resolved (unknown alias) counts as any port (conservative).
 */
export function unmanagedNatFromOpnSense(
  list: OpnNat[],
  aliases: OpnAlias[],
  settings: ResolvedSettings,
): UnmanagedNat[] {
  const portAliases = new Map(aliases.filter((a) => a.type === 'port').map((a) => [a.name, a]));
  const ports = (field: string): PortRange[] | null => {
    const f = field.trim();
    if (f === '' || f === 'any') return null;
    const resolved = resolveOpnPorts(f, portAliases);
    return resolved === null ? null : normalizePorts(resolved);
  };
  const out: UnmanagedNat[] = [];
  for (const entry of [...list].sort(byNatSequence)) {
    if (managedNatName(entry, settings) !== null || entry.nordr === '1') continue;
    const externalPorts = ports(entry.destinationPort);
    let targetPorts: PortRange[] | null = null;
    const local = ports(entry.localPort);
    if (local !== null && local.length > 0) {
      const base = local[0].from;
      targetPorts =
        externalPorts === null
          ? [{ from: base, to: base }]
          : externalPorts.map((r) => ({
              from: base + (r.from - externalPorts[0].from),
              to: base + (r.to - externalPorts[0].from),
            }));
    }
    out.push({
      label: entry.descr,
      interface: entry.interface.join(','),
      enabled: entry.disabled !== '1',
      protocols: opnProtocols(entry.protocol),
      externalPorts,
      target: entry.target,
      targetPorts,
    });
  }
  return out;
}

/** Managed rule name of an automation rule, or null: floating and multi-interface rules are never ours. */
export function managedRuleName(rule: OpnRule, settings: ResolvedSettings): string | null {
  if (rule.interface.length !== 1) return null;
  const name = firstWord(rule.description);
  return isManaged(name, rule.description, settings.prefix, settings.marker) ? name : null;
}

export function isManagedAlias(alias: OpnAlias, settings: ResolvedSettings): boolean {
  return isManaged(alias.name, alias.description, settings.prefix, settings.marker);
}

/** Built-in aliases (bogons, `__lan_network`, …) are virtual children whose uuid is their name. */
export function isBuiltinAlias(alias: OpnAlias): boolean {
  return alias.uuid === alias.name || alias.type === 'internal' || alias.type === 'external';
}

/** Evaluation order inside one priority class: `(sequence, uuid)` (ArrayField::sortedBy). */
export function byEvaluation(a: OpnRule, b: OpnRule): number {
  return a.sequence - b.sequence || (a.uuid < b.uuid ? -1 : a.uuid > b.uuid ? 1 : 0);
}

export interface LiveInput {
  aliases: OpnAlias[];
  rules: OpnRule[];
  /** d_nat rules; absent when the firmware has no NAT API (or the key may not read it). */
  nat?: OpnNat[];
  locallyDirty: boolean;
  readAt: string;
  warnings?: string[];
}

/** Live OPNsense config → normalised managed state (+ foreign prefixed names, per-interface rule sequences). */
export function liveFromOpnSense(input: LiveInput, settings: ResolvedSettings): ManagedState {
  const addresses: ManagedAddress[] = [];
  const services: ManagedService[] = [];
  const foreignObjects: string[] = [];
  const warnings = [...(input.warnings ?? [])];
  for (const alias of input.aliases) {
    if (isBuiltinAlias(alias) || !alias.name.startsWith(settings.prefix)) continue;
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
  for (const rule of [...input.rules].sort(byEvaluation)) {
    const word = firstWord(rule.description);
    const name = managedRuleName(rule, settings);
    if (name === null && word.startsWith(settings.prefix)) {
      foreignRules.push(word);
      if (rule.description.includes(settings.marker)) {
        warnings.push(
          `rule "${rule.description}" carries the marker but is floating or multi-interface: left alone`,
        );
      }
    }
    if (name !== null) rules.push(ruleToManaged(rule, name));
    // Floating and multi-interface rules live in another priority class, evaluated before every interface rule.
    if (rule.interface.length !== 1) continue;
    const scope = rule.interface[0];
    const seq = sequences.get(scope) ?? { scope, entries: [] };
    seq.entries.push(
      name !== null ? { managed: true, name } : { managed: false, name: null, label: rule.description },
    );
    sequences.set(scope, seq);
  }
  const nat = input.nat ? natFromOpnSense(input.nat, settings, warnings) : null;
  return {
    vendor: 'opnsense',
    deviceKey: settings.deviceKey,
    readAt: input.readAt,
    addresses: addresses.sort(byName),
    services: services.sort(byName),
    rules,
    sequences: [...sequences.values()].sort((a, b) => a.scope.localeCompare(b.scope)),
    ...(nat ? { nat: nat.nat } : {}),
    foreign: {
      addresses: [...foreignObjects],
      services: [...foreignObjects],
      rules: [...new Set(foreignRules)],
      ...(nat ? { nat: nat.foreign } : {}),
    },
    // There is no API-visible "pending" flag on OPNsense: only what this process wrote and did not apply.
    pendingCommit: input.locallyDirty,
    warnings,
  };
}

function aliasToAddress(alias: OpnAlias): ManagedAddress {
  const { entries, unparsed } = splitAliasEntries(alias.content);
  const attributes: Attributes = { type: alias.type, enabled: alias.enabled };
  if (unparsed.length > 0) attributes.unparsed = unparsed.join(' ');
  return {
    name: alias.name,
    entries,
    description: alias.description,
    attributes,
    ref: alias.uuid,
  };
}

function aliasToService(alias: OpnAlias): ManagedService {
  const ports = [];
  const unparsed: string[] = [];
  for (const entry of alias.content) {
    const p = parsePortRange(entry, ':');
    if (p === null) unparsed.push(entry);
    else ports.push(p);
  }
  const attributes: Attributes = { type: 'port', enabled: alias.enabled };
  if (unparsed.length > 0) attributes.unparsed = unparsed.join(' ');
  return {
    name: alias.name,
    protocol: null,
    ports: normalizePorts(ports),
    description: alias.description,
    attributes,
    ref: alias.uuid,
  };
}

function ruleToManaged(rule: OpnRule, name: string): ManagedRule {
  const attributes: Attributes = {};
  for (const key of Object.keys(RULE_ATTRIBUTES) as Array<keyof typeof RULE_ATTRIBUTES>)
    attributes[key] = rule[key];
  return {
    name,
    scope: rule.interface[0],
    ingress: rule.interface[0],
    egress: null,
    family: rule.ipprotocol === 'inet' ? 4 : rule.ipprotocol === 'inet6' ? 6 : null,
    protocol: rule.protocol === 'TCP' ? 'tcp' : rule.protocol === 'UDP' ? 'udp' : null,
    source: rule.source_net,
    destination: rule.destination_net,
    service: rule.destination_port,
    action: rule.action === 'pass' ? 'allow' : 'deny',
    enabled: rule.enabled === '1',
    description: rule.description,
    attributes,
    ref: rule.uuid,
  };
}

/** Host aliases hold bare IPs, network aliases CIDRs; content is NEWLINE-separated (a comma list is one entry). */
export function aliasBodyForAddress(a: ManagedAddress): OpnAliasBody {
  const type = a.attributes.type === 'host' ? 'host' : 'network';
  const entries = type === 'host' ? a.entries.map(cidrAddress) : a.entries;
  return { enabled: '1', name: a.name, type, content: entries.join('\n'), description: a.description };
}

/** Port aliases write ranges with a COLON (`1514:1516`); rules would use a dash. */
export function aliasBodyForService(s: ManagedService): OpnAliasBody {
  return {
    enabled: '1',
    name: s.name,
    type: 'port',
    content: s.ports.map((p) => formatPortRange(p, ':')).join('\n'),
    description: s.description,
  };
}

/** Every field as a string scalar; `sequence` only when placing the rule (updates keep the live position). */
export function ruleBody(r: ManagedRule, sequence?: number): OpnRuleBody {
  if (r.family === null || r.protocol === null) {
    throw new ConnectorError({
      kind: 'validation',
      message: `rule ${r.name}: family and protocol are required`,
    });
  }
  const body: OpnRuleBody = {
    enabled: r.enabled ? '1' : '0',
    action: r.action === 'allow' ? 'pass' : 'block',
    interface: r.ingress,
    ipprotocol: r.family === 4 ? 'inet' : 'inet6',
    // ProtocolField is case-sensitive: `tcp` is "Option not in list."
    protocol: r.protocol.toUpperCase(),
    source_net: r.source,
    destination_net: r.destination,
    destination_port: r.service,
    description: r.description,
  };
  for (const [key, value] of Object.entries(RULE_ATTRIBUTES)) body[key] = value;
  if (sequence !== undefined) body.sequence = String(sequence);
  return body;
}

/** The rule as it will read back after writing `body` (keeps the connector's view current without a re-read). */
export function ruleFromBody(uuid: string, body: OpnRuleBody, sequence: number): OpnRule {
  return {
    uuid,
    enabled: body.enabled,
    sequence,
    action: body.action,
    quick: body.quick,
    interface: body.interface === '' ? [] : body.interface.split(','),
    direction: body.direction,
    ipprotocol: body.ipprotocol,
    protocol: body.protocol,
    source_net: body.source_net,
    source_not: body.source_not,
    source_port: body.source_port,
    destination_net: body.destination_net,
    destination_not: body.destination_not,
    destination_port: body.destination_port,
    gateway: body.gateway,
    log: body.log,
    description: body.description,
  };
}

/** Well-known port names the rule port field accepts (OPNsense PortField). */
const WELL_KNOWN_PORTS: Record<string, number> = {
  ftp: 21,
  ssh: 22,
  telnet: 23,
  smtp: 25,
  domain: 53,
  http: 80,
  pop3: 110,
  ntp: 123,
  imap: 143,
  snmp: 161,
  ldap: 389,
  https: 443,
  syslog: 514,
  submission: 587,
  ldaps: 636,
  imaps: 993,
  pop3s: 995,
  openvpn: 1194,
  'ms-sql-s': 1433,
  mysql: 3306,
  rdp: 3389,
};

/** Unmanaged OPNsense filter rules (evaluation order), protocols and destination ports resolved (aliases expanded). */
export function unmanagedRulesFromOpnSense(
  rules: OpnRule[],
  aliases: OpnAlias[],
  settings: ResolvedSettings,
): UnmanagedRule[] {
  const portAliases = new Map(aliases.filter((a) => a.type === 'port').map((a) => [a.name, a]));
  const out: UnmanagedRule[] = [];
  for (const rule of [...rules].sort(byEvaluation)) {
    if (managedRuleName(rule, settings) !== null) continue;
    let ports: UnmanagedRule['ports'] = null;
    let unresolvedPorts: string | undefined;
    const field = rule.destination_port.trim();
    if (field !== '' && field !== 'any') {
      const resolved = resolveOpnPorts(field, portAliases);
      if (resolved === null) {
        ports = [];
        unresolvedPorts = field;
      } else ports = normalizePorts(resolved);
    }
    out.push({
      scope: rule.interface.length === 0 ? 'floating' : rule.interface[0],
      interfaces: rule.interface,
      label: rule.description,
      action: rule.action === 'pass' ? 'allow' : 'deny',
      enabled: rule.enabled === '1',
      protocols: opnProtocols(rule.protocol),
      ports,
      source: (rule.source_not === '1' ? '!' : '') + (rule.source_net || 'any'),
      destination: (rule.destination_not === '1' ? '!' : '') + (rule.destination_net || 'any'),
      ...(unresolvedPorts !== undefined ? { unresolvedPorts } : {}),
    });
  }
  return out;
}

function opnProtocols(protocol: string): UnmanagedRule['protocols'] {
  const p = protocol.trim().toLowerCase();
  if (p === '' || p === 'any') return null;
  if (p === 'tcp/udp') return ['tcp', 'udp'];
  if (p === 'tcp' || p === 'udp') return [p];
  return [];
}

/** A port field (`443`, `1000-2000`, a well-known name, a port alias; comma-separated) → ranges, or null. */
function resolveOpnPorts(field: string, portAliases: Map<string, OpnAlias>): PortRange[] | null {
  const out: PortRange[] = [];
  for (const item of field.split(',').map((i) => i.trim())) {
    if (item === '') continue;
    const resolved = resolveOpnPortItem(item, portAliases, new Set());
    if (resolved === null) return null;
    out.push(...resolved);
  }
  return out;
}

function resolveOpnPortItem(
  item: string,
  portAliases: Map<string, OpnAlias>,
  seen: Set<string>,
): PortRange[] | null {
  const direct = parsePortRange(item, item.includes(':') ? ':' : '-');
  if (direct) return [direct];
  const known = WELL_KNOWN_PORTS[item];
  if (known !== undefined) return [{ from: known, to: known }];
  const alias = portAliases.get(item);
  if (!alias || seen.has(item)) return null;
  seen.add(item);
  const out: PortRange[] = [];
  for (const entry of alias.content.map((e) => e.trim()).filter((e) => e !== '')) {
    const nested = resolveOpnPortItem(entry, portAliases, seen);
    if (nested === null) return null;
    out.push(...nested);
  }
  return out;
}
