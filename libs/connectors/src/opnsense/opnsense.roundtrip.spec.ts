import {
  OPNSENSE_SIM_KEY,
  OPNSENSE_SIM_SECRET,
  startOpnSenseSimulator,
  type OpnSenseSimulator,
} from '@app/simulators/opnsense';
import { rawRequest } from '@app/simulators/testing/raw-http';
import { pushRuleSet } from '../core/push';
import type { OpnSenseTarget } from '../core/target';
import { hqRuleSet } from '../testing/rule-sets';
import { OpnSenseConnector } from './opnsense.connector';

// Connector round trip against a restored simulator snapshot (moved out of @app/simulators: the simulator
// library must not depend on the connectors).
const AUTH = {
  authorization: `Basic ${Buffer.from(`${OPNSENSE_SIM_KEY}:${OPNSENSE_SIM_SECRET}`).toString('base64')}`,
};
const RULE = {
  interface: 'lan',
  protocol: 'TCP',
  source_net: 'any',
  destination_net: 'any',
  destination_port: '443',
  description: 'test rule',
};

describe('OPNsense connector and simulator snapshots', () => {
  let sim: OpnSenseSimulator;
  const servers: OpnSenseSimulator[] = [];
  const start = async (): Promise<OpnSenseSimulator> => {
    const s = await startOpnSenseSimulator({ rollbackTimerMs: 150, version: '25.1.12' });
    servers.push(s);
    return s;
  };
  const post = (path: string, body?: object) =>
    rawRequest(sim.url, {
      method: 'POST',
      path,
      body,
      headers: body === undefined ? AUTH : { ...AUTH, 'content-type': 'application/json' },
    });
  const addRule = (rule: Record<string, string>) => post('/api/firewall/filter/addRule', { rule });

  beforeEach(async () => {
    sim = await start();
  });
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.stop()));
  });

  it('state round-trips through JSON: rules, aliases, applied vs pending, backups; a restored device plans to nothing', async () => {
    const rs = hqRuleSet({ vendor: 'opnsense' });
    const target = (url: string): OpnSenseTarget => ({
      id: 'fw-hq',
      vendor: 'opnsense',
      url,
      credentials: { kind: 'opnsense-api-key', key: OPNSENSE_SIM_KEY, secret: OPNSENSE_SIM_SECRET },
      timeouts: { connectMs: 1_000, requestMs: 2_000, commitMs: 2_000 },
      retry: { retries: 2, baseDelayMs: 5, maxDelayMs: 20, maxRetryAfterMs: 2_000 },
    });
    const fast = { rollbackWindowMs: 150, rollbackSlackMs: 60 };
    const first = new OpnSenseConnector(target(sim.url), fast);
    try {
      expect((await pushRuleSet(first, rs)).ok).toBe(true);
    } finally {
      first.close();
    }
    // A people rule saved but not applied (pending), and an armed rollback timer (transient: left out).
    expect((await addRule(RULE)).json).toMatchObject({ result: 'saved' });
    const sp = (await post('/api/firewall/filter/savepoint')).json as { revision: string };
    expect((await post(`/api/firewall/filter/apply/${sp.revision}`)).status).toBe(200);
    expect(sim.pendingRollback).not.toBeNull();
    expect((await addRule({ ...RULE, description: 'pending rule' })).json).toMatchObject({ result: 'saved' });
    expect(sim.hasUnappliedChanges()).toBe(true);
    const snapshot = JSON.parse(JSON.stringify(sim.state)) as typeof sim.state;
    // Taken together with the snapshot: the armed timer may roll `sim` back later.
    const before = {
      state: sim.state,
      applied: sim.applied,
      backups: sim.backupRevisions,
      inactive: sim.inactiveRules,
    };

    const fresh = await start();
    fresh.guiReplace(snapshot);
    expect(fresh.state).toEqual(before.state);
    expect(fresh.applied).toEqual(before.applied);
    expect(fresh.hasUnappliedChanges()).toBe(true);
    expect(fresh.backupRevisions).toEqual(before.backups);
    expect(fresh.backupRevisions).toContain(sp.revision);
    expect(fresh.inactiveRules).toEqual(before.inactive);
    expect(fresh.pendingRollback).toBeNull();
    expect(JSON.stringify(fresh.state)).toBe(JSON.stringify(snapshot));
    fresh.calls.reset();
    const second = new OpnSenseConnector(target(fresh.url), fast);
    try {
      const again = await pushRuleSet(second, rs);
      expect(again.ok).toBe(true);
      expect(again.apply).toBeNull();
      expect(fresh.calls.writes()).toBe(0);
    } finally {
      second.close();
    }
  });
});
