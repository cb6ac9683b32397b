import { Field, ID } from '@nestjs/graphql';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsUUID } from 'class-validator';
import { OptionalNullable } from '../common/http/validators';

const OWNER =
  'Owning tenant; null: the provider. Omitted on creation: the token’s tenant when it is limited to exactly ' +
  'one, otherwise the provider (a token limited to several tenants must name one)';

/** `tenantId` on create/update inputs of tenant-owned resources (sites, deployments, webhooks). */
export function OwnerInput(): PropertyDecorator {
  return (target, key) => {
    ApiPropertyOptional({ format: 'uuid', nullable: true, type: String, description: OWNER })(target, key);
    Field(() => ID, { nullable: true, description: OWNER })(target, key);
    OptionalNullable()(target, key);
    IsUUID()(target, key);
  };
}

/** `tenantId` on a resource's model. */
export function OwnerField(): PropertyDecorator {
  return (target, key) => {
    ApiProperty({
      format: 'uuid',
      nullable: true,
      type: String,
      description: 'Owning tenant; null: the provider',
    })(target, key);
    Field(() => ID, { nullable: true, description: 'Owning tenant; null: the provider' })(target, key);
  };
}

/** `tenantId` list filter (REST query and GraphQL argument). */
export function TenantFilterArg(): PropertyDecorator {
  return (target, key) => {
    ApiPropertyOptional({ format: 'uuid', description: 'Only resources of this tenant' })(target, key);
    Field(() => ID, { nullable: true, description: 'Only resources of this tenant' })(target, key);
    IsOptional()(target, key);
    IsUUID()(target, key);
  };
}

/** `deploymentId` list filter for resources found through their site (zones, devices). */
export function DeploymentFilterArg(): PropertyDecorator {
  const description = 'Only those at sites where nodes of this deployment stand';
  return (target, key) => {
    ApiPropertyOptional({ format: 'uuid', description })(target, key);
    Field(() => ID, { nullable: true, description })(target, key);
    IsOptional()(target, key);
    IsUUID()(target, key);
  };
}
