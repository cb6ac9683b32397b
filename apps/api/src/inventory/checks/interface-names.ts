import type { InventoryWarning } from './checks.service';

/**
 * What a connector offers when it can list the interface names the live device has (`readInterfaceNames()`,
 * optional in FirewallConnector; the pfSense, FortiOS and OPNsense connectors implement it). The plan-time check
 * runs for any connector that has it; for the others the plan carries no interface finding.
 */
export interface LiveInterfaceReader {
  readInterfaceNames(): Promise<string[]>;
}

export function canReadInterfaceNames(connector: object): connector is LiveInterfaceReader {
  return typeof (connector as Partial<LiveInterfaceReader>).readInterfaceNames === 'function';
}

interface ConfiguredDevice {
  id: string;
  name: string;
  interfaces: ReadonlyArray<{ name: string; position: number }>;
}

/**
 * Configured interface names the live device does not have: rules on them would be refused by the device, or
 * (pfSense/OPNsense) land on an interface that does not exist. Compared case-insensitively, as the inventory
 * itself treats interface names (whether each vendor does is not settled by the references).
 */
export function unknownInterfaceFindings(
  device: ConfiguredDevice,
  liveNames: readonly string[],
): InventoryWarning[] {
  const live = new Set(liveNames.map((n) => n.toLowerCase()));
  return [...device.interfaces]
    .sort((a, b) => a.position - b.position)
    .flatMap((iface, index) =>
      live.has(iface.name.toLowerCase())
        ? []
        : [
            {
              code: 'INTERFACE_UNKNOWN' as const,
              severity: 'warning' as const,
              field: `interfaces.${index}.name`,
              message:
                `device ${device.name} has no interface "${iface.name}" (it has: ${[...liveNames].sort().join(', ') || 'none'}); ` +
                'rules for it cannot be written; fix the interface name',
              entity: { type: 'device' as const, id: device.id, name: device.name },
            },
          ],
    );
}

/** Plans carry warnings as text: `CODE field: message`. */
export function planWarningText(warning: InventoryWarning): string {
  return `${warning.code} ${warning.field}: ${warning.message}`;
}
