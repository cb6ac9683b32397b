import { Inject, Injectable } from '@nestjs/common';
import {
  createConnector,
  type PendingState,
  type DeviceCredentials as TargetCredentials,
  type DeviceTarget,
  type FirewallConnector,
} from '@app/connectors';
import type { Vendor } from '@app/engine/model';
import type { Device } from '@app/persistence';
import { DomainError, NotFound } from '../common/errors/domain-error';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { PrismaService } from '../database/prisma.service';
import type { DeviceCredentials } from '../inventory/devices/device-credentials';
import type { DeviceView } from '../inventory/devices/device.model';
import { DevicesService } from '../inventory/devices/devices.service';
import { PrismaPendingStateStore } from './device-pending-state';

/** Builds connectors for inventory devices: the one place that knows how stored devices map to targets. */
@Injectable()
export class DeviceConnectors {
  constructor(
    private readonly devices: DevicesService,
    private readonly prisma: PrismaService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async open(deviceId: string): Promise<{ device: DeviceView; connector: FirewallConnector }> {
    const device = await this.devices.get(deviceId);
    return { device, connector: this.connect(device) };
  }

  /**
   * For a push: the device row alone (a push needs no interfaces) and its pending state, both read by the caller
   * in the statement that claimed the push under the device lock (see PushRunner), so nothing is read here. The
   * store defers `uncommitted: false` to the runner's record statement (PrismaPendingStateStore).
   */
  openForPush(
    deviceId: string,
    device: Device | null,
    pending: PendingState,
  ): { connector: FirewallConnector; pending: PrismaPendingStateStore } {
    if (!device) throw new NotFound('device', deviceId);
    const store = new PrismaPendingStateStore(this.prisma, device.id, pending, true);
    return { connector: this.connect(device, store), pending: store };
  }

  private connect(device: Device, store?: PrismaPendingStateStore): FirewallConnector {
    const credentials = this.devices.credentialsOf(device);
    if (!credentials) {
      throw new DomainError(
        'UNPROCESSABLE',
        `device ${device.name} has no credentials; set them before planning or pushing`,
        [{ field: 'credentials', message: 'credentials are not set' }],
      );
    }
    // The device's pending state lives in the database: a push on another replica, or after a crash, sees it.
    return createConnector(this.target(device, credentials), {
      pending: store ?? new PrismaPendingStateStore(this.prisma, device.id),
    });
  }

  target(device: Device, credentials: DeviceCredentials): DeviceTarget {
    const base = {
      id: device.id,
      url: device.managementUrl,
      prefix: this.config.rulePrefix,
      tls: {
        ...(device.tlsCaBundle ? { caBundle: device.tlsCaBundle } : {}),
        ...(device.tlsFingerprint ? { fingerprintSha256: device.tlsFingerprint } : {}),
        ...(device.tlsInsecure ? { insecure: true } : {}),
      },
    };
    const vendorCredentials = toTargetCredentials(device.vendor, credentials);
    switch (vendorCredentials.kind) {
      case 'pfsense-api-key':
      case 'pfsense-basic':
        return { ...base, vendor: 'pfsense', credentials: vendorCredentials };
      case 'fortios-token':
        return { ...base, vendor: 'fortios', credentials: vendorCredentials, vdom: device.vdom ?? 'root' };
      case 'opnsense-api-key':
        return { ...base, vendor: 'opnsense', credentials: vendorCredentials };
    }
  }
}

function toTargetCredentials(vendor: Vendor, credentials: DeviceCredentials): TargetCredentials {
  switch (credentials.kind) {
    case 'apiKey':
      if (vendor === 'pfsense') return { kind: 'pfsense-api-key', apiKey: credentials.apiKey };
      break;
    case 'basic':
      if (vendor === 'pfsense') {
        return { kind: 'pfsense-basic', username: credentials.username, password: credentials.password };
      }
      break;
    case 'token':
      if (vendor === 'fortios') return { kind: 'fortios-token', token: credentials.token };
      break;
    case 'keySecret':
      if (vendor === 'opnsense') {
        return { kind: 'opnsense-api-key', key: credentials.key, secret: credentials.secret };
      }
      break;
  }
  // The inventory refuses such combinations; reaching this means the stored row was edited by hand.
  throw new DomainError('UNPROCESSABLE', `stored ${credentials.kind} credentials do not fit ${vendor}`);
}
