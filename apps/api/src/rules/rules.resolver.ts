import { Args, Context, Parent, Query, ResolveField, Resolver } from '@nestjs/graphql';
import DataLoader from 'dataloader';
import type { RuleSet } from '@app/engine/model';
import type { GraphQLContext } from '../common/graphql/graphql-context';
import { DeviceModel } from '../inventory/devices/device.model';
import { ReachabilityModel, RuleSetModel, toReachabilityModel, toRuleSetModel } from './rule-set.model';
import { RuleSetsService } from './rule-sets.service';
import { ReachabilityArgs } from './rules.input';

type RuleSetContext = GraphQLContext & { ruleSetLoader?: DataLoader<string, RuleSet | null> };

@Resolver(() => DeviceModel)
export class DeviceRuleSetResolver {
  constructor(private readonly service: RuleSetsService) {}

  @ResolveField(() => RuleSetModel, {
    nullable: true,
    description: 'The computed desired state of this device',
  })
  async ruleSet(@Parent() device: DeviceModel, @Context() ctx: RuleSetContext): Promise<RuleSetModel | null> {
    // One revision check per request however many devices the query touches.
    ctx.ruleSetLoader ??= new DataLoader((ids: readonly string[]) => this.service.ruleSets(ids));
    const ruleSet = await ctx.ruleSetLoader.load(device.id);
    return ruleSet ? toRuleSetModel(ruleSet) : null;
  }
}

@Resolver(() => ReachabilityModel)
export class ReachabilityResolver {
  constructor(private readonly service: RuleSetsService) {}

  @Query(() => ReachabilityModel, {
    description: 'Which flows require from → to, which devices are on the path, which rules allow it',
  })
  async reachability(@Args() args: ReachabilityArgs): Promise<ReachabilityModel> {
    return toReachabilityModel(
      await this.service.reachability(args.from, args.to, { protocol: args.protocol, port: args.port }),
    );
  }
}
