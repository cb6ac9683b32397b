import type { RuleSet } from '@app/engine/model';
import {
  OPNSENSE_SIM_KEY,
  OPNSENSE_SIM_SECRET,
  OpnSenseSimulator,
  startOpnSenseSimulator,
  type OpnSenseSimulatorOptions,
} from '@app/simulators/opnsense';
import type { SimPacket } from '@app/simulators/core/packet-trace';
import { ConnectorError } from '../core/errors';
import { isPlanEmpty } from '../core/model';
import { pushRuleSet } from '../core/push';
import { desiredFromManaged, restoreManagedState } from '../core/restore';
import type { OpnSenseTarget } from '../core/target';
import { hqRuleSet } from '../testing/rule-sets';
import { NAT_LOGS, NAT_VPN, opnNatRuleSet, RULE_LOGS, RULE_VPN } from '../testing/opnsense-nat.fixtures';
import { OpnSenseConnector } from './opnsense.connector';

/** Destination NAT through `/api/firewall/d_nat` (26.1+), against the simulator over real HTTP. */

const MARKER = '[managed by utm-orchestrator]';

function target(url: string, extra: Partial<OpnSenseTarget> = {}): OpnSenseTarget {
  return {
    id: 'fw-hq',
    vendor: 'opnsense',
    url,
    credentials: { kind: 'opnsense-api-key', key: OPNSENSE_SIM_KEY, secret: OPNSENSE_SIM_SECRET },
    timeouts: { connectMs: 1_000, requestMs: 2_000, commitMs: 2_000 },
    retry: { retries: 1, baseDelayMs: 5, maxDelayMs: 20, maxRetryAfterMs: 1_000 },
    ...extra,
  };
}

const from = (source: string, destination: string, port: number): SimPacket => ({
  interface: 'wan',
  source,
  destination,
  protocol: 'tcp',
  port,
});
const REMOTE = '198.51.100.7';
const STRANGER = '192.0.2.99';
const WAN_IP = '203.0.113.2';
const STATIC_IP = '203.0.113.10';

function managedNat(sim: OpnSenseSimulator): Record<string, Record<string, string>> {
  return Object.fromEntries(
    sim
      .natRules()
      .filter((n) => n.descr.includes(MARKER))
      .map((n) => [n.descr.split(' ')[0], n]),
  );
}

describe('OpnSenseConnector destination NAT (d_nat, 26.1+)', () => {
  const sims: OpnSenseSimulator[] = [];
  const connectors: OpnSenseConnector[] = [];
  const start = async (
    options: OpnSenseSimulatorOptions = {},
    extra: Partial<OpnSenseTarget> = {},
  ): Promise<{ sim: OpnSenseSimulator; connector: OpnSenseConnector }> => {
    const sim = await startOpnSenseSimulator({ version: '26.1.11', ...options });
    sims.push(sim);
    const connector = new OpnSenseConnector(target(sim.url, extra));
    connectors.push(connector);
    return { sim, connector };
  };

  afterEach(async () => {
    connectors.splice(0).forEach((c) => c.close());
    await Promise.all(sims.splice(0).map((s) => s.stop()));
  });

  it('first push writes NAT + admitting rules; the live state forwards and admits exactly the published traffic', async () => {
    const { sim, connector } = await start();
    const rs = opnNatRuleSet();
    const outcome = await pushRuleSet(connector, rs);
    expect(outcome.error).toBeUndefined();
    expect(outcome.ok).toBe(true);
    const kinds = outcome.plan!.changes.filter((c) => c.kind === 'nat').map((c) => `${c.op} ${c.name}`);
    expect(kinds).toEqual([`create ${NAT_LOGS}`, `create ${NAT_VPN}`]);
    // NAT upserts come after services and before rules (core/plan.ts).
    const order = outcome.plan!.changes.map((c) => c.kind);
    expect(order.lastIndexOf('service')).toBeLessThan(order.indexOf('nat'));
    expect(order.lastIndexOf('nat')).toBeLessThan(order.indexOf('rule'));

    const nat = managedNat(sim);
    expect(Object.keys(nat).sort()).toEqual([NAT_LOGS, NAT_VPN]);
    expect(nat[NAT_VPN]).toMatchObject({
      interface: 'wan',
      ipprotocol: 'inet',
      protocol: 'tcp',
      'source.network': 'any',
      'destination.network': 'wanip',
      'destination.port': '1194',
      target: '10.10.0.5',
      'local-port': '1194',
      pass: '',
      disabled: '0',
      nordr: '0',
      descr: `${NAT_VPN} publish master hq-master at wan:1194/tcp → 10.10.0.5:1194 ${MARKER}`,
    });
    expect(nat[NAT_LOGS]).toMatchObject({
      'destination.network': '203.0.113.10',
      'destination.port': '51514-51516',
      'local-port': '1514',
    });
    expect(sim.hasUnappliedChanges()).toBe(false);

    expect(sim.trace(from(REMOTE, WAN_IP, 1194))).toEqual({
      action: 'pass',
      destination: '10.10.0.5',
      port: 1194,
      nat: nat[NAT_VPN].descr,
      rule: `${RULE_VPN} ${MARKER}`,
    });
    expect(sim.trace(from(REMOTE, STATIC_IP, 51515))).toMatchObject({
      action: 'pass',
      destination: '10.10.0.5',
      port: 1515,
      rule: `${RULE_LOGS} ${MARKER}`,
    });
    // Translated but not admitted (source outside the remote sites), not forwarded (other port/address).
    expect(sim.trace(from(STRANGER, WAN_IP, 1194))).toMatchObject({
      action: 'block',
      destination: '10.10.0.5',
    });
    expect(sim.trace(from(REMOTE, WAN_IP, 1195))).toEqual({
      action: 'block',
      destination: WAN_IP,
      port: 1195,
    });
    expect(sim.trace(from(REMOTE, STATIC_IP, 1194))).toEqual({
      action: 'block',
      destination: STATIC_IP,
      port: 1194,
    });
    expect(sim.trace(from(REMOTE, WAN_IP, 51515))).toMatchObject({ action: 'block', destination: WAN_IP });
    expect(sim.trace({ ...from(REMOTE, WAN_IP, 1194), protocol: 'udp' })).toMatchObject({ action: 'block' });

    // Second push: nothing to do, zero writes.
    sim.calls.reset();
    const again = await pushRuleSet(connector, rs);
    expect(again.error).toBeUndefined();
    expect(again.apply).toBeNull();
    expect(isPlanEmpty(again.plan!)).toBe(true);
    expect(sim.calls.writes()).toBe(0);
  });

  it('a changed external port is one NAT update (the admitting rule stays); a removed publication deletes entry and rule', async () => {
    const { sim, connector } = await start();
    expect((await pushRuleSet(connector, opnNatRuleSet())).error).toBeUndefined();
    const uuidBefore = sim.natRules().find((n) => n.descr.startsWith(NAT_VPN))!.uuid;

    const moved = opnNatRuleSet({ vpnPort: 11194 });
    const change = await pushRuleSet(connector, moved);
    expect(change.error).toBeUndefined();
    expect(change.plan!.changes.map((c) => `${c.op} ${c.kind} ${c.name}`)).toEqual([`update nat ${NAT_VPN}`]);
    expect(sim.natRules().find((n) => n.descr.startsWith(NAT_VPN))).toMatchObject({
      uuid: uuidBefore,
      'destination.port': '11194',
      'local-port': '1194',
    });
    expect(sim.trace(from(REMOTE, WAN_IP, 11194))).toMatchObject({ action: 'pass', port: 1194 });
    expect(sim.trace(from(REMOTE, WAN_IP, 1194))).toEqual({
      action: 'block',
      destination: WAN_IP,
      port: 1194,
    });

    const removed = opnNatRuleSet({ vpnPort: 11194, vpn: false });
    const del = await pushRuleSet(connector, removed);
    expect(del.error).toBeUndefined();
    const ops = del.plan!.changes.map((c) => `${c.op} ${c.kind} ${c.name}`);
    expect(ops).toEqual([
      `delete rule ${RULE_VPN}`,
      `delete nat ${NAT_VPN}`,
      'delete service utm_svc_vpn_tcp',
    ]);
    expect(Object.keys(managedNat(sim))).toEqual([NAT_LOGS]);
    expect(sim.trace(from(REMOTE, WAN_IP, 11194))).toEqual({
      action: 'block',
      destination: WAN_IP,
      port: 11194,
    });
    expect(sim.trace(from(REMOTE, STATIC_IP, 51514))).toMatchObject({ action: 'pass', port: 1514 });

    // A rule set without NAT at all removes the rest.
    const none = await pushRuleSet(connector, hqRuleSet({ vendor: 'opnsense' }));
    expect(none.error).toBeUndefined();
    expect(managedNat(sim)).toEqual({});
  });

  it('drift: a missing, a changed and an extra managed NAT entry become plan changes, and a push fixes them', async () => {
    const { sim, connector } = await start();
    const rs = opnNatRuleSet();
    expect((await pushRuleSet(connector, rs)).error).toBeUndefined();
    const byName = (name: string): string => sim.natRules().find((n) => n.descr.startsWith(name))!.uuid;
    sim.guiDeleteNat(byName(NAT_VPN));
    sim.guiEditNat(byName(NAT_LOGS), { 'local-port': '2514', pass: 'pass' });
    sim.guiAddNat({
      interface: 'wan',
      protocol: 'tcp',
      'source.network': 'any',
      'destination.network': 'wanip',
      'destination.port': '2222',
      target: '10.10.0.5',
      'local-port': '22',
      descr: `utm_nat_stale leftover ${MARKER}`,
    });
    // Someone's own forward is not ours: never in the plan.
    sim.guiAddNat({
      interface: 'wan',
      protocol: 'tcp',
      'destination.network': 'wanip',
      'destination.port': '8080',
      target: '10.20.0.9',
      descr: 'web server',
    });

    const verify = await connector.verify(rs);
    expect(verify.ok).toBe(false);
    expect(verify.plan.changes.map((c) => `${c.op} ${c.kind} ${c.name}`)).toEqual([
      `update nat ${NAT_LOGS}`,
      `create nat ${NAT_VPN}`,
      'delete nat utm_nat_stale',
    ]);
    const update = verify.plan.changes.find((c) => c.op === 'update');
    expect(update).toMatchObject({
      before: { targetPorts: { from: 2514, to: 2516 }, attributes: { pass: 'pass' } },
      after: { targetPorts: { from: 1514, to: 1516 }, attributes: { pass: '' } },
    });

    const fixed = await pushRuleSet(connector, rs);
    expect(fixed.error).toBeUndefined();
    expect((await connector.verify(rs)).ok).toBe(true);
    expect(Object.keys(managedNat(sim)).sort()).toEqual([NAT_LOGS, NAT_VPN]);
    expect(sim.natRules().some((n) => n.descr === 'web server')).toBe(true);
    expect(sim.trace(from(REMOTE, STATIC_IP, 51516))).toMatchObject({ action: 'pass', port: 1516 });
  });

  it('a prefixed forward without the marker is a conflict, nothing written', async () => {
    const { sim, connector } = await start();
    sim.guiAddNat({
      interface: 'wan',
      protocol: 'tcp',
      'destination.network': 'wanip',
      'destination.port': '1194',
      target: '10.10.0.7',
      descr: `${NAT_VPN} made by hand`,
    });
    sim.calls.reset();
    const outcome = await pushRuleSet(connector, opnNatRuleSet());
    expect(outcome.error).toMatchObject({ kind: 'conflict' });
    expect(JSON.stringify(outcome.error)).toContain(NAT_VPN);
    expect(sim.calls.writes()).toBe(0);
  });

  it('readUnmanagedNat lists forwards people made (a forward to 5432 is visible), never managed ones', async () => {
    const { sim, connector } = await start({
      seed: {
        aliases: [{ name: 'dbports', type: 'port', content: '5432' }],
        nat: [
          {
            interface: 'wan',
            protocol: 'tcp',
            'destination.network': 'wanip',
            'destination.port': '15432',
            target: '10.10.0.9',
            'local-port': '5432',
            descr: 'postgres for the vendor',
          },
          {
            interface: 'wan,opt2',
            protocol: 'tcp/udp',
            'destination.network': 'wanip',
            'destination.port': 'dbports',
            target: '10.10.0.10',
            disabled: '1',
            descr: 'alias forward',
          },
          {
            interface: 'wan',
            protocol: 'tcp',
            'destination.port': '22',
            nordr: '1',
            descr: 'no rdr for ssh',
          },
        ],
      },
    });
    expect((await pushRuleSet(connector, opnNatRuleSet())).error).toBeUndefined();
    // The seeded forward is live (translated to the database port; the filter decides the rest).
    expect(sim.trace(from(STRANGER, WAN_IP, 15432))).toMatchObject({ destination: '10.10.0.9', port: 5432 });
    const unmanaged = await connector.readUnmanagedNat();
    expect(unmanaged).toEqual([
      {
        label: 'postgres for the vendor',
        interface: 'wan',
        enabled: true,
        protocols: ['tcp'],
        externalPorts: [{ from: 15432, to: 15432 }],
        target: '10.10.0.9',
        targetPorts: [{ from: 5432, to: 5432 }],
      },
      {
        label: 'alias forward',
        interface: 'wan,opt2',
        enabled: false,
        protocols: ['tcp', 'udp'],
        externalPorts: [{ from: 5432, to: 5432 }],
        target: '10.10.0.10',
        targetPorts: null,
      },
    ]);
  });

  it('before 26.1 a rule set WITH NAT is refused before any write; one without NAT still deploys', async () => {
    const { sim, connector } = await start({ version: '25.7.5' });
    sim.calls.reset();
    const refused = await pushRuleSet(connector, opnNatRuleSet());
    expect(refused.ok).toBe(false);
    expect(refused.error).toMatchObject({
      kind: 'validation',
      details: { code: 'nat_unsupported', version: '25.7.5' },
    });
    expect(refused.error!.message).toContain('OPNsense 25.7.5 has no destination NAT API');
    expect(refused.error!.message).toContain('26.1');
    expect(refused.error!.message).toContain('nothing was written');
    expect(sim.calls.writes()).toBe(0);
    // It never even asked for d_nat (known version).
    expect(sim.calls.lines().some((l) => l.includes('d_nat'))).toBe(false);

    const plain = await pushRuleSet(connector, hqRuleSet({ vendor: 'opnsense' }));
    expect(plain.error).toBeUndefined();
    expect((await connector.verify(hqRuleSet({ vendor: 'opnsense' }))).ok).toBe(true);
    // 25.7.5 has forwards but no API to read them: unchecked, not "none".
    expect(await connector.readUnmanagedNat()).toBeNull();

    // A stored plan with NAT changes is refused by apply() too, before its first write.
    const nat26 = await start({ version: '26.1.11' });
    const live = await nat26.connector.readState();
    const plan = nat26.connector.plan(opnNatRuleSet(), live);
    await connector.readState();
    const stored = { ...plan, deviceKey: connector.settings.deviceKey };
    sim.calls.reset();
    const applied = await connector.apply(stored);
    expect(applied.ok).toBe(false);
    expect(applied.error).toMatchObject({ kind: 'validation', details: { code: 'nat_unsupported' } });
    expect(applied.writes).toBe(0);
    expect(sim.calls.writes()).toBe(0);
    // Refused before anything ran: the device is not left marked as holding uncommitted writes.
    expect((await connector.readState()).pendingCommit).toBe(false);
    expect((await connector.pending.read()).uncommitted).toBe(false);
  });

  it('a key without the NAT privilege: rule sets without NAT deploy (warning), NAT is refused before writing', async () => {
    const { sim, connector } = await start({
      keys: [
        {
          key: OPNSENSE_SIM_KEY,
          secret: OPNSENSE_SIM_SECRET,
          privileges: ['page-filter-api', 'page-firewall-alias-edit', 'page-system-firmware'],
        },
      ],
    });
    const plain = await pushRuleSet(connector, hqRuleSet({ vendor: 'opnsense' }));
    expect(plain.error).toBeUndefined();
    expect((await connector.readState()).warnings.join(' ')).toContain('may not read destination NAT');
    sim.calls.reset();
    const refused = await pushRuleSet(connector, opnNatRuleSet());
    expect(refused.error).toMatchObject({
      kind: 'validation',
      details: { code: 'nat_unsupported', access: 'forbidden' },
    });
    expect(sim.calls.writes()).toBe(0);
    // Its forwards exist but may not be read: the exposure check is incomplete, not empty.
    expect(await connector.readUnmanagedNat()).toBeNull();
  });

  it('own recovery round-trips NAT: the state read before a push is planned back, NAT entries included', async () => {
    const { sim, connector } = await start();
    const rs = opnNatRuleSet();
    expect((await pushRuleSet(connector, rs)).error).toBeUndefined();
    const before = await connector.readState();
    expect(before.nat?.map((n) => n.name).sort()).toEqual([NAT_LOGS, NAT_VPN]);
    expect(isPlanEmpty(connector.planTo(desiredFromManaged(before), before, rs.hash))).toBe(true);

    expect(
      (await pushRuleSet(connector, opnNatRuleSet({ vpnPort: 4444, logs: false }))).error,
    ).toBeUndefined();
    const report = await restoreManagedState(connector, before, rs.hash);
    expect(report).toMatchObject({ status: 'restored', live: 'previous' });
    expect(report.actions.join(' ')).toContain(`update nat ${NAT_VPN}`);
    expect(report.actions.join(' ')).toContain(`create nat ${NAT_LOGS}`);
    expect((await connector.verify(rs)).ok).toBe(true);
    expect(sim.trace(from(REMOTE, WAN_IP, 1194))).toMatchObject({ action: 'pass', port: 1194 });
  });

  it('a failed verification after apply is undone by the own recovery, NAT entries included', async () => {
    const { sim, connector } = await start();
    const before = opnNatRuleSet({ logs: false });
    expect((await pushRuleSet(connector, before)).error).toBeUndefined();
    // Someone edits the new forward right after the reload (one time): the re-read no longer matches.
    sim.afterApply = (s) => {
      s.afterApply = null;
      const logs = s.natRules().find((n) => n.descr.startsWith(NAT_LOGS));
      if (logs) s.guiEditNat(logs.uuid, { 'local-port': '9999' });
    };
    const outcome = await pushRuleSet(connector, opnNatRuleSet({ vpnPort: 2194 }));
    expect(outcome.ok).toBe(false);
    expect(outcome.error?.message).toContain(`nat ${NAT_LOGS}`);
    expect(outcome.restore).toMatchObject({ status: 'restored', live: 'previous' });
    expect((await connector.verify(before)).ok).toBe(true);
    expect(Object.keys(managedNat(sim))).toEqual([NAT_VPN]);
    expect(sim.trace(from(REMOTE, WAN_IP, 1194))).toMatchObject({ action: 'pass', port: 1194 });
    expect(sim.trace(from(REMOTE, WAN_IP, 2194))).toMatchObject({ action: 'block', destination: WAN_IP });
  });

  it('26.7 (no savepoints, lower-case protocols) takes the same NAT push; a NAT-only change applies once', async () => {
    const { sim, connector } = await start({ version: '26.7.2' });
    expect((await pushRuleSet(connector, opnNatRuleSet())).error).toBeUndefined();
    sim.calls.reset();
    const change = await pushRuleSet(connector, opnNatRuleSet({ vpnPort: 2194 }));
    expect(change.error).toBeUndefined();
    const posts = sim.calls.lines().filter((l) => l.startsWith('POST'));
    expect(posts.map((l) => l.replace(/[0-9a-f-]{36}/, '{uuid}'))).toEqual([
      'POST /api/firewall/d_nat/setRule/{uuid}',
      // filter reload regenerates rdr rules too: no d_nat/apply; no alias written, so no reconfigure.
      'POST /api/firewall/filter/apply',
    ]);
    expect(sim.trace(from(REMOTE, WAN_IP, 2194))).toMatchObject({ action: 'pass', port: 1194 });
  });

  it('refuses NAT entries the d_nat model cannot hold, before reading further', async () => {
    const { connector } = await start();
    const rs = opnNatRuleSet();
    const bad: RuleSet = {
      ...rs,
      nat: rs.nat!.map((n) => (n.name === NAT_LOGS ? { ...n, targetPorts: { from: 1514, to: 1514 } } : n)),
    };
    const live = await connector.readState();
    let error: unknown;
    try {
      connector.plan(bad, live);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConnectorError);
    expect((error as ConnectorError).message).toContain('external and target port ranges differ in length');

    const vip: RuleSet = { ...rs, natSemantics: 'vip-in-policy' };
    expect(() => connector.plan(vip, live)).toThrow(/OPNsense filters after rdr/);
    const dangling: RuleSet = { ...rs, nat: rs.nat!.filter((n) => n.name !== NAT_LOGS) };
    expect(() => connector.plan(dangling, live)).toThrow(`rule ${RULE_LOGS} admits NAT entry ${NAT_LOGS}`);
  });
});
