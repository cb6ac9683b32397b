import { Field, ID, Int, ObjectType } from '@nestjs/graphql';
import { ApiProperty } from '@nestjs/swagger';

/** Identity, optimistic-concurrency version and timestamps shared by every stored resource. */
@ObjectType({ isAbstract: true })
export abstract class ResourceModel {
  @ApiProperty({ format: 'uuid' })
  @Field(() => ID)
  id!: string;

  @ApiProperty({ description: 'Increases on every change; sent as the ETag, expected back in If-Match' })
  @Field(() => Int)
  version!: number;

  @ApiProperty()
  @Field()
  createdAt!: Date;

  @ApiProperty()
  @Field()
  updatedAt!: Date;
}

export function resourceFields(row: ResourceModel): ResourceModel {
  return { id: row.id, version: row.version, createdAt: row.createdAt, updatedAt: row.updatedAt };
}
