import type { RuleSet } from '@app/engine/model';
import type { SimPacket } from '@app/simulators/core/packet-trace';
import {
  FORTIOS_SIM_TOKEN,
  FortiOsSimulator,
  startFortiOsSimulator,
  type FortiOsSimulatorOptions,
} from '@app/simulators/fortios/simulator';
import { text, type Row } from '@app/simulators/fortios/tables';
import { isPlanEmpty } from '../core/model';
import { pushRuleSet, type PushOutcome } from '../core/push';
import type { FortiOsTarget } from '../core/target';
import { fortiNatRuleSet, MASTER_IP, PUBLIC_IP, WAN, WAN_IP } from '../testing/fortios-nat.fixtures';
import { resolveSettings } from '../core/target';
import { FortiOsConnector, type FortiOsConnectorOptions } from './fortios.connector';
import { desiredFromRuleSet } from './mapping';

const MARKER = '[managed by utm-orchestrator]';

function target(url: string): FortiOsTarget {
  return {
    id: 'fw-hq',
    vendor: 'fortios',
    url,
    credentials: { kind: 'fortios-token', token: FORTIOS_SIM_TOKEN },
    timeouts: { connectMs: 1_000, requestMs: 2_000, commitMs: 2_000 },
    retry: { retries: 2, baseDelayMs: 5, maxDelayMs: 20, maxRetryAfterMs: 2_000 },
  };
}

const SIM_OPTIONS: FortiOsSimulatorOptions = { interfaceAddresses: { [WAN]: `${WAN_IP}/24` } };

const fromInternet = (over: Partial<SimPacket>): SimPacket => ({
  interface: WAN,
  source: '203.0.113.7',
  destination: PUBLIC_IP,
  protocol: 'tcp',
  port: 1194,
  ...over,
});

const vipNames = (sim: FortiOsSimulator): string[] =>
  sim
    .table('firewall/vip')
    .map((r) => text(r.name))
    .sort();

describe('FortiOS NAT mapping: what a rule set with NAT entries must hold for vip-in-policy', () => {
  const settings = resolveSettings(target('http://127.0.0.1:1'));
  const problemsOf = (rs: RuleSet): string[] => {
    try {
      desiredFromRuleSet(rs, settings);
      return [];
    } catch (err) {
      return (err as { details?: { problems?: string[] } }).details?.problems ?? ['no problems listed'];
    }
  };

  it('maps entries to managed NAT with the marker, and reads back the interface address as `interface`', () => {
    const desired = desiredFromRuleSet(fortiNatRuleSet(), settings);
    expect(
      desired.nat?.map((n) => [n.name, n.externalAddress, n.externalPorts.from, n.targetPorts.from]),
    ).toEqual([
      ['utm_nat_master_vpn', PUBLIC_IP, 1194, 1194],
      ['utm_nat_master_syslog', 'interface', 10514, 514],
    ]);
    expect(desired.nat?.every((n) => n.description.endsWith(MARKER))).toBe(true);
    expect(desiredFromRuleSet(fortiNatRuleSet({ withoutNat: true }), settings).nat).toBeUndefined();
  });

  it('refuses a policy not naming its VIP, on another interface, IPv6, bad addresses, unequal port ranges, name clashes', () => {
    const rs = fortiNatRuleSet({ syslog: false });
    const nat = rs.nat![0];
    const r = rs.rules.find((x) => x.nat === nat.name)!;
    const withRule = (over: Partial<typeof r>): RuleSet => ({
      ...rs,
      rules: rs.rules.map((x) => (x === r ? { ...x, ...over } : x)),
    });
    const withNat = (over: Partial<typeof nat>): RuleSet => ({ ...rs, nat: [{ ...nat, ...over }] });
    expect(problemsOf(rs)).toEqual([]);
    expect(problemsOf(withRule({ destination: 'utm_hq_master' }))).toEqual([
      expect.stringContaining('its destination is utm_hq_master'),
    ]);
    expect(problemsOf(withRule({ ingress: 'port2' }))).toEqual([
      expect.stringContaining('not its interface port1'),
    ]);
    expect(problemsOf(withRule({ nat: 'utm_nat_none' }))).toEqual([
      expect.stringContaining('that the rule set does not have'),
    ]);
    expect(problemsOf(withNat({ externalAddress: '2001:db8::1' }))).toEqual([
      expect.stringContaining('not an IPv4 host address'),
    ]);
    expect(problemsOf(withNat({ target: '10.10.0.0/24' }))).toEqual([expect.stringContaining('target')]);
    expect(problemsOf(withNat({ targetPorts: { from: 1194, to: 1195 } }))).toEqual([
      expect.stringContaining('differ in length'),
    ]);
    expect(problemsOf(withNat({ interface: 'any' }))).toEqual(
      expect.arrayContaining([expect.stringContaining('needs its external interface')]),
    );
    expect(problemsOf({ ...rs, natSemantics: undefined })).toEqual([
      expect.stringContaining('vip-in-policy'),
    ]);
    const clash = { ...rs, addresses: [...rs.addresses, { ...rs.addresses[0], name: nat.name }] };
    expect(problemsOf(clash)).toEqual([expect.stringContaining('has the name of an address object')]);
  });
});

describe('FortiOS connector: NAT entries as VIPs (real HTTP against the simulator)', () => {
  let sim: FortiOsSimulator;
  let connector: FortiOsConnector;

  async function start(
    options: FortiOsSimulatorOptions = {},
    connectorOptions: FortiOsConnectorOptions = {},
  ): Promise<void> {
    sim = await startFortiOsSimulator({ ...SIM_OPTIONS, ...options });
    connector = new FortiOsConnector(target(sim.url), connectorOptions);
  }

  const push = (rs: RuleSet): Promise<PushOutcome> => pushRuleSet(connector, rs);

  afterEach(async () => {
    connector.close();
    await sim.stop();
  });

  /** What the live state does with the traffic the rule set is about. */
  function expectForwards(externalPort: number): void {
    expect(sim.trace(fromInternet({ port: externalPort }))).toEqual({
      action: 'pass',
      destination: MASTER_IP,
      port: 1194,
      nat: 'utm_nat_master_vpn',
      rule: 'utm_r_wan_master_vpn',
    });
    // The interface's own address, udp 10514 → 514.
    expect(sim.trace(fromInternet({ destination: WAN_IP, protocol: 'udp', port: 10514 }))).toEqual({
      action: 'pass',
      destination: MASTER_IP,
      port: 514,
      nat: 'utm_nat_master_syslog',
      rule: 'utm_r_wan_master_syslog',
    });
    // Nothing else is forwarded or admitted from the internet.
    for (const p of [
      fromInternet({ port: 22 }),
      fromInternet({ port: externalPort, protocol: 'udp' }),
      fromInternet({ protocol: 'udp', port: 10514 }),
      fromInternet({ destination: WAN_IP, port: externalPort }),
      fromInternet({ destination: MASTER_IP, port: 1194 }),
      fromInternet({ interface: 'port2', port: externalPort }),
    ]) {
      expect({ p, action: sim.trace(p).action }).toEqual({ p, action: 'block' });
    }
    if (externalPort !== 1194) expect(sim.trace(fromInternet({ port: 1194 })).action).toBe('block');
    // The plain rule still works.
    expect(
      sim.trace({
        interface: 'port2',
        source: '10.20.0.9',
        destination: MASTER_IP,
        protocol: 'tcp',
        port: 9000,
      }),
    ).toMatchObject({ action: 'pass', rule: 'utm_r_lan_agents_master' });
  }

  it('first push creates the VIPs before the policies naming them, in one transaction; the live state forwards exactly what it should', async () => {
    await start();
    const outcome = await push(fortiNatRuleSet());
    expect(outcome.error).toBeUndefined();
    expect(outcome.ok).toBe(true);
    const changes = outcome.plan!.changes.map((c) => `${c.op}:${c.kind}:${c.name}`);
    const vip = changes.indexOf('create:nat:utm_nat_master_vpn');
    expect(vip).toBeGreaterThan(changes.indexOf('create:service:utm_svc_openvpn'));
    expect(vip).toBeLessThan(changes.indexOf('create:rule:utm_r_wan_master_vpn'));
    expect(vipNames(sim)).toEqual(['utm_nat_master_syslog', 'utm_nat_master_vpn']);
    const vpn = sim.table('firewall/vip').find((r) => r.name === 'utm_nat_master_vpn')!;
    expect(vpn).toMatchObject({
      type: 'static-nat',
      extintf: WAN,
      extip: PUBLIC_IP,
      mappedip: [{ range: MASTER_IP }],
      portforward: 'enable',
      protocol: 'tcp',
      extport: '1194',
      mappedport: '1194',
      status: 'enable',
    });
    expect(text(vpn.comment)).toContain(MARKER);
    expect(sim.table('firewall/vip').find((r) => r.name === 'utm_nat_master_syslog')).toMatchObject({
      extip: '0.0.0.0',
      protocol: 'udp',
      extport: '10514',
      mappedport: '514',
    });
    // The policy names the VIP and reads back as such.
    const policy = sim.policies().find((p) => p.name === 'utm_r_wan_master_vpn')!;
    expect(policy.dstaddr).toEqual([{ name: 'utm_nat_master_vpn' }]);
    expect(policy.service).toEqual([{ name: 'utm_svc_openvpn' }]);
    const live = await connector.readState();
    expect(live.rules.find((r) => r.name === 'utm_r_wan_master_vpn')?.destination).toBe('utm_nat_master_vpn');
    expect(live.nat?.map((n) => n.name)).toEqual(['utm_nat_master_syslog', 'utm_nat_master_vpn']);
    expect(live.nat?.find((n) => n.name === 'utm_nat_master_syslog')?.externalAddress).toBe('interface');
    // One transaction: start + commit (the probe's own two are separate and counted once per device).
    expect(sim.openTransactions()).toEqual([]);
    expectForwards(1194);
  });

  it('a second push is a no-op with zero writes', async () => {
    await start();
    expect((await push(fortiNatRuleSet())).ok).toBe(true);
    sim.calls.reset();
    const again = await push(fortiNatRuleSet());
    expect(again.ok).toBe(true);
    expect(isPlanEmpty(again.plan!)).toBe(true);
    expect(sim.calls.writes()).toBe(0);
    expect((await connector.verify(fortiNatRuleSet())).ok).toBe(true);
  });

  it('a new external port updates only the VIP (the policy service is the mapped port and stays)', async () => {
    await start();
    expect((await push(fortiNatRuleSet())).ok).toBe(true);
    const changed = await push(fortiNatRuleSet({ externalPort: 11194 }));
    expect(changed.ok).toBe(true);
    expect(changed.plan!.changes.map((c) => `${c.op}:${c.kind}:${c.name}`)).toEqual([
      'update:nat:utm_nat_master_vpn',
    ]);
    expect(sim.table('firewall/vip').find((r) => r.name === 'utm_nat_master_vpn')?.extport).toBe('11194');
    expectForwards(11194);
  });

  it('removing the NAT entries deletes their policies first, then the VIPs', async () => {
    await start();
    expect((await push(fortiNatRuleSet())).ok).toBe(true);
    const removed = await push(fortiNatRuleSet({ withoutNat: true }));
    expect(removed.error).toBeUndefined();
    const changes = removed.plan!.changes.map((c) => `${c.op}:${c.kind}:${c.name}`);
    expect(changes.indexOf('delete:rule:utm_r_wan_master_vpn')).toBeLessThan(
      changes.indexOf('delete:nat:utm_nat_master_vpn'),
    );
    expect(vipNames(sim)).toEqual([]);
    expect(sim.policies().map((p) => text(p.name))).toEqual(['utm_r_lan_agents_master']);
    expect(sim.trace(fromInternet({}))).toEqual({ action: 'block', destination: PUBLIC_IP, port: 1194 });
    expect(sim.calls.count({ method: 'DELETE', path: /firewall\/vip\// })).toBe(2);
  });

  describe('drift', () => {
    beforeEach(async () => {
      await start();
      expect((await push(fortiNatRuleSet())).ok).toBe(true);
    });

    const planned = async (): Promise<string[]> =>
      connector
        .plan(fortiNatRuleSet(), await connector.readState())
        .changes.map((c) => `${c.op}:${c.kind}:${c.name}`);

    it('a managed VIP someone changed is planned back, and the next push restores it', async () => {
      sim.guiEdit('firewall/vip', 'utm_nat_master_vpn', {
        mappedip: [{ range: '10.10.0.99' }],
        extport: '2222',
      });
      expect(await planned()).toEqual(['update:nat:utm_nat_master_vpn']);
      sim.guiEdit('firewall/vip', 'utm_nat_master_syslog', { portforward: 'disable' });
      expect(await planned()).toEqual(['update:nat:utm_nat_master_syslog', 'update:nat:utm_nat_master_vpn']);
      expect((await push(fortiNatRuleSet())).ok).toBe(true);
      expectForwards(1194);
    });

    it('a disabled managed VIP (status, 7.0+) is planned back', async () => {
      sim.guiEdit('firewall/vip', 'utm_nat_master_vpn', { status: 'disable' });
      expect(sim.trace(fromInternet({})).action).toBe('block');
      expect(await planned()).toEqual(['update:nat:utm_nat_master_vpn']);
      expect((await push(fortiNatRuleSet())).ok).toBe(true);
      expectForwards(1194);
    });

    it('a missing managed VIP (and its policy) is planned for creation', async () => {
      const state = sim.state;
      const root = state.vdoms.root;
      root['firewall/policy'] = root['firewall/policy'].filter((p: Row) => p.name !== 'utm_r_wan_master_vpn');
      root['firewall/vip'] = root['firewall/vip'].filter((v: Row) => v.name !== 'utm_nat_master_vpn');
      sim.guiReplace(state);
      // Plus the reorder that puts the re-created policy back in its slot.
      expect(await planned()).toEqual([
        'create:nat:utm_nat_master_vpn',
        'create:rule:utm_r_wan_master_vpn',
        'reorder:order:policy',
      ]);
      expect((await push(fortiNatRuleSet())).ok).toBe(true);
      expectForwards(1194);
    });

    it('an extra managed VIP is planned for deletion; an unmarked one with our prefix is left alone', async () => {
      sim.guiAdd('firewall/vip', {
        name: 'utm_nat_stale',
        extintf: WAN,
        extip: PUBLIC_IP,
        mappedip: [{ range: '10.10.0.7' }],
        portforward: 'enable',
        protocol: 'tcp',
        extport: '8443',
        mappedport: '443',
        comment: `old ${MARKER}`,
      });
      sim.guiAdd('firewall/vip', {
        name: 'utm_nat_someone',
        extip: PUBLIC_IP,
        mappedip: [{ range: '10.10.0.8' }],
        comment: 'made by hand',
      });
      expect(await planned()).toEqual(['delete:nat:utm_nat_stale']);
      expect((await connector.readState()).foreign.nat).toEqual(['utm_nat_someone']);
      expect((await push(fortiNatRuleSet())).ok).toBe(true);
      expect(vipNames(sim)).toEqual(['utm_nat_master_syslog', 'utm_nat_master_vpn', 'utm_nat_someone']);
    });
  });

  it('an unmarked VIP holding a desired name is a conflict, refused before any write', async () => {
    await start();
    sim.guiAdd('firewall/vip', {
      name: 'utm_nat_master_vpn',
      extip: PUBLIC_IP,
      mappedip: [{ range: '10.10.0.8' }],
      comment: 'made by hand',
    });
    sim.calls.reset();
    const outcome = await push(fortiNatRuleSet());
    expect(outcome.ok).toBe(false);
    expect(outcome.error?.message).toMatch(/utm_nat_master_vpn/);
    expect(sim.calls.writes()).toBe(0);
  });

  it('readUnmanagedNat lists forwards people made: a VIP to 5432 used by a policy is an enabled forward', async () => {
    await start();
    expect((await push(fortiNatRuleSet())).ok).toBe(true);
    sim.guiAdd('firewall/vip', {
      name: 'db-forward',
      extintf: WAN,
      extip: PUBLIC_IP,
      mappedip: [{ range: '10.10.0.9' }],
      portforward: 'enable',
      protocol: 'tcp',
      extport: '15432',
      mappedport: '5432',
      comment: 'temporary db access',
    });
    sim.guiAdd('firewall/vip', {
      name: 'unused-one-to-one',
      extip: '198.51.100.20',
      mappedip: [{ range: '10.10.0.10' }],
    });
    sim.guiAdd('firewall/policy', {
      name: 'db-in',
      srcintf: [{ name: WAN }],
      dstintf: [{ name: 'port3' }],
      srcaddr: [{ name: 'all' }],
      dstaddr: [{ name: 'db-forward' }],
      service: [{ name: 'ALL' }],
      action: 'accept',
      schedule: 'always',
    });
    const unmanaged = await connector.readUnmanagedNat();
    expect(unmanaged).toEqual([
      {
        label: 'temporary db access',
        interface: WAN,
        enabled: true,
        protocols: ['tcp'],
        externalPorts: [{ from: 15432, to: 15432 }],
        target: '10.10.0.9',
        targetPorts: [{ from: 5432, to: 5432 }],
      },
      {
        label: 'unused-one-to-one',
        interface: 'any',
        enabled: false,
        protocols: null,
        externalPorts: null,
        target: '10.10.0.10',
        targetPorts: null,
      },
    ]);
    // And the simulator agrees the first one really forwards 5432.
    expect(sim.trace(fromInternet({ port: 15432 }))).toMatchObject({ action: 'pass', port: 5432 });
  });

  describe('firmware versions', () => {
    it('6.4 (VIP without `status`, ANS v_range v7.0.0+) pushes NAT without the field and converges', async () => {
      await start({ version: 'v6.4.15' });
      const outcome = await push(fortiNatRuleSet());
      expect(outcome.error).toBeUndefined();
      expect(sim.ignoredAttributes).toEqual([]);
      expect(sim.table('firewall/vip')[0].status).toBeUndefined();
      expect((await push(fortiNatRuleSet())).plan!.changes).toEqual([]);
      expectForwards(1194);
    });

    it('6.2 (outside 6.4-7.6) is refused before any write, NAT or not', async () => {
      await start({ version: 'v6.2.16' });
      sim.calls.reset();
      const outcome = await push(fortiNatRuleSet());
      expect(outcome.ok).toBe(false);
      expect(outcome.error).toMatchObject({ kind: 'validation' });
      expect(outcome.error?.message).toMatch(/6\.2\.16/);
      expect(sim.calls.writes()).toBe(0);
    });

    it('a rule set computed for filter-after-dnat (policy to the private address) is refused before any write', async () => {
      await start();
      sim.calls.reset();
      const outcome = await push(fortiNatRuleSet({ natSemantics: 'filter-after-dnat' }));
      expect(outcome.ok).toBe(false);
      expect(outcome.error).toMatchObject({ kind: 'validation' });
      expect(outcome.error?.message).toMatch(/vip-in-policy/);
      expect(sim.calls.writes()).toBe(0);
      expect(vipNames(sim)).toEqual([]);
    });
  });

  describe('central NAT (VIPs are not named in policies there)', () => {
    for (const settings of [{ 'central-nat': 'enable' as const }, { 'ngfw-mode': 'policy-based' as const }]) {
      it(`${JSON.stringify(settings)}: a rule set with NAT is refused before any write; one without still pushes`, async () => {
        await start({ systemSettings: settings });
        sim.calls.reset();
        const refused = await push(fortiNatRuleSet());
        expect(refused.ok).toBe(false);
        expect(refused.error).toMatchObject({ kind: 'validation', details: { code: 'central_nat' } });
        expect(refused.error?.message).toMatch(/central NAT.*Nothing was written/);
        expect(sim.calls.writes()).toBe(0);
        expect((await push(fortiNatRuleSet({ withoutNat: true }))).ok).toBe(true);
      });
    }

    it('switched on after a NAT push: the next push with NAT is refused, nothing changes', async () => {
      await start();
      expect((await push(fortiNatRuleSet())).ok).toBe(true);
      sim.guiSettings({ 'central-nat': 'enable' });
      sim.calls.reset();
      expect((await push(fortiNatRuleSet({ externalPort: 11194 }))).error).toMatchObject({
        kind: 'validation',
      });
      expect(sim.calls.writes()).toBe(0);
    });
  });

  describe('transactions and fallback cover VIP writes', () => {
    it('a push failing after the VIPs were staged leaves no VIP on the device (the transaction is aborted)', async () => {
      await start();
      sim.faults.add({
        method: 'POST',
        path: '/api/v2/cmdb/firewall/policy',
        fault: { type: 'status', status: 500 },
        times: 1,
      });
      const failed = await push(fortiNatRuleSet());
      expect(failed.ok).toBe(false);
      expect(vipNames(sim)).toEqual([]);
      expect(sim.openTransactions()).toEqual([]);
      expect(failed.restore).toMatchObject({ status: 'not_needed', writes: 0 });
    });

    it('direct mode: a half-done push is undone by the own recovery, VIPs included', async () => {
      await start({}, { transactions: 'never' });
      expect((await push(fortiNatRuleSet({ syslog: false, withoutNat: true }))).ok).toBe(true);
      sim.faults.add({
        method: 'POST',
        path: '/api/v2/cmdb/firewall/policy',
        fault: { type: 'status', status: 500 },
        times: 1,
      });
      const failed = await push(fortiNatRuleSet());
      expect(failed.ok).toBe(false);
      expect(failed.restore).toMatchObject({ status: 'restored', live: 'previous' });
      expect(vipNames(sim)).toEqual([]);
      expect((await connector.verify(fortiNatRuleSet({ withoutNat: true }))).ok).toBe(true);
      // And the next push converges.
      expect((await push(fortiNatRuleSet())).ok).toBe(true);
      expectForwards(1194);
    });
  });
});
