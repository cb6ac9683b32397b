import { ArgsType, Field, ID, InputType, ObjectType } from '@nestjs/graphql';
import { ApiProperty, ApiPropertyOptional, IntersectionType } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsDate, IsOptional, IsString, MaxLength } from 'class-validator';
import GraphQLJSON from 'graphql-type-json';
import type { AuditEntry } from '@app/persistence';
import { NestedObject } from '../common/http/validators';
import { TenantFilterArg } from '../tenants/tenant-fields';
import { ConnectionArgs, ConnectionType, ListQuery } from '../common/pagination/pagination';

@ObjectType('AuditEntry', {
  description: 'One change: who (token name), which request, what, before and after',
})
export class AuditEntryModel {
  @ApiProperty({ format: 'uuid' })
  @Field(() => ID)
  id!: string;

  @ApiProperty()
  @Field()
  at!: Date;

  @ApiProperty({ description: 'Name of the token that made the change (or "system")' })
  @Field()
  actor!: string;

  @ApiProperty({ nullable: true, type: String })
  @Field(() => String, { nullable: true })
  requestId!: string | null;

  @ApiProperty({ example: 'site.update' })
  @Field()
  action!: string;

  @ApiProperty({ example: 'site' })
  @Field()
  targetType!: string;

  @ApiProperty({ nullable: true, type: String })
  @Field(() => String, { nullable: true })
  targetId!: string | null;

  @ApiProperty({ nullable: true, type: Object })
  @Field(() => GraphQLJSON, { nullable: true })
  before!: unknown;

  @ApiProperty({ nullable: true, type: Object })
  @Field(() => GraphQLJSON, { nullable: true })
  after!: unknown;
}

@ObjectType('AuditEntryConnection')
export class AuditConnection extends ConnectionType(AuditEntryModel) {}

export function toAuditModel(row: AuditEntry): AuditEntryModel {
  return {
    id: row.id,
    at: row.at,
    actor: row.actor,
    requestId: row.requestId,
    action: row.action,
    targetType: row.targetType,
    targetId: row.targetId,
    before: row.before,
    after: row.after,
  };
}

@InputType('AuditFilter')
export class AuditFilterInput {
  @ApiPropertyOptional()
  @Field({ nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  actor?: string;

  @ApiPropertyOptional({ example: 'device.update' })
  @Field({ nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  action?: string;

  @ApiPropertyOptional({ example: 'device' })
  @Field({ nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  targetType?: string;

  @ApiPropertyOptional()
  @Field({ nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  targetId?: string;

  @TenantFilterArg()
  tenantId?: string;

  @ApiPropertyOptional()
  @Field({ nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  requestId?: string;

  @ApiPropertyOptional({ format: 'date-time' })
  @Field({ nullable: true })
  @IsOptional()
  @Type(() => Date)
  @IsDate()
  since?: Date;

  @ApiPropertyOptional({ format: 'date-time' })
  @Field({ nullable: true })
  @IsOptional()
  @Type(() => Date)
  @IsDate()
  until?: Date;
}
const AUDIT_Q = 'Case-insensitive substring of the actor, action, target type or target id';

export class AuditListQuery extends IntersectionType(ListQuery, AuditFilterInput) {
  @ApiPropertyOptional({ description: AUDIT_Q })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  declare q?: string;
}

@ArgsType()
export class AuditConnectionArgs extends ConnectionArgs {
  @Field(() => String, { nullable: true, description: AUDIT_Q })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  declare q?: string;

  @Field(() => AuditFilterInput, { nullable: true })
  @IsOptional()
  @NestedObject(() => AuditFilterInput)
  filter?: AuditFilterInput;
}
