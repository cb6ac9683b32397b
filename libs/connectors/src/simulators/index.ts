import type { Vendor } from '@app/engine/model';
import type { CallLog, SimulatorServer } from './core/server';
import type { FaultController } from './core/faults';
import { PfSenseSimulator, type PfSenseSimulatorOptions } from './pfsense/simulator';

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
  /** Back to the seed state; faults and counters cleared. */
  reset(): void;
  stop(): Promise<void>;
}

export interface SimulatorOptionsByVendor {
  pfsense: PfSenseSimulatorOptions;
  fortios: Record<string, unknown>;
  opnsense: Record<string, unknown>;
}

/**
 * Starts a simulator for `vendor` on 127.0.0.1 (ephemeral port unless `options.port`). Used by tests, the demo and
 * a future `npm run simulators`. FortiOS and OPNsense simulators are added here by their engineers.
 */
export async function startSimulator<V extends Vendor>(
  vendor: V,
  options: SimulatorOptionsByVendor[V] = {},
): Promise<RunningSimulator & { vendor: V }> {
  if (vendor === 'pfsense') {
    const sim = new PfSenseSimulator(options);
    await sim.start();
    return wrap(vendor, sim);
  }
  throw new Error(`No ${vendor} simulator yet`);
}

function wrap<V extends Vendor>(
  vendor: V,
  sim: PfSenseSimulator,
): RunningSimulator & { vendor: V; simulator: PfSenseSimulator } {
  return {
    vendor,
    get url() {
      return sim.url;
    },
    server: sim.server,
    faults: sim.faults,
    calls: sim.calls,
    simulator: sim,
    reset: () => sim.reset(),
    stop: () => sim.stop(),
  };
}
