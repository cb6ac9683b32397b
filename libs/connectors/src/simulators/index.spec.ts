import { pushRuleSet } from '../core/push';
import { PfSenseConnector } from '../pfsense/pfsense.connector';
import { hqRuleSet } from '../testing/rule-sets';
import type { PfSenseTarget } from '../core/target';
import { startSimulator, TEST_CERT_FINGERPRINT_SHA256 } from './index';

describe('startSimulator', () => {
  it('starts a pfSense simulator that a connector can dry-run and push to, then resets and stops', async () => {
    const sim = await startSimulator('pfsense', { https: true });
    const connector = new PfSenseConnector(sim.deviceTarget('fw-hq') as PfSenseTarget);
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

  it('refuses vendors without a simulator yet', async () => {
    await expect(startSimulator('fortios')).rejects.toThrow(/No fortios simulator/);
  });
});
