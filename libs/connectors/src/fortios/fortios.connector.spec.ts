import { builtinFlows } from '@app/catalog';
import { computeRuleSets } from '@app/engine';
import type { RuleSet } from '@app/engine/model';
import { handCheckedInventory } from '@app/engine/testing/hand-checked.fixture';
import { ConnectorError } from '../core/errors';
import { isPlanEmpty } from '../core/model';
import { pushRuleSet, type PushOutcome } from '../core/push';
import type { FortiOsTarget } from '../core/target';
import type { FaultSpec } from '@app/simulators/core/faults';
import {
  FORTIOS_SIM_READONLY_TOKEN,
  FORTIOS_SIM_TOKEN,
  FortiOsSimulator,
  startFortiOsSimulator,
  type FortiOsSimulatorOptions,
} from '@app/simulators/fortios/simulator';
import { text, type Row } from '@app/simulators/fortios/tables';
import { rawRequest } from '@app/simulators/testing/raw-http';
import {
  OTHER_CA_CERT_PEM,
  TEST_CERT_FINGERPRINT_SHA256,
  TEST_CERT_PEM,
} from '@app/simulators/testing/certs';
import {
  address,
  emptyRuleSet,
  hqRuleSet,
  rule,
  ruleSet,
  service,
  type HqOptions,
} from '../testing/rule-sets';
import { forgetTransactionProbes, FortiOsConnector, type FortiOsConnectorOptions } from './fortios.connector';

const MARKER = '[managed by utm-orchestrator]';

function target(url: string, extra: Partial<FortiOsTarget> = {}): FortiOsTarget {
  return {
    id: 'fw-hq',
    vendor: 'fortios',
    url,
    credentials: { kind: 'fortios-token', token: FORTIOS_SIM_TOKEN },
    timeouts: { connectMs: 1_000, requestMs: 2_000, commitMs: 2_000 },
    retry: { retries: 2, baseDelayMs: 5, maxDelayMs: 20, maxRetryAfterMs: 2_000 },
    ...extra,
  };
}

/**
 * A target whose transaction probe is never answered from the connector's per-process memory: that memory is keyed by
 * device and firmware, and a simulator started on a port an earlier one (with other transaction semantics) used is
 * the same device to it.
 */
let freshDevices = 0;
function freshDevice(url: string): FortiOsTarget {
  freshDevices += 1;
  return target(url, { lockKey: `${url}#fresh-${freshDevices}` });
}

/** The HQ fixture with FortiOS interface names. */
function hq(options: HqOptions = {}): RuleSet {
  const rs = hqRuleSet({ ...options, vendor: 'fortios' });
  const port: Record<string, string> = { lan: 'port2', opt1: 'port3', opt2: 'port4' };
  return ruleSet({
    ...rs,
    rules: rs.rules.map((r) => ({ ...r, ingress: port[r.ingress], egress: port[r.egress] })),
  });
}

function managed(row: Row, field = 'comment'): boolean {
  return text(row.name).startsWith('utm_') && text(row[field]).includes(MARKER);
}

function policyNames(sim: FortiOsSimulator): string[] {
  return sim.policies().map((p) => text(p.name));
}

/** Top-level objects the rule set asks for exist, nothing else managed is left, no duplicate policies. */
function expectConverged(sim: FortiOsSimulator, rs: RuleSet, openTransactionsAllowed = false): void {
  const top = [
    ...sim.table('firewall/address'),
    ...sim.table('firewall/address6'),
    ...sim.table('firewall/addrgrp'),
    ...sim.table('firewall/addrgrp6'),
  ]
    .filter((r) => managed(r) && !text(r.name).includes('-'))
    .map((r) => text(r.name))
    .sort();
  expect(top).toEqual(rs.addresses.map((a) => a.name).sort());
  const services = sim
    .table('firewall.service/custom')
    .filter((r) => managed(r))
    .map((r) => text(r.name))
    .sort();
  expect(services).toEqual(rs.services.map((s) => s.name).sort());
  const policies = sim
    .policies()
    .filter((p) => managed(p, 'comments'))
    .map((p) => text(p.name));
  expect([...policies].sort()).toEqual(rs.rules.map((r) => r.name).sort());
  expect(new Set(policies).size).toBe(policies.length);
  if (!openTransactionsAllowed) expect(sim.openTransactions()).toEqual([]);
}

function br1(): RuleSet {
  const sets = computeRuleSets(handCheckedInventory('utmstack-v9'), builtinFlows());
  const rs = sets.find((s) => s.deviceId === 'br1-fw');
  if (!rs) throw new Error('no br1-fw rule set');
  return rs;
}

describe('FortiOsConnector against the FortiOS simulator (real HTTP)', () => {
  let sim: FortiOsSimulator;
  let connector: FortiOsConnector;
  const push = (rs: RuleSet, c: FortiOsConnector = connector): Promise<PushOutcome> => pushRuleSet(c, rs);

  beforeEach(async () => {
    // Each test's simulators are new devices, even on a port an earlier test's simulator had.
    forgetTransactionProbes();
    sim = await startFortiOsSimulator();
    connector = new FortiOsConnector(target(sim.url));
    // The once-per-device transaction probe (tested on its own below) is done up front so call lists show pushes.
    expect(await connector.transactionMode()).toMatchObject({ mode: 'transaction' });
    sim.calls.reset();
  });

  afterEach(async () => {
    connector.close();
    await sim.stop();
  });

  it('probes the firmware version', async () => {
    expect(await connector.probe()).toMatchObject({ vendor: 'fortios', version: 'v7.4.3', tls: 'plain' });
  });

  it('pushes to an empty device: addresses, groups, services, policies in order, one transaction, verified', async () => {
    sim.guiAdd('firewall/policy', {
      name: 'lan-to-wan',
      srcintf: [{ name: 'port2' }],
      dstintf: [{ name: 'port1' }],
      srcaddr: [{ name: 'all' }],
      dstaddr: [{ name: 'all' }],
      service: [{ name: 'ALL' }],
      action: 'accept',
      schedule: 'always',
    });
    const rs = hq();
    const outcome = await push(rs);
    expect(outcome.error).toBeUndefined();
    expect(outcome.ok).toBe(true);
    expect(outcome.plan!.summary).toEqual({ create: 10, update: 0, delete: 0, reorder: 1 });
    expect(outcome.verification!.ok).toBe(true);
    expect(sim.calls.count({ method: 'POST', path: '/api/v2/cmdb' })).toBe(2); // start + commit
    expectConverged(sim, rs);

    const addr = Object.fromEntries(sim.table('firewall/address').map((a) => [a.name, a]));
    expect(addr.utm_hq_master).toMatchObject({
      type: 'ipmask',
      subnet: '10.10.0.5 255.255.255.255',
      comment: `master hq-master ${MARKER}`,
    });
    expect(addr['utm_hq_agentless-10.40.0.0_24']).toMatchObject({ subnet: '10.40.0.0 255.255.255.0' });
    const grp = sim.table('firewall/addrgrp').find((g) => g.name === 'utm_hq_agentless')!;
    expect(grp.member).toEqual([
      { name: 'utm_hq_agentless-10.40.0.0_24' },
      { name: 'utm_hq_agentless-10.40.1.7_32' },
    ]);
    const svc = sim.table('firewall.service/custom').find((s) => s.name === 'utm_svc_agent_tcp')!;
    expect(svc).toMatchObject({
      protocol: 'TCP/UDP/SCTP',
      'tcp-portrange': '1514-1516 9000 50051',
      'udp-portrange': '',
    });
    expect(policyNames(sim)).toEqual([
      'utm_r_lan_agents_master',
      'utm_r_opt2_consoles_master',
      'utm_r_lan_agentless_master',
      'lan-to-wan',
    ]);
    expect(sim.policies().find((p) => p.name === 'utm_r_lan_agentless_master')).toMatchObject({
      srcintf: [{ name: 'port2' }],
      dstintf: [{ name: 'port3' }],
      srcaddr: [{ name: 'utm_hq_agentless' }],
      dstaddr: [{ name: 'utm_hq_master' }],
      service: [{ name: 'utm_svc_syslog_udp' }],
      action: 'accept',
      schedule: 'always',
      status: 'enable',
      logtraffic: 'all',
      nat: 'disable',
    });
  });

  it('records the API calls of a first push and of a no-change push of the hand-checked br1-fw rule set', async () => {
    const rs = br1();
    const c = new FortiOsConnector(target(sim.url, { id: 'br1-fw' }));
    try {
      const first = await push(rs, c);
      expect(first.error).toBeUndefined();
      expect(first.ok).toBe(true);
      expectConverged(sim, rs);
      const reads = [
        'GET /api/v2/cmdb/firewall/address?vdom=root&filter=name=@utm_',
        'GET /api/v2/cmdb/firewall/address6?vdom=root&filter=name=@utm_',
        'GET /api/v2/cmdb/firewall/addrgrp?vdom=root&filter=name=@utm_',
        'GET /api/v2/cmdb/firewall/addrgrp6?vdom=root&filter=name=@utm_',
        'GET /api/v2/cmdb/firewall.service/custom?vdom=root&filter=name=@utm_',
        // VIPs are read even for a rule set without NAT: a managed VIP left over is drift to delete.
        'GET /api/v2/cmdb/firewall/vip?vdom=root&filter=name=@utm_',
        `GET /api/v2/cmdb/firewall/policy?vdom=root&format=policyid|name|comments|srcintf|dstintf|srcaddr|dstaddr|srcaddr6|dstaddr6|service|action|status|schedule|logtraffic|nat|srcaddr-negate|dstaddr-negate|service-negate`,
        // The NAT mode: central NAT refuses rule sets with NAT entries.
        'GET /api/v2/cmdb/system/settings?vdom=root&format=central-nat|ngfw-mode',
      ];
      const lines = sim.calls.lines();
      expect(lines).toEqual([
        'GET /api/v2/monitor/system/status?vdom=root',
        ...reads,
        'POST /api/v2/cmdb?vdom=root&action=transaction-start',
        ...rs.addresses.map(() => 'POST /api/v2/cmdb/firewall/address?vdom=root'),
        ...rs.services.map(() => 'POST /api/v2/cmdb/firewall.service/custom?vdom=root'),
        ...rs.rules.map(() => 'POST /api/v2/cmdb/firewall/policy?vdom=root'),
        'GET /api/v2/cmdb/firewall/policy?vdom=root&format=policyid|name|comments',
        'POST /api/v2/cmdb?vdom=root&action=transaction-commit',
        ...reads,
      ]);
      expect(rs.addresses).toHaveLength(5);
      expect(rs.services).toHaveLength(5);
      expect(rs.rules).toHaveLength(6);
      // transaction-start + 5 addresses + 5 services + 6 policies + commit; no move (created in order).
      expect(sim.calls.writes()).toBe(18);
      expect(lines).toHaveLength(36);
      expect(policyNames(sim)).toEqual([...rs.rules].sort((a, b) => a.order - b.order).map((r) => r.name));
      expect(sim.policies().map((p) => p.policyid)).toEqual([1, 2, 3, 4, 5, 6]);

      sim.calls.reset();
      const again = await push(rs, c);
      expect(again.ok).toBe(true);
      expect(again.apply).toBeNull();
      expect(sim.calls.lines()).toEqual(reads);
      expect(sim.calls.writes()).toBe(0);
    } finally {
      c.close();
    }
  });

  it('pushing the same rule set again makes zero write calls', async () => {
    const rs = hq({ ipv6: true });
    expect((await push(rs)).ok).toBe(true);
    sim.calls.reset();
    const again = await push(rs);
    expect(again.ok).toBe(true);
    expect(isPlanEmpty(again.plan!)).toBe(true);
    expect(again.apply).toBeNull();
    expect(sim.calls.writes()).toBe(0);
  });

  it('adding one agent writes only the changed object (inside one transaction)', async () => {
    expect((await push(hq())).ok).toBe(true);
    sim.calls.reset();
    const outcome = await push(hq({ agents: ['10.20.0.0/24', '10.20.5.9'] }));
    expect(outcome.error).toBeUndefined();
    expect(outcome.plan!.changes.map((c) => c.id)).toEqual(['update:address:utm_hq_agents']);
    // An address becoming a group: members created, the policy pointed at them, the address replaced, the
    // policy pointed back.
    expect(
      sim.calls
        .list()
        .filter((c) => c.method !== 'GET')
        .map((c) => `${c.method} ${c.path}`),
    ).toEqual([
      'POST /api/v2/cmdb',
      'POST /api/v2/cmdb/firewall/address',
      'POST /api/v2/cmdb/firewall/address',
      'PUT /api/v2/cmdb/firewall/policy/1',
      'DELETE /api/v2/cmdb/firewall/address/utm_hq_agents',
      'POST /api/v2/cmdb/firewall/addrgrp',
      'PUT /api/v2/cmdb/firewall/policy/1',
      'POST /api/v2/cmdb',
    ]);
    expect(sim.policies().find((p) => p.name === 'utm_r_lan_agents_master')!.srcaddr).toEqual([
      { name: 'utm_hq_agents' },
    ]);
    // One more agent in an existing group: one member created, the group updated.
    sim.calls.reset();
    const third = await push(hq({ agents: ['10.20.0.0/24', '10.20.5.9', '10.20.7.1'] }));
    expect(third.ok).toBe(true);
    expect(
      sim.calls
        .list()
        .filter((c) => c.method !== 'GET')
        .map((c) => `${c.method} ${c.path}`),
    ).toEqual([
      'POST /api/v2/cmdb',
      'POST /api/v2/cmdb/firewall/address',
      'PUT /api/v2/cmdb/firewall/addrgrp/utm_hq_agents',
      'POST /api/v2/cmdb',
    ]);
    // And back to one entry: the group becomes an address again, its members are removed.
    const back = await push(hq());
    expect(back.error).toBeUndefined();
    expectConverged(sim, hq());
    expect(sim.table('firewall/address').filter((a) => text(a.name).startsWith('utm_hq_agents-'))).toEqual(
      [],
    );
  });

  it('an empty rule set removes every managed object and leaves every unmanaged one untouched', async () => {
    sim.guiAdd('firewall/address', { name: 'admin_hosts', subnet: '192.0.2.1/32', comment: 'jump hosts' });
    sim.guiAdd('firewall/address', { name: 'utm_by_hand', subnet: '192.0.2.2/32', comment: 'no marker' });
    sim.guiAdd('firewall/address', {
      name: 'other_marked',
      subnet: '192.0.2.3/32',
      comment: `marker but no prefix ${MARKER}`,
    });
    sim.guiAdd('firewall.service/custom', { name: 'utm_custom_by_hand', 'tcp-portrange': '8443' });
    sim.guiAdd('firewall/policy', {
      name: 'admin-ssh',
      srcintf: [{ name: 'port2' }],
      dstintf: [{ name: 'port3' }],
      srcaddr: [{ name: 'admin_hosts' }],
      dstaddr: [{ name: 'all' }],
      service: [{ name: 'SSH' }],
      action: 'accept',
      schedule: 'always',
    });
    sim.guiAdd('firewall/policy', {
      name: 'utm_manual_block',
      srcintf: [{ name: 'port1' }],
      dstintf: [{ name: 'port2' }],
      srcaddr: [{ name: 'all' }],
      dstaddr: [{ name: 'all' }],
      service: [{ name: 'ALL' }],
      action: 'deny',
      schedule: 'always',
      comments: 'prefixed name, no marker',
    });
    const snapshot = (): unknown => [
      sim.table('firewall/address'),
      sim.table('firewall/address6'),
      sim.table('firewall/addrgrp'),
      sim.table('firewall/addrgrp6'),
      sim.table('firewall.service/custom'),
      sim.policies(),
    ];
    const before = snapshot();
    expect((await push(hq({ ipv6: true }))).ok).toBe(true);
    const outcome = await push(emptyRuleSet({ vendor: 'fortios' }));
    expect(outcome.error).toBeUndefined();
    expect(outcome.plan!.summary.delete).toBe(13);
    expect(snapshot()).toEqual(before);
    // Policies were deleted before the objects they used.
    const deletes = sim.calls
      .list()
      .filter((c) => c.method === 'DELETE')
      .map((c) => c.path);
    const lastPolicy = deletes.map((p) => p.includes('/firewall/policy/')).lastIndexOf(true);
    expect(deletes.findIndex((p) => !p.includes('/firewall/policy/'))).toBeGreaterThan(lastPolicy);
  });

  it('does not adopt an unmanaged address with a colliding name (conflict, nothing written)', async () => {
    sim.guiAdd('firewall/address', {
      name: 'utm_hq_master',
      subnet: '192.0.2.99/32',
      comment: 'made by hand',
    });
    const outcome = await push(hq());
    expect(outcome.ok).toBe(false);
    expect(outcome.error).toMatchObject({ kind: 'conflict' });
    expect(JSON.stringify(outcome.error!.details)).toContain('utm_hq_master');
    expect(sim.calls.writes()).toBe(0);
  });

  it('does not adopt an unmanaged policy with a colliding name', async () => {
    sim.guiAdd('firewall/policy', {
      name: 'utm_r_lan_agents_master',
      srcintf: [{ name: 'port2' }],
      dstintf: [{ name: 'port3' }],
      srcaddr: [{ name: 'all' }],
      dstaddr: [{ name: 'all' }],
      service: [{ name: 'ALL' }],
      action: 'accept',
      schedule: 'always',
      comments: 'copied by hand',
    });
    const outcome = await push(hq());
    expect(outcome.error).toMatchObject({ kind: 'conflict' });
    expect(JSON.stringify(outcome.error!.details)).toContain('utm_r_lan_agents_master');
    expect(sim.calls.writes()).toBe(0);
  });

  it('restores a managed object or policy someone edited', async () => {
    const rs = hq();
    expect((await push(rs)).ok).toBe(true);
    sim.guiEdit('firewall/address', 'utm_hq_master', { subnet: '10.99.0.5/32' });
    const id = text(sim.policies().find((p) => p.name === 'utm_r_opt2_consoles_master')!.policyid);
    sim.guiEdit('firewall/policy', id, { status: 'disable', nat: 'enable' });
    sim.guiEdit('firewall.service/custom', 'utm_svc_https', { 'tcp-portrange': '443 8443' });
    const outcome = await push(rs);
    expect(outcome.error).toBeUndefined();
    expect(outcome.plan!.changes.map((c) => c.id).sort()).toEqual([
      'update:address:utm_hq_master',
      'update:rule:utm_r_opt2_consoles_master',
      'update:service:utm_svc_https',
    ]);
    expectConverged(sim, rs);
    expect(sim.policies().find((p) => p.name === 'utm_r_opt2_consoles_master')).toMatchObject({
      status: 'enable',
      nat: 'disable',
    });
  });

  it('keeps the managed block in desired order before the policies people made (move)', async () => {
    const rs = hq();
    expect((await push(rs)).ok).toBe(true);
    sim.guiAdd('firewall/policy', {
      name: 'late-rule',
      srcintf: [{ name: 'port2' }],
      dstintf: [{ name: 'port1' }],
      srcaddr: [{ name: 'all' }],
      dstaddr: [{ name: 'all' }],
      service: [{ name: 'ALL' }],
      schedule: 'always',
    });
    const late = Number(sim.policies().find((p) => p.name === 'late-rule')!.policyid);
    sim.guiMovePolicy(late, 'before', 2);
    sim.guiMovePolicy(1, 'after', late + 0);
    expect(policyNames(sim)[0]).toBe('late-rule');
    const outcome = await push(rs);
    expect(outcome.error).toBeUndefined();
    expect(outcome.plan!.changes.map((c) => c.id)).toEqual(['reorder:order:policy']);
    expect(policyNames(sim)).toEqual([
      'utm_r_lan_agents_master',
      'utm_r_opt2_consoles_master',
      'utm_r_lan_agentless_master',
      'late-rule',
    ]);
    expect(sim.calls.list().some((c) => c.method === 'PUT' && c.query.includes('action=move'))).toBe(true);
  });

  it('can keep the managed block after the policies people made (blockPosition bottom)', async () => {
    sim.guiAdd('firewall/policy', {
      name: 'first',
      srcintf: [{ name: 'port2' }],
      dstintf: [{ name: 'port1' }],
      srcaddr: [{ name: 'all' }],
      dstaddr: [{ name: 'all' }],
      service: [{ name: 'ALL' }],
      schedule: 'always',
    });
    const c = new FortiOsConnector(target(sim.url, { blockPosition: 'bottom' }));
    try {
      expect((await push(hq(), c)).ok).toBe(true);
      expect(policyNames(sim)[0]).toBe('first');
      expect(isPlanEmpty(c.plan(hq(), await c.readState()))).toBe(true);
    } finally {
      c.close();
    }
  });

  it('writes IPv6 objects to address6 and policies with srcaddr6/dstaddr6', async () => {
    expect((await push(hq({ ipv6: true }))).ok).toBe(true);
    const a6 = Object.fromEntries(sim.table('firewall/address6').map((a) => [a.name, a]));
    expect(a6.utm_hq_master6).toMatchObject({ type: 'ipprefix', ip6: 'fd00:10::5/128' });
    expect(sim.policies().find((p) => p.name === 'utm_r_lan_agents_master6')).toMatchObject({
      srcaddr: [],
      srcaddr6: [{ name: 'utm_hq_agents6' }],
      dstaddr6: [{ name: 'utm_hq_master6' }],
    });
  });

  it('writes a contiguous multi-CIDR object as one iprange address', async () => {
    const rs = ruleSet({
      vendor: 'fortios',
      addresses: [address('utm_a', ['10.0.0.0/25', '10.0.0.128/26']), address('utm_b', ['10.9.0.1/32'])],
      services: [service('utm_s', 'udp', [[7000, 7010], 514])],
      rules: [
        rule('utm_r1', 0, {
          ingress: 'port2',
          egress: 'port3',
          source: 'utm_a',
          destination: 'utm_b',
          service: 'utm_s',
          protocol: 'udp',
        }),
      ],
    });
    expect((await push(rs)).ok).toBe(true);
    expect(sim.table('firewall/address').find((a) => a.name === 'utm_a')).toMatchObject({
      type: 'iprange',
      'start-ip': '10.0.0.0',
      'end-ip': '10.0.0.191',
    });
    expect(sim.table('firewall.service/custom').find((s) => s.name === 'utm_s')).toMatchObject({
      'udp-portrange': '514 7000-7010',
      'tcp-portrange': '',
    });
    expect(isPlanEmpty(connector.plan(rs, await connector.readState()))).toBe(true);
  });

  it('uses the 7.6 service protocol literal on 7.6 firmware', async () => {
    // F13: addrgrp6 has `exclude` only from 7.4.0; on 7.2 an IPv6 group update must not send it.
    const v72 = await startFortiOsSimulator({ version: 'v7.2.0' });
    const c72 = new FortiOsConnector(target(v72.url));
    try {
      const groups = (entries: string[]): RuleSet => {
        const rs = hq({ ipv6: true });
        return ruleSet({
          ...rs,
          addresses: rs.addresses.map((a) => (a.name === 'utm_hq_agents6' ? { ...a, entries } : a)),
        });
      };
      expect((await push(groups(['fd00:20::/64', 'fd00:22::/64']), c72)).error).toBeUndefined();
      expect(
        (await push(groups(['fd00:20::/64', 'fd00:22::/64', 'fd00:24::/64']), c72)).error,
      ).toBeUndefined();
      expect(v72.calls.count({ method: 'PUT', path: /firewall\/addrgrp6\// })).toBe(1);
      expect(v72.ignoredAttributes).toEqual([]);
    } finally {
      c72.close();
      await v72.stop();
    }
    const s76 = await startFortiOsSimulator({ version: 'v7.6.5' });
    const c = new FortiOsConnector(target(s76.url));
    try {
      expect((await push(hq(), c)).ok).toBe(true);
      expect(s76.table('firewall.service/custom').find((s) => s.name === 'utm_svc_https')!.protocol).toBe(
        'TCP/UDP/UDP-Lite/SCTP',
      );
    } finally {
      c.close();
      await s76.stop();
    }
  });

  it('classifies a CLI failure answered with HTTP 424 (TF SDK) like one answered with 500: validation', async () => {
    const s424 = await startFortiOsSimulator({ cliErrorStatus: 424 });
    const c = new FortiOsConnector(target(s424.url));
    try {
      const rs = hq();
      const bad = ruleSet({
        ...rs,
        rules: rs.rules.map((r, i) => (i === 0 ? { ...r, ingress: 'port99' } : r)),
      });
      const outcome = await push(bad, c);
      expect(outcome.error).toMatchObject({ kind: 'validation', status: 424, vendorCode: '-651' });
    } finally {
      c.close();
      await s424.stop();
    }
  });

  // Version matrix: FortiOS 6.4-7.6 only, refused before anything is written.
  for (const version of ['v6.2.9', 'v7.8.0']) {
    it(`refuses firmware ${version} (outside 6.4-7.6) before any write`, async () => {
      const other = await startFortiOsSimulator({ version });
      const c = new FortiOsConnector(target(other.url));
      try {
        const outcome = await push(hq(), c);
        expect(outcome.error).toMatchObject({ kind: 'validation' });
        expect(outcome.error!.message).toMatch(/not supported: this connector supports FortiOS 6.4-7.6/);
        expect(other.calls.writes()).toBe(0);
      } finally {
        c.close();
        await other.stop();
      }
    });
  }

  it('sends vdom on every call and manages the configured VDOM only', async () => {
    const multi = await startFortiOsSimulator({ vdoms: ['root', 'branch'] });
    const c = new FortiOsConnector(target(multi.url, { vdom: 'branch' }));
    try {
      expect((await push(hq(), c)).ok).toBe(true);
      expect(multi.calls.list().every((r) => new URLSearchParams(r.query).get('vdom') === 'branch')).toBe(
        true,
      );
      expect(multi.policies('root')).toEqual([]);
      expect(multi.policies('branch')).toHaveLength(3);
    } finally {
      c.close();
      await multi.stop();
    }
  });

  it('reads the unmanaged policies with their service ports resolved, never the managed ones', async () => {
    expect((await push(hq())).ok).toBe(true);
    sim.guiAdd('firewall.service/custom', { name: 'PG', 'tcp-portrange': '5432' });
    sim.guiAdd('firewall.service/custom', { name: 'WEB_ALT', 'tcp-portrange': '8080 8000-8010:1024-65535' });
    sim.guiAdd('firewall.service/custom', { name: 'SYSLOG', 'udp-portrange': '514' });
    sim.guiAdd('firewall.service/group', {
      name: 'web_group',
      member: [{ name: 'HTTPS' }, { name: 'WEB_ALT' }],
    });
    const policy = (name: string, extra: Record<string, unknown>): void => {
      sim.guiAdd('firewall/policy', {
        name,
        srcintf: [{ name: 'port1' }],
        dstintf: [{ name: 'port2' }],
        srcaddr: [{ name: 'all' }],
        dstaddr: [{ name: 'all' }],
        action: 'accept',
        schedule: 'always',
        ...extra,
      });
    };
    policy('db-from-wan', { service: [{ name: 'PG' }], comments: 'temporary' });
    policy('wan-any', { service: [{ name: 'ALL' }] });
    policy('web', { srcintf: [{ name: 'port2' }, { name: 'port3' }], service: [{ name: 'web_group' }] });
    policy('dns-syslog', { service: [{ name: 'DNS' }, { name: 'SYSLOG' }], status: 'disable' });
    policy('blocked', { service: [{ name: 'SSH' }], action: 'deny' });
    policy('ping', { service: [{ name: 'PING' }] });

    const unmanaged = await connector.readUnmanagedRules();
    const base = { scope: 'policy', interfaces: ['port1'], source: 'all', destination: 'all' };
    expect(unmanaged).toEqual([
      {
        ...base,
        label: 'db-from-wan',
        action: 'allow',
        enabled: true,
        protocols: ['tcp'],
        ports: [{ from: 5432, to: 5432 }],
      },
      { ...base, label: 'wan-any', action: 'allow', enabled: true, protocols: null, ports: null },
      {
        ...base,
        interfaces: ['port2', 'port3'],
        label: 'web',
        action: 'allow',
        enabled: true,
        protocols: ['tcp'],
        ports: [
          { from: 443, to: 443 },
          { from: 8000, to: 8010 },
          { from: 8080, to: 8080 },
        ],
      },
      // Different ports per protocol: one entry per protocol (udp 514 is not open on tcp).
      {
        ...base,
        label: 'dns-syslog',
        action: 'allow',
        enabled: false,
        protocols: ['tcp'],
        ports: [{ from: 53, to: 53 }],
      },
      {
        ...base,
        label: 'dns-syslog',
        action: 'allow',
        enabled: false,
        protocols: ['udp'],
        ports: [
          { from: 53, to: 53 },
          { from: 514, to: 514 },
        ],
      },
      {
        ...base,
        label: 'blocked',
        action: 'deny',
        enabled: true,
        protocols: ['tcp'],
        ports: [{ from: 22, to: 22 }],
      },
      { ...base, label: 'ping', action: 'allow', enabled: true, protocols: [], ports: null },
    ]);
    const managedNames = new Set(hq().rules.map((r) => r.name));
    expect(unmanaged.some((r) => managedNames.has(r.label))).toBe(false);
  });

  describe('transactions', () => {
    it('F24-F26: probes start, staged reads, abort and commit once per device and firmware, and leaves nothing', async () => {
      const fresh = await startFortiOsSimulator();
      const c = new FortiOsConnector(target(fresh.url));
      try {
        expect(await c.transactionMode()).toEqual({
          mode: 'transaction',
          reason: 'start, staged reads, abort and commit behaved as expected',
        });
        expect(fresh.calls.lines().filter((l) => l.includes('action=transaction-'))).toEqual([
          'POST /api/v2/cmdb?vdom=root&action=transaction-start',
          'POST /api/v2/cmdb?vdom=root&action=transaction-abort',
          'POST /api/v2/cmdb?vdom=root&action=transaction-start',
          'POST /api/v2/cmdb?vdom=root&action=transaction-commit',
        ]);
        expect(fresh.table('firewall/address').map((a) => a.name)).toEqual(['all']);
        expect(fresh.openTransactions()).toEqual([]);
        fresh.calls.reset();
        const second = new FortiOsConnector(target(fresh.url));
        expect((await push(hq(), second)).error).toBeUndefined();
        second.close();
        expect(fresh.calls.lines().filter((l) => l.includes('action=transaction-'))).toEqual([
          'POST /api/v2/cmdb?vdom=root&action=transaction-start',
          'POST /api/v2/cmdb?vdom=root&action=transaction-commit',
        ]);
      } finally {
        c.close();
        await fresh.stop();
      }
    });

    it('own recovery: a direct-mode push failing half-way is undone with compensating writes and verified', async () => {
      const odd = await startFortiOsSimulator({ transactionSemantics: { commit: false } });
      const c = new FortiOsConnector(freshDevice(odd.url));
      try {
        expect((await c.transactionMode()).mode).toBe('direct');
        const before = hq();
        expect((await push(before, c)).error).toBeUndefined();
        // What the device holds, without the uuids a re-created object gets anew, by name.
        const holds = (): string =>
          JSON.stringify(
            (['firewall/address', 'firewall/addrgrp', 'firewall.service/custom'] as const)
              .map((t) =>
                odd
                  .table(t)
                  .sort((a, b) => text(a.name).localeCompare(text(b.name)))
                  .map((r) => ({ ...r, uuid: undefined })),
              )
              .concat([odd.policies().map((p) => ({ ...p, uuid: undefined, policyid: undefined }))]),
          );
        const snapshot = holds();
        // The policy POST of the next push fails: the address and group writes before it are live (no transaction).
        odd.faults.add({
          method: 'POST',
          path: '/api/v2/cmdb/firewall/policy',
          fault: { type: 'status', status: 500 },
          times: 1,
        });
        const next = hq({ agents: ['10.20.0.0/24', '10.20.5.9'], ipv6: true });
        const failed = await push(next, c);
        expect(failed.ok).toBe(false);
        expect(failed.apply!.writes).toBeGreaterThan(0);
        expect(failed.restore).toMatchObject({ status: 'restored', live: 'previous' });
        expect(failed.error!.message).toMatch(/recovery restored/);
        expect(holds()).toBe(snapshot);
        expect((await c.verify(before)).ok).toBe(true);
      } finally {
        c.close();
        await odd.stop();
      }
    });

    it('own recovery after an aborted transaction only confirms the device is as before (no writes)', async () => {
      expect((await push(hq())).ok).toBe(true);
      sim.faults.add({
        method: 'POST',
        path: '/api/v2/cmdb/firewall/policy',
        fault: { type: 'status', status: 500 },
        times: 1,
      });
      const failed = await push(hq({ ipv6: true }));
      expect(failed.restore).toMatchObject({ status: 'not_needed', live: 'previous', writes: 0 });
    });

    for (const [label, semantics, reason] of [
      [
        'GETs inside a transaction do not see staged objects',
        { stagedReads: false },
        /did not see the object/,
      ],
      [
        'the commit syntax is not understood',
        { commit: false },
        /probe failed: .*transaction-commit|probe failed/,
      ],
    ] as const) {
      it(`falls back to direct writes when ${label}, and still converges`, async () => {
        const odd = await startFortiOsSimulator({ transactionSemantics: semantics });
        const c = new FortiOsConnector(freshDevice(odd.url));
        try {
          const mode = await c.transactionMode();
          expect(mode.mode).toBe('direct');
          expect(mode.reason).toMatch(reason);
          expect(odd.table('firewall/address').map((a) => a.name)).toEqual(['all']);
          expect(odd.openTransactions()).toEqual([]);
          odd.calls.reset();
          const rs = hq({ ipv6: true });
          expect((await push(rs, c)).error).toBeUndefined();
          expectConverged(odd, rs);
          expect(odd.calls.lines().filter((l) => l.includes('action=transaction-'))).toEqual([]);
        } finally {
          c.close();
          await odd.stop();
        }
      });
    }

    it('F23: transaction-start sends timeout 60 (in range as seconds and as minutes); 300 is refused up front', async () => {
      const bodies: unknown[] = [];
      const original = connector.api.startTransaction.bind(connector.api);
      connector.api.startTransaction = (timeout: number) => {
        bodies.push(timeout);
        return original(timeout);
      };
      // The simulator reads the unit as the CLI does (minutes 1-60): the old 300 fails there.
      expect((await push(hq())).error).toBeUndefined();
      expect(bodies).toEqual([60]);
      expect(sim.calls.count({ method: 'POST', path: '/api/v2/cmdb' })).toBe(2); // start + commit
      expect(() => new FortiOsConnector(target(sim.url), { transactionTimeout: 300 })).toThrow(/1 to 60/);
    });

    it('F16: a transactional POST answered without mkey still pushes (policies are found by name)', async () => {
      const quiet = await startFortiOsSimulator({ mkeyInTransaction: false });
      const c = new FortiOsConnector(target(quiet.url));
      try {
        // The probe's own POST is answered without mkey too: it must not make the connector give up transactions.
        expect(await c.transactionMode()).toMatchObject({ mode: 'transaction' });
        quiet.calls.reset();
        const rs = hq({ ipv6: true });
        expect((await push(rs, c)).error).toBeUndefined();
        expectConverged(quiet, rs);
        const swapped = hq({ ipv6: true, consoles: false });
        expect((await push(swapped, c)).error).toBeUndefined();
        expectConverged(quiet, swapped);
        expect(quiet.calls.lines().filter((l) => l.includes('action=transaction-'))).toEqual([
          'POST /api/v2/cmdb?vdom=root&action=transaction-start',
          'POST /api/v2/cmdb?vdom=root&action=transaction-commit',
          'POST /api/v2/cmdb?vdom=root&action=transaction-start',
          'POST /api/v2/cmdb?vdom=root&action=transaction-commit',
        ]);
      } finally {
        c.close();
        await quiet.stop();
      }
    });

    it('F16: the probe gets its mkey but policy POSTs in the push do not: still pushes in the transaction', async () => {
      const named = await startFortiOsSimulator({ mkeyInTransaction: 'named' });
      const c = new FortiOsConnector(target(named.url));
      try {
        expect(await c.transactionMode()).toMatchObject({ mode: 'transaction' });
        named.calls.reset();
        const rs = hq({ ipv6: true });
        const first = await push(rs, c);
        expect(first.error).toBeUndefined();
        expect(first.plan!.changes.some((ch) => ch.kind === 'rule' && ch.op === 'create')).toBe(true);
        expectConverged(named, rs);
        // Updates and deletes find the policies created without an answered id by name.
        const swapped = hq({ ipv6: true, consoles: false });
        expect((await push(swapped, c)).error).toBeUndefined();
        expectConverged(named, swapped);
        expect((await c.verify(swapped)).ok).toBe(true);
        expect(named.calls.lines().filter((l) => l.includes('action=transaction-'))).toEqual([
          'POST /api/v2/cmdb?vdom=root&action=transaction-start',
          'POST /api/v2/cmdb?vdom=root&action=transaction-commit',
          'POST /api/v2/cmdb?vdom=root&action=transaction-start',
          'POST /api/v2/cmdb?vdom=root&action=transaction-commit',
        ]);
      } finally {
        c.close();
        await named.stop();
      }
    });

    /**
     * What a device answers for a table locked by someone else's open transaction (another REST client, or an admin's
     * GUI/CLI `config-transaction` session) is in no vendor source: the simulator's -580 is inferred (vendor-conformance
     * F28). The push must be safe under every reading.
     */
    const LOCK_ANSWERS: [string, FortiOsSimulatorOptions['lockedTableAnswer']][] = [
      ['-580 (inferred default)', undefined],
      ['an unknown negative code', { httpStatus: 500, error: -9999 }],
      ['HTTP 500 without code or text', { httpStatus: 500, error: null, cliError: null }],
      [
        'HTTP 424 with CLI text',
        { httpStatus: 424, error: null, cliError: 'entry is in use\nCommand fail.\n' },
      ],
    ];

    /** Someone else opens a transaction and stages a write to `table` in it (locking the table); answers its id. */
    const adminTransaction = async (s: FortiOsSimulator, table: 'firewall/policy' | 'firewall/address') => {
      const headers = { authorization: `Bearer ${FORTIOS_SIM_TOKEN}`, 'content-type': 'application/json' };
      const started = await rawRequest(s.url, {
        method: 'POST',
        path: '/api/v2/cmdb?action=transaction-start',
        body: { timeout: 10 },
        headers,
      });
      const id = (started.json as { results: { 'transaction-id': number } }).results['transaction-id'];
      const body =
        table === 'firewall/address'
          ? { name: 'admin_draft', subnet: '10.99.0.1/32' }
          : {
              policyid: 0,
              name: 'admin-draft',
              srcintf: [{ name: 'port1' }],
              dstintf: [{ name: 'port2' }],
              srcaddr: [{ name: 'all' }],
              dstaddr: [{ name: 'all' }],
              service: [{ name: 'ALL' }],
              action: 'accept',
              schedule: 'always',
            };
      const staged = await rawRequest(s.url, {
        method: 'POST',
        path: `/api/v2/cmdb/${table}`,
        body,
        headers: { ...headers, 'x-transaction-id': String(id) },
      });
      expect(staged.status).toBe(200);
      const abort = async (): Promise<void> => {
        await rawRequest(s.url, {
          method: 'POST',
          path: '/api/v2/cmdb?action=transaction-abort',
          body: { 'transaction-id': id },
          headers,
        });
      };
      return { id, abort };
    };

    it('a connection dropped during the transaction probe: this push writes directly, the next probes again', async () => {
      const flaky = await startFortiOsSimulator();
      const c = new FortiOsConnector(target(flaky.url));
      try {
        // The probe's staged address write loses its connection (a crash test saw ECONNRESET here): no answer of the
        // device, so nothing is learnt about its transactions and the push is not failed for it.
        flaky.faults.add({
          method: 'POST',
          path: /\/api\/v2\/cmdb\/firewall\/address/,
          fault: { type: 'drop', when: 'before' },
          times: 1,
        });
        const rs = hq();
        const first = await push(rs, c);
        expect(first.error).toBeUndefined();
        expectConverged(flaky, rs);
        expect(flaky.openTransactions()).toEqual([]);
        flaky.calls.reset();
        const rs2 = hq({ ipv6: true });
        expect((await push(rs2, c)).error).toBeUndefined();
        expectConverged(flaky, rs2);
        // Not remembered as "direct": probed again, and this push ran in a transaction.
        expect(await c.transactionMode()).toMatchObject({ mode: 'transaction' });
        expect(flaky.calls.lines().some((l) => l.includes('action=transaction-commit'))).toBe(true);
      } finally {
        c.close();
        await flaky.stop();
      }
    });
    for (const [label, answer] of LOCK_ANSWERS) {
      it(`a table locked by someone else's transaction (${label}): the push fails cleanly, nothing of it is committed or left open, the next push converges`, async () => {
        const locking = await startFortiOsSimulator({ lockedTableAnswer: answer });
        const c = new FortiOsConnector(target(locking.url));
        try {
          expect(await c.transactionMode()).toMatchObject({ mode: 'transaction' });
          expect((await push(hq(), c)).error).toBeUndefined();
          const before = JSON.stringify(locking.state.vdoms);
          const admin = await adminTransaction(locking, 'firewall/policy');
          locking.calls.reset();
          const next = hq({ ipv6: true, consoles: false });
          const failed = await push(next, c);
          expect(failed.ok).toBe(false);
          // Writes to other tables were staged before the policy table refused ours.
          const kinds = failed.plan!.changes.map((ch) => ch.kind);
          expect(kinds.indexOf('address')).toBeGreaterThanOrEqual(0);
          expect(kinds.indexOf('address')).toBeLessThan(kinds.indexOf('rule'));
          expect(failed.error!.kind).toMatch(/^(conflict|validation|protocol)$/);
          if (answer?.cliError) expect(failed.error!.vendorMessage).toBe('entry is in use Command fail.');
          // The refused write was sent once (a write is never retried), then our transaction was aborted.
          const refused = locking.calls.list().filter((r) => r.status !== 200);
          expect(refused.map((r) => `${r.method} ${r.path}`)).toEqual(['POST /api/v2/cmdb/firewall/policy']);
          expect(locking.calls.lines().filter((l) => l.includes('action=transaction-'))).toEqual([
            'POST /api/v2/cmdb?vdom=root&action=transaction-start',
            'POST /api/v2/cmdb?vdom=root&action=transaction-abort',
          ]);
          expect(locking.openTransactions()).toEqual([admin.id]);
          expect((await c.pending.read()).transaction).toBeNull();
          expect(JSON.stringify(locking.state.vdoms)).toBe(before);
          expect(failed.restore).toMatchObject({ status: 'not_needed', live: 'previous', writes: 0 });

          await admin.abort();
          expect((await push(next, c)).error).toBeUndefined();
          expectConverged(locking, next);
        } finally {
          c.close();
          await locking.stop();
        }
      });

      it(`a table locked by someone else's transaction (${label}) during a direct-mode push: undone by own recovery`, async () => {
        const locking = await startFortiOsSimulator({ lockedTableAnswer: answer });
        const c = new FortiOsConnector(target(locking.url), { transactions: 'never' });
        try {
          expect((await push(hq(), c)).error).toBeUndefined();
          const before = hq();
          const admin = await adminTransaction(locking, 'firewall/policy');
          locking.calls.reset();
          const failed = await push(hq({ ipv6: true, consoles: false }), c);
          expect(failed.ok).toBe(false);
          expect(failed.error!.kind).toMatch(/^(conflict|validation|protocol)$/);
          const refused = locking.calls.list().filter((r) => r.status !== 200);
          expect(refused.map((r) => `${r.method} ${r.path}`)).toEqual(['POST /api/v2/cmdb/firewall/policy']);
          // The address writes before the refused policy write were live; the push's own recovery removed them.
          expect(failed.restore).toMatchObject({ status: 'restored', live: 'previous' });
          expect((await c.verify(before)).ok).toBe(true);
          expect(locking.openTransactions()).toEqual([admin.id]);
          await admin.abort();
          const next = hq({ ipv6: true, consoles: false });
          expect((await push(next, c)).error).toBeUndefined();
          expectConverged(locking, next);
        } finally {
          c.close();
          await locking.stop();
        }
      });

      it(`a table locked when the transaction probe first runs (${label}) does not make the connector write directly`, async () => {
        const locking = await startFortiOsSimulator({ lockedTableAnswer: answer });
        const c = new FortiOsConnector(target(locking.url));
        try {
          const admin = await adminTransaction(locking, 'firewall/address');
          const before = JSON.stringify(locking.state.vdoms);
          const failed = await push(hq(), c);
          expect(failed.ok).toBe(false);
          expect(failed.error!.kind).toMatch(/^(conflict|validation|protocol)$/);
          expect(failed.error!.message).toMatch(
            /transaction probe: its write inside a transaction was refused/,
          );
          expect(failed.apply!.results.every((r) => r.status === 'not_attempted')).toBe(true);
          expect(failed.restore).toMatchObject({ status: 'not_needed', live: 'previous', writes: 0 });
          expect(locking.openTransactions()).toEqual([admin.id]);
          expect((await c.pending.read()).transaction).toBeNull();
          expect(JSON.stringify(locking.state.vdoms)).toBe(before);

          await admin.abort();
          locking.calls.reset();
          const rs = hq({ ipv6: true });
          expect((await push(rs, c)).error).toBeUndefined();
          expectConverged(locking, rs);
          // Probed again once the lock was gone, and pushed in a transaction.
          expect(await c.transactionMode()).toMatchObject({ mode: 'transaction' });
          expect(
            locking.calls
              .lines()
              .filter((l) => l.includes('action=transaction-'))
              .slice(-2),
          ).toEqual([
            'POST /api/v2/cmdb?vdom=root&action=transaction-start',
            'POST /api/v2/cmdb?vdom=root&action=transaction-commit',
          ]);
        } finally {
          c.close();
          await locking.stop();
        }
      });
    }

    it('F9: the policies using an address are found without relying on filters over member lists', async () => {
      // A device whose `srcaddr==X` filter does not look inside member lists (unknown which devices do).
      const literal = await startFortiOsSimulator({ filterListMembers: false });
      const c = new FortiOsConnector(target(literal.url));
      try {
        expect((await push(hq(), c)).error).toBeUndefined();
        // The agents address becomes a group: the policy using it is re-pointed before the address is replaced.
        const grown = hq({ agents: ['10.20.0.0/24', '10.20.5.9'] });
        const outcome = await push(grown, c);
        expect(outcome.error).toBeUndefined();
        expect(outcome.plan!.changes.map((ch) => ch.id)).toEqual(['update:address:utm_hq_agents']);
        expectConverged(literal, grown);
      } finally {
        c.close();
        await literal.stop();
      }
    });

    it('a failing step aborts the transaction: nothing of the push is applied', async () => {
      expect((await push(hq())).ok).toBe(true);
      const before = [sim.table('firewall/address'), sim.table('firewall/addrgrp'), sim.policies()];
      // The 3rd write after transaction-start fails validation on the device.
      sim.faults.add({
        method: 'POST',
        path: '/api/v2/cmdb/firewall/policy',
        fault: {
          type: 'status',
          status: 500,
          body: JSON.stringify({
            http_method: 'POST',
            status: 'error',
            http_status: 500,
            error: -651,
            cli_error:
              "node_check_object fail! for name port9\n\nvalue parse error before 'port9'\nCommand fail. Return code -651\n",
          }),
        },
        times: 1,
      });
      const next = hq({ agents: ['10.20.0.0/24', '10.20.5.9'], ipv6: true });
      sim.calls.reset();
      const failed = await push(next);
      expect(failed.ok).toBe(false);
      expect(failed.error).toMatchObject({
        kind: 'validation',
        status: 500,
        vendorCode: '-651',
        vendorMessage: expect.stringContaining('node_check_object fail! for name port9') as unknown,
      });
      expect(sim.calls.count({ method: 'POST', path: '/api/v2/cmdb' })).toBe(2); // start + abort
      expect(sim.calls.lines().filter((l) => l.includes('action=transaction-'))).toEqual([
        'POST /api/v2/cmdb?vdom=root&action=transaction-start',
        'POST /api/v2/cmdb?vdom=root&action=transaction-abort',
      ]);
      expect([sim.table('firewall/address'), sim.table('firewall/addrgrp'), sim.policies()]).toEqual(before);
      expect(sim.openTransactions()).toEqual([]);
      const retry = await push(next);
      expect(retry.error).toBeUndefined();
      expectConverged(sim, next);
    });

    it('writes inside the transaction are invisible to others until the commit', async () => {
      const c = new FortiOsConnector(target(sim.url));
      sim.faults.add({
        method: 'POST',
        path: '/api/v2/cmdb/firewall/policy',
        fault: { type: 'latency', ms: 30 },
      });
      const pending = push(hq(), c);
      await new Promise((r) => setTimeout(r, 60));
      const seenDuring = sim.policies().length;
      const outcome = await pending;
      c.close();
      expect(outcome.ok).toBe(true);
      expect(seenDuring).toBe(0);
      expect(sim.policies()).toHaveLength(3);
    });
  });

  describe('faults during apply', () => {
    const before = hq();
    const after = ((): RuleSet => {
      const rs = hq({ agents: ['10.20.0.0/24', '10.20.9.9'], consoles: false, ipv6: true });
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
      { fault: { type: 'status', status: 429 }, kind: 'unavailable' },
      { fault: { type: 'drop', when: 'after' }, kind: 'unavailable' },
      { fault: { type: 'drop', when: 'before' }, kind: 'unavailable' },
      { fault: { type: 'hang', ms: 5_000, when: 'after' }, kind: 'timeout' },
      {
        fault: {
          type: 'status',
          status: 500,
          body: '{"http_method":"POST","status":"error","http_status":500,"error":-5,"cli_error":"object already exists\\nCommand fail. Return code -5\\n"}',
        },
        kind: 'conflict',
      },
    ];

    for (const mode of ['transactions', 'direct'] as const) {
      it(`a fault at every write step fails clearly and the next push converges without duplicates (${mode})`, async () => {
        const opts: FortiOsConnectorOptions = { transactions: mode === 'transactions' ? 'auto' : 'never' };
        const make = (url: string, requestMs = 2_000): FortiOsConnector =>
          new FortiOsConnector(
            target(url, { timeouts: { connectMs: 1_000, requestMs, commitMs: requestMs } }),
            opts,
          );
        expect((await push(before, make(sim.url))).ok).toBe(true);
        sim.calls.reset();
        const clean = await push(after, make(sim.url));
        expect(clean.error).toBeUndefined();
        const steps = sim.calls
          .list()
          .filter((c) => c.method !== 'GET')
          .map((c) => `${c.method} ${c.path}`);
        expect(steps.length).toBeGreaterThan(10);
        if (mode === 'transactions') {
          expect(steps[0]).toBe('POST /api/v2/cmdb');
          expect(steps[steps.length - 1]).toBe('POST /api/v2/cmdb');
        }
        expect(new Set(steps.map((s) => s.split(' ')[0]))).toEqual(new Set(['POST', 'PUT', 'DELETE']));

        const cases = faults.flatMap((f) =>
          steps.map((_, k) => ({ ...f, k })).filter((c) => c.fault.type !== 'hang' || c.k % 4 === 3),
        );
        for (const { fault, kind, k } of cases) {
          const s = await startFortiOsSimulator();
          const c = make(s.url);
          const faulted = make(s.url, fault.type === 'hang' ? 250 : 2_000);
          try {
            expect((await push(before, c)).ok).toBe(true);
            s.faults.add({ method: 'WRITE', fault, skip: k, times: 1 });
            const failed = await push(after, faulted);
            expect({ step: k, call: steps[k], ok: failed.ok }).toEqual({
              step: k,
              call: steps[k],
              ok: false,
            });
            expect({ step: k, kind: failed.error?.kind }).toEqual({ step: k, kind });
            expect(failed.error!.message).toMatch(/FortiOS (POST|PUT|DELETE) \/api\/v2\/cmdb/);
            s.faults.clear();
            const retry = await push(after, c);
            expect({ step: k, ok: retry.ok, error: retry.error }).toEqual({
              step: k,
              ok: true,
              error: undefined,
            });
            // Only a lost answer to transaction-start itself can leave a transaction open on the device: it holds
            // no table (the retry above went through) and expires by itself.
            if (k !== 0) expect({ step: k, open: s.openTransactions() }).toEqual({ step: k, open: [] });
            expectConverged(s, after, k === 0);
            const third = await push(after, c);
            expect(isPlanEmpty(third.plan!)).toBe(true);
          } finally {
            c.close();
            faulted.close();
            await s.stop();
          }
        }
      }, 90_000);
    }

    it('never repeats a failed write', async () => {
      sim.faults.add({
        method: 'POST',
        path: '/api/v2/cmdb/firewall/address',
        fault: { type: 'status', status: 503 },
        times: 1,
      });
      const failed = await push(before);
      expect(failed.error).toMatchObject({ kind: 'unavailable', status: 503 });
      expect(sim.calls.count({ method: 'POST', path: '/api/v2/cmdb/firewall/address' })).toBe(1);
      expect(failed.apply!.results.filter((r) => r.status === 'failed')).toHaveLength(1);
    });
  });

  describe('reads and authentication', () => {
    it('honours 429 Retry-After on reads', async () => {
      sim.faults.add({
        method: 'GET',
        path: '/api/v2/cmdb/firewall/policy',
        fault: { type: 'retry-after', seconds: 1 },
        times: 1,
      });
      const t0 = Date.now();
      await connector.readState();
      expect(Date.now() - t0).toBeGreaterThanOrEqual(950);
      expect(sim.calls.count({ method: 'GET', path: '/api/v2/cmdb/firewall/policy' })).toBe(2);
    });

    it('classifies a wrong token as authentication with the HTML title as vendor message (not retried)', async () => {
      const c = new FortiOsConnector(
        target(sim.url, { credentials: { kind: 'fortios-token', token: 'nope' } }),
      );
      try {
        await expect(c.probe()).rejects.toMatchObject({
          kind: 'authentication',
          status: 401,
          vendorMessage: expect.stringContaining('401 Unauthorized') as unknown,
        });
        expect(sim.calls.count()).toBe(1);
      } finally {
        c.close();
      }
    });

    it('a read-only token can plan but its writes are refused (403, authentication)', async () => {
      const c = new FortiOsConnector(
        target(sim.url, { credentials: { kind: 'fortios-token', token: FORTIOS_SIM_READONLY_TOKEN } }),
      );
      try {
        const dry = await pushRuleSet(c, hq(), { dryRun: true });
        expect(dry.ok).toBe(true);
        const outcome = await push(hq(), c);
        expect(outcome.error).toMatchObject({ kind: 'authentication', status: 403 });
      } finally {
        c.close();
      }
    });

    it('refuses a rule set that does not fit FortiOS limits before writing', async () => {
      const rs = ruleSet({
        vendor: 'fortios',
        addresses: [address('utm_a', ['10.0.0.1/32']), address('utm_b', ['fd00::1/128'])],
        services: [service('utm_s', 'tcp', [443])],
        rules: [
          rule(`utm_${'x'.repeat(40)}`, 0, {
            ingress: 'port2',
            egress: 'port3',
            source: 'utm_a',
            destination: 'utm_b',
            service: 'utm_s',
          }),
        ],
      });
      const outcome = await push(rs);
      expect(outcome.error).toMatchObject({ kind: 'validation' });
      expect(outcome.error!.message).toMatch(/longer than 35/);
      expect(outcome.error!.message).toMatch(/uses IPv6 object utm_b/);
      expect(sim.calls.writes()).toBe(0);
    });
  });

  it('serialises concurrent pushes to one device', async () => {
    const slow = await startFortiOsSimulator({ writeProcessingMs: 10, maxConcurrentWrites: 1 });
    const a = new FortiOsConnector(target(slow.url));
    const b = new FortiOsConnector(target(slow.url));
    try {
      const [ra, rb] = await Promise.all([push(hq(), a), push(hq(), b)]);
      expect(ra.error ?? rb.error).toBeUndefined();
      expectConverged(slow, hq());
      expect([ra.plan!.changes.length, rb.plan!.changes.length].sort((x, y) => x - y)[0]).toBe(0);
    } finally {
      a.close();
      b.close();
      await slow.stop();
    }
  });
});

describe('FortiOsConnector TLS', () => {
  let sim: FortiOsSimulator;
  beforeAll(async () => {
    sim = await startFortiOsSimulator({ https: true } satisfies FortiOsSimulatorOptions);
  });
  afterAll(async () => {
    await sim.stop();
  });
  beforeEach(() => sim.calls.reset());

  const probeWith = async (tls: FortiOsTarget['tls']): Promise<unknown> => {
    const c = new FortiOsConnector(target(sim.url, { tls }));
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

  it('accepts it with the pinned SHA-256 fingerprint and pushes', async () => {
    expect(await probeWith({ fingerprintSha256: TEST_CERT_FINGERPRINT_SHA256 })).toMatchObject({
      tls: 'pinned',
    });
    const c = new FortiOsConnector(
      target(sim.url, { tls: { fingerprintSha256: TEST_CERT_FINGERPRINT_SHA256 } }),
    );
    try {
      expect((await pushRuleSet(c, hq())).ok).toBe(true);
    } finally {
      c.close();
    }
  });

  it('refuses a wrong pin before sending any request, and an unrelated CA bundle', async () => {
    expect(await probeWith({ fingerprintSha256: 'AA'.repeat(32) })).toMatchObject({
      kind: 'tls',
      vendorCode: 'ERR_TLS_FINGERPRINT_MISMATCH',
    });
    expect(sim.calls.count()).toBe(0);
    expect(await probeWith({ caBundle: OTHER_CA_CERT_PEM })).toMatchObject({ kind: 'tls' });
    expect(await probeWith({ caBundle: TEST_CERT_PEM })).toMatchObject({ tls: 'ca-bundle' });
  });
});
