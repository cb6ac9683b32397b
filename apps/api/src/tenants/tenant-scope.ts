import { isCachedModel, type ItemCache, Prisma, type PrismaClient } from '@app/persistence';
import { DomainError, ValidationFailed } from '../common/errors/domain-error';
import { currentRequest, requestContext } from '../common/request-context';

/**
 * What the caller may see, derived from the principal: a provider token (no tenant limits), a system read, or
 * anonymous work (jobs, the scheduler) see everything; a token limited to tenants sees only what its tenants
 * own and what hangs off it. The filter is applied to every Prisma query by `withTenantScope`, so no service
 * can forget it: rows outside the scope are simply absent (404 on reads and writes by id, excluded from lists,
 * counts and GraphQL fields).
 */
export class TenantScope {
  private constructor(readonly tenantIds: readonly string[] | null) {}

  static readonly provider = new TenantScope(null);

  static of(tenantIds: readonly string[] | null | undefined): TenantScope {
    return tenantIds && tenantIds.length > 0 ? new TenantScope([...tenantIds]) : TenantScope.provider;
  }

  /** The scope of the current request; the provider's outside requests and inside `asSystem`. */
  static current(): TenantScope {
    const state = currentRequest();
    if (state.system) return TenantScope.provider;
    return TenantScope.of(state.principal?.tenantIds);
  }

  /** True for a token limited to tenants. */
  get limited(): boolean {
    return this.tenantIds !== null;
  }

  /** Whether a resource owned by `tenantId` (null: the provider) is visible. */
  sees(tenantId: string | null): boolean {
    return this.tenantIds === null || (tenantId !== null && this.tenantIds.includes(tenantId));
  }

  /** The Prisma where-fragment that keeps a model's rows inside the scope; undefined: no restriction. */
  where(model: string): Record<string, unknown> | undefined {
    if (this.tenantIds === null) return undefined;
    const owned = { tenantId: { in: [...this.tenantIds] } };
    const site = { site: owned };
    const device = { device: site };
    switch (model) {
      case 'Tenant':
        return { id: { in: [...this.tenantIds] } };
      case 'Site':
      case 'Deployment':
      case 'Webhook':
      case 'AuditEntry':
        return owned;
      case 'Zone':
      case 'Device':
        return site;
      // A node belongs to its deployment's tenant, wherever it stands (a provider datacenter site included).
      case 'Node':
        return { deployment: owned };
      case 'DeviceInterface':
      case 'Push':
      case 'DriftCheck':
      case 'DevicePendingState':
        return device;
      case 'InterfaceZone':
        return { interface: device };
      // A link is a tenant's when both its sites are; one touching a provider site is the provider's.
      case 'SiteLink':
        return { siteA: owned, siteB: owned };
      // Its node's tenant and its firewall's: a publication on a shared firewall is the provider's to manage.
      case 'Publication':
        return { node: { deployment: owned }, device: site };
      case 'WebhookDelivery':
        return { webhook: owned };
      // Tokens limited to a subset of the caller's tenants (never provider tokens).
      case 'ApiToken':
        return { tenants: { some: {}, every: owned } };
      case 'ApiTokenTenant':
        return owned;
      default:
        return undefined;
    }
  }

  /** SQL condition on a devices table alias for raw queries (fleet summary). */
  deviceCondition(alias: string): Prisma.Sql {
    if (this.tenantIds === null) return Prisma.sql`TRUE`;
    return Prisma.sql`${Prisma.raw(`${alias}."site_id"`)} IN (SELECT s."id" FROM "sites" s WHERE s."tenant_id" = ANY(${[...this.tenantIds]}::uuid[]))`;
  }
}

/** Runs `work` as the service itself: reads inside it see every tenant (e.g. the engine's whole inventory). */
export function asSystem<T>(work: () => PromiseLike<T>): Promise<T> {
  // Awaited inside: Prisma queries are lazy and run when awaited, which must happen in this context.
  return requestContext.run({ ...currentRequest(), system: true }, async () => await work());
}

const READS_AND_WRITES_BY_WHERE = new Set([
  'findUnique',
  'findUniqueOrThrow',
  'findFirst',
  'findFirstOrThrow',
  'findMany',
  'count',
  'aggregate',
  'groupBy',
  'update',
  'updateMany',
  'updateManyAndReturn',
  'delete',
  'deleteMany',
  'upsert',
]);

// Global configuration: one catalog for every tenant, so only provider tokens change it.
const PROVIDER_ONLY_WRITES = new Set(['CustomFlow']);
const WRITES = new Set([
  'create',
  'createMany',
  'createManyAndReturn',
  'update',
  'updateMany',
  'updateManyAndReturn',
  'delete',
  'deleteMany',
  'upsert',
]);

/** The query arguments with the scope's fragment ANDed into `where` (unique fields stay at the top level). */
export function scopeArgs(scope: TenantScope, model: string, operation: string, args: unknown): unknown {
  if (!scope.limited) return args;
  if (PROVIDER_ONLY_WRITES.has(model) && WRITES.has(operation)) {
    throw new DomainError('FORBIDDEN', `only provider tokens (not limited to tenants) may change ${model}`);
  }
  const fragment = scope.where(model);
  if (!fragment || !READS_AND_WRITES_BY_WHERE.has(operation)) return args;
  const given = (args ?? {}) as { where?: Record<string, unknown> };
  const where = given.where ?? {};
  const and = where.AND === undefined ? [] : Array.isArray(where.AND) ? where.AND : [where.AND];
  return { ...given, where: { ...where, AND: [...(and as unknown[]), fragment] } };
}

/**
 * The client every service injects: the same client with the tenant filter on every model query, and reads of a
 * row by id alone served from the item cache when no filter applies (a limited token's read carries its
 * tenant condition and always reaches the database).
 */
export function withTenantScope(client: PrismaClient, items?: ItemCache): PrismaClient {
  return client.$extends({
    query: {
      $allModels: {
        $allOperations({ model, operation, args, query }) {
          const scope = TenantScope.current();
          const id =
            items && !scope.limited && isCachedModel(model) ? idOnlyLookup(operation, args) : undefined;
          if (id !== undefined) return items!.read(itemKey(model, id), () => query(args));
          return query(scopeArgs(scope, model, operation, args) as typeof args);
        },
      },
    },
  }) as unknown as PrismaClient;
}

/** Where the item cache keeps a model's row. */
export function itemKey(model: string, id: string): string {
  return `${model}:${id}`;
}

/** The id of `findUnique({ where: { id } })` with nothing else (no select, include or other condition). */
function idOnlyLookup(operation: string, args: unknown): string | undefined {
  if (operation !== 'findUnique') return undefined;
  const { where, ...rest } = (args ?? {}) as { where?: Record<string, unknown> };
  if (Object.keys(rest).length > 0 || !where) return undefined;
  const keys = Object.keys(where);
  return keys.length === 1 && keys[0] === 'id' && typeof where.id === 'string' ? where.id : undefined;
}

/**
 * The owner of a resource a caller creates or moves: what it asked for, checked against what it may see. A
 * limited token gets its only tenant by default, must name one when it has several, and can neither name a
 * tenant outside its set (400, as for a tenant that does not exist) nor make a resource the provider's.
 */
export async function resolveOwner(
  tx: Pick<Prisma.TransactionClient, 'tenant'>,
  requested: string | null | undefined,
  field = 'tenantId',
): Promise<string | null | undefined> {
  const scope = TenantScope.current();
  if (requested === undefined) {
    if (!scope.limited) return undefined;
    if (scope.tenantIds!.length === 1) return scope.tenantIds![0];
    throw ValidationFailed.field(field, `${field} is required: this token is limited to several tenants`);
  }
  if (requested === null) {
    if (scope.limited) {
      throw ValidationFailed.field(field, 'a token limited to tenants cannot make a resource the provider’s');
    }
    return null;
  }
  // Scoped lookup: a tenant outside the caller's set does not exist for it.
  const tenant = await tx.tenant.findUnique({ where: { id: requested }, select: { id: true } });
  if (!tenant) throw ValidationFailed.field(field, `tenant ${requested} does not exist`);
  return tenant.id;
}

type TenantLookup = Pick<Prisma.TransactionClient, 'site' | 'deployment' | 'device' | 'push'>;

/**
 * The tenant an audit entry belongs to, from its target's view (before or after): stored on the row at write
 * time, so a tenant token's audit log keeps showing its entries after the target is gone.
 */
export async function auditTenantOf(
  tx: TenantLookup,
  targetType: string,
  targetId: string | null | undefined,
  view: unknown,
): Promise<string | null> {
  if (targetType === 'tenant') return targetId ?? null;
  // What names no owner (a fleet push) belongs to the acting token's tenant when it has exactly one.
  const scope = TenantScope.current();
  const fallback = scope.tenantIds?.length === 1 ? scope.tenantIds[0] : null;
  const v = (view && typeof view === 'object' ? view : {}) as Record<string, unknown>;
  const str = (key: string): string | undefined => (typeof v[key] === 'string' ? v[key] : undefined);
  if ('tenantId' in v) return str('tenantId') ?? null;
  if (Array.isArray(v.tenantIds)) return v.tenantIds.length === 1 ? String(v.tenantIds[0]) : null;
  return asSystem(async () => {
    const deploymentId = str('deploymentId');
    if (deploymentId) {
      const d = await tx.deployment.findUnique({ where: { id: deploymentId }, select: { tenantId: true } });
      return d?.tenantId ?? null;
    }
    const siteId = str('siteId');
    if (siteId) {
      const s = await tx.site.findUnique({ where: { id: siteId }, select: { tenantId: true } });
      return s?.tenantId ?? null;
    }
    const deviceId = str('deviceId') ?? (targetType === 'device' ? (targetId ?? undefined) : undefined);
    if (deviceId) {
      const d = await tx.device.findUnique({
        where: { id: deviceId },
        select: { site: { select: { tenantId: true } } },
      });
      return d?.site.tenantId ?? null;
    }
    if (targetType === 'push' && targetId) {
      const p = await tx.push.findUnique({
        where: { id: targetId },
        select: { device: { select: { site: { select: { tenantId: true } } } } },
      });
      return p?.device.site.tenantId ?? null;
    }
    return fallback;
  });
}

/**
 * The site a node is placed at. A provider site (the shared datacenter) takes nodes of any tenant's deployment,
 * so a tenant token may name one although it cannot read it; another tenant's site does not exist for it.
 */
export async function siteForNode<S extends { tenantId: string | null }>(
  tx: { site: { findUnique(args: { where: { id: string } }): Promise<S | null> } },
  siteId: string,
): Promise<S> {
  const scope = TenantScope.current();
  const site = await asSystem(() => tx.site.findUnique({ where: { id: siteId } }));
  if (!site || (site.tenantId !== null && !scope.sees(site.tenantId))) {
    throw ValidationFailed.field('siteId', `site ${siteId} does not exist`);
  }
  return site;
}

/** A tenant's site holds only nodes of that tenant's deployments; provider sites hold anyone's. */
export function assertPlacement(
  site: { id: string; tenantId: string | null },
  deployment: { id: string; tenantId: string | null },
): void {
  if (site.tenantId !== null && site.tenantId !== deployment.tenantId) {
    throw ValidationFailed.field(
      'siteId',
      `site ${site.id} belongs to another tenant than deployment ${deployment.id}; a node may stand only at ` +
        "its deployment's tenant's sites or at provider sites",
    );
  }
}
