import { Args, Mutation, Resolver } from '@nestjs/graphql';
import { RequireScope } from '../auth/auth.decorators';
import { IdArgs } from '../common/graphql/id.args';
import { PlanModel, toPlanModel } from './plan.model';
import { PlansService } from './plans.service';

@Resolver(() => PlanModel)
export class PlansResolver {
  constructor(private readonly plans: PlansService) {}

  @Mutation(() => PlanModel, {
    description: 'Dry run: reads the live device and plans against its rule set; writes nothing',
  })
  @RequireScope('push')
  async planDevice(@Args() { id }: IdArgs): Promise<PlanModel> {
    return toPlanModel(await this.plans.plan(id));
  }
}
