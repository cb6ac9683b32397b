import type { RuleSet } from '@app/engine/model';
import { ConnectorError } from '../core/errors';
import { isPlanEmpty } from '../core/model';
import { pushRuleSet, type PushOutcome } from '../core/push';
import type { PfSenseTarget } from '../core/target';
import { createConnector } from '../factory';
import type { FaultSpec } from '@app/simulators/core/faults';
import type { RuleRecord } from '@app/simulators/pfsense/models';
import {
  PFSENSE_SIM_API_KEY,
  PFSENSE_SIM_USER,
  PfSenseSimulator,
  startPfSenseSimulator,
} from '@app/simulators/pfsense/simulator';
import {
  OTHER_CA_CERT_PEM,
  TEST_CERT_FINGERPRINT_SHA256,
  TEST_CERT_PEM,
} from '@app/simulators/testing/certs';
import { address, emptyRuleSet, hqRuleSet, rule, ruleSet, service } from '../testing/rule-sets';
import { PfSenseConnector } from './pfsense.connector';

const MARKER = '[managed by utm-orchestrator]';

function target(url: string, extra: Partial<PfSenseTarget> = {}): PfSenseTarget {
  return {
    id: 'fw-hq',
    vendor: 'pfsense',
    url,
    credentials: { kind: 'pfsense-api-key', apiKey: PFSENSE_SIM_API_KEY },
    timeouts: { connectMs: 1_000, requestMs: 2_000, commitMs: 2_000 },
    retry: { retries: 2, baseDelayMs: 5, maxDelayMs: 20, maxRetryAfterMs: 2_000 },
    ...extra,
  };
}

function managedName(rule: RuleRecord): string | null {
  const word = rule.descr.split(/\s+/)[0];
  return word.startsWith('utm_') && rule.descr.includes(MARKER) ? word : null;
}

/** Descriptions of the non-floating rules of one interface, in evaluation order. */
function interfaceOrder(sim: PfSenseSimulator, iface: string): string[] {
  return sim.state.rules
    .filter((r) => !r.floating && r.interface[0] === iface)
    .map((r) => managedName(r) ?? r.descr);
}

function expectConverged(sim: PfSenseSimulator, rs: RuleSet): void {
  const state = sim.state;
  const aliasNames = state.aliases
    .filter((a) => a.name.startsWith('utm_'))
    .map((a) => a.name)
    .sort();
  expect(aliasNames).toEqual([...rs.addresses.map((a) => a.name), ...rs.services.map((s) => s.name)].sort());
  const managed = state.rules.map(managedName).filter((n): n is string => n !== null);
  expect([...managed].sort()).toEqual(rs.rules.map((r) => r.name).sort());
  expect(new Set(managed).size).toBe(managed.length); // no duplicates
  expect(sim.hasUnappliedChanges()).toBe(false);
  expect(sim.pendingSubsystems).toEqual([]);
  expect(sim.filterErrors).toEqual([]);
}

describe('PfSenseConnector against the pfSense simulator (real HTTP)', () => {
  let sim: PfSenseSimulator;
  let connector: PfSenseConnector;
  const push = (rs: RuleSet, c: PfSenseConnector = connector): Promise<PushOutcome> => pushRuleSet(c, rs);

  beforeEach(async () => {
    sim = await startPfSenseSimulator();
    connector = new PfSenseConnector(target(sim.url));
  });

  afterEach(async () => {
    connector.close();
    await sim.stop();
  });

  it('is what createConnector builds for a pfsense target', () => {
    const c = createConnector(target(sim.url));
    expect(c).toBeInstanceOf(PfSenseConnector);
    c.close();
    expect(() =>
      createConnector({
        id: 'x',
        vendor: 'checkpoint',
        url: sim.url,
        credentials: { kind: 'pfsense-api-key', apiKey: 'k' },
      } as unknown as Parameters<typeof createConnector>[0]),
    ).toThrow(ConnectorError);
  });

  it('probes the device version', async () => {
    const probe = await connector.probe();
    expect(probe).toMatchObject({ vendor: 'pfsense', version: '2.8.1-RELEASE', tls: 'plain' });
  });

  it('pushes to an empty device: aliases, rules at the top of their interface, one apply, verified', async () => {
    const rs = hqRuleSet();
    const outcome = await push(rs);
    expect(outcome.error).toBeUndefined();
    expect(outcome.ok).toBe(true);
    expect(outcome.plan!.summary).toEqual({ create: 10, update: 0, delete: 0, reorder: 2 });
    expect(outcome.verification!.ok).toBe(true);
    expect(sim.calls.count({ method: 'POST', path: '/api/v2/firewall/apply' })).toBe(1);
    expectConverged(sim, rs);

    const aliases = Object.fromEntries(sim.state.aliases.map((a) => [a.name, a]));
    expect(aliases.utm_hq_master).toMatchObject({
      type: 'host',
      address: ['10.10.0.5'],
      descr: `master hq-master ${MARKER}`,
    });
    expect(aliases.utm_hq_agentless).toMatchObject({
      type: 'network',
      address: ['10.40.0.0/24', '10.40.1.7/32'],
    });
    expect(aliases.utm_svc_agent_tcp).toMatchObject({
      type: 'port',
      address: ['1514:1516', '9000', '50051'],
    });

    expect(interfaceOrder(sim, 'lan')).toEqual([
      'utm_r_lan_agents_master',
      'utm_r_lan_agentless_master',
      'Default allow LAN to any rule',
      'Default allow LAN IPv6 to any rule',
    ]);
    expect(interfaceOrder(sim, 'opt2')).toEqual(['utm_r_opt2_consoles_master']);
    const r = sim.state.rules.find((x) => managedName(x) === 'utm_r_lan_agentless_master')!;
    expect(r).toMatchObject({
      type: 'pass',
      interface: ['lan'],
      ipprotocol: 'inet',
      protocol: 'udp',
      source: 'utm_hq_agentless',
      destination: 'utm_hq_master',
      destination_port: 'utm_svc_syslog_udp',
      source_port: null,
      disabled: false,
    });
  });

  for (const representation of ['descr', 'if'] as const) {
    it(`P14: refuses a box whose REST API names interfaces by ${representation}, before any write`, async () => {
      const box = await startPfSenseSimulator({ representInterfacesAs: representation });
      const c = new PfSenseConnector(target(box.url));
      try {
        const outcome = await push(hqRuleSet(), c);
        expect(outcome.ok).toBe(false);
        expect(outcome.error).toMatchObject({ kind: 'validation' });
        expect(outcome.error!.message).toMatch(/Represent Interfaces As.*Internal ID/);
        expect(box.calls.writes()).toBe(0);
        expect(box.calls.lines()).toEqual([
          'GET /api/v2/system/version',
          'GET /api/v2/system/restapi/version',
          'GET /api/v2/system/restapi/settings',
        ]);
        await expect(c.readUnmanagedRules()).rejects.toMatchObject({ kind: 'validation' });
      } finally {
        c.close();
        await box.stop();
      }
    });
  }

  for (const [version, packageVersion, what] of [
    ['2.6.0-RELEASE', 'v2.4.3', /pfSense 2.6.0-RELEASE is not supported/],
    ['23.09.1-RELEASE', 'v2.4.3', /pfSense 23.09.1-RELEASE is not supported/],
    ['2.8.1-RELEASE', 'v1.7.4', /REST API package v1.7.4 is not supported/],
  ] as const) {
    it(`refuses ${version} with package ${packageVersion} before any write`, async () => {
      const box = await startPfSenseSimulator({ version, packageVersion });
      const c = new PfSenseConnector(target(box.url));
      try {
        const outcome = await push(hqRuleSet(), c);
        expect(outcome.error).toMatchObject({ kind: 'validation' });
        expect(outcome.error!.message).toMatch(what);
        expect(box.calls.writes()).toBe(0);
      } finally {
        c.close();
        await box.stop();
      }
    });
  }

  it('P9: refuses an alias description over 1024 characters before any write', async () => {
    const rs = hqRuleSet();
    const long = ruleSet({
      ...rs,
      addresses: rs.addresses.map((a, i) => (i === 0 ? { ...a, description: 'x'.repeat(1030) } : a)),
    });
    const outcome = await push(long);
    expect(outcome.error).toMatchObject({ kind: 'validation' });
    expect(outcome.error!.message).toMatch(/description longer than 1024 characters/);
    expect(sim.calls.writes()).toBe(0);
  });

  it('lists the API calls of a first push and of a no-change push', async () => {
    const rs = hqRuleSet({ syslog: false, consoles: false });
    await push(rs);
    expect(sim.calls.lines()).toEqual([
      // Once per connector: supported versions, interfaces named by id (vendor-conformance P14).
      'GET /api/v2/system/version',
      'GET /api/v2/system/restapi/version',
      'GET /api/v2/system/restapi/settings',
      'GET /api/v2/firewall/aliases?name__startswith=utm_',
      'GET /api/v2/firewall/rules',
      'GET /api/v2/firewall/nat/port_forwards?descr__startswith=utm_',
      'GET /api/v2/firewall/apply',
      'POST /api/v2/firewall/alias',
      'POST /api/v2/firewall/alias',
      'POST /api/v2/firewall/alias',
      'GET /api/v2/firewall/rules?interface__contains=lan',
      'POST /api/v2/firewall/rule',
      'GET /api/v2/firewall/rules?interface__contains=lan',
      'POST /api/v2/firewall/apply',
      'GET /api/v2/firewall/aliases?name__startswith=utm_',
      'GET /api/v2/firewall/rules',
      'GET /api/v2/firewall/nat/port_forwards?descr__startswith=utm_',
      'GET /api/v2/firewall/apply',
    ]);
    sim.calls.reset();
    await push(rs);
    expect(sim.calls.lines()).toEqual([
      'GET /api/v2/firewall/aliases?name__startswith=utm_',
      'GET /api/v2/firewall/rules',
      'GET /api/v2/firewall/nat/port_forwards?descr__startswith=utm_',
      'GET /api/v2/firewall/apply',
    ]);
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

  it('adding one agent writes only the changed alias (and applies once)', async () => {
    expect((await push(hqRuleSet())).ok).toBe(true);
    sim.calls.reset();
    const outcome = await push(hqRuleSet({ agents: ['10.20.0.0/24', '10.20.5.9'] }));
    expect(outcome.ok).toBe(true);
    expect(outcome.plan!.changes.map((c) => c.id)).toEqual(['update:address:utm_hq_agents']);
    expect(sim.calls.writes()).toBe(2);
    expect(sim.calls.count({ method: 'PATCH', path: '/api/v2/firewall/alias' })).toBe(1);
    expect(sim.calls.count({ method: 'POST', path: '/api/v2/firewall/apply' })).toBe(1);
    expect(sim.state.aliases.find((a) => a.name === 'utm_hq_agents')!.address).toEqual([
      '10.20.0.0/24',
      '10.20.5.9/32',
    ]);
  });

  it('an empty rule set removes every managed object and leaves every unmanaged one untouched', async () => {
    sim.guiAddAlias({ name: 'admin_hosts', type: 'host', address: ['192.0.2.1'], descr: 'jump hosts' });
    sim.guiAddAlias({
      name: 'utm_by_hand',
      type: 'host',
      address: ['192.0.2.2'],
      descr: 'prefixed but no marker',
    });
    sim.guiAddAlias({
      name: 'other_marked',
      type: 'host',
      address: ['192.0.2.3'],
      descr: `marker but no prefix ${MARKER}`,
    });
    sim.guiAddRule({
      type: 'pass',
      interface: ['lan'],
      ipprotocol: 'inet',
      protocol: 'tcp',
      source: 'admin_hosts',
      destination: 'any',
      destination_port: '22',
      descr: 'Allow admin SSH',
    });
    sim.guiAddRule({
      type: 'block',
      interface: ['wan'],
      ipprotocol: 'inet',
      source: 'any',
      destination: 'any',
      descr: 'utm_ manual block',
    });
    const unmanagedBefore = sim.state;

    expect((await push(hqRuleSet({ ipv6: true }))).ok).toBe(true);
    const outcome = await push(emptyRuleSet());
    expect(outcome.ok).toBe(true);
    expect(outcome.plan!.summary.delete).toBe(13);
    expect(sim.state).toEqual(unmanagedBefore);
    expect(sim.applied).toEqual(unmanagedBefore);
    expect(sim.filterErrors).toEqual([]);
    // Deletes ran rules first, then the aliases they used.
    const writes = sim.calls
      .list()
      .filter((c) => c.method === 'DELETE')
      .map((c) => c.path);
    const lastRuleDelete = writes.lastIndexOf('/api/v2/firewall/rule');
    expect(writes.indexOf('/api/v2/firewall/alias')).toBeGreaterThan(lastRuleDelete);
  });

  it('does not adopt an unmanaged alias with a colliding name (conflict, nothing written)', async () => {
    sim.guiAddAlias({ name: 'utm_hq_master', type: 'host', address: ['192.0.2.99'], descr: 'made by hand' });
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
    const live = await connector.readState();
    expect(() => connector.plan(hqRuleSet(), live)).toThrow(ConnectorError);
  });

  it('does not adopt an unmanaged rule with a colliding name', async () => {
    sim.guiAddRule({
      type: 'pass',
      interface: ['lan'],
      ipprotocol: 'inet',
      source: 'any',
      destination: 'any',
      descr: 'utm_r_lan_agents_master copied by hand',
    });
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
    const state = sim.state;
    const agents = state.aliases.find((a) => a.name === 'utm_hq_agents')!;
    agents.address = ['10.99.0.0/16'];
    const r = state.rules.find((x) => managedName(x) === 'utm_r_opt2_consoles_master')!;
    r.disabled = true;
    const copy = { ...state.rules.find((x) => managedName(x) === 'utm_r_lan_agents_master')! };
    state.rules.push(copy);
    sim.guiReplace(state);

    const outcome = await push(rs);
    expect(outcome.error).toBeUndefined();
    expect(outcome.plan!.changes.map((c) => c.id).sort()).toEqual([
      'delete:rule:utm_r_lan_agents_master#dup1',
      'update:address:utm_hq_agents',
      'update:rule:utm_r_opt2_consoles_master',
    ]);
    expectConverged(sim, rs);
    expect(sim.state.rules.find((x) => managedName(x) === 'utm_r_opt2_consoles_master')!.disabled).toBe(
      false,
    );
  });

  it('P24: copies sharing a tracker (same second) lose the surplus copy, never the kept first one', async () => {
    const rs = hqRuleSet();
    expect((await push(rs)).ok).toBe(true);
    const state = sim.state;
    const original = state.rules.find((x) => managedName(x) === 'utm_r_lan_agents_master')!;
    // A copy made in the same second shares the tracker (FirewallRule.inc L336-342: time() in seconds); this one
    // was also disabled and sits at the end of the interface, so deleting the wrong copy would leave it there.
    state.rules.push({ ...original, disabled: true });
    sim.guiReplace(state);
    const before = interfaceOrder(sim, 'lan');

    const outcome = await push(rs);
    expect(outcome.error).toBeUndefined();
    expect(outcome.plan!.changes.map((c) => c.id)).toEqual(['delete:rule:utm_r_lan_agents_master#dup1']);
    const copies = sim.state.rules.filter((x) => managedName(x) === 'utm_r_lan_agents_master');
    expect(copies.map((c) => c.disabled)).toEqual([false]);
    expect(interfaceOrder(sim, 'lan')).toEqual(before.slice(0, -1));
    expectConverged(sim, rs);
  });

  it('re-resolves rule ids before each write (ids shift when people add rules in between)', async () => {
    expect((await push(hqRuleSet())).ok).toBe(true);
    const changed = hqRuleSet();
    changed.services.push(service('utm_svc_https_alt', 'tcp', [8443]));
    changed.rules = changed.rules.map((r) =>
      r.name === 'utm_r_opt2_consoles_master' ? { ...r, service: 'utm_svc_https_alt' } : r,
    );
    changed.services = changed.services.filter((s) => s.name !== 'utm_svc_https');
    const plan = connector.plan(changed, await connector.readState());
    // Between plan and apply, an admin inserts rules at the very top: every id shifts.
    for (let i = 0; i < 3; i++) {
      sim.guiAddRule(
        {
          type: 'pass',
          interface: ['wan'],
          ipprotocol: 'inet',
          source: 'any',
          destination: 'any',
          descr: `gui ${i}`,
        },
        0,
      );
    }
    const result = await connector.apply(plan);
    expect(result.error).toBeUndefined();
    expect(result.ok).toBe(true);
    expect(
      sim.state.rules.find((x) => managedName(x) === 'utm_r_opt2_consoles_master')!.destination_port,
    ).toBe('utm_svc_https_alt');
    expect(sim.state.rules.filter((x) => x.descr.startsWith('gui ')).map((x) => x.descr)).toEqual([
      'gui 2',
      'gui 1',
      'gui 0',
    ]);
    expect((await connector.verify(changed)).ok).toBe(true);
  });

  it('keeps the managed block in desired order and before rules people made', async () => {
    const rs = hqRuleSet();
    expect((await push(rs)).ok).toBe(true);
    // Someone drags our first rule below the default rules.
    const state = sim.state;
    const lanRules = state.rules;
    const idx = lanRules.findIndex((x) => managedName(x) === 'utm_r_lan_agents_master');
    const [moved] = lanRules.splice(idx, 1);
    lanRules.push(moved);
    sim.guiReplace(state);
    expect(interfaceOrder(sim, 'lan')[0]).toBe('utm_r_lan_agentless_master');

    const outcome = await push(rs);
    expect(outcome.error).toBeUndefined();
    expect(outcome.plan!.changes.map((c) => c.id)).toEqual(['reorder:order:lan']);
    expect(interfaceOrder(sim, 'lan')).toEqual([
      'utm_r_lan_agents_master',
      'utm_r_lan_agentless_master',
      'Default allow LAN to any rule',
      'Default allow LAN IPv6 to any rule',
    ]);
    // A new desired order (swap) is a reorder only.
    const swapped = hqRuleSet();
    swapped.rules = swapped.rules.map((r) => (r.ingress === 'lan' ? { ...r, order: 1 - r.order } : r));
    const again = await push(swapped);
    expect(again.plan!.changes.map((c) => c.id)).toEqual(['reorder:order:lan']);
    expect(interfaceOrder(sim, 'lan').slice(0, 2)).toEqual([
      'utm_r_lan_agentless_master',
      'utm_r_lan_agents_master',
    ]);
    expect(sim.calls.count({ method: 'PATCH', path: '/api/v2/firewall/rule' })).toBeGreaterThan(0);
  });

  it('can keep the managed block after the rules people made (blockPosition bottom)', async () => {
    const c = new PfSenseConnector(target(sim.url, { blockPosition: 'bottom' }));
    try {
      expect((await push(hqRuleSet(), c)).ok).toBe(true);
      expect(interfaceOrder(sim, 'lan')).toEqual([
        'Default allow LAN to any rule',
        'Default allow LAN IPv6 to any rule',
        'utm_r_lan_agents_master',
        'utm_r_lan_agentless_master',
      ]);
      expect(isPlanEmpty(c.plan(hqRuleSet(), await c.readState()))).toBe(true);
    } finally {
      c.close();
    }
  });

  it('writes IPv6 rules as inet6 with host aliases of bare IPv6 addresses', async () => {
    expect((await push(hqRuleSet({ ipv6: true }))).ok).toBe(true);
    const aliases = Object.fromEntries(sim.state.aliases.map((a) => [a.name, a]));
    expect(aliases.utm_hq_master6).toMatchObject({ type: 'host', address: ['fd00:10::5'] });
    expect(aliases.utm_hq_agents6).toMatchObject({ type: 'network', address: ['fd00:20::/64'] });
    expect(sim.state.rules.find((r) => managedName(r) === 'utm_r_lan_agents_master6')).toMatchObject({
      ipprotocol: 'inet6',
    });
  });

  it('turns an address alias into a port alias in place when a name changes kind', async () => {
    const first = ruleSet({
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
    const second = ruleSet({
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
    // Both kind swaps are in-place updates (no create/delete of one name); the rule update comes after them.
    expect(outcome.plan!.changes.map((c) => c.id)).toEqual([
      'update:address:utm_s',
      'update:service:utm_b',
      'update:rule:utm_r1',
    ]);
    expect(outcome.error).toBeUndefined();
    expectConverged(sim, second);
  });

  describe('faults during apply', () => {
    const before = hqRuleSet();
    // Touches every kind of step: alias update/create/delete, rule create/update/delete, a reorder move, apply.
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
      return ruleSet(rs);
    })();
    const faults: Array<{ fault: FaultSpec; kind: string }> = [
      { fault: { type: 'status', status: 500 }, kind: 'protocol' },
      { fault: { type: 'status', status: 503 }, kind: 'unavailable' },
      { fault: { type: 'drop', when: 'after' }, kind: 'unavailable' },
      { fault: { type: 'drop', when: 'before' }, kind: 'unavailable' },
      { fault: { type: 'hang', ms: 5_000, when: 'after' }, kind: 'timeout' },
      {
        fault: {
          type: 'status',
          status: 400,
          body: '{"code":400,"status":"bad request","response_id":"X","message":"m","data":[]}',
        },
        kind: 'validation',
      },
    ];

    it('a fault at every write step fails clearly (classified) and the next push converges without duplicates', async () => {
      // Count the writes of the transition once.
      expect((await push(before)).ok).toBe(true);
      sim.calls.reset();
      const clean = await push(after);
      expect(clean.ok).toBe(true);
      const writes = sim.calls.list().filter((c) => c.method !== 'GET');
      const steps = writes.map((c) => `${c.method} ${c.path}`);
      expect(new Set(steps)).toEqual(
        new Set([
          'POST /api/v2/firewall/alias',
          'PATCH /api/v2/firewall/alias',
          'DELETE /api/v2/firewall/alias',
          'POST /api/v2/firewall/rule',
          'PATCH /api/v2/firewall/rule',
          'DELETE /api/v2/firewall/rule',
          'POST /api/v2/firewall/apply',
        ]),
      );
      expect(clean.plan!.summary).toEqual({ create: 4, update: 2, delete: 4, reorder: 1 });
      expect(steps).toHaveLength(12);
      expect(steps[steps.length - 1]).toBe('POST /api/v2/firewall/apply');

      // Every fault kind at every step, except hangs (each costs a client timeout): every third step, incl. apply.
      const cases = faults.flatMap((f) =>
        steps.map((_, k) => ({ ...f, k })).filter((c) => c.fault.type !== 'hang' || c.k % 3 === 2),
      );
      expect(cases.length).toBe(64);
      for (const { fault, kind, k } of cases) {
        const s = await startPfSenseSimulator();
        // Setup and recovery use normal timeouts; only the faulted push uses a short one when the fault hangs.
        const c = new PfSenseConnector(target(s.url));
        const requestMs = fault.type === 'hang' ? 250 : 2_000;
        const faulted = new PfSenseConnector(
          target(s.url, { timeouts: { connectMs: 1_000, requestMs, commitMs: requestMs } }),
        );
        try {
          expect((await push(before, c)).ok).toBe(true);
          s.faults.add({ method: 'WRITE', fault, skip: k, times: 1 });
          const failed = await push(after, faulted);
          expect({ step: k, call: steps[k], ok: failed.ok }).toEqual({ step: k, call: steps[k], ok: false });
          expect({ step: k, kind: failed.error?.kind }).toEqual({ step: k, kind });
          const hit = s.calls.list().find((r) => r.fault !== undefined);
          expect(`${hit?.method} ${hit?.path}`).toBe(steps[k]);
          expect(failed.error!.message).toMatch(/pfSense (POST|PATCH|DELETE) \/api\/v2\//);
          // Exactly one change (or the commit) failed; nothing after it was attempted or committed.
          const failedChanges = failed.apply!.results.filter((r) => r.status === 'failed').length;
          const commitFailed = failed.apply!.commit.status === 'failed' ? 1 : 0;
          expect(failedChanges + commitFailed).toBe(1);
          if (failedChanges === 1) expect(failed.apply!.commit.status).toBe('not_attempted');
          s.faults.clear();
          const retry = await push(after, c);
          expect({ step: k, ok: retry.ok, error: retry.error }).toEqual({
            step: k,
            ok: true,
            error: undefined,
          });
          expectConverged(s, after);
          const third = await push(after, c);
          expect(isPlanEmpty(third.plan!)).toBe(true);
        } finally {
          c.close();
          faulted.close();
          await s.stop();
        }
      }
    }, 60_000);

    it('a failed apply (commit) leaves the writes pending and the next push commits them', async () => {
      sim.faults.add({
        method: 'POST',
        path: '/api/v2/firewall/apply',
        fault: { type: 'status', status: 503 },
        times: 1,
      });
      const failed = await push(before);
      expect(failed.ok).toBe(false);
      expect(failed.apply!.commit.status).toBe('failed');
      expect(failed.error).toMatchObject({
        kind: 'unavailable',
        status: 503,
        vendorCode: 'MODEL_WRITE_CONFIG_LOCKED',
      });
      expect(sim.hasUnappliedChanges()).toBe(true);
      const next = await push(before);
      expect(next.plan!.changes).toEqual([]);
      expect(next.plan!.pendingCommit).toBe(true);
      expect(next.ok).toBe(true);
      expect(sim.hasUnappliedChanges()).toBe(false);
    });

    it('never repeats a failed write', async () => {
      sim.faults.add({
        method: 'POST',
        path: '/api/v2/firewall/alias',
        fault: { type: 'status', status: 503 },
        times: 1,
      });
      const failed = await push(before);
      expect(failed.error).toMatchObject({ kind: 'unavailable', retryAfterMs: 5_000 });
      expect(sim.calls.count({ method: 'POST', path: '/api/v2/firewall/alias' })).toBe(1);
      expect(failed.apply!.results.filter((r) => r.status === 'failed')).toHaveLength(1);
      expect(failed.apply!.results.filter((r) => r.status === 'not_attempted').length).toBeGreaterThan(5);
    });
  });

  describe('reads', () => {
    it('honours 429 Retry-After on reads', async () => {
      sim.faults.add({
        method: 'GET',
        path: '/api/v2/firewall/rules',
        fault: { type: 'retry-after', seconds: 1 },
        times: 1,
      });
      const t0 = Date.now();
      await connector.readState();
      expect(Date.now() - t0).toBeGreaterThanOrEqual(950);
      expect(sim.calls.count({ method: 'GET', path: '/api/v2/firewall/rules' })).toBe(2);
    });

    it('gives up at once when Retry-After is longer than allowed', async () => {
      sim.faults.add({
        method: 'GET',
        path: '/api/v2/firewall/rules',
        fault: { type: 'retry-after', seconds: 300, status: 503 },
      });
      const err = await connector.readState().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConnectorError);
      expect(err).toMatchObject({ kind: 'unavailable', status: 503, retryAfterMs: 300_000 });
      expect(sim.calls.count({ method: 'GET', path: '/api/v2/firewall/rules' })).toBe(1);
    });

    it('retries reads on transient failures with backoff', async () => {
      sim.faults.add({ method: 'GET', path: '/api/v2/firewall/aliases', fault: { type: 'drop' }, times: 1 });
      sim.faults.add({
        method: 'GET',
        path: '/api/v2/firewall/aliases',
        fault: { type: 'status', status: 502 },
        times: 1,
      });
      await connector.readState();
      expect(sim.calls.count({ method: 'GET', path: '/api/v2/firewall/aliases' })).toBe(3);
    });
  });

  describe('authentication', () => {
    it('classifies a wrong API key as authentication with the vendor message', async () => {
      const c = new PfSenseConnector(
        target(sim.url, { credentials: { kind: 'pfsense-api-key', apiKey: 'nope' } }),
      );
      try {
        await expect(c.probe()).rejects.toMatchObject({
          kind: 'authentication',
          status: 401,
          vendorCode: 'AUTH_AUTHENTICATION_FAILED',
          vendorMessage: 'Authentication failed.',
        });
        expect(sim.calls.count()).toBe(1); // not retried
      } finally {
        c.close();
      }
    });

    it('works with basic auth too', async () => {
      const c = new PfSenseConnector(
        target(sim.url, { credentials: { kind: 'pfsense-basic', ...PFSENSE_SIM_USER } }),
      );
      try {
        expect((await push(hqRuleSet(), c)).ok).toBe(true);
        expect(sim.state.rules.find((r) => managedName(r) !== null)!.created_by).toMatch(
          /^admin@127\.0\.0\.1 \(API\)$/,
        );
      } finally {
        c.close();
      }
    });
  });

  it('serialises concurrent pushes to one device (the device itself loses concurrent writes)', async () => {
    const slow = await startPfSenseSimulator({ writeProcessingMs: 15 });
    const a = new PfSenseConnector(target(slow.url));
    const b = new PfSenseConnector(target(slow.url));
    try {
      const rs = hqRuleSet();
      const [ra, rb] = await Promise.all([push(rs, a), push(rs, b)]);
      expect(ra.ok && rb.ok).toBe(true);
      expectConverged(slow, rs);
      // The second push saw the first one's result: it had nothing to do.
      expect([ra.plan!.changes.length, rb.plan!.changes.length].sort((x, y) => x - y)[0]).toBe(0);
    } finally {
      a.close();
      b.close();
      await slow.stop();
    }
  });
});

describe('PfSenseConnector TLS', () => {
  let sim: PfSenseSimulator;
  beforeAll(async () => {
    sim = await startPfSenseSimulator({ https: true });
  });
  afterAll(async () => {
    await sim.stop();
  });
  beforeEach(() => sim.calls.reset());

  const probeWith = async (tls: PfSenseTarget['tls']): Promise<unknown> => {
    const c = new PfSenseConnector(target(sim.url, { tls }));
    try {
      return await c.probe();
    } catch (err) {
      return err;
    } finally {
      c.close();
    }
  };

  it('refuses the self-signed certificate by default', async () => {
    const res = await probeWith(undefined);
    expect(res).toBeInstanceOf(ConnectorError);
    expect(res).toMatchObject({ kind: 'tls', vendorCode: 'DEPTH_ZERO_SELF_SIGNED_CERT' });
    expect(sim.calls.count()).toBe(0);
  });

  it('accepts it with the pinned SHA-256 fingerprint (any formatting)', async () => {
    expect(await probeWith({ fingerprintSha256: TEST_CERT_FINGERPRINT_SHA256 })).toMatchObject({
      tls: 'pinned',
    });
    const bare = TEST_CERT_FINGERPRINT_SHA256.replace(/:/g, '').toLowerCase();
    expect(await probeWith({ fingerprintSha256: bare })).toMatchObject({ tls: 'pinned' });
  });

  it('refuses a wrong pin before sending any request (credentials never leave)', async () => {
    const res = await probeWith({ fingerprintSha256: 'AA'.repeat(32) });
    expect(res).toMatchObject({ kind: 'tls', vendorCode: 'ERR_TLS_FINGERPRINT_MISMATCH' });
    expect(sim.calls.count()).toBe(0);
  });

  it('accepts it with the CA bundle, refuses with an unrelated bundle', async () => {
    expect(await probeWith({ caBundle: TEST_CERT_PEM })).toMatchObject({ tls: 'ca-bundle' });
    expect(
      await probeWith({ caBundle: TEST_CERT_PEM, fingerprintSha256: TEST_CERT_FINGERPRINT_SHA256 }),
    ).toMatchObject({
      version: '2.8.1-RELEASE',
    });
    expect(await probeWith({ caBundle: OTHER_CA_CERT_PEM })).toMatchObject({ kind: 'tls' });
  });

  it('accepts anything with the explicit insecure switch', async () => {
    expect(await probeWith({ insecure: true })).toMatchObject({ tls: 'insecure', version: '2.8.1-RELEASE' });
  });
});
