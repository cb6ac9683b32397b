import { Args, ID, Int, Mutation, Query, Resolver } from '@nestjs/graphql';
import { DeleteArgs, IdArgs } from '../../common/graphql/id.args';
import { idParam } from '../../common/http/id.pipe';
import { connectionPage, toConnection } from '../../common/pagination/pagination';
import { CreateNodeInput, NodeConnectionArgs, UpdateNodeInput } from './node.input';
import { NodeConnection, NodeModel, toNodeModel } from './node.model';
import { NodesService } from './nodes.service';

@Resolver(() => NodeModel)
export class NodesResolver {
  constructor(private readonly service: NodesService) {}

  @Query(() => NodeConnection)
  async nodes(@Args() args: NodeConnectionArgs): Promise<NodeConnection> {
    return toConnection(
      await this.service.list(
        {
          q: args.q,
          siteId: args.siteId,
          role: args.role,
          deploymentId: args.deploymentId,
          tenantId: args.tenantId,
        },
        connectionPage(args),
      ),
      toNodeModel,
    );
  }

  @Query(() => NodeModel)
  async node(@Args() { id }: IdArgs): Promise<NodeModel> {
    return toNodeModel(await this.service.get(id));
  }

  @Mutation(() => NodeModel)
  async createNode(@Args('input') input: CreateNodeInput): Promise<NodeModel> {
    return toNodeModel(await this.service.create(input));
  }

  @Mutation(() => NodeModel)
  async updateNode(
    @Args('id', { type: () => ID }, idParam()) id: string,
    @Args('input') input: UpdateNodeInput,
    @Args('expectedVersion', { type: () => Int, nullable: true }) expectedVersion?: number,
  ): Promise<NodeModel> {
    return toNodeModel(await this.service.update(id, input, expectedVersion));
  }

  @Mutation(() => NodeModel, { description: 'Returns the deleted node' })
  async deleteNode(@Args() { id, cascade, expectedVersion }: DeleteArgs): Promise<NodeModel> {
    return toNodeModel(await this.service.delete(id, cascade ?? false, expectedVersion));
  }
}
