import { ArgsType, Field, InputType } from '@nestjs/graphql';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, MaxLength } from 'class-validator';
import { CATALOG_VERSIONS, DEFAULT_CATALOG_VERSION } from '@app/catalog';
import { ConnectionArgs, ListQuery } from '../../common/pagination/pagination';
import { IsInventoryName, OptionalNotNull } from '../../common/http/validators';

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

  @ApiPropertyOptional({ enum: CATALOG_VERSIONS, default: DEFAULT_CATALOG_VERSION })
  @Field({ nullable: true })
  @OptionalNotNull()
  @IsIn(CATALOG_VERSIONS)
  catalogVersion?: string;
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

  @ApiPropertyOptional({ enum: CATALOG_VERSIONS })
  @Field({ nullable: true })
  @OptionalNotNull()
  @IsIn(CATALOG_VERSIONS)
  catalogVersion?: string;
}

export class SiteListQuery extends ListQuery {
  @ApiPropertyOptional({ enum: CATALOG_VERSIONS })
  @IsOptional()
  @IsIn(CATALOG_VERSIONS)
  catalogVersion?: string;
}

@ArgsType()
export class SiteConnectionArgs extends ConnectionArgs {
  @Field({ nullable: true })
  @IsOptional()
  @IsIn(CATALOG_VERSIONS)
  catalogVersion?: string;
}

export interface SiteFilter {
  q?: string;
  catalogVersion?: string;
}
