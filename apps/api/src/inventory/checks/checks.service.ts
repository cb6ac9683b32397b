import { Injectable } from '@nestjs/common';
import { PrismaService } from '../../database/prisma.service';
import { readInventory } from '../../rules/rule-sets.service';
import { asSystem, TenantScope } from '../../tenants/tenant-scope';
import { runChecks, type CheckCode, type CheckEntityType, type InventoryCheck } from './checks';
import { selectorsByVersion } from './selectors';

export interface CheckFilter {
  deploymentId?: string;
  tenantId?: string;
  code?: CheckCode;
}

/** What a write answers with: the findings about the written entity, without the scoping internals. */
export interface InventoryWarning {
  code: CheckCode;
  severity: InventoryCheck['severity'];
  field: string;
  message: string;
  entity: InventoryCheck['entity'];
}

@Injectable()
export class ChecksService {
  constructor(private readonly prisma: PrismaService) {}

  /** Every finding over the whole inventory, or the part of one deployment or tenant, in a stable order. */
  async list(filter: CheckFilter = {}): Promise<InventoryWarning[]> {
    const checks = await this.evaluate();
    const scope = await this.scope(filter);
    const visible = await this.visible();
    return checks
      .filter((c) => !filter.code || c.code === filter.code)
      .filter((c) => !scope || inScope(c, scope))
      .filter((c) => !visible || inScope(c, visible))
      .map(toWarning);
  }

  /** The findings about one entity, answered by the writes that create or change it. */
  async warningsFor(type: CheckEntityType, id: string): Promise<InventoryWarning[]> {
    const checks = await this.evaluate();
    return checks.filter((c) => c.entity.type === type && c.entity.id === id).map(toWarning);
  }

  // Read as the service: a tenant token's partial view (no provider zones) would flag its nodes in a shared
  // datacenter as outside every zone. What it may see of the findings is filtered afterwards (visible()).
  private async evaluate(): Promise<InventoryCheck[]> {
    return asSystem(() => this.evaluateAll());
  }

  private async evaluateAll(): Promise<InventoryCheck[]> {
    const [inventory, deployments, devices, selectors] = await Promise.all([
      readInventory(this.prisma),
      this.prisma.deployment.findMany({ select: { id: true, name: true, catalogVersion: true } }),
      this.prisma.device.findMany({
        select: { id: true, name: true, siteId: true, managementUrl: true, vdom: true, createdAt: true },
      }),
      selectorsByVersion(this.prisma),
    ]);
    return runChecks({ inventory, deployments, devices, selectorsByVersion: selectors }).sort(compareChecks);
  }

  /**
   * Deployments (and the sites where they have nodes) a filter selects; null when the filter selects everything.
   * A tenant's deployments are those carrying its tenantId.
   */
  private async scope(filter: CheckFilter): Promise<Scope | null> {
    if (!filter.deploymentId && !filter.tenantId) return null;
    const deployments = await this.prisma.deployment.findMany({
      where: {
        ...(filter.deploymentId ? { id: filter.deploymentId } : {}),
        ...(filter.tenantId ? { tenantId: filter.tenantId } : {}),
      },
      select: { id: true },
    });
    const ids = deployments.map((d) => d.id);
    const sites = ids.length
      ? await this.prisma.node.findMany({
          where: { deploymentId: { in: ids } },
          select: { siteId: true },
          distinct: ['siteId'],
        })
      : [];
    return { deploymentIds: new Set(ids), siteIds: new Set(sites.map((s) => s.siteId)) };
  }

  /** For a token limited to tenants: its deployments and its sites (queries are tenant-scoped); else null. */
  private async visible(): Promise<Scope | null> {
    if (!TenantScope.current().limited) return null;
    const [deployments, sites] = await Promise.all([
      this.prisma.deployment.findMany({ select: { id: true } }),
      this.prisma.site.findMany({ select: { id: true } }),
    ]);
    return {
      deploymentIds: new Set(deployments.map((d) => d.id)),
      siteIds: new Set(sites.map((s) => s.id)),
    };
  }
}

interface Scope {
  deploymentIds: Set<string>;
  siteIds: Set<string>;
}

/** A deployment's finding, or a site-level one (a device) at a site where the deployment has nodes. */
function inScope(check: InventoryCheck, scope: Scope): boolean {
  if (check.deploymentIds.length) return check.deploymentIds.some((id) => scope.deploymentIds.has(id));
  return check.siteIds.some((id) => scope.siteIds.has(id));
}

function toWarning(check: InventoryCheck): InventoryWarning {
  return {
    code: check.code,
    severity: check.severity,
    field: check.field,
    message: check.message,
    entity: check.entity,
  };
}

function compareChecks(a: InventoryCheck, b: InventoryCheck): number {
  return (
    a.code.localeCompare(b.code) ||
    a.entity.type.localeCompare(b.entity.type) ||
    a.entity.name.localeCompare(b.entity.name) ||
    a.entity.id.localeCompare(b.entity.id) ||
    a.field.localeCompare(b.field, undefined, { numeric: true })
  );
}
