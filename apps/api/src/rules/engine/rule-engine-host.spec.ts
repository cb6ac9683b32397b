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
    } finally {
      await host.stop();
    }
  });
});
