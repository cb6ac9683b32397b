// TEMPORARY: replaced by the engine's IP utilities once they land.
import { isIP } from 'node:net';

interface Parsed {
  family: 4 | 6;
  network: bigint;
  prefix: number;
}

function parse(text: string): Parsed | string {
  const [addr, prefixText, ...rest] = text.split('/');
  if (rest.length) return 'is not a valid IP address or CIDR';
  const family = isIP(addr ?? '');
  if (family !== 4 && family !== 6) return 'is not a valid IP address or CIDR';
  const bits = family === 4 ? 32 : 128;
  let prefix = bits;
  if (prefixText !== undefined) {
    if (!/^\d{1,3}$/.test(prefixText) || Number(prefixText) > bits)
      return `has an invalid prefix length (0-${bits})`;
    prefix = Number(prefixText);
  }
  const value = family === 4 ? v4(addr) : v6(addr);
  const mask = ((1n << BigInt(bits)) - 1n) ^ ((1n << BigInt(bits - prefix)) - 1n);
  if ((value & mask) !== value) return 'has host bits set beyond its prefix length';
  return { family, network: value, prefix };
}

function v4(a: string): bigint {
  return a.split('.').reduce((acc, part) => (acc << 8n) | BigInt(Number(part)), 0n);
}

function v6(a: string): bigint {
  let text = a;
  if (text.includes('.')) {
    const idx = text.lastIndexOf(':');
    const tail = v4(text.slice(idx + 1));
    text = `${text.slice(0, idx + 1)}${(tail >> 16n).toString(16)}:${(tail & 0xffffn).toString(16)}`;
  }
  const [head, tail] = text.split('::');
  const h = head ? head.split(':') : [];
  const t = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n);
}

export function cidrProblem(text: string): string | null {
  const parsed = parse(text);
  return typeof parsed === 'string' ? parsed : null;
}

function mustParse(text: string): Parsed {
  const parsed = parse(text);
  if (typeof parsed === 'string') throw new Error(`${text} ${parsed}`);
  return parsed;
}

export function canonicalCidr(text: string): string {
  const p = mustParse(text);
  if (p.family === 4) {
    const octets = [24n, 16n, 8n, 0n].map((s) => String((p.network >> s) & 255n));
    return `${octets.join('.')}/${p.prefix}`;
  }
  const groups: string[] = [];
  for (let i = 7; i >= 0; i -= 1) groups.push(((p.network >> BigInt(i * 16)) & 0xffffn).toString(16));
  let best = { start: -1, len: 0 };
  for (let i = 0; i < 8;) {
    if (groups[i] !== '0') {
      i += 1;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === '0') j += 1;
    if (j - i > best.len && j - i > 1) best = { start: i, len: j - i };
    i = j;
  }
  const text2 =
    best.start < 0
      ? groups.join(':')
      : `${groups.slice(0, best.start).join(':')}::${groups.slice(best.start + best.len).join(':')}`;
  return `${text2}/${p.prefix}`;
}

export type CidrRelation = 'disjoint' | 'equal' | 'contains' | 'within';

export function cidrRelation(a: string, b: string): CidrRelation {
  const x = mustParse(a);
  const y = mustParse(b);
  if (x.family !== y.family) return 'disjoint';
  const bits = x.family === 4 ? 32 : 128;
  const shorter = Math.min(x.prefix, y.prefix);
  const shift = BigInt(bits - shorter);
  if (x.network >> shift !== y.network >> shift) return 'disjoint';
  if (x.prefix === y.prefix) return 'equal';
  return x.prefix < y.prefix ? 'contains' : 'within';
}

export interface ZoneLike {
  id: string;
  name: string;
  cidrs: string[];
}

/** The most specific zone whose CIDRs contain the whole address (or CIDR); null when outside every zone. */
export function zoneForAddress<Z extends ZoneLike>(zones: Z[], address: string): Z | null {
  let best: { zone: Z; prefix: number } | null = null;
  for (const zone of zones) {
    for (const cidr of zone.cidrs) {
      const rel = cidrRelation(cidr, address);
      if (rel === 'contains' || rel === 'equal') {
        const prefix = mustParse(cidr).prefix;
        if (!best || prefix > best.prefix) best = { zone, prefix };
      }
    }
  }
  return best?.zone ?? null;
}

/** Canonical text of an address: plain IPs stay plain, CIDRs get their canonical network form. */
export function canonicalAddress(text: string): string {
  const canonical = canonicalCidr(text);
  return text.includes('/') ? canonical : canonical.replace(/\/(32|128)$/, '');
}
