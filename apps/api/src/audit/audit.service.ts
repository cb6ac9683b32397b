import { Injectable } from '@nestjs/common';
import type { AuditEntry, Prisma } from '@app/persistence';
import { currentRequest } from '../common/request-context';
import { containsText, paginate, type Page, type PageResult } from '../common/pagination/pagination';
import { PrismaService } from '../database/prisma.service';
import { auditTenantOf } from '../tenants/tenant-scope';

export interface AuditRecord {
  action: string;
  targetType: string;
  targetId?: string | null;
  before?: unknown;
  after?: unknown;
}

export interface AuditFilter {
  /** Case-insensitive substring of the actor, action, target type or target id. */
  q?: string;
  actor?: string;
  action?: string;
  targetType?: string;
  targetId?: string;
  tenantId?: string;
  requestId?: string;
  since?: Date;
  until?: Date;
}

// Belt and braces: callers pass API views (credentials already reduced to "set"), but nothing that
// looks like a secret is ever written to the audit log.
const SECRET_KEYS =
  /^(credentials|credentialsEncrypted|password|apiKey|token|tokenHash|secret|key|authorization)$/i;

function redact(value: unknown): Prisma.InputJsonValue | undefined {
  if (value === undefined || value === null) return undefined;
  return JSON.parse(
    JSON.stringify(value, (key, v: unknown) =>
      SECRET_KEYS.test(key) && v !== null && typeof v !== 'boolean' && !(typeof v === 'object' && 'set' in v)
        ? '[redacted]'
        : v,
    ),
  ) as Prisma.InputJsonValue;
}

@Injectable()
export class AuditService {
  constructor(private readonly prisma: PrismaService) {}

  /** Records inside the caller's transaction, so an audit entry exists exactly when the change does. */
  async record(tx: Prisma.TransactionClient, entry: AuditRecord): Promise<void> {
    const { principal, requestId } = currentRequest();
    // Kept on the row, so a tenant token's audit log shows its entries even after the target is gone.
    const tenantId = await auditTenantOf(tx, entry.targetType, entry.targetId, entry.after ?? entry.before);
    await tx.auditEntry.create({
      data: {
        actor: principal?.name ?? 'system',
        tokenId: principal?.tokenId ?? null,
        requestId: requestId ?? null,
        action: entry.action,
        targetType: entry.targetType,
        targetId: entry.targetId ?? null,
        tenantId,
        before: redact(entry.before),
        after: redact(entry.after),
      },
    });
  }

  async list(filter: AuditFilter, page: Page): Promise<PageResult<AuditEntry>> {
    const where: Prisma.AuditEntryWhereInput = {
      ...(filter.q
        ? {
            OR: (['actor', 'action', 'targetType', 'targetId'] as const).map((field) => ({
              [field]: containsText(filter.q as string),
            })),
          }
        : {}),
      ...(filter.actor ? { actor: filter.actor } : {}),
      ...(filter.action ? { action: filter.action } : {}),
      ...(filter.targetType ? { targetType: filter.targetType } : {}),
      ...(filter.targetId ? { targetId: filter.targetId } : {}),
      ...(filter.tenantId ? { tenantId: filter.tenantId } : {}),
      ...(filter.requestId ? { requestId: filter.requestId } : {}),
      ...(filter.since || filter.until
        ? {
            at: {
              ...(filter.since ? { gte: filter.since } : {}),
              ...(filter.until ? { lte: filter.until } : {}),
            },
          }
        : {}),
    };
    return paginate(
      page,
      (window) =>
        this.prisma.auditEntry.findMany({
          where,
          orderBy: [{ at: 'desc' }, { id: 'desc' }],
          ...window,
        }),
      () => this.prisma.auditEntry.count({ where }),
    );
  }
}
