import { Injectable } from '@nestjs/common';
import type { SiteConnectivity } from '@app/engine/model';
import type { Prisma, Site } from '@app/persistence';
import { AuditService } from '../../audit/audit.service';
import { assertVersion, lockRow, versionedWrite } from '../../common/concurrency';
import { refuseTakenName, refuseWhileReferenced } from '../../common/conflicts';
import { Conflict, NotFound, ValidationFailed, type FieldError } from '../../common/errors/domain-error';
import { containsText, paginate, type Page, type PageResult } from '../../common/pagination/pagination';
import { PrismaService } from '../../database/prisma.service';
import { ItemReads } from '../../database/item-reads';
import { resolveOwner } from '../../tenants/tenant-scope';
import { collectorRolesFor, effectiveCatalogVersion } from '../collector-roles';
import type { CreateSiteInput, SiteFilter, UpdateSiteInput } from './site.input';
import { toSiteModel } from './site.model';

@Injectable()
export class SitesService {
  constructor(
    private readonly prisma: PrismaService,
    private readonly items: ItemReads,
    private readonly audit: AuditService,
  ) {}

  async list(filter: SiteFilter, page: Page): Promise<PageResult<Site>> {
    const where: Prisma.SiteWhereInput = {
      ...(filter.q ? { name: containsText(filter.q) } : {}),
      ...(filter.catalogVersion ? { catalogVersion: filter.catalogVersion } : {}),
      ...(filter.deploymentId ? { nodes: { some: { deploymentId: filter.deploymentId } } } : {}),
      ...(filter.tenantId ? { tenantId: filter.tenantId } : {}),
      ...(filter.connectivity ? { connectivity: filter.connectivity } : {}),
    };
    return paginate(
      page,
      (window) =>
        this.prisma.site.findMany({
          where,
          orderBy: [{ name: 'asc' }, { id: 'asc' }],
          ...window,
        }),
      () => this.prisma.site.count({ where }),
    );
  }

  async get(id: string): Promise<Site> {
    const site = await this.items.byId('Site', id);
    if (!site) throw new NotFound('site', id);
    return site;
  }

  async create(input: CreateSiteInput): Promise<Site> {
    return this.prisma.$transaction(async (tx) => {
      await this.assertNameFree(tx, input.name);
      const tenantId = (await resolveOwner(tx, input.tenantId)) ?? null;
      const onInternet = input.onInternet ?? false;
      const site = await tx.site.create({
        data: {
          name: input.name,
          description: input.description ?? '',
          catalogVersion: input.catalogVersion ?? null,
          connectivity: connectivityFor(onInternet, input.connectivity),
          onInternet,
          tenantId,
        },
      });
      await this.audit.record(tx, {
        action: 'site.create',
        targetType: 'site',
        targetId: site.id,
        after: toSiteModel(site),
      });
      return site;
    });
  }

  async update(id: string, input: UpdateSiteInput, expectedVersion?: number): Promise<Site> {
    return this.prisma.$transaction(async (tx) => {
      await lockRow(tx, 'sites', id);
      const current = await tx.site.findUnique({ where: { id } });
      if (!current) throw new NotFound('site', id);
      assertVersion('site', id, current.version, expectedVersion);
      if (input.name !== undefined && input.name !== current.name) await this.assertNameFree(tx, input.name);
      if (input.catalogVersion !== undefined && input.catalogVersion !== current.catalogVersion) {
        await assertCollectorsFit(tx, id, input.catalogVersion);
      }
      const tenantId = input.tenantId === undefined ? undefined : await resolveOwner(tx, input.tenantId);
      if (tenantId !== undefined && tenantId !== current.tenantId) await assertSiteMovable(tx, id, tenantId);
      const onInternet = input.onInternet ?? current.onInternet;
      if (onInternet && !current.onInternet) await assertMayGoOnInternet(tx, id);
      const connectivity =
        input.connectivity !== undefined || onInternet !== current.onInternet
          ? connectivityFor(onInternet, input.connectivity ?? (onInternet ? undefined : current.connectivity))
          : undefined;
      const site = await versionedWrite('site', id, () =>
        tx.site.update({
          where: { id, version: current.version },
          data: {
            name: input.name,
            description: input.description,
            catalogVersion: input.catalogVersion,
            connectivity,
            onInternet: input.onInternet,
            tenantId,
            version: { increment: 1 },
          },
        }),
      );
      await this.audit.record(tx, {
        action: 'site.update',
        targetType: 'site',
        targetId: id,
        before: toSiteModel(current),
        after: toSiteModel(site),
      });
      return site;
    });
  }

  /**
   * Without `cascade`, a site that still has zones, nodes or devices is refused with what references it.
   * With `cascade`, its devices, nodes and zones go too, and nodes elsewhere that used one of its nodes
   * as their collector fall back to their default collector.
   */
  async delete(id: string, cascade: boolean, expectedVersion?: number): Promise<Site> {
    return this.prisma.$transaction(async (tx) => {
      await lockRow(tx, 'sites', id);
      const site = await tx.site.findUnique({ where: { id } });
      if (!site) throw new NotFound('site', id);
      assertVersion('site', id, site.version, expectedVersion);
      const [zones, nodes, devices, siteLinks] = await Promise.all([
        tx.zone.findMany({
          where: { siteId: id },
          select: { id: true, name: true },
          orderBy: { name: 'asc' },
        }),
        tx.node.findMany({
          where: { siteId: id },
          select: { id: true, name: true },
          orderBy: { name: 'asc' },
        }),
        tx.device.findMany({
          where: { siteId: id },
          select: { id: true, name: true },
          orderBy: { name: 'asc' },
        }),
        // Read as the links the caller sees; one with a site it cannot see still blocks (the foreign key).
        tx.siteLink.findMany({
          where: { OR: [{ siteAId: id }, { siteBId: id }] },
          select: { id: true, siteAId: true, siteBId: true, connectivity: true },
          orderBy: { id: 'asc' },
        }),
      ]);
      if (!cascade) {
        refuseWhileReferenced(
          `site ${site.name} still has ${zones.length} zone(s), ${nodes.length} node(s), ${devices.length} device(s) ` +
            `and ${siteLinks.length} site link(s); delete them first or pass cascade=true`,
          { zones, nodes, devices, siteLinks },
        );
      }
      const nodeIds = nodes.map((n) => n.id);
      const deviceIds = devices.map((d) => d.id);
      const publications = await tx.publication.findMany({
        where: { OR: [{ nodeId: { in: nodeIds } }, { deviceId: { in: deviceIds } }] },
        select: { id: true, nodeId: true, deviceId: true },
        orderBy: { id: 'asc' },
      });
      await tx.publication.deleteMany({ where: { id: { in: publications.map((p) => p.id) } } });
      await tx.siteLink.deleteMany({ where: { id: { in: siteLinks.map((l) => l.id) } } });
      await tx.device.deleteMany({ where: { siteId: id } });
      await tx.node.updateMany({ where: { collectorId: { in: nodeIds } }, data: { collectorId: null } });
      await tx.node.updateMany({ where: { masterId: { in: nodeIds } }, data: { masterId: null } });
      await tx.node.deleteMany({ where: { siteId: id } });
      await tx.zone.deleteMany({ where: { siteId: id } });
      await versionedWrite('site', id, () => tx.site.delete({ where: { id, version: site.version } }));
      await this.audit.record(tx, {
        action: cascade ? 'site.delete.cascade' : 'site.delete',
        targetType: 'site',
        targetId: id,
        before: { ...toSiteModel(site), removed: { zones, nodes, devices, siteLinks, publications } },
      });
      return site;
    });
  }

  private async assertNameFree(tx: Prisma.TransactionClient, name: string): Promise<void> {
    refuseTakenName('site', name, await tx.site.findUnique({ where: { name }, select: { id: true } }));
  }
}

/**
 * Nodes at the site keep a collector of a role their new catalog version allows (the override, or each
 * node's deployment's version when the override is removed).
 */
async function assertCollectorsFit(
  tx: Prisma.TransactionClient,
  siteId: string,
  catalogVersion: string | null,
): Promise<void> {
  const collected = await tx.node.findMany({
    where: { siteId, collectorId: { not: null } },
    select: {
      id: true,
      name: true,
      deployment: { select: { catalogVersion: true } },
      collector: { select: { name: true, role: true } },
    },
    orderBy: [{ name: 'asc' }, { id: 'asc' }],
  });
  const broken = collected.filter(
    (n) =>
      n.collector &&
      !collectorRolesFor(effectiveCatalogVersion({ catalogVersion }, n.deployment)).includes(
        n.collector.role,
      ),
  );
  if (broken.length) {
    throw new Conflict(
      `${broken.map((n) => `${n.name} (collector ${n.collector?.name})`).join(', ')} would have a collector ` +
        'that its catalog version does not allow',
      [{ field: 'catalogVersion', message: 'collectors at this site do not fit this catalog version' }],
      { referencedBy: { nodes: broken.map((n) => ({ id: n.id, name: n.name })) } },
    );
  }
}

/**
 * A tenant's site holds only that tenant's nodes; a provider site holds anyone's (the shared datacenter).
 * So a site can become a tenant's only when every node on it belongs to that tenant's deployments.
 */
async function assertSiteMovable(
  tx: Prisma.TransactionClient,
  siteId: string,
  tenantId: string | null,
): Promise<void> {
  if (tenantId === null) return;
  const foreign = await tx.node.findMany({
    where: { siteId, deployment: { OR: [{ tenantId: null }, { tenantId: { not: tenantId } }] } },
    select: { id: true, name: true },
    orderBy: [{ name: 'asc' }, { id: 'asc' }],
  });
  if (foreign.length) {
    throw new Conflict(
      `the site still holds ${foreign.length} node(s) of deployments that are not this tenant's`,
      [{ field: 'tenantId', message: 'nodes of other owners stand at this site' }],
      { referencedBy: { nodes: foreign } },
    );
  }
}

/** An onInternet site is reached over the internet only; anything else defaults to routed. */
function connectivityFor(onInternet: boolean, requested: SiteConnectivity | undefined): SiteConnectivity {
  if (onInternet && requested === 'routed') {
    throw ValidationFailed.field(
      'connectivity',
      'a site on the internet (onInternet) is reached over the internet only: connectivity must be internet',
    );
  }
  return onInternet ? 'internet' : (requested ?? 'routed');
}

/**
 * A site becomes the internet itself only while it has no zones and no devices (it has no firewall of ours and
 * no networks), and no routed link (nothing makes the internet a private route).
 */
async function assertMayGoOnInternet(tx: Prisma.TransactionClient, siteId: string): Promise<void> {
  const [zones, devices, routed] = await Promise.all([
    tx.zone.count({ where: { siteId } }),
    tx.device.count({ where: { siteId } }),
    tx.siteLink.count({
      where: { connectivity: 'routed', OR: [{ siteAId: siteId }, { siteBId: siteId }] },
    }),
  ]);
  const errors: FieldError[] = [];
  if (zones || devices)
    errors.push({
      field: 'onInternet',
      message: `a site on the internet has no zones and no devices; this one has ${zones} zone(s) and ${devices} device(s)`,
    });
  if (routed)
    errors.push({
      field: 'onInternet',
      message: `${routed} routed site link(s) join this site; a site on the internet is never routed`,
    });
  if (errors.length) throw new ValidationFailed(errors, errors.map((e) => e.message).join('; '));
}
