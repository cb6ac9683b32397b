import { ArgsType, Field, ID, InputType, Int, ObjectType } from '@nestjs/graphql';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsOptional,
  IsString,
  IsUrl,
  MaxLength,
  MinLength,
} from 'class-validator';
import GraphQLJSON from 'graphql-type-json';
import type { Webhook, WebhookDelivery } from '@app/persistence';
import { OptionalNotNull } from '../common/http/validators';
import { ConnectionArgs, ConnectionType, ListQuery } from '../common/pagination/pagination';
import { OwnerField, OwnerInput, TenantFilterArg } from '../tenants/tenant-fields';

export const WEBHOOK_EVENTS = ['push.succeeded', 'push.failed', 'drift.detected'] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

@ObjectType('Webhook')
export class WebhookModel {
  @ApiProperty({ format: 'uuid' })
  @Field(() => ID)
  id!: string;

  @ApiProperty({ example: 'https://hooks.example.com/utm' })
  @Field()
  url!: string;

  @ApiProperty({ enum: WEBHOOK_EVENTS, isArray: true })
  @Field(() => [String])
  events!: string[];

  @ApiProperty()
  @Field()
  description!: string;

  @ApiProperty()
  @Field()
  enabled!: boolean;

  @OwnerField()
  tenantId!: string | null;

  @ApiProperty()
  @Field(() => Int)
  version!: number;

  @ApiProperty()
  @Field()
  createdAt!: Date;

  @ApiProperty()
  @Field()
  updatedAt!: Date;
}

@ObjectType('CreatedWebhook', { description: 'The signing secret is shown here once and never again' })
export class CreatedWebhookModel extends WebhookModel {
  @ApiProperty({
    nullable: true,
    description:
      'HMAC-SHA256 key: X-UTM-Signature = sha256=hex(hmac(secret, timestamp + "." + body)). Not shown again: null on an Idempotency-Key replay (header Idempotent-Secret-Withheld: true).',
  })
  @Field()
  secret!: string;
}

@ObjectType('WebhookDelivery')
export class WebhookDeliveryModel {
  @ApiProperty({ format: 'uuid' })
  @Field(() => ID)
  id!: string;

  @ApiProperty({ format: 'uuid' })
  @Field(() => ID)
  webhookId!: string;

  @ApiProperty({ enum: WEBHOOK_EVENTS })
  @Field()
  event!: string;

  @ApiProperty({ type: Object })
  @Field(() => GraphQLJSON)
  payload!: unknown;

  @ApiProperty({ enum: ['pending', 'delivered', 'failed'] })
  @Field()
  state!: string;

  @ApiProperty()
  @Field(() => Int)
  attempts!: number;

  @ApiProperty({ nullable: true, type: Number, description: 'HTTP status of the last attempt' })
  @Field(() => Int, { nullable: true })
  lastStatus!: number | null;

  @ApiProperty({ nullable: true, type: String })
  @Field(() => String, { nullable: true })
  lastError!: string | null;

  @ApiProperty()
  @Field()
  createdAt!: Date;

  @ApiProperty({ nullable: true, type: Date })
  @Field(() => Date, { nullable: true })
  lastAttemptAt!: Date | null;

  @ApiProperty({ nullable: true, type: Date })
  @Field(() => Date, { nullable: true })
  deliveredAt!: Date | null;
}

@ObjectType('WebhookDeliveryConnection')
export class WebhookDeliveryConnection extends ConnectionType(WebhookDeliveryModel) {}

@InputType('CreateWebhookInput')
export class CreateWebhookInput {
  @ApiProperty({ example: 'https://hooks.example.com/utm' })
  @Field()
  @IsString()
  @IsUrl(
    { protocols: ['http', 'https'], require_protocol: true, require_tld: false },
    { message: 'url must be an http(s) URL' },
  )
  @MaxLength(2048)
  url!: string;

  @ApiProperty({ enum: WEBHOOK_EVENTS, isArray: true })
  @Field(() => [String])
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(WEBHOOK_EVENTS.length)
  @IsIn(WEBHOOK_EVENTS, { each: true, message: `each event must be one of ${WEBHOOK_EVENTS.join(', ')}` })
  events!: WebhookEvent[];

  @ApiPropertyOptional()
  @Field({ nullable: true })
  @OptionalNotNull()
  @IsString()
  @MaxLength(500)
  description?: string;

  @ApiPropertyOptional({ description: 'Signing secret (at least 16 characters); generated when omitted' })
  @Field({ nullable: true })
  @OptionalNotNull()
  @IsString()
  @MinLength(16)
  @MaxLength(200)
  secret?: string;

  @ApiPropertyOptional({ default: true })
  @Field({ nullable: true })
  @OptionalNotNull()
  @IsBoolean()
  enabled?: boolean;

  /** A tenant's webhook receives only the events of that tenant's devices. */
  @OwnerInput()
  tenantId?: string | null;
}

@InputType('UpdateWebhookInput')
export class UpdateWebhookInput {
  @ApiPropertyOptional()
  @Field({ nullable: true })
  @OptionalNotNull()
  @IsString()
  @IsUrl(
    { protocols: ['http', 'https'], require_protocol: true, require_tld: false },
    { message: 'url must be an http(s) URL' },
  )
  @MaxLength(2048)
  url?: string;

  @ApiPropertyOptional({ enum: WEBHOOK_EVENTS, isArray: true })
  @Field(() => [String], { nullable: true })
  @OptionalNotNull()
  @IsArray()
  @ArrayMinSize(1)
  @IsIn(WEBHOOK_EVENTS, { each: true, message: `each event must be one of ${WEBHOOK_EVENTS.join(', ')}` })
  events?: WebhookEvent[];

  @ApiPropertyOptional()
  @Field({ nullable: true })
  @OptionalNotNull()
  @IsString()
  @MaxLength(500)
  description?: string;

  @ApiPropertyOptional()
  @Field({ nullable: true })
  @OptionalNotNull()
  @IsBoolean()
  enabled?: boolean;
}

@ArgsType()
export class DeliveryConnectionArgs extends ConnectionArgs {}

export function toWebhookModel(row: Webhook): WebhookModel {
  return {
    id: row.id,
    url: row.url,
    events: row.events,
    description: row.description,
    enabled: row.enabled,
    tenantId: row.tenantId,
    version: row.version,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

export function toDeliveryModel(row: WebhookDelivery): WebhookDeliveryModel {
  return {
    id: row.id,
    webhookId: row.webhookId,
    event: row.event,
    payload: row.payload,
    state: row.state,
    attempts: row.attempts,
    lastStatus: row.lastStatus,
    lastError: row.lastError,
    createdAt: row.createdAt,
    lastAttemptAt: row.lastAttemptAt,
    deliveredAt: row.deliveredAt,
  };
}

/** `q` matches the URL or the description (it used to be accepted and ignored). */
export class WebhookListQuery extends ListQuery {
  @TenantFilterArg()
  tenantId?: string;
}

@ArgsType()
export class WebhookListArgs {
  @Field({ nullable: true, description: 'Case-insensitive substring of the URL or the description' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  q?: string;

  @TenantFilterArg()
  tenantId?: string;
}

export interface WebhookFilter {
  q?: string;
  tenantId?: string;
}
