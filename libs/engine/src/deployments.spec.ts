/**
 * Deployments as the engine's boundary: flows only join nodes of the same deployment, several
 * deployments may share a site and a firewall, and an inventory of one deployment computes exactly as
 * before deployments existed.
 */
import { builtinFlows } from '@app/catalog';
import { computeRuleSets } from './compute';
import type { Inventory, NodeInput, RuleSet } from './model';
import { traceReachability } from './reachability';
import { HAND_CHECKED_EXPECTED, handCheckedInventory } from './testing/hand-checked.fixture';

const flows = builtinFlows();

function withoutHash(ruleSet: RuleSet): Omit<RuleSet, 'hash'> {
  const { hash: _hash, ...rest } = ruleSet;
  return rest;
}

/** The hand-checked inventory moved into one named deployment, its sites following that deployment. */
function inDeployment(version: 'utmstack-v9' | 'utmstack-v11'): Inventory {
  const inventory = handCheckedInventory(version);
  return {
    deployments: [{ id: 'main', name: 'Main', catalogVersion: version }],
    sites: inventory.sites.map((s) => ({ ...s, catalogVersion: null })),
    zones: inventory.zones,
    nodes: inventory.nodes.map((n) => ({ ...n, deploymentId: 'main' })),
    devices: inventory.devices,
  };
}

describe('deployments', () => {
  it.each(['utmstack-v9', 'utmstack-v11'] as const)(
    'one deployment computes byte-identically to the implicit one (%s)',
    (version) => {
      const before = computeRuleSets(handCheckedInventory(version), flows);
      const after = computeRuleSets(inDeployment(version), flows);
      expect(after).toEqual(before);
      for (const ruleSet of after) {
        expect(withoutHash(ruleSet)).toEqual(
          HAND_CHECKED_EXPECTED[version][ruleSet.deviceId as 'hq-fw' | 'br1-fw'],
        );
      }
    },
  );

  it("a second customer's master opens nothing on the first customer's firewalls (issue #11)", () => {
    const inventory = inDeployment('utmstack-v9');
    inventory.deployments!.push({ id: 'acme', name: 'Acme', catalogVersion: 'utmstack-v9' });
    inventory.sites.push({ id: 'acme-hq', name: 'Acme-HQ' });
    inventory.zones.push({ id: 'acme-servers', siteId: 'acme-hq', name: 'servers', cidrs: ['10.50.0.0/24'] });
    inventory.nodes.push({
      id: 'acme-master',
      siteId: 'acme-hq',
      name: 'acme-master',
      role: 'master',
      addresses: ['10.50.0.5'],
      selectors: [],
      deploymentId: 'acme',
    });
    const single = computeRuleSets(inDeployment('utmstack-v9'), flows);
    const both = computeRuleSets(inventory, flows);
    // Before deployments, br1-fw gained `masters of Acme-HQ, HQ → br1-probe` and `br1-probe → acme-master`.
    expect(both).toEqual(single);
  });

  describe('several deployments behind one firewall (an MSP datacenter)', () => {
    const agents = (id: string, deploymentId: string, addresses: string[]): NodeInput => ({
      id,
      siteId: 'remote',
      name: `${deploymentId}-agents`,
      role: 'agent',
      addresses,
      selectors: [],
      deploymentId,
    });
    const inventory: Inventory = {
      deployments: [
        { id: 'acme', name: 'Acme', catalogVersion: 'utmstack-v9' },
        { id: 'beta', name: 'Beta', catalogVersion: 'utmstack-v9' },
      ],
      sites: [
        { id: 'dc', name: 'DC' },
        { id: 'remote', name: 'Remote' },
      ],
      zones: [{ id: 'dc-hosting', siteId: 'dc', name: 'hosting', cidrs: ['10.9.0.0/16'] }],
      nodes: [
        {
          id: 'acme-master',
          siteId: 'dc',
          name: 'acme-master',
          role: 'master',
          addresses: ['10.9.1.5'],
          selectors: [],
          deploymentId: 'acme',
        },
        {
          id: 'beta-master',
          siteId: 'dc',
          name: 'beta-master',
          role: 'master',
          addresses: ['10.9.2.5'],
          selectors: [],
          deploymentId: 'beta',
        },
        agents('acme-agents', 'acme', ['198.51.100.0/28']),
        agents('beta-agents', 'beta', ['203.0.113.0/28']),
      ],
      devices: [
        {
          id: 'dc-fw',
          siteId: 'dc',
          name: 'dc-fw',
          vendor: 'fortios',
          interfaces: [
            { name: 'inside', external: false, zoneIds: ['dc-hosting'] },
            { name: 'wan', external: true, zoneIds: [] },
          ],
        },
      ],
    };
    const deploymentOf = new Map(inventory.nodes.map((n) => [n.id, n.deploymentId]));
    const [ruleSet] = computeRuleSets(inventory, flows);

    it('carries the rules of each deployment and none between them', () => {
      expect(ruleSet.rules.length).toBeGreaterThan(0);
      const seen = new Set<string>();
      for (const rule of ruleSet.rules) {
        for (const e of rule.explanations) {
          const ids = new Set(
            [...e.sourceNodeIds, ...e.destinationNodeIds].map((id) => deploymentOf.get(id)),
          );
          expect({ rule: rule.name, flow: e.flowId, deployments: ids.size }).toEqual({
            rule: rule.name,
            flow: e.flowId,
            deployments: 1,
          });
          ids.forEach((d) => seen.add(d as string));
        }
      }
      expect([...seen].sort()).toEqual(['acme', 'beta']);
    });

    it('names the deployment in object names, descriptions and explanations', () => {
      const names = ruleSet.addresses.map((a) => a.name).sort();
      expect(names).toEqual([
        expect.stringMatching(/^utm_Acme_agent_wan_[0-9a-f]{6}$/),
        expect.stringMatching(/^utm_Acme_master_inside_[0-9a-f]{6}$/),
        expect.stringMatching(/^utm_Beta_agent_wan_[0-9a-f]{6}$/),
        expect.stringMatching(/^utm_Beta_master_inside_[0-9a-f]{6}$/),
      ]);
      // the two masters stand for the same thing in their own deployment: only the label tells them apart
      expect(names[1].replace('Acme', 'Beta')).toBe(names[3]);
      expect(ruleSet.addresses.find((a) => a.name === names[1])?.description).toBe(
        'Acme: master acme-master',
      );
      const hids = ruleSet.rules
        .flatMap((r) => r.explanations)
        .filter((e) => e.flowId === 'v9-agent-hids')
        .map((e) => e.text)
        .sort();
      expect(hids).toEqual([
        'Acme: agent acme-agents → Acme: collector acme-master: HIDS agent communication, 1514-1516/tcp',
        'Beta: agent beta-agents → Beta: collector beta-master: HIDS agent communication, 1514-1516/tcp',
      ]);
    });

    it('reachability names both deployments and finds no flow between them', () => {
      const across = traceReachability(inventory, flows, [ruleSet], 'acme-agents', 'beta-master');
      expect(across.fromDeployment).toEqual({ id: 'acme', name: 'Acme' });
      expect(across.toDeployment).toEqual({ id: 'beta', name: 'Beta' });
      expect(across.flows).toEqual([]);
      expect(across.allowed).toBe(false);
      const within = traceReachability(inventory, flows, [ruleSet], 'acme-agents', 'acme-master');
      expect(within.toDeployment).toEqual({ id: 'acme', name: 'Acme' });
      expect(within.flows.length).toBeGreaterThan(0);
      expect(within.allowed).toBe(true);
    });
  });

  describe('masters and collectors stay in the deployment', () => {
    const node = (
      id: string,
      role: NodeInput['role'],
      address: string,
      extra: Partial<NodeInput> = {},
    ): NodeInput => ({
      id,
      siteId: 'hq',
      name: id,
      role,
      addresses: [address],
      selectors: [],
      deploymentId: 'acme',
      ...extra,
    });
    const base = (nodes: NodeInput[]): Inventory => ({
      deployments: [
        { id: 'acme', name: 'Acme', catalogVersion: 'utmstack-v9' },
        { id: 'beta', name: 'Beta', catalogVersion: 'utmstack-v9' },
      ],
      sites: [{ id: 'hq', name: 'HQ' }],
      zones: [],
      nodes,
      devices: [],
    });

    it("a probe's explicit master is the only master it exchanges flows with", () => {
      const inventory = base([
        node('m1', 'master', '10.0.0.1'),
        node('m2', 'master', '10.0.0.2'),
        node('p', 'probe', '10.0.0.3', { masterId: 'm2' }),
        node('q', 'probe', '10.0.0.4'),
      ]);
      const flowsOf = (from: string, to: string) =>
        traceReachability(inventory, flows, [], from, to).flows.map((f) => f.flowId);
      expect(flowsOf('p', 'm2').length).toBeGreaterThan(0);
      expect(flowsOf('m2', 'p').length).toBeGreaterThan(0);
      expect(flowsOf('p', 'm1')).toEqual([]);
      expect(flowsOf('m1', 'p')).toEqual([]);
      // without masterId a probe still talks to every master of its deployment
      expect(flowsOf('q', 'm1').length).toBeGreaterThan(0);
      expect(flowsOf('q', 'm2').length).toBeGreaterThan(0);
    });

    it('a collector in another deployment is ignored and no master of another deployment is a fallback', () => {
      const inventory = base([
        node('beta-master', 'master', '10.0.0.1', { deploymentId: 'beta' }),
        node('agents', 'agent', '10.0.0.10', { collectorId: 'beta-master' }),
      ]);
      const trace = traceReachability(inventory, flows, [], 'agents', 'beta-master');
      expect(trace.flows).toEqual([]);
    });

    it("a site's catalog version overrides its nodes' deployment version", () => {
      const inventory = base([node('m', 'master', '10.0.0.1'), node('a', 'agent', '10.0.0.10')]);
      expect(traceReachability(inventory, flows, [], 'a', 'm').catalogVersion).toBe('utmstack-v9');
      inventory.sites[0].catalogVersion = 'utmstack-v11';
      const overridden = traceReachability(inventory, flows, [], 'a', 'm');
      expect(overridden.catalogVersion).toBe('utmstack-v11');
      expect(overridden.flows.every((f) => f.catalogVersion === 'utmstack-v11')).toBe(true);
    });

    it('refuses a node in an unknown deployment', () => {
      expect(() =>
        computeRuleSets(base([node('m', 'master', '10.0.0.1', { deploymentId: 'gone' })]), flows),
      ).toThrow(/unknown deployment "gone"/);
    });
  });
});
