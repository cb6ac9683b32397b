import { Field, ID, Int, ObjectType, registerEnumType } from '@nestjs/graphql';
import { ApiProperty } from '@nestjs/swagger';
import GraphQLJSON from 'graphql-type-json';
import type { Push as PushRow, PushState, PushTrigger } from '@app/persistence';
import { ConnectionType } from '../common/pagination/pagination';

export const PUSH_STATES = ['queued', 'running', 'succeeded', 'failed', 'cancelled', 'noop'] as const;
export const PUSH_TRIGGERS = ['manual', 'schedule', 'api'] as const;
export const FINAL_STATES: readonly PushState[] = ['succeeded', 'failed', 'cancelled', 'noop'];

export const PushStateEnum = Object.fromEntries(PUSH_STATES.map((s) => [s, s])) as {
  [K in PushState]: K;
};
registerEnumType(PushStateEnum, {
  name: 'PushState',
  description: 'noop: the plan was empty, nothing was written',
});
export const PushTriggerEnum = Object.fromEntries(PUSH_TRIGGERS.map((s) => [s, s])) as {
  [K in PushTrigger]: K;
};
registerEnumType(PushTriggerEnum, {
  name: 'PushTrigger',
  description: 'manual: GraphQL (operators, dashboards); api: REST (integrations); schedule: cron',
});

@ObjectType('PushEvent')
export class PushEventModel {
  @ApiProperty()
  @Field()
  at!: Date;

  @ApiProperty({ example: 'attempt 1 started on host:1234' })
  @Field()
  message!: string;
}

@ObjectType('Push', { description: 'One execution (or dry run) of a device plan, with its history' })
export class PushModel {
  @ApiProperty({ format: 'uuid' })
  @Field(() => ID)
  id!: string;

  @ApiProperty({ format: 'uuid' })
  @Field(() => ID)
  deviceId!: string;

  @ApiProperty({ format: 'uuid', nullable: true, type: String, description: 'Shared by one fleet push' })
  @Field(() => ID, { nullable: true })
  fleetId!: string | null;

  @ApiProperty({ enum: PUSH_TRIGGERS })
  @Field(() => PushTriggerEnum)
  trigger!: PushTrigger;

  @ApiProperty({ description: 'Token name, or "scheduler"' })
  @Field()
  actor!: string;

  @ApiProperty({ nullable: true, type: String })
  @Field(() => String, { nullable: true })
  reason!: string | null;

  @ApiProperty({ nullable: true, type: String, description: 'Ticket reference (e.g. CHG0012345)' })
  @Field(() => String, { nullable: true })
  ticket!: string | null;

  @ApiProperty()
  @Field()
  dryRun!: boolean;

  @ApiProperty({ enum: PUSH_STATES })
  @Field(() => PushStateEnum)
  state!: PushState;

  @ApiProperty({ nullable: true, type: Date, description: 'Cron slot of a scheduled push' })
  @Field(() => Date, { nullable: true })
  scheduledFor!: Date | null;

  @ApiProperty({ nullable: true, type: String, description: 'Hash of the rule set that was planned' })
  @Field(() => String, { nullable: true })
  ruleSetHash!: string | null;

  @ApiProperty({ nullable: true, type: Object, description: 'The plan (changes in apply order)' })
  @Field(() => GraphQLJSON, { nullable: true })
  plan!: unknown;

  @ApiProperty({ nullable: true, type: Object, description: 'Per-change results, commit and verification' })
  @Field(() => GraphQLJSON, { nullable: true })
  result!: unknown;

  @ApiProperty({ nullable: true, type: Number, description: 'Write calls made on the device' })
  @Field(() => Int, { nullable: true })
  writes!: number | null;

  @ApiProperty()
  @Field(() => Int)
  attempts!: number;

  @ApiProperty({ nullable: true, type: String, example: 'unavailable' })
  @Field(() => String, { nullable: true })
  errorClass!: string | null;

  @ApiProperty({ nullable: true, type: String })
  @Field(() => String, { nullable: true })
  errorMessage!: string | null;

  @ApiProperty({ nullable: true, type: Object, description: 'The classified device error' })
  @Field(() => GraphQLJSON, { nullable: true })
  error!: unknown;

  @ApiProperty({ type: [PushEventModel] })
  @Field(() => [PushEventModel])
  events!: PushEventModel[];

  @ApiProperty({ description: 'When it was requested (queued)' })
  @Field()
  createdAt!: Date;

  @ApiProperty({ nullable: true, type: Date })
  @Field(() => Date, { nullable: true })
  startedAt!: Date | null;

  @ApiProperty({ nullable: true, type: Date })
  @Field(() => Date, { nullable: true })
  finishedAt!: Date | null;

  @ApiProperty({ nullable: true, type: Number, description: 'finishedAt - startedAt' })
  @Field(() => Int, { nullable: true })
  durationMs!: number | null;
}

@ObjectType('PushConnection')
export class PushConnection extends ConnectionType(PushModel) {}

interface StoredEvent {
  at: string;
  message: string;
}

export function toPushModel(row: PushRow): PushModel {
  const events = Array.isArray(row.events) ? (row.events as unknown as StoredEvent[]) : [];
  return {
    id: row.id,
    deviceId: row.deviceId,
    fleetId: row.fleetId,
    trigger: row.trigger,
    actor: row.actor,
    reason: row.reason,
    ticket: row.ticket,
    dryRun: row.dryRun,
    state: row.state,
    scheduledFor: row.scheduledFor,
    ruleSetHash: row.ruleSetHash,
    plan: row.plan,
    result: row.result,
    writes: row.writes,
    attempts: row.attempts,
    errorClass: row.errorClass,
    errorMessage: row.errorMessage,
    error: row.error,
    events: events.map((e) => ({ at: new Date(e.at), message: e.message })),
    createdAt: row.createdAt,
    startedAt: row.startedAt,
    finishedAt: row.finishedAt,
    durationMs: row.startedAt && row.finishedAt ? row.finishedAt.getTime() - row.startedAt.getTime() : null,
  };
}

@ObjectType('FleetPush', { description: 'Pushes requested together; devices not pushed are listed with why' })
export class FleetPushModel {
  @ApiProperty({ format: 'uuid' })
  @Field(() => ID)
  fleetId!: string;

  @ApiProperty({ type: [PushModel] })
  @Field(() => [PushModel])
  pushes!: PushModel[];

  @ApiProperty({ type: () => [SkippedDeviceModel] })
  @Field(() => [SkippedDeviceModel])
  skipped!: SkippedDeviceModel[];
}

@ObjectType('SkippedDevice')
export class SkippedDeviceModel {
  @ApiProperty({ format: 'uuid' })
  @Field(() => ID)
  deviceId!: string;

  @ApiProperty()
  @Field()
  deviceName!: string;

  @ApiProperty({ example: 'disabled' })
  @Field()
  reason!: string;
}
