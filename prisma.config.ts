import { defineConfig } from 'prisma/config';

// The CLI only needs a URL for `migrate deploy/status` on a machine with a reachable database;
// the service itself never reads this file (it applies migrations at start, see MigrationRunner).
export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: { url: process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres' },
});
