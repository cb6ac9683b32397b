import { Field, ID, Int, ObjectType } from '@nestjs/graphql';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { formatPorts } from '@app/engine';
import {
  PROTOCOLS,
  SITE_CONNECTIVITIES,
  VENDORS,
  type NatSemantics,
  type PortRange,
  type Protocol,
  type ReachabilityResult,
  type RuleSet,
  type Vendor,
} from '@app/engine/model';
import { PortRangeModel, ProtocolEnum } from '../catalog/flow.model';
import { VendorEnum } from '../inventory/devices/device.model';

@ObjectType('AddressObject')
export class AddressObjectModel {
  @ApiProperty({ example: 'utm_agent_lan_7f026f' })
  @Field()
  name!: string;

  @ApiProperty({ enum: [4, 6] })
  @Field(() => Int)
  family!: number;

  @ApiProperty({ type: [String], example: ['10.1.20.0/24'] })
  @Field(() => [String])
  entries!: string[];

  @ApiProperty()
  @Field()
  description!: string;
}

@ObjectType('ServiceObject')
export class ServiceObjectModel {
  @ApiProperty({ example: 'utm_tcp_1514_1516' })
  @Field()
  name!: string;

  @ApiProperty({ enum: PROTOCOLS })
  @Field(() => ProtocolEnum)
  protocol!: Protocol;

  @ApiProperty({ example: '1514-1516,5044' })
  @Field()
  ports!: string;

  @ApiProperty({ type: [PortRangeModel] })
  @Field(() => [PortRangeModel])
  portRanges!: PortRange[];

  @ApiProperty()
  @Field()
  description!: string;
}

@ObjectType('RuleExplanation')
export class RuleExplanationModel {
  @ApiProperty()
  @Field()
  flowId!: string;

  @ApiProperty()
  @Field()
  catalogVersion!: string;

  @ApiProperty()
  @Field()
  purpose!: string;

  @ApiProperty({ type: [String] })
  @Field(() => [ID])
  sourceNodeIds!: string[];

  @ApiProperty({ type: [String] })
  @Field(() => [ID])
  destinationNodeIds!: string[];

  @ApiProperty({
    example: 'agents of Branch-1 → collector hq-master: HIDS agent communication, 1514-1516/tcp',
  })
  @Field()
  text!: string;
}

@ObjectType('Rule')
export class RuleModel {
  @ApiProperty()
  @Field()
  name!: string;

  @ApiProperty()
  @Field(() => Int)
  order!: number;

  @ApiProperty({ example: 'lan' })
  @Field()
  ingress!: string;

  @ApiProperty({ example: 'wan' })
  @Field()
  egress!: string;

  @ApiProperty({ enum: [4, 6] })
  @Field(() => Int)
  family!: number;

  @ApiProperty({ description: 'Address object name' })
  @Field()
  source!: string;

  @ApiProperty({ description: 'Address object name' })
  @Field()
  destination!: string;

  @ApiProperty({ description: 'Service object name' })
  @Field()
  service!: string;

  @ApiProperty({ enum: PROTOCOLS })
  @Field(() => ProtocolEnum)
  protocol!: Protocol;

  @ApiProperty({ type: [String] })
  @Field(() => [String])
  flowIds!: string[];

  @ApiProperty({ type: [String] })
  @Field(() => [ID])
  sourceNodeIds!: string[];

  @ApiProperty({ type: [String] })
  @Field(() => [ID])
  destinationNodeIds!: string[];

  @ApiProperty({ type: [RuleExplanationModel] })
  @Field(() => [RuleExplanationModel])
  explanations!: RuleExplanationModel[];

  @ApiPropertyOptional({
    type: String,
    description:
      'Name of the NAT entry whose forwarded traffic this rule admits (absent for plain rules); with ' +
      'vip-in-policy the destination is that entry (the VIP)',
  })
  @Field(() => String, { nullable: true, description: 'NAT entry whose forwarded traffic this rule admits' })
  nat?: string;
}

export const NAT_SEMANTICS: readonly NatSemantics[] = ['filter-after-dnat', 'vip-in-policy'];

@ObjectType('NatEntry', {
  description: 'One destination NAT (port forward / VIP): IPv4, one protocol, one contiguous port range',
})
export class NatEntryModel {
  @ApiProperty()
  @Field()
  name!: string;

  @ApiProperty()
  @Field(() => Int)
  order!: number;

  @ApiProperty({ example: 'wan', description: 'External interface the traffic arrives on' })
  @Field()
  interface!: string;

  @ApiProperty({ enum: PROTOCOLS })
  @Field(() => ProtocolEnum)
  protocol!: Protocol;

  @ApiProperty({ example: '198.51.100.10', description: "Public IPv4 host address, or 'interface'" })
  @Field()
  externalAddress!: string;

  @ApiProperty({ type: PortRangeModel })
  @Field(() => PortRangeModel)
  externalPorts!: PortRange;

  @ApiProperty({ example: '10.10.10.5', description: "The published node's private IPv4 host address" })
  @Field()
  target!: string;

  @ApiProperty({ type: PortRangeModel })
  @Field(() => PortRangeModel)
  targetPorts!: PortRange;

  @ApiProperty({ format: 'uuid' })
  @Field(() => ID)
  publicationId!: string;

  @ApiProperty({ format: 'uuid' })
  @Field(() => ID)
  nodeId!: string;

  @ApiProperty({ type: [String] })
  @Field(() => [String])
  flowIds!: string[];

  @ApiProperty()
  @Field()
  description!: string;
}

@ObjectType('RuleSet', { description: 'The computed desired state of one device' })
export class RuleSetModel {
  @ApiProperty()
  @Field(() => ID)
  deviceId!: string;

  @ApiProperty()
  @Field()
  deviceName!: string;

  @ApiProperty({ enum: VENDORS })
  @Field(() => VendorEnum)
  vendor!: Vendor;

  @ApiProperty({ example: 'utm_' })
  @Field()
  prefix!: string;

  @ApiProperty({ description: 'Stable hash of the whole rule set; changes only when the rule set does' })
  @Field()
  hash!: string;

  @ApiProperty({ type: [AddressObjectModel] })
  @Field(() => [AddressObjectModel])
  addresses!: AddressObjectModel[];

  @ApiProperty({ type: [ServiceObjectModel] })
  @Field(() => [ServiceObjectModel])
  services!: ServiceObjectModel[];

  @ApiProperty({ type: [RuleModel] })
  @Field(() => [RuleModel])
  rules!: RuleModel[];

  @ApiPropertyOptional({
    type: [NatEntryModel],
    description: 'Destination NAT entries (publications this device forwards); absent when there are none',
  })
  @Field(() => [NatEntryModel], { nullable: true })
  nat?: NatEntryModel[];

  @ApiPropertyOptional({
    enum: NAT_SEMANTICS,
    description:
      'How the vendor matches forwarded traffic: filter-after-dnat (pfSense, OPNsense: the rule names the ' +
      'private target) or vip-in-policy (FortiOS: the policy names the VIP); present with nat',
  })
  @Field(() => String, { nullable: true })
  natSemantics?: NatSemantics;
}

export function toRuleSetModel(ruleSet: RuleSet): RuleSetModel {
  return {
    deviceId: ruleSet.deviceId,
    deviceName: ruleSet.deviceName,
    vendor: ruleSet.vendor,
    prefix: ruleSet.prefix,
    hash: ruleSet.hash,
    addresses: ruleSet.addresses,
    services: ruleSet.services.map((s) => ({ ...s, ports: formatPorts(s.ports), portRanges: s.ports })),
    rules: ruleSet.rules,
    ...(ruleSet.nat ? { nat: ruleSet.nat } : {}),
    ...(ruleSet.natSemantics ? { natSemantics: ruleSet.natSemantics } : {}),
  };
}

@ObjectType('TrafficSpec')
export class TrafficSpecModel {
  @ApiProperty({ enum: PROTOCOLS })
  @Field(() => ProtocolEnum)
  protocol!: Protocol;

  @ApiProperty()
  @Field()
  ports!: string;
}

@ObjectType('ReachabilityFlow')
export class ReachabilityFlowModel {
  @ApiProperty()
  @Field()
  flowId!: string;

  @ApiProperty()
  @Field()
  catalogVersion!: string;

  @ApiProperty({ enum: PROTOCOLS })
  @Field(() => ProtocolEnum)
  protocol!: Protocol;

  @ApiProperty()
  @Field()
  ports!: string;

  @ApiProperty()
  @Field()
  purpose!: string;

  @ApiProperty({ nullable: true, type: String })
  @Field(() => String, { nullable: true })
  selector!: string | null;
}

@ObjectType('ReachabilityRuleMatch')
export class ReachabilityRuleMatchModel {
  @ApiProperty()
  @Field(() => ID)
  deviceId!: string;

  @ApiProperty()
  @Field()
  ruleName!: string;

  @ApiProperty({ enum: PROTOCOLS })
  @Field(() => ProtocolEnum)
  protocol!: Protocol;

  @ApiProperty()
  @Field()
  ports!: string;

  @ApiProperty({ description: 'The rule covers the hop’s whole source and destination' })
  @Field()
  complete!: boolean;
}

@ObjectType('ReachabilityTranslation', { description: 'A destination NAT applied on a hop' })
export class ReachabilityTranslationModel {
  @ApiProperty()
  @Field()
  natEntry!: string;

  @ApiProperty({ enum: PROTOCOLS })
  @Field(() => ProtocolEnum)
  protocol!: Protocol;

  @ApiProperty()
  @Field()
  externalAddress!: string;

  @ApiProperty({ type: PortRangeModel })
  @Field(() => PortRangeModel)
  externalPorts!: PortRange;

  @ApiProperty()
  @Field()
  target!: string;

  @ApiProperty({ type: PortRangeModel })
  @Field(() => PortRangeModel)
  targetPorts!: PortRange;

  @ApiProperty({ example: 'HQ pfSense: wan 198.51.100.10:1194 → hq-master 10.10.10.5:1194' })
  @Field()
  text!: string;
}

@ObjectType('ReachabilityCarried', { description: "A flow carried inside another flow's tunnel" })
export class ReachabilityCarriedModel {
  @ApiProperty()
  @Field()
  flowId!: string;

  @ApiProperty()
  @Field()
  carrierFlowId!: string;

  @ApiProperty()
  @Field()
  text!: string;
}

@ObjectType('ReachabilityHop', {
  description: 'A device on the path, with the interfaces the traffic crosses',
})
export class ReachabilityHopModel {
  @ApiProperty()
  @Field(() => ID)
  deviceId!: string;

  @ApiProperty()
  @Field()
  deviceName!: string;

  @ApiProperty({ enum: VENDORS })
  @Field(() => VendorEnum)
  vendor!: Vendor;

  @ApiProperty({ enum: [4, 6] })
  @Field(() => Int)
  family!: number;

  @ApiProperty()
  @Field()
  ingress!: string;

  @ApiProperty()
  @Field()
  egress!: string;

  @ApiProperty({ type: [String] })
  @Field(() => [String])
  sourceCidrs!: string[];

  @ApiProperty({ type: [String] })
  @Field(() => [String])
  destinationCidrs!: string[];

  @ApiProperty({ type: [ReachabilityRuleMatchModel] })
  @Field(() => [ReachabilityRuleMatchModel])
  rules!: ReachabilityRuleMatchModel[];

  @ApiProperty({ type: [TrafficSpecModel], description: 'Checked traffic no rule fully allows on this hop' })
  @Field(() => [TrafficSpecModel])
  missing!: TrafficSpecModel[];

  @ApiPropertyOptional({
    type: () => [ReachabilityTranslationModel],
    description: 'Destination NAT this hop applies (internet paths)',
  })
  @Field(() => [ReachabilityTranslationModel], { nullable: true })
  translations?: ReachabilityTranslationModel[];
}

@ObjectType('DeploymentRef', { description: 'A deployment named in a result' })
export class DeploymentRefModel {
  @ApiProperty({ format: 'uuid' })
  @Field(() => ID)
  id!: string;

  @ApiProperty({ example: 'Acme' })
  @Field()
  name!: string;
}

@ObjectType('Reachability')
export class ReachabilityModel {
  @ApiProperty()
  @Field(() => ID)
  fromNodeId!: string;

  @ApiProperty()
  @Field(() => ID)
  toNodeId!: string;

  @ApiProperty({ type: DeploymentRefModel, nullable: true, description: "The source node's deployment" })
  @Field(() => DeploymentRefModel, { nullable: true, description: "The source node's deployment" })
  fromDeployment!: DeploymentRefModel | null;

  @ApiProperty({
    type: DeploymentRefModel,
    nullable: true,
    description: "The destination node's deployment; flows never join two deployments",
  })
  @Field(() => DeploymentRefModel, {
    nullable: true,
    description: "The destination node's deployment; flows never join two deployments",
  })
  toDeployment!: DeploymentRefModel | null;

  @ApiProperty({
    nullable: true,
    type: String,
    description: "Catalog version of the source node (its site's override, else its deployment's)",
  })
  @Field(() => String, { nullable: true })
  catalogVersion!: string | null;

  @ApiProperty({ type: [ReachabilityFlowModel], description: 'Catalog flows that require this traffic' })
  @Field(() => [ReachabilityFlowModel])
  flows!: ReachabilityFlowModel[];

  @ApiProperty({ type: [TrafficSpecModel] })
  @Field(() => [TrafficSpecModel])
  checked!: TrafficSpecModel[];

  @ApiProperty({ type: [ReachabilityHopModel] })
  @Field(() => [ReachabilityHopModel])
  hops!: ReachabilityHopModel[];

  @ApiPropertyOptional({
    enum: ['same-site', ...SITE_CONNECTIVITIES],
    description: "How the two nodes' sites reach each other",
  })
  @Field(() => String, { nullable: true, description: 'same-site, routed or internet' })
  path?: string;

  @ApiPropertyOptional({
    type: [ReachabilityCarriedModel],
    description: "Flows carried inside another flow's tunnel (checked on no hop)",
  })
  @Field(() => [ReachabilityCarriedModel], { nullable: true })
  carried?: ReachabilityCarriedModel[];

  @ApiPropertyOptional({
    type: [TrafficSpecModel],
    description: 'Internet paths: traffic the destination needs but no publication forwards (never allowed)',
  })
  @Field(() => [TrafficSpecModel], { nullable: true })
  unpublished?: TrafficSpecModel[];

  @ApiProperty({ description: 'Every hop allows everything checked' })
  @Field()
  allowed!: boolean;
}

export function toReachabilityModel(result: ReachabilityResult): ReachabilityModel {
  const traffic = (t: { protocol: Protocol; ports: PortRange[] }): TrafficSpecModel => ({
    protocol: t.protocol,
    ports: formatPorts(t.ports),
  });
  return {
    fromNodeId: result.fromNodeId,
    toNodeId: result.toNodeId,
    fromDeployment: result.fromDeployment,
    toDeployment: result.toDeployment,
    catalogVersion: result.catalogVersion,
    flows: result.flows.map((f) => ({ ...f, ports: formatPorts(f.ports) })),
    checked: result.checked.map(traffic),
    hops: result.hops.map((h) => ({
      ...h,
      rules: h.rules.map((r) => ({ ...r, ports: formatPorts(r.ports) })),
      missing: h.missing.map(traffic),
    })),
    ...(result.path ? { path: result.path } : {}),
    ...(result.carried ? { carried: result.carried } : {}),
    ...(result.unpublished ? { unpublished: result.unpublished.map(traffic) } : {}),
    allowed: result.allowed,
  };
}
