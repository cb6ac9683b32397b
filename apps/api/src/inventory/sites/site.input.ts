import { ArgsType, Field, ID, InputType } from '@nestjs/graphql';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsIn, IsOptional, IsString, IsUUID, MaxLength } from 'class-validator';
import { SITE_CONNECTIVITIES, type SiteConnectivity } from '@app/engine/model';
import { CATALOG_VERSIONS } from '@app/catalog';
import { ConnectionArgs, ListQuery } from '../../common/pagination/pagination';
import { IsInventoryName, OptionalNotNull, OptionalNullable } from '../../common/http/validators';
import { OwnerInput, TenantFilterArg } from '../../tenants/tenant-fields';
import { SiteConnectivityEnum } from './site.model';

@InputType('CreateSiteInput')
export class CreateSiteInput {
  @ApiProperty({ example: 'HQ' })
  @Field()
  @IsString()
  @IsInventoryName()
  name!: string;

  @ApiPropertyOptional({ default: '' })
  @Field({ nullable: true })
  @OptionalNotNull()
  @IsString()
  @MaxLength(1000)
  description?: string;

  @ApiPropertyOptional({
    enum: CATALOG_VERSIONS,
    nullable: true,
    description:
      "Override: the catalog version of every node at this site, whatever its deployment's. Unset or null: " +
      "each node uses its deployment's version (the usual case)",
  })
  @Field(() => String, { nullable: true })
  @OptionalNullable()
  @IsIn(CATALOG_VERSIONS)
  catalogVersion?: string | null;

  @ApiPropertyOptional({
    enum: SITE_CONNECTIVITIES,
    description:
      'How this site reaches other sites unless a site link says otherwise: routed (private addresses cross ' +
      'unchanged; the default) or internet (NAT at both ends; reached only at publications). An onInternet site ' +
      'is always internet',
  })
  @Field(() => SiteConnectivityEnum, { nullable: true })
  @OptionalNotNull()
  @IsIn(SITE_CONNECTIVITIES)
  connectivity?: SiteConnectivity;

  @ApiPropertyOptional({
    description:
      'The site is the internet itself (roaming agents, analysts at home, a cloud collector): it has no zones ' +
      'and no devices, and reaches other sites only over the internet',
  })
  @Field({ nullable: true })
  @OptionalNotNull()
  @IsBoolean()
  onInternet?: boolean;

  @OwnerInput()
  tenantId?: string | null;
}

@InputType('UpdateSiteInput')
export class UpdateSiteInput {
  @ApiPropertyOptional()
  @Field({ nullable: true })
  @OptionalNotNull()
  @IsString()
  @IsInventoryName()
  name?: string;

  @ApiPropertyOptional()
  @Field({ nullable: true })
  @OptionalNotNull()
  @IsString()
  @MaxLength(1000)
  description?: string;

  @ApiPropertyOptional({
    enum: CATALOG_VERSIONS,
    nullable: true,
    description: "null removes the override (each node uses its deployment's version)",
  })
  @Field(() => String, { nullable: true })
  @OptionalNullable()
  @IsIn(CATALOG_VERSIONS)
  catalogVersion?: string | null;

  @ApiPropertyOptional({
    enum: SITE_CONNECTIVITIES,
    description:
      'How this site reaches other sites unless a site link says otherwise: routed (private addresses cross ' +
      'unchanged; the default) or internet (NAT at both ends; reached only at publications). An onInternet site ' +
      'is always internet',
  })
  @Field(() => SiteConnectivityEnum, { nullable: true })
  @OptionalNotNull()
  @IsIn(SITE_CONNECTIVITIES)
  connectivity?: SiteConnectivity;

  @ApiPropertyOptional({
    description:
      'The site is the internet itself (roaming agents, analysts at home, a cloud collector): it has no zones ' +
      'and no devices, and reaches other sites only over the internet',
  })
  @Field({ nullable: true })
  @OptionalNotNull()
  @IsBoolean()
  onInternet?: boolean;

  @OwnerInput()
  tenantId?: string | null;
}

export class SiteListQuery extends ListQuery {
  @ApiPropertyOptional({ enum: CATALOG_VERSIONS })
  @IsOptional()
  @IsIn(CATALOG_VERSIONS)
  catalogVersion?: string;

  @ApiPropertyOptional({ format: 'uuid', description: 'Sites having at least one node of this deployment' })
  @IsOptional()
  @IsUUID()
  deploymentId?: string;

  @TenantFilterArg()
  tenantId?: string;

  @ApiPropertyOptional({ enum: SITE_CONNECTIVITIES })
  @IsOptional()
  @IsIn(SITE_CONNECTIVITIES)
  connectivity?: SiteConnectivity;
}

@ArgsType()
export class SiteConnectionArgs extends ConnectionArgs {
  @Field({ nullable: true })
  @IsOptional()
  @IsIn(CATALOG_VERSIONS)
  catalogVersion?: string;

  @Field(() => ID, { nullable: true, description: 'Sites having at least one node of this deployment' })
  @IsOptional()
  @IsUUID()
  deploymentId?: string;

  @TenantFilterArg()
  tenantId?: string;

  @Field(() => SiteConnectivityEnum, { nullable: true })
  @IsOptional()
  @IsIn(SITE_CONNECTIVITIES)
  connectivity?: SiteConnectivity;
}

export interface SiteFilter {
  q?: string;
  catalogVersion?: string;
  deploymentId?: string;
  tenantId?: string;
  connectivity?: SiteConnectivity;
}
