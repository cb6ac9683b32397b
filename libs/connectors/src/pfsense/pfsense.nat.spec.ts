import type { RuleSet } from '@app/engine/model';
import {
  PFSENSE_SIM_API_KEY,
  PFSENSE_SIM_USER,
  startPfSenseSimulator,
  type PfSenseSimulator,
  type PfSenseSimulatorOptions,
} from '@app/simulators/pfsense/simulator';
import type { SimPacket } from '@app/simulators/core/packet-trace';
import { isPlanEmpty, type PlanChange } from '../core/model';
import { pushRuleSet, type PushOutcome } from '../core/push';
import { desiredFromManaged } from '../core/restore';
import type { PfSenseTarget } from '../core/target';
import { MASTER, pfSenseNatRuleSet, PUBLIC_VIP } from '../testing/pfsense-nat.fixtures';
import { hqRuleSet } from '../testing/rule-sets';
import { PfSenseConnector } from './pfsense.connector';

/**
 * Destination NAT on pfSense, against the simulator over real HTTP: port forwards written next to the rules that
 * admit them, and what the APPLIED state does with real packets (`trace`: rdr first, then the filter).
 */

const MARKER = '[managed by utm-orchestrator]';
const WAN_IP = '203.0.113.2';
const CLIENT = '198.51.100.7';

function target(url: string): PfSenseTarget {
  return {
    id: 'fw-hq',
    vendor: 'pfsense',
    url,
    credentials: { kind: 'pfsense-api-key', apiKey: PFSENSE_SIM_API_KEY },
    timeouts: { connectMs: 1_000, requestMs: 2_000, commitMs: 2_000 },
    retry: { retries: 1, baseDelayMs: 5, maxDelayMs: 20, maxRetryAfterMs: 1_000 },
  };
}

const tcp = (destination: string, port: number): SimPacket => ({
  interface: 'wan',
  source: CLIENT,
  destination,
  protocol: 'tcp',
  port,
});

const natOps = (changes: PlanChange[]): string[] =>
  changes.filter((c) => c.kind === 'nat').map((c) => `${c.op} ${c.name}`);

describe('PfSenseConnector: destination NAT (port forwards) against the simulator', () => {
  let sim: PfSenseSimulator;
  let connector: PfSenseConnector;
  const push = (rs: RuleSet): Promise<PushOutcome> => pushRuleSet(connector, rs);
  const start = async (options: PfSenseSimulatorOptions = {}): Promise<void> => {
    sim = await startPfSenseSimulator(options);
    connector = new PfSenseConnector(target(sim.url));
  };

  afterEach(async () => {
    connector.close();
    await sim.stop();
  });

  it('first push: forwards without linked rules, admitting rules on the private target; the live state forwards exactly the published ports', async () => {
    await start();
    const rs = pfSenseNatRuleSet();
    const outcome = await push(rs);
    expect(outcome.error).toBeUndefined();
    expect(outcome.ok).toBe(true);
    expect(natOps(outcome.plan!.changes)).toEqual([
      'create utm_nat_hq_master_vpn',
      'create utm_nat_hq_master_web',
    ]);
    expect(sim.state.nat).toEqual([
      expect.objectContaining({
        interface: 'wan',
        ipprotocol: 'inet',
        protocol: 'tcp',
        source: 'any',
        destination: 'wan:ip',
        destination_port: '1194',
        target: MASTER,
        local_port: '1194',
        associated_rule_id: '',
        disabled: false,
        nordr: false,
        descr: `utm_nat_hq_master_vpn publish master hq-master at wan:1194/tcp → 10.10.0.5:1194 ${MARKER}`,
      }),
      expect.objectContaining({ destination: PUBLIC_VIP, destination_port: '8443', local_port: '443' }),
    ]);
    // No linked rules: only the connector's own rules (plus pfSense's two defaults).
    expect(sim.state.rules.filter((r) => r.associated_rule_id !== null)).toEqual([]);
    expect(sim.pendingSubsystems).toEqual([]);
    expect(sim.hasUnappliedChanges()).toBe(false);

    // What pf does with packets now (applied state).
    expect(sim.trace(tcp(WAN_IP, 1194))).toEqual({
      action: 'pass',
      destination: MASTER,
      port: 1194,
      nat: expect.stringMatching(/^utm_nat_hq_master_vpn /),
      rule: `utm_r_wan_pub_master_vpn ${MARKER}`,
    });
    expect(sim.trace(tcp(PUBLIC_VIP, 8443))).toMatchObject({
      action: 'pass',
      destination: MASTER,
      port: 443,
      rule: `utm_r_wan_pub_master_web ${MARKER}`,
    });
    // Not published: wrong address, wrong port, udp, other interface.
    expect(sim.trace(tcp(WAN_IP, 8443))).toEqual({ action: 'block', destination: WAN_IP, port: 8443 });
    expect(sim.trace(tcp(PUBLIC_VIP, 443))).toEqual({ action: 'block', destination: PUBLIC_VIP, port: 443 });
    expect(sim.trace(tcp(PUBLIC_VIP, 1194))).toMatchObject({ action: 'block' });
    expect(sim.trace({ ...tcp(WAN_IP, 1194), protocol: 'udp' })).toMatchObject({ action: 'block' });
    expect(sim.trace({ ...tcp(WAN_IP, 1194), interface: 'opt2' })).not.toHaveProperty('nat');
    // The LAN rules still work as before.
    expect(
      sim.trace({ interface: 'lan', source: '10.20.0.9', destination: MASTER, protocol: 'tcp', port: 9000 }),
    ).toMatchObject({ action: 'pass', rule: `utm_r_lan_agents_master ${MARKER}` });
  });

  it('a second push is a no-op with zero writes; the state round-trips through readState/plan (own recovery)', async () => {
    await start();
    const rs = pfSenseNatRuleSet();
    expect((await push(rs)).ok).toBe(true);
    sim.calls.reset();
    const again = await push(rs);
    expect(again.ok).toBe(true);
    expect(isPlanEmpty(again.plan!)).toBe(true);
    expect(again.apply).toBeNull();
    expect(sim.calls.writes()).toBe(0);
    const live = await connector.readState();
    expect(live.nat?.map((n) => n.name)).toEqual(['utm_nat_hq_master_vpn', 'utm_nat_hq_master_web']);
    expect(live.nat?.[0]).toMatchObject({
      externalAddress: 'interface',
      externalPorts: { from: 1194, to: 1194 },
    });
    expect(isPlanEmpty(connector.planTo(desiredFromManaged(live), live, rs.hash))).toBe(true);
  });

  it('changing the external port updates the forward in place (rules untouched); the old port stops forwarding', async () => {
    await start();
    expect((await push(pfSenseNatRuleSet())).ok).toBe(true);
    sim.calls.reset();
    const changed = pfSenseNatRuleSet({ consoleExternal: 9443 });
    const outcome = await push(changed);
    expect(outcome.ok).toBe(true);
    expect(outcome.plan!.changes.map((c) => `${c.op} ${c.kind} ${c.name}`)).toEqual([
      'update nat utm_nat_hq_master_web',
    ]);
    expect(sim.calls.lines().filter((l) => !l.startsWith('GET'))).toEqual([
      'PATCH /api/v2/firewall/nat/port_forward',
      'POST /api/v2/firewall/apply',
    ]);
    expect(sim.trace(tcp(PUBLIC_VIP, 9443))).toMatchObject({
      action: 'pass',
      destination: MASTER,
      port: 443,
    });
    expect(sim.trace(tcp(PUBLIC_VIP, 8443))).toEqual({
      action: 'block',
      destination: PUBLIC_VIP,
      port: 8443,
    });
  });

  it('removing a publication deletes its rule first, then its forward; nothing of it forwards any more', async () => {
    await start();
    expect((await push(pfSenseNatRuleSet())).ok).toBe(true);
    const outcome = await push(pfSenseNatRuleSet({ console: false }));
    expect(outcome.ok).toBe(true);
    const ops = outcome.plan!.changes.map((c) => `${c.op} ${c.kind} ${c.name}`);
    expect(ops).toEqual(['delete rule utm_r_wan_pub_master_web', 'delete nat utm_nat_hq_master_web']);
    expect(sim.state.nat.map((n) => n.descr.split(' ')[0])).toEqual(['utm_nat_hq_master_vpn']);
    expect(sim.trace(tcp(PUBLIC_VIP, 8443))).toEqual({
      action: 'block',
      destination: PUBLIC_VIP,
      port: 8443,
    });
    expect(sim.trace(tcp(WAN_IP, 1194))).toMatchObject({ action: 'pass' });
    // And a rule set without NAT at all removes every managed forward.
    expect((await push(hqRuleSet({ syslog: false, consoles: false }))).ok).toBe(true);
    expect(sim.state.nat).toEqual([]);
  });

  it('drift: a managed forward missing, changed or extra shows as a NAT plan change, and a push repairs it', async () => {
    await start();
    const rs = pfSenseNatRuleSet();
    expect((await push(rs)).ok).toBe(true);
    const state = sim.state;
    sim.guiReplace({
      ...state,
      nat: state.nat
        .filter((n) => !n.descr.startsWith('utm_nat_hq_master_vpn '))
        .map((n) => ({ ...n, local_port: '8080', associated_rule_id: 'pass' })),
    });
    sim.guiAddPortForward({
      interface: 'wan',
      protocol: 'tcp',
      source: 'any',
      destination: 'wan:ip',
      destination_port: '2222',
      target: '10.10.0.9',
      local_port: '22',
      descr: `utm_nat_old_ssh gone from the rule set ${MARKER}`,
    });
    const live = await connector.readState();
    const plan = connector.plan(rs, live);
    expect(natOps(plan.changes)).toEqual([
      'create utm_nat_hq_master_vpn',
      'update utm_nat_hq_master_web',
      'delete utm_nat_old_ssh',
    ]);
    const update = plan.changes.find((c) => c.op === 'update' && c.kind === 'nat');
    expect(update?.before).toMatchObject({
      targetPorts: { from: 8080, to: 8080 },
      attributes: { associated_rule_id: 'pass' },
    });
    expect((await push(rs)).ok).toBe(true);
    expect(sim.state.nat.map((n) => [n.descr.split(' ')[0], n.local_port, n.associated_rule_id])).toEqual([
      ['utm_nat_hq_master_web', '443', ''],
      ['utm_nat_hq_master_vpn', '1194', ''],
    ]);
    expect(isPlanEmpty(connector.plan(rs, await connector.readState()))).toBe(true);
  });

  it('own recovery: restore() puts the forwards read before a push back (compensating writes, verified)', async () => {
    await start();
    const rs = pfSenseNatRuleSet();
    expect((await push(rs)).ok).toBe(true);
    const previous = await connector.readState();
    const changed = pfSenseNatRuleSet({ consoleExternal: 9443 });
    const outcome = await push(changed);
    expect(outcome.ok).toBe(true);
    const report = await connector.restore(previous, {
      stage: 'verify',
      apply: outcome.apply!,
      ruleSetHash: changed.hash,
    });
    expect(report).toMatchObject({ status: 'restored', live: 'previous', writes: 2 });
    expect(sim.trace(tcp(PUBLIC_VIP, 8443))).toMatchObject({ action: 'pass', port: 443 });
    expect(sim.trace(tcp(PUBLIC_VIP, 9443))).toMatchObject({ action: 'block' });
  });

  it('a failed forward write leaves nothing half-made that the next push does not repair (no duplicates)', async () => {
    await start();
    sim.faults.add({
      method: 'POST',
      path: '/api/v2/firewall/nat/port_forward',
      fault: { type: 'status', status: 503 },
      skip: 1,
      times: 1,
    });
    const failed = await push(pfSenseNatRuleSet());
    expect(failed.ok).toBe(false);
    expect(failed.error).toMatchObject({ kind: 'unavailable' });
    // The rules admitting the forwards come after them in the plan: none was written.
    expect(sim.state.rules.filter((r) => r.descr.startsWith('utm_r_wan_'))).toEqual([]);
    const next = await push(pfSenseNatRuleSet());
    expect(next.ok).toBe(true);
    expect(natOps(next.plan!.changes)).toEqual(['create utm_nat_hq_master_web']);
    expect(sim.state.nat).toHaveLength(2);
    expect(sim.trace(tcp(PUBLIC_VIP, 8443))).toMatchObject({ action: 'pass' });
  });

  it('readUnmanagedNat lists the forwards people made, e.g. one exposing PostgreSQL 5432', async () => {
    await start();
    expect((await push(pfSenseNatRuleSet())).ok).toBe(true);
    sim.guiAddAlias({ name: 'db_ports', type: 'port', address: ['15432'] });
    sim.guiAddPortForward({
      interface: 'wan',
      protocol: 'tcp',
      source: 'any',
      destination: 'wan:ip',
      destination_port: 'db_ports',
      target: '10.10.0.20',
      local_port: '5432',
      descr: 'db for the vendor',
      associated_rule_id: 'pass',
    });
    sim.guiAddPortForward({
      interface: 'wan',
      protocol: 'tcp/udp',
      source: 'any',
      destination: 'any',
      destination_port: '6000:6001',
      target: '10.10.0.21',
      local_port: '7000',
      descr: 'range',
      nordr: true,
    });
    expect(await connector.readUnmanagedNat()).toEqual([
      {
        label: 'db for the vendor',
        interface: 'wan',
        enabled: true,
        protocols: ['tcp'],
        externalPorts: [{ from: 15432, to: 15432 }],
        target: '10.10.0.20',
        targetPorts: [{ from: 5432, to: 5432 }],
      },
      {
        label: 'range',
        interface: 'wan',
        enabled: false,
        protocols: ['tcp', 'udp'],
        externalPorts: [{ from: 6000, to: 6001 }],
        target: '10.10.0.21',
        targetPorts: [{ from: 7000, to: 7001 }],
      },
    ]);
    // The managed ones are not listed, and pf really forwards the people's one with no rule (rdr pass).
    expect(sim.trace(tcp(WAN_IP, 15432))).toMatchObject({
      action: 'pass',
      destination: '10.10.0.20',
      port: 5432,
    });
  });

  it('does not adopt a forward people made under a managed name (conflict, nothing written)', async () => {
    await start();
    sim.guiAddPortForward({
      interface: 'wan',
      protocol: 'tcp',
      source: 'any',
      destination: 'wan:ip',
      destination_port: '1194',
      target: '10.10.0.7',
      local_port: '1194',
      descr: 'utm_nat_hq_master_vpn made by hand',
    });
    sim.calls.reset();
    const outcome = await push(pfSenseNatRuleSet());
    expect(outcome.ok).toBe(false);
    expect(outcome.error?.kind).toBe('conflict');
    expect(sim.calls.writes()).toBe(0);
  });

  it('package v2.0.0 (no ipprotocol field) on CE 2.7.0: forwards IPv4, converges, second push no-op', async () => {
    await start({ version: '2.7.0-RELEASE', packageVersion: 'v2.0.0' });
    const rs = pfSenseNatRuleSet();
    expect((await push(rs)).ok).toBe(true);
    expect(sim.state.nat.map((n) => n.ipprotocol)).toEqual([null, null]);
    expect(sim.trace(tcp(WAN_IP, 1194))).toMatchObject({ action: 'pass', destination: MASTER });
    sim.calls.reset();
    expect(isPlanEmpty((await push(rs)).plan!)).toBe(true);
    expect(sim.calls.writes()).toBe(0);
  });

  it('before package v2.8.0 writes re-sort forwards by interface: every write re-resolves by descr and converges', async () => {
    await start({ version: '2.8.0-RELEASE', packageVersion: 'v2.5.0' });
    sim.guiAddPortForward({
      interface: 'opt2',
      protocol: 'tcp',
      source: 'any',
      destination: 'opt2:ip',
      destination_port: '80',
      target: '10.30.0.80',
      local_port: '80',
      descr: 'people on opt2',
    });
    sim.guiAddPortForward({
      interface: 'lan',
      protocol: 'tcp',
      source: 'any',
      destination: 'lan:ip',
      destination_port: '81',
      target: '192.168.1.81',
      local_port: '81',
      descr: 'people on lan',
    });
    expect((await push(pfSenseNatRuleSet())).ok).toBe(true);
    expect(sim.state.nat.map((n) => n.interface)).toEqual(['lan', 'opt2', 'wan', 'wan']);
    const outcome = await push(pfSenseNatRuleSet({ consoleExternal: 9443 }));
    expect(outcome.ok).toBe(true);
    expect(sim.state.nat.map((n) => n.descr.split(' ')[0])).toContain('people');
    expect(sim.trace(tcp(PUBLIC_VIP, 9443))).toMatchObject({ action: 'pass', port: 443 });
    expect(sim.state.nat.filter((n) => n.descr.startsWith('people')).map((n) => n.destination_port)).toEqual([
      '81',
      '80',
    ]);
  });

  it('refuses before any write: NAT with vendor semantics other than filter-after-dnat, and an unsupported package', async () => {
    await start();
    sim.calls.reset();
    const wrong = { ...pfSenseNatRuleSet(), natSemantics: 'vip-in-policy' as const };
    const outcome = await push(wrong);
    expect(outcome.ok).toBe(false);
    expect(outcome.error?.kind).toBe('validation');
    expect(outcome.error?.message).toMatch(/filter-after-dnat/);
    expect(sim.calls.writes()).toBe(0);
    connector.close();
    await sim.stop();

    await start({ packageVersion: 'v1.7.4' });
    const refused = await push(pfSenseNatRuleSet());
    expect(refused.error?.kind).toBe('validation');
    expect(sim.calls.writes()).toBe(0);
    expect(sim.state.nat).toEqual([]);
  });

  it('an API user without port forward privileges: rule sets without NAT still push; NAT is refused before any write', async () => {
    await start({
      users: [
        {
          ...PFSENSE_SIM_USER,
          deniedPaths: ['/api/v2/firewall/nat/port_forwards', '/api/v2/firewall/nat/port_forward'],
        },
      ],
    });
    const plain = hqRuleSet({ syslog: false, consoles: false });
    const ok = await push(plain);
    expect(ok.ok).toBe(true);
    expect(ok.verification?.live.warnings).toEqual([
      expect.stringContaining('api-v2-firewall-nat-port-forwards-get'),
    ]);
    sim.calls.reset();
    const refused = await push(pfSenseNatRuleSet());
    expect(refused.ok).toBe(false);
    expect(refused.error).toMatchObject({ kind: 'authentication' });
    expect(refused.error?.message).toMatch(/Nothing was written/);
    expect(sim.calls.writes()).toBe(0);
    await expect(connector.readUnmanagedNat()).rejects.toMatchObject({
      kind: 'authentication',
      message: expect.stringContaining('api-v2-firewall-nat-port-forwards-get'),
    });
  });

  it('a validation error from the device on a forward is classified and the next push converges', async () => {
    await start();
    const rs = pfSenseNatRuleSet();
    const bad: RuleSet = {
      ...rs,
      nat: rs.nat!.map((n) => (n.name === 'utm_nat_hq_master_web' ? { ...n, interface: 'opt9' } : n)),
    };
    const outcome = await push(bad);
    expect(outcome.ok).toBe(false);
    // 400 FIELD_INVALID_CHOICE from the device, with its message kept (classifyPfSense).
    expect(outcome.error?.message).toMatch(/interface/);
    expect(outcome.error?.vendorCode).toBe('FIELD_INVALID_CHOICE');
    expect((await push(rs)).ok).toBe(true);
    expect(isPlanEmpty(connector.plan(rs, await connector.readState()))).toBe(true);
  });
});
