import { NEVER_EXPOSED_PORTS } from '@app/catalog';
import type { UnmanagedNat } from '@app/connectors';
import { resolveSettings } from '@app/connectors';
import type { PfAlias, PfRule } from '@app/connectors/pfsense/api';
import { unmanagedRulesFromPfSense } from '@app/connectors/pfsense/mapping';
import { findExposures, findNatExposures } from './exposures';

const settings = resolveSettings({
  id: 'fw',
  vendor: 'pfsense',
  url: 'https://192.0.2.1',
  credentials: { kind: 'pfsense-api-key', apiKey: 'k' },
});

function rule(id: number, fields: Partial<PfRule>): PfRule {
  return {
    id,
    type: 'pass',
    interface: ['lan'],
    ipprotocol: 'inet',
    protocol: 'tcp',
    source: 'any',
    source_port: null,
    destination: 'any',
    destination_port: null,
    descr: `rule ${id}`,
    disabled: false,
    floating: false,
    tracker: null,
    ...fields,
  };
}

const dbPorts: PfAlias = {
  id: 0,
  name: 'DB_PORTS',
  type: 'port',
  descr: '',
  address: ['5400:5500', 'NESTED'],
  detail: ['', ''],
};
const nested: PfAlias = { id: 1, name: 'NESTED', type: 'port', descr: '', address: ['9200'], detail: [''] };

describe('exposed never-exposed ports', () => {
  const rules = [
    rule(0, { protocol: null, descr: 'Default allow LAN to any rule' }),
    rule(1, { interface: ['wan'], destination_port: 'DB_PORTS', descr: 'db via alias' }),
    rule(2, { interface: ['lan'], protocol: 'tcp/udp', destination_port: '7946', descr: 'swarm' }),
    rule(3, { interface: ['wan'], protocol: null, descr: 'wan any' }),
    rule(4, { interface: ['wan'], destination_port: '5432', disabled: true, descr: 'disabled' }),
    rule(5, { interface: ['wan'], destination_port: '5432', type: 'block', descr: 'blocked' }),
    rule(6, { interface: ['wan'], destination_port: 'MISSING', descr: 'unknown alias' }),
    rule(7, { interface: ['lan'], destination_port: '5432', descr: `utm_x [managed by utm-orchestrator]` }),
  ];
  const unmanaged = unmanagedRulesFromPfSense(rules, [dbPorts, nested], settings);

  it('resolves port aliases (nested) and skips managed rules', () => {
    expect(unmanaged.map((r) => r.label)).not.toContain('utm_x [managed by utm-orchestrator]');
    expect(unmanaged.find((r) => r.label === 'db via alias')!.ports).toEqual([
      { from: 5400, to: 5500 },
      { from: 9200, to: 9200 },
    ]);
    expect(unmanaged.find((r) => r.label === 'unknown alias')).toMatchObject({
      ports: [],
      unresolvedPorts: 'MISSING',
    });
  });

  it('flags explicit openings anywhere and any-port rules on the external interface only', () => {
    const found = findExposures(unmanaged, new Set(['wan'])).map((e) => `${e.rule}:${e.protocol}/${e.port}`);
    expect(found).toEqual(
      expect.arrayContaining([
        'db via alias:tcp/5432',
        'db via alias:tcp/9200',
        'swarm:tcp/7946',
        'swarm:udp/7946',
      ]),
    );
    expect(found.filter((f) => f.startsWith('wan any:'))).toHaveLength(9);
    expect(found.some((f) => /^(Default allow|disabled|blocked|unknown alias)/.test(f))).toBe(false);
  });
});

describe('findNatExposures', () => {
  const forward = (label: string, fields: Partial<UnmanagedNat>): UnmanagedNat => ({
    label,
    interface: 'wan',
    enabled: true,
    protocols: ['tcp'],
    externalPorts: [{ from: 8443, to: 8443 }],
    target: '10.0.0.5',
    targetPorts: [{ from: 443, to: 443 }],
    ...fields,
  });

  it('flags forwards whose translated port is never-exposed, judged on the target port', () => {
    const found = findNatExposures([
      forward('db', { externalPorts: [{ from: 15432, to: 15432 }], targetPorts: [{ from: 5432, to: 5432 }] }),
      // The public side names 5432 but the service reached is 443: not an exposure of PostgreSQL.
      forward('web', { externalPorts: [{ from: 5432, to: 5432 }], targetPorts: [{ from: 443, to: 443 }] }),
      forward('off', { enabled: false, externalPorts: null, targetPorts: null, protocols: null }),
      forward('same', { externalPorts: [{ from: 9200, to: 9200 }], targetPorts: null }),
    ]).map((e) => `${e.rule}:${e.protocol}/${e.port}:${e.external}`);
    expect(found).toEqual(['db:tcp/5432:true', 'same:tcp/9200:true']);
  });

  it('a forward of every port and protocol exposes every never-exposed port', () => {
    const all = findNatExposures([
      forward('dmz', { protocols: null, externalPorts: null, targetPorts: null }),
    ]);
    expect(all.length).toBe(NEVER_EXPOSED_PORTS.length);
  });
});
