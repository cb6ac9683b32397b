import { createHash, randomBytes } from 'node:crypto';
import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import type { ApiToken } from '@app/persistence';
import { AuditService } from '../audit/audit.service';
import { Conflict, NotFound, ValidationFailed } from '../common/errors/domain-error';
import type { Principal } from '../common/request-context';
import { containsText, paginate, type Page, type PageResult } from '../common/pagination/pagination';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { PrismaService } from '../database/prisma.service';
import type { CreateTokenInput } from './token.input';

const TOKEN_PREFIX = 'uto_';
const BOOTSTRAP_NAME = 'bootstrap-admin';
// Same key for every replica, so only one of several starting together creates the first token.
const BOOTSTRAP_LOCK = 0x75746f31;
// Writing last-used time on every request would turn reads into writes; once a minute is enough.
const LAST_USED_RESOLUTION_MS = 60_000;

export type TokenView = Omit<ApiToken, 'tokenHash'>;

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

@Injectable()
export class TokensService implements OnApplicationBootstrap {
  private readonly logger = new Logger('Tokens');

  constructor(
    private readonly prisma: PrismaService,
    private readonly audit: AuditService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

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

  /** Resolves a bearer token to its principal, or null when unknown, revoked or expired. */
  async authenticate(token: string): Promise<Principal | null> {
    if (!token.startsWith(TOKEN_PREFIX) && token !== this.config.adminToken) return null;
    const row = await this.prisma.apiToken.findUnique({ where: { tokenHash: hashToken(token) } });
    const now = new Date();
    if (!row || row.revokedAt || (row.expiresAt && row.expiresAt <= now)) return null;
    if (!row.lastUsedAt || now.getTime() - row.lastUsedAt.getTime() > LAST_USED_RESOLUTION_MS) {
      await this.prisma.apiToken
        .update({ where: { id: row.id }, data: { lastUsedAt: now } })
        .catch(() => undefined);
    }
    return { tokenId: row.id, name: row.name, scopes: row.scopes };
  }

  /** `q`: case-insensitive substring of the token's name. */
  async list(filter: { q?: string }, page: Page): Promise<PageResult<TokenView>> {
    const where = filter.q ? { name: containsText(filter.q) } : {};
    return paginate(
      page,
      (window) =>
        this.prisma.apiToken.findMany({
          where,
          omit: { tokenHash: true },
          orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
          ...window,
        }),
      () => this.prisma.apiToken.count({ where }),
    );
  }

  async get(id: string): Promise<TokenView> {
    const token = await this.prisma.apiToken.findUnique({ where: { id }, omit: { tokenHash: true } });
    if (!token) throw new NotFound('token', id);
    return token;
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
      if (await tx.apiToken.findUnique({ where: { name: input.name }, select: { id: true } })) {
        throw new Conflict(`a token named "${input.name}" already exists`, [
          { field: 'name', message: 'name is already taken' },
        ]);
      }
      const row = await tx.apiToken.create({
        data: {
          name: input.name,
          tokenHash: hashToken(token),
          hint: hint(token),
          scopes: [...new Set(input.scopes)].sort(),
          expiresAt,
          createdBy,
        },
        omit: { tokenHash: true },
      });
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
    return this.prisma.$transaction(async (tx) => {
      const before = await tx.apiToken.findUnique({ where: { id }, omit: { tokenHash: true } });
      if (!before) throw new NotFound('token', id);
      if (before.revokedAt) return before;
      const after = await tx.apiToken.update({
        where: { id },
        data: { revokedAt: new Date() },
        omit: { tokenHash: true },
      });
      await this.audit.record(tx, {
        action: 'token.revoke',
        targetType: 'token',
        targetId: id,
        before,
        after,
      });
      return after;
    });
  }
}

function generateToken(): string {
  return `${TOKEN_PREFIX}${randomBytes(30).toString('base64url')}`;
}

function hint(token: string): string {
  return `${token.slice(0, TOKEN_PREFIX.length + 4)}…`;
}
