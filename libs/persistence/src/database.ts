import { PGlite } from '@electric-sql/pglite';
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { Pool } from 'pg';
import { PrismaClient } from './generated/prisma/client';
import { applyMigrations, type MigrationReport } from './migrations';
import type { SqlExecutor } from './sql-executor';

export type DatabaseKind = 'postgres' | 'pglite';

export interface DatabaseOptions {
  /** `postgres://…` selects PostgreSQL; unset selects the embedded PGlite. */
  url?: string;
  /** PGlite data directory; unset means in-memory (tests). */
  dataDir?: string;
  migrationsDir: string;
  /** Pool size for PostgreSQL. */
  poolSize?: number;
  /** Called once per SQL statement the Prisma client sends (used by tests to count queries). */
  onQuery?: (sql: string) => void;
}

export interface Database {
  kind: DatabaseKind;
  prisma: PrismaClient;
  /** Raw SQL outside Prisma: migrations, health checks, advisory locks. */
  sql: SqlExecutor;
  migrations: MigrationReport;
  close(): Promise<void>;
}

export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  return options.url ? openPostgres(options, options.url) : openPglite(options);
}

async function openPostgres(options: DatabaseOptions, url: string): Promise<Database> {
  const pool = new Pool({ connectionString: url, max: options.poolSize ?? 10 });
  // An idle client erroring (e.g. PostgreSQL restarting) must not crash the process.
  pool.on('error', () => undefined);
  const sql: SqlExecutor = {
    async exec(text) {
      await pool.query(text);
    },
    async query<T>(text: string, params: unknown[] = []) {
      const result = await pool.query(text, params);
      return result.rows as T[];
    },
    async transaction(work) {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const tx: SqlExecutor = {
          exec: async (text) => void (await client.query(text)),
          query: async <T>(text: string, params: unknown[] = []) =>
            (await client.query(text, params)).rows as T[],
          transaction: () => Promise.reject(new Error('nested transactions are not supported')),
        };
        const out = await work(tx);
        await client.query('COMMIT');
        return out;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
    },
  };
  try {
    const migrations = await applyMigrations(sql, options.migrationsDir);
    const prisma = new PrismaClient({ adapter: withQueryHook(new PrismaPg(pool), options.onQuery) });
    return {
      kind: 'postgres',
      prisma,
      sql,
      migrations,
      async close() {
        await prisma.$disconnect();
        await pool.end();
      },
    };
  } catch (error) {
    await pool.end();
    throw error;
  }
}

async function openPglite(options: DatabaseOptions): Promise<Database> {
  const pglite = options.dataDir ? new PGlite(options.dataDir) : new PGlite();
  await pglite.waitReady;
  const sql: SqlExecutor = {
    async exec(text) {
      await pglite.exec(text);
    },
    async query<T>(text: string, params: unknown[] = []) {
      const result = await pglite.query<T>(text, params);
      return result.rows;
    },
    transaction(work) {
      return pglite.transaction((tx) =>
        work({
          exec: async (text) => void (await tx.exec(text)),
          query: async <T>(text: string, params: unknown[] = []) => (await tx.query<T>(text, params)).rows,
          transaction: () => Promise.reject(new Error('nested transactions are not supported')),
        }),
      );
    },
  };
  try {
    const migrations = await applyMigrations(sql, options.migrationsDir);
    const prisma = new PrismaClient({ adapter: withQueryHook(new PrismaPGlite(pglite), options.onQuery) });
    return {
      kind: 'pglite',
      prisma,
      sql,
      migrations,
      async close() {
        await prisma.$disconnect();
        await pglite.close();
      },
    };
  } catch (error) {
    await pglite.close();
    throw error;
  }
}

interface Hookable {
  queryRaw(query: { sql: string }): Promise<unknown>;
  executeRaw(query: { sql: string }): Promise<unknown>;
}

interface HookableConnection extends Hookable {
  startTransaction(...args: unknown[]): Promise<Hookable>;
}

interface HookableFactory {
  connect(): Promise<unknown>;
}

function hook<T>(adapter: T, onQuery: (sql: string) => void): T {
  const target = adapter as unknown as Hookable;
  const queryRaw = target.queryRaw.bind(target);
  const executeRaw = target.executeRaw.bind(target);
  target.queryRaw = (query) => {
    onQuery(query.sql);
    return queryRaw(query);
  };
  target.executeRaw = (query) => {
    onQuery(query.sql);
    return executeRaw(query);
  };
  return adapter;
}

/** Wraps a driver adapter factory so every statement Prisma sends is reported to `onQuery`. */
function withQueryHook<F extends HookableFactory>(factory: F, onQuery?: (sql: string) => void): F {
  if (!onQuery) return factory;
  const connect = factory.connect.bind(factory);
  factory.connect = async () => {
    const connection = (await connect()) as HookableConnection;
    const startTransaction = connection.startTransaction.bind(connection);
    connection.startTransaction = async (...args: unknown[]) =>
      hook(await startTransaction(...args), onQuery);
    return hook(connection, onQuery);
  };
  return factory;
}
