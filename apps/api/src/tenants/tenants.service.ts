import { Injectable } from '@nestjs/common';
import type { Prisma, Tenant } from '@app/persistence';
import { AuditService } from '../audit/audit.service';
import { assertVersion, versionedWrite } from '../common/concurrency';
import { refuseTakenName, refuseWhileReferenced } from '../common/conflicts';
import { DomainError, NotFound } from '../common/errors/domain-error';
import { containsText, paginate, type Page, type PageResult } from '../common/pagination/pagination';
import { PrismaService } from '../database/prisma.service';
import { ItemReads } from '../database/item-reads';
import type { CreateTenantInput, UpdateTenantInput } from './tenant.input';
import { toTenantModel } from './tenant.model';
import { TenantScope } from './tenant-scope';

@Injectable()
export class TenantsService {
  constructor(
    private readonly prisma: PrismaService,
    private readonly items: ItemReads,
    private readonly audit: AuditService,
  ) {}

  /** A token limited to tenants lists only those (the scope filter does it). */
  async list(filter: { q?: string }, page: Page): Promise<PageResult<Tenant>> {
    const where: Prisma.TenantWhereInput = filter.q ? { name: containsText(filter.q) } : {};
    return paginate(
      page,
      (window) =>
        this.prisma.tenant.findMany({ where, orderBy: [{ name: 'asc' }, { id: 'asc' }], ...window }),
      () => this.prisma.tenant.count({ where }),
    );
  }

  async get(id: string): Promise<Tenant> {
    const tenant = await this.items.byId('Tenant', id);
    if (!tenant) throw new NotFound('tenant', id);
    return tenant;
  }

  /** Only provider tokens create tenants: a tenant token cannot widen its own reach. */
  async create(input: CreateTenantInput): Promise<Tenant> {
    assertProvider('create tenants');
    return this.prisma.$transaction(async (tx) => {
      await assertNameFree(tx, input.name);
      const tenant = await tx.tenant.create({
        data: { name: input.name, description: input.description ?? '' },
      });
      await this.audit.record(tx, {
        action: 'tenant.create',
        targetType: 'tenant',
        targetId: tenant.id,
        after: toTenantModel(tenant),
      });
      return tenant;
    });
  }

  async update(id: string, input: UpdateTenantInput, expectedVersion?: number): Promise<Tenant> {
    return this.prisma.$transaction(async (tx) => {
      const current = await tx.tenant.findUnique({ where: { id } });
      if (!current) throw new NotFound('tenant', id);
      assertVersion('tenant', id, current.version, expectedVersion);
      if (input.name !== undefined && input.name !== current.name) await assertNameFree(tx, input.name);
      const tenant = await versionedWrite('tenant', id, () =>
        tx.tenant.update({
          where: { id, version: current.version },
          data: { name: input.name, description: input.description, version: { increment: 1 } },
        }),
      );
      await this.audit.record(tx, {
        action: 'tenant.update',
        targetType: 'tenant',
        targetId: id,
        before: toTenantModel(current),
        after: toTenantModel(tenant),
      });
      return tenant;
    });
  }

  /**
   * A tenant that still owns deployments, sites or webhooks, or that tokens are limited to, is refused (409
   * naming them): deleting a customer's inventory is done resource by resource (each with its own cascade).
   */
  async delete(id: string, expectedVersion?: number): Promise<Tenant> {
    return this.prisma.$transaction(async (tx) => {
      const tenant = await tx.tenant.findUnique({ where: { id } });
      if (!tenant) throw new NotFound('tenant', id);
      assertProvider('delete tenants');
      assertVersion('tenant', id, tenant.version, expectedVersion);
      const pick = { select: { id: true, name: true }, orderBy: [{ name: 'asc' as const }] };
      const [deployments, sites, webhooks, tokens] = await Promise.all([
        tx.deployment.findMany({ where: { tenantId: id }, ...pick }),
        tx.site.findMany({ where: { tenantId: id }, ...pick }),
        tx.webhook.findMany({ where: { tenantId: id }, select: { id: true, url: true } }),
        tx.apiToken.findMany({ where: { tenants: { some: { tenantId: id } } }, ...pick }),
      ]);
      refuseWhileReferenced(
        `tenant ${tenant.name} still owns ${deployments.length} deployment(s), ${sites.length} site(s), ` +
          `${webhooks.length} webhook(s) and limits ${tokens.length} token(s); remove or move them first`,
        { deployments, sites, webhooks, tokens },
      );
      await versionedWrite('tenant', id, () => tx.tenant.delete({ where: { id, version: tenant.version } }));
      await this.audit.record(tx, {
        action: 'tenant.delete',
        targetType: 'tenant',
        targetId: id,
        before: toTenantModel(tenant),
      });
      return tenant;
    });
  }
}

function assertProvider(what: string): void {
  if (TenantScope.current().limited) {
    throw new DomainError('FORBIDDEN', `only provider tokens (not limited to tenants) may ${what}`);
  }
}

async function assertNameFree(tx: Prisma.TransactionClient, name: string): Promise<void> {
  // Scoped: another tenant's name is not named back; the unique index still refuses it (409).
  refuseTakenName('tenant', name, await tx.tenant.findUnique({ where: { name }, select: { id: true } }));
}
