import { Args, ID, Int, Mutation, Query, Resolver } from '@nestjs/graphql';
import { IdArgs, VersionedIdArgs } from '../../common/graphql/id.args';
import { idParam } from '../../common/http/id.pipe';
import { connectionPage, toConnection } from '../../common/pagination/pagination';
import { CreateSiteLinkInput, SiteLinkConnectionArgs, UpdateSiteLinkInput } from './site-link.input';
import { SiteLinkConnection, SiteLinkModel, toSiteLinkModel } from './site-link.model';
import { SiteLinksService } from './site-links.service';

@Resolver(() => SiteLinkModel)
export class SiteLinksResolver {
  constructor(private readonly service: SiteLinksService) {}

  @Query(() => SiteLinkConnection)
  async siteLinks(@Args() args: SiteLinkConnectionArgs): Promise<SiteLinkConnection> {
    return toConnection(
      await this.service.list(
        { q: args.q, siteId: args.siteId, connectivity: args.connectivity, tenantId: args.tenantId },
        connectionPage(args),
      ),
      toSiteLinkModel,
    );
  }

  @Query(() => SiteLinkModel)
  async siteLink(@Args() { id }: IdArgs): Promise<SiteLinkModel> {
    return toSiteLinkModel(await this.service.get(id));
  }

  @Mutation(() => SiteLinkModel)
  async createSiteLink(@Args('input') input: CreateSiteLinkInput): Promise<SiteLinkModel> {
    return toSiteLinkModel(await this.service.create(input));
  }

  @Mutation(() => SiteLinkModel)
  async updateSiteLink(
    @Args('id', { type: () => ID }, idParam()) id: string,
    @Args('input') input: UpdateSiteLinkInput,
    @Args('expectedVersion', { type: () => Int, nullable: true }) expectedVersion?: number,
  ): Promise<SiteLinkModel> {
    return toSiteLinkModel(await this.service.update(id, input, expectedVersion));
  }

  @Mutation(() => SiteLinkModel, { description: 'Returns the deleted site link' })
  async deleteSiteLink(@Args() { id, expectedVersion }: VersionedIdArgs): Promise<SiteLinkModel> {
    return toSiteLinkModel(await this.service.delete(id, expectedVersion));
  }
}
