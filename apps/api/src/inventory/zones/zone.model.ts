import { Field, ID, ObjectType } from '@nestjs/graphql';
import { ApiProperty } from '@nestjs/swagger';
import type { Zone as ZoneRow } from '@app/persistence';
import { ResourceModel, resourceFields } from '../../common/models/resource.model';
import { ConnectionType } from '../../common/pagination/pagination';

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
}

@ObjectType('ZoneConnection')
export class ZoneConnection extends ConnectionType(ZoneModel) {}

export function toZoneModel(row: ZoneRow): ZoneModel {
  return {
    ...resourceFields(row),
    siteId: row.siteId,
    name: row.name,
    cidrs: row.cidrs,
  };
}
