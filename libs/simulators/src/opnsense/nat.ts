import { BlockList, isIP } from 'node:net';
import type { SimPacket, SimVerdict } from '../core/packet-trace';
import {
  optionMap,
  PROTOCOLS,
  sortedRuleUuids,
  WELL_KNOWN_PORTS,
  type Fields,
  type InterfaceDef,
  type ModelContext,
  type OpnConfig,
  type Validations,
} from './models';
import type { OpnFeatures } from './version';

/**
 * Destination NAT (port forward) model of OPNsense 26.1+, `OPNsense\Firewall\DNat` (mounted at `/nat/rule+`, i.e.
 * the same config.xml section the legacy port-forward pages used). Sources (opnsense/core, tags 26.1 … 26.7.2):
 *   DNX = src/opnsense/mvc/app/models/OPNsense/Firewall/DNat.xml, DNP = …/Firewall/DNat.php,
 *   DNC = src/opnsense/mvc/app/controllers/OPNsense/Firewall/Api/DNatController.php,
 *   FWD = src/opnsense/mvc/app/library/OPNsense/Firewall/ForwardRule.php (how a rule becomes a pf `rdr`),
 *   FIL = src/etc/inc/filter.inc (26.1 L256-258: every DNat rule, by `sequence`, is registered as a forward rule on
 *   each `filter reload`), FLIB = src/etc/inc/filter.lib.inc (26.1 L640-670: `pass = rule` registers a filter rule
 *   at priority 500000, after every interface rule).
 * Stored flat (`destination.network`), like the rows of `searchRule`; rendered nested for `get`/`getRule`.
 */

export const NAT_DEFAULTS: Fields = {
  // DNatSequenceField (AutoNumberField): a new rule without one gets max(existing)+100 (FieldTypes/DNatSequenceField.php).
  sequence: '',
  // BooleanField default "0" (Base/FieldTypes/BooleanField.php L47-48 at 26.1).
  disabled: '0',
  nordr: '0',
  interface: '',
  // DNX: ipprotocol and protocol are optional, blank = any ("XXX: currently optional").
  ipprotocol: '',
  protocol: '',
  'source.network': '',
  'source.port': '',
  'source.not': '0',
  'destination.network': '',
  'destination.port': '',
  'destination.not': '0',
  target: '',
  'local-port': '',
  poolopts: '',
  log: '0',
  category: '',
  descr: '',
  tag: '',
  tagged: '',
  nosync: '0',
  natreflection: '',
  pass: '',
  'created.username': '',
  'created.time': '',
  'created.description': '',
  'updated.username': '',
  'updated.time': '',
  'updated.description': '',
};

/** Containers of the model; BaseField::setNodes recurses into them (a flat `"source.network"` key is ignored). */
const CONTAINERS = ['source', 'destination'];
/** DNC addRule/setRule drop `created`; setBaseHook overwrites `updated` (DNC L58-68). */
const CONTROLLER_OWNED = ['created', 'updated'];

const POOLOPTS: Record<string, string> = {
  'round-robin': 'Round Robin',
  'round-robin sticky-address': 'Round Robin with Sticky Address',
  random: 'Random',
  'random sticky-address': 'Random with Sticky Address',
  'source-hash': 'Source Hash',
  bitmask: 'Bitmask',
};
const NATREFLECTION: Record<string, string> = { purenat: 'Enable', disable: 'Disable' };
/** DNX `pass`: blank "Manual" (the admin adds the filter rule), `pass` (pf `rdr pass`), `rule` ("Register rule"). */
const PASS: Record<string, string> = { pass: 'Pass', rule: 'Register rule' };
const IPPROTOCOL: Record<string, string> = { inet: 'IPv4', inet6: 'IPv6', inet46: 'IPv4+IPv6' };

/** ProtocolField with `<ChangeCase>lower</ChangeCase>` and the extra `TCP/UDP` option (DNX, 26.1+). */
export function natProtocolOptions(): string[] {
  return ['any', ...PROTOCOLS.map((p) => p.toLowerCase()), 'tcp/udp'];
}

export class NatPhpWarning extends Error {}

/**
 * BaseField::setNodes on one DNat rule: known leaves only, containers recursed, nulls skipped, scalars cast to
 * string; an array for a leaf is a PHP "Array to string conversion" warning (→ 500). Volatile `address` is never
 * written back (DNX comment), `created`/`updated` are the controller's.
 */
export function setNatNodes(node: Fields, input: Record<string, unknown>): void {
  const setLeaf = (key: string, value: unknown): void => {
    if (!(key in node) || value === null || value === undefined) return;
    if (typeof value === 'boolean') node[key] = value ? '1' : '';
    else if (typeof value === 'string' || typeof value === 'number') node[key] = String(value);
    else throw new NatPhpWarning('Array to string conversion');
  };
  for (const [key, value] of Object.entries(input)) {
    if (CONTROLLER_OWNED.includes(key)) continue;
    if (CONTAINERS.includes(key)) {
      if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
        for (const [sub, v] of Object.entries(value as Record<string, unknown>)) setLeaf(`${key}.${sub}`, v);
      }
      continue;
    }
    // Stored flat, but `destination.port` is no node name of the model: such a key is ignored.
    if (!key.includes('.')) setLeaf(key, value);
  }
  // ProtocolField ChangeCase lower (DNX `<ChangeCase>lower</ChangeCase>`, core commit 33e296120f, in 26.1).
  node.protocol = node.protocol.toLowerCase();
}

function add(v: Validations, key: string, message: string): void {
  const prev = v[key];
  if (prev === undefined) v[key] = message;
  else if (Array.isArray(prev)) {
    if (!prev.includes(message)) v[key] = [...prev, message];
  } else if (prev !== message) v[key] = [prev, message];
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

function aliasNamed(config: OpnConfig, name: string): Fields | undefined {
  return Object.values(config.aliases).find((a) => a.name === name);
}

/**
 * NetworkAliasField (Base/FieldTypes/NetworkAliasField.php at 26.1): ONE value (no Multiple in DNX): `any`,
 * `(self)`, an interface id (its network) or `<id>ip` (its address), a non-port alias, or an IP/CIDR. The message
 * is the field type's default, "… is not a valid source IP address or alias.", for destination and target too.
 */
function validNet(ctx: ModelContext, value: string): boolean {
  if (value === '' || value === 'any' || value === '(self)' || isIpOrCidr(value)) return true;
  if (ctx.interfaces.some((i) => i.id === value || `${i.id}ip` === value)) return true;
  const alias = aliasNamed(ctx.config, value);
  return alias !== undefined && alias.type !== 'port';
}

/**
 * PortField (Base/FieldTypes/PortField.php at 26.1): 1-65535, `a-b` with a < b when ranges are enabled, `any` and
 * well-known service names when enabled, port aliases when enabled.
 */
function validPort(
  ctx: ModelContext,
  value: string,
  opts: { ranges: boolean; wellKnown: boolean; alias: boolean },
): boolean {
  if (value === '') return true;
  if (/^\d{1,5}$/.test(value)) return Number(value) >= 1 && Number(value) <= 65535;
  const range = /^(\d{1,5})-(\d{1,5})$/.exec(value);
  if (range) {
    const [a, b] = [Number(range[1]), Number(range[2])];
    return opts.ranges && a >= 1 && b <= 65535 && a < b;
  }
  if (opts.wellKnown && (value === 'any' || value in WELL_KNOWN_PORTS)) return true;
  const alias = opts.alias ? aliasNamed(ctx.config, value) : undefined;
  return alias !== undefined && alias.type === 'port';
}

/**
 * Field validators of DNX plus DNP's model checks (version-dependent, see OpnFeatures.nat*). Keys as
 * ApiMutableModelControllerBase::validate reports them for `setBase("rule", "rule", …)`: `rule.<path>`.
 */
export function validateNat(node: Fields, ctx: ModelContext): Validations {
  const v: Validations = {};
  const f: OpnFeatures = ctx.features;
  const k = (field: string): string => `rule.${field}`;
  const bool = (field: string): void => {
    if (node[field] !== '' && node[field] !== '0' && node[field] !== '1')
      add(v, k(field), 'Value should be a boolean (0,1).');
  };
  ['disabled', 'nordr', 'log', 'nosync', 'source.not', 'destination.not'].forEach(bool);

  // DNX sequence: Required, 1..999999.
  if (!/^\d+$/.test(node.sequence) || Number(node.sequence) < 1 || Number(node.sequence) > 999_999) {
    add(v, k('sequence'), 'Sequence shall be between 1 and 999999.');
  }
  // InterfaceField Multiple, lo0 filtered out; BaseListField "Option [%s] not in list." per item (L158 at 26.1).
  for (const item of node.interface === '' ? [] : node.interface.split(',')) {
    if (!ctx.interfaces.some((i) => i.id === item)) add(v, k('interface'), `Option [${item}] not in list.`);
  }
  const option = (field: string, options: string[]): void => {
    if (node[field] !== '' && !options.includes(node[field]))
      add(v, k(field), `Option [${node[field]}] not in list.`);
  };
  option('ipprotocol', Object.keys(IPPROTOCOL));
  option('protocol', natProtocolOptions());
  option('poolopts', Object.keys(POOLOPTS));
  option('natreflection', Object.keys(NATREFLECTION));
  option('pass', Object.keys(PASS));
  if (node.category !== '') add(v, k('category'), 'Related category not found.');

  for (const field of ['source.network', 'destination.network', 'target']) {
    if (!validNet(ctx, node[field]))
      add(v, k(field), `${node[field]} is not a valid source IP address or alias.`);
  }
  const portMessage = f.natPortMessagesV2
    ? 'Please specify a valid port number, well-known name, alias or range.'
    : 'Please specify a valid portnumber, name, alias or range.';
  for (const field of ['source.port', 'destination.port']) {
    if (!validPort(ctx, node[field], { ranges: true, wellKnown: true, alias: true }))
      add(v, k(field), portMessage);
  }
  // local-port: PortField without EnableRanges (one port; FWD extends it over a destination range).
  if (
    !validPort(ctx, node['local-port'], { ranges: false, wellKnown: f.natLocalPortWellKnown, alias: true })
  ) {
    add(
      v,
      k('local-port'),
      f.natPortMessagesV2
        ? 'Please specify a valid port number or alias.'
        : 'Please specify a valid portnumber, name, alias or range.',
    );
  }
  // DescriptionField: /^(.){1,255}$/ (bytes, no newline).
  if (node.descr !== '' && (Buffer.byteLength(node.descr) > 255 || /[\r\n]/.test(node.descr))) {
    add(v, k('descr'), 'Description should be a string between 1 and 255 characters.');
  }
  if (f.natModelChecks) {
    // DNP performValidation (26.1.4+).
    for (const field of ['source.port', 'destination.port', 'local-port']) {
      if (node[field] !== '' && !['tcp', 'udp', 'tcp/udp'].includes(node.protocol))
        add(v, k(field), 'Ports are only valid for TCP or UDP type rules.');
    }
    for (const field of ['source.network', 'destination.network', 'target']) {
      const value = node[field];
      if (!isIpOrCidr(value) || !['inet', 'inet6'].includes(node.ipprotocol)) continue;
      if ((value.includes(':') ? 'inet6' : 'inet') !== node.ipprotocol)
        add(v, k(field), 'Address type should match selected TCP/IP protocol version.');
    }
  }
  if (f.natNordrChecks && node.nordr === '1') {
    if (node.target !== '') add(v, k('target'), 'Target must be empty when No RDR is set.');
    if (node['local-port'] !== '') add(v, k('local-port'), 'Port must be empty when No RDR is set.');
  }
  return v;
}

/** DNatSequenceField::applyDefault: max(existing, 1) + 100. */
export function nextNatSequence(nat: Record<string, Fields>): string {
  const max = Math.max(1, ...Object.values(nat).map((r) => Number(r.sequence) || 0));
  return String(max + 100);
}

function list(value: string): string[] {
  return value === '' ? [] : value.split(',');
}

/**
 * BaseField::getNodes shape (`get`, `getRule`): option fields as `{key:{value,selected}}`, containers nested, the
 * network/port fields plain strings (NetworkAliasField/PortField::getNodeOptions return the value). The volatile
 * `address` mirrors `network` (NetworkMappedField::setValue copies a loaded value into both; derived).
 */
export function renderNatNode(node: Fields, interfaces: InterfaceDef[]): Record<string, unknown> {
  const side = (name: 'source' | 'destination'): Record<string, string> => ({
    network: node[`${name}.network`],
    address: node[`${name}.network`],
    port: node[`${name}.port`],
    not: node[`${name}.not`],
  });
  return {
    sequence: node.sequence,
    disabled: node.disabled,
    nordr: node.nordr,
    interface: optionMap(Object.fromEntries(interfaces.map((i) => [i.id, i.descr])), list(node.interface)),
    ipprotocol: optionMap(IPPROTOCOL, list(node.ipprotocol), 'any'),
    protocol: optionMap(
      Object.fromEntries(natProtocolOptions().map((p) => [p, p.toUpperCase()])),
      list(node.protocol),
      'any',
    ),
    source: side('source'),
    destination: side('destination'),
    target: node.target,
    'local-port': node['local-port'],
    poolopts: optionMap(POOLOPTS, list(node.poolopts), 'Default'),
    log: node.log,
    category: optionMap({}, list(node.category)),
    categories: '',
    descr: node.descr,
    tag: node.tag,
    tagged: node.tagged,
    nosync: node.nosync,
    natreflection: optionMap(NATREFLECTION, list(node.natreflection), 'Use system default'),
    pass: optionMap(PASS, list(node.pass), 'Manual'),
    'associated-rule-id': '',
    created: {
      username: node['created.username'],
      time: node['created.time'],
      description: node['created.description'],
    },
    updated: {
      username: node['updated.username'],
      time: node['updated.time'],
      description: node['updated.description'],
    },
  };
}

// --------------------------------------------------------------------------------------------------- packet trace

export interface TraceInput {
  applied: OpnConfig & { nat: Record<string, Fields> };
  interfaces: InterfaceDef[];
  features: OpnFeatures;
  /** Filter rules the last reload generated as disabled (missing alias). */
  inactiveRules: string[];
}

function cidrList(entries: string[]): BlockList {
  const list = new BlockList();
  for (const entry of entries) {
    const [ip, prefix] = entry.split('/');
    const family = isIP(ip);
    if (family === 0) continue;
    const type = family === 4 ? 'ipv4' : 'ipv6';
    if (prefix === undefined) list.addAddress(ip, type);
    else list.addSubnet(ip, Number(prefix), type);
  }
  return list;
}

/** Address entries a network value stands for (aliases resolved, nested ones too); null = any. */
function netEntries(value: string, input: TraceInput, seen = new Set<string>()): string[] | null {
  if (value === '' || value === 'any') return null;
  if (isIpOrCidr(value)) return [value];
  if (value === '(self)') return input.interfaces.flatMap((i) => (i.address ? [i.address] : []));
  for (const i of input.interfaces) {
    if (value === `${i.id}ip`) return i.address ? [i.address] : [];
    if (value === i.id || value === `__${i.id}_network`) return i.network ? [i.network] : [];
  }
  const alias = aliasNamed(input.applied, value);
  if (!alias || alias.type === 'port' || seen.has(value)) return [];
  seen.add(value);
  return alias.content
    .split('\n')
    .filter((e) => e !== '')
    .flatMap((e) => netEntries(e, input, seen) ?? ['0.0.0.0/0', '::/0']);
}

function netMatches(value: string, negate: boolean, ip: string, input: TraceInput): boolean {
  const entries = netEntries(value, input);
  const hit = entries === null || cidrList(entries).check(ip, isIP(ip) === 6 ? 'ipv6' : 'ipv4');
  return negate ? !hit : hit;
}

/** Port ranges a port value stands for (`a-b` or pf's `a:b`, names, port aliases); null = any. */
function portRanges(
  value: string,
  input: TraceInput,
  seen = new Set<string>(),
): Array<[number, number]> | null {
  if (value === '' || value === 'any') return null;
  const out: Array<[number, number]> = [];
  for (const item of value.split(',')) {
    const m = /^(\d+)(?:[-:](\d+))?$/.exec(item);
    if (m) {
      out.push([Number(m[1]), Number(m[2] ?? m[1])]);
      continue;
    }
    if (item in WELL_KNOWN_PORTS) {
      out.push([WELL_KNOWN_PORTS[item], WELL_KNOWN_PORTS[item]]);
      continue;
    }
    const alias = aliasNamed(input.applied, item);
    if (!alias || alias.type !== 'port' || seen.has(item)) continue;
    seen.add(item);
    for (const entry of alias.content.split('\n').filter((e) => e !== '')) {
      out.push(...(portRanges(entry, input, seen) ?? [[1, 65535]]));
    }
  }
  return out;
}

function portMatches(value: string, port: number, input: TraceInput): boolean {
  const ranges = portRanges(value, input);
  return ranges === null || ranges.some(([a, b]) => port >= a && port <= b);
}

function familyMatches(ipprotocol: string, ip: string): boolean {
  const family = isIP(ip) === 6 ? 'inet6' : 'inet';
  return ipprotocol === '' || ipprotocol === 'inet46' || ipprotocol === family;
}

/** NAT rules as pf gets them: by `sequence` (FIL L256 `sortedBy(['sequence'])`), then uuid (ArrayField tie-break). */
function orderedNat(nat: Record<string, Fields>): Array<[string, Fields]> {
  return Object.entries(nat).sort(
    ([ua, a], [ub, b]) => Number(a.sequence) - Number(b.sequence) || (ua < ub ? -1 : ua > ub ? 1 : 0),
  );
}

interface Translation {
  uuid: string;
  rule: Fields;
  destination: string;
  port: number;
}

/**
 * pf `rdr` evaluation: the first matching rdr rule translates (pf.conf(5): "the first matching rule decides"
 * for translation rules). FWD: a disabled rule is a comment; an empty or non-address target disables it ("Missing
 * target"); `nordr` matches and translates nothing; `local-port` with a destination range is extended to a range
 * of the same length, so port p maps to local-port + (p - first).
 */
function translate(packet: SimPacket, input: TraceInput): Translation | null | 'nordr' {
  for (const [uuid, rule] of orderedNat(input.applied.nat)) {
    if (rule.disabled === '1') continue;
    if (
      rule.nordr !== '1' &&
      !isIpOrCidr(rule.target) &&
      aliasNamed(input.applied, rule.target) === undefined
    )
      continue;
    if (!list(rule.interface).includes(packet.interface)) continue;
    if (!familyMatches(rule.ipprotocol, packet.destination)) continue;
    const proto = rule.protocol;
    if (proto !== '' && proto !== 'any' && proto !== packet.protocol && proto !== 'tcp/udp') continue;
    if (!netMatches(rule['source.network'], rule['source.not'] === '1', packet.source, input)) continue;
    // The packet carries no source port: a rule restricted to source ports never matches it.
    if (rule['source.port'] !== '' && rule['source.port'] !== 'any') continue;
    if (!netMatches(rule['destination.network'], rule['destination.not'] === '1', packet.destination, input))
      continue;
    if (!portMatches(rule['destination.port'], packet.port, input)) continue;
    if (rule.nordr === '1') return 'nordr';
    let port = packet.port;
    const local = rule['local-port'];
    if (local !== '') {
      const base = /^\d+$/.test(local) ? Number(local) : (portRanges(local, input)?.[0]?.[0] ?? packet.port);
      const first = portRanges(rule['destination.port'], input)?.[0]?.[0] ?? packet.port;
      port = base + (packet.port - first);
    }
    const target = isIpOrCidr(rule.target)
      ? rule.target.split('/')[0]
      : (netEntries(rule.target, input)?.[0]?.split('/')[0] ?? rule.target);
    return { uuid, rule, destination: target, port };
  }
  return null;
}

/** Does one automation filter rule (models.ts fields) match the (translated) packet? */
function filterMatches(
  rule: Fields,
  packet: SimPacket,
  destination: string,
  port: number,
  input: TraceInput,
): boolean {
  if (rule.enabled !== '1') return false;
  const ifaces = list(rule.interface);
  const onIface = ifaces.length === 0 || ifaces.includes(packet.interface);
  if (rule.interfacenot === '1' ? onIface : !onIface) return false;
  if (rule.direction !== '' && rule.direction !== 'in') return false;
  if (!familyMatches(rule.ipprotocol, destination)) return false;
  const proto = rule.protocol.toLowerCase();
  if (proto !== 'any' && proto !== packet.protocol && proto !== 'tcp/udp') return false;
  if (!netMatches(rule.source_net, rule.source_not === '1', packet.source, input)) return false;
  if (rule.source_port !== '' && rule.source_port !== 'any') return false;
  if (!netMatches(rule.destination_net, rule.destination_not === '1', destination, input)) return false;
  return portMatches(rule.destination_port, port, input);
}

/**
 * What OPNsense's running pf does with one new inbound connection: rdr first (pf translates before filtering, so
 * filter rules see the PRIVATE target and port: pf.conf(5) "Translation rules are applied before filter rules"),
 * then the filter: automation rules in their priority/sequence order (models.ts `sortedRuleUuids`), `quick` rules
 * deciding at once, otherwise the last match; a `rdr pass` rule (DNX `pass` = `pass`, FWD `parseBool,pass`)
 * skips the filter; `pass` = `rule` adds a pass rule after every interface rule (FLIB L640-670); nothing matching
 * is the default deny. Legacy GUI rules, anti-lockout and the other automatic rules are not modelled.
 */
export function traceOpnSense(packet: SimPacket, input: TraceInput): SimVerdict {
  const t = translate(packet, input);
  const translated = t !== null && t !== 'nordr' ? t : null;
  const destination = translated?.destination ?? packet.destination;
  const port = translated?.port ?? packet.port;
  const nat = translated ? { nat: translated.rule.descr || translated.uuid } : {};
  if (translated && translated.rule.pass === 'pass') return { action: 'pass', destination, port, ...nat };

  const inactive = new Set(input.inactiveRules);
  let last: Fields | null = null;
  for (const uuid of sortedRuleUuids(input.applied, input.features)) {
    const rule = input.applied.rules[uuid];
    if (inactive.has(uuid) || !filterMatches(rule, packet, destination, port, input)) continue;
    if (rule.quick !== '0') {
      return {
        action: rule.action === 'pass' ? 'pass' : 'block',
        destination,
        port,
        ...nat,
        rule: rule.description,
      };
    }
    last = rule;
  }
  if (last) {
    return {
      action: last.action === 'pass' ? 'pass' : 'block',
      destination,
      port,
      ...nat,
      rule: last.description,
    };
  }
  if (translated && translated.rule.pass === 'rule') {
    return { action: 'pass', destination, port, ...nat, rule: `NAT ${translated.rule.descr}` };
  }
  return { action: 'block', destination, port, ...nat };
}
