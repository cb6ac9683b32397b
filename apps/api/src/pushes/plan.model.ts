import { Field, ID, Int, ObjectType } from '@nestjs/graphql';
import { ApiProperty } from '@nestjs/swagger';
import GraphQLJSON from 'graphql-type-json';
import { isPlanEmpty, type Plan } from '@app/connectors';
import { VENDORS, type Vendor } from '@app/engine/model';
import { VendorEnum } from '../inventory/devices/device.model';

@ObjectType('PlanSummary')
export class PlanSummaryModel {
  @ApiProperty()
  @Field(() => Int)
  create!: number;

  @ApiProperty()
  @Field(() => Int)
  update!: number;

  @ApiProperty()
  @Field(() => Int)
  delete!: number;

  @ApiProperty()
  @Field(() => Int)
  reorder!: number;
}

@ObjectType('PlanChange', { description: 'One change, in the order it would be applied' })
export class PlanChangeModel {
  @ApiProperty({ example: 'update:address:utm_agent_lan_7f026f' })
  @Field()
  id!: string;

  @ApiProperty({ enum: ['address', 'service', 'nat', 'rule', 'order'] })
  @Field()
  kind!: string;

  @ApiProperty({ enum: ['create', 'update', 'delete', 'reorder'] })
  @Field()
  op!: string;

  @ApiProperty({ description: 'Object or rule name (the interface/policy list for a reorder)' })
  @Field()
  name!: string;

  @ApiProperty({ nullable: true, type: Object, description: 'Live value (normalised)' })
  @Field(() => GraphQLJSON, { nullable: true })
  before!: unknown;

  @ApiProperty({ nullable: true, type: Object, description: 'Desired value (normalised)' })
  @Field(() => GraphQLJSON, { nullable: true })
  after!: unknown;
}

@ObjectType('Plan', { description: 'The ordered changes that would turn the live device into its rule set' })
export class PlanModel {
  @ApiProperty({ format: 'uuid' })
  @Field(() => ID)
  deviceId!: string;

  @ApiProperty({ enum: VENDORS })
  @Field(() => VendorEnum)
  vendor!: Vendor;

  @ApiProperty({ description: 'Hash of the rule set the plan was computed against' })
  @Field()
  ruleSetHash!: string;

  @ApiProperty({ description: 'Nothing to write: the device already matches its rule set' })
  @Field()
  empty!: boolean;

  @ApiProperty({ description: 'Writes of an earlier push were never committed; a push would commit them' })
  @Field()
  pendingCommit!: boolean;

  @ApiProperty({ type: PlanSummaryModel })
  @Field(() => PlanSummaryModel)
  summary!: PlanSummaryModel;

  @ApiProperty({ type: [PlanChangeModel] })
  @Field(() => [PlanChangeModel])
  changes!: PlanChangeModel[];

  @ApiProperty({ type: [String] })
  @Field(() => [String])
  warnings!: string[];
}

export function toPlanModel(plan: Plan): PlanModel {
  return {
    deviceId: plan.deviceId,
    vendor: plan.vendor,
    ruleSetHash: plan.ruleSetHash,
    empty: isPlanEmpty(plan),
    pendingCommit: plan.pendingCommit,
    summary: plan.summary,
    changes: plan.changes.map((c) => ({
      id: c.id,
      kind: c.kind,
      op: c.op,
      name: c.name,
      before: c.before,
      after: c.after,
    })),
    warnings: plan.warnings,
  };
}
