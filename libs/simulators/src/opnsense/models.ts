import { isIP } from 'node:net';
import type { OpnFeatures } from './version';

/**
 * The two OPNsense models the simulator keeps (automation filter rules, aliases), their fields, defaults and
 * validators, following reference/opnsense-api.md §5 and §6. Every stored value is a string, as in config.xml.
 */

export type Fields = Record<string, string>;

/** The config.xml parts the simulator keeps; records keyed by uuid in insertion order (like the XML). */
export interface OpnConfig {
  rules: Record<string, Fields>;
  aliases: Record<string, Fields>;
  /** Destination NAT rules (26.1+ `d_nat`, see nat.ts); absent in states saved before NAT existed = none. */
  nat?: Record<string, Fields>;
}

export type Validations = Record<string, string | string[]>;

export interface InterfaceDef {
  id: string;
  descr: string;
  /** The interface's own IPv4 address (what `<id>ip` stands for in rules and NAT), for `trace()`. */
  address?: string;
  /** Its network (CIDR; what `<id>` and `__<id>_network` stand for), for `trace()`. */
  network?: string;
}

export interface ModelContext {
  config: OpnConfig;
  features: OpnFeatures;
  interfaces: InterfaceDef[];
}

// ------------------------------------------------------------------------------------------------------ rules

const BASE_RULE_DEFAULTS: Fields = {
  enabled: '1',
  sequence: '1',
  action: 'pass',
  quick: '1',
  interface: '',
  direction: 'in',
  ipprotocol: 'inet',
  protocol: 'any',
  source_net: 'any',
  source_not: '0',
  source_port: '',
  destination_net: 'any',
  destination_not: '0',
  destination_port: '',
  gateway: '',
  log: '0',
  categories: '',
  description: '',
};

const ADVANCED_RULE_DEFAULTS: Fields = { interfacenot: '0', statetype: 'keep', icmptype: '' };

export function ruleDefaults(features: OpnFeatures): Fields {
  return features.advancedFields
    ? { ...BASE_RULE_DEFAULTS, ...ADVANCED_RULE_DEFAULTS }
    : { ...BASE_RULE_DEFAULTS };
}

export const PROTOCOLS = [
  'ICMP',
  'IGMP',
  'GGP',
  'TCP',
  'EGP',
  'PUP',
  'UDP',
  'IDP',
  'IPV6',
  'RSVP',
  'GRE',
  'ESP',
  'AH',
  'IPV6-ICMP',
  'EIGRP',
  'OSPF',
  'ETHERIP',
  'PIM',
  'CARP',
  'L2TP',
  'SCTP',
  'PFSYNC',
  'UDPLITE',
];

export function protocolOptions(features: OpnFeatures): string[] {
  return ['any', ...PROTOCOLS, ...(features.advancedFields ? ['TCP/UDP'] : [])];
}

const ACTION_LABELS: Record<string, string> = { pass: 'Pass', block: 'Block', reject: 'Reject' };
const DIRECTION_LABELS: Record<string, string> = { in: 'In', out: 'Out' };
const STATETYPES = ['keep', 'sloppy', 'modulate', 'synproxy', 'none'];
const ICMPTYPES = ['echoreq', 'echorep', 'unreach', 'squench', 'redir', 'timex', 'paramprob'];

export function ipprotocolLabels(features: OpnFeatures): Record<string, string> {
  return features.advancedFields
    ? { inet: 'IPv4', inet6: 'IPv6', inet46: 'IPv4+IPv6' }
    : { inet: 'IPv4', inet6: 'IPv6' };
}

/** Well-known port names accepted by PortField (and `any`). */
export const WELL_KNOWN_PORTS: Record<string, number> = {
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

/** Names `getservbyname`/`getprotobyname` know: refused as alias names. */
const SERVICE_OR_PROTOCOL_NAMES = new Set([
  ...Object.keys(WELL_KNOWN_PORTS),
  ...PROTOCOLS.map((p) => p.toLowerCase()),
  'echo',
  'discard',
  'daytime',
  'chargen',
  'kerberos',
  'bootps',
  'bootpc',
  'tftp',
  'finger',
  'www',
  'ipsec-nat-t',
  'isakmp',
]);

/** A subset of the ~150 pf keywords AliasNameField refuses. */
const RESERVED_KEYWORDS = new Set([
  'all',
  'any',
  'binat',
  'block',
  'drop',
  'from',
  'group',
  'in',
  'inet',
  'inet6',
  'keep',
  'label',
  'log',
  'match',
  'nat',
  'no',
  'on',
  'out',
  'pass',
  'port',
  'proto',
  'quick',
  'rdr',
  'reject',
  'return',
  'route',
  'scrub',
  'self',
  'state',
  'table',
  'tag',
  'tagged',
  'to',
  'user',
]);

const BUILTIN_EXTERNAL = ['bogons', 'bogonsv6', 'virusprot', 'sshlockout'];

/** Built-in aliases: external tables plus `__<if>_network` per interface; their uuid is their name. */
export function builtinAliases(interfaces: InterfaceDef[]): Fields[] {
  return [
    ...BUILTIN_EXTERNAL.map((name) => ({ ...aliasDefaults(), name, type: 'external', description: name })),
    ...interfaces.map((i) => ({
      ...aliasDefaults(),
      name: `__${i.id}_network`,
      type: 'internal',
      description: `${i.descr} net`,
    })),
  ];
}

function aliasByName(ctx: ModelContext, name: string): Fields | undefined {
  for (const a of Object.values(ctx.config.aliases)) if (a.name === name) return a;
  return builtinAliases(ctx.interfaces).find((a) => a.name === name);
}

function isIpOrCidr(value: string): boolean {
  const slash = value.indexOf('/');
  const ip = slash === -1 ? value : value.slice(0, slash);
  const family = isIP(ip);
  if (family === 0) return false;
  if (slash === -1) return true;
  const prefix = value.slice(slash + 1);
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
}

function isBoolean(value: string): boolean {
  return value === '0' || value === '1';
}

function validPortValue(ctx: ModelContext, value: string): boolean {
  if (value === '' || value === 'any') return true;
  if (/^\d{1,5}$/.test(value)) return Number(value) >= 1 && Number(value) <= 65535;
  const range = /^(\d{1,5})-(\d{1,5})$/.exec(value);
  if (range) {
    const [a, b] = [Number(range[1]), Number(range[2])];
    return a >= 1 && b <= 65535 && a < b;
  }
  if (value in WELL_KNOWN_PORTS) return true;
  const alias = aliasByName(ctx, value);
  return alias !== undefined && alias.type === 'port';
}

function netItems(ctx: ModelContext, value: string): string[] {
  return ctx.features.advancedFields ? value.split(',') : [value];
}

/** NetworkAliasField: keyword, interface (net or `ip`), non-port alias, or ONE IP/CIDR (the whole value). */
function validNetValue(ctx: ModelContext, value: string): string | null {
  if (value === '') return value;
  if (isIpOrCidr(value)) return null;
  for (const item of netItems(ctx, value)) {
    if (item === 'any' || item === '(self)') continue;
    const iface = ctx.interfaces.find((i) => i.id === item || `${i.id}ip` === item);
    if (iface) continue;
    const alias = aliasByName(ctx, item);
    if (alias && alias.type !== 'port') continue;
    return item;
  }
  return null;
}

function add(v: Validations, key: string, message: string): void {
  const prev = v[key];
  if (prev === undefined) v[key] = message;
  else v[key] = Array.isArray(prev) ? [...prev, message] : [prev, message];
}

/** Field validators + Filter::performValidation (model-level pairs) for one rule node. */
export function validateRule(rule: Fields, ctx: ModelContext): Validations {
  const v: Validations = {};
  const k = (field: string): string => `rule.${field}`;
  const f = ctx.features;

  if (rule.enabled === '') add(v, k('enabled'), 'A value is required.');
  else if (!isBoolean(rule.enabled)) add(v, k('enabled'), 'Value should be a boolean (0,1).');
  for (const field of [
    'quick',
    'log',
    'source_not',
    'destination_not',
    ...(f.advancedFields ? ['interfacenot'] : []),
  ]) {
    if (rule[field] !== '' && !isBoolean(rule[field])) add(v, k(field), 'Value should be a boolean (0,1).');
  }

  const seqOk =
    /^\d+$/.test(rule.sequence) && Number(rule.sequence) >= 1 && Number(rule.sequence) <= f.sequenceMax;
  if (!seqOk) {
    add(
      v,
      k('sequence'),
      f.sequenceDefaultMaxPlus100
        ? 'Sequence shall be between 1 and 999999.'
        : 'provide a valid sequence for sorting',
    );
  }

  if (rule.action === '') add(v, k('action'), 'A value is required.');
  else if (!(rule.action in ACTION_LABELS)) add(v, k('action'), 'Option not in list.');
  if (rule.direction !== '' && !(rule.direction in DIRECTION_LABELS))
    add(v, k('direction'), 'Option not in list.');
  if (!(rule.ipprotocol in ipprotocolLabels(f))) add(v, k('ipprotocol'), 'Option not in list.');
  if (rule.protocol === '') add(v, k('protocol'), 'A value is required.');
  else if (!protocolOptions(f).includes(rule.protocol)) add(v, k('protocol'), 'Option not in list.');

  const ifaces = rule.interface === '' ? [] : rule.interface.split(',');
  if (ifaces.some((i) => !ctx.interfaces.some((d) => d.id === i)))
    add(v, k('interface'), 'Option not in list.');
  if (rule.gateway !== '') {
    add(v, k('gateway'), 'Specify a valid gateway from the list matching the networks ip protocol.');
  }
  if (rule.categories !== '') add(v, k('categories'), 'Related category not found.');
  if (
    rule.description !== '' &&
    (Buffer.byteLength(rule.description) > 255 || /[\r\n]/.test(rule.description))
  ) {
    add(v, k('description'), 'Description should be a string between 1 and 255 characters.');
  }
  if (f.advancedFields) {
    if (!STATETYPES.includes(rule.statetype)) add(v, k('statetype'), 'Option not in list.');
    if (rule.icmptype !== '' && rule.icmptype.split(',').some((t) => !ICMPTYPES.includes(t))) {
      add(v, k('icmptype'), 'Option not in list.');
    }
  }

  for (const side of ['source', 'destination'] as const) {
    const net = rule[`${side}_net`];
    if (net === '') {
      add(v, k(`${side}_net`), 'A value is required.');
    } else {
      const bad = validNetValue(ctx, net);
      if (bad !== null) add(v, k(`${side}_net`), `${bad} is not a valid ${side} IP address or alias.`);
    }
    if (!validPortValue(ctx, rule[`${side}_port`])) {
      add(v, k(`${side}_port`), 'Please specify a valid portnumber, name, alias or range');
    }
  }

  // Filter::performValidation: cross-field rules.
  const portProtocols = f.advancedFields ? ['TCP', 'UDP', 'TCP/UDP'] : ['TCP', 'UDP'];
  if (rule.source_port !== '' && !portProtocols.includes(rule.protocol)) {
    add(v, k('source_port'), 'Source ports are only valid for tcp or udp type rules.');
  }
  if (rule.destination_port !== '' && !portProtocols.includes(rule.protocol)) {
    add(v, k('destination_port'), 'Destination ports are only valid for tcp or udp type rules.');
  }
  for (const [side, label] of [
    ['source', 'Source'],
    ['destination', 'Destination'],
  ] as const) {
    const net = rule[`${side}_net`];
    if (isIpOrCidr(net)) {
      const family = net.includes(':') ? 'inet6' : 'inet';
      if (family !== rule.ipprotocol) {
        add(v, k(`${side}_net`), `${label} address type should match selected TCP/IP protocol version.`);
      }
    }
    const items = netItems(ctx, net);
    if (f.advancedFields && items.length > 1 && items.includes('any')) {
      add(v, k(`${side}_net`), 'Any can not be combined with other aliases');
    }
  }
  if (rule.source_not === '1' && netItems(ctx, rule.source_net).length > 1) {
    add(
      v,
      k('source_not'),
      'Inverting sources is only allowed for single targets to avoid mis-interpretations',
    );
  }
  if (rule.destination_not === '1' && netItems(ctx, rule.destination_net).length > 1) {
    add(
      v,
      k('destination_net'),
      'Inverting destinations is only allowed for single targets to avoid mis-interpretations',
    );
  }
  if (f.advancedFields) {
    if (rule.interfacenot === '1' && ifaces.length !== 1) {
      add(
        v,
        k('interfacenot'),
        'Inverting interfaces is only allowed for single targets to avoid mis-interpretations',
      );
    }
    if (rule.icmptype !== '' && rule.protocol !== 'ICMP')
      add(v, k('icmptype'), 'Option only applies to ICMP packets');
  }
  return v;
}

/** Evaluation priority class (FilterRuleField::getPriority). */
export function rulePriority(rule: Fields, features: OpnFeatures): number {
  const count = rule.interface === '' ? 0 : rule.interface.split(',').length;
  // 24.1: 1000 multi-interface, 3000 everything else (empty interface included), all before legacy rules.
  if (features.legacyPriorities) return count >= 2 ? 1000 : 3000;
  return count === 1 ? 400_000 : 200_000;
}

/** `(prio, sequence, uuid)` order of evaluation (ArrayField::sortedBy appends the key as tie-breaker). */
export function sortedRuleUuids(config: OpnConfig, features: OpnFeatures): string[] {
  return Object.keys(config.rules).sort((a, b) => {
    const ra = config.rules[a];
    const rb = config.rules[b];
    return (
      rulePriority(ra, features) - rulePriority(rb, features) ||
      Number(ra.sequence) - Number(rb.sequence) ||
      (a < b ? -1 : a > b ? 1 : 0)
    );
  });
}

export function ruleRefs(rule: Fields): Array<{ field: string; value: string }> {
  const out: Array<{ field: string; value: string }> = [];
  for (const field of ['source_net', 'source_port', 'destination_net', 'destination_port']) {
    for (const value of (rule[field] ?? '').split(',')) if (value !== '') out.push({ field, value });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------- aliases

export function aliasDefaults(): Fields {
  return {
    enabled: '1',
    name: '',
    // The XML default `alert` is not a valid option: a client that omits `type` gets "Option not in list."
    type: 'alert',
    proto: '',
    interface: '',
    counters: '0',
    updatefreq: '',
    content: '',
    categories: '',
    description: '',
  };
}

export const ALIAS_TYPE_LABELS: Record<string, string> = {
  host: 'Host(s)',
  network: 'Network(s)',
  port: 'Port(s)',
  url: 'URL (IPs)',
  urltable: 'URL Table (IPs)',
  urljson: 'URL Table in JSON format (IPs)',
  geoip: 'GeoIP',
  networkgroup: 'Network group',
  mac: 'MAC address',
  asn: 'BGP ASN',
  dynipv6host: 'Dynamic IPv6 Host',
  authgroup: 'OpenVPN group',
  internal: 'Internal (automatic)',
  external: 'External (advanced)',
};

const ALIAS_NAME = /^([a-zA-Z]|(([_a-zA-Z][a-zA-Z0-9]|[a-zA-Z][_a-zA-Z0-9])[_a-zA-Z0-9]{0,29}))$/;
const HOSTNAME =
  /^(?=.{1,253}$)([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)(\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/;

function isIpRange(value: string): boolean {
  const parts = value.split('-');
  return parts.length === 2 && isIP(parts[0]) !== 0 && isIP(parts[0]) === isIP(parts[1]);
}

function validContentEntry(ctx: ModelContext, type: string, entry: string, selfName: string): boolean {
  const isOtherAlias = (name: string): boolean => name !== selfName && aliasByName(ctx, name) !== undefined;
  const bare = entry.startsWith('!') ? entry.slice(1) : entry;
  switch (type) {
    case 'host':
      return isIP(bare) !== 0 || isIpRange(bare) || isOtherAlias(entry) || HOSTNAME.test(entry);
    case 'network':
      return isIpOrCidr(bare) || isIpRange(bare) || isOtherAlias(entry);
    case 'port': {
      // Port aliases use a COLON for ranges; the rules' dash form is refused here.
      if (/^\d{1,5}$/.test(entry)) return Number(entry) >= 1 && Number(entry) <= 65535;
      const m = /^(\d{1,5}):(\d{1,5})$/.exec(entry);
      if (m) return Number(m[1]) >= 1 && Number(m[2]) <= 65535 && Number(m[1]) <= Number(m[2]);
      return entry in WELL_KNOWN_PORTS || isOtherAlias(entry);
    }
    case 'networkgroup':
      return isOtherAlias(entry);
    case 'asn':
      return /^\d+$/.test(entry);
    default:
      return true;
  }
}

function contentMessage(type: string, entry: string): string {
  switch (type) {
    case 'host':
      return `Entry "${entry}" is not a valid hostname, IP address or range.`;
    case 'network':
      return `Entry "${entry}" is not a network.`;
    case 'port':
      return `Entry "${entry}" is not a valid port number.`;
    default:
      return `Entry "${entry}" is not valid.`;
  }
}

export function validateAlias(uuid: string, alias: Fields, ctx: ModelContext): Validations {
  const v: Validations = {};
  if (alias.enabled === '') add(v, 'alias.enabled', 'A value is required.');
  else if (!isBoolean(alias.enabled)) add(v, 'alias.enabled', 'Value should be a boolean (0,1).');
  const name = alias.name;
  if (name === '') {
    add(v, 'alias.name', 'A value is required.');
  } else if (!ALIAS_NAME.test(name)) {
    add(
      v,
      'alias.name',
      'The name must start with a letter or single underscore, be less than 32 characters and only consist of alphanumeric characters or underscores.',
    );
  } else if (RESERVED_KEYWORDS.has(name.toLowerCase())) {
    // The literal "%s" really is in the 25.x output (the format string is never filled in).
    add(v, 'alias.name', 'The name cannot be the internally reserved keyword "%s".');
  } else if (SERVICE_OR_PROTOCOL_NAMES.has(name.toLowerCase())) {
    add(v, 'alias.name', 'Reserved protocol or service names may not be used');
  } else {
    const taken =
      Object.entries(ctx.config.aliases).some(([u, a]) => u !== uuid && a.name === name) ||
      builtinAliases(ctx.interfaces).some((a) => a.name === name);
    if (taken) add(v, 'alias.name', 'An alias with this name already exists.');
  }
  if (alias.type === '') add(v, 'alias.type', 'A value is required.');
  else if (!(alias.type in ALIAS_TYPE_LABELS) || (alias.type === 'urljson' && !ctx.features.advancedFields)) {
    add(v, 'alias.type', 'Option not in list.');
  } else if (alias.content !== '') {
    for (const entry of alias.content.split('\n')) {
      if (!validContentEntry(ctx, alias.type, entry, name))
        add(v, 'alias.content', contentMessage(alias.type, entry));
    }
  }
  if (alias.counters !== '' && !isBoolean(alias.counters))
    add(v, 'alias.counters', 'Value should be a boolean (0,1).');
  if (Buffer.byteLength(alias.description) > 255) {
    add(v, 'alias.description', 'Description should be a string between 1 and 255 characters.');
  }
  return v;
}

/** Alias::whereUsed: MVC rule net/port fields (comma lists) and nested alias contents (newline lists). */
export function aliasUses(config: OpnConfig, name: string): string[] {
  const uses: string[] = [];
  Object.values(config.rules).forEach((rule, index) => {
    for (const ref of ruleRefs(rule)) {
      // MVC rules use `description`, the lookup reads `descr`: the description part is always empty.
      if (ref.value === name) uses.push(`[OPNsense.Firewall.Filter.rules.rule.${index}/${ref.field}] `);
    }
  });
  Object.values(config.aliases).forEach((alias, index) => {
    if (alias.type === 'geoip' || alias.type === 'urltable') return;
    if (alias.content.split('\n').includes(name)) {
      uses.push(`[OPNsense.Firewall.Alias.aliases.alias.${index}/content] ${alias.description}`);
    }
  });
  return uses;
}

// -------------------------------------------------------------------------------------------------- rendering

export type OptionMap = Record<string, { value: string; selected: 0 | 1 }>;

export function optionMap(labels: Record<string, string>, selected: string[], blank?: string): OptionMap {
  const out: OptionMap = {};
  if (blank !== undefined) out[''] = { value: blank, selected: selected.length === 0 ? 1 : 0 };
  for (const [key, value] of Object.entries(labels))
    out[key] = { value, selected: selected.includes(key) ? 1 : 0 };
  return out;
}

export interface RenderContext {
  features: OpnFeatures;
  interfaces: InterfaceDef[];
}

function list(value: string): string[] {
  return value === '' ? [] : value.split(',');
}

/** BaseField::getNodes shape of a rule: option fields as `{key:{value,selected}}`, the rest as strings. */
export function renderRuleNode(rule: Fields, ctx: RenderContext): Record<string, unknown> {
  const out: Record<string, unknown> = { ...rule };
  out.action = optionMap(ACTION_LABELS, [rule.action]);
  out.direction = optionMap(DIRECTION_LABELS, [rule.direction]);
  out.ipprotocol = optionMap(ipprotocolLabels(ctx.features), [rule.ipprotocol]);
  out.protocol = optionMap(Object.fromEntries(protocolOptions(ctx.features).map((p) => [p, p])), [
    rule.protocol,
  ]);
  out.interface = optionMap(
    Object.fromEntries(ctx.interfaces.map((i) => [i.id, i.descr])),
    list(rule.interface),
  );
  out.gateway = optionMap({}, list(rule.gateway), 'default');
  out.categories = optionMap({}, list(rule.categories));
  if (ctx.features.advancedFields) {
    out.statetype = optionMap(Object.fromEntries(STATETYPES.map((s) => [s, s])), [rule.statetype]);
    out.icmptype = optionMap(Object.fromEntries(ICMPTYPES.map((s) => [s, s])), list(rule.icmptype));
  }
  return out;
}

/** Labels as `getDescription()` gives them (the searchRule rows of older versions). */
export function ruleLabel(field: string, rule: Fields, ctx: RenderContext): string {
  const value = rule[field] ?? '';
  if (field === 'action') return ACTION_LABELS[value] ?? value;
  if (field === 'direction') return DIRECTION_LABELS[value] ?? value;
  if (field === 'ipprotocol') return ipprotocolLabels(ctx.features)[value] ?? value;
  if (field === 'interface') {
    return list(value)
      .map((id) => ctx.interfaces.find((i) => i.id === id)?.descr ?? id)
      .join(',');
  }
  return value;
}

/** getItem shape: `content` lists the selected entries PLUS every other alias name with selected 0. */
export function renderAliasItem(
  alias: Fields,
  allNames: string[],
  ctx: RenderContext,
): Record<string, unknown> {
  const out = renderAliasNode(alias, ctx);
  const content: Record<string, { value: string; selected: 0 | 1; description?: string }> = {};
  for (const entry of list(alias.content.replace(/\n/g, ','))) content[entry] = { value: entry, selected: 1 };
  for (const name of allNames) {
    if (!(name in content) && name !== alias.name)
      content[name] = { value: name, selected: 0, description: name };
  }
  out.content = content;
  return out;
}

/** `get` shape: `content` lists only the selected entries. */
export function renderAliasNode(alias: Fields, ctx: RenderContext): Record<string, unknown> {
  const content: Record<string, { value: string; selected: 1 }> = {};
  for (const entry of alias.content === '' ? [] : alias.content.split('\n'))
    content[entry] = { value: entry, selected: 1 };
  return {
    ...alias,
    type: optionMap(ALIAS_TYPE_LABELS, [alias.type]),
    proto: optionMap({ IPv4: 'IPv4', IPv6: 'IPv6' }, list(alias.proto)),
    interface: optionMap(
      Object.fromEntries(ctx.interfaces.map((i) => [i.id, i.descr])),
      list(alias.interface),
      'None',
    ),
    categories: optionMap({}, list(alias.categories)),
    content,
  };
}
