import { canonicalCidr, cidrContains, formatAddress, parseCidr } from '@app/engine';

export { describeInvalidCidr, zoneForAddress } from '@app/engine';

/** Canonical text of an address: plain IPs stay plain, CIDRs get their canonical network form. */
export function canonicalAddress(text: string): string {
  if (text.includes('/')) return canonicalCidr(text);
  const cidr = parseCidr(text);
  return formatAddress(cidr.family, cidr.network);
}

export { canonicalCidr };

export type CidrRelation = 'disjoint' | 'equal' | 'contains' | 'within';

/** How `a` relates to `b`; CIDR blocks either nest or are disjoint. */
export function cidrRelation(a: string, b: string): CidrRelation {
  const outer = cidrContains(a, b);
  const inner = cidrContains(b, a);
  if (outer && inner) return 'equal';
  if (outer) return 'contains';
  return inner ? 'within' : 'disjoint';
}
