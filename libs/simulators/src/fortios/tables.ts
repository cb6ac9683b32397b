import { isIPv4, isIPv6 } from 'node:net';

/**
 * CMDB tables of the FortiOS simulator: field schemas (7.6.5 limits and defaults from
 * reference/fortios-rest-api.md §4), validation with the CLI return codes of §3.4, and reference tracking.
 */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };
export type Row = JsonObject;

/** A CLI validation failure: rendered as HTTP 500 `{status:"error", error:<code>, cli_error}`. */
export class CliError extends Error {
  constructor(
    readonly code: number,
    readonly cliText: string,
    readonly httpStatus = 500,
  ) {
    super(cliText);
  }
}

export const TABLES = [
  'firewall/address',
  'firewall/address6',
  'firewall/addrgrp',
  'firewall/addrgrp6',
  'firewall.service/custom',
  'firewall.service/group',
  'firewall/vip',
  'firewall/policy',
  'firewall.schedule/recurring',
  'system/interface',
] as const;
export type TableKey = (typeof TABLES)[number];

/** Text of a stored value (scalars as-is, lists and objects as JSON) for messages and comparisons. */
export function text(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return `${value}`;
  if (value === null || value === undefined) return '';
  return JSON.stringify(value);
}

export function isTableKey(value: string): value is TableKey {
  return (TABLES as readonly string[]).includes(value);
}

type FieldKind =
  | { kind: 'string'; max: number; def: string }
  | { kind: 'enum'; values: readonly string[] | ((v: SchemaContext) => readonly string[]); def: string }
  | { kind: 'int'; min: number; max: number; def: number }
  | { kind: 'members'; refs: readonly TableKey[]; def: [] }
  | { kind: 'ref'; refs: readonly TableKey[]; max: number; def: string }
  | { kind: 'subnet' }
  | { kind: 'ip4'; def: string }
  | { kind: 'ip6prefix' }
  | { kind: 'ip6'; def: string }
  | { kind: 'portrange' }
  | { kind: 'uuid' }
  /** `firewall/vip` `extip`: one IPv4 address or `a-b` range. */
  | { kind: 'iprange4'; def: string }
  /** `firewall/vip` `mappedip`: a list of `{range}` (address or `a-b`). */
  | { kind: 'ranges' }
  /** `firewall/vip` `extport`/`mappedport`: `low[-high]`, 0-65535. */
  | { kind: 'vipport' }
  /** An interface name (system/interface) or `any`. */
  | { kind: 'intf'; def: string };

/**
 * `since`: first firmware whose table has the field (Fortinet's Ansible schemas, `v_range`). Before it the field is
 * an unknown attribute, which the device ignores like every other unknown attribute (reference §3; whether a real
 * box rejects it instead is unknown): the simulator records it in `ignoredAttributes` so tests can see it.
 */
type FieldSpec = FieldKind & { since?: [number, number, number] };

function fieldExists(f: FieldSpec, version: [number, number, number]): boolean {
  if (!f.since) return true;
  for (let i = 0; i < 3; i++) if (version[i] !== f.since[i]) return version[i] > f.since[i];
  return true;
}

export interface SchemaContext {
  /** Firmware version, e.g. [7, 4, 3]; decides the service `protocol` literal. */
  version: [number, number, number];
}

interface TableSpec {
  mkey: 'name' | 'policyid';
  fields: Record<string, FieldSpec>;
  /** Schema `required` (beyond the mkey). */
  required?: string[];
  /** Tables whose names clash with this one (-163). */
  namespace?: TableKey;
  readOnly?: boolean;
}

const ENABLE = ['enable', 'disable'] as const;
const NAME79: FieldSpec = { kind: 'string', max: 79, def: '' };
const COMMENT255: FieldSpec = { kind: 'string', max: 255, def: '' };
const COLOR: FieldSpec = { kind: 'int', min: 0, max: 32, def: 0 };

export function serviceProtocols(ctx: SchemaContext): readonly string[] {
  const [major, minor] = ctx.version;
  const multi = major > 7 || (major === 7 && minor >= 6) ? 'TCP/UDP/UDP-Lite/SCTP' : 'TCP/UDP/SCTP';
  return [multi, 'ICMP', 'ICMP6', 'IP', 'HTTP', 'FTP', 'CONNECT', 'SOCKS-TCP', 'SOCKS-UDP', 'ALL'];
}

export const SCHEMAS: Record<TableKey, TableSpec> = {
  'firewall/address': {
    mkey: 'name',
    namespace: 'firewall/addrgrp',
    fields: {
      name: NAME79,
      uuid: { kind: 'uuid' },
      type: {
        kind: 'enum',
        values: [
          'ipmask',
          'iprange',
          'fqdn',
          'geography',
          'wildcard',
          'dynamic',
          'interface-subnet',
          'mac',
          'route-tag',
        ],
        def: 'ipmask',
      },
      subnet: { kind: 'subnet' },
      'start-ip': { kind: 'ip4', def: '0.0.0.0' },
      'end-ip': { kind: 'ip4', def: '0.0.0.0' },
      fqdn: { kind: 'string', max: 255, def: '' },
      comment: COMMENT255,
      'associated-interface': { kind: 'string', max: 35, def: '' },
      'allow-routing': { kind: 'enum', values: ENABLE, def: 'disable' },
      color: COLOR,
    },
  },
  'firewall/address6': {
    mkey: 'name',
    namespace: 'firewall/addrgrp6',
    fields: {
      name: NAME79,
      uuid: { kind: 'uuid' },
      type: {
        kind: 'enum',
        values: ['ipprefix', 'iprange', 'fqdn', 'geography', 'dynamic', 'template', 'mac', 'route-tag'],
        def: 'ipprefix',
      },
      ip6: { kind: 'ip6prefix' },
      'start-ip': { kind: 'ip6', def: '::' },
      'end-ip': { kind: 'ip6', def: '::' },
      fqdn: { kind: 'string', max: 255, def: '' },
      comment: COMMENT255,
      color: COLOR,
    },
  },
  'firewall/addrgrp': {
    mkey: 'name',
    namespace: 'firewall/address',
    fields: {
      name: NAME79,
      uuid: { kind: 'uuid' },
      type: { kind: 'enum', values: ['default', 'folder'], def: 'default' },
      member: { kind: 'members', refs: ['firewall/address', 'firewall/addrgrp'], def: [] },
      comment: COMMENT255,
      exclude: { kind: 'enum', values: ENABLE, def: 'disable' },
      'allow-routing': { kind: 'enum', values: ENABLE, def: 'disable' },
      color: COLOR,
    },
  },
  'firewall/addrgrp6': {
    mkey: 'name',
    namespace: 'firewall/address6',
    fields: {
      name: NAME79,
      uuid: { kind: 'uuid' },
      member: { kind: 'members', refs: ['firewall/address6', 'firewall/addrgrp6'], def: [] },
      comment: COMMENT255,
      // ANS/plugins/modules/fortios_firewall_addrgrp6.py L500: v_range v7.4.0+ (vendor-conformance F13).
      exclude: { kind: 'enum', values: ENABLE, def: 'disable', since: [7, 4, 0] },
      color: COLOR,
    },
  },
  'firewall.service/custom': {
    mkey: 'name',
    fields: {
      name: NAME79,
      uuid: { kind: 'uuid' },
      protocol: { kind: 'enum', values: serviceProtocols, def: '' },
      'tcp-portrange': { kind: 'portrange' },
      'udp-portrange': { kind: 'portrange' },
      'sctp-portrange': { kind: 'portrange' },
      'protocol-number': { kind: 'int', min: 0, max: 254, def: 0 },
      category: { kind: 'string', max: 63, def: '' },
      comment: COMMENT255,
      helper: { kind: 'string', max: 35, def: 'auto' },
      proxy: { kind: 'enum', values: ENABLE, def: 'disable' },
      color: COLOR,
    },
  },
  'firewall.service/group': {
    mkey: 'name',
    fields: {
      name: NAME79,
      uuid: { kind: 'uuid' },
      member: { kind: 'members', refs: ['firewall.service/custom', 'firewall.service/group'], def: [] },
      comment: COMMENT255,
      proxy: { kind: 'enum', values: ENABLE, def: 'disable' },
      color: COLOR,
    },
  },
  /**
   * IPv4 virtual IPs (destination NAT). Fields and the firmware that has them: Fortinet's Ansible schema
   * (ANS/plugins/modules/fortios_firewall_vip.py versioned_schema L1660+: name L1664, comment L1667, type L1668,
   * extip L1739, mappedip L1808, extintf L1821, arp-reply L1822, portforward L1846, status L1851 (v7.0.0+ only),
   * protocol L1856, extport L1866, mappedport L1867; everything else here v6.0.0+). Defaults: `type static-nat`
   * ("The type will set to static-nat by default", Fortinet in TF issue fortinetdev/terraform-provider-fortios#210),
   * `arp-reply enable` ("Enabled by default", ANS fortios_firewall_vip.py L100-102), `extintf any` (the CLI example
   * of docs.fortinet.com/document/fortigate/7.2.10/administration-guide/510402 sets it; the real default: unknown).
   */
  'firewall/vip': {
    mkey: 'name',
    fields: {
      name: NAME79,
      id: { kind: 'int', min: 0, max: 65535, def: 0 },
      uuid: { kind: 'uuid' },
      comment: COMMENT255,
      type: {
        kind: 'enum',
        values: (c) =>
          c.version[0] >= 7
            ? ['static-nat', 'load-balance', 'server-load-balance', 'dns-translation', 'fqdn', 'access-proxy']
            : ['static-nat', 'load-balance', 'server-load-balance', 'dns-translation', 'fqdn'],
        def: 'static-nat',
      },
      extip: { kind: 'iprange4', def: '0.0.0.0' },
      mappedip: { kind: 'ranges' },
      extintf: { kind: 'intf', def: 'any' },
      'arp-reply': { kind: 'enum', values: ENABLE, def: 'enable' },
      portforward: { kind: 'enum', values: ENABLE, def: 'disable' },
      status: { kind: 'enum', values: ENABLE, def: 'enable', since: [7, 0, 0] },
      protocol: { kind: 'enum', values: ['tcp', 'udp', 'sctp', 'icmp'], def: 'tcp' },
      extport: { kind: 'vipport' },
      mappedport: { kind: 'vipport' },
      'portmapping-type': { kind: 'enum', values: ['1-to-1', 'm-to-n'], def: '1-to-1' },
      color: COLOR,
    },
  },
  'firewall/policy': {
    mkey: 'policyid',
    required: ['srcintf', 'dstintf', 'schedule'],
    fields: {
      policyid: { kind: 'int', min: 0, max: 4294967294, def: 0 },
      name: { kind: 'string', max: 35, def: '' },
      uuid: { kind: 'uuid' },
      srcintf: { kind: 'members', refs: ['system/interface'], def: [] },
      dstintf: { kind: 'members', refs: ['system/interface'], def: [] },
      srcaddr: { kind: 'members', refs: ['firewall/address', 'firewall/addrgrp'], def: [] },
      // A VIP is a valid destination (TF/website/docs/r/fortios_firewall_policy.html.markdown and ANS
      // fortios_firewall_policy.py `dstaddr`: "Source firewall.address.name firewall.addrgrp.name firewall.vip.name
      // firewall.vipgrp.name"). Whether one policy may list VIPs and addresses together: unknown (no vendor source
      // in reach says), so the simulator accepts it.
      dstaddr: {
        kind: 'members',
        refs: ['firewall/address', 'firewall/addrgrp', 'firewall/vip'],
        def: [],
      },
      // ANS/plugins/modules/fortios_firewall_policy.py L2557, L2569: v_range v6.4.0+ (vendor-conformance F19).
      srcaddr6: {
        kind: 'members',
        refs: ['firewall/address6', 'firewall/addrgrp6'],
        def: [],
        since: [6, 4, 0],
      },
      dstaddr6: {
        kind: 'members',
        refs: ['firewall/address6', 'firewall/addrgrp6'],
        def: [],
        since: [6, 4, 0],
      },
      service: { kind: 'members', refs: ['firewall.service/custom', 'firewall.service/group'], def: [] },
      action: { kind: 'enum', values: ['accept', 'deny', 'ipsec'], def: 'deny' },
      schedule: { kind: 'ref', refs: ['firewall.schedule/recurring'], max: 35, def: '' },
      status: { kind: 'enum', values: ENABLE, def: 'enable' },
      logtraffic: { kind: 'enum', values: ['all', 'utm', 'disable'], def: 'utm' },
      nat: { kind: 'enum', values: ENABLE, def: 'disable' },
      comments: { kind: 'string', max: 1023, def: '' },
      'srcaddr-negate': { kind: 'enum', values: ENABLE, def: 'disable' },
      'dstaddr-negate': { kind: 'enum', values: ENABLE, def: 'disable' },
      'service-negate': { kind: 'enum', values: ENABLE, def: 'disable' },
      'inspection-mode': { kind: 'enum', values: ['flow', 'proxy'], def: 'flow' },
      'utm-status': { kind: 'enum', values: ENABLE, def: 'disable' },
      'profile-protocol-options': { kind: 'string', max: 47, def: 'default' },
      'ssl-ssh-profile': { kind: 'string', max: 47, def: 'no-inspection' },
    },
  },
  'firewall.schedule/recurring': {
    mkey: 'name',
    readOnly: true,
    fields: { name: { kind: 'string', max: 31, def: '' }, day: { kind: 'string', max: 80, def: '' } },
  },
  'system/interface': {
    mkey: 'name',
    readOnly: true,
    fields: {
      name: { kind: 'string', max: 15, def: '' },
      type: { kind: 'string', max: 31, def: 'physical' },
      // Required, datasource system.vdom.name (Fortinet 7.6.5 schema via hfortix-fortios system.interface.json).
      vdom: { kind: 'string', max: 31, def: '' },
      // `ip <address> <mask>` (ANS fortios_system_interface.py `ip`): what `extip 0.0.0.0` resolves to.
      ip: { kind: 'subnet' },
    },
  },
};

export type VdomStore = Record<TableKey, Row[]>;

export function emptyStore(): VdomStore {
  const out = {} as VdomStore;
  for (const t of TABLES) out[t] = [];
  return out;
}

export function mkeyOf(table: TableKey, row: Row): string {
  return text(row[SCHEMAS[table].mkey]);
}

export function findRow(store: VdomStore, table: TableKey, mkey: string): Row | undefined {
  return store[table].find((r) => mkeyOf(table, r) === mkey);
}

const tooLong = (size: number, limit: number): CliError =>
  new CliError(
    -1,
    `string value is too long. the size is ${size}, the limit is ${limit}\nCommand fail. Return code -1\n`,
  );

export const parseFail = (field: string, value: string, code = -651): CliError =>
  new CliError(
    code,
    `node_check_object fail! for ${field} ${value}\n\nvalue parse error before '${value}'\nCommand fail. Return code ${code}\n`,
  );

const invalidIp = (value: string): CliError =>
  new CliError(-8, `invalid ip address ${value}\nCommand fail. Return code -8\n`);

function ipv4ToInt(ip: string): number {
  return ip.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
}

function intToIpv4(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');
}

/** `a.b.c.d m.m.m.m` or `a.b.c.d/nn` → stored as "ip mask" (CIDR input accepted, always read back as ip mask). */
export function normalizeSubnet(value: string): string {
  const text = value.trim();
  let ip: string;
  let mask: string;
  const slash = /^(\S+)\/(\d{1,2})$/.exec(text);
  const pair = /^(\S+)\s+(\S+)$/.exec(text);
  if (slash) {
    ip = slash[1];
    const len = Number(slash[2]);
    if (len > 32) throw invalidIp(value);
    mask = intToIpv4(len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0);
  } else if (pair) {
    ip = pair[1];
    mask = pair[2];
  } else if (isIPv4(text)) {
    ip = text;
    mask = '255.255.255.255';
  } else {
    throw invalidIp(value);
  }
  if (!isIPv4(ip) || !isIPv4(mask)) throw invalidIp(value);
  const m = ipv4ToInt(mask);
  // Masks must be contiguous ones followed by zeros.
  const inverted = ~m >>> 0;
  if ((inverted & (inverted + 1)) !== 0) throw invalidIp(value);
  return `${ip} ${mask}`;
}

/**
 * Port-range grammar: space-separated `DST[:SRC]`, each `low[-high]` (0-65535). `low > high` ⇒ -650, anything
 * unparsable ⇒ -651.
 */
export function validatePortRange(field: string, value: string): string {
  const text = value.trim().replace(/\s+/g, ' ');
  if (text === '') return '';
  for (const entry of text.split(' ')) {
    const parts = entry.split(':');
    if (parts.length > 2) throw parseFail(field, entry);
    for (const part of parts) {
      const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(part);
      if (!m) throw parseFail(field, entry);
      const low = Number(m[1]);
      const high = m[2] === undefined ? low : Number(m[2]);
      if (low > 65535 || high > 65535) throw parseFail(field, entry);
      if (low > high)
        throw new CliError(
          -650,
          `node_check_object fail! for ${field} ${entry}\n\nvalue parse error before '${entry}'\nCommand fail. Return code -650\n`,
        );
    }
  }
  return text;
}

function normalizeIp6Prefix(value: string): string {
  const m = /^([0-9a-fA-F:.]+)\/(\d{1,3})$/.exec(value.trim());
  const ip = m ? m[1] : value.trim();
  const len = m ? Number(m[2]) : 128;
  if (!isIPv6(ip) || len > 128) throw invalidIp(value);
  const canonical = new URL(`http://[${ip}]/`).hostname.slice(1, -1);
  return `${canonical}/${len}`;
}

export interface BuildContext extends SchemaContext {
  /** The store the write applies to (references are resolved in it). */
  store: VdomStore;
  newUuid: () => string;
  /** Receives `table.field` of every attribute the firmware does not know (ignored, see FieldSpec). */
  ignored?: string[];
}

/** Resolves a reference in any of the referenced tables; built-ins (`all`, `ALL`, `always`, ports) are seeded rows. */
function refExists(store: VdomStore, refs: readonly TableKey[], name: string): boolean {
  return refs.some((t) => findRow(store, t, name) !== undefined);
}

/**
 * Validates an input body for `table` and returns the stored row. `existing` = PUT (partial update: only supplied
 * attributes change; a supplied list replaces the whole list). Unknown attributes are ignored silently (a client
 * writing `comment` on a policy, whose field is `comments`, loses it: reference pitfall 2).
 */
export function buildRow(table: TableKey, input: JsonObject, ctx: BuildContext, existing?: Row): Row {
  const spec = SCHEMAS[table];
  const row: Row = existing ? structuredClone(existing) : {};
  if (!existing) {
    for (const [field, f] of Object.entries(spec.fields)) {
      if (!fieldExists(f, ctx.version)) continue;
      if (f.kind === 'uuid') row[field] = ctx.newUuid();
      else if (f.kind === 'subnet') row[field] = '0.0.0.0 0.0.0.0';
      else if (f.kind === 'ip6prefix') row[field] = '::/0';
      else if (f.kind === 'portrange' || f.kind === 'vipport') row[field] = '';
      else if (f.kind === 'ranges') row[field] = [];
      else if (f.kind === 'enum' && field === 'protocol') row[field] = serviceProtocols(ctx)[0];
      else row[field] = structuredClone(f.def);
    }
  }
  for (const [field, value] of Object.entries(input)) {
    const f = spec.fields[field];
    if (!f || !fieldExists(f, ctx.version)) {
      ctx.ignored?.push(`${table}.${field}`);
      continue;
    }
    if (f.kind === 'uuid') continue;
    if (existing && field === spec.mkey) continue;
    row[field] = checkField(field, f, value, ctx);
  }
  if (!existing) {
    for (const field of spec.required ?? []) {
      const v = row[field];
      if (v === '' || (Array.isArray(v) && v.length === 0)) {
        throw new CliError(
          -651,
          `${field} is required. node_check_object fail!\nCommand fail. Return code -651\n`,
        );
      }
    }
  }
  if (spec.mkey === 'name' && (typeof row.name !== 'string' || row.name === '')) {
    throw new CliError(-651, `name is required\nCommand fail. Return code -651\n`);
  }
  if (table === 'firewall.service/custom') {
    const protocol = text(row.protocol);
    if (protocol.startsWith('TCP/UDP')) {
      const ranges = ['tcp-portrange', 'udp-portrange', 'sctp-portrange'].map((k) => text(row[k] ?? ''));
      if (ranges.every((r) => r === '')) {
        throw new CliError(
          -651,
          'TCP/UDP/SCTP portrange cannot all be empty.\nCommand fail. Return code -651\n',
        );
      }
    }
  }
  if (table === 'firewall/address' && row.type === 'iprange') {
    if (ipv4ToInt(text(row['start-ip'])) > ipv4ToInt(text(row['end-ip'])))
      throw invalidIp(text(row['end-ip']));
  }
  if (table === 'firewall/vip') checkVip(row);
  if (table === 'firewall/addrgrp' || table === 'firewall/addrgrp6' || table === 'firewall.service/group') {
    const members = row.member as JsonObject[];
    if (members.some((m) => m.name === row.name)) throw parseFail('member', text(row.name));
  }
  return row;
}

function checkField(field: string, f: FieldSpec, value: Json, ctx: BuildContext): Json {
  switch (f.kind) {
    case 'string': {
      if (typeof value !== 'string') throw parseFail(field, JSON.stringify(value), -61);
      if (value.length > f.max) throw tooLong(value.length, f.max);
      return value;
    }
    case 'enum': {
      const values = typeof f.values === 'function' ? f.values(ctx) : f.values;
      if (typeof value !== 'string' || !values.includes(value)) throw parseFail(field, text(value));
      return value;
    }
    case 'int': {
      const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
      if (typeof n !== 'number' || !Number.isInteger(n) || n < f.min || n > f.max) {
        throw parseFail(field, text(value));
      }
      return n;
    }
    case 'members': {
      if (!Array.isArray(value)) throw parseFail(field, JSON.stringify(value), -61);
      const out: JsonObject[] = [];
      for (const item of value) {
        const name =
          item !== null && typeof item === 'object' && !Array.isArray(item) ? item.name : undefined;
        if (typeof name !== 'string' || name === '') throw parseFail(field, JSON.stringify(item), -61);
        if (name.length > 79) throw tooLong(name.length, 79);
        if (!refExists(ctx.store, f.refs, name)) throw parseFail('name', name);
        if (!out.some((o) => o.name === name)) out.push({ name });
      }
      return out;
    }
    case 'ref': {
      if (typeof value !== 'string') throw parseFail(field, JSON.stringify(value), -61);
      if (value.length > f.max) throw tooLong(value.length, f.max);
      if (value !== '' && !refExists(ctx.store, f.refs, value)) throw parseFail('name', value);
      return value;
    }
    case 'subnet':
      if (typeof value !== 'string') throw invalidIp(JSON.stringify(value));
      return normalizeSubnet(value);
    case 'ip4':
      if (typeof value !== 'string' || !isIPv4(value)) throw invalidIp(text(value));
      return value;
    case 'ip6prefix':
      if (typeof value !== 'string') throw invalidIp(JSON.stringify(value));
      return normalizeIp6Prefix(value);
    case 'ip6':
      if (typeof value !== 'string' || !isIPv6(value)) throw invalidIp(text(value));
      return value;
    case 'portrange':
      if (typeof value !== 'string') throw parseFail(field, JSON.stringify(value), -61);
      return validatePortRange(field, value);
    case 'uuid':
      return value;
    case 'iprange4':
      if (typeof value !== 'string') throw invalidIp(JSON.stringify(value));
      return normalizeRange4(value);
    case 'ranges': {
      if (!Array.isArray(value)) throw parseFail(field, JSON.stringify(value), -61);
      return value.map((item) => {
        const range = isObj(item) ? item.range : undefined;
        if (typeof range !== 'string') throw parseFail(field, JSON.stringify(item), -61);
        return { range: normalizeRange4(range) };
      });
    }
    case 'vipport': {
      if (typeof value !== 'string' && typeof value !== 'number')
        throw parseFail(field, JSON.stringify(value), -61);
      const t = String(value).trim();
      if (t === '') return '';
      const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(t);
      if (!m || Number(m[1]) > 65535 || Number(m[2] ?? m[1]) > 65535) throw parseFail(field, t);
      if (Number(m[1]) > Number(m[2] ?? m[1])) throw parseFail(field, t, -650);
      return t;
    }
    case 'intf':
      if (typeof value !== 'string') throw parseFail(field, JSON.stringify(value), -61);
      if (value !== 'any' && !refExists(ctx.store, ['system/interface'], value))
        throw parseFail('name', value);
      return value;
  }
}

/** `a.b.c.d` or `a.b.c.d-e.f.g.h` (start ≤ end), as FortiOS stores VIP `extip` and `mappedip` ranges. */
function normalizeRange4(value: string): string {
  const t = value.trim();
  const [a, b, extra] = t.split('-');
  if (extra !== undefined || !isIPv4(a) || (b !== undefined && !isIPv4(b))) throw invalidIp(value);
  if (b !== undefined && ipv4ToInt(a) > ipv4ToInt(b)) throw invalidIp(value);
  return t;
}

/**
 * Static-NAT VIPs need a mapped address (Fortinet, TF issue fortinetdev/terraform-provider-fortios#210: "The type
 * will set to static-nat by default if you do not config it. That's why the `mappedip` is required"). A port
 * forward without an external port is refused too; the device's wording for it is unknown (a -651 like other
 * missing values).
 */
function checkVip(row: Row): void {
  if (row.type === 'static-nat' && (!Array.isArray(row.mappedip) || row.mappedip.length === 0)) {
    throw new CliError(
      -651,
      'mappedip is required. node_check_object fail!\nCommand fail. Return code -651\n',
    );
  }
  if (row.portforward === 'enable' && text(row.extport) === '') {
    throw new CliError(
      -651,
      'extport is required. node_check_object fail!\nCommand fail. Return code -651\n',
    );
  }
}

/** Every (table, row, field) that references `name` in one of `targetTables`. */
export function referencesTo(store: VdomStore, target: TableKey, name: string): number {
  let count = 0;
  for (const table of TABLES) {
    for (const row of store[table]) {
      for (const [field, f] of Object.entries(SCHEMAS[table].fields)) {
        if (f.kind === 'members' && f.refs.includes(target)) {
          const list = row[field];
          if (Array.isArray(list) && list.some((m) => isObj(m) && m.name === name)) count += 1;
        }
        if (f.kind === 'ref' && f.refs.includes(target) && row[field] === name) count += 1;
      }
    }
  }
  return count;
}

/** References from the store that no longer resolve (used to re-check a transaction at commit). */
export function danglingReferences(store: VdomStore): string[] {
  const out: string[] = [];
  for (const table of TABLES) {
    for (const row of store[table]) {
      for (const [field, f] of Object.entries(SCHEMAS[table].fields)) {
        if (f.kind === 'members') {
          for (const m of (row[field] as Json[] | undefined) ?? []) {
            if (isObj(m) && typeof m.name === 'string' && !refExists(store, f.refs, m.name)) out.push(m.name);
          }
        }
        if (f.kind === 'ref' && typeof row[field] === 'string' && row[field] !== '') {
          if (!refExists(store, f.refs, row[field])) out.push(row[field]);
        }
      }
    }
  }
  return out;
}

export function isObj(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Seeded built-in objects every FortiGate VDOM has (reference §4.6, §7.12). */
export function seedBuiltins(
  store: VdomStore,
  interfaces: string[],
  version: SchemaContext['version'],
  newUuid: () => string,
  vdomOf: (iface: string) => string = () => 'root',
  ipOf: (iface: string) => string | undefined = () => undefined,
): void {
  const ctx: BuildContext = { version, store, newUuid };
  store['system/interface'] = interfaces.map((name) => {
    const ip = ipOf(name);
    // Unaddressed interfaces read back as `0.0.0.0 0.0.0.0`.
    return { name, type: 'physical', vdom: vdomOf(name), ip: ip ? normalizeSubnet(ip) : '0.0.0.0 0.0.0.0' };
  });
  store['firewall.schedule/recurring'] = [
    { name: 'always', day: 'sunday monday tuesday wednesday thursday friday saturday' },
  ];
  store['firewall/address'].push(
    buildRow('firewall/address', { name: 'all', subnet: '0.0.0.0 0.0.0.0' }, ctx),
  );
  store['firewall/address6'].push(buildRow('firewall/address6', { name: 'all', ip6: '::/0' }, ctx));
  const services: Array<[string, JsonObject]> = [
    ['ALL', { protocol: 'IP', 'protocol-number': 0 }],
    ['ALL_TCP', { 'tcp-portrange': '1-65535' }],
    ['ALL_UDP', { 'udp-portrange': '1-65535' }],
    ['ALL_ICMP', { protocol: 'ICMP' }],
    ['HTTP', { 'tcp-portrange': '80' }],
    ['HTTPS', { 'tcp-portrange': '443' }],
    ['SSH', { 'tcp-portrange': '22' }],
    ['DNS', { 'tcp-portrange': '53', 'udp-portrange': '53' }],
    ['PING', { protocol: 'ICMP' }],
  ];
  for (const [name, body] of services) {
    store['firewall.service/custom'].push(
      buildRow('firewall.service/custom', { name, category: 'General', ...body }, ctx),
    );
  }
}
