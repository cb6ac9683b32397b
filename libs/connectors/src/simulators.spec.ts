import { builtinFlows } from '@app/catalog';
import { computeRuleSets } from '@app/engine';
import { handCheckedInventory } from '@app/engine/testing/hand-checked.fixture';
import { pushRuleSet } from './core/push';
import { createConnector } from './factory';
import { PfSenseConnector } from './pfsense/pfsense.connector';
import { hqRuleSet } from './testing/rule-sets';
import { simulatorVendors, startSimulator, TEST_CERT_FINGERPRINT_SHA256 } from '@app/simulators';

describe('startSimulator', () => {
  it('starts a pfSense simulator that a connector can dry-run and push to, then resets and stops', async () => {
    const sim = await startSimulator('pfsense', { https: true });
    const connector = new PfSenseConnector(sim.deviceTarget('fw-hq'));
    try {
      expect(sim.vendor).toBe('pfsense');
      expect(sim.tls).toEqual({ fingerprintSha256: TEST_CERT_FINGERPRINT_SHA256 });
      expect(sim.simulator.state.rules).toHaveLength(2);
      const dry = await pushRuleSet(connector, hqRuleSet(), { dryRun: true });
      expect(dry.ok).toBe(true);
      expect(dry.plan!.summary.create).toBe(10);
      expect(sim.calls.writes()).toBe(0);
      expect((await pushRuleSet(connector, hqRuleSet())).ok).toBe(true);
      expect(sim.calls.writes()).toBeGreaterThan(0);
      sim.reset();
      expect(sim.calls.count()).toBe(0);
      const again = await pushRuleSet(connector, hqRuleSet(), { dryRun: true });
      expect(again.plan!.summary.create).toBe(10);
    } finally {
      connector.close();
      await sim.stop();
    }
  });

  it('starts an OPNsense simulator whose target a connector can push to', async () => {
    const sim = await startSimulator('opnsense');
    const inventory = computeRuleSets(handCheckedInventory('utmstack-v9'), builtinFlows());
    const hq = { ...inventory.find((r) => r.deviceId === 'hq-fw')!, vendor: 'opnsense' as const };
    const connector = createConnector(sim.deviceTarget('hq-fw'));
    try {
      const result = await pushRuleSet(connector, hq);
      expect(result.error ?? null).toBeNull();
      expect(sim.calls.writes()).toBeGreaterThan(0);
      expect(simulatorVendors()).toEqual(['fortios', 'opnsense', 'pfsense']);
    } finally {
      connector.close();
      await sim.stop();
    }
  });

  it('starts a FortiOS simulator whose target a connector can push to', async () => {
    const sim = await startSimulator('fortios');
    const connector = createConnector(sim.deviceTarget('br1-fw'));
    try {
      expect(sim.deviceTarget('x')).toMatchObject({ vendor: 'fortios', vdom: 'root' });
      const branch = computeRuleSets(handCheckedInventory('utmstack-v9'), builtinFlows()).find(
        (r) => r.deviceId === 'br1-fw',
      )!;
      const result = await pushRuleSet(connector, branch);
      expect(result.error ?? null).toBeNull();
      expect(result.ok).toBe(true);
      expect(sim.calls.writes()).toBeGreaterThan(0);
    } finally {
      connector.close();
      await sim.stop();
    }
  });
});
