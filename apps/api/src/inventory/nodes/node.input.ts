import { ArgsType, Field, ID, InputType } from '@nestjs/graphql';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsIn,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
} from 'class-validator';
import { ROLES, type Role } from '@app/engine/model';
import { IsCidrList } from '../../common/http/is-cidr.validator';
import { IsInventoryName, OptionalNotNull, OptionalNullable } from '../../common/http/validators';
import { ConnectionArgs, ListQuery } from '../../common/pagination/pagination';
import { TenantFilterArg } from '../../tenants/tenant-fields';
import { NodeRoleEnum } from './node.model';

const SELECTOR = /^[a-z0-9][a-z0-9_-]{0,62}$/;
const SELECTOR_MESSAGE =
  'each selector must be lowercase letters, digits, "_" or "-" (e.g. syslog, netflow, http)';

@InputType('CreateNodeInput')
export class CreateNodeInput {
  @ApiProperty({ format: 'uuid' })
  @Field(() => ID)
  @IsUUID()
  siteId!: string;

  @ApiPropertyOptional({
    format: 'uuid',
    description:
      'Deployment (UTMStack installation) of the node. When omitted: the only deployment if there is ' +
      'exactly one, a new "default" deployment if there is none; required when there are several',
  })
  @Field(() => ID, { nullable: true })
  @OptionalNotNull()
  @IsUUID()
  deploymentId?: string;

  @ApiProperty({ example: 'hq-master' })
  @Field()
  @IsString()
  @IsInventoryName()
  name!: string;

  @ApiProperty({ enum: ROLES })
  @Field(() => NodeRoleEnum)
  @IsIn(ROLES)
  role!: Role;

  @ApiProperty({
    type: [String],
    example: ['10.1.10.5'],
    description: 'IPs or CIDRs (a CIDR stands for a group of hosts)',
  })
  @Field(() => [String])
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(256)
  @IsCidrList()
  addresses!: string[];

  @ApiPropertyOptional({
    type: String,
    format: 'uuid',
    nullable: true,
    description:
      'Collector of an agent or agentless source, in the same deployment: a master or probe (v9), a collector agent (v11)',
  })
  @Field(() => ID, { nullable: true })
  @OptionalNullable()
  @IsUUID()
  collectorId?: string | null;

  @ApiPropertyOptional({
    type: String,
    format: 'uuid',
    nullable: true,
    description: "A probe's master (a master of the same deployment); unset: every master of its deployment",
  })
  @Field(() => ID, { nullable: true })
  @OptionalNullable()
  @IsUUID()
  masterId?: string | null;

  @ApiPropertyOptional({ type: [String], example: ['syslog', 'netflow'] })
  @Field(() => [String], { nullable: true })
  @OptionalNotNull()
  @IsArray()
  @ArrayMaxSize(64)
  @IsString({ each: true })
  @Matches(SELECTOR, { each: true, message: SELECTOR_MESSAGE })
  selectors?: string[];
}

@InputType('UpdateNodeInput')
export class UpdateNodeInput {
  @ApiPropertyOptional({ format: 'uuid' })
  @Field(() => ID, { nullable: true })
  @OptionalNotNull()
  @IsUUID()
  siteId?: string;

  @ApiPropertyOptional({ format: 'uuid' })
  @Field(() => ID, { nullable: true })
  @OptionalNotNull()
  @IsUUID()
  deploymentId?: string;

  @ApiPropertyOptional()
  @Field({ nullable: true })
  @OptionalNotNull()
  @IsString()
  @IsInventoryName()
  name?: string;

  @ApiPropertyOptional({ enum: ROLES })
  @Field(() => NodeRoleEnum, { nullable: true })
  @OptionalNotNull()
  @IsIn(ROLES)
  role?: Role;

  @ApiPropertyOptional({ type: [String] })
  @Field(() => [String], { nullable: true })
  @OptionalNotNull()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(256)
  @IsCidrList()
  addresses?: string[];

  @ApiPropertyOptional({
    type: String,
    format: 'uuid',
    nullable: true,
    description: 'null clears it (back to the default collector)',
  })
  @Field(() => ID, { nullable: true })
  @OptionalNullable()
  @IsUUID()
  collectorId?: string | null;

  @ApiPropertyOptional({
    type: String,
    format: 'uuid',
    nullable: true,
    description: "A probe's master; null clears it (every master of its deployment)",
  })
  @Field(() => ID, { nullable: true })
  @OptionalNullable()
  @IsUUID()
  masterId?: string | null;

  @ApiPropertyOptional({ type: [String] })
  @Field(() => [String], { nullable: true })
  @OptionalNotNull()
  @IsArray()
  @ArrayMaxSize(64)
  @IsString({ each: true })
  @Matches(SELECTOR, { each: true, message: SELECTOR_MESSAGE })
  selectors?: string[];
}

export class NodeListQuery extends ListQuery {
  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID()
  siteId?: string;

  @TenantFilterArg()
  tenantId?: string;

  @ApiPropertyOptional({ enum: ROLES })
  @IsOptional()
  @IsIn(ROLES)
  role?: Role;

  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID()
  deploymentId?: string;
}

@ArgsType()
export class NodeConnectionArgs extends ConnectionArgs {
  @Field(() => ID, { nullable: true })
  @IsOptional()
  @IsUUID()
  siteId?: string;

  @TenantFilterArg()
  tenantId?: string;

  @Field(() => NodeRoleEnum, { nullable: true })
  @IsOptional()
  @IsIn(ROLES)
  role?: Role;

  @Field(() => ID, { nullable: true })
  @IsOptional()
  @IsUUID()
  deploymentId?: string;
}

export interface NodeFilter {
  q?: string;
  siteId?: string;
  tenantId?: string;
  role?: Role;
  deploymentId?: string;
}
