import { Field, ID, Int, ObjectType } from '@nestjs/graphql';
import { ApiProperty } from '@nestjs/swagger';
import type { Zone as ZoneRow } from '@app/persistence';
import { ConnectionType } from '../../common/pagination/pagination';

@ObjectType('Zone', { description: 'A named network segment of a site' })
export class ZoneModel {
  @ApiProperty({ format: 'uuid' })
  @Field(() => ID)
  id!: string;

  @ApiProperty({ format: 'uuid' })
  @Field(() => ID)
  siteId!: string;

  @ApiProperty()
  @Field()
  name!: string;

  @ApiProperty({ type: [String], example: ['10.1.10.0/24', 'fd00:1::/64'] })
  @Field(() => [String])
  cidrs!: string[];

  @ApiProperty({ description: 'Increases on every change; sent as the ETag, expected back in If-Match' })
  @Field(() => Int)
  version!: number;

  @ApiProperty()
  @Field()
  createdAt!: Date;

  @ApiProperty()
  @Field()
  updatedAt!: Date;
}

@ObjectType('ZoneConnection')
export class ZoneConnection extends ConnectionType(ZoneModel) {}

export function toZoneModel(row: ZoneRow): ZoneModel {
  return {
    id: row.id,
    siteId: row.siteId,
    name: row.name,
    cidrs: row.cidrs,
    version: row.version,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}
