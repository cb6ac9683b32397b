import { Injectable } from '@nestjs/common';
import DataLoader from 'dataloader';
import type { Deployment, Site, Zone } from '@app/persistence';
import { PrismaService } from '../database/prisma.service';
import type { DeviceView } from './devices/device.model';
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
}

@Injectable()
export class InventoryLoaderFactory {
  constructor(private readonly prisma: PrismaService) {}

  create(): InventoryLoaders {
    const zonesBySite = new DataLoader<string, Zone[]>(async (siteIds) => {
      const zones = await this.prisma.zone.findMany({
        where: { siteId: { in: [...siteIds] } },
        orderBy: [{ name: 'asc' }, { id: 'asc' }],
      });
      return siteIds.map((id) => zones.filter((z) => z.siteId === id));
    });
    // Nodes need their site's zones for `addressZones`; going through the zone loader keeps that batched.
    const withZones = async (nodes: Parameters<typeof addressZones>[0][]): Promise<NodeView[]> => {
      const zoneLists = await zonesBySite.loadMany([...new Set(nodes.map((n) => n.siteId))]);
      const zones = zoneLists.flatMap((z) => (z instanceof Error ? [] : z));
      return nodes.map((node) => ({ ...node, addressZones: addressZones(node, zones) }));
    };
    return {
      zonesBySite,
      deploymentById: new DataLoader(async (ids) => {
        const rows = await this.prisma.deployment.findMany({ where: { id: { in: [...ids] } } });
        return ids.map((id) => rows.find((r) => r.id === id) ?? null);
      }),
      nodesByDeployment: new DataLoader(async (deploymentIds) => {
        const rows = await withZones(
          await this.prisma.node.findMany({
            where: { deploymentId: { in: [...deploymentIds] } },
            orderBy: [{ name: 'asc' }, { id: 'asc' }],
          }),
        );
        return deploymentIds.map((id) => rows.filter((n) => n.deploymentId === id));
      }),
      siteById: new DataLoader(async (ids) => {
        const rows = await this.prisma.site.findMany({ where: { id: { in: [...ids] } } });
        return ids.map((id) => rows.find((r) => r.id === id) ?? null);
      }),
      zoneById: new DataLoader(async (ids) => {
        const rows = await this.prisma.zone.findMany({ where: { id: { in: [...ids] } } });
        return ids.map((id) => rows.find((r) => r.id === id) ?? null);
      }),
      nodeById: new DataLoader(async (ids) => {
        const rows = await withZones(await this.prisma.node.findMany({ where: { id: { in: [...ids] } } }));
        return ids.map((id) => rows.find((r) => r.id === id) ?? null);
      }),
      nodesBySite: new DataLoader(async (siteIds) => {
        const rows = await withZones(
          await this.prisma.node.findMany({
            where: { siteId: { in: [...siteIds] } },
            orderBy: [{ name: 'asc' }, { id: 'asc' }],
          }),
        );
        return siteIds.map((id) => rows.filter((n) => n.siteId === id));
      }),
      devicesBySite: new DataLoader(async (siteIds) => {
        const rows = await this.prisma.device.findMany({
          where: { siteId: { in: [...siteIds] } },
          include: { interfaces: { include: { zones: { select: { zoneId: true } } } } },
          orderBy: [{ name: 'asc' }, { id: 'asc' }],
        });
        return siteIds.map((id) => rows.filter((d) => d.siteId === id));
      }),
    };
  }
}
