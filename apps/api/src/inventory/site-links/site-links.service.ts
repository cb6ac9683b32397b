import { Injectable } from '@nestjs/common';
import type { SiteConnectivity } from '@app/engine/model';
import { Prisma } from '@app/persistence';
import { AuditService } from '../../audit/audit.service';
import { assertVersion, lockRow, versionedWrite } from '../../common/concurrency';
import { Conflict, NotFound, ValidationFailed, type FieldError } from '../../common/errors/domain-error';
import { containsText, paginate, type Page, type PageResult } from '../../common/pagination/pagination';
import { PrismaService } from '../../database/prisma.service';
import type { CreateSiteLinkInput, SiteLinkFilter, UpdateSiteLinkInput } from './site-link.input';
import { toSiteLinkModel, WITH_SITE_OWNERS, type SiteLinkView } from './site-link.model';

@Injectable()
export class SiteLinksService {
  constructor(
    private readonly prisma: PrismaService,
    private readonly audit: AuditService,
  ) {}

  async list(filter: SiteLinkFilter, page: Page): Promise<PageResult<SiteLinkView>> {
    const and: Prisma.SiteLinkWhereInput[] = [];
    if (filter.q) {
      and.push({
        OR: [
          { description: containsText(filter.q) },
          { siteA: { name: containsText(filter.q) } },
          { siteB: { name: containsText(filter.q) } },
        ],
      });
    }
    if (filter.siteId) and.push({ OR: [{ siteAId: filter.siteId }, { siteBId: filter.siteId }] });
    if (filter.tenantId)
      and.push({ siteA: { tenantId: filter.tenantId }, siteB: { tenantId: filter.tenantId } });
    const where: Prisma.SiteLinkWhereInput = {
      ...(and.length ? { AND: and } : {}),
      ...(filter.connectivity ? { connectivity: filter.connectivity } : {}),
    };
    return paginate(
      page,
      (window) =>
        this.prisma.siteLink.findMany({
          where,
          include: WITH_SITE_OWNERS,
          orderBy: [{ siteAId: 'asc' }, { siteBId: 'asc' }],
          ...window,
        }),
      () => this.prisma.siteLink.count({ where }),
    );
  }

  async get(id: string): Promise<SiteLinkView> {
    const link = await this.prisma.siteLink.findUnique({ where: { id }, include: WITH_SITE_OWNERS });
    if (!link) throw new NotFound('site link', id);
    return link;
  }

  /** Stored with the smaller id first, so the pair is unique whichever way round it is given. */
  async create(input: CreateSiteLinkInput): Promise<SiteLinkView> {
    if (input.siteAId === input.siteBId) {
      throw ValidationFailed.field(
        'siteBId',
        'a site link joins two different sites; siteBId equals siteAId',
      );
    }
    const [siteAId, siteBId] = [input.siteAId, input.siteBId].sort();
    return this.prisma
      .$transaction(async (tx) => {
        await assertSitesFit(tx, input, input.connectivity);
        await assertPairFree(tx, siteAId, siteBId);
        const link = await tx.siteLink.create({
          data: {
            siteAId,
            siteBId,
            connectivity: input.connectivity,
            description: input.description ?? '',
          },
          include: WITH_SITE_OWNERS,
        });
        await this.audit.record(tx, {
          action: 'site-link.create',
          targetType: 'site-link',
          targetId: link.id,
          after: toSiteLinkModel(link),
        });
        return link;
      })
      .catch(async (error: unknown) => {
        // Two creations that raced past assertPairFree meet the unique index: the loser gets the same 409.
        if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002')
          await assertPairFree(this.prisma, siteAId, siteBId);
        throw error;
      });
  }

  async update(id: string, input: UpdateSiteLinkInput, expectedVersion?: number): Promise<SiteLinkView> {
    return this.prisma.$transaction(async (tx) => {
      await lockRow(tx, 'site_links', id);
      const current = await tx.siteLink.findUnique({ where: { id }, include: WITH_SITE_OWNERS });
      if (!current) throw new NotFound('site link', id);
      assertVersion('site link', id, current.version, expectedVersion);
      if (input.connectivity !== undefined && input.connectivity !== current.connectivity)
        await assertSitesFit(tx, current, input.connectivity);
      const link = await versionedWrite('site link', id, () =>
        tx.siteLink.update({
          where: { id, version: current.version },
          data: {
            connectivity: input.connectivity,
            description: input.description,
            version: { increment: 1 },
          },
          include: WITH_SITE_OWNERS,
        }),
      );
      await this.audit.record(tx, {
        action: 'site-link.update',
        targetType: 'site-link',
        targetId: id,
        before: toSiteLinkModel(current),
        after: toSiteLinkModel(link),
      });
      return link;
    });
  }

  async delete(id: string, expectedVersion?: number): Promise<SiteLinkView> {
    return this.prisma.$transaction(async (tx) => {
      await lockRow(tx, 'site_links', id);
      const link = await tx.siteLink.findUnique({ where: { id }, include: WITH_SITE_OWNERS });
      if (!link) throw new NotFound('site link', id);
      assertVersion('site link', id, link.version, expectedVersion);
      await versionedWrite('site link', id, () =>
        tx.siteLink.delete({ where: { id, version: link.version } }),
      );
      await this.audit.record(tx, {
        action: 'site-link.delete',
        targetType: 'site-link',
        targetId: id,
        before: toSiteLinkModel(link),
      });
      return link;
    });
  }
}

/**
 * Both sites exist for the caller (a tenant token links only its own sites), and a site on the internet is never
 * made routed: it has no private path to anywhere (engine SiteInput `onInternet`).
 */
async function assertSitesFit(
  tx: Prisma.TransactionClient,
  pair: { siteAId: string; siteBId: string },
  connectivity: SiteConnectivity,
): Promise<void> {
  const sites = await tx.site.findMany({
    where: { id: { in: [pair.siteAId, pair.siteBId] } },
    select: { id: true, name: true, onInternet: true },
  });
  const errors: FieldError[] = [];
  for (const field of ['siteAId', 'siteBId'] as const) {
    const site = sites.find((s) => s.id === pair[field]);
    if (!site) errors.push({ field, message: `site ${pair[field]} does not exist` });
    else if (site.onInternet && connectivity === 'routed') {
      errors.push({
        field: 'connectivity',
        message: `site ${site.name} is on the internet (onInternet): a link to it cannot be routed`,
      });
    }
  }
  if (errors.length)
    throw new ValidationFailed(errors, errors.map((e) => `${e.field}: ${e.message}`).join('; '));
}

/** One link per pair: a second one is a 409 naming the link that has it. */
async function assertPairFree(
  tx: Pick<Prisma.TransactionClient, 'siteLink'>,
  siteAId: string,
  siteBId: string,
): Promise<void> {
  const existing = await tx.siteLink.findUnique({
    where: { siteAId_siteBId: { siteAId, siteBId } },
    select: { id: true, connectivity: true },
  });
  if (existing) {
    throw new Conflict(
      `these two sites are already linked (site link ${existing.id}, ${existing.connectivity}); change that link instead`,
      [{ field: 'siteBId', message: 'this site pair already has a link' }],
      { existingId: existing.id },
    );
  }
}
