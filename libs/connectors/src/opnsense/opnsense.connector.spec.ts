import { builtinFlows } from '@app/catalog';
import { computeRuleSets } from '@app/engine';
import type { Inventory, NodeInput, RuleSet, SiteInput } from '@app/engine/model';
import { handCheckedInventory, type HandCheckedVersion } from '@app/engine/testing/hand-checked.fixture';
import { ConnectorError } from '../core/errors';
import { isPlanEmpty } from '../core/model';
import { pushRuleSet, type PushOutcome } from '../core/push';
import type { OpnSenseTarget } from '../core/target';
import type { FaultSpec } from '@app/simulators/core/faults';
import {
  OPNSENSE_SIM_KEY,
  OPNSENSE_SIM_SECRET,
  OpnSenseSimulator,
  startOpnSenseSimulator,
  type OpnFields,
  type OpnSenseSimulatorOptions,
} from '@app/simulators/opnsense';
import {
  OTHER_CA_CERT_PEM,
  TEST_CERT_FINGERPRINT_SHA256,
  TEST_CERT_PEM,
} from '@app/simulators/testing/certs';
import {
  address,
  emptyRuleSet,
  hqRuleSet as baseHqRuleSet,
  rule,
  ruleSet,
  service,
} from '../testing/rule-sets';
import { OpnSenseConnector, type OpnSenseConnectorOptions } from './opnsense.connector';

const MARKER = '[managed by utm-orchestrator]';
/** Rollback window of simulator and connector in these tests (real devices: 60 s). */
const WINDOW_MS = 200;
const FAST: OpnSenseConnectorOptions = { rollbackWindowMs: WINDOW_MS, rollbackSlackMs: 60 };

const hqRuleSet = (options: Parameters<typeof baseHqRuleSet>[0] = {}): RuleSet =>
  baseHqRuleSet({ vendor: 'opnsense', ...options });
const opnRuleSet = (parts: Parameters<typeof ruleSet>[0]): RuleSet =>
  ruleSet({ vendor: 'opnsense', ...parts });

function target(url: string, extra: Partial<OpnSenseTarget> = {}): OpnSenseTarget {
  return {
    id: 'fw-hq',
    vendor: 'opnsense',
    url,
    credentials: { kind: 'opnsense-api-key', key: OPNSENSE_SIM_KEY, secret: OPNSENSE_SIM_SECRET },
    timeouts: { connectMs: 1_000, requestMs: 2_000, commitMs: 2_000 },
    retry: { retries: 2, baseDelayMs: 5, maxDelayMs: 20, maxRetryAfterMs: 2_000 },
    ...extra,
  };
}

/** 25.1.x: the newest line whose rollback timer restores (25.7-26.1.x cannot, core#10721; tested separately). */
const TIMER_WORKS = '25.1.12';

const startSim = (options: OpnSenseSimulatorOptions = {}): Promise<OpnSenseSimulator> =>
  startOpnSenseSimulator({ rollbackTimerMs: WINDOW_MS, version: TIMER_WORKS, ...options });

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function managedName(r: OpnFields): string | null {
  const word = r.description.split(/\s+/)[0];
  return word.startsWith('utm_') &&
    r.description.includes(MARKER) &&
    !r.interface.includes(',') &&
    r.interface !== ''
    ? word
    : null;
}

/** Managed names (or descriptions) of the rules of one interface, in evaluation order. */
function interfaceOrder(sim: OpnSenseSimulator, iface: string): string[] {
  return sim.orderedRules(iface).map((r) => managedName(r) ?? r.description);
}

function aliasesByName(sim: OpnSenseSimulator): Record<string, OpnFields> {
  return Object.fromEntries(Object.values(sim.state.aliases).map((a) => [a.name, a]));
}

function rulesByName(sim: OpnSenseSimulator): Record<string, OpnFields> {
  return Object.fromEntries(
    Object.values(sim.state.rules)
      .map((r) => [managedName(r), r] as const)
      .filter(([n]) => n !== null),
  );
}

function expectConverged(sim: OpnSenseSimulator, rs: RuleSet): void {
  const state = sim.state;
  const aliasNames = Object.values(state.aliases)
    .map((a) => a.name)
    .filter((n) => n.startsWith('utm_'))
    .sort();
  expect(aliasNames).toEqual([...rs.addresses.map((a) => a.name), ...rs.services.map((s) => s.name)].sort());
  const managed = Object.values(state.rules)
    .map(managedName)
    .filter((n): n is string => n !== null);
  expect([...managed].sort()).toEqual(rs.rules.map((r) => r.name).sort());
  expect(new Set(managed).size).toBe(managed.length); // no duplicates
  expect(sim.hasUnappliedChanges()).toBe(false);
  expect(sim.pendingRollback).toBeNull();
  expect(sim.inactiveRules).toEqual([]);
}

/** Call lines with the savepoint revision replaced, so they can be compared exactly. */
function callLines(sim: OpnSenseSimulator): string[] {
  return sim.calls.lines().map((l) => l.replace(/\/\d+\.\d+$/, '/{revision}'));
}

function handCheckedHq(inventory: Inventory = handCheckedInventory('utmstack-v9')): RuleSet {
  const hq = computeRuleSets(inventory, builtinFlows()).find((r) => r.deviceId === 'hq-fw');
  if (!hq) throw new Error('hq-fw rule set missing');
  return { ...hq, vendor: 'opnsense' };
}

/** The hand-checked deployment plus nodes (and the sites they need). */
function withNodes(version: HandCheckedVersion, sites: SiteInput[], nodes: NodeInput[]): Inventory {
  const inventory = handCheckedInventory(version);
  return { ...inventory, sites: [...inventory.sites, ...sites], nodes: [...inventory.nodes, ...nodes] };
}

describe('OpnSenseConnector against the OPNsense simulator (real HTTP)', () => {
  let sim: OpnSenseSimulator;
  let connector: OpnSenseConnector;
  const push = (rs: RuleSet, c: OpnSenseConnector = connector): Promise<PushOutcome> => pushRuleSet(c, rs);

  beforeEach(async () => {
    sim = await startSim();
    connector = new OpnSenseConnector(target(sim.url), FAST);
  });

  afterEach(async () => {
    connector.close();
    await sim.stop();
  });

  it('probes the firmware version', async () => {
    expect(await connector.probe()).toMatchObject({ vendor: 'opnsense', version: TIMER_WORKS, tls: 'plain' });
    expect(connector.savepointSupported).toBeUndefined();
  });

  it('probes with a key limited to the firewall pages (no firmware privilege)', async () => {
    const limited = await startSim({
      keys: [{ key: 'k', secret: 's', privileges: ['page-filter-api', 'page-firewall-alias-edit'] }],
    });
    const c = new OpnSenseConnector(
      target(limited.url, { credentials: { kind: 'opnsense-api-key', key: 'k', secret: 's' } }),
    );
    try {
      expect(await c.probe()).toMatchObject({ version: null });
      expect(limited.calls.lines()).toEqual(['GET /api/core/firmware/info', 'GET /api/firewall/filter/get']);
    } finally {
      c.close();
      await limited.stop();
    }
  });

  it('pushes to an empty device: aliases, rules before other rules, savepoint + apply + cancelRollback, verified', async () => {
    const rs = hqRuleSet();
    const outcome = await push(rs);
    expect(outcome.error).toBeUndefined();
    expect(outcome.ok).toBe(true);
    expect(outcome.plan!.summary).toEqual({ create: 10, update: 0, delete: 0, reorder: 2 });
    expect(outcome.verification!.ok).toBe(true);
    expect(sim.calls.count({ method: 'POST', path: '/api/firewall/filter/savepoint' })).toBe(1);
    expect(sim.calls.count({ method: 'POST', path: /^\/api\/firewall\/filter\/apply\/\d+\.\d{4}$/ })).toBe(1);
    expect(sim.calls.count({ method: 'POST', path: /^\/api\/firewall\/filter\/cancelRollback\// })).toBe(1);
    expect(sim.calls.count({ method: 'POST', path: '/api/firewall/alias/reconfigure' })).toBe(1);
    expectConverged(sim, rs);
    expect(await connector.pendingRollback()).toBeNull();

    const aliases = aliasesByName(sim);
    expect(aliases.utm_hq_master).toMatchObject({
      type: 'host',
      content: '10.10.0.5',
      description: `master hq-master ${MARKER}`,
      enabled: '1',
    });
    // Newline-separated content; network aliases keep /32 hosts as CIDRs.
    expect(aliases.utm_hq_agentless).toMatchObject({
      type: 'network',
      content: '10.40.0.0/24\n10.40.1.7/32',
    });
    // Port aliases: ranges with a colon.
    expect(aliases.utm_svc_agent_tcp).toMatchObject({ type: 'port', content: '1514:1516\n9000\n50051' });

    expect(interfaceOrder(sim, 'lan')).toEqual(['utm_r_lan_agents_master', 'utm_r_lan_agentless_master']);
    expect(interfaceOrder(sim, 'opt2')).toEqual(['utm_r_opt2_consoles_master']);
    expect(rulesByName(sim).utm_r_lan_agentless_master).toMatchObject({
      enabled: '1',
      action: 'pass',
      quick: '1',
      interface: 'lan',
      direction: 'in',
      ipprotocol: 'inet',
      protocol: 'UDP',
      source_net: 'utm_hq_agentless',
      source_port: '',
      destination_net: 'utm_hq_master',
      destination_port: 'utm_svc_syslog_udp',
      description: `utm_r_lan_agentless_master ${MARKER}`,
    });
    // The running filter has exactly what is configured.
    expect(sim.applied).toEqual(sim.state);
  });

  it("records the API calls of a first push and of a no-change push of the engine's hand-checked hq-fw", async () => {
    const hq = handCheckedHq();
    expect(hq.rules.map((r) => r.ingress).sort()).toEqual(['lan', 'opt1', 'wan', 'wan', 'wan', 'wan']);
    connector.close();
    connector = new OpnSenseConnector(target(sim.url, { id: 'hq-fw' }), FAST);
    const first = await push(hq);
    expect(first.error).toBeUndefined();
    expect(first.plan!.summary).toEqual({ create: 17, update: 0, delete: 0, reorder: 3 });
    expect(callLines(sim)).toEqual([
      // Once per connector: the firmware (version matrix; it decides the rollback timer, O31).
      'GET /api/core/firmware/info',
      'GET /api/firewall/alias/get',
      'GET /api/firewall/filter/get',
      'POST /api/firewall/filter/savepoint',
      ...new Array<string>(11).fill('POST /api/firewall/alias/addItem'),
      'GET /api/firewall/filter/get',
      ...new Array<string>(6).fill('POST /api/firewall/filter/addRule'),
      'GET /api/firewall/filter/get',
      'GET /api/firewall/filter/get',
      'GET /api/firewall/filter/get',
      'POST /api/firewall/filter/apply/{revision}',
      'POST /api/firewall/alias/reconfigure',
      'GET /api/firewall/alias/get',
      'GET /api/firewall/filter/get',
      'POST /api/firewall/filter/cancelRollback/{revision}',
      'GET /api/firewall/alias/get',
      'GET /api/firewall/filter/get',
    ]);
    expectConverged(sim, hq);
    expect(interfaceOrder(sim, 'wan')).toEqual([
      'utm_agent_to_master_10ed2d_tcp',
      'utm_console_to_master_60d302_tcp',
      'utm_probe_to_master_4e16e8_tcp',
      'utm_console_to_master_5b59f2_tcp6',
    ]);
    expect(rulesByName(sim).utm_console_to_master_5b59f2_tcp6).toMatchObject({
      ipprotocol: 'inet6',
      protocol: 'TCP',
    });

    sim.calls.reset();
    const again = await push(hq);
    expect(again.ok).toBe(true);
    expect(isPlanEmpty(again.plan!)).toBe(true);
    expect(callLines(sim)).toEqual(['GET /api/firewall/alias/get', 'GET /api/firewall/filter/get']);
  });

  it('pushing the same rule set again makes zero write calls', async () => {
    const rs = hqRuleSet({ ipv6: true });
    expect((await push(rs)).ok).toBe(true);
    sim.calls.reset();
    const again = await push(rs);
    expect(again.ok).toBe(true);
    expect(isPlanEmpty(again.plan!)).toBe(true);
    expect(again.apply).toBeNull();
    expect(sim.calls.writes()).toBe(0);
  });

  it('adding one agent writes only the changed alias (plus savepoint, apply, reconfigure, cancelRollback)', async () => {
    expect((await push(hqRuleSet())).ok).toBe(true);
    sim.calls.reset();
    const outcome = await push(hqRuleSet({ agents: ['10.20.0.0/24', '10.20.5.9'] }));
    expect(outcome.error).toBeUndefined();
    expect(outcome.plan!.changes.map((c) => c.id)).toEqual(['update:address:utm_hq_agents']);
    expect(
      sim.calls
        .list()
        .filter((c) => c.method !== 'GET')
        .map((c) => c.path.replace(/\/[0-9a-f-]{36}$|\/\d+\.\d+$/, '/…')),
    ).toEqual([
      '/api/firewall/filter/savepoint',
      '/api/firewall/alias/setItem/…',
      '/api/firewall/filter/apply/…',
      '/api/firewall/alias/reconfigure',
      '/api/firewall/filter/cancelRollback/…',
    ]);
    expect(aliasesByName(sim).utm_hq_agents.content).toBe('10.20.0.0/24\n10.20.5.9/32');
  });

  describe('stable names: nodes coming and going change only what they imply (issue #13)', () => {
    const branch2: SiteInput = { id: 'br2', name: 'Branch-2', catalogVersion: 'utmstack-v11' };
    const agentAt = (
      id: string,
      siteId: string,
      address: string,
      extra: Partial<NodeInput> = {},
    ): NodeInput => ({
      id,
      siteId,
      name: id,
      role: 'agent',
      addresses: [address],
      selectors: [],
      ...extra,
    });

    beforeEach(() => {
      connector.close();
      connector = new OpnSenseConnector(target(sim.url, { id: 'hq-fw' }), FAST);
    });

    it('a new site with an agent updates the agents object of the wan and nothing else, and back', async () => {
      const before = handCheckedHq(handCheckedInventory('utmstack-v11'));
      expect((await push(before)).ok).toBe(true);
      const after = handCheckedHq(
        withNodes('utmstack-v11', [branch2], [agentAt('br2-agent', 'br2', '10.3.10.20')]),
      );
      sim.calls.reset();
      const added = await push(after);
      expect(added.error).toBeUndefined();
      // Before: utm_agent_Branch_1 became utm_agent_2_sites (create + delete of the object and of its rule).
      expect(added.plan!.changes.filter((c) => c.op !== 'update')).toEqual([]); // no create, delete, reorder
      expect(added.plan!.changes.map((c) => c.id)).toEqual(['update:address:utm_agent_wan_0c2524']);
      expect(aliasesByName(sim).utm_agent_wan_0c2524.content.split('\n')).toContain('10.3.10.20/32');
      expectConverged(sim, after);

      const removed = await push(before);
      expect(removed.plan!.changes.map((c) => c.id)).toEqual(['update:address:utm_agent_wan_0c2524']);
      expectConverged(sim, before);
    });

    it('an agent joining br1-legacy (reporting to hq-master) updates that object in place', async () => {
      const before = handCheckedHq();
      expect((await push(before)).ok).toBe(true);
      const joined = agentAt('br1-legacy-2', 'br1', '10.2.10.31', { collectorId: 'hq-master' });
      const after = handCheckedHq(withNodes('utmstack-v9', [], [joined]));
      sim.calls.reset();
      const outcome = await push(after);
      expect(outcome.error).toBeUndefined();
      // Before: utm_br1_legacy (one node) became utm_agent_Branch_1 (two nodes): delete + create, rule too.
      expect(outcome.plan!.changes.filter((c) => c.op !== 'update')).toEqual([]);
      expect(outcome.plan!.changes.map((c) => c.id)).toEqual(['update:address:utm_agent_wan_7f026f']);
      expect(aliasesByName(sim).utm_agent_wan_7f026f.content).toBe('10.2.10.30/31');
      expectConverged(sim, after);
    });

    it('an analysts console at another site joins the analysts object: one update', async () => {
      const before = handCheckedHq(handCheckedInventory('utmstack-v11'));
      expect((await push(before)).ok).toBe(true);
      const soc: NodeInput = {
        ...agentAt('br2-soc', 'br2', '192.0.2.10'),
        role: 'console',
        selectors: ['web'],
      };
      const after = handCheckedHq(withNodes('utmstack-v11', [branch2], [soc]));
      sim.calls.reset();
      const outcome = await push(after);
      expect(outcome.error).toBeUndefined();
      // Before: utm_analysts (one node) became utm_console_2_sites.
      expect(outcome.plan!.changes.filter((c) => c.op !== 'update')).toEqual([]);
      expect(outcome.plan!.changes.map((c) => c.id)).toEqual(['update:address:utm_console_wan_1c11c2']);
      expectConverged(sim, after);
    });

    it('a log source asking for something new only adds objects and a rule; every other name stays', async () => {
      const before = handCheckedHq(handCheckedInventory('utmstack-v11'));
      expect((await push(before)).ok).toBe(true);
      const fortigate: NodeInput = {
        ...agentAt('br2-fortigate', 'br2', '10.3.10.1'),
        role: 'agentless',
        selectors: ['fortigate'],
      };
      const after = handCheckedHq(withNodes('utmstack-v11', [branch2], [fortigate]));
      const kept = new Set([...before.addresses, ...before.services, ...before.rules].map((o) => o.name));
      sim.calls.reset();
      const outcome = await push(after);
      expect(outcome.error).toBeUndefined();
      const changes = outcome.plan!.changes;
      expect(changes.filter((c) => c.op === 'delete' || c.op === 'update')).toEqual([]);
      const created = changes.filter((c) => c.op === 'create');
      expect(created.map((c) => c.kind)).toEqual(expect.arrayContaining(['address', 'rule']));
      expect(created.filter((c) => kept.has(c.name))).toEqual([]);
      expectConverged(sim, after);
    });
  });

  it('an empty rule set removes every managed object and leaves every unmanaged one untouched', async () => {
    sim.guiAddAlias({ name: 'admin_hosts', type: 'host', content: '192.0.2.1', description: 'jump hosts' });
    sim.guiAddAlias({
      name: 'utm_by_hand',
      type: 'host',
      content: '192.0.2.2',
      description: 'prefixed, no marker',
    });
    sim.guiAddAlias({
      name: 'other_marked',
      type: 'host',
      content: '192.0.2.3',
      description: `marker but no prefix ${MARKER}`,
    });
    sim.guiAddRule({
      interface: 'lan',
      protocol: 'TCP',
      source_net: 'admin_hosts',
      destination_port: '22',
      description: 'Allow admin SSH',
    });
    sim.guiAddRule({ interface: 'wan', action: 'block', description: 'utm_ manual block' });
    sim.guiAddRule({ interface: 'lan,opt1', description: `utm_floating_copy ${MARKER}` });
    const unmanagedBefore = sim.state;

    expect((await push(hqRuleSet({ ipv6: true }))).ok).toBe(true);
    const outcome = await push(emptyRuleSet({ vendor: 'opnsense' }));
    expect(outcome.error).toBeUndefined();
    expect(outcome.plan!.summary.delete).toBe(13);
    expect(sim.state).toEqual(unmanagedBefore);
    expect(sim.applied).toEqual(unmanagedBefore);
    // Deletes ran rules first, then the aliases they used (otherwise: 500 "Alias in use").
    const writes = sim.calls
      .list()
      .filter((c) => c.method === 'POST')
      .map((c) => c.path.replace(/\/[^/]+$/, ''));
    expect(writes.indexOf('/api/firewall/alias/delItem')).toBeGreaterThan(
      writes.lastIndexOf('/api/firewall/filter/delRule'),
    );
  });

  it('does not adopt an unmanaged alias with a colliding name (conflict, nothing written)', async () => {
    sim.guiAddAlias({
      name: 'utm_hq_master',
      type: 'host',
      content: '192.0.2.99',
      description: 'made by hand',
    });
    const before = sim.state;
    const outcome = await push(hqRuleSet());
    expect(outcome.ok).toBe(false);
    expect(outcome.error).toMatchObject({ kind: 'conflict' });
    expect(outcome.error!.details).toEqual({
      conflicts: expect.arrayContaining([
        expect.objectContaining({ kind: 'address', name: 'utm_hq_master' }),
      ]) as unknown,
    });
    expect(sim.calls.writes()).toBe(0);
    expect(sim.state).toEqual(before);
  });

  it('does not adopt an unmanaged rule with a colliding name', async () => {
    sim.guiAddRule({ interface: 'lan', description: 'utm_r_lan_agents_master copied by hand' });
    const before = sim.state;
    const outcome = await push(hqRuleSet());
    expect(outcome.error).toMatchObject({ kind: 'conflict' });
    expect(JSON.stringify(outcome.error!.details)).toContain('utm_r_lan_agents_master');
    expect(sim.calls.writes()).toBe(0);
    expect(sim.state).toEqual(before);
  });

  it('restores a managed alias or rule that someone edited, and removes a duplicated managed rule', async () => {
    const rs = hqRuleSet();
    expect((await push(rs)).ok).toBe(true);
    sim.guiEditAlias('utm_hq_agents', { content: '10.99.0.0/16' });
    const consoles = sim.orderedRules('opt2')[0];
    sim.guiEditRule(consoles.uuid, { enabled: '0', log: '1' });
    const copy = { ...rulesByName(sim).utm_r_lan_agents_master, sequence: '5000' };
    sim.guiAddRule(copy);

    const outcome = await push(rs);
    expect(outcome.error).toBeUndefined();
    expect(outcome.plan!.changes.map((c) => c.id).sort()).toEqual([
      'delete:rule:utm_r_lan_agents_master#dup1',
      'update:address:utm_hq_agents',
      'update:rule:utm_r_opt2_consoles_master',
    ]);
    expectConverged(sim, rs);
    expect(rulesByName(sim).utm_r_opt2_consoles_master).toMatchObject({ enabled: '1', log: '0' });
    // The kept copy is the first in evaluation order (the original, sequence 100).
    expect(rulesByName(sim).utm_r_lan_agents_master.sequence).toBe('100');
  });

  it('keeps the managed block in desired order and before the rules people made', async () => {
    sim.guiAddRule({ interface: 'lan', sequence: '50', description: 'people first' });
    sim.guiAddRule({ interface: 'lan', sequence: '5000', description: 'people later' });
    const rs = hqRuleSet();
    const outcome = await push(rs);
    expect(outcome.error).toBeUndefined();
    expect(interfaceOrder(sim, 'lan')).toEqual([
      'utm_r_lan_agents_master',
      'utm_r_lan_agentless_master',
      'people first',
      'people later',
    ]);
    // Our rules were placed below 50 when created; people's rules keep their sequences.
    expect(sim.orderedRules('lan').map((r) => r.sequence)).toEqual(['25', '37', '50', '5000']);

    // Someone renumbers our first rule to the bottom: one reorder, only managed rules rewritten.
    sim.guiEditRule(sim.orderedRules('lan')[0].uuid, { sequence: '9000' });
    const again = await push(rs);
    expect(again.plan!.changes.map((c) => c.id)).toEqual(['reorder:order:lan']);
    expect(interfaceOrder(sim, 'lan').slice(0, 2)).toEqual([
      'utm_r_lan_agents_master',
      'utm_r_lan_agentless_master',
    ]);

    // A new desired order (swap) is a reorder only.
    const swapped = hqRuleSet();
    swapped.rules = swapped.rules.map((r) => (r.ingress === 'lan' ? { ...r, order: 1 - r.order } : r));
    const third = await push(swapped);
    expect(third.plan!.changes.map((c) => c.id)).toEqual(['reorder:order:lan']);
    expect(interfaceOrder(sim, 'lan')).toEqual([
      'utm_r_lan_agentless_master',
      'utm_r_lan_agents_master',
      'people first',
      'people later',
    ]);
    expect(isPlanEmpty((await connector.verify(swapped)).plan)).toBe(true);
  });

  it('can keep the managed block after the rules people made (blockPosition bottom)', async () => {
    sim.guiAddRule({ interface: 'lan', sequence: '300', description: 'people rule' });
    const c = new OpnSenseConnector(target(sim.url, { blockPosition: 'bottom' }), FAST);
    try {
      expect((await push(hqRuleSet(), c)).ok).toBe(true);
      expect(interfaceOrder(sim, 'lan')).toEqual([
        'people rule',
        'utm_r_lan_agents_master',
        'utm_r_lan_agentless_master',
      ]);
      expect(isPlanEmpty(c.plan(hqRuleSet(), await c.readState()))).toBe(true);
    } finally {
      c.close();
    }
  });

  it('refuses clearly when people made rules leave no sequence below them (pre-25.1.5 default sequence 1)', async () => {
    const old = await startSim({ version: '24.7.12' });
    const c = new OpnSenseConnector(target(old.url), FAST);
    try {
      old.guiAddRule({ interface: 'lan', description: 'made in the GUI' });
      expect(old.orderedRules('lan')[0].sequence).toBe('1');
      const outcome = await push(hqRuleSet(), c);
      expect(outcome.ok).toBe(false);
      expect(outcome.error).toMatchObject({ kind: 'conflict' });
      expect(outcome.error!.message).toMatch(/no room between 0 and 1/);
      // The rollback protects the device: nothing was committed or applied.
      expect(outcome.apply!.commit.status).toBe('not_attempted');
      // Refused before any rule was written; the aliases written before stay unapplied until the next push.
      expect(old.calls.count({ path: '/api/firewall/filter/addRule' })).toBe(0);
      expect(Object.values(old.state.rules).map((r) => r.description)).toEqual(['made in the GUI']);
      expect(old.applied.aliases).toEqual({});
      old.guiEditRule(old.orderedRules('lan')[0].uuid, { sequence: '1000' });
      const retry = await push(hqRuleSet(), c);
      expect(retry.error).toBeUndefined();
      expect(interfaceOrder(old, 'lan')[2]).toBe('made in the GUI');
    } finally {
      c.close();
      await old.stop();
    }
  });

  it('turns an address alias into a port alias in place when a name changes kind', async () => {
    const first = opnRuleSet({
      addresses: [address('utm_a', ['10.0.0.1/32']), address('utm_b', ['10.0.0.2/32'])],
      services: [service('utm_s', 'tcp', [443])],
      rules: [
        rule('utm_r1', 0, {
          ingress: 'lan',
          egress: 'wan',
          source: 'utm_a',
          destination: 'utm_b',
          service: 'utm_s',
        }),
      ],
    });
    expect((await push(first)).ok).toBe(true);
    const second = opnRuleSet({
      addresses: [address('utm_a', ['10.0.0.1/32']), address('utm_s', ['10.0.0.2/32'])],
      services: [service('utm_b', 'tcp', [443])],
      rules: [
        rule('utm_r1', 0, {
          ingress: 'lan',
          egress: 'wan',
          source: 'utm_a',
          destination: 'utm_s',
          service: 'utm_b',
        }),
      ],
    });
    const outcome = await push(second);
    expect(outcome.plan!.changes.map((c) => c.id)).toEqual([
      'update:address:utm_s',
      'update:service:utm_b',
      'update:rule:utm_r1',
    ]);
    expect(outcome.error).toBeUndefined();
    expectConverged(sim, second);
  });

  it('classifies a validation failure answered with HTTP 200 and keeps the vendor messages', async () => {
    const rs = hqRuleSet();
    rs.rules = rs.rules.map((r) => (r.name === 'utm_r_opt2_consoles_master' ? { ...r, ingress: 'opt9' } : r));
    const outcome = await push(rs);
    expect(outcome.ok).toBe(false);
    expect(outcome.error).toMatchObject({
      kind: 'validation',
      status: 200,
      vendorMessage: 'rule.interface: Option not in list.',
      path: '/api/firewall/filter/addRule',
      details: { validations: { 'rule.interface': 'Option not in list.' } },
    });
  });

  it('classifies "Alias in use" (HTTP 500 UserException) as a conflict and leaves the alias', async () => {
    expect((await push(hqRuleSet())).ok).toBe(true);
    sim.guiAddRule({ interface: 'opt1', source_net: 'utm_hq_consoles', description: 'uses our alias' });
    const outcome = await push(hqRuleSet({ consoles: false }));
    expect(outcome.ok).toBe(false);
    expect(outcome.error).toMatchObject({
      kind: 'conflict',
      status: 500,
      vendorCode: 'Alias in use',
      vendorMessage: expect.stringMatching(
        /^Cannot delete alias\. Currently in use by \n\[OPNsense\.Firewall\.Filter\.rules\.rule\.\d+\/source_net\] $/,
      ) as unknown,
    });
    expect(aliasesByName(sim).utm_hq_consoles).toBeDefined();
  });

  it('reads the unmanaged rules with their destination ports resolved (port aliases expanded), never the managed ones', async () => {
    expect((await push(hqRuleSet())).ok).toBe(true);
    sim.guiAddAlias({ name: 'db_ports', type: 'port', content: '5432\n6000:6010', description: 'databases' });
    sim.guiAddRule({
      interface: 'wan',
      protocol: 'TCP',
      destination_port: 'db_ports',
      description: 'db from wan',
    });
    sim.guiAddRule({ interface: 'wan', description: 'wan any' });
    sim.guiAddRule({
      interface: 'lan,opt1',
      protocol: 'UDP',
      destination_port: '1000-2000',
      source_net: 'lan',
      description: 'udp range',
    });
    sim.guiAddRule({
      interface: 'lan',
      protocol: 'TCP',
      destination_port: 'https',
      action: 'block',
      enabled: '0',
      description: 'blocked https',
    });
    const gone = sim.guiAddRule({
      interface: 'lan',
      protocol: 'TCP',
      destination_port: '22',
      description: 'gone alias',
    });
    sim.guiEditRule(gone, { destination_port: 'no_such_alias' });

    const unmanaged = await connector.readUnmanagedRules();
    const byLabel = [...unmanaged].sort((a, b) => a.label.localeCompare(b.label));
    expect(byLabel).toEqual([
      {
        scope: 'lan',
        interfaces: ['lan'],
        label: 'blocked https',
        action: 'deny',
        enabled: false,
        protocols: ['tcp'],
        ports: [{ from: 443, to: 443 }],
        source: 'any',
        destination: 'any',
      },
      {
        scope: 'wan',
        interfaces: ['wan'],
        label: 'db from wan',
        action: 'allow',
        enabled: true,
        protocols: ['tcp'],
        ports: [
          { from: 5432, to: 5432 },
          { from: 6000, to: 6010 },
        ],
        source: 'any',
        destination: 'any',
      },
      {
        scope: 'lan',
        interfaces: ['lan'],
        label: 'gone alias',
        action: 'allow',
        enabled: true,
        protocols: ['tcp'],
        ports: [],
        source: 'any',
        destination: 'any',
        unresolvedPorts: 'no_such_alias',
      },
      {
        scope: 'lan',
        interfaces: ['lan', 'opt1'],
        label: 'udp range',
        action: 'allow',
        enabled: true,
        protocols: ['udp'],
        ports: [{ from: 1000, to: 2000 }],
        source: 'lan',
        destination: 'any',
      },
      {
        scope: 'wan',
        interfaces: ['wan'],
        label: 'wan any',
        action: 'allow',
        enabled: true,
        protocols: null,
        ports: null,
        source: 'any',
        destination: 'any',
      },
    ]);
  });

  describe('rollback (savepoint → apply/{revision} → verify → cancelRollback)', () => {
    it('when verification fails after apply, the rollback is not cancelled and the device returns to the previous rules', async () => {
      const before = hqRuleSet();
      expect((await push(before)).ok).toBe(true);
      const previous = sim.state;
      sim.calls.reset();

      // During the next push an admin deletes one of our rules right after the apply (a concurrent change).
      sim.afterApply = (s) => {
        s.afterApply = null;
        s.guiDeleteRule(s.orderedRules('opt2')[0].uuid);
      };
      const after = hqRuleSet({ agents: ['10.20.0.0/24', '10.20.7.7'], syslog: false });
      const failed = await push(after);
      expect(failed.ok).toBe(false);
      expect(failed.apply!.commit.status).toBe('failed');
      expect(failed.error).toMatchObject({ kind: 'conflict' });
      expect(failed.error!.message).toMatch(
        /verification after apply failed .*rule utm_r_opt2_consoles_master/,
      );
      expect(failed.error!.message).toMatch(/NOT cancelled/);
      expect(sim.calls.count({ path: /cancelRollback/ })).toBe(0);
      expect(sim.pendingRollback).not.toBeNull();
      expect(await connector.pendingRollback()).toMatchObject({ reason: 'verification after apply failed' });

      // Nobody pushes inside the window: it ends: the device restores the previous rules (the whole Filter section) and reloads.
      await sleep(WINDOW_MS + 80);
      expect(sim.pendingRollback).toBeNull();
      expect(sim.state.rules).toEqual(previous.rules);
      expect(sim.applied.rules).toEqual(previous.rules);
      expect(sim.syslog.some((l) => /rollback to revision/.test(l))).toBe(true);
      // Aliases are not part of the rollback (the reference: only the Filter section comes back).
      expect(aliasesByName(sim).utm_hq_agents.content).toBe('10.20.0.0/24\n10.20.7.7/32');

      const retry = await push(after);
      expect(retry.error).toBeUndefined();
      expectConverged(sim, after);
      expect(isPlanEmpty((await connector.verify(after)).plan)).toBe(true);
    });

    it('a failing postApplyCheck also keeps the rollback armed', async () => {
      let healthy = true;
      const c = new OpnSenseConnector(target(sim.url), {
        ...FAST,
        postApplyCheck: () => Promise.resolve(healthy),
      });
      try {
        expect((await push(hqRuleSet(), c)).ok).toBe(true);
        const previous = sim.state.rules;
        healthy = false;
        const failed = await push(hqRuleSet({ consoles: false }), c);
        expect(failed.error).toMatchObject({
          kind: 'conflict',
          message: expect.stringMatching(/post-apply check failed/) as unknown,
        });
        await sleep(WINDOW_MS + 80);
        expect(sim.state.rules).toEqual(previous);
        healthy = true;
        expect((await push(hqRuleSet({ consoles: false }), c)).error).toBeUndefined();
      } finally {
        c.close();
      }
    });

    // vendor-conformance O31: the timer restores nothing there, so it is not used and nothing is promised.
    for (const version of ['25.7.5', '26.1.11']) {
      it(`${version}: no savepoint or rollback timer; a failed verification is undone by the own recovery, and the message says only that`, async () => {
        const box = await startSim({ version });
        const c = new OpnSenseConnector(target(box.url), FAST);
        try {
          expect((await push(hqRuleSet(), c)).error).toBeUndefined();
          expect(box.calls.count({ path: '/api/firewall/filter/savepoint' })).toBe(0);
          expect(box.calls.count({ path: /cancelRollback/ })).toBe(0);
          box.afterApply = (s) => {
            s.afterApply = null;
            s.guiDeleteRule(s.orderedRules('opt2')[0].uuid);
          };
          const failed = await push(hqRuleSet({ agents: ['10.20.0.0/24', '10.20.7.7'] }), c);
          expect(failed.error).toMatchObject({ kind: 'conflict' });
          expect(failed.error!.message).not.toMatch(/restores the previous/);
          expect(failed.error!.message).toMatch(
            /no rollback timer undoes the applied rules: .*restores nothing .*core#10721/,
          );
          // What is live is said once, by the recovery (not also "the written rules are live" before it).
          expect(failed.error!.message).not.toMatch(/rules are live/);
          expect(failed.error!.message).toMatch(
            /; recovery restored: the device holds the managed rules and objects it had before this push/,
          );
          expect(box.calls.count({ path: '/api/firewall/filter/savepoint' })).toBe(0);
          expect(await c.pendingRollback()).toBeNull();
        } finally {
          c.close();
          await box.stop();
        }
      });
    }

    it('own recovery (25.7.5, no working timer): a failed verification restores the state read before the push', async () => {
      const box = await startSim({ version: '25.7.5' });
      const c = new OpnSenseConnector(target(box.url), FAST);
      try {
        const before = hqRuleSet();
        expect((await push(before, c)).error).toBeUndefined();
        const previous = { rules: rulesByName(box), aliases: aliasesByName(box) };
        box.afterApply = (s) => {
          s.afterApply = null;
          s.guiDeleteRule(s.orderedRules('opt2')[0].uuid);
        };
        const failed = await push(hqRuleSet({ agents: ['10.20.0.0/24', '10.20.7.7'], syslog: false }), c);
        expect(failed.ok).toBe(false);
        expect(failed.restore).toMatchObject({ status: 'restored', live: 'previous' });
        expect(failed.restore!.writes).toBeGreaterThan(0);
        expect(failed.error!.message).toMatch(
          /recovery restored: the device holds the managed rules and objects it had before this push/,
        );
        // Back as before (the rule the admin deleted included), applied, and nothing left to do for `before`.
        expect(Object.keys(rulesByName(box)).sort()).toEqual(Object.keys(previous.rules).sort());
        expect(aliasesByName(box).utm_hq_agents.content).toBe(previous.aliases.utm_hq_agents.content);
        expect(box.hasUnappliedChanges()).toBe(false);
        expect(isPlanEmpty((await c.verify(before)).plan)).toBe(true);
      } finally {
        c.close();
        await box.stop();
      }
    });

    it('own recovery defers to a rollback timer that works (25.1) and says so', async () => {
      expect((await push(hqRuleSet())).ok).toBe(true);
      sim.afterApply = (s) => {
        s.afterApply = null;
        s.guiDeleteRule(s.orderedRules('opt2')[0].uuid);
      };
      const failed = await push(hqRuleSet({ syslog: false }));
      expect(failed.restore).toMatchObject({ status: 'deferred', live: 'new', writes: 0 });
      expect(failed.error!.message).toMatch(
        /rollback timer \(savepoint .*\) restores the previous filter rules/,
      );
    });

    it('O30: cancelRollback reads 25.7.3+\'s "" (no timer) as "nothing cancelled", like 25.7.2\'s null', async () => {
      for (const version of ['25.7.2', '25.7.5', '26.1.11']) {
        const box = await startSim({ version });
        const c = new OpnSenseConnector(target(box.url), FAST);
        try {
          expect({ version, cancelled: await c.api.cancelRollback('123.4567') }).toEqual({
            version,
            cancelled: false,
          });
        } finally {
          c.close();
          await box.stop();
        }
      }
    });

    it('a firmware without savepoints (26.7) still gets pushed with a plain apply', async () => {
      const newer = await startSim({ version: '26.7.1' });
      const c = new OpnSenseConnector(target(newer.url), FAST);
      try {
        const first = await push(hqRuleSet(), c);
        expect(first.error).toBeUndefined();
        expectConverged(newer, hqRuleSet());
        // The firmware read before the first write says 26.7: no savepoint, a plain apply and no cancelRollback.
        expect(newer.calls.count({ path: '/api/firewall/filter/savepoint' })).toBe(0);
        expect(newer.calls.count({ method: 'POST', path: '/api/firewall/filter/apply' })).toBe(1);
        expect(newer.calls.count({ path: /cancelRollback/ })).toBe(0);
        expect(c.savepointSupported).toBe(false);
        expect(c.rollbackTimerWorks()).toBe(false);
        newer.calls.reset();
        expect((await push(hqRuleSet({ consoles: false }), c)).error).toBeUndefined();
        expect(newer.calls.count({ path: '/api/firewall/filter/savepoint' })).toBe(0);
        // A probe that reports 26.7+ skips the detection call altogether.
        const probed = new OpnSenseConnector(target(newer.url), FAST);
        try {
          expect(await probed.probe()).toMatchObject({ version: '26.7.1' });
          newer.calls.reset();
          expect((await push(hqRuleSet(), probed)).error).toBeUndefined();
          expect(newer.calls.count({ path: '/api/firewall/filter/savepoint' })).toBe(0);
        } finally {
          probed.close();
        }
      } finally {
        c.close();
        await newer.stop();
      }
    });

    it('refuses 24.1 (outside 24.7-26.7) before any write', async () => {
      const s = await startSim({ version: '24.1.10' });
      const c = new OpnSenseConnector(target(s.url), FAST);
      try {
        const outcome = await push(hqRuleSet(), c);
        expect(outcome.error).toMatchObject({ kind: 'validation' });
        expect(outcome.error!.message).toMatch(/OPNsense 24.1.10 is not supported/);
        expect(s.calls.writes()).toBe(0);
      } finally {
        c.close();
        await s.stop();
      }
    });

    it('pushes to 24.7 and 25.1.4 firmware (no TCP/UDP, savepoints present)', async () => {
      for (const version of ['24.7.12', '25.1.4']) {
        const s = await startSim({ version });
        const c = new OpnSenseConnector(target(s.url), FAST);
        try {
          const rs = hqRuleSet({ ipv6: true });
          const outcome = await push(rs, c);
          expect({ version, error: outcome.error }).toEqual({ version, error: undefined });
          expectConverged(s, rs);
          expect(isPlanEmpty((await push(rs, c)).plan!)).toBe(true);
        } finally {
          c.close();
          await s.stop();
        }
      }
    });

    it('surfaces a cancelRollback that finds no timer (the single slot was taken) and waits out the window', async () => {
      expect((await push(hqRuleSet())).ok).toBe(true);
      // Someone else armed the device's only rollback timer just before our apply.
      const foreign = await rawApply(sim, '1.0000');
      expect(foreign).toBe(200);
      const outcome = await push(hqRuleSet({ consoles: false }));
      expect(outcome.error).toMatchObject({ kind: 'conflict', vendorMessage: 'no rollback timer pending' });
      expect(await connector.pendingRollback()).toMatchObject({ reason: 'cancelRollback found no timer' });
      await sleep(WINDOW_MS + 80);
      const retry = await push(hqRuleSet({ consoles: false }));
      expect(retry.error).toBeUndefined();
      expectConverged(sim, hqRuleSet({ consoles: false }));
    });
  });

  describe('faults during apply', () => {
    const before = hqRuleSet();
    // Touches every kind of step: alias create/update/delete, rule create/update/delete, a sequence move, commit.
    const after = ((): RuleSet => {
      const rs = hqRuleSet({ agents: ['10.20.0.0/24', '10.20.9.9'], consoles: false, ipv6: true });
      rs.services.push(service('utm_svc_syslog_alt', 'udp', [1514]));
      rs.services = rs.services.filter((s) => s.name !== 'utm_svc_syslog_udp');
      rs.rules = rs.rules.map((r) =>
        r.name === 'utm_r_lan_agentless_master'
          ? { ...r, service: 'utm_svc_syslog_alt', order: 0 }
          : r.name === 'utm_r_lan_agents_master'
            ? { ...r, order: 1 }
            : r,
      );
      return opnRuleSet(rs);
    })();
    const faults: Array<{ fault: FaultSpec; kind: string }> = [
      { fault: { type: 'status', status: 500 }, kind: 'protocol' },
      { fault: { type: 'status', status: 503 }, kind: 'unavailable' },
      { fault: { type: 'drop', when: 'after' }, kind: 'unavailable' },
      { fault: { type: 'drop', when: 'before' }, kind: 'unavailable' },
      { fault: { type: 'hang', ms: 5_000, when: 'after' }, kind: 'timeout' },
      {
        fault: { type: 'status', status: 200, body: '{"result":"failed","validations":{"rule.x":"m"}}' },
        kind: 'validation',
      },
    ];

    it('a fault at every write step fails clearly (classified) and the next push converges without duplicates', async () => {
      expect((await push(before)).ok).toBe(true);
      sim.calls.reset();
      const clean = await push(after);
      expect(clean.error).toBeUndefined();
      const steps = sim.calls
        .list()
        .filter((c) => c.method !== 'GET')
        .map((c) => `${c.method} ${c.path.replace(/\/[0-9a-f-]{36}$|\/\d+\.\d+$/, '/{id}')}`);
      expect(new Set(steps)).toEqual(
        new Set([
          'POST /api/firewall/filter/savepoint',
          'POST /api/firewall/alias/addItem',
          'POST /api/firewall/alias/setItem/{id}',
          'POST /api/firewall/alias/delItem/{id}',
          'POST /api/firewall/filter/addRule',
          'POST /api/firewall/filter/setRule/{id}',
          'POST /api/firewall/filter/delRule/{id}',
          'POST /api/firewall/filter/apply/{id}',
          'POST /api/firewall/alias/reconfigure',
          'POST /api/firewall/filter/cancelRollback/{id}',
        ]),
      );
      expect(clean.plan!.summary).toEqual({ create: 4, update: 2, delete: 4, reorder: 1 });
      const applyStep = steps.indexOf('POST /api/firewall/filter/apply/{id}');
      expect(steps.slice(applyStep)).toEqual([
        'POST /api/firewall/filter/apply/{id}',
        'POST /api/firewall/alias/reconfigure',
        'POST /api/firewall/filter/cancelRollback/{id}',
      ]);

      // Every fault kind at every step, except hangs (each costs a client timeout): every third step + the commit.
      const cases = faults.flatMap((f) =>
        steps
          .map((_, k) => ({ ...f, k }))
          .filter((c) => c.fault.type !== 'hang' || c.k % 3 === 0 || c.k >= applyStep),
      );
      expect(cases.length).toBeGreaterThan(70);
      for (const { fault, kind, k } of cases) {
        const s = await startSim();
        const c = new OpnSenseConnector(target(s.url), FAST);
        const requestMs = fault.type === 'hang' ? 150 : 2_000;
        const faulted = new OpnSenseConnector(
          target(s.url, { timeouts: { connectMs: 1_000, requestMs, commitMs: requestMs } }),
          FAST,
        );
        try {
          expect((await push(before, c)).ok).toBe(true);
          s.faults.add({ method: 'WRITE', fault, skip: k, times: 1 });
          const failed = await push(after, faulted);
          expect({ step: k, call: steps[k], ok: failed.ok }).toEqual({ step: k, call: steps[k], ok: false });
          // The validation envelope only exists on mutators; elsewhere the same body is a protocol error.
          const mutator = /addItem|setItem|delItem|addRule|setRule|delRule/.test(steps[k]);
          const expected = kind === 'validation' && !mutator ? 'protocol' : kind;
          expect({ step: k, kind: failed.error?.kind }).toEqual({ step: k, kind: expected });
          const hit = s.calls.list().find((r) => r.fault !== undefined);
          expect(`${hit?.method} ${hit?.path.replace(/\/[0-9a-f-]{36}$|\/\d+\.\d+$/, '/{id}')}`).toBe(
            steps[k],
          );
          expect(failed.error!.message).toMatch(/OPNsense POST \/api\/firewall\//);
          const failedChanges = failed.apply!.results.filter((r) => r.status === 'failed').length;
          const commitFailed = failed.apply!.commit.status === 'failed' ? 1 : 0;
          expect(failedChanges + commitFailed).toBe(1);
          if (failedChanges === 1) expect(failed.apply!.commit.status).toBe('not_attempted');
          s.faults.clear();
          // No waiting, even when the fault left the rollback armed: the retry's recovery resolves it first.
          const retry = await push(after, c);
          expect({ step: k, ok: retry.ok, error: retry.error }).toEqual({
            step: k,
            ok: true,
            error: undefined,
          });
          expectConverged(s, after);
          expect(isPlanEmpty((await push(after, c)).plan!)).toBe(true);
        } finally {
          c.close();
          faulted.close();
          await s.stop();
        }
      }
    }, 120_000);

    it('a failed apply leaves the writes pending and the next push commits them (rollback window waited out)', async () => {
      sim.faults.add({
        method: 'POST',
        path: /^\/api\/firewall\/filter\/apply/,
        fault: { type: 'status', status: 503 },
        times: 1,
      });
      const failed = await push(before);
      expect(failed.ok).toBe(false);
      expect(failed.apply!.commit.status).toBe('failed');
      expect(failed.error).toMatchObject({ kind: 'unavailable', status: 503 });
      expect(sim.hasUnappliedChanges()).toBe(true);
      await sleep(WINDOW_MS + 80);
      const next = await push(before);
      expect(next.plan!.changes).toEqual([]);
      expect(next.plan!.pendingCommit).toBe(true);
      expect(next.error).toBeUndefined();
      expect(sim.hasUnappliedChanges()).toBe(false);
    });

    it('never repeats a failed write', async () => {
      sim.faults.add({
        method: 'POST',
        path: '/api/firewall/alias/addItem',
        fault: { type: 'status', status: 503 },
        times: 1,
      });
      const failed = await push(before);
      expect(failed.error).toMatchObject({ kind: 'unavailable', status: 503 });
      expect(sim.calls.count({ method: 'POST', path: '/api/firewall/alias/addItem' })).toBe(1);
      expect(failed.apply!.results.filter((r) => r.status === 'failed')).toHaveLength(1);
      expect(failed.apply!.results.filter((r) => r.status === 'not_attempted').length).toBeGreaterThan(5);
    });
  });

  describe('reads', () => {
    it('honours 429 Retry-After on reads', async () => {
      sim.faults.add({
        method: 'GET',
        path: '/api/firewall/filter/get',
        fault: { type: 'retry-after', seconds: 1 },
        times: 1,
      });
      const t0 = Date.now();
      await connector.readState();
      expect(Date.now() - t0).toBeGreaterThanOrEqual(950);
      expect(sim.calls.count({ method: 'GET', path: '/api/firewall/filter/get' })).toBe(2);
    });

    it('retries reads on transient failures with backoff', async () => {
      sim.faults.add({ method: 'GET', path: '/api/firewall/alias/get', fault: { type: 'drop' }, times: 1 });
      sim.faults.add({
        method: 'GET',
        path: '/api/firewall/alias/get',
        fault: { type: 'status', status: 502 },
        times: 1,
      });
      await connector.readState();
      expect(sim.calls.count({ method: 'GET', path: '/api/firewall/alias/get' })).toBe(3);
    });
  });

  describe('authentication', () => {
    it('classifies a wrong secret as authentication with the vendor message, not retried', async () => {
      const c = new OpnSenseConnector(
        target(sim.url, { credentials: { kind: 'opnsense-api-key', key: OPNSENSE_SIM_KEY, secret: 'nope' } }),
      );
      try {
        await expect(c.readState()).rejects.toMatchObject({
          kind: 'authentication',
          status: 401,
          vendorMessage: 'Authentication Failed',
        });
        expect(sim.calls.count()).toBe(1);
      } finally {
        c.close();
      }
    });

    it('classifies an ACL refusal (403 Forbidden)', async () => {
      const ro = await startSim({ keys: [{ key: 'k', secret: 's', privileges: ['page-firewall-aliases'] }] });
      const c = new OpnSenseConnector(
        target(ro.url, { credentials: { kind: 'opnsense-api-key', key: 'k', secret: 's' } }),
      );
      try {
        const outcome = await push(hqRuleSet(), c);
        expect(outcome.error).toMatchObject({
          kind: 'authentication',
          status: 403,
          vendorMessage: 'Forbidden',
        });
      } finally {
        c.close();
        await ro.stop();
      }
    });
  });

  it('serialises concurrent pushes to one device (a 25.1.2 box loses concurrent writes)', async () => {
    const slow = await startSim({ version: '25.1.2', writeProcessingMs: 10 });
    const a = new OpnSenseConnector(target(slow.url), FAST);
    const b = new OpnSenseConnector(target(slow.url), FAST);
    try {
      const rs = hqRuleSet();
      const [ra, rb] = await Promise.all([push(rs, a), push(rs, b)]);
      expect(ra.error ?? rb.error).toBeUndefined();
      expectConverged(slow, rs);
      expect([ra.plan!.changes.length, rb.plan!.changes.length].sort((x, y) => x - y)[0]).toBe(0);
    } finally {
      a.close();
      b.close();
      await slow.stop();
    }
  });

  it('validates the rule set before writing (vendor, alias name rules, description length)', async () => {
    const live = await connector.readState();
    expect(() => connector.plan(baseHqRuleSet(), live)).toThrow(/rule set is for vendor pfsense/);
    const bad = opnRuleSet({
      addresses: [address('utm_' + 'x'.repeat(40), ['10.0.0.1/32'])],
      services: [service('utm_s', 'tcp', [443])],
      rules: [],
    });
    expect(() => connector.plan(bad, live)).toThrow(ConnectorError);
    expect(sim.calls.writes()).toBe(0);
  });
});

/** Arms the device's rollback timer as another client would (apply/{rev} with a revision nobody cancels). */
async function rawApply(sim: OpnSenseSimulator, revision: string): Promise<number> {
  const { rawRequest } = await import('@app/simulators/testing/raw-http');
  const auth = `Basic ${Buffer.from(`${OPNSENSE_SIM_KEY}:${OPNSENSE_SIM_SECRET}`).toString('base64')}`;
  const res = await rawRequest(sim.url, {
    method: 'POST',
    path: `/api/firewall/filter/apply/${revision}`,
    headers: { authorization: auth },
  });
  return res.status;
}

describe('OpnSenseConnector TLS', () => {
  let sim: OpnSenseSimulator;
  beforeAll(async () => {
    sim = await startSim({ https: true });
  });
  afterAll(async () => {
    await sim.stop();
  });
  beforeEach(() => sim.calls.reset());

  const probeWith = async (tls: OpnSenseTarget['tls']): Promise<unknown> => {
    const c = new OpnSenseConnector(target(sim.url, { tls }));
    try {
      return await c.probe();
    } catch (err) {
      return err;
    } finally {
      c.close();
    }
  };

  it('refuses the self-signed certificate by default (nothing sent)', async () => {
    const res = await probeWith(undefined);
    expect(res).toBeInstanceOf(ConnectorError);
    expect(res).toMatchObject({ kind: 'tls', vendorCode: 'DEPTH_ZERO_SELF_SIGNED_CERT' });
    expect(sim.calls.count()).toBe(0);
  });

  it('accepts it with the pinned SHA-256 fingerprint and pushes over HTTPS', async () => {
    expect(await probeWith({ fingerprintSha256: TEST_CERT_FINGERPRINT_SHA256 })).toMatchObject({
      tls: 'pinned',
      version: TIMER_WORKS,
    });
    const c = new OpnSenseConnector(
      target(sim.url, { tls: { fingerprintSha256: TEST_CERT_FINGERPRINT_SHA256 } }),
      FAST,
    );
    try {
      expect((await pushRuleSet(c, hqRuleSet())).error).toBeUndefined();
    } finally {
      c.close();
    }
  });

  it('refuses a wrong pin before sending any request; CA bundle accepted, unrelated bundle refused', async () => {
    expect(await probeWith({ fingerprintSha256: 'AA'.repeat(32) })).toMatchObject({
      kind: 'tls',
      vendorCode: 'ERR_TLS_FINGERPRINT_MISMATCH',
    });
    expect(sim.calls.count()).toBe(0);
    expect(await probeWith({ caBundle: TEST_CERT_PEM })).toMatchObject({ tls: 'ca-bundle' });
    expect(await probeWith({ caBundle: OTHER_CA_CERT_PEM })).toMatchObject({ kind: 'tls' });
  });
});
