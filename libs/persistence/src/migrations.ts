import { createHash, randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SqlExecutor } from './sql-executor';

export interface MigrationReport {
  applied: string[];
  alreadyApplied: string[];
}

export interface MigrationFile {
  name: string;
  sql: string;
  checksum: string;
}

// Same key Prisma Migrate takes, so the service and `prisma migrate deploy` never run concurrently.
const PRISMA_MIGRATE_ADVISORY_LOCK = 72707369;

// Exactly the table Prisma Migrate creates, so `prisma migrate status/deploy` agree with what we applied.
const CREATE_MIGRATIONS_TABLE = `
CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
)`;

export function readMigrations(dir: string): MigrationFile[] {
  if (!existsSync(dir)) throw new Error(`migrations directory not found: ${dir}`);
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(dir, entry.name, 'migration.sql')))
    .map((entry) => entry.name)
    .sort()
    .map((name) => {
      const sql = readFileSync(join(dir, name, 'migration.sql'), 'utf8');
      // Prisma's checksum: SHA-256 of the file's bytes, hex.
      return { name, sql, checksum: createHash('sha256').update(sql).digest('hex') };
    });
}

interface AppliedRow {
  migration_name: string;
  checksum: string;
  finished_at: Date | string | null;
  rolled_back_at: Date | string | null;
}

/**
 * Applies pending migrations in order, each in its own transaction, recording them in
 * `_prisma_migrations`. Refuses to start when an applied migration was edited afterwards or a
 * previous attempt failed half-way, as `prisma migrate deploy` does.
 */
export async function applyMigrations(sql: SqlExecutor, dir: string): Promise<MigrationReport> {
  const files = readMigrations(dir);
  return sql.transaction(async (tx) => {
    // Transaction-scoped lock: replicas starting together migrate one after another.
    await tx.query('SELECT pg_advisory_xact_lock($1)', [PRISMA_MIGRATE_ADVISORY_LOCK]);
    await tx.exec(CREATE_MIGRATIONS_TABLE);
    const rows = await tx.query<AppliedRow>(
      'SELECT migration_name, checksum, finished_at, rolled_back_at FROM "_prisma_migrations"',
    );
    const applied = new Map<string, AppliedRow>();
    for (const row of rows) {
      if (row.rolled_back_at) continue;
      if (!row.finished_at) {
        throw new Error(
          `migration ${row.migration_name} started but did not finish; resolve it (prisma migrate resolve) before starting`,
        );
      }
      applied.set(row.migration_name, row);
    }
    const report: MigrationReport = { applied: [], alreadyApplied: [] };
    for (const file of files) {
      const done = applied.get(file.name);
      if (done) {
        if (done.checksum !== file.checksum) {
          throw new Error(`migration ${file.name} was modified after it was applied (checksum mismatch)`);
        }
        report.alreadyApplied.push(file.name);
        continue;
      }
      await tx.exec(file.sql);
      await tx.query(
        `INSERT INTO "_prisma_migrations" (id, checksum, finished_at, migration_name, logs, started_at, applied_steps_count)
         VALUES ($1, $2, now(), $3, NULL, now(), 1)`,
        [randomUUID(), file.checksum, file.name],
      );
      report.applied.push(file.name);
    }
    return report;
  });
}
