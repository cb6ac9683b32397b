import { ArgsType, Field, ID, InputType } from '@nestjs/graphql';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, IsUUID, MaxLength } from 'class-validator';
import { SITE_CONNECTIVITIES, type SiteConnectivity } from '@app/engine/model';
import { ConnectionArgs, ListQuery } from '../../common/pagination/pagination';
import { OptionalNotNull } from '../../common/http/validators';
import { TenantFilterArg } from '../../tenants/tenant-fields';
import { SiteConnectivityEnum } from '../sites/site.model';

const CONNECTIVITY =
  "The path between the two sites, whatever the sites' own connectivity: routed (site-to-site VPN, MPLS) or " +
  'internet (NAT at both ends)';

@InputType('CreateSiteLinkInput')
export class CreateSiteLinkInput {
  @ApiProperty({ format: 'uuid', description: 'One site of the pair (the order does not matter)' })
  @Field(() => ID)
  @IsUUID()
  siteAId!: string;

  @ApiProperty({ format: 'uuid', description: 'The other site of the pair' })
  @Field(() => ID)
  @IsUUID()
  siteBId!: string;

  @ApiProperty({ enum: SITE_CONNECTIVITIES, description: CONNECTIVITY })
  @Field(() => SiteConnectivityEnum)
  @IsIn(SITE_CONNECTIVITIES)
  connectivity!: SiteConnectivity;

  @ApiPropertyOptional({ default: '' })
  @Field({ nullable: true })
  @OptionalNotNull()
  @IsString()
  @MaxLength(1000)
  description?: string;
}

/** The pair itself is the link's identity: to join other sites, delete it and create another. */
@InputType('UpdateSiteLinkInput')
export class UpdateSiteLinkInput {
  @ApiPropertyOptional({ enum: SITE_CONNECTIVITIES, description: CONNECTIVITY })
  @Field(() => SiteConnectivityEnum, { nullable: true })
  @OptionalNotNull()
  @IsIn(SITE_CONNECTIVITIES)
  connectivity?: SiteConnectivity;

  @ApiPropertyOptional()
  @Field({ nullable: true })
  @OptionalNotNull()
  @IsString()
  @MaxLength(1000)
  description?: string;
}

export class SiteLinkListQuery extends ListQuery {
  @ApiPropertyOptional({ format: 'uuid', description: 'Links with this site on either side' })
  @IsOptional()
  @IsUUID()
  siteId?: string;

  @ApiPropertyOptional({ enum: SITE_CONNECTIVITIES })
  @IsOptional()
  @IsIn(SITE_CONNECTIVITIES)
  connectivity?: SiteConnectivity;

  @TenantFilterArg()
  tenantId?: string;
}

@ArgsType()
export class SiteLinkConnectionArgs extends ConnectionArgs {
  @Field(() => ID, { nullable: true, description: 'Links with this site on either side' })
  @IsOptional()
  @IsUUID()
  siteId?: string;

  @Field(() => SiteConnectivityEnum, { nullable: true })
  @IsOptional()
  @IsIn(SITE_CONNECTIVITIES)
  connectivity?: SiteConnectivity;

  @TenantFilterArg()
  tenantId?: string;
}

export interface SiteLinkFilter {
  q?: string;
  siteId?: string;
  connectivity?: SiteConnectivity;
  tenantId?: string;
}
