import { ArgsType, Field, ID, InputType } from '@nestjs/graphql';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsDate,
  IsIn,
  IsOptional,
  IsString,
  IsUUID,
  MaxLength,
} from 'class-validator';
import { VENDORS, type Vendor } from '@app/engine/model';
import type { PushState, PushTrigger } from '@app/persistence';
import { OptionalNotNull } from '../common/http/validators';
import { ConnectionArgs, ListQuery } from '../common/pagination/pagination';
import { VendorEnum } from '../inventory/devices/device.model';
import { TenantFilterArg } from '../tenants/tenant-fields';
import { PUSH_STATES, PUSH_TRIGGERS, PushStateEnum, PushTriggerEnum } from './push.model';

@InputType('PushInput')
export class PushInput {
  @ApiPropertyOptional({ default: false, description: 'Read and plan only; record the plan, write nothing' })
  @Field({ nullable: true, defaultValue: false })
  @IsOptional()
  @IsBoolean()
  dryRun?: boolean;

  @ApiPropertyOptional({ maxLength: 500 })
  @Field(() => String, { nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  reason?: string;

  @ApiPropertyOptional({ maxLength: 200, example: 'CHG0012345' })
  @Field(() => String, { nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  ticket?: string;
}

@InputType('FleetPushInput')
export class FleetPushInput extends PushInput {
  @ApiPropertyOptional({ description: 'Every enabled device; the only way to select them all' })
  @Field({ nullable: true })
  @OptionalNotNull()
  @IsBoolean()
  all?: boolean;

  @ApiPropertyOptional({ format: 'uuid', description: 'Devices of this site (combines with vendor)' })
  @Field(() => ID, { nullable: true })
  @OptionalNotNull()
  @IsUUID()
  siteId?: string;

  @ApiPropertyOptional({ enum: VENDORS, description: 'Devices of this vendor (combines with siteId)' })
  @Field(() => VendorEnum, { nullable: true })
  @OptionalNotNull()
  @IsIn(VENDORS)
  vendor?: Vendor;

  @ApiPropertyOptional({ type: [String], format: 'uuid', description: 'These devices' })
  @Field(() => [ID], { nullable: true })
  @OptionalNotNull()
  @IsArray()
  @ArrayMinSize(1, { message: 'deviceIds must list at least one device (all: true selects every device)' })
  @ArrayMaxSize(10_000)
  @IsUUID(undefined, { each: true })
  deviceIds?: string[];
}

export interface PushFilter {
  /** Case-insensitive substring of the push's ticket or reason. */
  q?: string;
  deviceId?: string;
  siteId?: string;
  tenantId?: string;
  fleetId?: string;
  state?: PushState;
  trigger?: PushTrigger;
  since?: Date;
  until?: Date;
}

export class PushListQuery extends ListQuery implements PushFilter {
  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID()
  deviceId?: string;

  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID()
  siteId?: string;

  @TenantFilterArg()
  tenantId?: string;

  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID()
  fleetId?: string;

  @ApiPropertyOptional({ enum: PUSH_STATES })
  @IsOptional()
  @IsIn(PUSH_STATES)
  state?: PushState;

  @ApiPropertyOptional({ enum: PUSH_TRIGGERS })
  @IsOptional()
  @IsIn(PUSH_TRIGGERS)
  trigger?: PushTrigger;

  @ApiPropertyOptional({ format: 'date-time', description: 'Requested at or after' })
  @IsOptional()
  @Type(() => Date)
  @IsDate()
  since?: Date;

  @ApiPropertyOptional({ format: 'date-time', description: 'Requested at or before' })
  @IsOptional()
  @Type(() => Date)
  @IsDate()
  until?: Date;
}

@ArgsType()
export class PushConnectionArgs extends ConnectionArgs implements PushFilter {
  @Field(() => ID, { nullable: true })
  @IsOptional()
  @IsUUID()
  deviceId?: string;

  @Field(() => ID, { nullable: true })
  @IsOptional()
  @IsUUID()
  siteId?: string;

  @TenantFilterArg()
  tenantId?: string;

  @Field(() => ID, { nullable: true })
  @IsOptional()
  @IsUUID()
  fleetId?: string;

  @Field(() => PushStateEnum, { nullable: true })
  @IsOptional()
  @IsIn(PUSH_STATES)
  state?: PushState;

  @Field(() => PushTriggerEnum, { nullable: true })
  @IsOptional()
  @IsIn(PUSH_TRIGGERS)
  trigger?: PushTrigger;

  @Field({ nullable: true })
  @IsOptional()
  @IsDate()
  since?: Date;

  @Field({ nullable: true })
  @IsOptional()
  @IsDate()
  until?: Date;
}

@ArgsType()
export class DevicePushesArgs extends ConnectionArgs {
  @Field(() => PushStateEnum, { nullable: true })
  @IsOptional()
  @IsIn(PUSH_STATES)
  state?: PushState;
}
