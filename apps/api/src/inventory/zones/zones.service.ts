import { Injectable } from '@nestjs/common';
import type { Prisma, Zone } from '@app/persistence';
import { AuditService } from '../../audit/audit.service';
import { assertVersion, lockRow, versionedWrite } from '../../common/concurrency';
import { refuseTakenName, refuseWhileReferenced } from '../../common/conflicts';
import { Conflict, NotFound, ValidationFailed, type FieldError } from '../../common/errors/domain-error';
import { containsText, paginate, type Page, type PageResult } from '../../common/pagination/pagination';
import { PrismaService } from '../../database/prisma.service';
import { ItemReads } from '../../database/item-reads';
import { assertNotOnInternet } from '../internet-sites';
import { canonicalCidr, cidrRelation } from '../addressing';
import { ChecksService, type InventoryWarning } from '../checks/checks.service';
import type { CreateZoneInput, UpdateZoneInput, ZoneFilter } from './zone.input';
import { toZoneModel } from './zone.model';

/** A written zone with the guard-rail findings about it. */
export type WrittenZone = Zone & { warnings: InventoryWarning[] };

@Injectable()
export class ZonesService {
  constructor(
    private readonly prisma: PrismaService,
    private readonly items: ItemReads,
    private readonly audit: AuditService,
    private readonly checks: ChecksService,
  ) {}

  async list(filter: ZoneFilter, page: Page): Promise<PageResult<Zone>> {
    const where: Prisma.ZoneWhereInput = {
      ...(filter.q ? { name: containsText(filter.q) } : {}),
      ...(filter.siteId ? { siteId: filter.siteId } : {}),
      ...(filter.tenantId || filter.deploymentId
        ? {
            site: {
              ...(filter.tenantId ? { tenantId: filter.tenantId } : {}),
              ...(filter.deploymentId ? { nodes: { some: { deploymentId: filter.deploymentId } } } : {}),
            },
          }
        : {}),
    };
    return paginate(
      page,
      (window) =>
        this.prisma.zone.findMany({
          where,
          orderBy: [{ name: 'asc' }, { id: 'asc' }],
          ...window,
        }),
      () => this.prisma.zone.count({ where }),
    );
  }

  async get(id: string): Promise<Zone> {
    const zone = await this.items.byId('Zone', id);
    if (!zone) throw new NotFound('zone', id);
    return zone;
  }

  async create(input: CreateZoneInput): Promise<WrittenZone> {
    const cidrs = normaliseCidrs(input.cidrs);
    const created = await this.prisma.$transaction(async (tx) => {
      const site = await tx.site.findUnique({ where: { id: input.siteId }, select: { id: true } });
      if (!site) throw ValidationFailed.field('siteId', `site ${input.siteId} does not exist`);
      await assertNotOnInternet(tx, input.siteId, 'zone');
      await assertNameFree(tx, input.siteId, input.name);
      await assertNoPartialOverlap(tx, input.siteId, cidrs);
      const zone = await tx.zone.create({ data: { siteId: input.siteId, name: input.name, cidrs } });
      await this.audit.record(tx, {
        action: 'zone.create',
        targetType: 'zone',
        targetId: zone.id,
        after: toZoneModel(zone),
      });
      return zone;
    });
    return this.withWarnings(created);
  }

  async update(id: string, input: UpdateZoneInput, expectedVersion?: number): Promise<WrittenZone> {
    const cidrs = input.cidrs ? normaliseCidrs(input.cidrs) : undefined;
    const written = await this.prisma.$transaction(async (tx) => {
      await lockRow(tx, 'zones', id);
      const zone = await tx.zone.findUnique({ where: { id } });
      if (!zone) throw new NotFound('zone', id);
      assertVersion('zone', id, zone.version, expectedVersion);
      if (input.name !== undefined && input.name !== zone.name)
        await assertNameFree(tx, zone.siteId, input.name);
      if (cidrs) await assertNoPartialOverlap(tx, zone.siteId, cidrs, zone.id);
      const updated = await versionedWrite('zone', id, () =>
        tx.zone.update({
          where: { id, version: zone.version },
          data: { name: input.name, cidrs, version: { increment: 1 } },
        }),
      );
      await this.audit.record(tx, {
        action: 'zone.update',
        targetType: 'zone',
        targetId: id,
        before: toZoneModel(zone),
        after: toZoneModel(updated),
      });
      return updated;
    });
    return this.withWarnings(written);
  }

  private async withWarnings(zone: Zone): Promise<WrittenZone> {
    return { ...zone, warnings: await this.checks.warningsFor('zone', zone.id) };
  }

  /**
   * A zone behind a device interface is refused unless `cascade`, which takes it off those interfaces
   * (an interface left with no zone is removed, since it would describe nothing).
   */
  async delete(id: string, cascade: boolean, expectedVersion?: number): Promise<Zone> {
    return this.prisma.$transaction(async (tx) => {
      await lockRow(tx, 'zones', id);
      const zone = await tx.zone.findUnique({ where: { id } });
      if (!zone) throw new NotFound('zone', id);
      assertVersion('zone', id, zone.version, expectedVersion);
      const uses = await tx.interfaceZone.findMany({
        where: { zoneId: id },
        include: {
          interface: { select: { id: true, name: true, device: { select: { id: true, name: true } } } },
        },
      });
      if (!cascade) {
        const interfaces = uses.map((u) => ({
          deviceId: u.interface.device.id,
          device: u.interface.device.name,
          interface: u.interface.name,
        }));
        refuseWhileReferenced(
          `zone ${zone.name} is behind ${interfaces.map((i) => `${i.device}/${i.interface}`).join(', ')}; ` +
            'change those interfaces first or pass cascade=true',
          { interfaces },
        );
      }
      await tx.interfaceZone.deleteMany({ where: { zoneId: id } });
      const touched = [...new Set(uses.map((u) => u.interface.id))];
      if (touched.length) {
        await tx.deviceInterface.deleteMany({
          where: { id: { in: touched }, external: false, zones: { none: {} } },
        });
      }
      await versionedWrite('zone', id, () => tx.zone.delete({ where: { id, version: zone.version } }));
      await this.audit.record(tx, {
        action: cascade && uses.length ? 'zone.delete.cascade' : 'zone.delete',
        targetType: 'zone',
        targetId: id,
        before: toZoneModel(zone),
      });
      return zone;
    });
  }
}

function normaliseCidrs(cidrs: string[]): string[] {
  const canonical = cidrs.map(canonicalCidr);
  const errors: FieldError[] = [];
  canonical.forEach((cidr, index) => {
    const first = canonical.indexOf(cidr);
    if (first !== index)
      errors.push({ field: `cidrs.${index}`, message: `cidrs.${index} duplicates cidrs.${first} (${cidr})` });
  });
  if (errors.length) throw new ValidationFailed(errors, errors[0].message);
  return canonical;
}

async function assertNameFree(tx: Prisma.TransactionClient, siteId: string, name: string): Promise<void> {
  const existing = await tx.zone.findUnique({
    where: { siteId_name: { siteId, name } },
    select: { id: true },
  });
  refuseTakenName('zone', name, existing, 'site');
}

/**
 * Zones of one site may overlap only when one contains the other (the most specific zone then wins
 * for an address); two zones sharing a CIDR would make that choice ambiguous, so that is refused too.
 */
async function assertNoPartialOverlap(
  tx: Prisma.TransactionClient,
  siteId: string,
  cidrs: string[],
  exceptZoneId?: string,
): Promise<void> {
  const others = await tx.zone.findMany({
    where: { siteId, ...(exceptZoneId ? { id: { not: exceptZoneId } } : {}) },
    select: { id: true, name: true, cidrs: true },
    orderBy: { name: 'asc' },
  });
  const errors: FieldError[] = [];
  const within = (inner: string[], outer: string[]): boolean =>
    inner.every((i) => outer.some((o) => ['contains', 'equal'].includes(cidrRelation(o, i))));
  for (const other of others) {
    const overlapping = cidrs
      .map((cidr, index) => ({
        cidr,
        index,
        with: other.cidrs.find((o) => cidrRelation(cidr, o) !== 'disjoint'),
      }))
      .filter((hit) => hit.with !== undefined);
    if (!overlapping.length) continue;
    const equal = overlapping.filter((hit) => cidrRelation(hit.cidr, hit.with!) === 'equal');
    for (const hit of equal) {
      errors.push({
        field: `cidrs.${hit.index}`,
        message: `cidrs.${hit.index} ${hit.cidr} is already a CIDR of zone ${other.name}`,
      });
    }
    if (!equal.length && !within(cidrs, other.cidrs) && !within(other.cidrs, cidrs)) {
      const hit = overlapping[0];
      errors.push({
        field: `cidrs.${hit.index}`,
        message: `cidrs.${hit.index} ${hit.cidr} overlaps zone ${other.name} (${hit.with}) but neither zone contains the other`,
      });
    }
  }
  if (errors.length) throw new Conflict(errors.map((e) => e.message).join('; '), errors);
}
