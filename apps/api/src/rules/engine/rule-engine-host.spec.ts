import { RuleEngineHost } from './rule-engine-host';

describe('RuleEngineHost', () => {
  it('computes in a worker thread', async () => {
    const host = new RuleEngineHost();
    try {
      const inventory = {
        sites: [{ id: 's', name: 's', catalogVersion: 'v' }],
        zones: [{ id: 'z', siteId: 's', name: 'z', cidrs: ['10.0.0.0/24'] }],
        devices: [
          {
            id: 'd',
            siteId: 's',
            name: 'd',
            vendor: 'pfsense' as const,
            interfaces: [
              { name: 'lan', external: false, zoneIds: ['z'] },
              { name: 'wan', external: true, zoneIds: [] },
            ],
          },
        ],
        nodes: [
          {
            id: 'a',
            siteId: 's',
            name: 'a',
            role: 'agent' as const,
            addresses: ['10.0.0.5'],
            selectors: [],
            collectorId: 'm',
          },
          {
            id: 'm',
            siteId: 's',
            name: 'm',
            role: 'master' as const,
            addresses: ['192.0.2.1'],
            selectors: [],
          },
        ],
      };
      const flows = [
        {
          id: 'f',
          version: 'v',
          from: 'agent' as const,
          to: 'collector' as const,
          protocol: 'tcp' as const,
          ports: [{ from: 1, to: 1 }],
          purpose: 'p',
        },
      ];
      await host.call('load', { inventory, flows, prefix: 'utm_' });
      const [ruleSet] = await host.call('ruleSets', { deviceIds: ['d'] });
      expect(ruleSet?.rules).toHaveLength(1);

      // A change, and the rule sets asked for with it: answered as of after the change, as a later read would be;
      // only those it affected (an unknown device has none).
      const moved = { ...inventory.nodes[0], addresses: ['10.0.0.6'] };
      const applied = await host.call('apply', {
        changes: [{ kind: 'node', id: 'a', value: moved }],
        compute: ['d', 'no-such-device'],
      });
      expect(applied.affected).toEqual(['d']);
      expect(applied.ruleSets).toHaveLength(1);
      expect(JSON.stringify(applied.ruleSets?.[0])).toContain('10.0.0.6');
      expect(applied.ruleSets?.[0]).toEqual((await host.call('ruleSets', { deviceIds: ['d'] }))[0]);
      expect(applied.ruleSets?.[0]?.hash).not.toBe(ruleSet?.hash);

      // A change that leaves the device's rule set as it is answers nothing for it.
      const unrelated = await host.call('apply', {
        changes: [{ kind: 'zone', id: 'z-elsewhere', value: null }],
        compute: ['d'],
      });
      expect(unrelated.affected).toEqual([]);
      expect(unrelated.ruleSets).toEqual([]);
    } finally {
      await host.stop();
    }
  });
});
