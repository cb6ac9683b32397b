import { ArgsType, Field, ID, InputType } from '@nestjs/graphql';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsOptional,
  IsString,
  IsUrl,
  IsUUID,
  Matches,
  MaxLength,
  MinLength,
  ValidateNested,
} from 'class-validator';
import { VENDORS, type Vendor } from '@app/engine/model';
import { IsCron } from '../../common/http/is-cron.validator';
import { IsPublicAddressList } from '../../common/http/is-public-address.validator';
import {
  IsInventoryName,
  NestedObject,
  OptionalNotNull,
  OptionalNullable,
} from '../../common/http/validators';
import { ConnectionArgs, ListQuery } from '../../common/pagination/pagination';
import { DeploymentFilterArg, TenantFilterArg } from '../../tenants/tenant-fields';
import { VendorEnum } from './device.model';

@InputType('DeviceCredentialsInput', {
  description: 'pfSense: apiKey, or username + password; FortiOS: token; OPNsense: key + secret',
})
export class CredentialsInput {
  @ApiPropertyOptional({ description: 'pfSense REST API key', writeOnly: true })
  @Field({ nullable: true })
  @OptionalNotNull()
  @IsString()
  @MinLength(1)
  @MaxLength(512)
  apiKey?: string;

  @ApiPropertyOptional({ description: 'pfSense user (basic auth)', writeOnly: true })
  @Field({ nullable: true })
  @OptionalNotNull()
  @IsString()
  @MinLength(1)
  @MaxLength(256)
  username?: string;

  @ApiPropertyOptional({ description: 'pfSense password (basic auth)', writeOnly: true })
  @Field({ nullable: true })
  @OptionalNotNull()
  @IsString()
  @MinLength(1)
  @MaxLength(512)
  password?: string;

  @ApiPropertyOptional({ description: 'FortiOS REST API token', writeOnly: true })
  @Field({ nullable: true })
  @OptionalNotNull()
  @IsString()
  @MinLength(1)
  @MaxLength(512)
  token?: string;

  @ApiPropertyOptional({ description: 'OPNsense API key', writeOnly: true })
  @Field({ nullable: true })
  @OptionalNotNull()
  @IsString()
  @MinLength(1)
  @MaxLength(512)
  key?: string;

  @ApiPropertyOptional({ description: 'OPNsense API secret', writeOnly: true })
  @Field({ nullable: true })
  @OptionalNotNull()
  @IsString()
  @MinLength(1)
  @MaxLength(512)
  secret?: string;
}

@InputType('DeviceTlsInput')
export class TlsInput {
  @ApiPropertyOptional({
    default: false,
    description: 'Skip certificate verification (explicit and visible)',
  })
  @Field({ nullable: true })
  @OptionalNotNull()
  @IsBoolean()
  insecure?: boolean;

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    description: 'PEM bundle of CA certificates to trust',
  })
  @Field(() => String, { nullable: true })
  @OptionalNullable()
  @IsString()
  @MaxLength(65536)
  @Matches(/-----BEGIN CERTIFICATE-----[\s\S]+-----END CERTIFICATE-----/, {
    message: 'caBundle must be a PEM bundle of one or more certificates',
  })
  caBundle?: string | null;

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    example: 'AB:CD:…',
    description: 'SHA-256 fingerprint of the certificate to pin',
  })
  @Field(() => String, { nullable: true })
  @OptionalNullable()
  @IsString()
  @Matches(/^([0-9A-Fa-f]{2}:){31}[0-9A-Fa-f]{2}$|^[0-9A-Fa-f]{64}$/, {
    message: 'fingerprintSha256 must be 64 hex characters, optionally colon-separated',
  })
  fingerprintSha256?: string | null;
}

@InputType('DeviceInterfaceInput')
export class InterfaceInput {
  @ApiProperty({ example: 'lan', description: 'Vendor interface name (lan, opt1, port3)' })
  @Field()
  @IsString()
  @Matches(/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,31}$/, {
    message: 'name must be a vendor interface name: up to 32 letters, digits, "_", ".", ":" or "-"',
  })
  name!: string;

  @ApiPropertyOptional({
    default: false,
    description: 'WAN / internet / other sites; an external interface has no zones',
  })
  @Field({ nullable: true })
  @OptionalNotNull()
  @IsBoolean()
  external?: boolean;

  @ApiPropertyOptional({
    type: [String],
    format: 'uuid',
    description: "Zones of the device's site behind it",
  })
  @Field(() => [ID], { nullable: true })
  @OptionalNotNull()
  @IsArray()
  @ArrayMaxSize(256)
  @IsUUID(undefined, { each: true })
  zoneIds?: string[];

  @ApiPropertyOptional({
    type: [String],
    example: ['198.51.100.10'],
    description:
      "External interfaces only: the public IPv4 host addresses it answers on, or 'interface' for its own " +
      '(DHCP, PPPoE). The first is the default address of publications on this interface',
  })
  @Field(() => [String], { nullable: true })
  @OptionalNotNull()
  @IsArray()
  @ArrayMaxSize(64)
  @IsPublicAddressList()
  publicAddresses?: string[];
}

@InputType('CreateDeviceInput')
export class CreateDeviceInput {
  @ApiProperty({ format: 'uuid' })
  @Field(() => ID)
  @IsUUID()
  siteId!: string;

  @ApiProperty({ example: 'hq-fw' })
  @Field()
  @IsString()
  @IsInventoryName()
  name!: string;

  @ApiProperty({ enum: VENDORS })
  @Field(() => VendorEnum)
  @IsIn(VENDORS)
  vendor!: Vendor;

  @ApiProperty({ example: 'https://10.1.0.1' })
  @Field()
  @IsString()
  @IsUrl(
    { protocols: ['http', 'https'], require_protocol: true, require_tld: false },
    { message: 'managementUrl must be an http(s) URL' },
  )
  @MaxLength(2048)
  managementUrl!: string;

  @ApiPropertyOptional({ type: CredentialsInput })
  @Field(() => CredentialsInput, { nullable: true })
  @OptionalNullable()
  @ValidateNested()
  @Type(() => CredentialsInput)
  credentials?: CredentialsInput | null;

  @ApiPropertyOptional({ type: TlsInput })
  @Field(() => TlsInput, { nullable: true })
  @OptionalNotNull()
  @NestedObject(() => TlsInput)
  tls?: TlsInput;

  @ApiPropertyOptional({ type: String, nullable: true, description: 'FortiOS only (default root)' })
  @Field(() => String, { nullable: true })
  @OptionalNullable()
  @IsString()
  @Matches(/^[A-Za-z0-9_-]{1,31}$/, { message: 'vdom must be 1-31 letters, digits, "_" or "-"' })
  vdom?: string | null;

  @ApiPropertyOptional({ type: String, nullable: true, example: '*/30 * * * *' })
  @Field(() => String, { nullable: true })
  @OptionalNullable()
  @IsCron()
  schedule?: string | null;

  @ApiPropertyOptional({ default: true })
  @Field({ nullable: true })
  @OptionalNotNull()
  @IsBoolean()
  enabled?: boolean;

  @ApiPropertyOptional({ type: [InterfaceInput] })
  @Field(() => [InterfaceInput], { nullable: true })
  @OptionalNotNull()
  @IsArray()
  @ArrayMaxSize(64)
  @ValidateNested({ each: true })
  @Type(() => InterfaceInput)
  interfaces?: InterfaceInput[];
}

@InputType('UpdateDeviceInput')
export class UpdateDeviceInput {
  @ApiPropertyOptional({ format: 'uuid' })
  @Field(() => ID, { nullable: true })
  @OptionalNotNull()
  @IsUUID()
  siteId?: string;

  @ApiPropertyOptional()
  @Field({ nullable: true })
  @OptionalNotNull()
  @IsString()
  @IsInventoryName()
  name?: string;

  @ApiPropertyOptional({ enum: VENDORS })
  @Field(() => VendorEnum, { nullable: true })
  @OptionalNotNull()
  @IsIn(VENDORS)
  vendor?: Vendor;

  @ApiPropertyOptional()
  @Field({ nullable: true })
  @OptionalNotNull()
  @IsString()
  @IsUrl(
    { protocols: ['http', 'https'], require_protocol: true, require_tld: false },
    { message: 'managementUrl must be an http(s) URL' },
  )
  @MaxLength(2048)
  managementUrl?: string;

  @ApiPropertyOptional({
    type: CredentialsInput,
    nullable: true,
    description: 'Replaces the stored credentials; null removes them',
  })
  @Field(() => CredentialsInput, { nullable: true })
  @OptionalNullable()
  @ValidateNested()
  @Type(() => CredentialsInput)
  credentials?: CredentialsInput | null;

  @ApiPropertyOptional({ type: TlsInput, description: 'Fields given replace the stored ones' })
  @Field(() => TlsInput, { nullable: true })
  @OptionalNotNull()
  @NestedObject(() => TlsInput)
  tls?: TlsInput;

  @ApiPropertyOptional({ type: String, nullable: true })
  @Field(() => String, { nullable: true })
  @OptionalNullable()
  @IsString()
  @Matches(/^[A-Za-z0-9_-]{1,31}$/, { message: 'vdom must be 1-31 letters, digits, "_" or "-"' })
  vdom?: string | null;

  @ApiPropertyOptional({ type: String, nullable: true })
  @Field(() => String, { nullable: true })
  @OptionalNullable()
  @IsCron()
  schedule?: string | null;

  @ApiPropertyOptional()
  @Field({ nullable: true })
  @OptionalNotNull()
  @IsBoolean()
  enabled?: boolean;

  @ApiPropertyOptional({ type: [InterfaceInput], description: 'Replaces all interfaces' })
  @Field(() => [InterfaceInput], { nullable: true })
  @OptionalNotNull()
  @IsArray()
  @ArrayMaxSize(64)
  @ValidateNested({ each: true })
  @Type(() => InterfaceInput)
  interfaces?: InterfaceInput[];
}

export class DeviceListQuery extends ListQuery {
  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID()
  siteId?: string;

  @TenantFilterArg()
  tenantId?: string;

  @DeploymentFilterArg()
  deploymentId?: string;

  @ApiPropertyOptional({ enum: VENDORS })
  @IsOptional()
  @IsIn(VENDORS)
  vendor?: Vendor;
}

@ArgsType()
export class DeviceConnectionArgs extends ConnectionArgs {
  @Field(() => ID, { nullable: true })
  @IsOptional()
  @IsUUID()
  siteId?: string;

  @TenantFilterArg()
  tenantId?: string;

  @DeploymentFilterArg()
  deploymentId?: string;

  @Field(() => VendorEnum, { nullable: true })
  @IsOptional()
  @IsIn(VENDORS)
  vendor?: Vendor;
}

export interface DeviceFilter {
  q?: string;
  siteId?: string;
  tenantId?: string;
  deploymentId?: string;
  vendor?: Vendor;
}
