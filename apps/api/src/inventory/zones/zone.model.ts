import { Field, ID, ObjectType } from '@nestjs/graphql';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { Zone as ZoneRow } from '@app/persistence';
import { ResourceModel, resourceFields } from '../../common/models/resource.model';
import { ConnectionType } from '../../common/pagination/pagination';
import { InventoryWarningModel, WARNINGS_FIELD_DESCRIPTION } from '../checks/checks.model';

@ObjectType('Zone', { description: 'A named network segment of a site' })
export class ZoneModel extends ResourceModel {
  @ApiProperty({ format: 'uuid' })
  @Field(() => ID)
  siteId!: string;

  @ApiProperty()
  @Field()
  name!: string;

  @ApiProperty({ type: [String], example: ['10.1.10.0/24', 'fd00:1::/64'] })
  @Field(() => [String])
  cidrs!: string[];

  @ApiPropertyOptional({ type: [InventoryWarningModel], description: WARNINGS_FIELD_DESCRIPTION })
  @Field(() => [InventoryWarningModel], { nullable: true, description: WARNINGS_FIELD_DESCRIPTION })
  warnings?: InventoryWarningModel[];
}

@ObjectType('ZoneConnection')
export class ZoneConnection extends ConnectionType(ZoneModel) {}

export function toZoneModel(row: ZoneRow & { warnings?: InventoryWarningModel[] }): ZoneModel {
  return {
    ...resourceFields(row),
    siteId: row.siteId,
    name: row.name,
    cidrs: row.cidrs,
    ...(row.warnings ? { warnings: row.warnings } : {}),
  };
}
