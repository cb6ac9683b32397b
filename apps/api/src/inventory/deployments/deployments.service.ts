import { Injectable } from '@nestjs/common';
import type { Deployment, Prisma } from '@app/persistence';
import { DEFAULT_CATALOG_VERSION } from '@app/catalog';
import { AuditService } from '../../audit/audit.service';
import { assertVersion, lockRow, versionedWrite } from '../../common/concurrency';
import { refuseTakenName, refuseWhileReferenced } from '../../common/conflicts';
import { Conflict, NotFound, ValidationFailed } from '../../common/errors/domain-error';
import { containsText, paginate, type Page, type PageResult } from '../../common/pagination/pagination';
import { PrismaService } from '../../database/prisma.service';
import { ItemReads } from '../../database/item-reads';
import { resolveOwner } from '../../tenants/tenant-scope';
import { ChecksService, type InventoryWarning } from '../checks/checks.service';
import { collectorRolesFor } from '../collector-roles';
import type { CreateDeploymentInput, DeploymentFilter, UpdateDeploymentInput } from './deployment.input';
import { toDeploymentModel } from './deployment.model';

/** Name of the deployment created for nodes when none exists (and by the migration for existing data). */
export const DEFAULT_DEPLOYMENT_NAME = 'default';

/** A written deployment with the guard-rail findings about it. */
export type WrittenDeployment = Deployment & { warnings: InventoryWarning[] };

@Injectable()
export class DeploymentsService {
  constructor(
    private readonly prisma: PrismaService,
    private readonly items: ItemReads,
    private readonly audit: AuditService,
    private readonly checks: ChecksService,
  ) {}

  async list(filter: DeploymentFilter, page: Page): Promise<PageResult<Deployment>> {
    const where: Prisma.DeploymentWhereInput = {
      ...(filter.q ? { name: containsText(filter.q) } : {}),
      ...(filter.catalogVersion ? { catalogVersion: filter.catalogVersion } : {}),
      ...(filter.tenantId ? { tenantId: filter.tenantId } : {}),
    };
    return paginate(
      page,
      (window) =>
        this.prisma.deployment.findMany({
          where,
          orderBy: [{ name: 'asc' }, { id: 'asc' }],
          ...window,
        }),
      () => this.prisma.deployment.count({ where }),
    );
  }

  async get(id: string): Promise<Deployment> {
    const deployment = await this.items.byId('Deployment', id);
    if (!deployment) throw new NotFound('deployment', id);
    return deployment;
  }

  async create(input: CreateDeploymentInput): Promise<WrittenDeployment> {
    const created = await this.prisma.$transaction(async (tx) => {
      await assertNameFree(tx, input.name);
      const tenantId = (await resolveOwner(tx, input.tenantId)) ?? null;
      const deployment = await tx.deployment.create({
        data: {
          tenantId,
          name: input.name,
          description: input.description ?? '',
          catalogVersion: input.catalogVersion ?? DEFAULT_CATALOG_VERSION,
        },
      });
      await this.audit.record(tx, {
        action: 'deployment.create',
        targetType: 'deployment',
        targetId: deployment.id,
        after: toDeploymentModel(deployment),
      });
      return deployment;
    });
    return this.withWarnings(created);
  }

  async update(
    id: string,
    input: UpdateDeploymentInput,
    expectedVersion?: number,
  ): Promise<WrittenDeployment> {
    const written = await this.prisma.$transaction(async (tx) => {
      await lockRow(tx, 'deployments', id);
      const current = await tx.deployment.findUnique({ where: { id } });
      if (!current) throw new NotFound('deployment', id);
      assertVersion('deployment', id, current.version, expectedVersion);
      if (input.name !== undefined && input.name !== current.name) await assertNameFree(tx, input.name);
      if (input.catalogVersion !== undefined && input.catalogVersion !== current.catalogVersion) {
        await assertCollectorsFit(tx, id, input.catalogVersion);
      }
      const tenantId = input.tenantId === undefined ? undefined : await resolveOwner(tx, input.tenantId);
      if (tenantId !== undefined && tenantId !== current.tenantId)
        await assertDeploymentMovable(tx, id, tenantId);
      const deployment = await versionedWrite('deployment', id, () =>
        tx.deployment.update({
          where: { id, version: current.version },
          data: {
            name: input.name,
            description: input.description,
            catalogVersion: input.catalogVersion,
            tenantId,
            version: { increment: 1 },
          },
        }),
      );
      await this.audit.record(tx, {
        action: 'deployment.update',
        targetType: 'deployment',
        targetId: id,
        before: toDeploymentModel(current),
        after: toDeploymentModel(deployment),
      });
      return deployment;
    });
    return this.withWarnings(written);
  }

  private async withWarnings(deployment: Deployment): Promise<WrittenDeployment> {
    return { ...deployment, warnings: await this.checks.warningsFor('deployment', deployment.id) };
  }

  /**
   * Without `cascade`, a deployment that still has nodes is refused with the nodes that reference it.
   * With `cascade`, its nodes go too.
   */
  async delete(id: string, cascade: boolean, expectedVersion?: number): Promise<Deployment> {
    return this.prisma.$transaction(async (tx) => {
      await lockRow(tx, 'deployments', id);
      const deployment = await tx.deployment.findUnique({ where: { id } });
      if (!deployment) throw new NotFound('deployment', id);
      assertVersion('deployment', id, deployment.version, expectedVersion);
      const nodes = await tx.node.findMany({
        where: { deploymentId: id },
        select: { id: true, name: true, siteId: true },
        orderBy: [{ name: 'asc' }, { id: 'asc' }],
      });
      if (!cascade) {
        refuseWhileReferenced(
          `deployment ${deployment.name} still has ${nodes.length} node(s); delete or move them first or pass cascade=true`,
          { nodes },
        );
      }
      const nodeIds = nodes.map((n) => n.id);
      // Collectors and masters never cross deployments, but clear any reference so the delete cannot fail.
      await tx.node.updateMany({ where: { collectorId: { in: nodeIds } }, data: { collectorId: null } });
      await tx.node.updateMany({ where: { masterId: { in: nodeIds } }, data: { masterId: null } });
      await tx.node.deleteMany({ where: { deploymentId: id } });
      await versionedWrite('deployment', id, () =>
        tx.deployment.delete({ where: { id, version: deployment.version } }),
      );
      await this.audit.record(tx, {
        action: cascade ? 'deployment.delete.cascade' : 'deployment.delete',
        targetType: 'deployment',
        targetId: id,
        before: { ...toDeploymentModel(deployment), removed: { nodes } },
      });
      return deployment;
    });
  }

  /**
   * The deployment of a node created without `deploymentId`, so clients written before deployments keep
   * working: the only deployment when there is exactly one; a `default` deployment created on the spot
   * when there is none; a 400 naming `deploymentId` when there are several (the choice is the client's).
   */
  async forNodeWithoutDeployment(tx: Prisma.TransactionClient): Promise<Deployment> {
    const existing = await tx.deployment.findMany({ take: 2, orderBy: { name: 'asc' } });
    if (existing.length === 1) return existing[0];
    if (existing.length > 1) {
      throw ValidationFailed.field(
        'deploymentId',
        'deploymentId is required when there are several deployments',
      );
    }
    // ON CONFLICT DO NOTHING: two first nodes created at once share one default deployment.
    const { count } = await tx.deployment.createMany({
      data: [{ name: DEFAULT_DEPLOYMENT_NAME, catalogVersion: DEFAULT_CATALOG_VERSION }],
      skipDuplicates: true,
    });
    const created = await tx.deployment.findUniqueOrThrow({ where: { name: DEFAULT_DEPLOYMENT_NAME } });
    if (count === 1) {
      await this.audit.record(tx, {
        action: 'deployment.create',
        targetType: 'deployment',
        targetId: created.id,
        after: toDeploymentModel(created),
      });
    }
    return created;
  }
}

async function assertNameFree(tx: Prisma.TransactionClient, name: string): Promise<void> {
  refuseTakenName(
    'deployment',
    name,
    await tx.deployment.findUnique({ where: { name }, select: { id: true } }),
  );
}

/** Nodes that follow the deployment's version must keep a collector of a role that version allows. */
async function assertCollectorsFit(
  tx: Prisma.TransactionClient,
  deploymentId: string,
  catalogVersion: string,
): Promise<void> {
  const collected = await tx.node.findMany({
    where: { deploymentId, collectorId: { not: null }, site: { catalogVersion: null } },
    select: { id: true, name: true, collector: { select: { name: true, role: true } } },
    orderBy: [{ name: 'asc' }, { id: 'asc' }],
  });
  const allowed = collectorRolesFor(catalogVersion);
  const broken = collected.filter((n) => n.collector && !allowed.includes(n.collector.role));
  if (broken.length) {
    throw new Conflict(
      `with ${catalogVersion} a collector must be one of: ${allowed.join(', ')}; ` +
        `${broken.map((n) => `${n.name} (collector ${n.collector?.name})`).join(', ')} would break`,
      [{ field: 'catalogVersion', message: `collectors of this deployment do not fit ${catalogVersion}` }],
      { referencedBy: { nodes: broken.map((n) => ({ id: n.id, name: n.name })) } },
    );
  }
}

/** A tenant's deployment may stand only at that tenant's sites and provider sites (see assertPlacement). */
async function assertDeploymentMovable(
  tx: Prisma.TransactionClient,
  deploymentId: string,
  tenantId: string | null,
): Promise<void> {
  const misplaced = await tx.node.findMany({
    where: {
      deploymentId,
      site: tenantId === null ? { tenantId: { not: null } } : { tenantId: { notIn: [tenantId] } },
    },
    select: { id: true, name: true, siteId: true },
    orderBy: [{ name: 'asc' }, { id: 'asc' }],
  });
  if (misplaced.length) {
    throw new Conflict(
      `${misplaced.length} node(s) of the deployment stand at sites of another tenant`,
      [{ field: 'tenantId', message: "the deployment's nodes stand at sites of another tenant" }],
      { referencedBy: { nodes: misplaced } },
    );
  }
}
