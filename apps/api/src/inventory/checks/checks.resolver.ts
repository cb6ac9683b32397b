import { Args, Query, Resolver } from '@nestjs/graphql';
import { InventoryCheckArgs, InventoryWarningModel } from './checks.model';
import { ChecksService } from './checks.service';

@Resolver(() => InventoryWarningModel)
export class ChecksResolver {
  constructor(private readonly service: ChecksService) {}

  @Query(() => [InventoryWarningModel], {
    description: 'Every guard-rail finding over the inventory, or one deployment, tenant or code',
  })
  async inventoryChecks(@Args() args: InventoryCheckArgs): Promise<InventoryWarningModel[]> {
    return this.service.list({ deploymentId: args.deploymentId, tenantId: args.tenantId, code: args.code });
  }
}
