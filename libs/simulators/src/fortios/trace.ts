import { BlockList, isIPv4, isIPv6 } from 'node:net';
import type { SimPacket, SimVerdict } from '../core/packet-trace';
import { findRow, isObj, text, type Row, type VdomStore } from './tables';

/**
 * What a FortiGate does with one new connection, from one VDOM's committed tables.
 *
 * 1. Destination NAT first: "When a packet is destined for a VIP, Destination NAT (DNAT) is applied before the
 *    firewall policy check" (Fortinet KB community.fortinet.com/fortigate-3/technical-tip-deny-policy-for-virtual-
 *    ip-firewall-policy-94794); it happens only while at least one enabled policy references the VIP (KB
 *    community.fortinet.com/t5/FortiGate/Technical-Tip-Behavior-when-configured-local-in-policy-to-deny/ta-p/261055).
 *    A VIP matches on its `extintf` (`any` = every interface) and `extip`; `extip 0.0.0.0` with an `extintf` other
 *    than `any` is that interface's own address ("When the external interface is not any, 0.0.0.0 can be used to
 *    make the external IP address equivalent to the external interface's IP address",
 *    docs.fortinet.com/document/fortigate/7.2.10/administration-guide/443514/configuring-vips). With port
 *    forwarding, `protocol` and `extport` must match too, and the port maps to `mappedport` at the same offset.
 *    VIPs may overlap ("FortiOS does not check whether VIPs overlap", same page): the first in table order wins
 *    (which one a real device picks is unknown).
 * 2. Policies top-down, first match decides. Translated traffic matches only a policy whose destination is that
 *    VIP ("a deny policy with the destination set to 'All' or the original IP will not match the translated
 *    traffic", KB 94794; `match-vip` is not simulated), and the policy's service must match the MAPPED port
 *    (KB community.fortinet.com/t5/FortiGate/Technical-Tip-Traffic-intended-for-a-VIP-is-being-dropped-by/ta-p/
 *    355966 and Technical-Tip-How-to-use-virtual-IPs-with-non-standard-external/ta-p/262988). Untranslated traffic
 *    matches address objects on its original destination; VIP names never match it.
 * 3. Nothing matched: the implicit deny (policy 0).
 *
 * With central NAT on, "virtual IPs (VIPs) are not configured in the firewall policy" (docs.fortinet.com/document/
 * fortigate/7.2.4/administration-guide/448790/central-dnat): every enabled VIP translates, and policies match the
 * translated (real) destination with address objects, as for untranslated traffic.
 *
 * `dstintf` is not evaluated: the simulator has no routing table to find the egress interface.
 */
export function traceFortiOs(store: VdomStore, packet: SimPacket, centralNat = false): SimVerdict {
  const policies = store['firewall/policy'].filter((p) => text(p.status) !== 'disable');
  const referenced = new Set(policies.flatMap((p) => names(p.dstaddr)));
  const vip = store['firewall/vip'].find(
    (v) => (centralNat || referenced.has(text(v.name))) && vipMatches(store, v, packet),
  );
  const destination = vip ? translateAddress(vip, packet.destination) : packet.destination;
  const port = vip ? translatePort(vip, packet.port) : packet.port;
  const v6 = isIPv6(packet.source);
  for (const p of policies) {
    const srcintf = names(p.srcintf);
    if (!srcintf.includes('any') && !srcintf.includes(packet.interface)) continue;
    const src = names(v6 ? p.srcaddr6 : p.srcaddr);
    if (negate(p, 'srcaddr', addressesMatch(store, src, packet.source)) !== true) continue;
    const dst = names(v6 ? p.dstaddr6 : p.dstaddr);
    const dstMatch =
      vip && !centralNat ? dst.includes(text(vip.name)) : addressesMatch(store, dst, destination);
    if (negate(p, 'dstaddr', dstMatch) !== true) continue;
    if (negate(p, 'service', servicesMatch(store, names(p.service), packet.protocol, port)) !== true)
      continue;
    const rule = text(p.name) || `policy ${text(p.policyid)}`;
    const action = text(p.action) === 'accept' ? 'pass' : 'block';
    return { action, destination, port, rule, ...(vip ? { nat: text(vip.name) } : {}) };
  }
  return { action: 'block', destination, port, ...(vip ? { nat: text(vip.name) } : {}) };
}

function names(value: unknown): string[] {
  return Array.isArray(value) ? value.filter(isObj).map((m) => text(m.name)) : [];
}

function negate(p: Row, field: string, matched: boolean): boolean {
  return text(p[`${field}-negate`]) === 'enable' ? !matched : matched;
}

function ipToInt(ip: string): number {
  return ip.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
}

function intToIp(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');
}

/** `a` or `a-b` → [start, end] as integers. */
function range4(value: string): [number, number] | null {
  const [a, b] = value.split('-');
  if (!isIPv4(a) || (b !== undefined && !isIPv4(b))) return null;
  return [ipToInt(a), ipToInt(b ?? a)];
}

function portRange(value: string): [number, number] | null {
  const m = /^(\d+)(?:-(\d+))?$/.exec(value.trim());
  return m ? [Number(m[1]), Number(m[2] ?? m[1])] : null;
}

/** The VIP's external address range, resolving `0.0.0.0` to its interface's address. */
function externalRange(store: VdomStore, vip: Row): [number, number] | null {
  const extip = text(vip.extip);
  if (extip === '0.0.0.0' || extip === '') {
    const intf = text(vip.extintf);
    if (intf === 'any') return null;
    const row = findRow(store, 'system/interface', intf);
    const ip = text(row?.ip).split(' ')[0];
    if (!ip || ip === '0.0.0.0') return null;
    return [ipToInt(ip), ipToInt(ip)];
  }
  return range4(extip);
}

function vipMatches(store: VdomStore, vip: Row, packet: SimPacket): boolean {
  if (text(vip.type || 'static-nat') !== 'static-nat' || text(vip.status) === 'disable') return false;
  const intf = text(vip.extintf);
  if (intf !== 'any' && intf !== packet.interface) return false;
  if (!isIPv4(packet.destination)) return false;
  const ext = externalRange(store, vip);
  const d = ipToInt(packet.destination);
  if (!ext || d < ext[0] || d > ext[1]) return false;
  if (text(vip.portforward) !== 'enable') return true;
  if (text(vip.protocol) !== packet.protocol) return false;
  const ports = portRange(text(vip.extport));
  return ports !== null && packet.port >= ports[0] && packet.port <= ports[1];
}

function translateAddress(vip: Row, destination: string): string {
  const mapped = Array.isArray(vip.mappedip) && isObj(vip.mappedip[0]) ? text(vip.mappedip[0].range) : '';
  const target = range4(mapped);
  const ext = range4(text(vip.extip));
  if (!target) return destination;
  // 1-to-1 over a range: the same offset inside the mapped range; `extip 0.0.0.0` is one address.
  const offset = ext && ext[1] > ext[0] ? ipToInt(destination) - ext[0] : 0;
  return intToIp(Math.min(target[0] + offset, target[1]));
}

function translatePort(vip: Row, port: number): number {
  if (text(vip.portforward) !== 'enable') return port;
  const ext = portRange(text(vip.extport));
  const mapped = portRange(text(vip.mappedport));
  if (!ext || !mapped) return port;
  return Math.min(mapped[0] + (port - ext[0]), mapped[1]);
}

/** Whether any of the address objects (address/addrgrp, v4 or v6, recursively) contains `ip`. */
function addressesMatch(store: VdomStore, list: string[], ip: string, seen = new Set<string>()): boolean {
  const family = isIPv6(ip) ? 'ipv6' : 'ipv4';
  for (const name of list) {
    if (seen.has(name)) continue;
    seen.add(name);
    const group = findRow(store, 'firewall/addrgrp', name) ?? findRow(store, 'firewall/addrgrp6', name);
    if (group) {
      if (addressesMatch(store, names(group.member), ip, seen)) return true;
      continue;
    }
    const row = findRow(store, 'firewall/address', name) ?? findRow(store, 'firewall/address6', name);
    if (!row) continue;
    const block = new BlockList();
    try {
      const type = text(row.type);
      if (type === 'ipmask') {
        const [net, mask] = text(row.subnet).split(' ');
        const len = ipToInt(mask)
          .toString(2)
          .split('')
          .filter((c) => c === '1').length;
        block.addSubnet(net, len, 'ipv4');
      } else if (type === 'ipprefix') {
        const [net, len] = text(row.ip6).split('/');
        block.addSubnet(net, Number(len), 'ipv6');
      } else if (type === 'iprange') {
        block.addRange(
          text(row['start-ip']),
          text(row['end-ip']),
          isIPv6(text(row['start-ip'])) ? 'ipv6' : 'ipv4',
        );
      } else continue;
      if (block.check(ip, family)) return true;
    } catch {
      continue;
    }
  }
  return false;
}

function servicesMatch(
  store: VdomStore,
  list: string[],
  protocol: 'tcp' | 'udp',
  port: number,
  seen = new Set<string>(),
): boolean {
  for (const name of list) {
    if (seen.has(name)) continue;
    seen.add(name);
    const group = findRow(store, 'firewall.service/group', name);
    if (group) {
      if (servicesMatch(store, names(group.member), protocol, port, seen)) return true;
      continue;
    }
    const row = findRow(store, 'firewall.service/custom', name);
    if (!row) continue;
    if (text(row.protocol) === 'IP') {
      const n = Number(row['protocol-number'] ?? 0);
      if (n === 0 || (n === 6 && protocol === 'tcp') || (n === 17 && protocol === 'udp')) return true;
      continue;
    }
    for (const entry of text(row[`${protocol}-portrange`]).split(/\s+/)) {
      // `dst[-high][:src[-high]]`: the destination part decides.
      const r = portRange(entry.split(':')[0]);
      if (r && port >= r[0] && port <= r[1]) return true;
    }
  }
  return false;
}
