import { PGlite } from '@electric-sql/pglite';
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { Client, escapeLiteral, Pool, type QueryResult } from 'pg';
import { PrismaClient } from './generated/prisma/client';
import { isReadStatement, ItemCache, ROW_CHANGES_CHANNEL } from './item-cache';
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
  /**
   * Called once per SQL statement sent on the service's behalf: by the Prisma client (`prisma`), by libraries
   * bringing their own SQL through `executeSql` (`queue`), and for the advisory locks (`lock`). Tests and the
   * bench count queries with it. A multi-statement script sent as one text counts once.
   */
  onQuery?: (sql: string, origin: QueryOrigin) => void;
  /** How long a row read by id may be served from memory at most (see ItemCache); 0 turns the cache off. */
  itemCacheTtlMs?: number;
  /**
   * Advisory-lock connections opened at start and kept open (PostgreSQL): one per push the instance runs at once.
   * A fleet push's first wave otherwise waits for PostgreSQL to start that many backends at the same moment (about
   * 100 ms for 25 on a 2-core machine), and so does every push after the connections idled out. More are opened
   * on demand and closed after 10 s idle.
   */
  lockConnections?: number;
}

/** Backstop of the item cache: notifications normally empty it within milliseconds of another process's commit. */
const DEFAULT_ITEM_CACHE_TTL_MS = 10_000;

/**
 * Prisma's other formats capture a stack (`new Error()`) on every query to point its messages at the calling line.
 * The service maps Prisma errors by code and meta, never by message text.
 */
const ERROR_FORMAT = 'minimal';

export type QueryOrigin = 'prisma' | 'queue' | 'lock';

export interface Database {
  kind: DatabaseKind;
  prisma: PrismaClient;
  /** Raw SQL outside Prisma: migrations, health checks, advisory locks. */
  sql: SqlExecutor;
  migrations: MigrationReport;
  /** Rows read by id, served without a round trip while no write can have changed them (see ItemCache). */
  itemCache: ItemCache;
  /**
   * Driver-level SQL for libraries that bring their own statements (the job queue): text without values may
   * hold several statements; the result is the last statement's rows. They write only their own schema, so the
   * item cache does not watch them.
   */
  executeSql(text: string, values?: unknown[]): Promise<{ rows: unknown[] }>;
  /**
   * Takes a PostgreSQL session advisory lock on `key`, waiting for it while another session holds it (`wait`), or
   * answering null at once (`wait: false`). The lock lives on a dedicated connection, so it is released when the
   * process dies. On PGlite (one process owns the database) the lease is granted at once: callers serialise
   * in-process.
   */
  advisoryLock(key: string, options: LockOptions): Promise<AdvisoryLease | null>;
  close(): Promise<void>;
}

export type LockOptions =
  | {
      wait: true;
      /**
       * A statement run as soon as the lock is granted, in the same round trip: it sees every commit made before
       * the grant (its own snapshot), and its rows are the lease's. On PostgreSQL both statements travel as one
       * simple-protocol text, the only way to send two in one round trip, so `values` ($1, $2, …) are inlined as
       * quoted literals: strings or null only. Counted as a statement of its own, and treated as a write by the
       * item cache.
       */
      statement?: { text: string; values: (string | null)[] };
    }
  | { wait: false };

export interface AdvisoryLease {
  /** The rows of the lock's `statement` (empty without one). */
  rows: unknown[];
  /**
   * Gives the lock back; settles (never rejects) once no session of this process holds it any more. Callers that
   * only need their own work done need not wait for it: another session waiting for the lock gets it when the
   * unlock arrives either way (see DeviceLocks).
   */
  release(): Promise<void>;
}

export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  return options.url ? openPostgres(options, options.url) : openPglite(options);
}

async function openPostgres(options: DatabaseOptions, url: string): Promise<Database> {
  const pool = new Pool({ connectionString: url, max: options.poolSize ?? 10 });
  // An idle client erroring (e.g. PostgreSQL restarting) must not crash the process.
  pool.on('error', () => undefined);
  const itemCache = new ItemCache(options.itemCacheTtlMs ?? DEFAULT_ITEM_CACHE_TTL_MS);
  const sql: SqlExecutor = watchWrites(itemCache, {
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
  });
  let rowChanges: RowChangeListener | null = null;
  try {
    const migrations = await applyMigrations(sql, options.migrationsDir);
    const prisma = new PrismaClient({
      adapter: withStatementHooks(new PrismaPg(pool), itemCache, options.onQuery),
      errorFormat: ERROR_FORMAT,
    });
    if (itemCache.enabled) rowChanges = listenForRowChanges(url, itemCache);
    // Lock holders keep a connection for the whole critical section; a pool of their own keeps them from
    // starving the queries the critical section itself runs.
    const lockConnections = options.lockConnections ?? 0;
    const lockPool = new Pool({
      connectionString: url,
      max: 100,
      min: lockConnections,
      idleTimeoutMillis: 10_000,
    });
    lockPool.on('error', () => undefined);
    // In the background: start-up does not wait for it, and a lock asked for meanwhile opens its own connection.
    void warm(lockPool, lockConnections);
    async function advisoryLock(key: string, lock: LockOptions): Promise<AdvisoryLease | null> {
      const client = await lockPool.connect();
      const lockQuery = <R extends object>(text: string) => {
        options.onQuery?.(text, 'lock');
        return client.query<R>(text, [key]);
      };
      let rows: unknown[] = [];
      try {
        if (lock.wait && lock.statement) {
          const { statement } = lock;
          const text = 'SELECT pg_advisory_lock(hashtextextended($1, 0))';
          options.onQuery?.(text, 'lock');
          options.onQuery?.(statement.text, 'lock');
          const script = `${inlineValues(text, [key])};\n${inlineValues(statement.text, statement.values)}`;
          // pg answers a multi-statement text with one result per statement.
          const results = (await itemCache.write(() => client.query(script))) as unknown as QueryResult[];
          rows = results[1]?.rows ?? [];
        } else if (lock.wait) await lockQuery('SELECT pg_advisory_lock(hashtextextended($1, 0))');
        else {
          const { rows } = await lockQuery<{ locked: boolean }>(
            'SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS locked',
          );
          if (!rows[0]?.locked) {
            client.release();
            return null;
          }
        }
      } catch (error) {
        // A connection that may hold the lock is destroyed rather than reused.
        client.release(true);
        throw error;
      }
      let released: Promise<void> | null = null;
      return {
        rows,
        release: () =>
          (released ??= lockQuery('SELECT pg_advisory_unlock(hashtextextended($1, 0))').then(
            () => client.release(),
            () => client.release(true),
          )),
      };
    }
    return {
      kind: 'postgres',
      prisma,
      sql,
      migrations,
      itemCache,
      async executeSql(text, values) {
        options.onQuery?.(text, 'queue');
        // pg answers a multi-statement text with one result per statement.
        const result = (await pool.query(text, values)) as unknown as QueryResult | QueryResult[];
        const last = Array.isArray(result) ? result[result.length - 1] : result;
        return { rows: last?.rows ?? [] };
      },
      advisoryLock,
      async close() {
        await rowChanges?.close();
        await prisma.$disconnect();
        await lockPool.end();
        await pool.end();
      },
    };
  } catch (error) {
    await rowChanges?.close();
    await pool.end();
    throw error;
  }
}

/** Opens `count` connections of `pool` at once and returns them to it; failures are left to the first real use. */
async function warm(pool: Pool, count: number): Promise<void> {
  const opened = await Promise.allSettled(Array.from({ length: count }, () => pool.connect()));
  for (const result of opened) if (result.status === 'fulfilled') result.value.release();
}

async function openPglite(options: DatabaseOptions): Promise<Database> {
  const pglite = options.dataDir ? new PGlite(options.dataDir) : new PGlite();
  await pglite.waitReady;
  const itemCache = new ItemCache(options.itemCacheTtlMs ?? DEFAULT_ITEM_CACHE_TTL_MS);
  const sql: SqlExecutor = watchWrites(itemCache, {
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
  });
  try {
    const migrations = await applyMigrations(sql, options.migrationsDir);
    const prisma = new PrismaClient({
      adapter: withStatementHooks(new PrismaPGlite(pglite), itemCache, options.onQuery),
      errorFormat: ERROR_FORMAT,
    });
    // One process owns a PGlite database, but SQL it runs outside Prisma (a test's raw UPDATE) is announced too.
    if (itemCache.enabled) {
      await pglite.listen(ROW_CHANGES_CHANNEL, () => itemCache.invalidate());
      itemCache.setListening(true);
    }
    return {
      kind: 'pglite',
      prisma,
      sql,
      migrations,
      itemCache,
      async executeSql(text, values) {
        options.onQuery?.(text, 'queue');
        if (values && values.length > 0) return { rows: (await pglite.query(text, values)).rows };
        // Parameterless text may be a whole script (e.g. BEGIN; ...; COMMIT;), which only exec accepts.
        const results = await pglite.exec(text);
        return { rows: results[results.length - 1]?.rows ?? [] };
      },
      async advisoryLock(_key, lock) {
        if (!lock.wait || !lock.statement) return GRANTED;
        options.onQuery?.(lock.statement.text, 'lock');
        return { ...GRANTED, rows: await sql.query(lock.statement.text, lock.statement.values) };
      },
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

/** PGlite's lease: one process owns the database, so there is no one to exclude. */
const GRANTED: AdvisoryLease = { rows: [], release: () => Promise.resolve() };

/** `text` with its $n placeholders replaced by quoted literals (for the simple query protocol). */
function inlineValues(text: string, values: (string | null)[]): string {
  return text.replace(/\$(\d+)/g, (placeholder, n: string) => {
    const index = Number(n) - 1;
    if (index < 0 || index >= values.length) throw new Error(`no value for ${placeholder}`);
    const value = values[index];
    return value === null ? 'NULL' : escapeLiteral(value);
  });
}

interface Queryable {
  queryRaw(query: { sql: string }): Promise<unknown>;
  executeRaw(query: { sql: string }): Promise<unknown>;
}

interface HookableTransaction extends Queryable {
  commit(): Promise<void>;
  rollback(): Promise<void>;
}

interface HookableConnection extends Queryable {
  startTransaction(...args: unknown[]): Promise<HookableTransaction>;
}

interface HookableFactory {
  connect(): Promise<unknown>;
}

type Run = <R>(sql: string, send: () => Promise<R>) => Promise<R>;

function hookStatements(target: Queryable, run: Run): void {
  const queryRaw = target.queryRaw.bind(target);
  const executeRaw = target.executeRaw.bind(target);
  target.queryRaw = (query) => run(query.sql, () => queryRaw(query));
  target.executeRaw = (query) => run(query.sql, () => executeRaw(query));
}

/**
 * Wraps a driver adapter factory so every statement Prisma sends is reported to `onQuery`, and the item cache
 * learns of each write: a statement outside a transaction that is not a SELECT, and each transaction from its
 * start to its commit or rollback (Prisma ends every transaction with one of the two).
 */
function withStatementHooks<F extends HookableFactory>(
  factory: F,
  cache: ItemCache,
  onQuery?: (sql: string, origin: QueryOrigin) => void,
): F {
  const connect = factory.connect.bind(factory);
  factory.connect = async () => {
    const connection = (await connect()) as HookableConnection;
    hookStatements(connection, (sql, send) => {
      onQuery?.(sql, 'prisma');
      return isReadStatement(sql) ? send() : cache.write(send);
    });
    const startTransaction = connection.startTransaction.bind(connection);
    connection.startTransaction = async (...args: unknown[]) => {
      const end = cache.beginWrite();
      let tx: HookableTransaction;
      try {
        tx = await startTransaction(...args);
      } catch (error) {
        end();
        throw error;
      }
      // The adapter sends BEGIN itself, before the transaction object (and so the hook) exists.
      onQuery?.('BEGIN', 'prisma');
      hookStatements(tx, (sql, send) => {
        onQuery?.(sql, 'prisma');
        return send();
      });
      const commit = tx.commit.bind(tx);
      const rollback = tx.rollback.bind(tx);
      tx.commit = () => commit().finally(end);
      tx.rollback = () => rollback().finally(end);
      return tx;
    };
    return connection;
  };
  return factory;
}

/** The raw SQL executor with its writes (anything but a SELECT; every transaction) announced to the item cache. */
function watchWrites(cache: ItemCache, sql: SqlExecutor): SqlExecutor {
  return {
    exec: (text) => cache.write(() => sql.exec(text)),
    query: <T>(text: string, params?: unknown[]) =>
      isReadStatement(text) ? sql.query<T>(text, params) : cache.write(() => sql.query<T>(text, params)),
    transaction: (work) => cache.write(() => sql.transaction(work)),
  };
}

interface RowChangeListener {
  close(): Promise<void>;
}

const LISTEN_RETRY_MS = 1_000;

/**
 * A dedicated PostgreSQL connection that LISTENs for `row_changes` (sent at commit by every application table's
 * statement trigger, whichever process wrote) and empties the item cache on each. The cache serves only while
 * this connection is listening: when it drops, the cache is off until a new one listens again.
 */
function listenForRowChanges(url: string, cache: ItemCache): RowChangeListener {
  let client: Client | null = null;
  let retry: NodeJS.Timeout | null = null;
  let closed = false;
  const lost = (failed: Client): void => {
    if (client !== failed) return;
    client = null;
    cache.setListening(false);
    void failed.end().catch(() => undefined);
    if (!closed) retry = setTimeout(start, LISTEN_RETRY_MS).unref();
  };
  const start = (): void => {
    retry = null;
    const next = new Client({ connectionString: url, keepAlive: true });
    client = next;
    next.on('error', () => lost(next));
    next.on('end', () => lost(next));
    next.on('notification', () => cache.invalidate());
    next
      .connect()
      .then(() => next.query(`LISTEN ${ROW_CHANGES_CHANNEL}`))
      .then(
        () => {
          if (client === next && !closed) cache.setListening(true);
        },
        () => lost(next),
      );
  };
  start();
  return {
    async close() {
      closed = true;
      if (retry) clearTimeout(retry);
      cache.setListening(false);
      const current = client;
      client = null;
      await current?.end().catch(() => undefined);
    },
  };
}
