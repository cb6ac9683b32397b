import { isIPv4, isIPv6 } from 'node:net';
import type { PortRange } from '@app/engine/model';

/** Canonical text of an IPv6 address (lower case, zero-compressed), using the WHATWG URL host serialiser. */
export function canonicalIPv6(ip: string): string {
  return new URL(`http://[${ip}]/`).hostname.slice(1, -1);
}

export function canonicalIp(ip: string): string | null {
  if (isIPv4(ip)) return ip.split('.').map(Number).join('.');
  if (isIPv6(ip)) return canonicalIPv6(ip);
  return null;
}

/**
 * Canonical CIDR for an IP or CIDR (a bare IP becomes /32 or /128; host bits are NOT cleared, so a mistake stays
 * visible). Returns null when the text is neither.
 */
export function canonicalCidr(value: string): string | null {
  const trimmed = value.trim();
  const slash = trimmed.indexOf('/');
  const ipPart = slash === -1 ? trimmed : trimmed.slice(0, slash);
  const ip = canonicalIp(ipPart);
  if (ip === null) return null;
  const max = ip.includes(':') ? 128 : 32;
  if (slash === -1) return `${ip}/${max}`;
  const prefixText = trimmed.slice(slash + 1);
  if (!/^\d{1,3}$/.test(prefixText)) return null;
  const prefix = Number(prefixText);
  if (prefix > max) return null;
  return `${ip}/${prefix}`;
}

export function isHostCidr(cidr: string): boolean {
  return cidr.endsWith(cidr.includes(':') ? '/128' : '/32');
}

export function cidrAddress(cidr: string): string {
  return cidr.slice(0, cidr.indexOf('/'));
}

export function isCidr(value: string): boolean {
  return value.includes('/') && canonicalCidr(value) !== null;
}

/** Sorts canonical CIDRs: IPv4 before IPv6, then numerically. */
export function sortCidrs(cidrs: string[]): string[] {
  return [...new Set(cidrs)].sort(compareCidr);
}

function compareCidr(a: string, b: string): number {
  const fa = a.includes(':') ? 6 : 4;
  const fb = b.includes(':') ? 6 : 4;
  if (fa !== fb) return fa - fb;
  const ka = cidrKey(a);
  const kb = cidrKey(b);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

function cidrKey(cidr: string): string {
  const [ip, prefix] = cidr.split('/');
  if (!ip.includes(':')) {
    return ip
      .split('.')
      .map((o) => o.padStart(3, '0'))
      .join('.')
      .concat('/', prefix.padStart(3, '0'));
  }
  return expandIPv6(ip).concat('/', prefix.padStart(3, '0'));
}

function expandIPv6(ip: string): string {
  const [head, tail] = ip.includes('::') ? ip.split('::') : [ip, ''];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const fill = new Array<string>(Math.max(0, 8 - h.length - t.length)).fill('0');
  return [...h, ...(ip.includes('::') ? fill : []), ...t].map((g) => g.padStart(4, '0')).join(':');
}

export function isValidPort(n: number): boolean {
  return Number.isInteger(n) && n >= 1 && n <= 65535;
}

/** Sorts and merges overlapping/adjacent ranges. */
export function normalizePorts(ports: PortRange[]): PortRange[] {
  const sorted = ports
    .map((p) => ({ from: p.from, to: p.to }))
    .sort((a, b) => a.from - b.from || a.to - b.to);
  const out: PortRange[] = [];
  for (const p of sorted) {
    const last = out[out.length - 1];
    if (last && p.from <= last.to + 1) last.to = Math.max(last.to, p.to);
    else out.push(p);
  }
  return out;
}

/** `a` or `a<sep>b`. */
export function formatPortRange(p: PortRange, separator: string): string {
  return p.from === p.to ? String(p.from) : `${p.from}${separator}${p.to}`;
}

/** Parses `a` or `a<sep>b`; null when invalid. */
export function parsePortRange(text: string, separator: string): PortRange | null {
  const parts = text.trim().split(separator);
  if (parts.length > 2 || parts.some((p) => !/^\d{1,5}$/.test(p))) return null;
  const from = Number(parts[0]);
  const to = Number(parts[parts.length - 1]);
  if (!isValidPort(from) || !isValidPort(to) || from > to) return null;
  return { from, to };
}
