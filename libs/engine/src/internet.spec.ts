import { builtinFlows } from '@app/catalog';
import { computeRuleSets } from './compute';
import { PUBLIC_IPV4 } from './internet';
import { formatCidr, summarizeCidrList } from './ip';
import { traceReachability } from './reachability';
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
  PUBLIC_INTERNET,
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
      const descriptions = (id: string): string[] =>
        (ruleSets.find((r) => r.deviceId === id) as RuleSet).addresses.map(
          (a) => `${a.entries.join(',')} ${a.description}`,
        );
      expect(descriptions('hq-fw')).toEqual(
        expect.arrayContaining([
          '203.0.113.20/32 probe br1-probe over the internet',
          `${PUBLIC_INTERNET.join(',')} console analysts over the internet`,
          '10.10.10.5/32 master hq-master',
          '10.30.10.0/24 agent br2-agents',
        ]),
      );
      expect(descriptions('br1-fw')).toContain('198.51.100.10/32 master hq-master over the internet');
      // the private target keeps the name it has on any path (hand-checked.fixture: master_<interface>_983f45)
      expect(
        (ruleSets.find((r) => r.deviceId === 'hq-fw') as RuleSet).addresses.map((a) => a.name),
      ).toContain('utm_master_lan_983f45');
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

describe('reachability over the internet (hand-checked deployment)', () => {
  const trace = (version: InternetVersion, vendor: Vendor, from: string, to: string) => {
    const inventory = internetInventory(version, vendor);
    return traceReachability(inventory, builtinFlows(), computeRuleSets(inventory, builtinFlows()), from, to);
  };

  it.each(VENDORS)('follows the probe VPN from Branch-1 through the forward at HQ (%s)', (vendor) => {
    const result = trace('utmstack-v9', vendor, 'br1-probe', 'hq-master');
    expect(result.path).toBe('internet');
    expect(result.allowed).toBe(true);
    expect(result.carried).toEqual([]);
    expect(result.unpublished).toEqual([]);
    expect(
      result.hops.map((h) => [h.deviceId, h.ingress, h.egress, h.sourceCidrs, h.destinationCidrs, h.missing]),
    ).toEqual([
      ['br1-fw', 'dmz', 'wan', ['10.20.20.10/32'], ['198.51.100.10/32'], []],
      ['hq-fw', 'wan', 'lan', ['203.0.113.20/32'], ['10.10.10.5/32'], []],
    ]);
    expect(result.hops[0].translations).toBeUndefined();
    expect(result.hops[1].translations?.map((t) => t.text)).toEqual([
      'HQ firewall: wan 198.51.100.10:1194 → hq-master 10.10.10.5:1194',
    ]);
    expect(result.hops[1].rules.every((r) => r.complete)).toBe(true);
  });

  it('needs nothing for the master → probe flows: they travel inside the probe VPN', () => {
    const result = trace('utmstack-v9', 'pfsense', 'hq-master', 'br1-probe');
    expect(result.flows.map((f) => f.flowId).sort()).toEqual([
      'v9-master-probe-asset-discovery',
      'v9-master-probe-vuln-scanner',
    ]);
    expect(result.carried).toEqual([
      {
        flowId: 'v9-master-probe-asset-discovery',
        carrierFlowId: 'v9-probe-master-vpn',
        text: 'master hq-master → probe br1-probe: asset discovery 5000/tcp, 8000/tcp carried inside v9-probe-master-vpn 1194/tcp',
      },
      {
        flowId: 'v9-master-probe-vuln-scanner',
        carrierFlowId: 'v9-probe-master-vpn',
        text: 'master hq-master → probe br1-probe: vulnerability scanner 9390/tcp, 8888/tcp carried inside v9-probe-master-vpn 1194/tcp',
      },
    ]);
    expect(result.hops).toEqual([]);
    expect(result.checked).toEqual([]);
    expect(result.allowed).toBe(true);
  });

  it.each(VENDORS)('reports what the analysts need but nobody publishes (v11, %s)', (vendor) => {
    const result = trace('utmstack-v11', vendor, 'analysts', 'hq-master');
    expect(result.path).toBe('internet');
    expect(result.unpublished).toEqual([
      {
        protocol: 'tcp',
        ports: [
          { from: 22, to: 22 },
          { from: 80, to: 80 },
          { from: 9090, to: 9090 },
        ],
      },
    ]);
    expect(result.allowed).toBe(false);
    // no firewall of the roaming site: the forward at HQ is the only hop, and 443 passes it
    expect(result.hops.map((h) => [h.deviceId, h.sourceCidrs, h.destinationCidrs, h.missing])).toEqual([
      ['hq-fw', PUBLIC_INTERNET, ['10.10.10.5/32'], []],
    ]);
    expect(result.hops[0].translations?.map((t) => t.text)).toEqual([
      'HQ firewall: wan 198.51.100.10:443 → hq-master 10.10.10.5:443',
    ]);
  });

  it('follows Branch-2 over its VPN by private addresses', () => {
    const result = trace('utmstack-v11', 'fortios', 'br2-agents', 'hq-master');
    expect(result.path).toBe('routed');
    expect(result.allowed).toBe(true);
    expect(result.hops.map((h) => [h.deviceId, h.ingress, h.egress, h.destinationCidrs])).toEqual([
      ['br2-fw', 'lan', 'wan', ['10.10.10.5/32']],
      ['hq-fw', 'wan', 'lan', ['10.10.10.5/32']],
    ]);
  });

  it('reports a forward missing on the device as missing on its hop', () => {
    const inventory = internetInventory('utmstack-v9', 'pfsense');
    const ruleSets = computeRuleSets(inventory, builtinFlows()).map((r) =>
      r.deviceId === 'hq-fw' ? { ...r, nat: (r.nat ?? []).filter((n) => n.externalPorts.from !== 1194) } : r,
    );
    const result = traceReachability(inventory, builtinFlows(), ruleSets, 'br1-probe', 'hq-master');
    expect(result.allowed).toBe(false);
    expect(result.hops[1].translations).toEqual([]);
    expect(result.hops[1].missing).toEqual([{ protocol: 'tcp', ports: [{ from: 1194, to: 1194 }] }]);
  });
});

describe('the hand-written public internet of the fixture', () => {
  const number = (text: string): number => text.split('.').reduce((acc, part) => acc * 256 + Number(part), 0);
  it('is aligned blocks covering exactly the gaps between the non-public ranges', () => {
    const blocks = PUBLIC_INTERNET.map((c) => {
      const [address, prefix] = c.split('/');
      const size = 2 ** (32 - Number(prefix));
      expect({ c, aligned: number(address) % size === 0 }).toEqual({ c, aligned: true });
      return [number(address), number(address) + size - 1];
    });
    const merged: number[][] = [];
    for (const [first, last] of blocks) {
      const previous = merged[merged.length - 1];
      expect(previous === undefined || first > previous[1]).toBe(true); // sorted, disjoint
      if (previous && first === previous[1] + 1) previous[1] = last;
      else merged.push([first, last]);
    }
    const gaps = [
      ['1.0.0.0', '9.255.255.255'],
      ['11.0.0.0', '100.63.255.255'],
      ['100.128.0.0', '126.255.255.255'],
      ['128.0.0.0', '169.253.255.255'],
      ['169.255.0.0', '172.15.255.255'],
      ['172.32.0.0', '191.255.255.255'],
      ['192.0.1.0', '192.167.255.255'],
      ['192.169.0.0', '198.17.255.255'],
      ['198.20.0.0', '223.255.255.255'],
    ];
    expect(merged).toEqual(gaps.map(([a, b]) => [number(a), number(b)]));
  });
});

describe("the engine's public internet", () => {
  // AddressSetRegistry.internSummary takes it as it is: it must be what summarising would give.
  it('is canonical: summarising it again changes nothing', () => {
    expect(summarizeCidrList(4, PUBLIC_IPV4).map(formatCidr)).toEqual(PUBLIC_IPV4.map(formatCidr));
    expect(PUBLIC_IPV4.map(formatCidr)).toEqual(PUBLIC_INTERNET);
  });
});
