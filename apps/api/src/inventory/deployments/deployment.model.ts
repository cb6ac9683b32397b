import { Field, ObjectType } from '@nestjs/graphql';
import { ApiProperty } from '@nestjs/swagger';
import type { Deployment as DeploymentRow } from '@app/persistence';
import { ResourceModel, resourceFields } from '../../common/models/resource.model';
import { ConnectionType } from '../../common/pagination/pagination';

@ObjectType('Deployment', {
  description:
    'One UTMStack installation: its master, probes, collectors, agents, log sources and consoles. ' +
    'Flows only ever join two nodes of the same deployment.',
})
export class DeploymentModel extends ResourceModel {
  @ApiProperty({ example: 'Acme' })
  @Field()
  name!: string;

  @ApiProperty()
  @Field()
  description!: string;

  @ApiProperty({
    example: 'utmstack-v9',
    description: "Catalog of the deployment's nodes (a site's catalogVersion, when set, overrides it)",
  })
  @Field({
    description: "Catalog of the deployment's nodes (a site's catalogVersion, when set, overrides it)",
  })
  catalogVersion!: string;
}

@ObjectType('DeploymentConnection')
export class DeploymentConnection extends ConnectionType(DeploymentModel) {}

export function toDeploymentModel(row: DeploymentRow): DeploymentModel {
  return {
    ...resourceFields(row),
    name: row.name,
    description: row.description,
    catalogVersion: row.catalogVersion,
  };
}
