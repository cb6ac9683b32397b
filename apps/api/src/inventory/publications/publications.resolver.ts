import { Args, ID, Int, Mutation, Query, Resolver } from '@nestjs/graphql';
import { IdArgs, VersionedIdArgs } from '../../common/graphql/id.args';
import { idParam } from '../../common/http/id.pipe';
import { connectionPage, toConnection } from '../../common/pagination/pagination';
import {
  CreatePublicationInput,
  PublicationConnectionArgs,
  UpdatePublicationInput,
} from './publication.input';
import { PublicationConnection, PublicationModel, toPublicationModel } from './publication.model';
import { PublicationsService } from './publications.service';

@Resolver(() => PublicationModel)
export class PublicationsResolver {
  constructor(private readonly service: PublicationsService) {}

  @Query(() => PublicationConnection)
  async publications(@Args() args: PublicationConnectionArgs): Promise<PublicationConnection> {
    return toConnection(
      await this.service.list(
        {
          q: args.q,
          nodeId: args.nodeId,
          deviceId: args.deviceId,
          siteId: args.siteId,
          tenantId: args.tenantId,
        },
        connectionPage(args),
      ),
      toPublicationModel,
    );
  }

  @Query(() => PublicationModel)
  async publication(@Args() { id }: IdArgs): Promise<PublicationModel> {
    return toPublicationModel(await this.service.get(id));
  }

  @Mutation(() => PublicationModel)
  async createPublication(@Args('input') input: CreatePublicationInput): Promise<PublicationModel> {
    return toPublicationModel(await this.service.create(input));
  }

  @Mutation(() => PublicationModel)
  async updatePublication(
    @Args('id', { type: () => ID }, idParam()) id: string,
    @Args('input') input: UpdatePublicationInput,
    @Args('expectedVersion', { type: () => Int, nullable: true }) expectedVersion?: number,
  ): Promise<PublicationModel> {
    return toPublicationModel(await this.service.update(id, input, expectedVersion));
  }

  @Mutation(() => PublicationModel, { description: 'Returns the deleted publication' })
  async deletePublication(@Args() { id, expectedVersion }: VersionedIdArgs): Promise<PublicationModel> {
    return toPublicationModel(await this.service.delete(id, expectedVersion));
  }
}
