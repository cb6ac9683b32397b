import { Field, ID, ObjectType, registerEnumType } from '@nestjs/graphql';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { VENDORS, type Vendor } from '@app/engine/model';
import type { Device as DeviceRow, DeviceInterface, InterfaceZone } from '@app/persistence';
import { ResourceModel, resourceFields } from '../../common/models/resource.model';
import { ConnectionType } from '../../common/pagination/pagination';
import { InventoryWarningModel, WARNINGS_FIELD_DESCRIPTION } from '../checks/checks.model';

export const VendorEnum = Object.fromEntries(VENDORS.map((v) => [v, v])) as { [K in Vendor]: K };
registerEnumType(VendorEnum, { name: 'Vendor', description: 'Firewall vendor API' });

@ObjectType('DeviceCredentialsStatus', {
  description: 'Credentials are write-only: only whether they are set is shown',
})
export class CredentialsStatusModel {
  @ApiProperty()
  @Field()
  set!: boolean;

  @ApiProperty({ nullable: true, type: String, enum: ['apiKey', 'basic', 'token', 'keySecret'] })
  @Field(() => String, { nullable: true })
  kind!: string | null;
}

@ObjectType('DeviceTls')
export class TlsModel {
  @ApiProperty({ description: 'False only when insecure is set' })
  @Field()
  verify!: boolean;

  @ApiProperty()
  @Field()
  insecure!: boolean;

  @ApiProperty({ nullable: true, type: String, description: 'PEM CA bundle trusted for this device' })
  @Field(() => String, { nullable: true })
  caBundle!: string | null;

  @ApiProperty({ nullable: true, type: String, description: 'Pinned SHA-256 certificate fingerprint (hex)' })
  @Field(() => String, { nullable: true })
  fingerprintSha256!: string | null;
}

@ObjectType('DeviceInterface')
export class InterfaceModel {
  @ApiProperty({ format: 'uuid' })
  @Field(() => ID)
  id!: string;

  @ApiProperty({ example: 'lan' })
  @Field()
  name!: string;

  @ApiProperty({ description: 'Everything not behind another interface: WAN, internet, other sites' })
  @Field()
  external!: boolean;

  @ApiProperty({ type: [String], format: 'uuid' })
  @Field(() => [ID])
  zoneIds!: string[];

  @ApiProperty({
    type: [String],
    example: ['198.51.100.10'],
    description:
      "Public IPv4 host addresses of an external interface, or 'interface'; the first is the default",
  })
  @Field(() => [String])
  publicAddresses!: string[];
}

@ObjectType('Device', { description: 'A managed pfSense, FortiGate (FortiOS) or OPNsense firewall' })
export class DeviceModel extends ResourceModel {
  @ApiProperty({ format: 'uuid' })
  @Field(() => ID)
  siteId!: string;

  @ApiProperty()
  @Field()
  name!: string;

  @ApiProperty({ enum: VENDORS })
  @Field(() => VendorEnum)
  vendor!: Vendor;

  @ApiProperty({ example: 'https://10.1.0.1' })
  @Field()
  managementUrl!: string;

  @ApiProperty({ type: CredentialsStatusModel })
  @Field(() => CredentialsStatusModel)
  credentials!: CredentialsStatusModel;

  @ApiProperty({ type: TlsModel })
  @Field(() => TlsModel)
  tls!: TlsModel;

  @ApiProperty({ nullable: true, type: String, description: 'FortiOS VDOM' })
  @Field(() => String, { nullable: true })
  vdom!: string | null;

  @ApiProperty({ nullable: true, type: String, description: 'Cron schedule for pushes' })
  @Field(() => String, { nullable: true })
  schedule!: string | null;

  @ApiProperty()
  @Field()
  enabled!: boolean;

  @ApiProperty({ type: [InterfaceModel] })
  @Field(() => [InterfaceModel])
  interfaces!: InterfaceModel[];

  @ApiPropertyOptional({ type: [InventoryWarningModel], description: WARNINGS_FIELD_DESCRIPTION })
  @Field(() => [InventoryWarningModel], { nullable: true, description: WARNINGS_FIELD_DESCRIPTION })
  warnings?: InventoryWarningModel[];
}

@ObjectType('DeviceConnection')
export class DeviceConnection extends ConnectionType(DeviceModel) {}

export type InterfaceRow = DeviceInterface & { zones: Pick<InterfaceZone, 'zoneId'>[] };
export type DeviceView = DeviceRow & { interfaces: InterfaceRow[] };

export function toInterfaceModel(row: InterfaceRow): InterfaceModel {
  return {
    id: row.id,
    name: row.name,
    external: row.external,
    zoneIds: row.zones.map((z) => z.zoneId).sort(),
    publicAddresses: row.publicAddresses,
  };
}

/** The only way a device leaves the service: credentials are reduced to whether they are set. */
export function toDeviceModel(row: DeviceView & { warnings?: InventoryWarningModel[] }): DeviceModel {
  return {
    ...resourceFields(row),
    id: row.id,
    siteId: row.siteId,
    name: row.name,
    vendor: row.vendor,
    managementUrl: row.managementUrl,
    credentials: { set: row.credentialsEncrypted !== null, kind: row.credentialKind },
    tls: {
      verify: !row.tlsInsecure,
      insecure: row.tlsInsecure,
      caBundle: row.tlsCaBundle,
      fingerprintSha256: row.tlsFingerprint,
    },
    vdom: row.vdom,
    schedule: row.schedule,
    enabled: row.enabled,
    interfaces: [...row.interfaces].sort((a, b) => a.position - b.position).map(toInterfaceModel),
    ...(row.warnings ? { warnings: row.warnings } : {}),
  };
}
