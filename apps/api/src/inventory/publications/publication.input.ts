import { ArgsType, Field, ID, InputType, Int } from '@nestjs/graphql';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import { PROTOCOLS, type Protocol } from '@app/engine/model';
import { ProtocolEnum } from '../../catalog/flow.model';
import { IsPublicAddress } from '../../common/http/is-public-address.validator';
import { NestedObject, OptionalNotNull, OptionalNullable } from '../../common/http/validators';
import { ConnectionArgs, ListQuery } from '../../common/pagination/pagination';
import { TenantFilterArg } from '../../tenants/tenant-fields';

@InputType('PortRangeInput')
export class PortRangeInput {
  @ApiProperty({ minimum: 1, maximum: 65535 })
  @Field(() => Int)
  @IsInt()
  @Min(1)
  @Max(65535)
  from!: number;

  @ApiProperty({ minimum: 1, maximum: 65535 })
  @Field(() => Int)
  @IsInt()
  @Min(1)
  @Max(65535)
  to!: number;
}

@InputType('PublishedPortInput')
export class PublishedPortInput {
  @ApiProperty({ enum: PROTOCOLS })
  @Field(() => ProtocolEnum)
  @IsIn(PROTOCOLS)
  protocol!: Protocol;

  @ApiProperty({ type: PortRangeInput, description: 'Internal ports of the node' })
  @Field(() => PortRangeInput)
  @NestedObject(() => PortRangeInput)
  ports!: PortRangeInput;

  @ApiPropertyOptional({
    type: Number,
    nullable: true,
    minimum: 1,
    maximum: 65535,
    description: 'First external port (the range keeps the internal length); null: the same ports as inside',
  })
  @Field(() => Int, { nullable: true })
  @OptionalNullable()
  @IsInt()
  @Min(1)
  @Max(65535)
  externalFrom?: number | null;
}

const INTERFACE =
  'External interface of the device the forward listens on; null: its first external interface by name';
const PUBLIC_ADDRESS =
  "IPv4 host address, or 'interface' (the interface's own); null: the interface's first public address";
const PORTS =
  "Ports to forward. Omitted: every port of the flows of the node's catalog version that reach its role (or " +
  'its collector, when it can be one), filled in at creation and stored explicitly';

@InputType('CreatePublicationInput')
export class CreatePublicationInput {
  @ApiProperty({ format: 'uuid', description: 'The node made reachable (needs an IPv4 host address)' })
  @Field(() => ID)
  @IsUUID()
  nodeId!: string;

  @ApiProperty({ format: 'uuid', description: "The firewall that forwards: a device of the node's site" })
  @Field(() => ID)
  @IsUUID()
  deviceId!: string;

  @ApiPropertyOptional({ type: String, nullable: true, example: 'wan', description: INTERFACE })
  @Field(() => String, { nullable: true, description: INTERFACE })
  @OptionalNullable()
  @IsString()
  @Matches(/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,31}$/, { message: 'interface must be a vendor interface name' })
  interface?: string | null;

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    example: '198.51.100.10',
    description: PUBLIC_ADDRESS,
  })
  @Field(() => String, { nullable: true, description: PUBLIC_ADDRESS })
  @OptionalNullable()
  @IsPublicAddress()
  publicAddress?: string | null;

  @ApiPropertyOptional({ type: [PublishedPortInput], description: PORTS })
  @Field(() => [PublishedPortInput], { nullable: true, description: PORTS })
  @OptionalNotNull()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(64)
  @ValidateNested({ each: true })
  @Type(() => PublishedPortInput)
  ports?: PublishedPortInput[];

  @ApiPropertyOptional({ default: '' })
  @Field({ nullable: true })
  @OptionalNotNull()
  @IsString()
  @MaxLength(1000)
  description?: string;
}

@InputType('UpdatePublicationInput')
export class UpdatePublicationInput {
  @ApiPropertyOptional({ format: 'uuid' })
  @Field(() => ID, { nullable: true })
  @OptionalNotNull()
  @IsUUID()
  nodeId?: string;

  @ApiPropertyOptional({ format: 'uuid' })
  @Field(() => ID, { nullable: true })
  @OptionalNotNull()
  @IsUUID()
  deviceId?: string;

  @ApiPropertyOptional({ type: String, nullable: true, description: INTERFACE })
  @Field(() => String, { nullable: true, description: INTERFACE })
  @OptionalNullable()
  @IsString()
  @Matches(/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,31}$/, { message: 'interface must be a vendor interface name' })
  interface?: string | null;

  @ApiPropertyOptional({ type: String, nullable: true, description: PUBLIC_ADDRESS })
  @Field(() => String, { nullable: true, description: PUBLIC_ADDRESS })
  @OptionalNullable()
  @IsPublicAddress()
  publicAddress?: string | null;

  @ApiPropertyOptional({ type: [PublishedPortInput], description: 'Replaces the ports' })
  @Field(() => [PublishedPortInput], { nullable: true })
  @OptionalNotNull()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(64)
  @ValidateNested({ each: true })
  @Type(() => PublishedPortInput)
  ports?: PublishedPortInput[];

  @ApiPropertyOptional()
  @Field({ nullable: true })
  @OptionalNotNull()
  @IsString()
  @MaxLength(1000)
  description?: string;
}

export class PublicationListQuery extends ListQuery {
  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID()
  nodeId?: string;

  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID()
  deviceId?: string;

  @ApiPropertyOptional({ format: 'uuid', description: "Publications of the site's nodes" })
  @IsOptional()
  @IsUUID()
  siteId?: string;

  @TenantFilterArg()
  tenantId?: string;
}

@ArgsType()
export class PublicationConnectionArgs extends ConnectionArgs {
  @Field(() => ID, { nullable: true })
  @IsOptional()
  @IsUUID()
  nodeId?: string;

  @Field(() => ID, { nullable: true })
  @IsOptional()
  @IsUUID()
  deviceId?: string;

  @Field(() => ID, { nullable: true, description: "Publications of the site's nodes" })
  @IsOptional()
  @IsUUID()
  siteId?: string;

  @TenantFilterArg()
  tenantId?: string;
}

export interface PublicationFilter {
  q?: string;
  nodeId?: string;
  deviceId?: string;
  siteId?: string;
  tenantId?: string;
}
