import { Args, ID, Int, Mutation, Query, Resolver } from '@nestjs/graphql';
import { DeleteArgs, IdArgs } from '../../common/graphql/id.args';
import { idParam } from '../../common/http/id.pipe';
import { connectionPage, toConnection } from '../../common/pagination/pagination';
import { CreateDeploymentInput, DeploymentConnectionArgs, UpdateDeploymentInput } from './deployment.input';
import { DeploymentConnection, DeploymentModel, toDeploymentModel } from './deployment.model';
import { DeploymentsService } from './deployments.service';

@Resolver(() => DeploymentModel)
export class DeploymentsResolver {
  constructor(private readonly service: DeploymentsService) {}

  @Query(() => DeploymentConnection)
  async deployments(@Args() args: DeploymentConnectionArgs): Promise<DeploymentConnection> {
    return toConnection(
      await this.service.list(
        { q: args.q, catalogVersion: args.catalogVersion, tenantId: args.tenantId },
        connectionPage(args),
      ),
      toDeploymentModel,
    );
  }

  @Query(() => DeploymentModel)
  async deployment(@Args() { id }: IdArgs): Promise<DeploymentModel> {
    return toDeploymentModel(await this.service.get(id));
  }

  @Mutation(() => DeploymentModel)
  async createDeployment(@Args('input') input: CreateDeploymentInput): Promise<DeploymentModel> {
    return toDeploymentModel(await this.service.create(input));
  }

  @Mutation(() => DeploymentModel)
  async updateDeployment(
    @Args('id', { type: () => ID }, idParam()) id: string,
    @Args('input') input: UpdateDeploymentInput,
    @Args('expectedVersion', { type: () => Int, nullable: true }) expectedVersion?: number,
  ): Promise<DeploymentModel> {
    return toDeploymentModel(await this.service.update(id, input, expectedVersion));
  }

  @Mutation(() => DeploymentModel, { description: 'Returns the deleted deployment' })
  async deleteDeployment(@Args() { id, cascade, expectedVersion }: DeleteArgs): Promise<DeploymentModel> {
    return toDeploymentModel(await this.service.delete(id, cascade ?? false, expectedVersion));
  }
}
