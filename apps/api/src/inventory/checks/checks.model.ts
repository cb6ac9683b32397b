import { ArgsType, Field, ID, ObjectType } from '@nestjs/graphql';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsUUID } from 'class-validator';
import { CHECK_CODES, type CheckCode, type CheckEntityType, type CheckSeverity } from './checks';

const ENTITY_TYPES: CheckEntityType[] = ['node', 'zone', 'device', 'deployment'];
const SEVERITIES: CheckSeverity[] = ['warning', 'error'];

@ObjectType('InventoryCheckEntity', { description: 'The inventory entity a finding is about' })
export class InventoryCheckEntityModel {
  @ApiProperty({ enum: ENTITY_TYPES })
  @Field(() => String, { description: 'node, zone, device or deployment' })
  type!: CheckEntityType;

  @ApiProperty({ format: 'uuid' })
  @Field(() => ID)
  id!: string;

  @ApiProperty()
  @Field()
  name!: string;
}

const WARNING_DESCRIPTION =
  'A guard-rail finding: legal but probably wrong (severity warning), or stored data that a write would now be ' +
  'refused for (severity error)';

@ObjectType('InventoryWarning', { description: WARNING_DESCRIPTION })
export class InventoryWarningModel {
  @ApiProperty({ enum: CHECK_CODES, example: 'NODE_OUTSIDE_ZONES' })
  @Field(() => String, { description: `One of ${CHECK_CODES.join(', ')}` })
  code!: CheckCode;

  @ApiProperty({ enum: SEVERITIES })
  @Field(() => String, { description: 'warning or error' })
  severity!: CheckSeverity;

  @ApiProperty({ example: 'addresses.0', description: "The entity's field the finding is about" })
  @Field()
  field!: string;

  @ApiProperty()
  @Field()
  message!: string;

  @ApiProperty({ type: InventoryCheckEntityModel })
  @Field(() => InventoryCheckEntityModel)
  entity!: InventoryCheckEntityModel;
}

/** Shared by the write responses of nodes, zones, devices and deployments. */
export const WARNINGS_FIELD_DESCRIPTION =
  'Guard-rail findings about this entity, answered by create and update (absent/null on reads; ' +
  'GET /api/v1/inventory/checks lists them all)';

export class InventoryCheckList {
  @ApiProperty({ type: [InventoryWarningModel] })
  items!: InventoryWarningModel[];

  @ApiProperty()
  total!: number;
}

export class InventoryCheckQuery {
  @ApiPropertyOptional({ format: 'uuid', description: 'Only findings about this deployment (and its sites)' })
  @IsOptional()
  @IsUUID()
  deploymentId?: string;

  @ApiPropertyOptional({ format: 'uuid', description: "Only findings about this tenant's deployments" })
  @IsOptional()
  @IsUUID()
  tenantId?: string;

  @ApiPropertyOptional({ enum: CHECK_CODES })
  @IsOptional()
  @IsIn(CHECK_CODES)
  code?: CheckCode;
}

@ArgsType()
export class InventoryCheckArgs {
  @Field(() => ID, { nullable: true })
  @IsOptional()
  @IsUUID()
  deploymentId?: string;

  @Field(() => ID, { nullable: true })
  @IsOptional()
  @IsUUID()
  tenantId?: string;

  @Field(() => String, { nullable: true, description: `One of ${CHECK_CODES.join(', ')}` })
  @IsOptional()
  @IsIn(CHECK_CODES)
  code?: CheckCode;
}
