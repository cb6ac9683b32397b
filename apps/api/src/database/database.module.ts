import { join } from 'node:path';
import { Global, Inject, Logger, Module, type OnApplicationShutdown } from '@nestjs/common';
import { CredentialCipher, type Database, loadOrCreateKeyFile, openDatabase } from '@app/persistence';
import { randomBytes } from 'node:crypto';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { withTenantScope } from '../tenants/tenant-scope';
import { ItemReads } from './item-reads';
import { PrismaService } from './prisma.service';
import { QueryCounter } from './query-counter';

export const DATABASE = Symbol('DATABASE');

@Global()
@Module({
  providers: [
    QueryCounter,
    {
      provide: DATABASE,
      inject: [APP_CONFIG, QueryCounter],
      useFactory: async (config: AppConfig, counter: QueryCounter): Promise<Database> => {
        const logger = new Logger('Database');
        const db = await openDatabase({
          url: config.databaseUrl,
          dataDir: config.databaseUrl || !config.dataDir ? undefined : join(config.dataDir, 'pglite'),
          migrationsDir: config.migrationsDir,
          poolSize: config.databasePoolSize,
          itemCacheTtlMs: config.itemCacheTtlMs,
          lockConnections: config.pushConcurrency,
          onQuery: (sql, origin) => counter.increment(origin, sql),
        });
        logger.log(
          `${db.kind === 'postgres' ? 'PostgreSQL' : `embedded PGlite (${config.dataDir ?? 'in-memory'})`} ready; ` +
            `migrations applied: ${db.migrations.applied.length}, already applied: ${db.migrations.alreadyApplied.length}`,
        );
        return db;
      },
    },
    {
      provide: PrismaService,
      inject: [DATABASE],
      // Every service's queries carry the caller's tenant filter (TenantScope).
      useFactory: (db: Database) => withTenantScope(db.prisma, db.itemCache),
    },
    {
      provide: ItemReads,
      inject: [PrismaService, DATABASE],
      useFactory: (prisma: PrismaService, db: Database) => new ItemReads(prisma, db.itemCache),
    },
    {
      provide: CredentialCipher,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => {
        if (config.secretKey) return CredentialCipher.fromString(config.secretKey);
        if (!config.dataDir) return new CredentialCipher(randomBytes(32));
        const { key, created } = loadOrCreateKeyFile(join(config.dataDir, 'secret.key'));
        if (created) {
          new Logger('Secrets').warn(
            `SECRET_KEY unset: generated a key into ${join(config.dataDir, 'secret.key')} (mode 0600); back it up, ` +
              'and set SECRET_KEY explicitly when several replicas share one database',
          );
        }
        return CredentialCipher.fromString(key);
      },
    },
  ],
  exports: [DATABASE, PrismaService, ItemReads, CredentialCipher, QueryCounter],
})
export class DatabaseModule implements OnApplicationShutdown {
  constructor(@Inject(DATABASE) private readonly db: Database) {}

  async onApplicationShutdown(): Promise<void> {
    await this.db.close();
  }
}
