import { isIPv4 } from 'node:net';
import { NEVER_EXPOSED_PORTS } from '@app/catalog';
import { describeInvalidPortRange, normalizePorts, subtractPorts } from '@app/engine';
import {
  INTERFACE_ADDRESS,
  type CatalogFlow,
  type PortRange,
  type Protocol,
  type PublishedPortInput,
  type Role,
} from '@app/engine/model';
import type { FieldError } from '../../common/errors/domain-error';

/**
 * An IPv4 address of one host, as a NAT entry can forward from or to: dotted quad without a prefix, not the
 * unspecified or broadcast address and not multicast/reserved (224.0.0.0 and above).
 */
export function isIpv4Host(text: string): boolean {
  if (!isIPv4(text)) return false;
  const octets = text.split('.').map(Number);
  if (text.split('.').some((o) => o.length > 1 && o.startsWith('0'))) return false;
  return octets[0] !== 0 && octets[0] < 224;
}

/** A public address of an interface or a publication: an IPv4 host or `interface` (the interface's own). */
export function isPublicAddress(text: string): boolean {
  return text === INTERFACE_ADDRESS || isIpv4Host(text);
}

/** The node's first IPv4 host address (a `/32` counts as one), the address a port forward targets; else null. */
export function nodeIpv4Host(addresses: readonly string[]): string | null {
  for (const address of addresses) {
    const host = address.endsWith('/32') ? address.slice(0, -3) : address;
    if (isIpv4Host(host)) return host;
  }
  return null;
}

export interface InterfaceFacts {
  name: string;
  external: boolean;
  publicAddresses: string[];
}

/**
 * The interface a publication forwards on: the one it names (external only), else the device's first external
 * interface by name (engine PublicationInput). Null with why when there is none.
 */
export function resolveInterface(
  interfaces: readonly InterfaceFacts[],
  requested: string | null | undefined,
): { iface: InterfaceFacts } | { error: string } {
  if (requested != null) {
    const iface = interfaces.find((i) => i.name === requested);
    if (!iface) return { error: `the device has no interface ${requested}` };
    if (!iface.external)
      return { error: `interface ${requested} is not an external interface of the device` };
    return { iface };
  }
  const external = interfaces.filter((i) => i.external).sort((a, b) => (a.name < b.name ? -1 : 1));
  if (!external.length) return { error: 'the device has no external interface to publish on' };
  return { iface: external[0] };
}

/**
 * The public address a publication answers on: its own, else the interface's first; null when neither says one
 * (the engine refuses such a publication, so the API does too).
 */
export function resolvePublicAddress(
  iface: InterfaceFacts,
  requested: string | null | undefined,
): string | null {
  return requested ?? iface.publicAddresses[0] ?? null;
}

/** The external port range of one published entry. */
export function externalRange(entry: PublishedPortInput): PortRange {
  const from = entry.externalFrom ?? entry.ports.from;
  return { from, to: from + (entry.ports.to - entry.ports.from) };
}

/**
 * Range checks, the never-exposed list on both sides (a forward to 5432 or from 9200 opens what UTMStack must never
 * expose, whatever port the other side uses), and external ranges of one protocol overlapping each other.
 */
export function checkPublishedPorts(ports: readonly PublishedPortInput[], field = 'ports'): FieldError[] {
  const errors: FieldError[] = [];
  const seen: { protocol: Protocol; range: PortRange; index: number }[] = [];
  ports.forEach((entry, index) => {
    const at = `${field}.${index}`;
    const invalid = describeInvalidPortRange(entry.ports);
    if (invalid) {
      errors.push({ field: `${at}.ports`, message: `${at}.ports: ${invalid}` });
      return;
    }
    const external = externalRange(entry);
    if (entry.externalFrom != null) {
      if (!Number.isInteger(entry.externalFrom) || entry.externalFrom < 1 || entry.externalFrom > 65535) {
        errors.push({ field: `${at}.externalFrom`, message: `${at}.externalFrom must be 1-65535` });
        return;
      }
      if (external.to > 65535) {
        errors.push({
          field: `${at}.externalFrom`,
          message:
            `${at}.externalFrom ${entry.externalFrom} + ${entry.ports.to - entry.ports.from} (the length of ` +
            `${entry.ports.from}-${entry.ports.to}) ends at ${external.to}, beyond 65535`,
        });
        return;
      }
    }
    for (const never of NEVER_EXPOSED_PORTS) {
      if (never.protocol !== entry.protocol) continue;
      const sides = [
        ['ports', entry.ports],
        ['externalFrom', external],
      ] as const;
      for (const [side, range] of sides) {
        if (range.from <= never.port && never.port <= range.to) {
          errors.push({
            field: `${at}.${side}`,
            message:
              `${at}: ${never.port}/${never.protocol} (${never.service}) can never be published: ${never.reason}` +
              (side === 'externalFrom' ? ' (external port)' : ' (internal port)'),
          });
          break;
        }
      }
    }
    const clash = seen.find(
      (s) => s.protocol === entry.protocol && s.range.from <= external.to && external.from <= s.range.to,
    );
    if (clash) {
      errors.push({
        field: `${at}.ports`,
        message: `${at}: external ports ${external.from}-${external.to}/${entry.protocol} overlap ${field}.${clash.index}`,
      });
    }
    seen.push({ protocol: entry.protocol, range: external, index });
  });
  return errors;
}

/** Whether two publications' external ports meet (same protocol, overlapping ranges); the first meeting pair. */
export function overlappingPorts(
  a: readonly PublishedPortInput[],
  b: readonly PublishedPortInput[],
): { protocol: Protocol; range: PortRange } | null {
  for (const x of a) {
    const rx = externalRange(x);
    for (const y of b) {
      if (x.protocol !== y.protocol) continue;
      const ry = externalRange(y);
      if (rx.from <= ry.to && ry.from <= rx.to)
        return {
          protocol: x.protocol,
          range: { from: Math.max(rx.from, ry.from), to: Math.min(rx.to, ry.to) },
        };
    }
  }
  return null;
}

/**
 * The ports a node needs published when none are given: every flow of its catalog version whose destination is
 * its role, or `collector` when its role may collect, merged per protocol (tcp first), never-exposed ports left
 * out. Internal and external ports are the same.
 */
export function defaultPublishedPorts(
  flows: readonly CatalogFlow[],
  role: Role,
  collectorRoles: readonly Role[],
): PublishedPortInput[] {
  const targets = new Set<string>([role, ...(collectorRoles.includes(role) ? ['collector'] : [])]);
  const out: PublishedPortInput[] = [];
  for (const protocol of ['tcp', 'udp'] as const) {
    const never = NEVER_EXPOSED_PORTS.filter((n) => n.protocol === protocol).map((n) => ({
      from: n.port,
      to: n.port,
    }));
    const ranges = subtractPorts(
      normalizePorts(
        flows.filter((f) => f.protocol === protocol && targets.has(f.to)).flatMap((f) => f.ports),
      ),
      never,
    );
    for (const ports of ranges) out.push({ protocol, ports, externalFrom: null });
  }
  return out;
}

/** The stored and returned shape: explicit `externalFrom` (null: same as inside). */
export function canonicalPorts(ports: readonly PublishedPortInput[]): PublishedPortInput[] {
  return ports.map((p) => ({
    protocol: p.protocol,
    ports: { from: p.ports.from, to: p.ports.to },
    externalFrom: p.externalFrom ?? null,
  }));
}
