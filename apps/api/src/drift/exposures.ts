import { NEVER_EXPOSED_PORTS } from '@app/catalog';
import type { UnmanagedNat, UnmanagedRule } from '@app/connectors';
import type { Protocol } from '@app/engine/model';

export interface Exposure {
  rule: string;
  interfaces: string[];
  protocol: Protocol;
  port: number;
  service: string;
  reason: string;
  source: string;
  destination: string;
  /** The rule sits on the device's external interface (internet, other sites). */
  external: boolean;
}

/**
 * Rules people made that open a port UTMStack must never expose. Flagged: an enabled allow rule that names
 * such a port explicitly (on any interface: someone opened it on purpose), or that allows every port from the
 * external interface. "LAN to any" on an internal interface is ordinary and not flagged.
 */
export function findExposures(rules: UnmanagedRule[], externalInterfaces: ReadonlySet<string>): Exposure[] {
  const out: Exposure[] = [];
  for (const rule of rules) {
    if (rule.action !== 'allow' || !rule.enabled) continue;
    const external = rule.interfaces.some((i) => externalInterfaces.has(i));
    if (rule.ports === null && !external) continue;
    for (const never of NEVER_EXPOSED_PORTS) {
      if (rule.protocols !== null && !rule.protocols.includes(never.protocol)) continue;
      if (rule.ports !== null && !rule.ports.some((p) => p.from <= never.port && never.port <= p.to))
        continue;
      out.push({
        rule: rule.label,
        interfaces: rule.interfaces,
        protocol: never.protocol,
        port: never.port,
        service: never.service,
        reason: never.reason,
        source: rule.source,
        destination: rule.destination,
        external,
      });
    }
  }
  return out;
}

/**
 * Port forwards people made that reach a never-exposed port: the translated (target) port is what the service
 * behind listens on, so that is what counts; with no translation the external port is the target port. A forward
 * of every port (`null`) exposes all of them. Such an entry is always on the internet side, hence `external`.
 */
export function findNatExposures(entries: UnmanagedNat[]): Exposure[] {
  const out: Exposure[] = [];
  for (const entry of entries) {
    if (!entry.enabled) continue;
    const ports = entry.targetPorts ?? entry.externalPorts;
    for (const never of NEVER_EXPOSED_PORTS) {
      if (entry.protocols !== null && !entry.protocols.includes(never.protocol)) continue;
      if (ports !== null && !ports.some((p) => p.from <= never.port && never.port <= p.to)) continue;
      out.push({
        rule: entry.label,
        interfaces: [entry.interface],
        protocol: never.protocol,
        port: never.port,
        service: never.service,
        reason: never.reason,
        source: 'any',
        destination: entry.target,
        external: true,
      });
    }
  }
  return out;
}
