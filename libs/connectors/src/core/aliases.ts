import type { DesiredState, ManagedAddress, ManagedService, ManagedState } from './model';
import { canonicalCidr, formatPortRange, sortCidrs } from './net';

/**
 * pfSense and OPNsense keep addresses and ports in one alias namespace, so a live alias read as one kind
 * may be wanted as the other. Moving it to the bucket the desired state expects lets the planner update
 * it in place (the alias type changes) instead of deleting and recreating a name rules refer to.
 */
export function rebucket(live: ManagedState, desired: DesiredState): ManagedState {
  const wantAddr = new Set(desired.addresses.map((a) => a.name));
  const wantSvc = new Set(desired.services.map((s) => s.name));
  const addresses: ManagedAddress[] = [];
  const services: ManagedService[] = [];
  for (const a of live.addresses) {
    if (wantSvc.has(a.name) && !wantAddr.has(a.name)) {
      services.push({
        name: a.name,
        protocol: null,
        ports: [],
        description: a.description,
        attributes: { ...a.attributes, unparsed: a.entries.join(' ') },
        ref: a.ref,
      });
    } else addresses.push(a);
  }
  for (const s of live.services) {
    if (wantAddr.has(s.name) && !wantSvc.has(s.name)) {
      addresses.push({
        name: s.name,
        entries: [],
        description: s.description,
        attributes: { ...s.attributes, unparsed: s.ports.map((p) => formatPortRange(p, ':')).join(' ') },
        ref: s.ref,
      });
    } else services.push(s);
  }
  return { ...live, addresses, services };
}

/** Canonical CIDRs of an alias's content; entries that are not addresses (FQDNs, nested aliases) kept apart. */
export function splitAliasEntries(content: readonly string[]): { entries: string[]; unparsed: string[] } {
  const entries: string[] = [];
  const unparsed: string[] = [];
  for (const entry of content) {
    const cidr = canonicalCidr(entry);
    if (cidr === null) unparsed.push(entry);
    else entries.push(cidr);
  }
  return { entries: sortCidrs(entries), unparsed };
}

export function byName(a: { name: string }, b: { name: string }): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}
