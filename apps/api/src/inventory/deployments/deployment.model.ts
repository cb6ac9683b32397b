import { Field, ObjectType } from '@nestjs/graphql';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { Deployment as DeploymentRow } from '@app/persistence';
import { ResourceModel, resourceFields } from '../../common/models/resource.model';
import { ConnectionType } from '../../common/pagination/pagination';
import { OwnerField } from '../../tenants/tenant-fields';
import { InventoryWarningModel, WARNINGS_FIELD_DESCRIPTION } from '../checks/checks.model';

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

  @OwnerField()
  tenantId!: string | null;

  @ApiPropertyOptional({ type: [InventoryWarningModel], description: WARNINGS_FIELD_DESCRIPTION })
  @Field(() => [InventoryWarningModel], { nullable: true, description: WARNINGS_FIELD_DESCRIPTION })
  warnings?: InventoryWarningModel[];
}

@ObjectType('DeploymentConnection')
export class DeploymentConnection extends ConnectionType(DeploymentModel) {}

export function toDeploymentModel(
  row: DeploymentRow & { warnings?: InventoryWarningModel[] },
): DeploymentModel {
  return {
    ...resourceFields(row),
    name: row.name,
    description: row.description,
    catalogVersion: row.catalogVersion,
    tenantId: row.tenantId,
    ...(row.warnings ? { warnings: row.warnings } : {}),
  };
}
