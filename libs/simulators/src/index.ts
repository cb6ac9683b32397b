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

/**
 * @app/simulators stands in for the vendors, so it shares no code with @app/connectors: the shapes below are
 * this library's own description of "how to reach me", written to be structurally what a connector target
 * accepts (a mismatch shows up as a type error where a test hands one to a connector).
 */
export type Vendor = 'pfsense' | 'fortios' | 'opnsense';

export interface SimulatorTls {
  /** SHA-256 fingerprint of the test certificate (set in HTTPS mode). */
  fingerprintSha256?: string;
}

export type SimulatorCredentials =
  | { kind: 'pfsense-api-key'; apiKey: string }
  | { kind: 'fortios-token'; token: string }
  | { kind: 'opnsense-api-key'; key: string; secret: string };

interface SimulatorTargetBase {
  id: string;
  url: string;
  tls: SimulatorTls;
}

/** A device description for this simulator, one shape per vendor (discriminated by `vendor`). */
export type SimulatorTarget =
  | (SimulatorTargetBase & { vendor: 'pfsense'; credentials: { kind: 'pfsense-api-key'; apiKey: string } })
  | (SimulatorTargetBase & {
      vendor: 'fortios';
      credentials: { kind: 'fortios-token'; token: string };
      vdom: string;
    })
  | (SimulatorTargetBase & {
      vendor: 'opnsense';
      credentials: { kind: 'opnsense-api-key'; key: string; secret: string };
    });

/**
 * The firmware versions the simulators are exercised as in the connector matrix spec (every one at least once in
 * CI): the supported range of each connector with its version boundaries (vendor-conformance.md §0; OPNsense 25.7.3
 * no-timer status, 25.7-26.1.x inert rollback, 26.1.11 skip_alias, 26.7 no savepoints; FortiOS 7.4.0 addrgrp6
 * exclude, 7.6.0 UDP-Lite literal; pfSense CE and Plus lines with REST API package 2.x).
 */
export const SIMULATOR_VERSIONS = {
  pfsense: [
    { version: '2.7.0-RELEASE', packageVersion: 'v2.0.0' },
    { version: '2.7.2-RELEASE', packageVersion: 'v2.3.0' },
    { version: '2.8.0-RELEASE', packageVersion: 'v2.5.0' },
    { version: '2.8.1-RELEASE', packageVersion: 'v2.10.0' },
    { version: '24.03-RELEASE', packageVersion: 'v2.0.0' },
    { version: '24.11-RELEASE', packageVersion: 'v2.3.0' },
    { version: '25.07.1-RELEASE', packageVersion: 'v2.6.0' },
    { version: '25.11.1-RELEASE', packageVersion: 'v2.10.0' },
    { version: '26.03-RELEASE', packageVersion: 'v2.10.0' },
  ],
  fortios: ['v6.4.15', 'v7.0.17', 'v7.2.11', 'v7.4.0', 'v7.4.3', 'v7.4.8', 'v7.6.0', 'v7.6.4'],
  opnsense: [
    '24.7',
    '24.7.12',
    '25.1.4',
    '25.1.12',
    '25.7',
    '25.7.2',
    '25.7.3',
    '25.7.5',
    '26.1',
    '26.1.10',
    '26.1.11',
    '26.7',
    '26.7.2',
  ],
} as const;

/** What every vendor simulator exposes. */
export interface RunningSimulator {
  readonly vendor: Vendor;
  readonly url: string;
  readonly server: SimulatorServer;
  readonly faults: FaultController;
  readonly calls: CallLog;
  /** Credentials the simulator accepts out of the box. */
  readonly credentials: SimulatorCredentials;
  /** TLS options that trust it (the pinned test certificate in HTTPS mode). */
  readonly tls: SimulatorTls;
  /** A ready-to-use device description for this simulator (`extra` overrides or adds fields). */
  deviceTarget<E extends object = object>(id: string, extra?: E): SimulatorTarget & E;
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
  credentials: SimulatorCredentials;
  /** Vendor-specific target fields (e.g. the FortiOS VDOM). */
  targetExtras?: { vdom?: string };
}

const REGISTRY: { [V in Vendor]?: Registration<V> } = {
  pfsense: {
    create: (options) => new PfSenseSimulator(options),
    credentials: { kind: 'pfsense-api-key', apiKey: PFSENSE_SIM_API_KEY },
  },
  fortios: {
    create: (options) => new FortiOsSimulator(options),
    credentials: { kind: 'fortios-token', token: FORTIOS_SIM_TOKEN },
    targetExtras: { vdom: 'root' },
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
  const tls: SimulatorTls = sim.server.isHttps ? { fingerprintSha256: TEST_CERT_FINGERPRINT_SHA256 } : {};
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
    deviceTarget: <E extends object = object>(id: string, extra?: E) =>
      ({
        id,
        vendor,
        url: sim.url,
        credentials,
        tls,
        ...registration.targetExtras,
        ...extra,
      }) as SimulatorTarget & E,
    reset: () => sim.reset(),
    stop: () => sim.stop(),
  };
  return started;
}
