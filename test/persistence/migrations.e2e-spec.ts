import { mkdtempSync, cpSync, rmSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyMigrations, openDatabase, readMigrations } from '@app/persistence';
import { provisionDatabase } from '../utils/test-database';

const migrationsDir = join(__dirname, '..', '..', 'prisma', 'migrations');

describe('migrations applied at start', () => {
  it('records each migration like Prisma Migrate and applies nothing twice', async () => {
    const target = await provisionDatabase();
    const db = await openDatabase({ url: target.url, migrationsDir });
    try {
      const files = readMigrations(migrationsDir);
      expect(db.migrations.applied).toEqual(files.map((f) => f.name));
      const rows = await db.sql.query<{
        migration_name: string;
        checksum: string;
        finished_at: Date | null;
        applied_steps_count: number;
      }>(
        'SELECT migration_name, checksum, finished_at, applied_steps_count FROM "_prisma_migrations" ORDER BY migration_name',
      );
      expect(rows.map((r) => [r.migration_name, r.checksum])).toEqual(files.map((f) => [f.name, f.checksum]));
      expect(rows.every((r) => r.finished_at !== null && r.applied_steps_count === 1)).toBe(true);
      expect(files.every((f) => /^[0-9a-f]{64}$/.test(f.checksum))).toBe(true);
      const again = await applyMigrations(db.sql, migrationsDir);
      expect(again).toEqual({ applied: [], alreadyApplied: files.map((f) => f.name) });
    } finally {
      await db.close();
      await target.drop();
    }
  });

  it('refuses to start when an applied migration was edited afterwards', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'utm-migrations-'));
    cpSync(migrationsDir, dir, { recursive: true });
    const target = await provisionDatabase();
    const db = await openDatabase({ url: target.url, migrationsDir: dir });
    try {
      const [first] = readMigrations(dir);
      appendFileSync(join(dir, first.name, 'migration.sql'), '\n-- edited\n');
      await expect(applyMigrations(db.sql, dir)).rejects.toThrow(/modified after it was applied/);
    } finally {
      await db.close();
      await target.drop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rolls back a failing migration entirely and records nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'utm-migrations-'));
    cpSync(migrationsDir, dir, { recursive: true });
    cpSync(join(migrationsDir, readMigrations(migrationsDir)[0].name), join(dir, '29991231000000_broken'), {
      recursive: true,
    });
    appendFileSync(join(dir, '29991231000000_broken', 'migration.sql'), '\nSELECT 1/0;\n');
    const target = await provisionDatabase();
    try {
      await expect(openDatabase({ url: target.url, migrationsDir: dir })).rejects.toThrow();
      const db = await openDatabase({ url: target.url, migrationsDir });
      try {
        expect(db.migrations.applied).toEqual(readMigrations(migrationsDir).map((f) => f.name));
      } finally {
        await db.close();
      }
    } finally {
      await target.drop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.skipIf(Boolean(process.env.DATABASE_URL))(
    'keeps embedded data across a restart on the same data directory',
    async () => {
      const dataDir = mkdtempSync(join(tmpdir(), 'utm-pglite-'));
      try {
        const first = await openDatabase({ dataDir, migrationsDir });
        await first.prisma.site.create({ data: { name: 'persisted' } });
        await first.close();
        const second = await openDatabase({ dataDir, migrationsDir });
        expect(second.migrations.applied).toEqual([]);
        expect((await second.prisma.site.findMany()).map((s) => s.name)).toEqual(['persisted']);
        await second.close();
      } finally {
        rmSync(dataDir, { recursive: true, force: true });
      }
    },
  );
});
