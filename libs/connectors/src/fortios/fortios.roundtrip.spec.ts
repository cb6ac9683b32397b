import { builtinFlows } from '@app/catalog';
import { computeRuleSets } from '@app/engine';
import { handCheckedInventory } from '@app/engine/testing/hand-checked.fixture';
import {
  FORTIOS_SIM_TOKEN,
  startFortiOsSimulator,
  type FortiOsSimulator,
} from '@app/simulators/fortios/simulator';
import { rawRequest } from '@app/simulators/testing/raw-http';
import { pushRuleSet } from '../core/push';
import type { FortiOsTarget } from '../core/target';
import { FortiOsConnector } from './fortios.connector';

// Connector round trip against a restored simulator snapshot (moved out of @app/simulators: the simulator
// library must not depend on the connectors).
function call(sim: FortiOsSimulator, method: string, path: string, body?: object) {
  return rawRequest(sim.url, {
    method,
    path,
    body,
    headers: {
      authorization: `Bearer ${FORTIOS_SIM_TOKEN}`,
      ...(body ? { 'content-type': 'application/json' } : {}),
    },
  });
}

describe('FortiOS connector and simulator snapshots', () => {
  let sim: FortiOsSimulator;
  beforeEach(async () => {
    sim = await startFortiOsSimulator();
  });
  afterEach(async () => {
    await sim.stop();
  });

  it('state round-trips through JSON: a restored device plans to nothing (no writes on the next push)', async () => {
    const rs = computeRuleSets(handCheckedInventory('utmstack-v9'), builtinFlows()).find(
      (r) => r.deviceId === 'br1-fw',
    )!;
    const target = (url: string): FortiOsTarget => ({
      id: 'br1-fw',
      vendor: 'fortios',
      url,
      credentials: { kind: 'fortios-token', token: FORTIOS_SIM_TOKEN },
      timeouts: { connectMs: 1_000, requestMs: 2_000, commitMs: 2_000 },
      retry: { retries: 2, baseDelayMs: 5, maxDelayMs: 20, maxRetryAfterMs: 2_000 },
    });
    const first = new FortiOsConnector(target(sim.url));
    try {
      expect((await pushRuleSet(first, rs)).ok).toBe(true);
    } finally {
      first.close();
    }
    // An open transaction is transient: not part of the snapshot.
    await call(sim, 'POST', '/api/v2/cmdb?action=transaction-start', { timeout: 60 });
    const snapshot = JSON.parse(JSON.stringify(sim.state)) as typeof sim.state;
    expect(JSON.stringify(snapshot)).not.toContain('transaction');

    const fresh = await startFortiOsSimulator();
    const second = new FortiOsConnector(target(fresh.url));
    try {
      fresh.guiReplace(snapshot);
      expect(fresh.state).toEqual(sim.state);
      expect(fresh.revision).toBe(sim.revision);
      expect(fresh.openTransactions()).toEqual([]);
      fresh.calls.reset();
      const again = await pushRuleSet(second, rs);
      expect(again.ok).toBe(true);
      expect(again.apply).toBeNull();
      expect(fresh.calls.writes()).toBe(0);
      expect(fresh.policies().map((p) => p.policyid)).toEqual(sim.policies().map((p) => p.policyid));
    } finally {
      second.close();
      await fresh.stop();
    }
  });
});
