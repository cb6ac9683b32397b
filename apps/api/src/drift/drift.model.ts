import { Field, ID, Int, ObjectType, registerEnumType } from '@nestjs/graphql';
import { ApiProperty } from '@nestjs/swagger';
import GraphQLJSON from 'graphql-type-json';
import type { PushTrigger } from '@app/persistence';
import { PushTriggerEnum, PUSH_TRIGGERS } from '../pushes/push.model';
import type { Exposure } from './exposures';

@ObjectType('DriftItem', { description: 'A managed object or rule that differs from the rule set' })
export class DriftItemModel {
  @ApiProperty({ enum: ['address', 'service', 'rule', 'order'] })
  @Field()
  kind!: string;

  @ApiProperty({ example: 'utm_agent_lan_7f026f' })
  @Field()
  name!: string;

  @ApiProperty({ nullable: true, type: Object, description: 'On the device' })
  @Field(() => GraphQLJSON, { nullable: true })
  live!: unknown;

  @ApiProperty({ nullable: true, type: Object, description: 'In the rule set' })
  @Field(() => GraphQLJSON, { nullable: true })
  desired!: unknown;
}

@ObjectType('Exposure', { description: 'An unmanaged rule that opens a port UTMStack must never expose' })
export class ExposureModel implements Exposure {
  @ApiProperty({ description: 'Description of the rule on the device' })
  @Field()
  rule!: string;

  @ApiProperty({ type: [String] })
  @Field(() => [String])
  interfaces!: string[];

  @ApiProperty({ enum: ['tcp', 'udp'] })
  @Field(() => String)
  protocol!: 'tcp' | 'udp';

  @ApiProperty({ example: 5432 })
  @Field(() => Int)
  port!: number;

  @ApiProperty({ example: 'PostgreSQL' })
  @Field()
  service!: string;

  @ApiProperty()
  @Field()
  reason!: string;

  @ApiProperty()
  @Field()
  source!: string;

  @ApiProperty()
  @Field()
  destination!: string;

  @ApiProperty({ description: 'On the external interface (reachable from the internet or other sites)' })
  @Field()
  external!: boolean;
}

export const DRIFT_STATES = ['queued', 'clean', 'drifted', 'failed'] as const;
export type DriftState = (typeof DRIFT_STATES)[number];
export const DriftStateEnum = Object.fromEntries(DRIFT_STATES.map((s) => [s, s])) as {
  [K in DriftState]: K;
};
registerEnumType(DriftStateEnum, {
  name: 'DriftState',
  description: 'failed: the device could not be checked',
});

@ObjectType('DriftReport', { description: 'One comparison of the live device with its rule set' })
export class DriftReportModel {
  @ApiProperty({ format: 'uuid' })
  @Field(() => ID)
  id!: string;

  @ApiProperty({ format: 'uuid' })
  @Field(() => ID)
  deviceId!: string;

  @ApiProperty({ enum: DRIFT_STATES })
  @Field(() => DriftStateEnum)
  state!: DriftState;

  @ApiProperty({ enum: PUSH_TRIGGERS })
  @Field(() => PushTriggerEnum)
  trigger!: PushTrigger;

  @ApiProperty()
  @Field()
  actor!: string;

  @ApiProperty({ nullable: true, type: String })
  @Field(() => String, { nullable: true })
  ruleSetHash!: string | null;

  @ApiProperty({ type: [DriftItemModel], description: 'In the rule set, not on the device' })
  @Field(() => [DriftItemModel])
  missing!: DriftItemModel[];

  @ApiProperty({ type: [DriftItemModel], description: 'On the device with other values, or out of order' })
  @Field(() => [DriftItemModel])
  changed!: DriftItemModel[];

  @ApiProperty({ type: [DriftItemModel], description: 'Managed on the device, no longer in the rule set' })
  @Field(() => [DriftItemModel])
  extra!: DriftItemModel[];

  @ApiProperty({ type: [ExposureModel] })
  @Field(() => [ExposureModel])
  exposures!: ExposureModel[];

  @ApiProperty({ description: 'Writes of an earlier push were never committed' })
  @Field()
  pendingCommit!: boolean;

  @ApiProperty({
    description:
      'Whether unmanaged rules (and port forwards, where the connector reads them) could be checked for exposed ports: false when the vendor cannot list them or the API key may not read them',
  })
  @Field()
  exposuresChecked!: boolean;

  @ApiProperty({ nullable: true, type: String })
  @Field(() => String, { nullable: true })
  errorClass!: string | null;

  @ApiProperty({ nullable: true, type: String })
  @Field(() => String, { nullable: true })
  errorMessage!: string | null;

  @ApiProperty({ nullable: true, type: Date })
  @Field(() => Date, { nullable: true })
  scheduledFor!: Date | null;

  @ApiProperty()
  @Field()
  createdAt!: Date;

  @ApiProperty({ nullable: true, type: Date })
  @Field(() => Date, { nullable: true })
  checkedAt!: Date | null;
}
