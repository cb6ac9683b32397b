import { Field, ObjectType, registerEnumType } from '@nestjs/graphql';
import { SITE_CONNECTIVITIES, type SiteConnectivity } from '@app/engine/model';
import { ApiProperty } from '@nestjs/swagger';
import type { Site as SiteRow } from '@app/persistence';
import { ResourceModel, resourceFields } from '../../common/models/resource.model';
import { ConnectionType } from '../../common/pagination/pagination';
import { OwnerField } from '../../tenants/tenant-fields';

export const SiteConnectivityEnum = Object.fromEntries(SITE_CONNECTIVITIES.map((c) => [c, c])) as {
  [K in SiteConnectivity]: K;
};
registerEnumType(SiteConnectivityEnum, {
  name: 'SiteConnectivity',
  description: 'routed: private addresses cross unchanged; internet: NAT at both ends (publications)',
});

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

  @ApiProperty({
    enum: SITE_CONNECTIVITIES,
    description: 'Default path to other sites (site links override it)',
  })
  @Field(() => SiteConnectivityEnum)
  connectivity!: SiteConnectivity;

  @ApiProperty({ description: 'The site is the internet itself: no zones, no devices' })
  @Field()
  onInternet!: boolean;

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
    connectivity: row.connectivity,
    onInternet: row.onInternet,
    tenantId: row.tenantId,
  };
}
