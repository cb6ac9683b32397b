import { createHash } from 'node:crypto';
import {
  INTERFACE_ADDRESS,
  type AddressFamily,
  type NatEntry,
  type PortRange,
  type Protocol,
  type RuleSet,
} from '@app/engine/model';
import { cidrLast, formatAddress, rangeToCidrs, tryParseCidr, formatCidr } from '@app/engine/ip';
import { RuleSetProblems, ruleOrder } from '../core/desired';
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
import { canonicalCidr, formatPortRange, normalizePorts, parsePortRange, sortCidrs } from '../core/net';
import { isManaged, managedDescription } from '../core/ownership';
import type { ResolvedSettings } from '../core/target';
import { names, str, type FortiRow, type FortiTable } from './api';

/** FortiOS limits (reference §4, pitfall 1). */
export const MAX_OBJECT_NAME = 79;
export const MAX_POLICY_NAME = 35;
export const MAX_OBJECT_COMMENT = 255;
export const MAX_POLICY_COMMENTS = 1023;
/** FortiOS has one policy list per VDOM: the only ordering scope. */
export const POLICY_SCOPE = 'policy';

export type AddressKind = 'ipmask' | 'iprange' | 'group';

export function addressTables(family: AddressFamily): { address: FortiTable; group: FortiTable } {
  return family === 4
    ? { address: 'firewall/address', group: 'firewall/addrgrp' }
    : { address: 'firewall/address6', group: 'firewall/addrgrp6' };
}

/**
 * Name of the address object holding one entry of a managed group: `<group>-<cidr>` with `/` and `:` replaced,
 * so it needs no URL escaping and can never equal an engine name (those have no `-`). Hashed when too long.
 */
export function memberName(group: string, cidr: string): string {
  const label = cidr.replace('/', '_').replace(/:/g, '.');
  const full = `${group}-${label}`;
  if (full.length <= MAX_OBJECT_NAME) return full;
  const hash = createHash('sha256').update(full).digest('hex').slice(0, 8);
  return `${group.slice(0, MAX_OBJECT_NAME - 9)}-${hash}`;
}

/** Keeps the marker when a comment must be cut to the device limit. */
export function fitComment(text: string, marker: string, limit: number): string {
  const full = managedDescription(text, marker);
  if (full.length <= limit) return full;
  return managedDescription(text.slice(0, Math.max(0, limit - marker.length - 2)).trimEnd(), marker);
}

/** One contiguous range covered exactly by the CIDRs, or null. */
function contiguousRange(cidrs: string[]): { family: AddressFamily; first: bigint; last: bigint } | null {
  const parsed = cidrs.map((c) => tryParseCidr(c));
  if (parsed.some((p) => p === null)) return null;
  const list = parsed.filter((p): p is NonNullable<typeof p> => p !== null);
  list.sort((a, b) => (a.network < b.network ? -1 : a.network > b.network ? 1 : 0));
  for (let i = 1; i < list.length; i++) {
    if (list[i].network !== cidrLast(list[i - 1]) + 1n) return null;
  }
  return { family: list[0].family, first: list[0].network, last: cidrLast(list[list.length - 1]) };
}

/** `a.b.c.d/nn` → `a.b.c.d m.m.m.m` (what FortiOS stores and returns for `subnet`). */
export function subnetOf(cidr: string): string {
  const [ip, len] = cidr.split('/');
  const bits = Number(len);
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  return `${ip} ${[24, 16, 8, 0].map((s) => (mask >>> s) & 255).join('.')}`;
}

function cidrFromSubnet(subnet: string): string | null {
  const [ip, mask] = subnet.trim().split(/\s+/);
  if (!ip || !mask) return canonicalCidr(subnet);
  const n = mask.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
  let len = 0;
  for (let bit = 31; bit >= 0 && Math.floor(n / 2 ** bit) % 2 === 1; bit--) len++;
  return canonicalCidr(`${ip}/${len}`);
}

export function rangeOf(entries: string[]): { start: string; end: string } {
  const r = contiguousRange(entries);
  if (!r)
    throw new ConnectorError({
      kind: 'validation',
      message: `entries ${entries.join(' ')} are not one range`,
    });
  return { start: formatAddress(r.family, r.first), end: formatAddress(r.family, r.last) };
}

function cidrsOfRange(family: AddressFamily, start: string, end: string): string[] | null {
  const a = tryParseCidr(start);
  const b = tryParseCidr(end);
  if (!a || !b || a.family !== family || b.family !== family || a.network > b.network) return null;
  return rangeToCidrs(family, a.network, b.network).map(formatCidr);
}

/** RuleSet → normalised desired state for FortiOS. */
export function desiredFromRuleSet(ruleSet: RuleSet, settings: ResolvedSettings): DesiredState {
  const problems = new RuleSetProblems(ruleSet, 'fortios', settings);
  const familyOf = new Map<string, AddressFamily>();
  const addresses: ManagedAddress[] = ruleSet.addresses.map((obj) => {
    if (obj.name.length > MAX_OBJECT_NAME)
      problems.add(`address object ${obj.name} is longer than 79 characters`);
    familyOf.set(obj.name, obj.family);
    let entries = problems.addressEntries(obj, { singleFamily: true });
    let kind: AddressKind = 'group';
    if (entries.length === 1) kind = 'ipmask';
    else if (entries.length > 1 && contiguousRange(entries) !== null) {
      // Several CIDRs forming one range are one iprange object instead of a group of ipmask members.
      kind = 'iprange';
      const r = contiguousRange(entries)!;
      entries = rangeToCidrs(r.family, r.first, r.last).map(formatCidr);
    }
    return {
      name: obj.name,
      entries,
      description: fitComment(obj.description, settings.marker, MAX_OBJECT_COMMENT),
      attributes: { kind, family: obj.family },
    };
  });
  const services: ManagedService[] = ruleSet.services.map((svc) => {
    if (svc.name.length > MAX_OBJECT_NAME)
      problems.add(`service object ${svc.name} is longer than 79 characters`);
    problems.servicePorts(svc);
    return {
      name: svc.name,
      protocol: svc.protocol,
      ports: normalizePorts(svc.ports),
      description: fitComment(svc.description, settings.marker, MAX_OBJECT_COMMENT),
      attributes: {},
    };
  });
  const nat = desiredNat(ruleSet, problems, settings);
  const natByName = new Map((ruleSet.nat ?? []).map((n) => [n.name, n]));
  const rules: ManagedRule[] = ruleSet.rules.map((rule) => {
    if (rule.name.length > MAX_POLICY_NAME) problems.add(`rule ${rule.name} is longer than 35 characters`);
    if (rule.nat !== undefined) checkVipRule(rule, natByName.get(rule.nat), problems);
    if (!rule.ingress || !rule.egress) problems.add(`rule ${rule.name} needs ingress and egress interfaces`);
    for (const ref of [rule.source, rule.destination]) {
      const fam = familyOf.get(ref);
      if (fam !== undefined && fam !== rule.family) {
        problems.add(`rule ${rule.name} (IPv${rule.family}) uses IPv${fam} object ${ref}`);
      }
    }
    return {
      name: rule.name,
      scope: POLICY_SCOPE,
      ingress: rule.ingress,
      egress: rule.egress,
      family: rule.family,
      // A FortiOS policy has no protocol of its own: it comes from the service object.
      protocol: null,
      source: rule.source,
      destination: rule.destination,
      service: rule.service,
      action: 'allow',
      enabled: true,
      description: fitComment(`flows ${rule.flowIds.join(' ')}`, settings.marker, MAX_POLICY_COMMENTS),
      attributes: POLICY_ATTRIBUTES,
    };
  });
  problems.throwIfAny();
  return {
    addresses,
    services,
    rules,
    order: ruleOrder(ruleSet.rules, () => POLICY_SCOPE),
    ...(nat.length > 0 ? { nat } : {}),
  };
}

/**
 * NAT entries → FortiOS VIPs (`firewall/vip`, static-nat with port forwarding). The policy admitting a forward names
 * the VIP as its destination and the MAPPED port as its service (`vip-in-policy`, see the engine's NatSemantics);
 * a rule set computed for the other semantics (policy to the private address) would admit nothing on a FortiGate,
 * so it is refused before anything is written.
 */
function desiredNat(ruleSet: RuleSet, problems: RuleSetProblems, settings: ResolvedSettings): ManagedNat[] {
  problems.natSemantics(ruleSet, 'vip-in-policy', 'the policy names the VIP');
  const addressNames = new Set(ruleSet.addresses.map((a) => a.name));
  return (ruleSet.nat ?? []).map((n) => {
    const what = `NAT entry ${n.name}`;
    if (n.name.length > MAX_OBJECT_NAME) problems.add(`${what} is longer than 79 characters`);
    // VIPs and addresses are both valid policy destinations: one name must not mean two objects.
    if (addressNames.has(n.name)) problems.add(`${what} has the name of an address object`);
    if (!n.interface || n.interface === 'any') problems.add(`${what} needs its external interface`);
    return problems.natEntry(n, fitComment(n.description, settings.marker, MAX_OBJECT_COMMENT), {});
  });
}

/**
 * A rule admitting a forward: its destination is the VIP itself, and its ingress is the VIP's external interface
 * ("The external interface that the firewall policy source interface must match",
 * docs.fortinet.com/document/fortigate/7.2.10/administration-guide/443514/configuring-vips). VIPs are IPv4 here.
 */
function checkVipRule(
  rule: RuleSet['rules'][number],
  entry: NatEntry | undefined,
  problems: RuleSetProblems,
): void {
  if (!entry) {
    problems.add(`rule ${rule.name} admits NAT entry ${rule.nat ?? ''} that the rule set does not have`);
    return;
  }
  if (rule.destination !== entry.name) {
    problems.add(`rule ${rule.name} admits VIP ${entry.name} but its destination is ${rule.destination}`);
  }
  if (rule.family !== 4) problems.add(`rule ${rule.name} admits VIP ${entry.name} but is IPv${rule.family}`);
  if (rule.ingress !== entry.interface) {
    problems.add(
      `rule ${rule.name} admits VIP ${entry.name} on ${rule.ingress}, not its interface ${entry.interface}`,
    );
  }
}

/** Owned policy attributes (compared, and written on every create/update). */
export const POLICY_ATTRIBUTES = { schedule: 'always', logtraffic: 'all', nat: 'disable', negate: 'disable' };

export interface LiveInput {
  address: FortiRow[];
  address6: FortiRow[];
  addrgrp: FortiRow[];
  addrgrp6: FortiRow[];
  services: FortiRow[];
  /** Every policy of the VDOM, in evaluation order. */
  policies: FortiRow[];
  /** `firewall/vip` rows with the prefix (absent: none read). */
  vips?: FortiRow[];
  readAt: string;
}

function managedRow(row: FortiRow, settings: ResolvedSettings, commentField = 'comment'): boolean {
  return isManaged(str(row.name), str(row[commentField]), settings.prefix, settings.marker);
}

/** Entries of one address row, or null when it is not an ipmask/iprange object we can read. */
function addressEntries(
  row: FortiRow,
  family: AddressFamily,
): { kind: AddressKind; entries: string[] } | null {
  const type = str(row.type);
  if (family === 4 && type === 'ipmask') {
    const c = cidrFromSubnet(str(row.subnet));
    return c ? { kind: 'ipmask', entries: [c] } : null;
  }
  if (family === 6 && type === 'ipprefix') {
    const c = canonicalCidr(str(row.ip6));
    return c ? { kind: 'ipmask', entries: [c] } : null;
  }
  if (type === 'iprange') {
    const list = cidrsOfRange(family, str(row['start-ip']), str(row['end-ip']));
    if (!list) return null;
    return { kind: list.length === 1 ? 'ipmask' : 'iprange', entries: list };
  }
  return null;
}

/** Live FortiOS tables → normalised managed state (+ foreign prefixed names, the policy sequence). */
export function liveFromFortiOs(input: LiveInput, settings: ResolvedSettings): ManagedState {
  const addresses: ManagedAddress[] = [];
  const foreignAddresses: string[] = [];
  const warnings: string[] = [];
  for (const family of [4, 6] as const) {
    const rows = family === 4 ? input.address : input.address6;
    const groups = family === 4 ? input.addrgrp : input.addrgrp6;
    const byName = new Map(rows.map((r) => [str(r.name), r]));
    const memberOfManaged = new Set<string>();
    for (const g of groups) {
      const name = str(g.name);
      if (!name.startsWith(settings.prefix)) continue;
      if (!managedRow(g, settings)) {
        foreignAddresses.push(name);
        continue;
      }
      const entries: string[] = [];
      const unparsed: string[] = [];
      for (const m of names(g.member)) {
        memberOfManaged.add(m);
        const row = byName.get(m);
        const parsed = row && managedRow(row, settings) ? addressEntries(row, family) : null;
        // A member counts only when it is ours, one CIDR, and named after that CIDR; anything else is rewritten.
        if (parsed && parsed.entries.length === 1 && memberName(name, parsed.entries[0]) === m) {
          entries.push(parsed.entries[0]);
        } else unparsed.push(m);
      }
      const attributes: ManagedAddress['attributes'] = { kind: 'group', family };
      if (unparsed.length > 0 || str(g.exclude) === 'enable')
        attributes.unparsed = unparsed.join(' ') || 'exclude';
      addresses.push({
        name,
        entries: sortCidrs(entries),
        description: str(g.comment),
        attributes,
        ref: name,
      });
    }
    for (const row of rows) {
      const name = str(row.name);
      if (!name.startsWith(settings.prefix)) continue;
      if (!managedRow(row, settings)) {
        foreignAddresses.push(name);
        continue;
      }
      if (memberOfManaged.has(name)) continue;
      const parsed = addressEntries(row, family);
      const attributes: ManagedAddress['attributes'] = { kind: parsed?.kind ?? 'ipmask', family };
      if (!parsed) attributes.unparsed = str(row.type) || 'unknown';
      addresses.push({
        name,
        entries: sortCidrs(parsed?.entries ?? []),
        description: str(row.comment),
        attributes,
        ref: name,
      });
    }
  }

  const services: ManagedService[] = [];
  const foreignServices: string[] = [];
  for (const row of input.services) {
    const name = str(row.name);
    if (!name.startsWith(settings.prefix)) continue;
    if (!managedRow(row, settings)) {
      foreignServices.push(name);
      continue;
    }
    services.push(serviceFromRow(row));
  }

  const rules: ManagedRule[] = [];
  const foreignRules: string[] = [];
  const entries: RuleSequence['entries'] = [];
  for (const row of input.policies) {
    const name = str(row.name);
    const managed = managedRow(row, settings, 'comments');
    if (!managed) {
      if (name.startsWith(settings.prefix)) foreignRules.push(name);
      entries.push({ managed: false, name: null, label: name || `policy ${str(row.policyid)}` });
      continue;
    }
    entries.push({ managed: true, name });
    rules.push(ruleFromRow(row));
  }

  const nat: ManagedNat[] = [];
  const foreignNat: string[] = [];
  for (const row of input.vips ?? []) {
    const name = str(row.name);
    if (!name.startsWith(settings.prefix)) continue;
    if (!managedRow(row, settings)) {
      foreignNat.push(name);
      continue;
    }
    nat.push(natFromRow(row));
  }
  return {
    vendor: 'fortios',
    deviceKey: settings.deviceKey,
    readAt: input.readAt,
    addresses: addresses.sort(byName),
    services: services.sort(byName),
    rules,
    sequences: entries.length > 0 ? [{ scope: POLICY_SCOPE, entries }] : [],
    foreign: {
      addresses: [...new Set(foreignAddresses)],
      services: foreignServices,
      rules: [...new Set(foreignRules)],
      nat: foreignNat,
    },
    nat: nat.sort(byName),
    // Writes are live at once (no transaction) or committed/aborted within one apply: nothing stays pending.
    pendingCommit: false,
    warnings,
  };
}

/**
 * One VIP → a managed NAT entry. What the connector writes (vipBody) reads back equal; anything else it does not
 * write (another type, no port forwarding, disabled, a mapped range, sctp/icmp) lands in `attributes.unparsed`, so
 * the plan rewrites the VIP.
 */
function natFromRow(row: FortiRow): ManagedNat {
  const unparsed: string[] = [];
  const type = str(row.type) || 'static-nat';
  if (type !== 'static-nat') unparsed.push(`type ${type}`);
  if (str(row.portforward) !== 'enable') unparsed.push('portforward disable');
  if (str(row.status) === 'disable') unparsed.push('status disable');
  const protocol = str(row.protocol);
  if (protocol !== 'tcp' && protocol !== 'udp') unparsed.push(`protocol ${protocol}`);
  const extip = str(row.extip);
  const [extFrom, extTo] = extip.split('-');
  if (extTo !== undefined && extTo !== extFrom) unparsed.push(`extip ${extip}`);
  const mapped = Array.isArray(row.mappedip)
    ? row.mappedip.map((m: unknown) =>
        typeof m === 'object' && m !== null ? str((m as FortiRow).range) : '',
      )
    : [];
  const [mapFrom, mapTo] = (mapped[0] ?? '').split('-');
  if (mapped.length !== 1 || (mapTo !== undefined && mapTo !== mapFrom)) {
    unparsed.push(`mappedip ${mapped.join(' ')}`);
  }
  const externalPorts = parsePortRange(str(row.extport), '-');
  // An empty mappedport keeps the external port (the CLI leaves it unset for a same-port forward): unknown whether
  // the device fills it in on read, so both read back alike.
  const targetPorts = str(row.mappedport) === '' ? externalPorts : parsePortRange(str(row.mappedport), '-');
  if (externalPorts === null) unparsed.push(`extport ${str(row.extport)}`);
  if (targetPorts === null) unparsed.push(`mappedport ${str(row.mappedport)}`);
  const attributes: ManagedNat['attributes'] = {};
  if (unparsed.length > 0) attributes.unparsed = unparsed.join(' ');
  return {
    name: str(row.name),
    interface: str(row.extintf),
    protocol: protocol === 'udp' ? 'udp' : 'tcp',
    // `extip 0.0.0.0` on an interface other than `any` is that interface's own address (docs.fortinet.com/document/
    // fortigate/7.2.10/administration-guide/443514/configuring-vips).
    externalAddress: extFrom === '0.0.0.0' || extFrom === '' ? INTERFACE_ADDRESS : extFrom,
    externalPorts: externalPorts ?? { from: 0, to: 0 },
    target: mapFrom ?? '',
    targetPorts: targetPorts ?? { from: 0, to: 0 },
    description: str(row.comment),
    attributes,
    ref: str(row.name),
  };
}

/**
 * The VIP body for one managed NAT entry (POST and PUT). Fields per Fortinet's Ansible schema
 * (ANS/plugins/modules/fortios_firewall_vip.py versioned_schema: name L1664, comment L1667, type L1668, extip L1739,
 * mappedip `[{range}]` L1808, extintf L1821, portforward L1846, protocol L1856, extport L1866, mappedport L1867: all
 * v6.0.0+, so every supported firmware 6.4-7.6 has them). `status` exists from 7.0.0 only (L1851): sent from 7.0 so a
 * VIP someone disabled is enabled again, never before (6.4 has no such field; a VIP there is always active).
 */
export function vipBody(n: ManagedNat, hasStatus: boolean): FortiRow {
  return {
    name: n.name,
    type: 'static-nat',
    extintf: n.interface,
    // `0.0.0.0` with a named extintf = that interface's address (docs 7.2.10 admin guide 443514, see natFromRow).
    extip: n.externalAddress === INTERFACE_ADDRESS ? '0.0.0.0' : n.externalAddress,
    mappedip: [{ range: n.target }],
    portforward: 'enable',
    protocol: n.protocol,
    extport: formatPortRange(n.externalPorts, '-'),
    mappedport: formatPortRange(n.targetPorts, '-'),
    ...(hasStatus ? { status: 'enable' } : {}),
    comment: n.description,
  };
}

/** Whether `firewall/vip` has `status` (ANS fortios_firewall_vip.py L1851: v_range v7.0.0+). */
export function vipHasStatus(version: [number, number, number] | null): boolean {
  return version !== null && version[0] >= 7;
}

/**
 * VIPs this service does not manage, reduced to what they forward. A VIP forwards only while an enabled policy
 * references it (Fortinet KB community.fortinet.com/t5/FortiGate/Technical-Tip-Behavior-when-configured-local-in-
 * policy-to-deny/ta-p/261055), so one no enabled policy names counts as disabled. Without port forwarding a
 * static-nat VIP forwards every protocol and port (one-to-one NAT).
 */
export function unmanagedNatFromFortiOs(
  vips: FortiRow[],
  policies: FortiRow[],
  settings: ResolvedSettings,
): UnmanagedNat[] {
  const referenced = new Set(
    policies.filter((p) => str(p.status) !== 'disable').flatMap((p) => names(p.dstaddr)),
  );
  const out: UnmanagedNat[] = [];
  for (const row of vips) {
    if (managedRow(row, settings)) continue;
    const name = str(row.name);
    const forward = str(row.portforward) === 'enable';
    const protocol = str(row.protocol) || 'tcp';
    const ext = parsePortRange(str(row.extport), '-');
    const mappedPort = str(row.mappedport) === '' ? ext : parsePortRange(str(row.mappedport), '-');
    const mapped = Array.isArray(row.mappedip)
      ? row.mappedip.map((m: unknown) =>
          typeof m === 'object' && m !== null ? str((m as FortiRow).range) : '',
        )
      : [];
    out.push({
      label: str(row.comment) || name,
      interface: str(row.extintf),
      enabled: str(row.status) !== 'disable' && referenced.has(name),
      protocols: forward ? (protocol === 'tcp' || protocol === 'udp' ? [protocol] : []) : null,
      externalPorts: forward && ext ? [ext] : null,
      target: mapped.filter((m) => m !== '').join(' ') || str(row['mapped-addr']),
      targetPorts: forward && mappedPort ? [mappedPort] : null,
    });
  }
  return out;
}

function serviceFromRow(row: FortiRow): ManagedService {
  const unparsed: string[] = [];
  const parse = (text: string): ManagedService['ports'] => {
    const out: ManagedService['ports'] = [];
    for (const entry of text
      .trim()
      .split(/\s+/)
      .filter((e) => e !== '')) {
      const p = entry.includes(':') ? null : parsePortRange(entry, '-');
      if (p === null) unparsed.push(entry);
      else out.push(p);
    }
    return out;
  };
  const tcp = parse(str(row['tcp-portrange']));
  const udp = parse(str(row['udp-portrange']));
  const sctp = str(row['sctp-portrange']).trim();
  if (sctp !== '') unparsed.push(`sctp ${sctp}`);
  const protocolLiteral = str(row.protocol);
  if (!protocolLiteral.startsWith('TCP/UDP')) unparsed.push(protocolLiteral);
  let protocol: ManagedService['protocol'] = null;
  if (tcp.length > 0 && udp.length === 0) protocol = 'tcp';
  else if (udp.length > 0 && tcp.length === 0) protocol = 'udp';
  else unparsed.push('mixed');
  const attributes: ManagedService['attributes'] = {};
  if (unparsed.length > 0) attributes.unparsed = unparsed.join(' ');
  return {
    name: str(row.name),
    protocol,
    ports: normalizePorts(protocol === 'udp' ? udp : tcp),
    description: str(row.comment),
    attributes,
    ref: str(row.name),
  };
}

function ruleFromRow(row: FortiRow): ManagedRule {
  const v6 = names(row.srcaddr6).length > 0 || names(row.dstaddr6).length > 0;
  const v4 = names(row.srcaddr).length > 0 || names(row.dstaddr).length > 0;
  const negate = ['srcaddr-negate', 'dstaddr-negate', 'service-negate'].some((f) => str(row[f]) === 'enable');
  const attributes: ManagedRule['attributes'] = {
    schedule: str(row.schedule),
    logtraffic: str(row.logtraffic),
    nat: str(row.nat),
    negate: negate ? 'enable' : 'disable',
  };
  if (v4 && v6) attributes.unparsed = 'mixed address families';
  return {
    name: str(row.name),
    scope: POLICY_SCOPE,
    ingress: names(row.srcintf).join(' '),
    egress: names(row.dstintf).join(' '),
    family: v6 && !v4 ? 6 : 4,
    protocol: null,
    source: names(v6 && !v4 ? row.srcaddr6 : row.srcaddr).join(' '),
    destination: names(v6 && !v4 ? row.dstaddr6 : row.dstaddr).join(' '),
    service: names(row.service).join(' '),
    action: str(row.action) === 'accept' ? 'allow' : 'deny',
    enabled: str(row.status) !== 'disable',
    description: str(row.comments),
    attributes,
    ref: str(row.policyid),
  };
}

/**
 * Members of desired groups that exist on their own (left by an interrupted push) are adopted by the group's
 * change instead of being planned for deletion (which the group would then block with -23).
 */
export function adoptMembers(live: ManagedState, desired: DesiredState): ManagedState {
  const members = new Set<string>();
  for (const a of desired.addresses) {
    if (a.attributes.kind === 'group') for (const e of a.entries) members.add(memberName(a.name, e));
  }
  return { ...live, addresses: live.addresses.filter((a) => !members.has(a.name)) };
}

function byName(a: { name: string }, b: { name: string }): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

// ------------------------------------------------------------------------------------------------- request bodies

export function addressBody(
  name: string,
  family: AddressFamily,
  entries: string[],
  comment: string,
): FortiRow {
  if (entries.length === 1) {
    return family === 4
      ? { name, type: 'ipmask', subnet: subnetOf(entries[0]), comment }
      : { name, type: 'ipprefix', ip6: entries[0], comment };
  }
  const { start, end } = rangeOf(entries);
  return { name, type: 'iprange', 'start-ip': start, 'end-ip': end, comment };
}

export function serviceBody(s: ManagedService, protocolLiteral: string): FortiRow {
  const ranges = s.ports.map((p) => formatPortRange(p, '-')).join(' ');
  return {
    name: s.name,
    protocol: protocolLiteral,
    'tcp-portrange': s.protocol === 'tcp' ? ranges : '',
    'udp-portrange': s.protocol === 'udp' ? ranges : '',
    'sctp-portrange': '',
    comment: s.description,
  };
}

export function policyBody(r: ManagedRule): FortiRow {
  if (r.egress === null) {
    throw new ConnectorError({
      kind: 'validation',
      message: `policy ${r.name}: an egress interface is required`,
    });
  }
  const v6 = r.family === 6;
  const ref = (n: string): Array<{ name: string }> => [{ name: n }];
  return {
    name: r.name,
    srcintf: ref(r.ingress),
    dstintf: ref(r.egress),
    srcaddr: v6 ? [] : ref(r.source),
    dstaddr: v6 ? [] : ref(r.destination),
    srcaddr6: v6 ? ref(r.source) : [],
    dstaddr6: v6 ? ref(r.destination) : [],
    service: ref(r.service),
    action: r.action === 'allow' ? 'accept' : 'deny',
    schedule: POLICY_ATTRIBUTES.schedule,
    status: r.enabled ? 'enable' : 'disable',
    logtraffic: POLICY_ATTRIBUTES.logtraffic,
    nat: POLICY_ATTRIBUTES.nat,
    'srcaddr-negate': 'disable',
    'dstaddr-negate': 'disable',
    'service-negate': 'disable',
    comments: r.description,
  };
}

/** Ports one service opens per protocol: `null` = every port of that protocol; a missing key = none. */
type ServicePorts = Map<Protocol, PortRange[] | null>;

export interface UnmanagedInput {
  policies: FortiRow[];
  services: FortiRow[];
  serviceGroups: FortiRow[];
}

/**
 * Unmanaged FortiOS policies (device order) with their protocols and destination ports resolved from the
 * `firewall.service/custom` objects and service groups they reference (`ALL` = any protocol, any port). A policy
 * whose services open different ports per protocol (e.g. HTTPS + a UDP service) is listed once per protocol, so
 * no port is reported open on a protocol it is not.
 */
export function unmanagedRulesFromFortiOs(
  input: UnmanagedInput,
  settings: ResolvedSettings,
): UnmanagedRule[] {
  const custom = new Map(input.services.map((r) => [str(r.name), r]));
  const groups = new Map(input.serviceGroups.map((r) => [str(r.name), r]));
  const out: UnmanagedRule[] = [];
  for (const row of input.policies) {
    if (managedRow(row, settings, 'comments')) continue;
    const serviceNames = names(row.service);
    const base = {
      scope: POLICY_SCOPE,
      interfaces: names(row.srcintf),
      label: str(row.name) || str(row.comments) || `policy ${str(row.policyid)}`,
      action: str(row.action) === 'deny' ? ('deny' as const) : ('allow' as const),
      enabled: str(row.status) !== 'disable',
      source: addressText(row, 'srcaddr'),
      destination: addressText(row, 'dstaddr'),
    };
    const resolved =
      str(row['service-negate']) === 'enable' ? null : resolveFortiServices(serviceNames, custom, groups);
    if (resolved === null) {
      const prefix = str(row['service-negate']) === 'enable' ? '!' : '';
      out.push({ ...base, protocols: null, ports: [], unresolvedPorts: prefix + serviceNames.join(' ') });
      continue;
    }
    if (resolved === 'any') {
      out.push({ ...base, protocols: null, ports: null });
      continue;
    }
    const norm = (ports: PortRange[] | null | undefined): PortRange[] | null | undefined =>
      ports ? normalizePorts(ports) : ports;
    const tcp = norm(resolved.get('tcp'));
    const udp = norm(resolved.get('udp'));
    const same =
      tcp === undefined ||
      udp === undefined ||
      (tcp === null && udp === null) ||
      (tcp !== null && udp !== null && JSON.stringify(tcp) === JSON.stringify(udp));
    if (same) {
      const protocols = (['tcp', 'udp'] as const).filter((p) => resolved.has(p));
      const ports = tcp ?? udp ?? null;
      out.push({ ...base, protocols: [...protocols], ports });
    } else {
      for (const p of ['tcp', 'udp'] as const) {
        out.push({ ...base, protocols: [p], ports: (p === 'tcp' ? tcp : udp) ?? null });
      }
    }
  }
  return out;
}

function addressText(row: FortiRow, field: 'srcaddr' | 'dstaddr'): string {
  const list = [...names(row[field]), ...names(row[`${field}6`])];
  const text = [...new Set(list)].join(' ') || 'none';
  return str(row[`${field}-negate`]) === 'enable' ? `!${text}` : text;
}

/** Union of what the services open; `'any'` for every protocol and port; null when one cannot be resolved. */
function resolveFortiServices(
  serviceNames: string[],
  custom: Map<string, FortiRow>,
  groups: Map<string, FortiRow>,
): ServicePorts | 'any' | null {
  const out: ServicePorts = new Map();
  const add = (protocol: Protocol, ports: PortRange[] | null): void => {
    if (!out.has(protocol)) out.set(protocol, ports === null ? null : [...ports]);
    else {
      const have = out.get(protocol);
      if (have === null || have === undefined) return;
      if (ports === null) out.set(protocol, null);
      else have.push(...ports);
    }
  };
  const visit = (name: string, seen: Set<string>): 'any' | boolean => {
    const group = groups.get(name);
    if (group) {
      if (seen.has(name)) return false;
      seen.add(name);
      for (const member of names(group.member)) {
        const r = visit(member, seen);
        if (r !== true) return r;
      }
      return true;
    }
    const row = custom.get(name);
    if (!row) return false;
    const one = customServicePorts(row);
    if (one === null) return false;
    if (one === 'any') return 'any';
    for (const [protocol, ports] of one) add(protocol, ports);
    return true;
  };
  for (const name of serviceNames) {
    const r = visit(name, new Set());
    if (r === 'any') return 'any';
    if (r === false) return null;
  }
  return out;
}

/** Ports of one custom service; `'any'` for protocol IP 0 (`ALL`); null when a port range cannot be read. */
function customServicePorts(row: FortiRow): ServicePorts | 'any' | null {
  const protocol = str(row.protocol);
  const out: ServicePorts = new Map();
  if (protocol === 'IP') {
    const number = Number(str(row['protocol-number']) || '0');
    if (number === 0) return 'any';
    if (number === 6) out.set('tcp', null);
    if (number === 17) out.set('udp', null);
    return out;
  }
  if (protocol === 'ICMP' || protocol === 'ICMP6') return out;
  for (const p of ['tcp', 'udp'] as const) {
    const text = str(row[`${p}-portrange`]).trim();
    if (text === '') continue;
    const ports: PortRange[] = [];
    for (const entry of text.split(/\s+/)) {
      // `dst[-high][:src[-high]]`: only the destination part decides what is opened.
      const range = parsePortRange(entry.split(':')[0], '-');
      if (range === null) return null;
      ports.push(range);
    }
    out.set(p, ports);
  }
  return out;
}
