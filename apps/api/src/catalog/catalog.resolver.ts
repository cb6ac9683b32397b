import { Args, Int, Mutation, Query, Resolver } from '@nestjs/graphql';
import { CatalogService } from './catalog.service';
import { CreateCustomFlowInput, FlowListArgs, UpdateCustomFlowInput } from './flow.input';
import { FlowModel, NeverExposedPortModel, toFlowModel } from './flow.model';

@Resolver(() => FlowModel)
export class CatalogResolver {
  constructor(private readonly service: CatalogService) {}

  @Query(() => [FlowModel], { description: 'Builtin and custom flows (of one catalog version, or all)' })
  async catalogFlows(@Args() args: FlowListArgs): Promise<FlowModel[]> {
    return (await this.service.flows(args.version)).map(toFlowModel);
  }

  @Query(() => [NeverExposedPortModel])
  neverExposedPorts(): NeverExposedPortModel[] {
    return this.service.neverExposed().map((p) => ({ ...p, versions: [...p.versions] }));
  }

  @Mutation(() => FlowModel)
  async createCustomFlow(@Args('input') input: CreateCustomFlowInput): Promise<FlowModel> {
    return toFlowModel(await this.service.createCustom(input));
  }

  @Mutation(() => FlowModel)
  async updateCustomFlow(
    @Args('id') id: string,
    @Args('input') input: UpdateCustomFlowInput,
    @Args('expectedVersion', { type: () => Int, nullable: true }) expectedVersion?: number,
  ): Promise<FlowModel> {
    return toFlowModel(await this.service.updateCustom(id, input, expectedVersion));
  }

  @Mutation(() => FlowModel, { description: 'Returns the deleted flow' })
  async deleteCustomFlow(
    @Args('id') id: string,
    @Args('expectedVersion', { type: () => Int, nullable: true }) expectedVersion?: number,
  ): Promise<FlowModel> {
    return toFlowModel(await this.service.deleteCustom(id, expectedVersion));
  }
}
