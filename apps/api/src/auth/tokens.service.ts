import { hash, randomBytes } from 'node:crypto';
import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import type { ApiToken, Prisma } from '@app/persistence';
import { AuditService } from '../audit/audit.service';
import { Conflict, NotFound, ValidationFailed } from '../common/errors/domain-error';
import type { Principal } from '../common/request-context';
import { containsText, paginate, type Page, type PageResult } from '../common/pagination/pagination';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { PrismaService } from '../database/prisma.service';
import { asSystem, TenantScope } from '../tenants/tenant-scope';
import type { CreateTokenInput } from './token.input';
import { TokenCache, type TokenRecord } from './token-cache';

const TOKEN_PREFIX = 'uto_';
const BOOTSTRAP_NAME = 'bootstrap-admin';
// Same key for every replica, so only one of several starting together creates the first token.
const BOOTSTRAP_LOCK = 0x75746f31;
// Writing last-used time on every request would turn reads into writes; once a minute is enough.
const LAST_USED_RESOLUTION_MS = 60_000;
// Last-used times are written in one batch this long after the first new one, off the request that noted it.
const LAST_USED_FLUSH_MS = 2_000;

/** `tenantIds`: the tenants the token is limited to; empty for a provider token. */
export type TokenView = Omit<ApiToken, 'tokenHash'> & { tenantIds: string[] };

// Every token read returns its tenant limits alongside the row, never the hash.
const VIEW = { omit: { tokenHash: true }, include: { tenants: { select: { tenantId: true } } } } as const;

function toView<T extends Omit<ApiToken, 'tokenHash'> & { tenants: { tenantId: string }[] }>(
  row: T,
): TokenView {
  const { tenants, ...rest } = row;
  return { ...rest, tenantIds: tenants.map((t) => t.tenantId).sort() };
}

export function hashToken(token: string): string {
  // One-shot: every authenticated request hashes its token, and this skips building a Hash object.
  return hash('sha256', token, 'hex');
}

@Injectable()
export class TokensService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Tokens');
  private readonly cache: TokenCache;
  /** Last-used times noted by requests and not yet written, by token id. */
  private readonly unwrittenUse = new Map<string, Date>();
  private flushTimer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly prisma: PrismaService,
    private readonly audit: AuditService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.cache = new TokenCache(config.tokenCacheTtlMs);
  }

  /** First start: an admin token from ADMIN_TOKEN, or a generated one printed once. */
  async onApplicationBootstrap(): Promise<void> {
    const created = await this.prisma.$transaction(async (tx) => {
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(${BOOTSTRAP_LOCK})`;
      if ((await tx.apiToken.count()) > 0) return null;
      const token = this.config.adminToken ?? generateToken();
      await tx.apiToken.create({
        data: {
          name: BOOTSTRAP_NAME,
          tokenHash: hashToken(token),
          hint: hint(token),
          scopes: ['admin'],
          createdBy: 'bootstrap',
        },
      });
      return { token, generated: this.config.adminToken === undefined };
    });
    if (created?.generated) {
      // Shown once: the only place the secret ever appears.
      this.logger.warn(
        `No API token existed: created admin token "${BOOTSTRAP_NAME}": ${created.token} — store it now, it is not shown again`,
      );
    } else if (created) {
      this.logger.log(`Created admin token "${BOOTSTRAP_NAME}" from ADMIN_TOKEN`);
    }
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.writeLastUse();
  }

  /**
   * Resolves a bearer token to its principal, or null when unknown, revoked or expired. The token's row comes from
   * the TokenCache (see there for how fast a revocation is seen); expiry is checked against the clock every time.
   */
  async authenticate(token: string): Promise<Principal | null> {
    if (!token.startsWith(TOKEN_PREFIX) && token !== this.config.adminToken) return null;
    const hash = hashToken(token);
    const record = await this.cache.lookup(hash, () => this.load(hash));
    const now = new Date();
    if (!record || record.revokedAt || (record.expiresAt && record.expiresAt <= now)) return null;
    if (!record.lastUsedAt || now.getTime() - record.lastUsedAt.getTime() > LAST_USED_RESOLUTION_MS) {
      record.lastUsedAt = now;
      this.noteUse(record.id, now);
    }
    return {
      tokenId: record.id,
      name: record.name,
      scopes: [...record.scopes],
      tenantIds: [...record.tenantIds],
    };
  }

  private load(hash: string): Promise<TokenRecord | null> {
    // The service's own read: whatever request first asks, the token is looked up unscoped.
    return asSystem(async () => {
      const row = await this.prisma.apiToken.findUnique({
        where: { tokenHash: hash },
        include: { tenants: { select: { tenantId: true } } },
      });
      if (!row) return null;
      const noted = this.unwrittenUse.get(row.id);
      return {
        id: row.id,
        name: row.name,
        scopes: row.scopes,
        tenantIds: row.tenants.map((t) => t.tenantId).sort(),
        expiresAt: row.expiresAt,
        revokedAt: row.revokedAt,
        lastUsedAt: noted && (!row.lastUsedAt || noted > row.lastUsedAt) ? noted : row.lastUsedAt,
      };
    });
  }

  private noteUse(id: string, at: Date): void {
    this.unwrittenUse.set(id, at);
    if (this.flushTimer) return;
    this.flushTimer = setTimeout(() => void this.writeLastUse(), LAST_USED_FLUSH_MS);
    this.flushTimer.unref();
  }

  /**
   * Writes the noted last-used times now (on its own a couple of seconds after a use, and at shutdown), never moving
   * one back: another replica may have written a later one.
   */
  writeLastUse(): Promise<void> {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = null;
    const batch = [...this.unwrittenUse];
    if (batch.length === 0) return this.flushing;
    this.flushing = this.flushing.then(() =>
      asSystem(async () => {
        for (const [id, at] of batch) {
          await this.prisma.apiToken
            .updateMany({
              where: { id, OR: [{ lastUsedAt: null }, { lastUsedAt: { lt: at } }] },
              data: { lastUsedAt: at },
            })
            .catch(() => undefined);
          if (this.unwrittenUse.get(id) === at) this.unwrittenUse.delete(id);
        }
      }),
    );
    return this.flushing;
  }

  /** A token as read, with the last use this instance noted and has not written yet. */
  private withUnwrittenUse(view: TokenView): TokenView {
    const noted = this.unwrittenUse.get(view.id);
    return noted && (!view.lastUsedAt || noted > view.lastUsedAt) ? { ...view, lastUsedAt: noted } : view;
  }

  /** `q`: case-insensitive substring of the token's name. */
  async list(filter: { q?: string }, page: Page): Promise<PageResult<TokenView>> {
    const where = filter.q ? { name: containsText(filter.q) } : {};
    return paginate(
      page,
      (window) =>
        this.prisma.apiToken
          .findMany({ where, ...VIEW, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }], ...window })
          .then((rows) => rows.map((row) => this.withUnwrittenUse(toView(row)))),
      () => this.prisma.apiToken.count({ where }),
    );
  }

  async get(id: string): Promise<TokenView> {
    const token = await this.prisma.apiToken.findUnique({ where: { id }, ...VIEW });
    if (!token) throw new NotFound('token', id);
    return this.withUnwrittenUse(toView(token));
  }

  /** Returns the token's secret once; only its hash is kept. */
  async create(
    input: CreateTokenInput,
    createdBy: string | undefined,
  ): Promise<{ token: string; view: TokenView }> {
    const expiresAt = input.expiresAt ? new Date(input.expiresAt) : null;
    if (expiresAt && expiresAt.getTime() <= Date.now())
      throw ValidationFailed.field('expiresAt', 'expiresAt must be in the future');
    const token = generateToken();
    const view = await this.prisma.$transaction(async (tx) => {
      const tenantIds = await tokenTenants(tx, input.tenantIds);
      if (await tx.apiToken.findUnique({ where: { name: input.name }, select: { id: true } })) {
        throw new Conflict(`a token named "${input.name}" already exists`, [
          { field: 'name', message: 'name is already taken' },
        ]);
      }
      const row = await tx.apiToken
        .create({
          data: {
            name: input.name,
            tokenHash: hashToken(token),
            hint: hint(token),
            scopes: [...new Set(input.scopes)].sort(),
            expiresAt,
            createdBy,
            tenants: { create: tenantIds.map((tenantId) => ({ tenantId })) },
          },
          ...VIEW,
        })
        .then(toView);
      await this.audit.record(tx, {
        action: 'token.create',
        targetType: 'token',
        targetId: row.id,
        after: row,
      });
      return row;
    });
    return { token, view };
  }

  async revoke(id: string): Promise<TokenView> {
    const view = await this.prisma.$transaction(async (tx) => {
      const found = await tx.apiToken.findUnique({ where: { id }, ...VIEW });
      if (!found) throw new NotFound('token', id);
      const before = toView(found);
      if (before.revokedAt) return before;
      const after = toView(
        await tx.apiToken.update({ where: { id }, data: { revokedAt: new Date() }, ...VIEW }),
      );
      await this.audit.record(tx, {
        action: 'token.revoke',
        targetType: 'token',
        targetId: id,
        before,
        after,
      });
      return after;
    });
    // Committed: from the answer on, this instance refuses the token (other replicas within the cache TTL).
    this.cache.evict(id);
    return this.withUnwrittenUse(view);
  }
}

/**
 * The tenants a new token is limited to. A provider token may name any tenants (or none: another provider
 * token). A token limited to tenants can only hand out a subset of its own: by default all of them; a tenant
 * outside its set is refused like one that does not exist.
 */
async function tokenTenants(
  tx: Pick<Prisma.TransactionClient, 'tenant'>,
  requested: string[] | undefined,
): Promise<string[]> {
  const scope = TenantScope.current();
  const wanted = [...new Set(requested ?? scope.tenantIds ?? [])].sort();
  if (scope.limited && wanted.length === 0) {
    throw ValidationFailed.field(
      'tenantIds',
      'a token limited to tenants can only create tokens limited to them',
    );
  }
  // Scoped lookup: the caller's own tenants are all it can name.
  const found = await tx.tenant.findMany({ where: { id: { in: wanted } }, select: { id: true } });
  const known = new Set(found.map((t) => t.id));
  const missing = wanted.filter((id) => !known.has(id));
  if (missing.length) {
    throw new ValidationFailed(
      missing.map((id) => ({
        field: `tenantIds.${wanted.indexOf(id)}`,
        message: `tenant ${id} does not exist`,
      })),
      `tenantIds: tenant ${missing.join(', ')} does not exist`,
    );
  }
  return wanted;
}

function generateToken(): string {
  return `${TOKEN_PREFIX}${randomBytes(30).toString('base64url')}`;
}

function hint(token: string): string {
  return `${token.slice(0, TOKEN_PREFIX.length + 4)}…`;
}
