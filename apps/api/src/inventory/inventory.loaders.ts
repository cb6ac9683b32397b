import { Injectable } from '@nestjs/common';
import DataLoader from 'dataloader';
import type { Deployment, Node, Publication, Site, Zone } from '@app/persistence';
import { PrismaService } from '../database/prisma.service';
import type { DeviceView } from './devices/device.model';
import { WITH_SITE_OWNERS, type SiteLinkView } from './site-links/site-link.model';
import { addressZones, type NodeView } from './nodes/nodes.service';

/**
 * Per-request batching for GraphQL relations: however many parents a query touches, each relation
 * costs one SQL query per nesting level.
 */
export interface InventoryLoaders {
  deploymentById: DataLoader<string, Deployment | null>;
  nodesByDeployment: DataLoader<string, NodeView[]>;
  siteById: DataLoader<string, Site | null>;
  zoneById: DataLoader<string, Zone | null>;
  nodeById: DataLoader<string, NodeView | null>;
  zonesBySite: DataLoader<string, Zone[]>;
  nodesBySite: DataLoader<string, NodeView[]>;
  devicesBySite: DataLoader<string, DeviceView[]>;
  siteLinksBySite: DataLoader<string, SiteLinkView[]>;
  publicationsByNode: DataLoader<string, Publication[]>;
  publicationsByDevice: DataLoader<string, Publication[]>;
  /**
   * What `zoneById` / `nodeById` already hold, without waiting: undefined when not loaded yet. Lets a field
   * resolver answer synchronously (see sync-field-resolvers.ts).
   */
  peekZone(id: string): Zone | null | undefined;
  peekNode(id: string): NodeView | null | undefined;
  peekZonesOfSite(siteId: string): Zone[] | undefined;
  peekNodesOfSite(siteId: string): NodeView[] | undefined;
  peekDevicesOfSite(siteId: string): DeviceView[] | undefined;
}

/** Rows in key order, by one pass over the rows (a dashboard batches hundreds of keys). */
function byKey<T>(keys: readonly string[], rows: readonly T[], keyOf: (row: T) => string): T[][] {
  const groups = new Map<string, T[]>();
  for (const row of rows) {
    const key = keyOf(row);
    const group = groups.get(key);
    if (group) group.push(row);
    else groups.set(key, [row]);
  }
  return keys.map((key) => groups.get(key) ?? []);
}

function byId<T extends { id: string }>(ids: readonly string[], rows: readonly T[]): (T | null)[] {
  const index = new Map(rows.map((row) => [row.id, row]));
  return ids.map((id) => index.get(id) ?? null);
}

@Injectable()
export class InventoryLoaderFactory {
  constructor(private readonly prisma: PrismaService) {}

  create(): InventoryLoaders {
    // Rows read as a site's children also answer later lookups by id (an interface's zones, a node's
    // collector) without another query: same request, same tenant scope, same rows.
    const zones = new Map<string, Zone | null>();
    const nodes = new Map<string, NodeView | null>();
    const zonesOfSite = new Map<string, Zone[]>();
    const nodesOfSite = new Map<string, NodeView[]>();
    const devicesOfSite = new Map<string, DeviceView[]>();
    const remember = <T>(seen: Map<string, T>, ids: readonly string[], rows: T[]): T[] => {
      ids.forEach((id, i) => seen.set(id, rows[i]));
      return rows;
    };
    const zoneById = new DataLoader<string, Zone | null>(async (ids) =>
      remember(zones, ids, byId(ids, await this.prisma.zone.findMany({ where: { id: { in: [...ids] } } }))),
    );
    const zonesBySite = new DataLoader<string, Zone[]>(async (siteIds) => {
      const rows = await this.prisma.zone.findMany({
        where: { siteId: { in: [...siteIds] } },
        orderBy: [{ name: 'asc' }, { id: 'asc' }],
      });
      for (const zone of rows) {
        zoneById.prime(zone.id, zone);
        if (!zones.has(zone.id)) zones.set(zone.id, zone);
      }
      return remember(
        zonesOfSite,
        siteIds,
        byKey(siteIds, rows, (z) => z.siteId),
      );
    });
    // Nodes need their site's zones for `addressZones`; going through the zone loader keeps that batched.
    const withZones = async (nodes: Node[]): Promise<NodeView[]> => {
      const siteIds = [...new Set(nodes.map((n) => n.siteId))];
      const zoneLists = await zonesBySite.loadMany(siteIds);
      const zonesOf = new Map(siteIds.map((id, i) => [id, zoneLists[i]]));
      return nodes.map((node) => {
        const zones = zonesOf.get(node.siteId);
        return { ...node, addressZones: addressZones(node, zones instanceof Error ? [] : (zones ?? [])) };
      });
    };
    const nodeById = new DataLoader<string, NodeView | null>(async (ids) =>
      remember(
        nodes,
        ids,
        byId(ids, await withZones(await this.prisma.node.findMany({ where: { id: { in: [...ids] } } }))),
      ),
    );
    const primeNodes = (rows: NodeView[]): NodeView[] => {
      for (const node of rows) {
        nodeById.prime(node.id, node);
        if (!nodes.has(node.id)) nodes.set(node.id, node);
      }
      return rows;
    };
    return {
      zonesBySite,
      zoneById,
      nodeById,
      peekZone: (id) => zones.get(id),
      peekNode: (id) => nodes.get(id),
      peekZonesOfSite: (id) => zonesOfSite.get(id),
      peekNodesOfSite: (id) => nodesOfSite.get(id),
      peekDevicesOfSite: (id) => devicesOfSite.get(id),
      deploymentById: new DataLoader(async (ids) =>
        byId(ids, await this.prisma.deployment.findMany({ where: { id: { in: [...ids] } } })),
      ),
      nodesByDeployment: new DataLoader(async (deploymentIds) => {
        const rows = await withZones(
          await this.prisma.node.findMany({
            where: { deploymentId: { in: [...deploymentIds] } },
            orderBy: [{ name: 'asc' }, { id: 'asc' }],
          }),
        );
        return byKey(deploymentIds, primeNodes(rows), (n) => n.deploymentId);
      }),
      siteById: new DataLoader(async (ids) =>
        byId(ids, await this.prisma.site.findMany({ where: { id: { in: [...ids] } } })),
      ),
      nodesBySite: new DataLoader(async (siteIds) => {
        const rows = await withZones(
          await this.prisma.node.findMany({
            where: { siteId: { in: [...siteIds] } },
            orderBy: [{ name: 'asc' }, { id: 'asc' }],
          }),
        );
        return remember(
          nodesOfSite,
          siteIds,
          byKey(siteIds, primeNodes(rows), (n) => n.siteId),
        );
      }),
      siteLinksBySite: new DataLoader(async (siteIds) => {
        const rows = await this.prisma.siteLink.findMany({
          where: { OR: [{ siteAId: { in: [...siteIds] } }, { siteBId: { in: [...siteIds] } }] },
          include: WITH_SITE_OWNERS,
          orderBy: [{ siteAId: 'asc' }, { siteBId: 'asc' }],
        });
        return siteIds.map((id) => rows.filter((l) => l.siteAId === id || l.siteBId === id));
      }),
      publicationsByNode: new DataLoader(async (nodeIds) => {
        const rows = await this.prisma.publication.findMany({
          where: { nodeId: { in: [...nodeIds] } },
          orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
        });
        return byKey(nodeIds, rows, (p) => p.nodeId);
      }),
      publicationsByDevice: new DataLoader(async (deviceIds) => {
        const rows = await this.prisma.publication.findMany({
          where: { deviceId: { in: [...deviceIds] } },
          orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
        });
        return byKey(deviceIds, rows, (p) => p.deviceId);
      }),
      devicesBySite: new DataLoader(async (siteIds) => {
        const rows = await this.prisma.device.findMany({
          where: { siteId: { in: [...siteIds] } },
          include: { interfaces: { include: { zones: { select: { zoneId: true } } } } },
          orderBy: [{ name: 'asc' }, { id: 'asc' }],
        });
        return remember(
          devicesOfSite,
          siteIds,
          byKey(siteIds, rows, (d) => d.siteId),
        );
      }),
    };
  }
}
