import type { CatalogFlow, Protocol } from '@app/engine/model';
import {
  builtinFlows,
  CATALOG_VERSIONS,
  DEFAULT_CATALOG_VERSION,
  NEVER_EXPOSED_PORTS,
  NEVER_ROUTABLE_NETWORKS,
  UTMSTACK_V11_INTEGRATIONS,
} from './index';

/** One flow per (row, protocol) in "from to protocol ports selector purpose" form, ports as written. */
function rows(flows: CatalogFlow[]): string[] {
  return flows.map(
    (f) =>
      `${f.from} ${f.to} ${f.protocol} ${f.ports.map((p) => (p.from === p.to ? `${p.from}` : `${p.from}-${p.to}`)).join(',')} ${f.selector ?? '-'} ${f.purpose}`,
  );
}

describe('utmstack-v9', () => {
  it('is the v9 "Firewall Rules" table, row by row (one flow per protocol)', () => {
    expect(rows(builtinFlows('utmstack-v9'))).toEqual([
      'probe master tcp 1194 - probe/proxy VPN to the master over the internet',
      'master probe tcp 9390,8888 - vulnerability scanner',
      'master probe tcp 5000,8000 - asset discovery',
      'agentless collector udp 2055 netflow NetFlow',
      'agentless collector udp 514 syslog syslog',
      'agentless collector tcp 514,1470,2056 syslog syslog',
      'agentless collector tcp 8089 http logs over HTTP POST',
      'agent collector tcp 5044 - logs',
      'agent collector tcp 1514-1516 - HIDS agent communication',
      'agent collector tcp 55000 - HIDS management API',
      'agent collector tcp 9000 - agent manager',
      'console master tcp 443 - web console',
    ]);
  });

  it('keeps 1514-1516 as one range and tags every flow with its version', () => {
    const hids = builtinFlows('utmstack-v9').find((f) => f.id === 'v9-agent-hids');
    expect(hids?.ports).toEqual([{ from: 1514, to: 1516 }]);
    expect(builtinFlows('utmstack-v9').every((f) => f.version === 'utmstack-v9')).toBe(true);
  });
});

describe('utmstack-v11', () => {
  const v11 = builtinFlows('utmstack-v11');
  const find = (from: string, to: string, protocol: Protocol, port: number) =>
    v11.filter(
      (f) =>
        f.from === from &&
        f.to === to &&
        f.protocol === protocol &&
        f.ports.some((p) => p.from <= port && port <= p.to),
    );

  it('sends agents to the master on 9000, 50051 and 9001/tcp only', () => {
    const agent = v11.filter((f) => f.from === 'agent');
    expect(agent.map((f) => [f.to, f.protocol, f.ports, f.selector])).toEqual([
      ['master', 'tcp', [{ from: 9000, to: 9000 }], null],
      ['master', 'tcp', [{ from: 50051, to: 50051 }], null],
      ['master', 'tcp', [{ from: 9001, to: 9001 }], null],
    ]);
  });

  it('sends agentless sources to their collector on each integration port, TCP and UDP, with its selector', () => {
    const expected: Array<[string, number]> = [
      ['vmware-esxi', 7002],
      ['eset', 7003],
      ['kaspersky', 7004],
      ['fortigate', 7005],
      ['paloalto', 7006],
      ['mikrotik', 7007],
      ['sophos-xg', 7008],
      ['sonicwall', 7009],
      ['deceptive-bytes', 7010],
      ['sentinelone', 7012],
      ['generic-syslog', 7014],
      ['macos', 7015],
      ['ibm-aix', 7016],
      ['pfsense', 7017],
      ['fortiweb', 7018],
    ];
    expect(UTMSTACK_V11_INTEGRATIONS.map((i) => [i.selector, i.port])).toEqual(expected);
    for (const [selector, port] of expected) {
      for (const protocol of ['tcp', 'udp'] as const) {
        const flows = find('agentless', 'collector', protocol, port);
        expect(flows.map((f) => [f.selector, f.ports])).toEqual([[selector, [{ from: port, to: port }]]]);
      }
    }
    // 7011 and 7013 are not integration ports
    expect(find('agentless', 'collector', 'tcp', 7011)).toEqual([]);
    expect(find('agentless', 'collector', 'udp', 7013)).toEqual([]);
  });

  it('has Cisco on 514/udp and 1470/tcp, NetFlow on 2055/udp and HTTP logs to the master on 8080/tcp', () => {
    expect(find('agentless', 'collector', 'udp', 514).map((f) => f.selector)).toEqual(['cisco']);
    expect(find('agentless', 'collector', 'tcp', 1470).map((f) => f.selector)).toEqual(['cisco']);
    expect(find('agentless', 'collector', 'tcp', 514)).toEqual([]);
    expect(find('agentless', 'collector', 'udp', 2055).map((f) => f.selector)).toEqual(['netflow']);
    expect(find('agentless', 'master', 'tcp', 8080).map((f) => f.selector)).toEqual(['http']);
  });

  it('opens the console on 443 and 80, and admin access on 22 and 9090 behind the admin selector', () => {
    expect(find('console', 'master', 'tcp', 443).map((f) => f.selector)).toEqual([null]);
    expect(find('console', 'master', 'tcp', 80).map((f) => f.selector)).toEqual([null]);
    expect(find('console', 'master', 'tcp', 22).map((f) => f.selector)).toEqual(['admin']);
    expect(find('console', 'master', 'tcp', 9090).map((f) => f.selector)).toEqual(['admin']);
  });

  it('drops the v9-only flows (VPN, scanner, Wazuh, Beats, 8089)', () => {
    for (const port of [1194, 9390, 8888, 5000, 5044, 1515, 55000, 8089, 2056]) {
      expect(v11.filter((f) => f.ports.some((p) => p.from <= port && port <= p.to))).toEqual([]);
    }
    expect(v11.some((f) => f.from === 'probe' || f.to === 'probe')).toBe(false);
  });
});

describe('catalog', () => {
  it('lists its versions, v9 first and as the default', () => {
    expect(CATALOG_VERSIONS).toEqual(['utmstack-v9', 'utmstack-v11']);
    expect(DEFAULT_CATALOG_VERSION).toBe('utmstack-v9');
  });

  it('gives every flow an id that is unique across versions and valid ports', () => {
    const all = builtinFlows();
    expect(new Set(all.map((f) => f.id)).size).toBe(all.length);
    expect(all.length).toBe(builtinFlows('utmstack-v9').length + builtinFlows('utmstack-v11').length);
    for (const flow of all) {
      expect(flow.ports.length).toBeGreaterThan(0);
      for (const p of flow.ports) {
        expect(p.from).toBeGreaterThanOrEqual(1);
        expect(p.to).toBeLessThanOrEqual(65535);
        expect(p.from).toBeLessThanOrEqual(p.to);
      }
    }
  });

  it('returns fresh copies and nothing for an unknown version', () => {
    const copy = builtinFlows('utmstack-v9');
    copy[0].ports[0].from = 1;
    expect(builtinFlows('utmstack-v9')[0].ports[0].from).toBe(1194);
    expect(builtinFlows('utmstack-v7')).toEqual([]);
  });

  it('lists the ports that must never be exposed, with reasons', () => {
    expect(NEVER_EXPOSED_PORTS.map((p) => `${p.port}/${p.protocol}`)).toEqual([
      '5432/tcp',
      '9200/tcp',
      '10001/tcp',
      '10000/tcp',
      '2377/tcp',
      '7946/tcp',
      '7946/udp',
      '4789/udp',
      '10091/tcp',
    ]);
    expect(NEVER_EXPOSED_PORTS.every((p) => p.reason.length > 10 && p.service.length > 0)).toBe(true);
    expect(NEVER_ROUTABLE_NETWORKS.map((n) => n.cidr)).toEqual(['10.21.199.0/24']);
  });

  it('never opens a never-exposed port to the master in v11', () => {
    const v11 = builtinFlows('utmstack-v11');
    for (const { protocol, port } of NEVER_EXPOSED_PORTS) {
      expect(
        v11.filter((f) => f.protocol === protocol && f.ports.some((p) => p.from <= port && port <= p.to)),
      ).toEqual([]);
    }
  });
});
