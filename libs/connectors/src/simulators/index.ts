import type { Vendor } from '@app/engine/model';
import type { DeviceCredentials, DeviceTarget, TlsOptions } from '../core/target';
import type { FaultController } from './core/faults';
import type { CallLog, SimulatorServer } from './core/server';
import { PFSENSE_SIM_API_KEY, PfSenseSimulator, type PfSenseSimulatorOptions } from './pfsense/simulator';
import { TEST_CERT_FINGERPRINT_SHA256 } from './testing/certs';

export * from './core';
export * from './pfsense';
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
  /** Replaced by the FortiOS simulator's options type. */
  fortios: Record<string, unknown>;
  /** Replaced by the OPNsense simulator's options type. */
  opnsense: Record<string, unknown>;
}

export interface SimulatorByVendor {
  pfsense: PfSenseSimulator;
  fortios: never;
  opnsense: never;
}

export type StartedSimulator<V extends Vendor> = RunningSimulator & {
  vendor: V;
  /** The vendor simulator itself (state inspection, GUI-like edits). */
  simulator: SimulatorByVendor[V];
};

/**
 * Starts a simulator for `vendor` on 127.0.0.1 (ephemeral port unless `options.port`). Used by tests, the demo and
 * a future `npm run simulators`. FortiOS and OPNsense simulators are added here by their engineers.
 */
export async function startSimulator<V extends Vendor>(
  vendor: V,
  options: SimulatorOptionsByVendor[V] = {},
): Promise<StartedSimulator<V>> {
  if (vendor === 'pfsense') {
    const sim = new PfSenseSimulator(options);
    await sim.start();
    const tls: TlsOptions = sim.server.isHttps ? { fingerprintSha256: TEST_CERT_FINGERPRINT_SHA256 } : {};
    const credentials: DeviceCredentials = { kind: 'pfsense-api-key', apiKey: PFSENSE_SIM_API_KEY };
    const started: RunningSimulator & { vendor: 'pfsense'; simulator: PfSenseSimulator } = {
      vendor: 'pfsense',
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
        ({ id, vendor: 'pfsense', url: sim.url, credentials, tls, ...extra }) as DeviceTarget,
      reset: () => sim.reset(),
      stop: () => sim.stop(),
    };
    return started as unknown as StartedSimulator<V>;
  }
  throw new Error(`No ${vendor} simulator yet`);
}
