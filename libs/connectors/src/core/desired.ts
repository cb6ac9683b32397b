import { isIPv4 } from 'node:net';
import {
  INTERFACE_ADDRESS,
  type AddressObject,
  type NatEntry,
  type NatSemantics,
  type PortRange,
  type RuleSet,
  type ServiceObject,
  type Vendor,
} from '@app/engine/model';
import { ConnectorError } from './errors';
import type { Attributes, ManagedNat, ManagedRule } from './model';
import { canonicalCidr, sortCidrs } from './net';
import { VENDOR_LABELS, type ResolvedSettings } from './target';

/**
 * Checks every vendor's `desiredFromRuleSet` shares. Problems are collected rather than thrown one by one so that a
 * rejected rule set names everything wrong with it in a single validation error.
 */
export class RuleSetProblems {
  private readonly list: string[] = [];

  constructor(
    ruleSet: RuleSet,
    private readonly vendor: Vendor,
    settings: ResolvedSettings,
  ) {
    if (ruleSet.vendor !== vendor) this.add(`rule set is for vendor ${ruleSet.vendor}`);
    if (ruleSet.prefix !== settings.prefix) {
      this.add(`rule set prefix ${ruleSet.prefix} differs from the device prefix ${settings.prefix}`);
    }
  }

  add(problem: string): void {
    this.list.push(problem);
  }

  /**
   * Canonical, sorted entries of an address object. With `singleFamily`, an entry of the other family is a problem
   * (FortiOS keeps IPv4 and IPv6 objects in separate tables).
   */
  addressEntries(obj: AddressObject, options: { singleFamily?: boolean } = {}): string[] {
    if (obj.entries.length === 0) this.add(`address object ${obj.name} has no entries`);
    return sortCidrs(
      obj.entries.map((e) => {
        const c = canonicalCidr(e);
        if (c === null) this.add(`address object ${obj.name}: ${e} is not an IP or CIDR`);
        else if (options.singleFamily && c.includes(':') !== (obj.family === 6)) {
          this.add(`address object ${obj.name}: ${e} is not IPv${obj.family} (objects are single-family)`);
        }
        return c ?? e;
      }),
    );
  }

  servicePorts(svc: ServiceObject): void {
    if (svc.ports.length === 0) this.add(`service object ${svc.name} has no ports`);
    for (const p of svc.ports) {
      const valid =
        Number.isInteger(p.from) && Number.isInteger(p.to) && p.from >= 1 && p.to <= 65535 && p.from <= p.to;
      if (!valid) this.add(`service object ${svc.name}: invalid port range ${p.from}-${p.to}`);
    }
  }

  /**
   * The NAT semantics the vendor filters by: a rule set computed for the other one would admit nothing (or the
   * wrong thing) on the device, so it is refused before anything is written.
   */
  natSemantics(ruleSet: RuleSet, expected: NatSemantics, why: string): void {
    if ((ruleSet.nat ?? []).length > 0 && ruleSet.natSemantics !== expected) {
      this.add(
        `NAT entries need natSemantics ${expected} on ${VENDOR_LABELS[this.vendor]} (${why}), got ${ruleSet.natSemantics ?? 'none'}`,
      );
    }
  }

  /**
   * What every vendor's NAT entry must be (IPv4 host addresses, valid port ranges of equal length: forwards map a
   * range onto the target by offset), normalised with the vendor's description and owned attributes.
   */
  natEntry(entry: NatEntry, description: string, attributes: Attributes): ManagedNat {
    const what = `NAT entry ${entry.name}`;
    if (entry.externalAddress !== INTERFACE_ADDRESS && !isIPv4(entry.externalAddress))
      this.add(
        `${what}: external address ${entry.externalAddress} is not an IPv4 host address or "interface"`,
      );
    if (!isIPv4(entry.target)) this.add(`${what}: target ${entry.target} is not an IPv4 host address`);
    const ranges = [entry.externalPorts, entry.targetPorts];
    for (const p of ranges)
      if (!validPortRange(p)) this.add(`${what}: ports ${p.from}-${p.to} are not a port range`);
    if (
      ranges.every(validPortRange) &&
      entry.externalPorts.to - entry.externalPorts.from !== entry.targetPorts.to - entry.targetPorts.from
    )
      this.add(`${what}: external and target port ranges differ in length`);
    return {
      name: entry.name,
      interface: entry.interface,
      protocol: entry.protocol,
      externalAddress: entry.externalAddress,
      externalPorts: { from: entry.externalPorts.from, to: entry.externalPorts.to },
      target: entry.target,
      targetPorts: { from: entry.targetPorts.from, to: entry.targetPorts.to },
      description,
      attributes: { ...attributes },
    };
  }

  /** Vendors without a rule name field carry the name as the first word of the description. */
  oneWordRuleName(name: string): void {
    if (/\s/.test(name) || name === '') this.add(`rule name "${name}" must be one word`);
  }

  /** Throws one validation error listing every problem found, if any. */
  throwIfAny(): void {
    if (this.list.length === 0) return;
    throw new ConnectorError({
      kind: 'validation',
      message: `Rule set cannot be written to ${VENDOR_LABELS[this.vendor]}: ${this.list.join('; ')}`,
      details: { problems: [...this.list] },
    });
  }
}

/** Managed rule order per scope: the engine's order, ties broken by name, so the block order is deterministic. */
export function ruleOrder(
  rules: RuleSet['rules'],
  scopeOf: (rule: RuleSet['rules'][number]) => string,
): Record<string, string[]> {
  const byScope = new Map<string, RuleSet['rules']>();
  for (const rule of rules) {
    const scope = scopeOf(rule);
    byScope.set(scope, [...(byScope.get(scope) ?? []), rule]);
  }
  const order: Record<string, string[]> = {};
  for (const [scope, list] of byScope) {
    order[scope] = [...list]
      .sort((a, b) => a.order - b.order || a.name.localeCompare(b.name))
      .map((r) => r.name);
  }
  return order;
}

/** A managed rule that lives on its ingress interface (pfSense, OPNsense): no egress, the protocol on the rule. */
export function ingressRule(
  rule: RuleSet['rules'][number],
  description: string,
  attributes: Attributes,
): ManagedRule {
  return {
    name: rule.name,
    scope: rule.ingress,
    ingress: rule.ingress,
    egress: null,
    family: rule.family,
    protocol: rule.protocol,
    source: rule.source,
    destination: rule.destination,
    service: rule.service,
    action: 'allow',
    enabled: true,
    description,
    attributes,
  };
}

function validPortRange(p: PortRange): boolean {
  return Number.isInteger(p.from) && Number.isInteger(p.to) && p.from >= 1 && p.from <= p.to && p.to <= 65535;
}
