import { isIP, isIPv4, isIPv6 } from 'node:net';
import { PfApiError, type Json, type JsonObject } from './envelope';
import type { PortForwardRecord } from './nat';

/**
 * FirewallAlias and FirewallRule models of pfSense-pkg-RESTAPI v2, with the validations the reference documents
 * (field order, then model-specific checks) and their response ids.
 */

export interface AliasRecord {
  name: string;
  type: string;
  descr: string;
  address: string[];
  detail: string[];
}

export interface RuleRecord {
  type: string;
  interface: string[];
  ipprotocol: string;
  protocol: string | null;
  icmptype: string[] | null;
  source: string;
  source_port: string | null;
  destination: string;
  destination_port: string | null;
  descr: string;
  disabled: boolean;
  log: boolean;
  tag: string;
  statetype: string;
  tcp_flags_any: boolean;
  tcp_flags_out_of: string[] | null;
  tcp_flags_set: string[] | null;
  gateway: string | null;
  sched: string | null;
  dnpipe: string | null;
  pdnpipe: string | null;
  defaultqueue: string | null;
  ackqueue: string | null;
  floating: boolean;
  quick: boolean | null;
  direction: string | null;
  tracker: number;
  associated_rule_id: string | null;
  created_time: number;
  updated_time: number;
  created_by: string;
  updated_by: string;
}

export interface PfConfig {
  aliases: AliasRecord[];
  rules: RuleRecord[];
  /** `nat/rule`: port forwards (R/Models/PortForward.inc `config_path`), see nat.ts. */
  nat: PortForwardRecord[];
}

export interface ModelContext {
  config: PfConfig;
  /** Interface ids (`wan`, `lan`, `opt1`...). */
  interfaces: string[];
  /**
   * How the API names interfaces (`represent_interfaces_as`): maps an interface id to what requests send and reads
   * show. Identity for `id` (and for GUI edits, which work with ids).
   */
  representInterface?: (id: string) => string;
  /** Interface groups / CARP VIPs accepted as rule interfaces as they are. */
  extraInterfaceChoices?: string[];
  /** `user@ip (API)`. */
  actor: string;
  now: () => number;
}

/** Names that are never model fields (R/Core/Globals.inc) plus the other control parameters. */
export const CONTROL_PARAMS = new Set([
  'id',
  'parent_id',
  '_links',
  'apply',
  'async',
  'limit',
  'offset',
  'extra',
  'placement',
  'append',
  'remove',
  'reverse',
  'sort_by',
  'sort_order',
  'sort_flags',
  'dry_run',
  'all',
]);

const RULE_TYPES = ['pass', 'block', 'reject'];
const IP_PROTOCOLS = ['inet', 'inet6', 'inet46'];
const PROTOCOLS = [
  'tcp',
  'udp',
  'tcp/udp',
  'icmp',
  'esp',
  'ah',
  'gre',
  'ipv6',
  'igmp',
  'pim',
  'ospf',
  'carp',
  'pfsync',
];
const PORT_PROTOCOLS = ['tcp', 'udp', 'tcp/udp'];
const ICMP_TYPES = [
  'any',
  'althost',
  'dataconv',
  'echorep',
  'echoreq',
  'inforep',
  'inforeq',
  'ipv6-here',
  'ipv6-where',
  'maskrep',
  'maskreq',
  'mobredir',
  'mobregrep',
  'mobregreq',
  'paramprob',
  'photuris',
  'redir',
  'routeradv',
  'routersol',
  'skip',
  'squench',
  'timerep',
  'timereq',
  'timex',
  'trace',
  'unreach',
];
const STATE_TYPES = ['keep state', 'sloppy state', 'synproxy state', 'none'];
const TCP_FLAGS = ['fin', 'syn', 'rst', 'psh', 'ack', 'urg', 'ece', 'cwr'];
const DIRECTIONS = ['any', 'in', 'out'];
const ALIAS_TYPES = ['host', 'network', 'port'];

/** pf reserved words (`get_pf_reserved()`), compared case-sensitively (`in_array` in FilterNameValidator). */
const RESERVED_NAMES = new Set([
  'all',
  'any',
  'pass',
  'block',
  'reject',
  'in',
  'out',
  'on',
  'from',
  'to',
  'port',
  'proto',
  'table',
  'self',
  'sshguard',
  'sshlockout',
  'webConfiguratorlockout',
  'virusprot',
  'bogons',
  'bogonsv6',
  'snort2c',
  'IPsec',
  'egress',
  'enc0',
  'lo0',
  'pflog0',
  'pfsync0',
  'openvpn',
  'pppoe',
  'l2tp',
  'carp',
  'pfsync',
  'vpn_networks',
  'negate_networks',
  'tonatsubnets',
  'user',
  'group',
  'label',
  'tag',
  'tagged',
  'keep',
  'state',
  'quick',
  'log',
  'inet',
  'inet6',
  'icmp-type',
  'flags',
  'scrub',
  'nat',
  'rdr',
  'binat',
  'anchor',
  'queue',
  'altq',
]);

/** getservbyname()/getprotobyname() names: not valid alias names, but valid ports (services). */
const SERVICE_PORTS: Record<string, number> = {
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
  mysql: 3306,
  'ms-wbt-server': 3389,
};
const PROTOCOL_NAMES = [
  'ip',
  'icmp',
  'igmp',
  'ggp',
  'tcp',
  'udp',
  'gre',
  'esp',
  'ah',
  'ipv6',
  'ospf',
  'pim',
  'carp',
  'pfsync',
  'sctp',
];

export function fail(code: number, id: string, message: string): never {
  throw new PfApiError(code, id, message);
}

export const req = (field: string): never =>
  fail(400, 'FIELD_IS_REQUIRED', `Field \`${field}\` is required.`);
export const badType = (field: string, type: string): never =>
  fail(400, 'FIELD_INVALID_TYPE', `Field \`${field}\` must be of type \`${type}\`.`);
export const badChoice = (field: string, choices: string[]): never =>
  fail(400, 'FIELD_INVALID_CHOICE', `Field \`${field}\` must be one of [${choices.join(', ')}]`);

export function str(
  field: string,
  value: Json | undefined,
  opts: { required?: boolean; nullable?: boolean } = {},
): string | null {
  if (value === undefined || value === null) {
    if (opts.required) req(field);
    return null;
  }
  if (typeof value !== 'string') badType(field, 'string');
  return value as string;
}

export function bool(field: string, value: Json | undefined, fallback: boolean): boolean {
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'boolean') badType(field, 'boolean');
  return value as boolean;
}

function stringArray(
  field: string,
  value: Json | undefined,
  opts: { allowEmpty: boolean; required?: boolean },
): string[] | null {
  if (value === undefined || value === null) {
    if (opts.required) req(field);
    return null;
  }
  if (!Array.isArray(value)) {
    fail(400, 'FIELD_INVALID_MANY_VALUE', `Field \`${field}\` must be an array of values.`);
  }
  const arr = value;
  if (arr.length === 0 && !opts.allowEmpty)
    fail(400, 'FIELD_EMPTY_NOT_ALLOWED', `Field \`${field}\` cannot be empty.`);
  if (arr.length > 65535)
    fail(
      400,
      'LENGTH_VALIDATOR_MAXIMUM_CONSTRAINT',
      `Field \`${field}\` exceeds the maximum of 65535 values.`,
    );
  return arr.map((v) => {
    if (typeof v !== 'string') badType(field, 'string');
    return v as string;
  });
}

/** A port field's single port as a number (digits or a service name such as `https`), else null. */
export function portNumber(value: string): number | null {
  if (/^\d+$/.test(value)) return Number(value);
  return SERVICE_PORTS[value.toLowerCase()] ?? null;
}

export function isPort(value: string): boolean {
  if (/^\d+$/.test(value)) {
    const n = Number(value);
    return n >= 1 && n <= 65535;
  }
  return Object.prototype.hasOwnProperty.call(SERVICE_PORTS, value.toLowerCase());
}

/** pfSense is_portrange(): `a:b`, split on colon only (a dash is NOT a range). */
export function isPortOrRange(value: string): boolean {
  const parts = value.split(':');
  if (parts.length === 1) return isPort(value);
  if (parts.length !== 2) return false;
  return isPort(parts[0]) && isPort(parts[1]);
}

export function isCidr(value: string): boolean {
  const slash = value.indexOf('/');
  if (slash === -1) return false;
  const ip = value.slice(0, slash);
  const bits = value.slice(slash + 1);
  if (!/^\d{1,3}$/.test(bits)) return false;
  if (isIPv4(ip)) return Number(bits) <= 32;
  if (isIPv6(ip)) return Number(bits) <= 128;
  return false;
}

function isFqdn(value: string): boolean {
  return (
    value.length <= 253 &&
    /^([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/.test(
      value,
    ) &&
    !/^\d+$/.test(value)
  );
}

export function findAlias(config: PfConfig, name: string): AliasRecord | undefined {
  return config.aliases.find((a) => a.name === name);
}

// ------------------------------------------------------------------------------------------------ FirewallAlias

/**
 * Validates and builds an alias from a request (create, or PATCH overlay when `existing` is given).
 * `selfIndex` excludes the alias itself from uniqueness and self-reference checks.
 */
export function buildAlias(
  input: JsonObject,
  ctx: ModelContext,
  existing?: AliasRecord,
  selfIndex?: number,
): AliasRecord {
  const merged: JsonObject = existing ? { ...(existing as unknown as JsonObject) } : {};
  for (const [k, v] of Object.entries(input)) if (!CONTROL_PARAMS.has(k)) merged[k] = v;

  const name = str('name', merged.name, { required: true })!;
  if (existing && name !== existing.name) {
    fail(
      400,
      'FIELD_VALUE_CHANGED_WHEN_NOT_EDITABLE',
      `Field \`name\` cannot be changed once it has been set.`,
    );
  }
  validateAliasName(name, ctx);
  const dupIndex = ctx.config.aliases.findIndex((a, i) => a.name === name && i !== selfIndex);
  if (dupIndex !== -1) {
    fail(
      400,
      'FIELD_MUST_BE_UNIQUE',
      `Field \`name\` must be unique. Value \`${name}\` is already in use by object with ID \`${dupIndex}\`.`,
    );
  }
  const type = str('type', merged.type, { required: true })!;
  if (!ALIAS_TYPES.includes(type)) badChoice('type', ALIAS_TYPES);
  const descr = str('descr', merged.descr) ?? '';
  const address = stringArray('address', merged.address, { allowEmpty: true }) ?? [];
  const detail = stringArray('detail', merged.detail, { allowEmpty: true }) ?? [];

  for (const entry of address) {
    const other = entry !== name ? findAlias(ctx.config, entry) : undefined;
    if (type === 'host') {
      if (!(isIP(entry) !== 0 || isFqdn(entry) || (other && other.type !== 'port'))) {
        fail(
          400,
          'INVALID_HOST_ALIAS_ADDRESS',
          `Host alias address \`${entry}\` must be a valid IP address, FQDN, or non-port alias.`,
        );
      }
    } else if (type === 'network') {
      if (!(isCidr(entry) || (isFqdn(entry) && isIP(entry) === 0) || (other && other.type !== 'port'))) {
        fail(
          400,
          'INVALID_NETWORK_ALIAS_ADDRESS',
          `Network alias address \`${entry}\` must be a valid CIDR, FQDN, or non-port alias.`,
        );
      }
    } else if (!(isPortOrRange(entry) || (other && other.type === 'port'))) {
      fail(
        400,
        'INVALID_PORT_ALIAS_ADDRESS',
        `Port alias address \`${entry}\` must be a valid port, port range, or port alias.`,
      );
    }
  }
  if (detail.length > address.length) {
    fail(400, 'TOO_MANY_ALIAS_DETAILS', 'An alias cannot have more details than addresses.');
  }
  const filled = [...detail];
  while (filled.length < address.length) filled.push(`Entry added ${new Date(ctx.now()).toUTCString()}`);
  return { name, type, descr, address, detail: filled };
}

/**
 * Order and ids as on the device (vendor-conformance §7): `maximum_length: 31` (R/Models/FirewallAlias.inc L29-37)
 * fails first with LENGTH_VALIDATOR_MAXIMUM_CONSTRAINT (R/Validators/LengthValidator.inc L50); then
 * FilterNameValidator (R/Validators/FilterNameValidator.inc L24-85, case-sensitive, its own FILTER_NAME_VALIDATOR_*
 * ids); then `validate_name` → pfSense `is_validaliasname` (INVALID_FIREWALL_ALIAS_NAME, FirewallAlias.inc L85-95).
 */
function validateAliasName(name: string, ctx: ModelContext): void {
  if (name.length > 31) {
    fail(
      400,
      'LENGTH_VALIDATOR_MAXIMUM_CONSTRAINT',
      `Field \`name\` exceeds the maximum length of 31 characters.`,
    );
  }
  if (!/^[A-Za-z0-9_]+$/.test(name)) {
    fail(
      400,
      'FILTER_NAME_VALIDATOR_INVALID_CHARACTERS',
      `Field \`name\` contains invalid characters. Only alphanumeric characters and underscores are allowed.`,
    );
  }
  if (RESERVED_NAMES.has(name)) {
    fail(
      400,
      'FILTER_NAME_VALIDATOR_RESERVED_NAME_USED',
      `Field \`name\` cannot use reserved name \`${name}\`.`,
    );
  }
  if (name.startsWith('pkg_')) {
    fail(400, 'FILTER_NAME_VALIDATOR_CANNOT_START_WITH_PKG', `Field \`name\` cannot start with 'pkg_'.`);
  }
  if (/^\d+$/.test(name)) {
    fail(400, 'FILTER_NAME_VALIDATOR_CANNOT_BE_NUMERICAL', `Field \`name\` cannot be numerical.`);
  }
  if (ctx.interfaces.includes(name)) {
    fail(
      400,
      'FILTER_NAME_VALIDATOR_NAME_IN_USE_BY_INTERFACE',
      `Field \`name\` cannot be \`${name}\` because it is in use by an existing interface.`,
    );
  }
  const lower = name.toLowerCase();
  if (
    /^_+$/.test(name) ||
    lower === 'port' ||
    lower === 'pass' ||
    Object.prototype.hasOwnProperty.call(SERVICE_PORTS, lower) ||
    PROTOCOL_NAMES.includes(lower)
  ) {
    fail(400, 'INVALID_FIREWALL_ALIAS_NAME', `Field \`name\` value \`${name}\` is not a valid alias name.`);
  }
}

// ------------------------------------------------------------------------------------------------- FirewallRule

const READ_ONLY_RULE_FIELDS = ['tracker', 'associated_rule_id', 'created_time', 'created_by'] as const;

export function buildRule(input: JsonObject, ctx: ModelContext, existing?: RuleRecord): RuleRecord {
  if (existing) {
    for (const f of READ_ONLY_RULE_FIELDS) {
      if (input[f] !== undefined && input[f] !== existing[f]) {
        fail(
          400,
          'FIELD_VALUE_CHANGED_WHEN_NOT_EDITABLE',
          `Field \`${f}\` cannot be changed once it has been set.`,
        );
      }
    }
    if (input.floating !== undefined && input.floating !== existing.floating) {
      fail(
        400,
        'FIELD_VALUE_CHANGED_WHEN_NOT_EDITABLE',
        'Field `floating` cannot be changed once it has been set.',
      );
    }
  }
  const m: JsonObject = existing ? { ...(existing as unknown as JsonObject) } : {};
  for (const [k, v] of Object.entries(input)) {
    if (CONTROL_PARAMS.has(k) || (READ_ONLY_RULE_FIELDS as readonly string[]).includes(k)) continue;
    if (k === 'updated_time' || k === 'updated_by') continue;
    m[k] = v;
  }

  const type = str('type', m.type, { required: true })!;
  if (!RULE_TYPES.includes(type)) badChoice('type', RULE_TYPES);

  // InterfaceField: choices are the interfaces as `represent_interfaces_as` names them (R/Fields/InterfaceField.inc
  // L112, get_interface_choices; vendor-conformance P14); stored as ids. Built-ins keep their names.
  const repr = ctx.representInterface ?? ((id: string) => id);
  const byRepr = new Map(ctx.interfaces.map((id) => [repr(id), id]));
  for (const builtin of ['any', 'enc0', 'openvpn', ...(ctx.extraInterfaceChoices ?? [])])
    byRepr.set(builtin, builtin);
  const ifChoices = [...byRepr.keys()];
  const given = stringArray('interface', m.interface, { allowEmpty: false, required: true })!;
  for (const i of given) if (!byRepr.has(i)) badChoice('interface', ifChoices);
  const iface = given.map((i) => byRepr.get(i)!);

  const ipprotocol = str('ipprotocol', m.ipprotocol, { required: true })!;
  if (!IP_PROTOCOLS.includes(ipprotocol)) badChoice('ipprotocol', IP_PROTOCOLS);

  const protocol = str('protocol', m.protocol, { nullable: true });
  if (protocol !== null && !PROTOCOLS.includes(protocol)) badChoice('protocol', PROTOCOLS);

  let icmptype: string[] | null = null;
  if (protocol === 'icmp') {
    icmptype = stringArray('icmptype', m.icmptype, { allowEmpty: false }) ?? ['any'];
    for (const t of icmptype) if (!ICMP_TYPES.includes(t)) badChoice('icmptype', ICMP_TYPES);
  }
  const portsApply = protocol !== null && PORT_PROTOCOLS.includes(protocol);

  const source = str('source', m.source, { required: true })!;
  validateFilterAddress('source', source, ctx);
  const source_port = portsApply ? validatePortField('source_port', m.source_port, ctx) : null;
  const destination = str('destination', m.destination, { required: true })!;
  validateFilterAddress('destination', destination, ctx);
  const destination_port = portsApply ? validatePortField('destination_port', m.destination_port, ctx) : null;

  const descr = str('descr', m.descr) ?? '';
  if (descr.length > 1024) {
    fail(400, 'LENGTH_VALIDATOR_MAXIMUM_CONSTRAINT', 'Field `descr` exceeds the maximum length of 1024.');
  }
  const disabled = bool('disabled', m.disabled, false);
  const log = bool('log', m.log, false);
  const tag = str('tag', m.tag) ?? '';
  const statetype = str('statetype', m.statetype) ?? 'keep state';
  if (!STATE_TYPES.includes(statetype)) badChoice('statetype', STATE_TYPES);
  const tcp_flags_any = bool('tcp_flags_any', m.tcp_flags_any, false);
  let tcp_flags_out_of: string[] | null = null;
  let tcp_flags_set: string[] | null = null;
  if (!tcp_flags_any) {
    tcp_flags_out_of = stringArray('tcp_flags_out_of', m.tcp_flags_out_of, { allowEmpty: true });
    tcp_flags_set = stringArray('tcp_flags_set', m.tcp_flags_set, { allowEmpty: true });
    for (const f of [...(tcp_flags_out_of ?? []), ...(tcp_flags_set ?? [])]) {
      if (!TCP_FLAGS.includes(f)) badChoice('tcp_flags_out_of', TCP_FLAGS);
    }
  }
  const foreign = (field: string): string | null => {
    const v = str(field, m[field], { nullable: true });
    if (v !== null && v !== '') {
      fail(
        404,
        'FOREIGN_MODEL_FIELD_VALUE_NOT_FOUND',
        `Field \`${field}\` could not locate an existing object with value \`${v}\`.`,
      );
    }
    return null;
  };
  const gateway = foreign('gateway');
  const sched = foreign('sched');
  const dnpipe = foreign('dnpipe');
  const pdnpipe = foreign('pdnpipe');
  const defaultqueue = foreign('defaultqueue');
  const ackqueue = foreign('ackqueue');

  const floating = bool('floating', m.floating, false);
  let quick: boolean | null = null;
  let direction: string | null = null;
  if (floating) {
    quick = bool('quick', m.quick, false);
    direction = str('direction', m.direction) ?? 'any';
    if (!DIRECTIONS.includes(direction)) badChoice('direction', DIRECTIONS);
  }
  if (statetype === 'synproxy state' && protocol !== 'tcp') {
    fail(
      400,
      'FIREWALL_RULE_SYNPROXY_STATE_TYPE_WITH_NON_TCP_PROTOCOL',
      'Field `statetype` cannot be `synproxy state` unless `protocol` is `tcp`.',
    );
  }
  if (iface.length > 1 && !floating) {
    fail(
      400,
      'FIREWALL_RULE_MULTIPLE_INTERFACE_WITHOUT_FLOATING',
      'Field `interface` cannot contain more than one value unless `floating` is enabled.',
    );
  }

  const now = Math.floor(ctx.now() / 1000);
  return {
    type,
    interface: iface,
    ipprotocol,
    protocol,
    icmptype,
    source,
    source_port,
    destination,
    destination_port,
    descr,
    disabled,
    log,
    tag,
    statetype,
    tcp_flags_any,
    tcp_flags_out_of,
    tcp_flags_set,
    gateway,
    sched,
    dnpipe,
    pdnpipe,
    defaultqueue,
    ackqueue,
    floating,
    quick,
    direction,
    tracker: existing?.tracker ?? now,
    associated_rule_id: existing?.associated_rule_id ?? null,
    created_time: existing?.created_time ?? now,
    updated_time: now,
    created_by: existing?.created_by ?? ctx.actor,
    updated_by: ctx.actor,
  };
}

/** FilterAddressField: any, IP, CIDR, non-port alias, (self), l2tp, pppoe, interface, `iface:ip`, `!` inversion. */
export function validateFilterAddress(field: string, value: string, ctx: ModelContext): void {
  const inverted = value.startsWith('!');
  const body = inverted ? value.slice(1) : value;
  if (inverted && body === 'any') {
    fail(400, 'FILTER_RULE_ADDRESS_FIELD_WITH_INVERT_ANY', `Field \`${field}\` cannot invert \`any\`.`);
  }
  const alias = findAlias(ctx.config, body);
  const ok =
    body === 'any' ||
    isIP(body) !== 0 ||
    isCidr(body) ||
    (alias !== undefined && alias.type !== 'port') ||
    body === '(self)' ||
    body === 'l2tp' ||
    body === 'pppoe' ||
    ctx.interfaces.includes(body) ||
    (body.endsWith(':ip') && ctx.interfaces.includes(body.slice(0, -3)));
  if (!ok) {
    fail(
      400,
      'FILTER_ADDRESS_FIELD_INVALID',
      `Field \`${field}\` must be a valid IP address, subnet, alias, or interface. Received \`${value}\`.`,
    );
  }
}

/** Port fields: a string (numbers are a type error), a port, an `a:b` range, or a port alias; null = any. */
export function validatePortField(field: string, value: Json | undefined, ctx: ModelContext): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') badType(field, 'string');
  const v = value as string;
  const alias = findAlias(ctx.config, v);
  if (!(isPortOrRange(v) || (alias !== undefined && alias.type === 'port'))) {
    fail(
      400,
      'PORT_FIELD_INVALID',
      `Field \`${field}\` must be a valid port, port range, or port alias. Received \`${v}\`.`,
    );
  }
  return v;
}

/** Every field is always present in responses, plus `id`. */
export function renderRule(
  rule: RuleRecord,
  id: number,
  representInterface?: (id: string) => string,
): JsonObject {
  const out: JsonObject = { id, ...(rule as unknown as JsonObject) };
  if (representInterface) out.interface = rule.interface.map((i) => representInterface(i));
  return out;
}

export function renderAlias(alias: AliasRecord, id: number): JsonObject {
  return { id, ...(alias as unknown as JsonObject) };
}

export const RULE_FIELDS = new Set(Object.keys(renderRule(emptyRuleForFields(), 0)));
export const ALIAS_FIELDS = new Set(['id', 'name', 'type', 'descr', 'address', 'detail']);

function emptyRuleForFields(): RuleRecord {
  return {
    type: '',
    interface: [],
    ipprotocol: '',
    protocol: null,
    icmptype: null,
    source: '',
    source_port: null,
    destination: '',
    destination_port: null,
    descr: '',
    disabled: false,
    log: false,
    tag: '',
    statetype: '',
    tcp_flags_any: false,
    tcp_flags_out_of: null,
    tcp_flags_set: null,
    gateway: null,
    sched: null,
    dnpipe: null,
    pdnpipe: null,
    defaultqueue: null,
    ackqueue: null,
    floating: false,
    quick: null,
    direction: null,
    tracker: 0,
    associated_rule_id: null,
    created_time: 0,
    updated_time: 0,
    created_by: '',
    updated_by: '',
  };
}

/** Alias names referenced by a rule's address and port fields. */
export function ruleAliasRefs(rule: RuleRecord): string[] {
  return [rule.source, rule.destination, rule.source_port, rule.destination_port]
    .filter((v): v is string => typeof v === 'string')
    .map((v) => (v.startsWith('!') ? v.slice(1) : v));
}
