import { ArgsType, Field, InputType } from '@nestjs/graphql';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsString, MaxLength } from 'class-validator';
import { ConnectionArgs, ListQuery } from '../common/pagination/pagination';
import { IsInventoryName, OptionalNotNull } from '../common/http/validators';

@InputType('CreateTenantInput')
export class CreateTenantInput {
  @ApiProperty({ example: 'acme' })
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
}

@InputType('UpdateTenantInput')
export class UpdateTenantInput {
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
}

export class TenantListQuery extends ListQuery {}

@ArgsType()
export class TenantConnectionArgs extends ConnectionArgs {}
