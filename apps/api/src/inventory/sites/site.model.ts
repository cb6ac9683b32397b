import { Field, ObjectType } from '@nestjs/graphql';
import { ApiProperty } from '@nestjs/swagger';
import type { Site as SiteRow } from '@app/persistence';
import { ResourceModel, resourceFields } from '../../common/models/resource.model';
import { ConnectionType } from '../../common/pagination/pagination';
import { OwnerField } from '../../tenants/tenant-fields';

@ObjectType('Site', { description: 'A location or network domain (HQ, Branch-1, DMZ datacenter)' })
export class SiteModel extends ResourceModel {
  @ApiProperty()
  @Field()
  name!: string;

  @ApiProperty()
  @Field()
  description!: string;

  @ApiProperty({
    example: null,
    nullable: true,
    type: String,
    description: "Override of the catalog version for the nodes at this site; null: each node's deployment's",
  })
  @Field(() => String, {
    nullable: true,
    description: "Override of the catalog version for the nodes at this site; null: each node's deployment's",
  })
  catalogVersion!: string | null;

  @OwnerField()
  tenantId!: string | null;
}

@ObjectType('SiteConnection')
export class SiteConnection extends ConnectionType(SiteModel) {}

export function toSiteModel(row: SiteRow): SiteModel {
  return {
    ...resourceFields(row),
    name: row.name,
    description: row.description,
    catalogVersion: row.catalogVersion,
    tenantId: row.tenantId,
  };
}
