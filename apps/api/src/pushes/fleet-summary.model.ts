import { Field, ID, Int, ObjectType } from '@nestjs/graphql';
import { ApiProperty } from '@nestjs/swagger';
import { VENDORS, type Vendor } from '@app/engine/model';
import type { PushState } from '@app/persistence';
import { VendorEnum } from '../inventory/devices/device.model';
import { PUSH_STATES, PushStateEnum } from './push.model';

@ObjectType('DeviceStateCount')
export class DeviceStateCountModel {
  @ApiProperty({ enum: PUSH_STATES })
  @Field(() => PushStateEnum)
  state!: PushState;

  @ApiProperty({ description: 'Devices whose latest push (dry runs excluded) is in this state' })
  @Field(() => Int)
  devices!: number;
}

@ObjectType('DevicePushStatus')
export class DevicePushStatusModel {
  @ApiProperty({ format: 'uuid' })
  @Field(() => ID)
  deviceId!: string;

  @ApiProperty()
  @Field()
  deviceName!: string;

  @ApiProperty({ enum: VENDORS })
  @Field(() => VendorEnum)
  vendor!: Vendor;

  @ApiProperty({
    enum: PUSH_STATES,
    nullable: true,
    description: 'State of the latest push (dry runs excluded)',
  })
  @Field(() => PushStateEnum, { nullable: true })
  lastState!: PushState | null;

  @ApiProperty({ nullable: true, type: Date })
  @Field(() => Date, { nullable: true })
  lastPushAt!: Date | null;

  @ApiProperty({ nullable: true, type: Date, description: 'End of the latest succeeded or noop push' })
  @Field(() => Date, { nullable: true })
  lastSuccessAt!: Date | null;

  @ApiProperty({ nullable: true, type: String, format: 'uuid' })
  @Field(() => ID, { nullable: true })
  lastSuccessPushId!: string | null;
}

@ObjectType('DriftedDevice')
export class DriftedDeviceModel {
  @ApiProperty({ format: 'uuid' })
  @Field(() => ID)
  deviceId!: string;

  @ApiProperty()
  @Field()
  deviceName!: string;

  @ApiProperty({ format: 'uuid', description: 'The drift check that found it' })
  @Field(() => ID)
  checkId!: string;

  @ApiProperty()
  @Field()
  checkedAt!: Date;

  @ApiProperty()
  @Field(() => Int)
  missing!: number;

  @ApiProperty()
  @Field(() => Int)
  changed!: number;

  @ApiProperty()
  @Field(() => Int)
  extra!: number;

  @ApiProperty({ description: 'Unmanaged rules opening never-exposed ports' })
  @Field(() => Int)
  exposures!: number;
}

@ObjectType('FleetSummary', { description: 'Push status of every device, for dashboards' })
export class FleetSummaryModel {
  @ApiProperty()
  @Field(() => Int)
  totalDevices!: number;

  @ApiProperty({ type: [DeviceStateCountModel] })
  @Field(() => [DeviceStateCountModel])
  byState!: DeviceStateCountModel[];

  @ApiProperty({ type: [DevicePushStatusModel], description: 'Every device, by name' })
  @Field(() => [DevicePushStatusModel])
  devices!: DevicePushStatusModel[];

  @ApiProperty({ type: [DevicePushStatusModel], description: 'Devices without any succeeded or noop push' })
  @Field(() => [DevicePushStatusModel])
  neverPushed!: DevicePushStatusModel[];

  @ApiProperty({ type: [DriftedDeviceModel], description: 'Devices whose latest drift check found drift' })
  @Field(() => [DriftedDeviceModel])
  drifted!: DriftedDeviceModel[];
}
