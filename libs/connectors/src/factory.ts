import type { Vendor } from '@app/engine/model';
import type { ConnectorOptions, FirewallConnector } from './core/connector';
import { ConnectorError } from './core/errors';
import type { DeviceTarget, TargetFor } from './core/target';
import { FortiOsConnector } from './fortios/fortios.connector';
import { OpnSenseConnector } from './opnsense/opnsense.connector';
import { PfSenseConnector } from './pfsense/pfsense.connector';

export type ConnectorFactory<V extends Vendor> = (
  target: TargetFor<V>,
  options: ConnectorOptions,
) => FirewallConnector;

/**
 * One factory per vendor. To add a vendor: implement FirewallConnector (see PfSenseConnector) and add one line here,
 * e.g. `fortios: (target) => new FortiOsConnector(target)`.
 */
const factories: { [V in Vendor]?: ConnectorFactory<V> } = {
  pfsense: (target, o) => new PfSenseConnector(target, o),
  fortios: (target, o) => new FortiOsConnector(target, o),
  opnsense: (target, o) => new OpnSenseConnector(target, o),
};

/** Vendors with a connector in this build. */
export function supportedVendors(): Vendor[] {
  return (Object.keys(factories) as Vendor[]).sort();
}

/** Creates the connector for a device. Throws a `validation` ConnectorError for a vendor without a connector. */
export function createConnector(target: DeviceTarget, options: ConnectorOptions = {}): FirewallConnector {
  switch (target.vendor) {
    case 'pfsense':
      return build('pfsense', target, options);
    case 'fortios':
      return build('fortios', target, options);
    case 'opnsense':
      return build('opnsense', target, options);
    default:
      // Targets can come from stored data; an unknown vendor is refused rather than crashing.
      throw new ConnectorError({
        kind: 'validation',
        message: `Unknown vendor ${String((target as { vendor: unknown }).vendor)}`,
      });
  }
}

function build<V extends Vendor>(
  vendor: V,
  target: TargetFor<V>,
  options: ConnectorOptions,
): FirewallConnector {
  const factory = factories[vendor];
  if (!factory) {
    throw new ConnectorError({ kind: 'validation', message: `No connector for vendor ${vendor} yet` });
  }
  return factory(target, options);
}
