import { Context, Parent, ResolveField, Resolver } from '@nestjs/graphql';
import type { GraphQLContext } from '../common/graphql/graphql-context';
import { NotFound } from '../common/errors/domain-error';
import { NOT_LOADED, type SyncFieldResolvers } from '../common/graphql/sync-field-resolvers';
import { DeploymentModel, toDeploymentModel } from './deployments/deployment.model';
import { DeviceModel, InterfaceModel, toDeviceModel } from './devices/device.model';
import { NodeModel, toNodeModel } from './nodes/node.model';
import { PublicationModel, toPublicationModel } from './publications/publication.model';
import { SiteLinkModel, toSiteLinkModel } from './site-links/site-link.model';
import { SiteModel, toSiteModel } from './sites/site.model';
import { ZoneModel, toZoneModel } from './zones/zone.model';

async function siteOf(ctx: GraphQLContext, siteId: string): Promise<SiteModel> {
  const site = await ctx.loaders.siteById.load(siteId);
  if (!site) throw new NotFound('site', siteId);
  return toSiteModel(site);
}

@Resolver(() => DeploymentModel)
export class DeploymentFieldsResolver {
  @ResolveField(() => [NodeModel])
  async nodes(@Parent() deployment: DeploymentModel, @Context() ctx: GraphQLContext): Promise<NodeModel[]> {
    return (await ctx.loaders.nodesByDeployment.load(deployment.id)).map(toNodeModel);
  }
}

@Resolver(() => SiteModel)
export class SiteFieldsResolver {
  @ResolveField(() => [ZoneModel])
  async zones(@Parent() site: SiteModel, @Context() ctx: GraphQLContext): Promise<ZoneModel[]> {
    return (await ctx.loaders.zonesBySite.load(site.id)).map(toZoneModel);
  }

  @ResolveField(() => [NodeModel])
  async nodes(@Parent() site: SiteModel, @Context() ctx: GraphQLContext): Promise<NodeModel[]> {
    return (await ctx.loaders.nodesBySite.load(site.id)).map(toNodeModel);
  }

  @ResolveField(() => [DeviceModel])
  async devices(@Parent() site: SiteModel, @Context() ctx: GraphQLContext): Promise<DeviceModel[]> {
    return (await ctx.loaders.devicesBySite.load(site.id)).map(toDeviceModel);
  }

  @ResolveField(() => [SiteLinkModel], { description: 'Site links with this site on either side' })
  async siteLinks(@Parent() site: SiteModel, @Context() ctx: GraphQLContext): Promise<SiteLinkModel[]> {
    return (await ctx.loaders.siteLinksBySite.load(site.id)).map(toSiteLinkModel);
  }
}

@Resolver(() => ZoneModel)
export class ZoneFieldsResolver {
  @ResolveField(() => SiteModel)
  site(@Parent() zone: ZoneModel, @Context() ctx: GraphQLContext): Promise<SiteModel> {
    return siteOf(ctx, zone.siteId);
  }
}

@Resolver(() => NodeModel)
export class NodeFieldsResolver {
  // A tenant's node may stand at a provider site (a shared datacenter) that its tenant-limited token cannot see.
  @ResolveField(() => SiteModel, {
    nullable: true,
    description: 'Null for a token limited to tenants when the node stands at a provider (shared) site',
  })
  async site(@Parent() node: NodeModel, @Context() ctx: GraphQLContext): Promise<SiteModel | null> {
    const site = await ctx.loaders.siteById.load(node.siteId);
    return site ? toSiteModel(site) : null;
  }

  @ResolveField(() => DeploymentModel)
  async deployment(@Parent() node: NodeModel, @Context() ctx: GraphQLContext): Promise<DeploymentModel> {
    const deployment = await ctx.loaders.deploymentById.load(node.deploymentId);
    if (!deployment) throw new NotFound('deployment', node.deploymentId);
    return toDeploymentModel(deployment);
  }

  @ResolveField(() => NodeModel, {
    nullable: true,
    description: "A probe's explicitly assigned master, if any",
  })
  async master(@Parent() node: NodeModel, @Context() ctx: GraphQLContext): Promise<NodeModel | null> {
    if (!node.masterId) return null;
    const master = await ctx.loaders.nodeById.load(node.masterId);
    return master ? toNodeModel(master) : null;
  }

  @ResolveField(() => NodeModel, { nullable: true, description: 'The explicitly assigned collector, if any' })
  async collector(@Parent() node: NodeModel, @Context() ctx: GraphQLContext): Promise<NodeModel | null> {
    if (!node.collectorId) return null;
    const collector = await ctx.loaders.nodeById.load(node.collectorId);
    return collector ? toNodeModel(collector) : null;
  }

  @ResolveField(() => [ZoneModel], {
    description: 'Zones the node’s addresses fall in (most specific, distinct)',
  })
  async zones(@Parent() node: NodeModel, @Context() ctx: GraphQLContext): Promise<ZoneModel[]> {
    const ids = [
      ...new Set(node.addressZones.map((a) => a.zoneId).filter((id): id is string => id !== null)),
    ];
    const zones = await ctx.loaders.zoneById.loadMany(ids);
    return zones.flatMap((z) => (z && !(z instanceof Error) ? [toZoneModel(z)] : []));
  }

  @ResolveField(() => [PublicationModel], { description: 'Where this node is published to the internet' })
  async publications(@Parent() node: NodeModel, @Context() ctx: GraphQLContext): Promise<PublicationModel[]> {
    return (await ctx.loaders.publicationsByNode.load(node.id)).map(toPublicationModel);
  }
}

@Resolver(() => DeviceModel)
export class DeviceFieldsResolver {
  @ResolveField(() => SiteModel)
  site(@Parent() device: DeviceModel, @Context() ctx: GraphQLContext): Promise<SiteModel> {
    return siteOf(ctx, device.siteId);
  }

  @ResolveField(() => [PublicationModel], { description: 'The publications this firewall forwards' })
  async publications(
    @Parent() device: DeviceModel,
    @Context() ctx: GraphQLContext,
  ): Promise<PublicationModel[]> {
    return (await ctx.loaders.publicationsByDevice.load(device.id)).map(toPublicationModel);
  }
}

@Resolver(() => PublicationModel)
export class PublicationFieldsResolver {
  @ResolveField(() => NodeModel, { nullable: true })
  async node(
    @Parent() publication: PublicationModel,
    @Context() ctx: GraphQLContext,
  ): Promise<NodeModel | null> {
    const node = await ctx.loaders.nodeById.load(publication.nodeId);
    return node ? toNodeModel(node) : null;
  }
}

@Resolver(() => SiteLinkModel)
export class SiteLinkFieldsResolver {
  @ResolveField(() => SiteModel, { nullable: true })
  async siteA(@Parent() link: SiteLinkModel, @Context() ctx: GraphQLContext): Promise<SiteModel | null> {
    const site = await ctx.loaders.siteById.load(link.siteAId);
    return site ? toSiteModel(site) : null;
  }

  @ResolveField(() => SiteModel, { nullable: true })
  async siteB(@Parent() link: SiteLinkModel, @Context() ctx: GraphQLContext): Promise<SiteModel | null> {
    const site = await ctx.loaders.siteById.load(link.siteBId);
    return site ? toSiteModel(site) : null;
  }
}

@Resolver(() => InterfaceModel)
export class InterfaceFieldsResolver {
  @ResolveField(() => [ZoneModel])
  async zones(@Parent() iface: InterfaceModel, @Context() ctx: GraphQLContext): Promise<ZoneModel[]> {
    const zones = await ctx.loaders.zoneById.loadMany(iface.zoneIds);
    return zones.flatMap((z) => (z && !(z instanceof Error) ? [toZoneModel(z)] : []));
  }
}

/**
 * Synchronous answers for the relations a dashboard walks most, from rows the request already loaded (a
 * site's zones and nodes prime the by-id loaders); anything else goes through the resolvers above.
 */
export const INVENTORY_SYNC_FIELDS: SyncFieldResolvers = {
  Site: {
    zones: (site: SiteModel, ctx) => ctx.loaders.peekZonesOfSite(site.id)?.map(toZoneModel) ?? NOT_LOADED,
    nodes: (site: SiteModel, ctx) => ctx.loaders.peekNodesOfSite(site.id)?.map(toNodeModel) ?? NOT_LOADED,
    devices: (site: SiteModel, ctx) =>
      ctx.loaders.peekDevicesOfSite(site.id)?.map(toDeviceModel) ?? NOT_LOADED,
  },
  Node: {
    collector: (node: NodeModel, ctx) => {
      if (!node.collectorId) return null;
      const collector = ctx.loaders.peekNode(node.collectorId);
      if (collector === undefined) return NOT_LOADED;
      return collector ? toNodeModel(collector) : null;
    },
  },
  DeviceInterface: {
    zones: (iface: InterfaceModel, ctx) => {
      const zones = iface.zoneIds.map((id) => ctx.loaders.peekZone(id));
      if (zones.includes(undefined)) return NOT_LOADED;
      return zones.flatMap((z) => (z ? [toZoneModel(z)] : []));
    },
  },
};
