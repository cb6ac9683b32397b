import { builtinFlows } from '@app/catalog';
import { computeRuleSets } from './compute';
import type { Inventory, RuleSet } from './model';
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
      expect(hq.addresses.map((a) => a.name)).toContain('orch_hq_master');
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
