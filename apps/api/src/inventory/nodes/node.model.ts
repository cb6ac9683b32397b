import { Field, ID, ObjectType, registerEnumType } from '@nestjs/graphql';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ROLES, type Role } from '@app/engine/model';
import type { Node as NodeRow } from '@app/persistence';
import { ResourceModel, resourceFields } from '../../common/models/resource.model';
import { ConnectionType } from '../../common/pagination/pagination';
import { InventoryWarningModel, WARNINGS_FIELD_DESCRIPTION } from '../checks/checks.model';

export const NodeRoleEnum = Object.fromEntries(ROLES.map((r) => [r, r])) as { [K in Role]: K };
registerEnumType(NodeRoleEnum, { name: 'NodeRole', description: 'Role of a UTMStack participant' });

@ObjectType('NodeAddress', { description: 'One address of a node and the zone of its site it falls in' })
export class NodeAddressModel {
  @ApiProperty({ example: '10.1.20.0/24' })
  @Field()
  address!: string;

  @ApiProperty({ format: 'uuid', nullable: true, type: String })
  @Field(() => ID, { nullable: true })
  zoneId!: string | null;

  @ApiProperty({ nullable: true, type: String })
  @Field(() => String, { nullable: true })
  zoneName!: string | null;
}

@ObjectType('Node', {
  description: 'A UTMStack participant: master, probe, agent(s), agentless source(s) or console users',
})
export class NodeModel extends ResourceModel {
  @ApiProperty({ format: 'uuid' })
  @Field(() => ID)
  siteId!: string;

  @ApiProperty({ format: 'uuid' })
  @Field(() => ID)
  deploymentId!: string;

  @ApiProperty()
  @Field()
  name!: string;

  @ApiProperty({ enum: ROLES })
  @Field(() => NodeRoleEnum)
  role!: Role;

  @ApiProperty({ type: [String], example: ['10.1.20.0/24'] })
  @Field(() => [String])
  addresses!: string[];

  @ApiProperty({ format: 'uuid', nullable: true, type: String })
  @Field(() => ID, { nullable: true })
  collectorId!: string | null;

  @ApiProperty({
    format: 'uuid',
    nullable: true,
    type: String,
    description: "A probe's master (null: every master of its deployment)",
  })
  @Field(() => ID, { nullable: true, description: "A probe's master (null: every master of its deployment)" })
  masterId!: string | null;

  @ApiProperty({ type: [String], example: ['syslog'] })
  @Field(() => [String])
  selectors!: string[];

  @ApiProperty({
    type: [NodeAddressModel],
    description: 'Zone of each address (null when outside every zone)',
  })
  @Field(() => [NodeAddressModel], { description: 'Zone of each address (null when outside every zone)' })
  addressZones!: NodeAddressModel[];

  @ApiPropertyOptional({ type: [InventoryWarningModel], description: WARNINGS_FIELD_DESCRIPTION })
  @Field(() => [InventoryWarningModel], { nullable: true, description: WARNINGS_FIELD_DESCRIPTION })
  warnings?: InventoryWarningModel[];
}

@ObjectType('NodeConnection')
export class NodeConnection extends ConnectionType(NodeModel) {}

export function toNodeModel(
  row: NodeRow & { addressZones: NodeAddressModel[]; warnings?: InventoryWarningModel[] },
): NodeModel {
  return {
    ...resourceFields(row),
    siteId: row.siteId,
    deploymentId: row.deploymentId,
    name: row.name,
    role: row.role,
    addresses: row.addresses,
    collectorId: row.collectorId,
    masterId: row.masterId,
    selectors: row.selectors,
    addressZones: row.addressZones,
    ...(row.warnings ? { warnings: row.warnings } : {}),
  };
}
