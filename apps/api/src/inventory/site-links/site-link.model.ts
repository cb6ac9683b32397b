import { Field, ID, ObjectType } from '@nestjs/graphql';
import { ApiProperty } from '@nestjs/swagger';
import { SITE_CONNECTIVITIES, type SiteConnectivity } from '@app/engine/model';
import type { SiteLink as SiteLinkRow } from '@app/persistence';
import { ResourceModel, resourceFields } from '../../common/models/resource.model';
import { ConnectionType } from '../../common/pagination/pagination';
import { OwnerField } from '../../tenants/tenant-fields';
import { SiteConnectivityEnum } from '../sites/site.model';

@ObjectType('SiteLink', {
  description: "A site pair whose path differs from the sites' defaults (unordered; siteAId < siteBId)",
})
export class SiteLinkModel extends ResourceModel {
  @ApiProperty({ format: 'uuid', description: 'The smaller id of the pair' })
  @Field(() => ID)
  siteAId!: string;

  @ApiProperty({ format: 'uuid', description: 'The larger id of the pair' })
  @Field(() => ID)
  siteBId!: string;

  @ApiProperty({ enum: SITE_CONNECTIVITIES })
  @Field(() => SiteConnectivityEnum)
  connectivity!: SiteConnectivity;

  @ApiProperty()
  @Field()
  description!: string;

  /** Derived: a link is a tenant's when both sites are; otherwise the provider's. */
  @OwnerField()
  tenantId!: string | null;
}

@ObjectType('SiteLinkConnection')
export class SiteLinkConnection extends ConnectionType(SiteLinkModel) {}

export type SiteLinkView = SiteLinkRow & {
  siteA: { tenantId: string | null };
  siteB: { tenantId: string | null };
};

export const WITH_SITE_OWNERS = {
  siteA: { select: { tenantId: true } },
  siteB: { select: { tenantId: true } },
} as const;

export function toSiteLinkModel(row: SiteLinkView): SiteLinkModel {
  return {
    ...resourceFields(row),
    siteAId: row.siteAId,
    siteBId: row.siteBId,
    connectivity: row.connectivity,
    description: row.description,
    tenantId:
      row.siteA.tenantId !== null && row.siteA.tenantId === row.siteB.tenantId ? row.siteA.tenantId : null,
  };
}
