import { Field, ID, Int, ObjectType } from '@nestjs/graphql';
import { ApiProperty } from '@nestjs/swagger';
import { PROTOCOLS, type Protocol, type PublishedPortInput } from '@app/engine/model';
import type { Publication as PublicationRow } from '@app/persistence';
import { PortRangeModel, ProtocolEnum } from '../../catalog/flow.model';
import { ResourceModel, resourceFields } from '../../common/models/resource.model';
import { ConnectionType } from '../../common/pagination/pagination';

@ObjectType('PublishedPort')
export class PublishedPortModel {
  @ApiProperty({ enum: PROTOCOLS })
  @Field(() => ProtocolEnum)
  protocol!: Protocol;

  @ApiProperty({ type: PortRangeModel, description: 'Internal ports of the node' })
  @Field(() => PortRangeModel)
  ports!: PortRangeModel;

  @ApiProperty({
    type: Number,
    nullable: true,
    description: 'First external port; null: the same ports as inside',
  })
  @Field(() => Int, { nullable: true })
  externalFrom!: number | null;
}

@ObjectType('Publication', {
  description:
    'A node made reachable over the internet through a firewall of its site: destination NAT from a public ' +
    'address and port to the node, plus the rule admitting it',
})
export class PublicationModel extends ResourceModel {
  @ApiProperty({ format: 'uuid' })
  @Field(() => ID)
  nodeId!: string;

  @ApiProperty({ format: 'uuid' })
  @Field(() => ID)
  deviceId!: string;

  @ApiProperty({ type: String, nullable: true, description: 'Null: the first external interface by name' })
  @Field(() => String, { nullable: true })
  interface!: string | null;

  @ApiProperty({ type: String, nullable: true, description: "Null: the interface's first public address" })
  @Field(() => String, { nullable: true })
  publicAddress!: string | null;

  @ApiProperty({ type: [PublishedPortModel] })
  @Field(() => [PublishedPortModel])
  ports!: PublishedPortModel[];

  @ApiProperty()
  @Field()
  description!: string;
}

@ObjectType('PublicationConnection')
export class PublicationConnection extends ConnectionType(PublicationModel) {}

/** The stored `ports` (written only by PublicationsService, in the engine's shape). */
export function portsOf(row: Pick<PublicationRow, 'ports'>): PublishedPortInput[] {
  return row.ports as unknown as PublishedPortInput[];
}

export function toPublicationModel(row: PublicationRow): PublicationModel {
  return {
    ...resourceFields(row),
    nodeId: row.nodeId,
    deviceId: row.deviceId,
    interface: row.interface,
    publicAddress: row.publicAddress,
    ports: portsOf(row).map((p) => ({
      protocol: p.protocol,
      ports: { from: p.ports.from, to: p.ports.to },
      externalFrom: p.externalFrom ?? null,
    })),
    description: row.description,
  };
}
