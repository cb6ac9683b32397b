import { NEVER_EXPOSED_PORTS } from '@app/catalog';
import type { UnmanagedRule } from '@app/connectors';
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
