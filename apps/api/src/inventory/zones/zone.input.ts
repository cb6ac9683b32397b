import { ArgsType, Field, ID, InputType } from '@nestjs/graphql';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsOptional, IsString, IsUUID } from 'class-validator';
import { IsCidrList } from '../../common/http/is-cidr.validator';
import { IsInventoryName, OptionalNotNull } from '../../common/http/validators';
import { DeploymentFilterArg, TenantFilterArg } from '../../tenants/tenant-fields';
import { ConnectionArgs, ListQuery } from '../../common/pagination/pagination';

@InputType('CreateZoneInput')
export class CreateZoneInput {
  @ApiProperty({ format: 'uuid' })
  @Field(() => ID)
  @IsUUID()
  siteId!: string;

  @ApiProperty({ example: 'servers' })
  @Field()
  @IsString()
  @IsInventoryName()
  name!: string;

  @ApiProperty({ type: [String], example: ['10.1.10.0/24'] })
  @Field(() => [String])
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(256)
  @IsCidrList()
  cidrs!: string[];
}

@InputType('UpdateZoneInput')
export class UpdateZoneInput {
  @ApiPropertyOptional()
  @Field({ nullable: true })
  @OptionalNotNull()
  @IsString()
  @IsInventoryName()
  name?: string;

  @ApiPropertyOptional({ type: [String] })
  @Field(() => [String], { nullable: true })
  @OptionalNotNull()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(256)
  @IsCidrList()
  cidrs?: string[];
}

export class ZoneListQuery extends ListQuery {
  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID()
  siteId?: string;

  @TenantFilterArg()
  tenantId?: string;

  @DeploymentFilterArg()
  deploymentId?: string;
}

@ArgsType()
export class ZoneConnectionArgs extends ConnectionArgs {
  @Field(() => ID, { nullable: true })
  @IsOptional()
  @IsUUID()
  siteId?: string;

  @TenantFilterArg()
  tenantId?: string;

  @DeploymentFilterArg()
  deploymentId?: string;
}

export interface ZoneFilter {
  q?: string;
  siteId?: string;
  tenantId?: string;
  deploymentId?: string;
}
