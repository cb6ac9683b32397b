import { Args, Context, ID, Info, Int, Mutation, Query, Resolver } from '@nestjs/graphql';
import type { GraphQLResolveInfo } from 'graphql';
import type { GraphQLContext } from '../../common/graphql/graphql-context';
import { connectionItemFields } from '../../common/graphql/sync-field-resolvers';
import { idParam } from '../../common/http/id.pipe';
import { DeleteArgs, IdArgs } from '../../common/graphql/id.args';
import { connectionPage, toConnection } from '../../common/pagination/pagination';
import { CreateSiteInput, SiteConnectionArgs, UpdateSiteInput } from './site.input';
import { SiteConnection, SiteModel, toSiteModel } from './site.model';
import { SitesService } from './sites.service';
import type { Site } from '@app/persistence';

@Resolver(() => SiteModel)
export class SitesResolver {
  constructor(private readonly service: SitesService) {}

  @Query(() => SiteConnection)
  async sites(
    @Args() args: SiteConnectionArgs,
    @Context() ctx: GraphQLContext,
    @Info() info: GraphQLResolveInfo,
  ): Promise<SiteConnection> {
    const page = await this.service.list(
      {
        q: args.q,
        catalogVersion: args.catalogVersion,
        deploymentId: args.deploymentId,
        tenantId: args.tenantId,
        connectivity: args.connectivity,
      },
      connectionPage(args),
    );
    await prefetchSiteRelations(ctx, info, page.items);
    return toConnection(page, toSiteModel);
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

/**
 * Loads the relations the query selects on the listed sites before returning them (the same batched queries
 * their field resolvers would send), so those fields answer synchronously (INVENTORY_SYNC_FIELDS) instead of
 * through one asynchronous resolver call per site and relation.
 */
async function prefetchSiteRelations(
  ctx: GraphQLContext,
  info: GraphQLResolveInfo,
  sites: Site[],
): Promise<void> {
  for (const site of sites) ctx.loaders.siteById.prime(site.id, site);
  const fields = connectionItemFields(info);
  const ids = sites.map((s) => s.id);
  await Promise.all([
    fields.has('zones') ? ctx.loaders.zonesBySite.loadMany(ids) : null,
    fields.has('nodes') ? ctx.loaders.nodesBySite.loadMany(ids) : null,
    fields.has('devices') ? ctx.loaders.devicesBySite.loadMany(ids) : null,
  ]);
}
