import { Field, Int, ObjectType, registerEnumType } from '@nestjs/graphql';
import { ApiProperty } from '@nestjs/swagger';
import { formatPorts } from '@app/engine';
import { PROTOCOLS, ROLES, type CatalogFlow, type Protocol, type Role } from '@app/engine/model';
import { NodeRoleEnum } from '../inventory/nodes/node.model';

export const ProtocolEnum = Object.fromEntries(PROTOCOLS.map((p) => [p, p])) as { [K in Protocol]: K };
registerEnumType(ProtocolEnum, { name: 'Protocol' });

export const FLOW_TARGETS = [...ROLES, 'collector'] as const;

@ObjectType('PortRange')
export class PortRangeModel {
  @ApiProperty()
  @Field(() => Int)
  from!: number;

  @ApiProperty()
  @Field(() => Int)
  to!: number;
}

@ObjectType('CatalogFlow', {
  description: 'A flow UTMStack needs: from a role to a role (or the source’s collector)',
})
export class FlowModel {
  @ApiProperty({ example: 'v9-agent-collector-hids' })
  @Field()
  id!: string;

  @ApiProperty({ example: 'utmstack-v9' })
  @Field()
  version!: string;

  @ApiProperty({ enum: ROLES })
  @Field(() => NodeRoleEnum)
  from!: Role;

  @ApiProperty({ enum: FLOW_TARGETS, description: 'A role, or `collector` (the source node’s collector)' })
  @Field()
  to!: string;

  @ApiProperty({ enum: PROTOCOLS })
  @Field(() => ProtocolEnum)
  protocol!: Protocol;

  @ApiProperty({ example: '1514-1516' })
  @Field()
  ports!: string;

  @ApiProperty({ type: [PortRangeModel] })
  @Field(() => [PortRangeModel])
  portRanges!: PortRangeModel[];

  @ApiProperty()
  @Field()
  purpose!: string;

  @ApiProperty({ nullable: true, type: String, example: 'syslog' })
  @Field(() => String, { nullable: true })
  selector!: string | null;

  @ApiProperty({ description: 'True for operator-defined flows' })
  @Field()
  custom!: boolean;

  @ApiProperty({
    description: 'Increases on every change of a custom flow (ETag / If-Match); 1 for builtin flows',
  })
  @Field(() => Int)
  revision!: number;
}

@ObjectType('NeverExposedPort', { description: 'A UTMStack port that must never be reachable from outside' })
export class NeverExposedPortModel {
  @ApiProperty({ enum: PROTOCOLS })
  @Field(() => ProtocolEnum)
  protocol!: Protocol;

  @ApiProperty()
  @Field(() => Int)
  port!: number;

  @ApiProperty()
  @Field()
  service!: string;

  @ApiProperty()
  @Field()
  reason!: string;

  @ApiProperty({ type: [String] })
  @Field(() => [String])
  versions!: string[];
}

export function toFlowModel(flow: CatalogFlow & { revision?: number }): FlowModel {
  return {
    id: flow.id,
    version: flow.version,
    from: flow.from,
    to: flow.to,
    protocol: flow.protocol,
    ports: formatPorts(flow.ports),
    portRanges: flow.ports.map((r) => ({ from: r.from, to: r.to })),
    purpose: flow.purpose,
    selector: flow.selector ?? null,
    custom: flow.custom ?? false,
    revision: flow.revision ?? 1,
  };
}
