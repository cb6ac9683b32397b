import type { RuleSet, Vendor } from '@app/engine/model';
import { SIMULATOR_VERSIONS, startSimulator, type RunningSimulator } from '@app/simulators';
import { pushRuleSet } from './core/push';
import { compareVersions, SUPPORTED_VERSIONS, versionNumbers } from './core/versions';
import { opnNatRuleSet } from './testing/opnsense-nat.fixtures';
import { createConnector } from './factory';
import { hqRuleSet, ruleSet, type HqOptions } from './testing/rule-sets';
import { MASTER, pfSenseNatRuleSet, PUBLIC_VIP } from './testing/pfsense-nat.fixtures';
import { fortiNatRuleSet, MASTER_IP, PUBLIC_IP, WAN, WAN_IP } from './testing/fortios-nat.fixtures';

/**
 * Version matrix: every connector against its simulator running as every firmware in SIMULATOR_VERSIONS (each
 * version at least once in CI). First push, a no-change push (zero writes) and a change push (alias, rule and order
 * changes), each verified. Version-specific behaviour has its own tests in the connector specs; this one proves no
 * supported version is refused or left unconverged.
 */

const FORTI_PORTS: Record<string, string> = { lan: 'port2', opt1: 'port3', opt2: 'port4' };

function ruleSetFor(vendor: Vendor, options: HqOptions): RuleSet {
  const rs = hqRuleSet({ ...options, vendor });
  if (vendor !== 'fortios') return rs;
  return ruleSet({
    ...rs,
    rules: rs.rules.map((r) => ({ ...r, ingress: FORTI_PORTS[r.ingress], egress: FORTI_PORTS[r.egress] })),
  });
}

const cases: Array<{ vendor: Vendor; label: string; start: () => Promise<RunningSimulator> }> = [
  ...SIMULATOR_VERSIONS.pfsense.map((v) => ({
    vendor: 'pfsense' as const,
    label: `${v.version} (package ${v.packageVersion})`,
    start: () => startSimulator('pfsense', { version: v.version, packageVersion: v.packageVersion }),
  })),
  ...SIMULATOR_VERSIONS.fortios.map((version) => ({
    vendor: 'fortios' as const,
    label: version,
    start: () => startSimulator('fortios', { version }),
  })),
  ...SIMULATOR_VERSIONS.opnsense.map((version) => ({
    vendor: 'opnsense' as const,
    label: version,
    start: () => startSimulator('opnsense', { version }),
  })),
];

describe('version matrix: first, no-change and change push on every supported firmware', () => {
  it('states what each connector supports', () => {
    expect(Object.keys(SUPPORTED_VERSIONS).sort()).toEqual(['fortios', 'opnsense', 'pfsense']);
  });

  for (const { vendor, label, start } of cases) {
    it(`${vendor} ${label}`, async () => {
      const sim = await start();
      const connector = createConnector(
        sim.deviceTarget('fw-hq', {
          timeouts: { connectMs: 1_000, requestMs: 3_000, commitMs: 3_000 },
          retry: { retries: 1, baseDelayMs: 5, maxDelayMs: 20, maxRetryAfterMs: 1_000 },
        }),
      );
      try {
        const first = ruleSetFor(vendor, { ipv6: true });
        const firstPush = await pushRuleSet(connector, first);
        expect({ step: 'first', error: firstPush.error }).toEqual({ step: 'first', error: undefined });

        sim.calls.reset();
        const again = await pushRuleSet(connector, first);
        expect({ step: 'no-change', error: again.error, apply: again.apply }).toEqual({
          step: 'no-change',
          error: undefined,
          apply: null,
        });
        expect(sim.calls.writes()).toBe(0);

        const changed = ruleSetFor(vendor, {
          ipv6: true,
          agents: ['10.20.0.0/24', '10.20.9.9'],
          consoles: false,
        });
        const change = await pushRuleSet(connector, changed);
        expect({ step: 'change', error: change.error }).toEqual({ step: 'change', error: undefined });
        expect((await connector.verify(changed)).ok).toBe(true);
      } finally {
        connector.close();
        await sim.stop();
      }
    });
  }

  // ------------------------------------------------------------------------------------------- FortiOS NAT (VIPs)
  for (const version of SIMULATOR_VERSIONS.fortios) {
    it(`fortios ${version} NAT: VIPs pushed, no-change push writes nothing, external port change, traffic traced`, async () => {
      const run = await startSimulator('fortios', { version, interfaceAddresses: { [WAN]: `${WAN_IP}/24` } });
      const connector = createConnector(run.deviceTarget('fw-hq'));
      const trace = (port: number, destination = PUBLIC_IP, protocol: 'tcp' | 'udp' = 'tcp') =>
        run.simulator.trace({ interface: WAN, source: '203.0.113.7', destination, protocol, port });
      try {
        expect((await pushRuleSet(connector, fortiNatRuleSet())).error).toBeUndefined();
        expect(trace(1194)).toMatchObject({ action: 'pass', destination: MASTER_IP, port: 1194 });
        expect(trace(10514, WAN_IP, 'udp')).toMatchObject({
          action: 'pass',
          destination: MASTER_IP,
          port: 514,
        });
        run.calls.reset();
        expect((await pushRuleSet(connector, fortiNatRuleSet())).apply).toBeNull();
        expect(run.calls.writes()).toBe(0);
        const changed = fortiNatRuleSet({ externalPort: 11194 });
        expect((await pushRuleSet(connector, changed)).error).toBeUndefined();
        expect((await connector.verify(changed)).ok).toBe(true);
        expect(trace(11194)).toMatchObject({ action: 'pass', port: 1194 });
        expect(trace(1194).action).toBe('block');
      } finally {
        connector.close();
        await run.stop();
      }
    });
  }
});

// ---------------------------------------------------------------------------------------------------- pfSense NAT

describe('version matrix: pfSense NAT (port forwards) on every supported firmware and package', () => {
  for (const v of SIMULATOR_VERSIONS.pfsense) {
    it(`pfsense ${v.version} (package ${v.packageVersion})`, async () => {
      const sim = await startSimulator('pfsense', { version: v.version, packageVersion: v.packageVersion });
      const connector = createConnector(sim.deviceTarget('fw-hq'));
      const probe = (port: number) =>
        sim.simulator.trace({
          interface: 'wan',
          source: '198.51.100.7',
          destination: PUBLIC_VIP,
          protocol: 'tcp',
          port,
        });
      try {
        const first = await pushRuleSet(connector, pfSenseNatRuleSet());
        expect({ step: 'first', error: first.error }).toEqual({ step: 'first', error: undefined });
        expect(probe(8443)).toMatchObject({ action: 'pass', destination: MASTER, port: 443 });
        sim.calls.reset();
        const again = await pushRuleSet(connector, pfSenseNatRuleSet());
        expect({ step: 'no-change', apply: again.apply, writes: sim.calls.writes() }).toEqual({
          step: 'no-change',
          apply: null,
          writes: 0,
        });
        const changed = pfSenseNatRuleSet({ consoleExternal: 9443 });
        const change = await pushRuleSet(connector, changed);
        expect({ step: 'change', error: change.error }).toEqual({ step: 'change', error: undefined });
        expect((await connector.verify(changed)).ok).toBe(true);
        expect([probe(9443).action, probe(8443).action]).toEqual(['pass', 'block']);
      } finally {
        connector.close();
        await sim.stop();
      }
    });
  }
});

// ------------------------------------------------------------------------------- OPNsense destination NAT (26.1+)

describe('version matrix: OPNsense destination NAT on every supported firmware', () => {
  for (const version of SIMULATOR_VERSIONS.opnsense) {
    const natApi = compareVersions(versionNumbers(version) ?? [0], [26, 1]) >= 0;
    it(`opnsense ${version}: ${natApi ? 'NAT first, no-change and change push' : 'NAT refused before any write'}`, async () => {
      const sim = await startSimulator('opnsense', { version });
      const connector = createConnector(
        sim.deviceTarget('fw-hq', {
          timeouts: { connectMs: 1_000, requestMs: 3_000, commitMs: 3_000 },
          retry: { retries: 1, baseDelayMs: 5, maxDelayMs: 20, maxRetryAfterMs: 1_000 },
        }),
      );
      try {
        const first = opnNatRuleSet();
        sim.calls.reset();
        const firstPush = await pushRuleSet(connector, first);
        if (!natApi) {
          expect(firstPush.error).toMatchObject({ kind: 'validation', details: { code: 'nat_unsupported' } });
          expect(sim.calls.writes()).toBe(0);
          return;
        }
        expect({ step: 'first', error: firstPush.error }).toEqual({ step: 'first', error: undefined });
        const packet = {
          interface: 'wan',
          source: '198.51.100.7',
          destination: '203.0.113.2',
          protocol: 'tcp',
        } as const;
        expect(sim.simulator.trace({ ...packet, port: 1194 })).toMatchObject({ action: 'pass', port: 1194 });

        sim.calls.reset();
        const again = await pushRuleSet(connector, first);
        expect({ step: 'no-change', error: again.error, apply: again.apply }).toEqual({
          step: 'no-change',
          error: undefined,
          apply: null,
        });
        expect(sim.calls.writes()).toBe(0);

        const changed = opnNatRuleSet({ vpnPort: 11194, logs: false });
        const change = await pushRuleSet(connector, changed);
        expect({ step: 'change', error: change.error }).toEqual({ step: 'change', error: undefined });
        expect((await connector.verify(changed)).ok).toBe(true);
        expect(sim.simulator.trace({ ...packet, port: 11194 })).toMatchObject({ action: 'pass', port: 1194 });
        expect(sim.simulator.trace({ ...packet, port: 1194 })).toMatchObject({ action: 'block' });
      } finally {
        connector.close();
        await sim.stop();
      }
    });
  }
});
