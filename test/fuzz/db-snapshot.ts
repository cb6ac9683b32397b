import { PrismaService } from '../../apps/api/src/database/prisma.service';
import type { TestApp } from '../utils/create-test-app';

/** Row count and content hash of one table. */
export type DbSnapshot = Record<string, { rows: number; hash: string }>;

/**
 * Columns left out of the hash, each with the reason it changes on requests that rightly fail:
 * - api_tokens.last_used_at: authentication records when a token was last presented (at most once a
 *   minute), before the request is validated; it is bookkeeping of the credential, not data the request
 *   asked to change.
 * Everything else in the application schema is compared, including the audit log and the idempotency keys
 * (a refused request must leave neither an audit entry nor a reserved key behind). The pg-boss queue lives in
 * its own schema (`pgboss`) and is not listed: its maintenance and cron loops write to it on timers,
 * independent of any request.
 */
const IGNORED_COLUMNS: Record<string, string[]> = { api_tokens: ['last_used_at'] };

/** Every base table of the application schema, read from the database itself so new tables are included. */
export async function applicationTables(t: TestApp): Promise<string[]> {
  const prisma = t.app.get(PrismaService);
  const rows = await prisma.$queryRawUnsafe<{ table_name: string }[]>(
    `SELECT table_name FROM information_schema.tables
      WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name`,
  );
  return rows.map((r) => r.table_name);
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

function quoteLiteral(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/** Snapshots taken and the time they took (printed with the run summary). */
export const snapshotStats = { count: 0, ms: 0 };

/** One query: per table, its row count and an md5 of its rows (as JSON, in a stable order). */
export async function snapshotDatabase(t: TestApp, tables: string[]): Promise<DbSnapshot> {
  const prisma = t.app.get(PrismaService);
  const parts = tables.map((table) => {
    const ignored = IGNORED_COLUMNS[table] ?? [];
    const row = ignored.reduce((expr, column) => `(${expr} - ${quoteLiteral(column)})`, 'to_jsonb(t)');
    return `SELECT ${quoteLiteral(table)} AS name, count(*)::int AS rows,
        md5(coalesce(string_agg(${row}::text, E'\\n' ORDER BY ${row}::text), '')) AS hash
      FROM ${quoteIdent(table)} t`;
  });
  const started = Date.now();
  const rows = await prisma.$queryRawUnsafe<{ name: string; rows: number; hash: string }[]>(
    parts.join('\nUNION ALL\n'),
  );
  snapshotStats.count += 1;
  snapshotStats.ms += Date.now() - started;
  const out: DbSnapshot = {};
  for (const r of rows) out[r.name] = { rows: Number(r.rows), hash: r.hash };
  return out;
}

/** Tables whose count or content differ, as "table: rows a → b" lines; empty when equal. */
export function diffSnapshots(before: DbSnapshot, after: DbSnapshot): string[] {
  const names = new Set([...Object.keys(before), ...Object.keys(after)]);
  const out: string[] = [];
  for (const name of [...names].sort()) {
    const a = before[name];
    const b = after[name];
    if (a?.hash === b?.hash && a?.rows === b?.rows) continue;
    out.push(
      `${name}: rows ${a?.rows ?? '-'} → ${b?.rows ?? '-'}${a?.rows === b?.rows ? ' (content changed)' : ''}`,
    );
  }
  return out;
}

/**
 * A snapshot taken once the database has stopped changing by itself (background work started by earlier
 * successful requests, such as a queued push failing to reach its device). Polls until two consecutive
 * snapshots agree; gives up after `attempts` and returns the last one (the comparison then decides).
 */
export async function settledSnapshot(t: TestApp, tables: string[], attempts = 20): Promise<DbSnapshot> {
  let previous = await snapshotDatabase(t, tables);
  for (let i = 0; i < attempts; i += 1) {
    await new Promise((resolve) => setTimeout(resolve, 25));
    const next = await snapshotDatabase(t, tables);
    const diff = diffSnapshots(previous, next);
    if (diff.length === 0) return next;
    if (process.env.FUZZ_LOG) console.log(`settling: ${diff.join('; ')}`);
    previous = next;
  }
  return previous;
}
