import { ArgsType, Field, InputType } from '@nestjs/graphql';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, MaxLength } from 'class-validator';
import { CATALOG_VERSIONS, DEFAULT_CATALOG_VERSION } from '@app/catalog';
import { ConnectionArgs, ListQuery } from '../../common/pagination/pagination';
import { IsInventoryName, OptionalNotNull } from '../../common/http/validators';
import { OwnerInput, TenantFilterArg } from '../../tenants/tenant-fields';

@InputType('CreateDeploymentInput')
export class CreateDeploymentInput {
  @ApiProperty({ example: 'Acme' })
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
    default: DEFAULT_CATALOG_VERSION,
    description: 'UTMStack version of the installation: the port catalog its nodes use',
  })
  @Field({ nullable: true })
  @OptionalNotNull()
  @IsIn(CATALOG_VERSIONS)
  catalogVersion?: string;

  @OwnerInput()
  tenantId?: string | null;
}

@InputType('UpdateDeploymentInput')
export class UpdateDeploymentInput {
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

  @ApiPropertyOptional({ enum: CATALOG_VERSIONS })
  @Field({ nullable: true })
  @OptionalNotNull()
  @IsIn(CATALOG_VERSIONS)
  catalogVersion?: string;

  @OwnerInput()
  tenantId?: string | null;
}

export class DeploymentListQuery extends ListQuery {
  @ApiPropertyOptional({ enum: CATALOG_VERSIONS })
  @IsOptional()
  @IsIn(CATALOG_VERSIONS)
  catalogVersion?: string;

  @TenantFilterArg()
  tenantId?: string;
}

@ArgsType()
export class DeploymentConnectionArgs extends ConnectionArgs {
  @Field({ nullable: true })
  @IsOptional()
  @IsIn(CATALOG_VERSIONS)
  catalogVersion?: string;

  @TenantFilterArg()
  tenantId?: string;
}

export interface DeploymentFilter {
  q?: string;
  catalogVersion?: string;
  tenantId?: string;
}
