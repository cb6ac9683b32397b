import { ConnectorError, type FirewallConnector, type Plan } from '@app/connectors';
import type { Inventory, NodeInput, RuleSet } from '@app/engine/model';
import type { DeviceConnectors } from '../../pushes/device-connectors.service';
import { PlansService } from '../../pushes/plans.service';
import type { RuleSetsService } from '../../rules/rule-sets.service';
import type { DeviceView } from '../devices/device.model';
import { runChecks, type CheckCode, type CheckDevice, type CheckInput } from './checks';
import { endpointKey } from './endpoint';
import { unknownInterfaceFindings } from './interface-names';

const V9_SELECTORS = new Map([['utmstack-v9', new Set(['http', 'netflow', 'syslog'])]]);

function node(overrides: Partial<NodeInput> & Pick<NodeInput, 'id'>): NodeInput {
  return {
    siteId: 'hq',
    name: overrides.id,
    role: 'agent',
    addresses: ['10.1.10.5'],
    selectors: [],
    deploymentId: 'd1',
    ...overrides,
  };
}

function input(inventory: Partial<Inventory>, devices: CheckDevice[] = []): CheckInput {
  return {
    inventory: {
      sites: [
        { id: 'hq', name: 'HQ' },
        { id: 'br', name: 'Branch' },
      ],
      zones: [
        { id: 'hq-servers', siteId: 'hq', name: 'servers', cidrs: ['10.1.10.0/24'] },
        { id: 'br-lan', siteId: 'br', name: 'lan', cidrs: ['10.2.10.0/24'] },
      ],
      nodes: [node({ id: 'master', role: 'master' })],
      devices: [],
      ...inventory,
    },
    deployments: [{ id: 'd1', name: 'acme', catalogVersion: 'utmstack-v9' }],
    devices,
    selectorsByVersion: V9_SELECTORS,
  };
}

const codes = (i: CheckInput): string[] => runChecks(i).map((c) => `${c.code} ${c.entity.id} ${c.field}`);

describe('inventory checks', () => {
  it('finds nothing in a tidy inventory', () => {
    expect(codes(input({}))).toEqual([]);
  });

  it('flags an address outside every zone of its own site, but not one inside or straddling zones', () => {
    const found = codes(
      input({
        nodes: [
          node({ id: 'master', role: 'master' }),
          // 10.2.10.7 is inside a zone of another site: still outside every zone of its own.
          node({ id: 'a', addresses: ['10.1.10.0/25', '192.168.1.0/24', '10.2.10.7'] }),
          node({ id: 'wide', addresses: ['10.1.0.0/16'] }),
        ],
      }),
    );
    expect(found).toEqual(['NODE_OUTSIDE_ZONES a addresses.1', 'NODE_OUTSIDE_ZONES a addresses.2']);
  });

  it('flags 0.0.0.0/0 and ::/0 once each, as their own finding', () => {
    const found = codes(
      input({
        nodes: [
          node({ id: 'master', role: 'master' }),
          node({ id: 'all', addresses: ['0.0.0.0/0', '::/0'] }),
        ],
      }),
    );
    expect(found).toEqual(['NODE_ANY_ADDRESS all addresses.0', 'NODE_ANY_ADDRESS all addresses.1']);
  });

  it('flags zones of two sites that overlap only when one deployment has nodes at both', () => {
    const zones = [
      { id: 'hq-servers', siteId: 'hq', name: 'servers', cidrs: ['10.1.10.0/24'] },
      { id: 'br-lan', siteId: 'br', name: 'lan', cidrs: ['192.168.0.0/24', '10.1.0.0/16'] },
    ];
    expect(codes(input({ zones })).filter((c) => c.startsWith('ZONE'))).toEqual([]);
    const both = input({
      zones,
      nodes: [
        node({ id: 'master', role: 'master' }),
        node({ id: 'b', siteId: 'br', addresses: ['10.1.5.5'] }),
      ],
      devices: [{ id: 'fw', siteId: 'hq', name: 'fw', vendor: 'pfsense', interfaces: [] }],
    });
    expect(codes(both).filter((c) => c.startsWith('ZONE'))).toEqual([
      'ZONE_OVERLAP hq-servers cidrs.0',
      'ZONE_OVERLAP br-lan cidrs.1',
    ]);
  });

  it('flags a deployment without a master', () => {
    const i = input({ nodes: [node({ id: 'agents' })] });
    expect(codes(i)).toContain('DEPLOYMENT_WITHOUT_MASTER d1 nodes');
  });

  it('flags a collector at another site only when neither site has a managed firewall', () => {
    const nodes = [
      node({ id: 'master', role: 'master' }),
      node({ id: 'b', siteId: 'br', addresses: ['10.2.10.9'], collectorId: 'master' }),
    ];
    expect(codes(input({ nodes }))).toEqual(['COLLECTOR_NO_FIREWALL_PATH b collectorId']);
    const withFirewall = input({
      nodes,
      devices: [{ id: 'fw', siteId: 'br', name: 'br-fw', vendor: 'fortios', interfaces: [] }],
    });
    expect(codes(withFirewall)).toEqual([]);
  });

  it('flags stored selectors the catalog version does not know, as errors', () => {
    const found = runChecks(
      input({
        nodes: [
          node({ id: 'master', role: 'master' }),
          node({ id: 'sw', role: 'agentless', selectors: ['syslog', 'sylog'] }),
        ],
      }),
    );
    expect(found.map((c) => [c.code, c.severity, c.field])).toEqual([
      ['SELECTOR_UNKNOWN', 'error', 'selectors.1'],
    ]);
    expect(found[0].message).toContain('known selectors: http, netflow, syslog');
  });

  it('flags device records that share one endpoint', () => {
    const device = (id: string, managementUrl: string, vdom: string | null = null): CheckDevice => ({
      id,
      name: id,
      siteId: 'hq',
      managementUrl,
      vdom,
      createdAt: new Date(`2026-01-0${id.length}T00:00:00Z`),
    });
    const found = codes(
      input({}, [
        device('a', 'https://10.0.0.1'),
        device('bb', 'HTTPS://10.0.0.1:443/x'),
        device('ccc', 'https://10.0.0.1:8443'),
        device('dddd', 'https://10.0.0.2', 'root'),
        device('eeeee', 'https://10.0.0.2', 'cust'),
      ]),
    );
    expect(found).toEqual([
      'DEVICE_ENDPOINT_DUPLICATE a managementUrl',
      'DEVICE_ENDPOINT_DUPLICATE bb managementUrl',
    ]);
  });

  it.each<[CheckCode, string]>([['NODE_ANY_ADDRESS', 'whole internet']])(
    '%s explains itself',
    (code, text) => {
      const found = runChecks(
        input({
          nodes: [node({ id: 'master', role: 'master' }), node({ id: 'x', addresses: ['0.0.0.0/0'] })],
        }),
      ).find((c) => c.code === code);
      expect(found?.message).toContain(text);
    },
  );
});

describe('endpointKey', () => {
  it.each([
    ['https://10.0.0.1', null, 'https://10.0.0.1:443'],
    ['HTTPS://FW.Example.test:443/api/v2?x=1', null, 'https://fw.example.test:443'],
    ['https://admin@fw.example.test./', null, 'https://fw.example.test:443'],
    ['http://10.0.0.1', null, 'http://10.0.0.1:80'],
    ['http://10.0.0.1:8080', null, 'http://10.0.0.1:8080'],
    ['https://[2001:DB8::1]:8443', 'root', 'https://[2001:db8::1]:8443#vdom=root'],
  ])('%s (vdom %s) → %s', (url, vdom, key) => {
    expect(endpointKey(url, vdom)).toBe(key);
  });

  it('is null for what does not parse', () => {
    expect(endpointKey('not a url', null)).toBeNull();
  });
});

describe('interface names at plan time', () => {
  const device = {
    id: 'dev-1',
    name: 'hq-fw',
    interfaces: [
      { name: 'wan', position: 2 },
      { name: 'LAN', position: 0 },
      { name: 'opt9', position: 1 },
    ],
  };

  it('names each configured interface the live device does not have', () => {
    const findings = unknownInterfaceFindings(device, ['wan', 'lan', 'opt1']);
    expect(findings.map((f) => [f.code, f.field])).toEqual([['INTERFACE_UNKNOWN', 'interfaces.1.name']]);
    expect(findings[0].message).toContain('"opt9"');
    expect(findings[0].message).toContain('lan, opt1, wan');
  });

  function plansWith(connector: Partial<FirewallConnector> & Record<string, unknown>): PlansService {
    const plan = { warnings: ['from the connector'], changes: [] } as unknown as Plan;
    const full = {
      settings: { deviceKey: 'k' },
      readState: () => Promise.resolve({}),
      plan: () => plan,
      close: () => undefined,
      ...connector,
    } as unknown as FirewallConnector;
    const connectors = {
      open: () => Promise.resolve({ device: device as unknown as DeviceView, connector: full }),
    } as unknown as DeviceConnectors;
    const ruleSets = { ruleSet: () => Promise.resolve({} as RuleSet) } as unknown as RuleSetsService;
    return new PlansService(connectors, ruleSets);
  }

  it('adds INTERFACE_UNKNOWN to the plan when the connector can list live interfaces', async () => {
    const plan = await plansWith({ readInterfaceNames: () => Promise.resolve(['lan', 'wan']) }).plan('dev-1');
    expect(plan.warnings).toEqual([
      'from the connector',
      expect.stringMatching(/^INTERFACE_UNKNOWN interfaces\.1\.name: device hq-fw has no interface "opt9"/),
    ]);
  });

  it('says the names went unchecked, and still plans, when the device refuses the interface read', async () => {
    const refused = new ConnectorError({
      kind: 'authentication',
      status: 403,
      message: 'HTTP 403 Forbidden',
    });
    const plan = await plansWith({ readInterfaceNames: () => Promise.reject(refused) }).plan('dev-1');
    expect(plan.warnings).toEqual([
      'from the connector',
      expect.stringMatching(/^INTERFACE_UNCHECKED interfaces: .*HTTP 403 Forbidden.*not checked$/),
    ]);
  });

  it('leaves the plan as the connector made it when the connector cannot list them', async () => {
    const plan = await plansWith({}).plan('dev-1');
    expect(plan.warnings).toEqual(['from the connector']);
  });
});
