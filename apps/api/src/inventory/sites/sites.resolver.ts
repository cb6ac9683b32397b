import { Args, ID, Int, Mutation, Query, Resolver } from '@nestjs/graphql';
import { idParam } from '../../common/http/id.pipe';
import { DeleteArgs, IdArgs } from '../../common/graphql/id.args';
import { connectionPage, toConnection } from '../../common/pagination/pagination';
import { CreateSiteInput, SiteConnectionArgs, UpdateSiteInput } from './site.input';
import { SiteConnection, SiteModel, toSiteModel } from './site.model';
import { SitesService } from './sites.service';

@Resolver(() => SiteModel)
export class SitesResolver {
  constructor(private readonly service: SitesService) {}

  @Query(() => SiteConnection)
  async sites(@Args() args: SiteConnectionArgs): Promise<SiteConnection> {
    return toConnection(
      await this.service.list(
        {
          q: args.q,
          catalogVersion: args.catalogVersion,
          deploymentId: args.deploymentId,
          tenantId: args.tenantId,
        },
        connectionPage(args),
      ),
      toSiteModel,
    );
  }

  @Query(() => SiteModel)
  async site(@Args() { id }: IdArgs): Promise<SiteModel> {
    return toSiteModel(await this.service.get(id));
  }

  @Mutation(() => SiteModel)
  async createSite(@Args('input') input: CreateSiteInput): Promise<SiteModel> {
    return toSiteModel(await this.service.create(input));
  }

  @Mutation(() => SiteModel)
  async updateSite(
    @Args('id', { type: () => ID }, idParam()) id: string,
    @Args('input') input: UpdateSiteInput,
    @Args('expectedVersion', { type: () => Int, nullable: true }) expectedVersion?: number,
  ): Promise<SiteModel> {
    return toSiteModel(await this.service.update(id, input, expectedVersion));
  }

  @Mutation(() => SiteModel, { description: 'Returns the deleted site' })
  async deleteSite(@Args() { id, cascade, expectedVersion }: DeleteArgs): Promise<SiteModel> {
    return toSiteModel(await this.service.delete(id, cascade ?? false, expectedVersion));
  }
}
