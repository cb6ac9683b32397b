import { Field, ObjectType } from '@nestjs/graphql';
import { ApiProperty } from '@nestjs/swagger';
import type { Tenant } from '@app/persistence';
import { ResourceModel, resourceFields } from '../common/models/resource.model';
import { ConnectionType } from '../common/pagination/pagination';

@ObjectType('Tenant', {
  description:
    'A customer: it owns deployments, sites and webhooks. What no tenant owns belongs to the provider ' +
    '(e.g. a shared datacenter site and its firewalls).',
})
export class TenantModel extends ResourceModel {
  @ApiProperty({ example: 'acme' })
  @Field()
  name!: string;

  @ApiProperty()
  @Field()
  description!: string;
}

@ObjectType('TenantConnection')
export class TenantConnection extends ConnectionType(TenantModel) {}

export function toTenantModel(row: Tenant): TenantModel {
  return { ...resourceFields(row), name: row.name, description: row.description };
}
