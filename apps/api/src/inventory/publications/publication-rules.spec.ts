import { builtinFlows } from '@app/catalog';
import { collectorRolesFor } from '../collector-roles';
import {
  checkPublishedPorts,
  defaultPublishedPorts,
  isPublicAddress,
  nodeIpv4Host,
  overlappingPorts,
  resolveInterface,
  resolvePublicAddress,
} from './publication-rules';

const tcp = (from: number, to = from, externalFrom: number | null = null) => ({
  protocol: 'tcp' as const,
  ports: { from, to },
  externalFrom,
});

describe('publication rules', () => {
  it('accepts IPv4 hosts and "interface" as public addresses, nothing else', () => {
    expect(['198.51.100.10', '10.0.0.1', 'interface'].map(isPublicAddress)).toEqual([true, true, true]);
    expect(
      [
        '198.51.100.0/24',
        '0.0.0.0',
        '224.0.0.1',
        '255.255.255.255',
        '2001:db8::1',
        '010.0.0.1',
        'wan',
        '',
      ].map(isPublicAddress),
    ).toEqual([false, false, false, false, false, false, false, false]);
  });

  it('targets the first IPv4 host of a node (a /32 counts), never a group', () => {
    expect(nodeIpv4Host(['fd00::5', '10.0.0.0/24', '10.0.0.7/32', '10.0.0.8'])).toBe('10.0.0.7');
    expect(nodeIpv4Host(['10.0.0.0/24', 'fd00::5'])).toBeNull();
  });

  it('resolves the interface (named and external, else the first external by name) and the address', () => {
    const interfaces = [
      { name: 'wan2', external: true, publicAddresses: [] },
      { name: 'lan', external: false, publicAddresses: [] },
      { name: 'wan', external: true, publicAddresses: ['198.51.100.10', 'interface'] },
    ];
    const first = resolveInterface(interfaces, null);
    expect('iface' in first && first.iface.name).toBe('wan');
    expect(resolveInterface(interfaces, 'lan')).toEqual({
      error: 'interface lan is not an external interface of the device',
    });
    expect(resolveInterface(interfaces, 'opt1')).toEqual({ error: 'the device has no interface opt1' });
    expect(resolveInterface([interfaces[1]], undefined)).toEqual({
      error: 'the device has no external interface to publish on',
    });
    expect(resolvePublicAddress(interfaces[2], null)).toBe('198.51.100.10');
    expect(resolvePublicAddress(interfaces[2], '203.0.113.1')).toBe('203.0.113.1');
    expect(resolvePublicAddress(interfaces[0], null)).toBeNull();
    expect(resolvePublicAddress(interfaces[0], 'interface')).toBe('interface');
  });

  it('refuses never-exposed ports on either side, ranges past 65535 and overlapping external ranges', () => {
    expect(checkPublishedPorts([tcp(443), tcp(8443, 8443, 443)])).toEqual([
      { field: 'ports.1.ports', message: 'ports.1: external ports 443-443/tcp overlap ports.0' },
    ]);
    const inside = checkPublishedPorts([tcp(5400, 5500)]);
    expect(inside).toHaveLength(1);
    expect(inside[0]).toMatchObject({ field: 'ports.0.ports' });
    expect(inside[0].message).toMatch(/^ports\.0: 5432\/tcp \(PostgreSQL\) can never be published: /);
    expect(checkPublishedPorts([tcp(8000, 8001, 9199)])[0]).toMatchObject({ field: 'ports.0.externalFrom' });
    expect(checkPublishedPorts([{ ...tcp(4789), protocol: 'udp' }])[0].message).toMatch(/4789\/udp/);
    // 4789 is never exposed over udp only.
    expect(checkPublishedPorts([tcp(4789)])).toEqual([]);
    expect(checkPublishedPorts([tcp(100, 110, 65530)])[0].message).toMatch(/ends at 65540, beyond 65535/);
    expect(checkPublishedPorts([tcp(90, 80)])[0]).toMatchObject({ field: 'ports.0.ports' });
  });

  it('finds the first overlap of external ports of one protocol', () => {
    expect(overlappingPorts([tcp(8000, 8010)], [tcp(22, 22, 8005)])).toEqual({
      protocol: 'tcp',
      range: { from: 8005, to: 8005 },
    });
    expect(overlappingPorts([tcp(514)], [{ ...tcp(514), protocol: 'udp' }])).toBeNull();
  });

  it('defaults to the ports of the flows that reach the role, or the collector when the role may collect', () => {
    const v9 = builtinFlows('utmstack-v9');
    const probe = defaultPublishedPorts(v9, 'probe', collectorRolesFor('utmstack-v9'));
    // master → probe (scanner, discovery) and what a collector receives.
    expect(probe.filter((p) => p.protocol === 'tcp').map((p) => `${p.ports.from}-${p.ports.to}`)).toEqual([
      '514-514',
      '1470-1470',
      '1514-1516',
      '2056-2056',
      '5000-5000',
      '5044-5044',
      '8000-8000',
      '8089-8089',
      '8888-8888',
      '9000-9000',
      '9390-9390',
      '55000-55000',
    ]);
    expect(defaultPublishedPorts(v9, 'agent', collectorRolesFor('utmstack-v9'))).toEqual([]);
    const v11 = builtinFlows('utmstack-v11');
    const agent = defaultPublishedPorts(v11, 'agent', collectorRolesFor('utmstack-v11'));
    expect(agent.length).toBeGreaterThan(0);
    expect(checkPublishedPorts(agent)).toEqual([]);
  });
});
