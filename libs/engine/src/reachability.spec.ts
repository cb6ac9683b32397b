import { builtinFlows } from '@app/catalog';
import { computeRuleSets } from './compute';
import { EngineInputError } from './inventory-index';
import type { RuleSet } from './model';
import { traceReachability } from './reachability';
import { handCheckedInventory } from './testing/hand-checked.fixture';

const inventory = handCheckedInventory('utmstack-v9');
const flows = builtinFlows();
const ruleSets = computeRuleSets(inventory, flows);

describe('traceReachability', () => {
  it('lists the flows, both firewalls on the path and the rules that allow the traffic', () => {
    const result = traceReachability(inventory, flows, ruleSets, 'br1-legacy', 'hq-master');
    expect(result.catalogVersion).toBe('utmstack-v9');
    expect(result.flows.map((f) => f.flowId)).toEqual([
      'v9-agent-hids',
      'v9-agent-hids-api',
      'v9-agent-logs',
      'v9-agent-manager',
    ]);
    const agentPorts = [
      { from: 1514, to: 1516 },
      { from: 5044, to: 5044 },
      { from: 9000, to: 9000 },
      { from: 55000, to: 55000 },
    ];
    expect(result.checked).toEqual([{ protocol: 'tcp', ports: agentPorts }]);
    expect(result.hops).toEqual([
      {
        deviceId: 'br1-fw',
        deviceName: 'br1-fw',
        vendor: 'fortios',
        family: 4,
        ingress: 'port2',
        egress: 'port1',
        sourceCidrs: ['10.2.10.30/32'],
        destinationCidrs: ['10.1.10.5/32'],
        rules: [
          {
            deviceId: 'br1-fw',
            ruleName: 'utm_agent_to_master_e20b30_tcp',
            protocol: 'tcp',
            ports: agentPorts,
            complete: true,
          },
        ],
        missing: [],
      },
      {
        deviceId: 'hq-fw',
        deviceName: 'hq-fw',
        vendor: 'pfsense',
        family: 4,
        ingress: 'wan',
        egress: 'opt1',
        sourceCidrs: ['10.2.10.30/32'],
        destinationCidrs: ['10.1.10.5/32'],
        rules: [
          {
            deviceId: 'hq-fw',
            ruleName: 'utm_agent_to_master_10ed2d_tcp',
            protocol: 'tcp',
            ports: agentPorts,
            complete: true,
          },
        ],
        missing: [],
      },
    ]);
    expect(result.allowed).toBe(true);
  });

  it('narrows to one port and answers "is it open?" for ports no flow needs', () => {
    const manager = traceReachability(inventory, flows, ruleSets, 'br1-legacy', 'hq-master', {
      protocol: 'tcp',
      port: 9000,
    });
    expect(manager.flows.map((f) => f.flowId)).toEqual(['v9-agent-manager']);
    expect(manager.checked).toEqual([{ protocol: 'tcp', ports: [{ from: 9000, to: 9000 }] }]);
    expect(manager.allowed).toBe(true);

    const postgres = traceReachability(inventory, flows, ruleSets, 'br1-legacy', 'hq-master', {
      protocol: 'tcp',
      port: 5432,
    });
    expect(postgres.flows).toEqual([]);
    expect(postgres.hops.map((h) => [h.deviceId, h.rules, h.missing])).toEqual([
      ['br1-fw', [], [{ protocol: 'tcp', ports: [{ from: 5432, to: 5432 }] }]],
      ['hq-fw', [], [{ protocol: 'tcp', ports: [{ from: 5432, to: 5432 }] }]],
    ]);
    expect(postgres.allowed).toBe(false);
  });

  it('reports what is missing when a device does not have its rules', () => {
    const stale: RuleSet[] = ruleSets.map((r) =>
      r.deviceId === 'hq-fw'
        ? { ...r, rules: r.rules.filter((x) => !x.sourceNodeIds.includes('br1-legacy')) }
        : r,
    );
    const result = traceReachability(inventory, flows, stale, 'br1-legacy', 'hq-master');
    expect(result.hops.map((h) => [h.deviceId, h.missing.length])).toEqual([
      ['br1-fw', 0],
      ['hq-fw', 1],
    ]);
    expect(result.hops[1].missing).toEqual(result.checked);
    expect(result.allowed).toBe(false);
  });

  it('shows a merged rule as complete for each of its sources, per address family', () => {
    const result = traceReachability(inventory, flows, ruleSets, 'analysts', 'hq-master');
    expect(
      result.hops.map((h) => [h.deviceId, h.family, h.ingress, h.egress, h.rules.map((r) => r.ruleName)]),
    ).toEqual([
      ['hq-fw', 4, 'wan', 'opt1', ['utm_console_to_master_60d302_tcp']],
      ['hq-fw', 6, 'wan', 'opt1', ['utm_console_to_master_5b59f2_tcp6']],
    ]);
    expect(result.hops.every((h) => h.rules.every((r) => r.complete))).toBe(true);
    expect(result.allowed).toBe(true);
  });

  it('finds no firewall inside one zone, and nothing required in the reverse direction', () => {
    const sameZone = traceReachability(inventory, flows, ruleSets, 'hq-srv-agents', 'hq-master');
    expect(sameZone.flows.length).toBe(4);
    expect(sameZone.hops).toEqual([]);
    expect(sameZone.allowed).toBe(true);

    const reverse = traceReachability(inventory, flows, ruleSets, 'hq-master', 'br1-legacy');
    expect(reverse.flows).toEqual([]);
    expect(reverse.checked).toEqual([]);
    expect(reverse.hops.map((h) => [h.deviceId, h.ingress, h.egress, h.rules])).toEqual([
      ['br1-fw', 'port1', 'port2', []],
      ['hq-fw', 'opt1', 'wan', []],
    ]);
    expect(reverse.allowed).toBe(false);
  });

  it('rejects unknown nodes', () => {
    expect(() => traceReachability(inventory, flows, ruleSets, 'nope', 'hq-master')).toThrow(
      EngineInputError,
    );
  });
});
