import { Args, ID, Int, Mutation, Query, Resolver } from '@nestjs/graphql';
import { RequireScope } from '../auth/auth.decorators';
import { IdArgs, VersionedIdArgs } from '../common/graphql/id.args';
import { idParam } from '../common/http/id.pipe';
import { connectionPage, toConnection } from '../common/pagination/pagination';
import { CreateTenantInput, TenantConnectionArgs, UpdateTenantInput } from './tenant.input';
import { TenantConnection, TenantModel, toTenantModel } from './tenant.model';
import { TenantsService } from './tenants.service';

@Resolver(() => TenantModel)
export class TenantsResolver {
  constructor(private readonly service: TenantsService) {}

  @Query(() => TenantConnection)
  async tenants(@Args() args: TenantConnectionArgs): Promise<TenantConnection> {
    return toConnection(await this.service.list({ q: args.q }, connectionPage(args)), toTenantModel);
  }

  @Query(() => TenantModel)
  async tenant(@Args() { id }: IdArgs): Promise<TenantModel> {
    return toTenantModel(await this.service.get(id));
  }

  @Mutation(() => TenantModel)
  @RequireScope('admin')
  async createTenant(@Args('input') input: CreateTenantInput): Promise<TenantModel> {
    return toTenantModel(await this.service.create(input));
  }

  @Mutation(() => TenantModel)
  @RequireScope('admin')
  async updateTenant(
    @Args('id', { type: () => ID }, idParam()) id: string,
    @Args('input') input: UpdateTenantInput,
    @Args('expectedVersion', { type: () => Int, nullable: true }) expectedVersion?: number,
  ): Promise<TenantModel> {
    return toTenantModel(await this.service.update(id, input, expectedVersion));
  }

  @Mutation(() => TenantModel, { description: 'Returns the deleted tenant' })
  @RequireScope('admin')
  async deleteTenant(@Args() { id, expectedVersion }: VersionedIdArgs): Promise<TenantModel> {
    return toTenantModel(await this.service.delete(id, expectedVersion));
  }
}
