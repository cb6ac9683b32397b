/**
 * What a simulated firewall does with one new connection, judged from its *live, applied* configuration (never
 * from the engine's rule set): tests use it to prove that the state a connector pushed forwards and admits exactly
 * the traffic it should. Each vendor simulator implements it with its vendor's evaluation order (pf: rdr before
 * filter, first/quick match; FortiOS: VIP DNAT, then policies top-down with the VIP as destination; OPNsense: d_nat
 * before filter), citing the vendor source beside the behaviour.
 */
export interface SimPacket {
  /** Interface the packet arrives on (vendor name: `wan`, `port1`, OPNsense interface id). */
  interface: string;
  /** IPv4/IPv6 host addresses, no prefix. */
  source: string;
  destination: string;
  protocol: 'tcp' | 'udp';
  port: number;
}

export interface SimVerdict {
  action: 'pass' | 'block';
  /** Destination after any destination NAT (equal to the packet's when none applied). */
  destination: string;
  port: number;
  /** Name/description of the NAT entry that translated it, when one did. */
  nat?: string;
  /** Name/description of the rule that decided, when one did (absent: the default deny). */
  rule?: string;
}

/** Implemented by every vendor simulator. */
export interface PacketTracer {
  trace(packet: SimPacket): SimVerdict;
}
