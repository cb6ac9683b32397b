/**
 * Strict IPv4/IPv6 address and CIDR utilities (pure, bigint arithmetic).
 *
 * Accepted input: a bare address (`10.0.0.1`, `2001:db8::1`, meaning a single host: /32 or /128) or a
 * CIDR (`10.0.0.0/24`, `2001:db8::/32`). Rejected, with a message from {@link describeInvalidCidr}:
 * surrounding whitespace, octets above 255 or with leading zeros (`010.0.0.1` is ambiguous), IPv6
 * zone indexes (`fe80::1%eth0`), prefix lengths out of range or with leading zeros, and CIDRs with
 * host bits set (`10.0.0.1/24`): those are rejected rather than silently canonicalised, because
 * "10.0.0.1/24" usually means someone typed an interface address where a network was wanted.
 *
 * Canonical form ({@link formatCidr}): dotted quad for IPv4; RFC 5952 for IPv6 (lowercase, no leading
 * zeros, the longest run of two or more zero groups compressed to `::`, IPv4-mapped addresses as
 * `::ffff:a.b.c.d`); the prefix length is always written (`10.0.0.1/32`).
 */
import type { AddressFamily } from './model';

export interface Cidr {
  readonly family: AddressFamily;
  /** Network address as an unsigned integer (host bits are zero). */
  readonly network: bigint;
  readonly prefix: number;
}

export const FAMILY_BITS: Readonly<Record<AddressFamily, number>> = { 4: 32, 6: 128 };

export class InvalidAddressError extends Error {
  constructor(
    readonly input: string,
    message: string,
  ) {
    super(message);
    this.name = 'InvalidAddressError';
  }
}

type Parsed = { ok: true; cidr: Cidr } | { ok: false; error: string };

const MASKS: Record<AddressFamily, bigint[]> = { 4: buildMasks(32), 6: buildMasks(128) };

function buildMasks(bits: number): bigint[] {
  const all = (1n << BigInt(bits)) - 1n;
  const masks: bigint[] = [];
  for (let len = 0; len <= bits; len++) {
    masks.push(all ^ ((1n << BigInt(bits - len)) - 1n));
  }
  return masks;
}

/** Network mask of a prefix length as an integer (e.g. /24 → 0xffffff00). */
export function prefixMask(family: AddressFamily, prefix: number): bigint {
  return MASKS[family][prefix];
}

/** Number of host bits below the prefix. */
function hostBits(cidr: Cidr): bigint {
  return BigInt(FAMILY_BITS[cidr.family] - cidr.prefix);
}

/** First address of a CIDR. */
export function cidrFirst(cidr: Cidr): bigint {
  return cidr.network;
}

/** Last address of a CIDR. */
export function cidrLast(cidr: Cidr): bigint {
  return cidr.network | ((1n << hostBits(cidr)) - 1n);
}

/** Number of addresses in a CIDR. */
export function cidrSize(cidr: Cidr): bigint {
  return 1n << hostBits(cidr);
}

const DECIMAL = /^[0-9]+$/;
const HEX_GROUP = /^[0-9a-fA-F]{1,4}$/;

function parseIpv4(text: string): number | string {
  const parts = text.split('.');
  if (parts.length !== 4) {
    return `"${text}" is not an IPv4 address (expected four dot-separated numbers)`;
  }
  let value = 0;
  for (const part of parts) {
    if (!DECIMAL.test(part)) {
      return `"${text}" is not an IPv4 address ("${part}" is not a decimal number)`;
    }
    if (part.length > 1 && part.startsWith('0')) {
      return `"${text}" is not a valid IPv4 address (octet "${part}" has a leading zero)`;
    }
    const octet = Number(part);
    if (octet > 255) {
      return `"${text}" is not a valid IPv4 address (octet ${part} is out of range 0-255)`;
    }
    value = value * 256 + octet;
  }
  return value;
}

function parseGroups(text: string, full: string): number[] | string {
  if (text === '') {
    return [];
  }
  const groups: number[] = [];
  for (const group of text.split(':')) {
    if (!HEX_GROUP.test(group)) {
      return `"${full}" is not a valid IPv6 address (bad group "${group}")`;
    }
    groups.push(parseInt(group, 16));
  }
  return groups;
}

function parseIpv6(text: string): bigint | string {
  if (text.includes('%')) {
    return `"${text}" is not accepted (IPv6 zone indexes are not allowed)`;
  }
  let body = text;
  const tailGroups: number[] = [];
  const lastColon = body.lastIndexOf(':');
  const lastPart = body.slice(lastColon + 1);
  if (lastPart.includes('.')) {
    const v4 = parseIpv4(lastPart);
    if (typeof v4 === 'string') {
      return `"${text}" is not a valid IPv6 address (embedded IPv4 part: ${v4})`;
    }
    tailGroups.push(Math.floor(v4 / 65536), v4 % 65536);
    // keep the separating colon(s): "::1.2.3.4" → "::", "a:b:1.2.3.4" → "a:b:"
    body = body.slice(0, lastColon + 1);
    if (body.endsWith(':') && !body.endsWith('::')) {
      body = body.slice(0, -1);
    }
  }
  const first = body.indexOf('::');
  let groups: number[];
  if (first >= 0) {
    if (body.indexOf('::', first + 1) >= 0) {
      return `"${text}" is not a valid IPv6 address ("::" may appear only once)`;
    }
    const head = parseGroups(body.slice(0, first), text);
    if (typeof head === 'string') return head;
    const tail = parseGroups(body.slice(first + 2), text);
    if (typeof tail === 'string') return tail;
    const present = head.length + tail.length + tailGroups.length;
    if (present > 7) {
      return `"${text}" is not a valid IPv6 address (too many groups)`;
    }
    groups = [...head, ...new Array<number>(8 - present).fill(0), ...tail, ...tailGroups];
  } else {
    const all = parseGroups(body, text);
    if (typeof all === 'string') return all;
    groups = [...all, ...tailGroups];
    if (groups.length !== 8) {
      return `"${text}" is not a valid IPv6 address (expected 8 groups, found ${groups.length})`;
    }
  }
  let value = 0n;
  for (const group of groups) {
    value = (value << 16n) | BigInt(group);
  }
  return value;
}

/**
 * The common case, a valid IPv4 address or CIDR, read in one pass over the characters; null for anything
 * else (including every invalid input, so that {@link parse} words the error).
 */
function parseIpv4Fast(input: string): Cidr | null {
  let value = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  let i = 0;
  for (; i < input.length; i++) {
    const c = input.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      if (digits === 1 && octet === 0) return null; // leading zero
      octet = octet * 10 + (c - 48);
      digits++;
      if (octet > 255) return null;
    } else if (c === 46 /* . */) {
      if (digits === 0 || dots === 3) return null;
      value = value * 256 + octet;
      octet = 0;
      digits = 0;
      dots++;
    } else if (c === 47 /* / */) {
      break;
    } else {
      return null;
    }
  }
  if (digits === 0 || dots !== 3) return null;
  value = value * 256 + octet;
  let prefix = 32;
  if (i < input.length) {
    const text = input.slice(i + 1);
    if (text.length === 0 || text.length > 2 || (text.length > 1 && text.charCodeAt(0) === 48)) return null;
    prefix = 0;
    for (let k = 0; k < text.length; k++) {
      const c = text.charCodeAt(k);
      if (c < 48 || c > 57) return null;
      prefix = prefix * 10 + (c - 48);
    }
    if (prefix > 32 || value % 2 ** (32 - prefix) !== 0) return null; // host bits set
  }
  return { family: 4, network: BigInt(value), prefix };
}

function parse(input: string): Parsed {
  if (typeof input !== 'string' || input.length === 0) {
    return { ok: false, error: 'an address or CIDR is required' };
  }
  const fast = parseIpv4Fast(input);
  if (fast) {
    return { ok: true, cidr: fast };
  }
  if (input.trim() !== input || /\s/.test(input)) {
    return { ok: false, error: `"${input}" contains whitespace` };
  }
  const slash = input.indexOf('/');
  const addressText = slash >= 0 ? input.slice(0, slash) : input;
  const prefixText = slash >= 0 ? input.slice(slash + 1) : null;
  let family: AddressFamily;
  let value: bigint;
  if (addressText.includes(':')) {
    const v6 = parseIpv6(addressText);
    if (typeof v6 === 'string') return { ok: false, error: v6 };
    family = 6;
    value = v6;
  } else if (addressText.includes('.')) {
    const v4 = parseIpv4(addressText);
    if (typeof v4 === 'string') return { ok: false, error: v4 };
    family = 4;
    value = BigInt(v4);
  } else {
    return { ok: false, error: `"${input}" is not an IPv4 or IPv6 address or CIDR` };
  }
  const bits = FAMILY_BITS[family];
  let prefix = bits;
  if (prefixText !== null) {
    if (!DECIMAL.test(prefixText) || (prefixText.length > 1 && prefixText.startsWith('0'))) {
      return { ok: false, error: `"${input}" has an invalid prefix length "${prefixText}"` };
    }
    prefix = Number(prefixText);
    if (prefix > bits) {
      return {
        ok: false,
        error: `"${input}" has prefix length ${prefix}, out of range 0-${bits} for IPv${family}`,
      };
    }
  }
  const network = value & MASKS[family][prefix];
  if (network !== value) {
    const suggestion = formatCidr({ family, network, prefix });
    const host = formatCidr({ family, network: value, prefix: bits });
    return {
      ok: false,
      error: `"${input}" has host bits set: the network is ${suggestion} (a single host is ${host})`,
    };
  }
  return { ok: true, cidr: { family, network, prefix } };
}

/** `null` when `input` is a valid address or CIDR, otherwise a human-readable reason. */
export function describeInvalidCidr(input: string): string | null {
  const parsed = parse(input);
  return parsed.ok ? null : parsed.error;
}

export function isValidCidr(input: string): boolean {
  return parse(input).ok;
}

/** Parses an address or CIDR; throws {@link InvalidAddressError} when invalid. */
export function parseCidr(input: string): Cidr {
  const parsed = parse(input);
  if (!parsed.ok) {
    throw new InvalidAddressError(input, parsed.error);
  }
  return parsed.cidr;
}

export function tryParseCidr(input: string): Cidr | null {
  const parsed = parse(input);
  return parsed.ok ? parsed.cidr : null;
}

function formatIpv4(value: bigint): string {
  const n = Number(value);
  return `${Math.floor(n / 16777216) % 256}.${Math.floor(n / 65536) % 256}.${Math.floor(n / 256) % 256}.${n % 256}`;
}

function formatIpv6(value: bigint): string {
  const groups: number[] = [];
  for (let i = 7; i >= 0; i--) {
    groups.push(Number((value >> BigInt(i * 16)) & 0xffffn));
  }
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return `::ffff:${formatIpv4(value & 0xffffffffn)}`;
  }
  let bestStart = -1;
  let bestLength = 0;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestLength < 2) {
    return hex.join(':');
  }
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

/** Canonical text of an address (no prefix). */
export function formatAddress(family: AddressFamily, value: bigint): string {
  return family === 4 ? formatIpv4(value) : formatIpv6(value);
}

/** Canonical text of a CIDR, always with its prefix length (`10.0.0.1/32`). */
export function formatCidr(cidr: Cidr): string {
  return `${formatAddress(cidr.family, cidr.network)}/${cidr.prefix}`;
}

/** Canonical form of an address or CIDR; throws {@link InvalidAddressError} when invalid. */
export function canonicalCidr(input: string): string {
  return formatCidr(parseCidr(input));
}

function asCidr(value: string | Cidr): Cidr {
  return typeof value === 'string' ? parseCidr(value) : value;
}

/** True when every address of `inner` is in `outer` (same family only). */
export function cidrContains(outer: string | Cidr, inner: string | Cidr): boolean {
  const a = asCidr(outer);
  const b = asCidr(inner);
  if (a.family !== b.family || a.prefix > b.prefix) return false;
  if (a.family === 4) {
    // in doubles, exact for IPv4: the masking bigint was an allocation per test (several per node placed)
    const network = Number(b.network);
    return network - (network % 2 ** (32 - a.prefix)) === Number(a.network);
  }
  return (b.network & MASKS[a.family][a.prefix]) === a.network;
}

/** True when the two CIDRs share at least one address (CIDRs either nest or are disjoint). */
export function cidrsOverlap(a: string | Cidr, b: string | Cidr): boolean {
  const x = asCidr(a);
  const y = asCidr(b);
  return cidrContains(x, y) || cidrContains(y, x);
}

/**
 * The most specific zone with a CIDR containing the whole of `address` (an address or CIDR), or null.
 * Ties (two zones with the same CIDR) go to the first zone in the array.
 */
export function zoneForAddress<Z extends { cidrs: readonly string[] }>(
  zones: readonly Z[],
  address: string | Cidr,
): Z | null {
  const target = asCidr(address);
  let best: Z | null = null;
  let bestPrefix = -1;
  for (const zone of zones) {
    for (const text of zone.cidrs) {
      const cidr = tryParseCidr(text);
      if (cidr && cidr.prefix > bestPrefix && cidrContains(cidr, target)) {
        best = zone;
        bestPrefix = cidr.prefix;
      }
    }
  }
  return best;
}

/** Splits a CIDR into its two halves (it must not be a single address). */
export function splitCidr(cidr: Cidr): [Cidr, Cidr] {
  const prefix = cidr.prefix + 1;
  const half = 1n << BigInt(FAMILY_BITS[cidr.family] - prefix);
  return [
    { family: cidr.family, network: cidr.network, prefix },
    { family: cidr.family, network: cidr.network | half, prefix },
  ];
}

/** Minimal list of CIDRs covering exactly the inclusive range [first, last]. */
export function rangeToCidrs(family: AddressFamily, first: bigint, last: bigint): Cidr[] {
  const bits = FAMILY_BITS[family];
  const out: Cidr[] = [];
  let start = first;
  while (start <= last) {
    let size = 0;
    // largest aligned block starting at `start` that does not pass `last`
    while (
      size < bits &&
      (start & (1n << BigInt(size))) === 0n &&
      start + (1n << BigInt(size + 1)) - 1n <= last
    ) {
      size++;
    }
    out.push({ family, network: start, prefix: bits - size });
    start += 1n << BigInt(size);
  }
  return out;
}

/** Merged, sorted inclusive intervals of a list of same-family CIDRs. */
export function cidrIntervals(cidrs: readonly Cidr[]): Array<[bigint, bigint]> {
  const intervals = cidrs.map((c): [bigint, bigint] => [c.network, cidrLast(c)]);
  intervals.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const merged: Array<[bigint, bigint]> = [];
  for (const interval of intervals) {
    const last = merged[merged.length - 1];
    if (last && interval[0] <= last[1] + 1n) {
      if (interval[1] > last[1]) last[1] = interval[1];
    } else {
      merged.push([interval[0], interval[1]]);
    }
  }
  return merged;
}

/**
 * Exact summary of a set of same-family CIDRs: the smallest sorted list of CIDRs whose union is exactly
 * the union of the input (overlaps removed, adjacent blocks joined only when the result is exact).
 */
export function summarizeCidrList(family: AddressFamily, cidrs: readonly Cidr[]): Cidr[] {
  if (cidrs.length === 1) {
    return [cidrs[0]];
  }
  if (family === 4) return summarizeIpv4(cidrs);
  return cidrIntervals(cidrs).flatMap(([first, last]) => rangeToCidrs(family, first, last));
}

/**
 * An IPv4 block as one double, network × 64 + prefix length: exact (below 2^53), no object, and in the order
 * of {@link compareCidrs} (network, then prefix length), so that a typed array of them sorts by network.
 */
export function packIpv4(cidr: Cidr): number {
  return Number(cidr.network) * 64 + cidr.prefix;
}

/** The block {@link packIpv4} packed. */
export function unpackIpv4(block: number): Cidr {
  const prefix = block % 64;
  return { family: 4, network: BigInt((block - prefix) / 64), prefix };
}

/**
 * {@link summarizeCidrList} of IPv4 blocks in doubles (exact: below 2^53) instead of bigints: the hub's
 * sets unite an address per agent, 275,000 at 10,000 sites, and a bigint costs an allocation per operation.
 */
function summarizeIpv4(cidrs: readonly Cidr[]): Cidr[] {
  const blocks = new Float64Array(cidrs.length);
  for (let i = 0; i < cidrs.length; i++) blocks[i] = packIpv4(cidrs[i]);
  return summarizePackedIpv4(blocks);
}

/** {@link summarizeCidrList} of IPv4 blocks packed by {@link packIpv4} (sorts `blocks` in place). */
export function summarizePackedIpv4(blocks: Float64Array): Cidr[] {
  blocks.sort();
  const out: Cidr[] = [];
  let first = -1;
  let last = -1;
  for (let i = 0; i < blocks.length; i++) {
    const block = blocks[i];
    const prefix = block % 64;
    const network = (block - prefix) / 64;
    const end = network + 2 ** (32 - prefix) - 1;
    if (first >= 0 && network <= last + 1) {
      if (end > last) last = end;
      continue;
    }
    if (first >= 0) pushIpv4Range(first, last, out);
    first = network;
    last = end;
  }
  pushIpv4Range(first, last, out);
  return out;
}

/** {@link rangeToCidrs} for IPv4 in doubles. */
function pushIpv4Range(first: number, last: number, out: Cidr[]): void {
  let start = first;
  while (start <= last) {
    // largest aligned block starting at `start` that does not pass `last`
    let size = 0;
    while (size < 32 && start % 2 ** (size + 1) === 0 && start + 2 ** (size + 1) - 1 <= last) size++;
    out.push({ family: 4, network: BigInt(start), prefix: 32 - size });
    start += 2 ** size;
  }
}

/** Exact summary of the addresses in both lists (same family): a sorted list of CIDRs, empty when disjoint. */
export function intersectCidrList(family: AddressFamily, a: readonly Cidr[], b: readonly Cidr[]): Cidr[] {
  const left = cidrIntervals(a);
  const right = cidrIntervals(b);
  const out: Cidr[] = [];
  // both interval lists are sorted and disjoint: one merge pass
  for (let i = 0, j = 0; i < left.length && j < right.length;) {
    const first = left[i][0] > right[j][0] ? left[i][0] : right[j][0];
    const last = left[i][1] < right[j][1] ? left[i][1] : right[j][1];
    if (first <= last) out.push(...rangeToCidrs(family, first, last));
    if (left[i][1] < right[j][1]) i++;
    else j++;
  }
  return out;
}

/** Exact summary of the addresses of `a` that are not in `b` (same family), sorted. */
export function subtractCidrList(family: AddressFamily, a: readonly Cidr[], b: readonly Cidr[]): Cidr[] {
  const removed = cidrIntervals(b);
  const out: Cidr[] = [];
  for (const [first, last] of cidrIntervals(a)) {
    let start = first;
    for (const [from, to] of removed) {
      if (to < start || from > last) continue;
      if (from > start) out.push(...rangeToCidrs(family, start, from - 1n));
      start = to + 1n;
      if (start > last) break;
    }
    if (start <= last) out.push(...rangeToCidrs(family, start, last));
  }
  return out;
}

/** Exact summary of addresses/CIDRs given as text; IPv4 entries first, then IPv6, in canonical form. */
export function summarizeCidrs(inputs: readonly (string | Cidr)[]): string[] {
  const parsed = inputs.map(asCidr);
  return ([4, 6] as const).flatMap((family) =>
    summarizeCidrList(
      family,
      parsed.filter((c) => c.family === family),
    ).map(formatCidr),
  );
}

/** Compares CIDRs: IPv4 before IPv6, then by network, then shorter prefix first. */
export function compareCidrs(a: Cidr, b: Cidr): number {
  if (a.family !== b.family) return a.family - b.family;
  if (a.network !== b.network) return a.network < b.network ? -1 : 1;
  return a.prefix - b.prefix;
}
