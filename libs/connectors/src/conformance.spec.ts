import type { RuleSet, Vendor } from '@app/engine/model';
import { startSimulator, type RunningSimulator } from '@app/simulators';
import { HttpClient } from './core/http';
import { pushRuleSet } from './core/push';
import { versionNumbers } from './core/versions';
import { createConnector } from './factory';
import { hqRuleSet, ruleSet, type HqOptions } from './testing/rule-sets';
import { pfSenseNatRuleSet } from './testing/pfsense-nat.fixtures';
import { fortiNatRuleSet } from './testing/fortios-nat.fixtures';
import { opnNatRuleSet } from './testing/opnsense-nat.fixtures';
import {
  FORTIOS_TABLE,
  OPNSENSE_TABLE,
  PFSENSE_TABLE,
  type CheckContext,
  type Json,
  type VendorTable,
} from './testing/vendor-conformance.table';

/**
 * Captures every request each connector sends for a first push, a no-change push and a change push, and checks
 * method, path, query and every body field against vendor-conformance.table.ts (derived from the vendors' sources,
 * cited per row). A future change that sends something the real device would reject fails here.
 */

const TABLES: Record<Vendor, VendorTable> = {
  pfsense: PFSENSE_TABLE,
  fortios: FORTIOS_TABLE,
  opnsense: OPNSENSE_TABLE,
};

interface Captured {
  method: string;
  path: string;
  query: Record<string, string>;
  json: unknown;
}

function isObject(v: unknown): v is Record<string, Json> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Every way `request` breaks the table (empty: conforms). */
export function violations(table: VendorTable, req: Captured, ctx: CheckContext): string[] {
  const line = `${req.method} ${req.path}`;
  const rule = table.endpoints.find((e) => e.method === req.method && e.path.test(req.path));
  if (!rule) return [`${line}: no vendor source defines this request`];
  const out: string[] = [];
  for (const [key, value] of Object.entries(req.query)) {
    const check = table.commonQuery[key] ?? rule.query?.[key];
    if (!check) out.push(`${line}: query ${key} is not defined (${rule.source})`);
    else {
      const problem = check(value, ctx);
      if (problem) out.push(`${line}: query ${key}=${value}: ${problem} (${rule.source})`);
    }
  }
  for (const key of Object.keys(table.commonQuery)) {
    if (!(key in req.query)) out.push(`${line}: query ${key} missing`);
  }
  if (rule.body === 'none') {
    if (req.json !== undefined) out.push(`${line}: sends a body where none is defined (${rule.source})`);
    return out;
  }
  let body: unknown = req.json;
  if (rule.wrap) {
    if (!isObject(body) || Object.keys(body).join() !== rule.wrap) {
      return [...out, `${line}: body must be {"${rule.wrap}":{…}} (${rule.source})`];
    }
    body = body[rule.wrap];
  }
  if (body === undefined) return out;
  if (!isObject(body)) return [...out, `${line}: body is not an object`];
  for (const [key, value] of Object.entries(body)) {
    const check = rule.body[key];
    if (!check) out.push(`${line}: field ${key} is not defined (${rule.source})`);
    else {
      const problem = check(value, ctx);
      if (problem) out.push(`${line}: ${key}=${JSON.stringify(value)}: ${problem} (${rule.source})`);
    }
  }
  for (const key of rule.required ?? [])
    if (!(key in body)) out.push(`${line}: ${key} missing (${rule.source})`);
  return out;
}

const FORTI_PORTS: Record<string, string> = { lan: 'port2', opt1: 'port3', opt2: 'port4' };

function ruleSetFor(vendor: Vendor, options: HqOptions, groups6 = false): RuleSet {
  const rs = hqRuleSet({ ...options, vendor });
  const addresses = groups6
    ? rs.addresses.map((a) =>
        a.name === 'utm_hq_agents6' ? { ...a, entries: ['fd00:20::/64', 'fd00:22::/64', 'fd00:24::/64'] } : a,
      )
    : rs.addresses;
  return ruleSet({
    ...rs,
    addresses,
    rules:
      vendor === 'fortios'
        ? rs.rules.map((r) => ({ ...r, ingress: FORTI_PORTS[r.ingress], egress: FORTI_PORTS[r.egress] }))
        : rs.rules,
  });
}

const SCENARIOS: Array<{ vendor: Vendor; version: string; start: () => Promise<RunningSimulator> }> = [
  { vendor: 'pfsense', version: '2.8.1', start: () => startSimulator('pfsense') },
  {
    vendor: 'pfsense',
    version: '2.7.2',
    start: () => startSimulator('pfsense', { version: '2.7.2-RELEASE' }),
  },
  { vendor: 'fortios', version: '7.2.11', start: () => startSimulator('fortios', { version: 'v7.2.11' }) },
  { vendor: 'fortios', version: '7.4.3', start: () => startSimulator('fortios', { version: 'v7.4.3' }) },
  { vendor: 'fortios', version: '7.6.0', start: () => startSimulator('fortios', { version: 'v7.6.0' }) },
  { vendor: 'opnsense', version: '24.7.12', start: () => startSimulator('opnsense', { version: '24.7.12' }) },
  { vendor: 'opnsense', version: '25.1.12', start: () => startSimulator('opnsense', { version: '25.1.12' }) },
  { vendor: 'opnsense', version: '26.7.2', start: () => startSimulator('opnsense', { version: '26.7.2' }) },
];

describe('vendor conformance of every request the connectors send', () => {
  it('the checker itself catches what the audit found (so it can fail)', () => {
    const fortiosOld = { version: [7, 2, 11] };
    expect(
      violations(
        FORTIOS_TABLE,
        {
          method: 'POST',
          path: '/api/v2/cmdb',
          query: { vdom: 'root', action: 'transaction-start' },
          json: { timeout: 300 },
        },
        fortiosOld,
      ),
    ).toEqual([expect.stringContaining('timeout=300: not an integer 1-60')]);
    expect(
      violations(
        FORTIOS_TABLE,
        {
          method: 'PUT',
          path: '/api/v2/cmdb/firewall/addrgrp6/utm_x',
          query: { vdom: 'root' },
          json: { member: [{ name: 'a' }], comment: 'c', exclude: 'disable' },
        },
        fortiosOld,
      ),
    ).toEqual([expect.stringContaining('only from 7.4.0')]);
    expect(
      violations(
        PFSENSE_TABLE,
        {
          method: 'POST',
          path: '/api/v2/firewall/rule',
          query: {},
          json: { type: 'pass', interface: ['LAN'], ipprotocol: 'inet' },
        },
        { version: [2, 8, 1] },
      ),
    ).toHaveLength(1);
    expect(
      violations(
        OPNSENSE_TABLE,
        { method: 'POST', path: '/api/firewall/filter/apply', query: {}, json: {} },
        { version: [25, 7, 5] },
      ),
    ).toEqual([expect.stringContaining('sends a body where none is defined')]);
  });

  for (const { vendor, version, start } of SCENARIOS) {
    it(`${vendor} ${version}: first, no-change and change push send only what the vendor defines`, async () => {
      const sim = await start();
      const connector = createConnector(
        sim.deviceTarget('fw-hq', {
          timeouts: { connectMs: 1_000, requestMs: 3_000, commitMs: 3_000 },
          retry: { retries: 1, baseDelayMs: 5, maxDelayMs: 20, maxRetryAfterMs: 1_000 },
        }),
      );
      const captured: Captured[] = [];
      const spy = vi.spyOn(HttpClient.prototype, 'request');
      try {
        const first = ruleSetFor(vendor, { ipv6: true });
        const changed = ruleSetFor(
          vendor,
          { ipv6: true, agents: ['10.20.0.0/24', '10.20.9.9'], consoles: false },
          true,
        );
        const groupsChanged = ruleSetFor(vendor, { ipv6: true, syslog: false }, true);
        for (const [label, rs] of [
          ['first', first],
          ['no-change', first],
          ['change', changed],
          ['group change', groupsChanged],
        ] as const) {
          const outcome = await pushRuleSet(connector, rs);
          expect({ label, error: outcome.error }).toEqual({ label, error: undefined });
        }
        for (const call of spy.mock.calls) {
          const req = call[0];
          const query: Record<string, string> = {};
          for (const [k, v] of Object.entries(req.query ?? {})) if (v !== undefined) query[k] = String(v);
          captured.push({ method: req.method, path: req.path, query, json: req.json });
        }
      } finally {
        spy.mockRestore();
        connector.close();
        await sim.stop();
      }
      expect(captured.length).toBeGreaterThan(20);
      expect(captured.some((c) => c.method !== 'GET')).toBe(true);
      const ctx: CheckContext = { version: versionNumbers(version)! };
      const problems = captured.flatMap((c) => violations(TABLES[vendor], c, ctx));
      expect(problems).toEqual([]);
    });
  }

  // ------------------------------------------------------------------------------------------- FortiOS NAT (VIPs)
  it('fortios NAT: the checker refuses a VIP field the firmware lacks and a VIP that is not a port forward', () => {
    const body = {
      name: 'utm_nat_x',
      type: 'static-nat',
      extintf: 'port1',
      extip: '0.0.0.0',
      mappedip: [{ range: '10.0.0.1' }],
      portforward: 'enable',
      protocol: 'tcp',
      extport: '1194',
      mappedport: '1194',
      status: 'enable',
      comment: 'c',
    };
    const post = { method: 'POST', path: '/api/v2/cmdb/firewall/vip', query: { vdom: 'root' }, json: body };
    expect(violations(FORTIOS_TABLE, post, { version: [7, 0, 0] })).toEqual([]);
    expect(violations(FORTIOS_TABLE, post, { version: [6, 4, 15] })).toEqual([
      expect.stringContaining('status='),
    ]);
    expect(
      violations(
        FORTIOS_TABLE,
        { ...post, json: { ...body, portforward: 'disable', extintf: 'any' } },
        { version: [7, 4, 3] },
      ),
    ).toHaveLength(2);
  });

  for (const version of ['6.4.15', '7.2.11', '7.6.0']) {
    it(`fortios ${version} NAT: first, no-change and change push (VIPs) send only what the vendor defines`, async () => {
      const sim = await startSimulator('fortios', { version: `v${version}` });
      const connector = createConnector(sim.deviceTarget('fw-hq'));
      const spy = vi.spyOn(HttpClient.prototype, 'request');
      const captured: Captured[] = [];
      try {
        for (const [label, rs] of [
          ['first', fortiNatRuleSet()],
          ['no-change', fortiNatRuleSet()],
          ['change', fortiNatRuleSet({ externalPort: 11194 })],
          ['removal', fortiNatRuleSet({ withoutNat: true })],
        ] as const) {
          const outcome = await pushRuleSet(connector, rs);
          expect({ label, error: outcome.error }).toEqual({ label, error: undefined });
        }
        for (const call of spy.mock.calls) {
          const req = call[0];
          const query: Record<string, string> = {};
          for (const [k, v] of Object.entries(req.query ?? {})) if (v !== undefined) query[k] = String(v);
          captured.push({ method: req.method, path: req.path, query, json: req.json });
        }
      } finally {
        spy.mockRestore();
        connector.close();
        await sim.stop();
      }
      const vip = captured.filter((c) => c.path.startsWith('/api/v2/cmdb/firewall/vip'));
      expect(vip.filter((c) => c.method !== 'GET').map((c) => c.method)).toEqual([
        'POST',
        'POST',
        'PUT',
        'DELETE',
        'DELETE',
      ]);
      const ctx: CheckContext = { version: versionNumbers(version)! };
      expect(captured.flatMap((c) => violations(FORTIOS_TABLE, c, ctx))).toEqual([]);
    });
  }
});

// ---------------------------------------------------------------------------------------------------- pfSense NAT

describe('vendor conformance of NAT requests: pfSense port forwards', () => {
  it('the NAT rows can fail: a linked rule or a range in local_port is not what the connector may send', () => {
    const body = {
      interface: 'wan',
      protocol: 'tcp',
      source: 'any',
      destination: 'wan:ip',
      target: '10.10.0.5',
      local_port: '443:444',
      associated_rule_id: 'new',
    };
    const req = { method: 'POST', path: '/api/v2/firewall/nat/port_forward', query: {}, json: body };
    expect(violations(PFSENSE_TABLE, req, { version: [2, 8, 1] })).toEqual([
      expect.stringContaining('local_port'),
      expect.stringContaining('associated_rule_id'),
    ]);
  });

  for (const { version, packageVersion } of [
    { version: '2.8.1-RELEASE', packageVersion: 'v2.10.0' },
    { version: '2.7.0-RELEASE', packageVersion: 'v2.0.0' },
  ]) {
    it(`pfsense ${version} (package ${packageVersion}): first, no-change and change push with NAT`, async () => {
      const sim = await startSimulator('pfsense', { version, packageVersion });
      const connector = createConnector(sim.deviceTarget('fw-hq'));
      const spy = vi.spyOn(HttpClient.prototype, 'request');
      const captured: Captured[] = [];
      try {
        for (const [label, rs] of [
          ['first', pfSenseNatRuleSet()],
          ['no-change', pfSenseNatRuleSet()],
          ['change', pfSenseNatRuleSet({ consoleExternal: 9443 })],
          ['removal', pfSenseNatRuleSet({ console: false })],
        ] as const) {
          const outcome = await pushRuleSet(connector, rs);
          expect({ label, error: outcome.error }).toEqual({ label, error: undefined });
        }
        for (const [req] of spy.mock.calls) {
          const query: Record<string, string> = {};
          for (const [k, v] of Object.entries(req.query ?? {})) if (v !== undefined) query[k] = String(v);
          captured.push({ method: req.method, path: req.path, query, json: req.json });
        }
      } finally {
        spy.mockRestore();
        connector.close();
        await sim.stop();
      }
      const nat = captured.filter((c) => c.path.includes('/nat/'));
      expect(new Set(nat.map((c) => c.method))).toEqual(new Set(['GET', 'POST', 'PATCH', 'DELETE']));
      const ctx: CheckContext = { version: versionNumbers(version)! };
      expect(captured.flatMap((c) => violations(PFSENSE_TABLE, c, ctx))).toEqual([]);
    });
  }
});

// ------------------------------------------------------------------------------- OPNsense destination NAT (26.1+)

describe('vendor conformance: OPNsense destination NAT requests', () => {
  it('the checker refuses what d_nat would not take (local-port range, flat keys, before 26.1)', () => {
    const body = {
      rule: {
        interface: 'wan',
        protocol: 'tcp',
        destination: { network: 'wanip', port: '5000-5002', not: '0' },
        target: '10.10.0.5',
        'local-port': '6000-6002',
        'destination.port': '5000',
        descr: 'x',
        pass: '',
      },
    };
    const req = { method: 'POST', path: '/api/firewall/d_nat/addRule', query: {}, json: body };
    expect(violations(OPNSENSE_TABLE, req, { version: [26, 1, 11] })).toEqual([
      expect.stringContaining('local-port="6000-6002": not one port'),
      expect.stringContaining('field destination.port is not defined'),
    ]);
    expect(violations(OPNSENSE_TABLE, req, { version: [25, 7, 5] })).toContainEqual(
      expect.stringContaining('d_nat exists only from OPNsense 26.1'),
    );
  });

  for (const version of ['26.1.11', '26.7.2']) {
    it(`opnsense ${version}: first, no-change and change push with NAT send only what the vendor defines`, async () => {
      const sim = await startSimulator('opnsense', { version });
      const connector = createConnector(
        sim.deviceTarget('fw-hq', {
          timeouts: { connectMs: 1_000, requestMs: 3_000, commitMs: 3_000 },
          retry: { retries: 1, baseDelayMs: 5, maxDelayMs: 20, maxRetryAfterMs: 1_000 },
        }),
      );
      const captured: Captured[] = [];
      const spy = vi.spyOn(HttpClient.prototype, 'request');
      try {
        const first = opnNatRuleSet();
        for (const [label, rs] of [
          ['first', first],
          ['no-change', first],
          ['change', opnNatRuleSet({ vpnPort: 11194, logs: false })],
        ] as const) {
          const outcome = await pushRuleSet(connector, rs);
          expect({ label, error: outcome.error }).toEqual({ label, error: undefined });
        }
        for (const call of spy.mock.calls) {
          const req = call[0];
          const query: Record<string, string> = {};
          for (const [k, v] of Object.entries(req.query ?? {})) if (v !== undefined) query[k] = String(v);
          captured.push({ method: req.method, path: req.path, query, json: req.json });
        }
      } finally {
        spy.mockRestore();
        connector.close();
        await sim.stop();
      }
      const natCalls = captured.filter((c) => c.path.includes('/d_nat/')).map((c) => `${c.method} ${c.path}`);
      expect(natCalls.filter((l) => l.includes('addRule'))).toHaveLength(2);
      expect(natCalls.some((l) => l.includes('setRule'))).toBe(true);
      expect(natCalls.some((l) => l.includes('delRule'))).toBe(true);
      const ctx: CheckContext = { version: versionNumbers(version)! };
      expect(captured.flatMap((c) => violations(OPNSENSE_TABLE, c, ctx))).toEqual([]);
    });
  }
});
