import { Injectable } from '@nestjs/common';
import { ConnectorError, withDeviceLock, type Plan } from '@app/connectors';
import {
  canReadInterfaceNames,
  planWarningText,
  unknownInterfaceFindings,
} from '../inventory/checks/interface-names';
import { RuleSetsService } from '../rules/rule-sets.service';
import { connectorFailure } from './connector-errors';
import { DeviceConnectors } from './device-connectors.service';

@Injectable()
export class PlansService {
  constructor(
    private readonly connectors: DeviceConnectors,
    private readonly ruleSets: RuleSetsService,
  ) {}

  /** Reads the live device and plans against its current rule set; writes nothing anywhere. */
  async plan(deviceId: string): Promise<Plan> {
    const ruleSet = await this.ruleSets.ruleSet(deviceId);
    const { device, connector } = await this.connectors.open(deviceId);
    try {
      // Under the device lock so a plan never observes a push half-way through its writes (in this process).
      const plan = await withDeviceLock(connector.settings.deviceKey, async () =>
        connector.plan(ruleSet, await connector.readState()),
      );
      // Interface names the live device does not have (guard rail); only connectors that can list them.
      if (!canReadInterfaceNames(connector)) return plan;
      let live: string[];
      try {
        live = await connector.readInterfaceNames();
      } catch (error) {
        // The guard rail never fails a plan that was computed: a key without the privilege to list interfaces (or a
        // read that failed) leaves the names unchecked, and the plan says so.
        if (!(error instanceof ConnectorError)) throw error;
        const unchecked =
          `INTERFACE_UNCHECKED interfaces: the device's interface list could not be read (${error.message}); ` +
          'configured interface names were not checked';
        return { ...plan, warnings: [...plan.warnings, unchecked] };
      }
      const findings = unknownInterfaceFindings(device, live);
      return { ...plan, warnings: [...plan.warnings, ...findings.map(planWarningText)] };
    } catch (error) {
      throw connectorFailure(error, device.name);
    } finally {
      connector.close();
    }
  }
}
