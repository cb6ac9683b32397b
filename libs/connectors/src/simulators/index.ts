import type { Vendor } from '@app/engine/model';
import type { DeviceCredentials, DeviceTarget, TlsOptions } from '../core/target';
import type { FaultController } from './core/faults';
import type { CallLog, SimulatorServer } from './core/server';
import { FORTIOS_SIM_TOKEN, FortiOsSimulator, type FortiOsSimulatorOptions } from './fortios/simulator';
import {
  OPNSENSE_SIM_KEY,
  OPNSENSE_SIM_SECRET,
  OpnSenseSimulator,
  type OpnSenseSimulatorOptions,
} from './opnsense/simulator';
import { PFSENSE_SIM_API_KEY, PfSenseSimulator, type PfSenseSimulatorOptions } from './pfsense/simulator';
import { TEST_CERT_FINGERPRINT_SHA256 } from './testing/certs';

export * from './core';
export * from './pfsense';
export {
  FORTIOS_SIM_READONLY_TOKEN,
  FORTIOS_SIM_TOKEN,
  FortiOsSimulator,
  startFortiOsSimulator,
  type FortiOsSimulatorOptions,
} from './fortios';
export * from './opnsense';
export {
  OTHER_CA_CERT_PEM,
  TEST_CERT_FINGERPRINT_SHA256,
  TEST_CERT_PEM,
  TEST_KEY_PEM,
} from './testing/certs';

/** What every vendor simulator exposes. */
export interface RunningSimulator {
  readonly vendor: Vendor;
  readonly url: string;
  readonly server: SimulatorServer;
  readonly faults: FaultController;
  readonly calls: CallLog;
  /** Credentials the simulator accepts out of the box. */
  readonly credentials: DeviceCredentials;
  /** TLS options that trust it (the pinned test certificate in HTTPS mode). */
  readonly tls: TlsOptions;
  /** A ready-to-use DeviceTarget for this simulator (`extra` overrides any field). */
  deviceTarget(id: string, extra?: Partial<DeviceTarget>): DeviceTarget;
  /** Back to the seed state; faults and counters cleared. */
  reset(): void;
  stop(): Promise<void>;
}

export interface SimulatorOptionsByVendor {
  pfsense: PfSenseSimulatorOptions;
  fortios: FortiOsSimulatorOptions;
  opnsense: OpnSenseSimulatorOptions;
}

export interface SimulatorByVendor {
  pfsense: PfSenseSimulator;
  fortios: FortiOsSimulator;
  opnsense: OpnSenseSimulator;
}

export type StartedSimulator<V extends Vendor> = RunningSimulator & {
  vendor: V;
  /** The vendor simulator itself (state inspection, GUI-like edits). */
  simulator: SimulatorByVendor[V];
};

/** The parts every vendor simulator class has in common. */
interface VendorSimulator {
  readonly url: string;
  readonly server: SimulatorServer;
  readonly faults: FaultController;
  readonly calls: CallLog;
  start(): Promise<unknown>;
  reset(): void;
  stop(): Promise<void>;
}

interface Registration<V extends Vendor> {
  create(options: SimulatorOptionsByVendor[V]): SimulatorByVendor[V] & VendorSimulator;
  credentials: DeviceCredentials;
  /** Vendor-specific target fields (e.g. the FortiOS VDOM). */
  targetExtras?: Partial<DeviceTarget>;
}

const REGISTRY: { [V in Vendor]?: Registration<V> } = {
  pfsense: {
    create: (options) => new PfSenseSimulator(options),
    credentials: { kind: 'pfsense-api-key', apiKey: PFSENSE_SIM_API_KEY },
  },
  fortios: {
    create: (options) => new FortiOsSimulator(options),
    credentials: { kind: 'fortios-token', token: FORTIOS_SIM_TOKEN },
    targetExtras: { vdom: 'root' } as Partial<DeviceTarget>,
  },
  opnsense: {
    create: (options) => new OpnSenseSimulator(options),
    credentials: { kind: 'opnsense-api-key', key: OPNSENSE_SIM_KEY, secret: OPNSENSE_SIM_SECRET },
  },
};

/** Vendors with a simulator in this build. */
export function simulatorVendors(): Vendor[] {
  return (Object.keys(REGISTRY) as Vendor[]).sort();
}

/**
 * Starts a simulator for `vendor` on 127.0.0.1 (ephemeral port unless `options.port`), with the credentials
 * and TLS settings that reach it. Used by tests, `npm run simulators` and the demo.
 */
export async function startSimulator<V extends Vendor>(
  vendor: V,
  options: SimulatorOptionsByVendor[V] = {},
): Promise<StartedSimulator<V>> {
  const registration = REGISTRY[vendor];
  if (!registration) throw new Error(`No ${vendor} simulator yet`);
  const sim = registration.create(options);
  await sim.start();
  const tls: TlsOptions = sim.server.isHttps ? { fingerprintSha256: TEST_CERT_FINGERPRINT_SHA256 } : {};
  const { credentials } = registration;
  const started: RunningSimulator & { vendor: V; simulator: SimulatorByVendor[V] } = {
    vendor,
    get url() {
      return sim.url;
    },
    server: sim.server,
    faults: sim.faults,
    calls: sim.calls,
    credentials,
    tls,
    simulator: sim,
    deviceTarget: (id, extra = {}) =>
      ({
        id,
        vendor,
        url: sim.url,
        credentials,
        tls,
        ...registration.targetExtras,
        ...extra,
      }) as DeviceTarget,
    reset: () => sim.reset(),
    stop: () => sim.stop(),
  };
  return started;
}
