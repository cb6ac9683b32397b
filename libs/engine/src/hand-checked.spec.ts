import { builtinFlows } from '@app/catalog';
import { computeRuleSets } from './compute';
import type { Inventory, Role, RuleSet } from './model';
import { shortHash } from './naming';
import {
  HAND_CHECKED_EXPECTED,
  handCheckedInventory,
  HandCheckedVersion,
} from './testing/hand-checked.fixture';

function withoutHash(ruleSets: RuleSet[]) {
  return Object.fromEntries(ruleSets.map(({ hash: _hash, ...rest }) => [rest.deviceId, rest]));
}

describe.each<HandCheckedVersion>(['utmstack-v9', 'utmstack-v11'])(
  'hand-checked deployment, %s',
  (version) => {
    const inventory = handCheckedInventory(version);
    const ruleSets = computeRuleSets(inventory, builtinFlows());

    it('computes exactly the hand-written rule sets of both firewalls', () => {
      expect(ruleSets.map((r) => r.deviceId)).toEqual(['br1-fw', 'hq-fw']);
      const actual = withoutHash(ruleSets);
      expect(actual['hq-fw']).toEqual(HAND_CHECKED_EXPECTED[version]['hq-fw']);
      expect(actual['br1-fw']).toEqual(HAND_CHECKED_EXPECTED[version]['br1-fw']);
    });

    it('gives the same result when only the catalog of this version is passed', () => {
      expect(computeRuleSets(inventory, builtinFlows(version))).toEqual(ruleSets);
    });

    it('keeps the hash when nothing changes and changes it when the rule set does', () => {
      const again = computeRuleSets(handCheckedInventory(version), builtinFlows());
      expect(again.map((r) => r.hash)).toEqual(ruleSets.map((r) => r.hash));
      expect(ruleSets[0].hash).toMatch(/^[0-9a-f]{64}$/);

      // a node unrelated to any firewall path (same zone as its collector) changes nothing
      const quiet: Inventory = {
        ...inventory,
        nodes: [
          ...inventory.nodes,
          {
            id: 'hq-srv-agent-3',
            siteId: 'hq',
            name: 'hq-srv-agent-3',
            role: 'agent',
            addresses: ['10.1.10.22'],
            selectors: [],
          },
        ],
      };
      expect(computeRuleSets(quiet, builtinFlows()).map((r) => r.hash)).toEqual(ruleSets.map((r) => r.hash));

      // moving the master changes both firewalls' rule sets
      const moved: Inventory = {
        ...inventory,
        nodes: inventory.nodes.map((n) => (n.id === 'hq-master' ? { ...n, addresses: ['10.1.10.6'] } : n)),
      };
      const movedHashes = computeRuleSets(moved, builtinFlows()).map((r) => r.hash);
      expect(movedHashes[0]).not.toBe(ruleSets[0].hash);
      expect(movedHashes[1]).not.toBe(ruleSets[1].hash);
    });

    it('uses the configured prefix in every name', () => {
      const custom = computeRuleSets(inventory, builtinFlows(), { prefix: 'orch_' });
      const hq = custom.find((r) => r.deviceId === 'hq-fw') as RuleSet;
      expect(hq.prefix).toBe('orch_');
      expect(hq.addresses.map((a) => a.name)).toContain('orch_master_opt1_983f45');
      expect([...hq.addresses, ...hq.services, ...hq.rules].every((o) => o.name.startsWith('orch_'))).toBe(
        true,
      );
    });
  },
);

describe('hand-checked fixture', () => {
  it('shortens the v9 agent service name with the hash of its full name', () => {
    expect('utm_tcp_1514to1516_5044_9000_55000'.length).toBeGreaterThan(31);
    expect(HAND_CHECKED_EXPECTED['utmstack-v9']['hq-fw'].services[1].name).toBe(
      `utm_tcp_1514to1516_5044_${shortHash('utm_tcp_1514to1516_5044_9000_55000')}`,
    );
  });
});

/**
 * The names of the fixture, derived by hand from the scheme (libs/engine/src/README.md, "Names"): an object
 * is `utm_` + roles + `_` + interface (+ `_v6`) + `_` + the first 6 hex digits of the SHA-256 of the JSON
 * array holding its members' signatures (sorted, joined with `;`); a member's signature is
 * `target|<role>|<name of a probe's master>` in an object that is some rule's destination, else
 * `source|<role>|<name of a probe's master>|<flows that apply to it, sorted>|<its collector's name, when a
 * flow goes there>`.
 * A rule is `utm_` + source roles + `_to_` + destination roles + `_` + 6 hex digits of the SHA-256 of
 * "<source name> <destination name>_<protocol>[6]" + `_<protocol>[6]`.
 */
describe('hand-checked names follow the documented scheme', () => {
  const V9_AGENT_FLOWS = 'v9-agent-hids,v9-agent-hids-api,v9-agent-logs,v9-agent-manager';
  const V11_AGENT_FLOWS = 'v11-agent-log-ingestion,v11-agent-manager,v11-agent-updates';
  const suffix = (...signatures: string[]): string =>
    shortHash(JSON.stringify([signatures.sort().join(';')]));
  const master = suffix('target|master|');
  const objects: Record<HandCheckedVersion, Record<string, string>> = {
    'utmstack-v9': {
      // agents reporting to hq-master: hq-lan/wifi-agents on hq-fw's lan, br1-legacy (collectorId) on the wans
      agent: suffix(`source|agent||${V9_AGENT_FLOWS}|hq-master`),
      // br1-agents report to their site's probe: another meaning, another name next to br1-legacy
      agentToProbe: suffix(`source|agent||${V9_AGENT_FLOWS}|br1-probe`),
      // br1-switch lists syslog and cisco; v9 has syslog flows only, to its site's probe
      agentless: suffix('source|agentless||v9-agentless-syslog-tcp,v9-agentless-syslog-udp|br1-probe'),
      // the v9 web console flow has no selector: admins and analysts ask the same
      console: suffix('source|console||v9-console-web|'),
      master,
      probe: suffix('target|probe|'),
    },
    'utmstack-v11': {
      agent: suffix(`source|agent||${V11_AGENT_FLOWS}|`),
      // br1-collector is br1-switch's collector: on br1-fw a destination
      collector: suffix('target|agent|'),
      agentless: suffix('source|agentless||v11-agentless-cisco-tcp,v11-agentless-cisco-udp|br1-collector'),
      analysts: suffix('source|console||v11-console-web,v11-console-web-redirect|'),
      admins: suffix(
        'source|console||v11-console-cockpit,v11-console-ssh,v11-console-web,v11-console-web-redirect|',
      ),
      master,
    },
  };
  const expectedObjects: Record<HandCheckedVersion, Record<'hq-fw' | 'br1-fw', string[]>> = {
    'utmstack-v9': {
      'hq-fw': [
        `utm_agent_lan_${objects['utmstack-v9'].agent}`,
        `utm_agent_wan_${objects['utmstack-v9'].agent}`,
        `utm_console_wan_${objects['utmstack-v9'].console}`,
        `utm_console_wan_v6_${objects['utmstack-v9'].console}`,
        `utm_master_opt1_${master}`,
        `utm_master_opt1_v6_${master}`,
        `utm_probe_wan_${objects['utmstack-v9'].probe}`,
      ],
      'br1-fw': [
        `utm_agent_port2_${objects['utmstack-v9'].agent}`,
        `utm_agent_port2_${objects['utmstack-v9'].agentToProbe}`,
        `utm_agentless_port2_${objects['utmstack-v9'].agentless}`,
        `utm_master_port1_${master}`,
        `utm_probe_port3_${objects['utmstack-v9'].probe}`,
      ],
    },
    'utmstack-v11': {
      'hq-fw': [
        `utm_agent_lan_${objects['utmstack-v11'].agent}`,
        `utm_agent_wan_${objects['utmstack-v11'].agent}`,
        `utm_console_wan_${objects['utmstack-v11'].analysts}`,
        `utm_console_wan_${objects['utmstack-v11'].admins}`,
        `utm_console_wan_v6_${objects['utmstack-v11'].analysts}`,
        `utm_master_opt1_${master}`,
        `utm_master_opt1_v6_${master}`,
      ],
      'br1-fw': [
        `utm_agent_port2_${objects['utmstack-v11'].agent}`,
        `utm_agent_port3_${objects['utmstack-v11'].collector}`,
        `utm_agentless_port2_${objects['utmstack-v11'].agentless}`,
        `utm_master_port1_${master}`,
      ],
    },
  };

  it.each<HandCheckedVersion>(['utmstack-v9', 'utmstack-v11'])('object names (%s)', (version) => {
    for (const device of ['hq-fw', 'br1-fw'] as const) {
      expect(HAND_CHECKED_EXPECTED[version][device].addresses.map((a) => a.name).sort()).toEqual(
        [...expectedObjects[version][device]].sort(),
      );
    }
  });

  it.each<HandCheckedVersion>(['utmstack-v9', 'utmstack-v11'])('rule names (%s)', (version) => {
    const roles = new Map(handCheckedInventory(version).nodes.map((n) => [n.id, n.role]));
    const roleLabel = (ids: string[]): string =>
      (['master', 'probe', 'agent', 'agentless', 'console'] as Role[])
        .filter((role) => ids.some((id) => roles.get(id) === role))
        .join('_');
    for (const device of ['hq-fw', 'br1-fw'] as const) {
      for (const rule of HAND_CHECKED_EXPECTED[version][device].rules) {
        const tail = `_${rule.protocol}${rule.family === 6 ? '6' : ''}`;
        const hash = shortHash(`${rule.source} ${rule.destination}${tail}`);
        expect(rule.name).toBe(
          `utm_${roleLabel(rule.sourceNodeIds)}_to_${roleLabel(rule.destinationNodeIds)}_${hash}${tail}`,
        );
      }
    }
  });
});
