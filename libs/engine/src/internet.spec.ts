import { builtinFlows } from '@app/catalog';
import { computeRuleSets } from './compute';
import type { CatalogFlow, Inventory, RuleSet, Vendor } from './model';
import { VENDORS } from './model';
import { shortHash } from './naming';
import { formatPorts } from './ports';
import {
  ExpectedInternetRule,
  ExpectedInternetRuleSet,
  ExpectedNat,
  internetExpected,
  internetInventory,
  InternetVersion,
} from './testing/internet.fixture';

/** The rule set as the fixture states it (object contents instead of names). */
function readable(ruleSet: RuleSet): ExpectedInternetRuleSet {
  const objects = new Map(ruleSet.addresses.map((a) => [a.name, a.entries]));
  const services = new Map(ruleSet.services.map((s) => [s.name, s]));
  const nat = new Map((ruleSet.nat ?? []).map((n) => [n.name, n]));
  const at = (name: string): string => {
    const entry = nat.get(name);
    if (!entry) throw new Error(`no NAT entry ${name}`);
    return `${entry.externalAddress}:${formatPorts([entry.externalPorts])}`;
  };
  return {
    rules: ruleSet.rules.map((r): ExpectedInternetRule => {
      const service = services.get(r.service);
      if (!service) throw new Error(`no service ${r.service}`);
      const vip = nat.has(r.destination);
      return {
        ingress: r.ingress,
        egress: r.egress,
        source: objects.get(r.source) as string[],
        destination: vip ? `vip:${at(r.destination)}` : (objects.get(r.destination) as string[]),
        protocol: r.protocol,
        ports: formatPorts(service.ports),
        flowIds: [...r.flowIds].sort(),
        ...(r.nat ? { nat: at(r.nat) } : {}),
      };
    }),
    nat: (ruleSet.nat ?? []).map((n): ExpectedNat => ({
      interface: n.interface,
      protocol: n.protocol,
      externalAddress: n.externalAddress,
      externalPorts: n.externalPorts,
      target: n.target,
      targetPorts: n.targetPorts,
      flowIds: n.flowIds,
    })),
  };
}

const sortRules = (rules: ExpectedInternetRule[]): ExpectedInternetRule[] =>
  [...rules].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));

describe.each<[InternetVersion, Vendor]>(
  (['utmstack-v9', 'utmstack-v11'] as const).flatMap((v) =>
    VENDORS.map((vendor): [InternetVersion, Vendor] => [v, vendor]),
  ),
)('internet deployment, %s, %s firewalls', (version, vendor) => {
  const inventory = internetInventory(version, vendor);
  const ruleSets = computeRuleSets(inventory, builtinFlows());
  const expected = internetExpected(version, vendor);

  it('computes exactly the hand-written rules and NAT entries of every firewall', () => {
    expect(ruleSets.map((r) => r.deviceId)).toEqual(['br1-fw', 'br2-fw', 'hq-fw']);
    for (const ruleSet of ruleSets) {
      const actual = readable(ruleSet);
      const wanted = expected[ruleSet.deviceId];
      expect({ device: ruleSet.deviceId, nat: actual.nat }).toEqual({
        device: ruleSet.deviceId,
        nat: wanted.nat,
      });
      expect({ device: ruleSet.deviceId, rules: sortRules(actual.rules) }).toEqual({
        device: ruleSet.deviceId,
        rules: sortRules(wanted.rules),
      });
    }
  });

  it('names NAT entries, objects and rules by the stable patterns and states the NAT semantics of the vendor', () => {
    const hq = ruleSets.find((r) => r.deviceId === 'hq-fw') as RuleSet;
    expect(hq.natSemantics).toBe(vendor === 'fortios' ? 'vip-in-policy' : 'filter-after-dnat');
    for (const entry of hq.nat ?? []) {
      expect(entry.name).toMatch(/^utm_nat_master_[0-9a-f]{6}_tcp$/);
      expect(entry.name).toBe(
        `utm_nat_master_${shortHash(
          JSON.stringify([
            'hq-master',
            'wan',
            '198.51.100.10',
            'tcp',
            entry.externalPorts.from,
            entry.externalPorts.to,
          ]),
        )}_tcp`,
      );
      expect(entry.publicationId).toBe('pub-master');
      expect(entry.nodeId).toBe('hq-master');
    }
    expect(hq.nat?.map((n) => n.order)).toEqual(hq.nat?.map((_, i) => i));
    for (const ruleSet of ruleSets) {
      for (const o of ruleSet.addresses) expect(o.name).toMatch(/^utm_[a-z_]+_(wan|lan|dmz)_[0-9a-f]{6}$/);
      for (const r of ruleSet.rules) {
        expect(r.name.length).toBeLessThanOrEqual(35);
        expect(r.name).toMatch(/^utm_[a-z_]+_to_[a-z_]+_[0-9a-f]{6}_tcp$/);
      }
      if (ruleSet.deviceId !== 'hq-fw') {
        expect(ruleSet.nat).toBeUndefined();
        expect(ruleSet.natSemantics).toBeUndefined();
      }
    }
    // every NAT rule names an entry of its rule set; FortiOS policies name the VIP as destination
    for (const r of hq.rules.filter((x) => x.nat)) {
      expect(hq.nat?.some((n) => n.name === r.nat)).toBe(true);
      if (vendor === 'fortios') expect(r.destination).toBe(r.nat);
      else expect(hq.addresses.find((a) => a.name === r.destination)?.entries).toEqual(['10.10.10.5/32']);
    }
  });

  it('explains each rule by its path', () => {
    const texts = ruleSets.flatMap((r) => r.rules.flatMap((x) => x.explanations.map((e) => e.text)));
    if (version === 'utmstack-v9') {
      expect(texts).toContain(
        'probe br1-probe → master hq-master: probe/proxy VPN to the master over the internet, 1194/tcp over the internet via 198.51.100.10:1194',
      );
      expect(texts).toContain('agent br2-agents → collector hq-master: logs, 5044/tcp');
    } else {
      expect(texts).toContain(
        'agent br1-agents → master hq-master: agent manager (gRPC over TLS), 9000/tcp over the internet via 198.51.100.10:19000',
      );
    }
  });

  it('does not depend on the order of the input', () => {
    const shuffled: Inventory = {
      ...inventory,
      sites: [...inventory.sites].reverse(),
      nodes: [...inventory.nodes].reverse(),
      devices: [...inventory.devices].reverse(),
      zones: [...inventory.zones].reverse(),
      publications: (inventory.publications ?? []).map((p) => ({ ...p, ports: [...p.ports].reverse() })),
      siteLinks: (inventory.siteLinks ?? []).map((l) => ({ ...l, siteAId: l.siteBId, siteBId: l.siteAId })),
    };
    const flows: CatalogFlow[] = [...builtinFlows()].reverse();
    expect(computeRuleSets(shuffled, flows)).toEqual(ruleSets);
  });

  it('computes each device alone exactly as in the whole', () => {
    for (const ruleSet of ruleSets) {
      expect(computeRuleSets(inventory, builtinFlows(), { deviceIds: [ruleSet.deviceId] })).toEqual([
        ruleSet,
      ]);
    }
  });
});
