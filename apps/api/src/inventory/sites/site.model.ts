import { Field, ID, Int, ObjectType } from '@nestjs/graphql';
import { ApiProperty } from '@nestjs/swagger';
import type { Site as SiteRow } from '@app/persistence';
import { ConnectionType } from '../../common/pagination/pagination';

@ObjectType('Site', { description: 'A location or network domain (HQ, Branch-1, DMZ datacenter)' })
export class SiteModel {
  @ApiProperty({ format: 'uuid' })
  @Field(() => ID)
  id!: string;

  @ApiProperty()
  @Field()
  name!: string;

  @ApiProperty()
  @Field()
  description!: string;

  @ApiProperty({ example: 'utmstack-v9' })
  @Field()
  catalogVersion!: string;

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

@ObjectType('SiteConnection')
export class SiteConnection extends ConnectionType(SiteModel) {}

export function toSiteModel(row: SiteRow): SiteModel {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    catalogVersion: row.catalogVersion,
    version: row.version,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}
