import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

export interface TestDatabase {
  /** Undefined → in-memory PGlite. */
  url: string | undefined;
  drop(): Promise<void>;
}

/**
 * With DATABASE_URL (or `base`) set, every caller gets its own freshly created PostgreSQL database on that server (so
 * test files can run in parallel, and bench sections never see each other's rows); without it, the embedded
 * in-memory PGlite is used.
 */
export async function provisionDatabase(
  base = process.env.DATABASE_URL,
  prefix = 'utm_test',
): Promise<TestDatabase> {
  if (!base) return { url: undefined, drop: () => Promise.resolve() };
  const name = `${prefix}_${process.pid}_${randomBytes(4).toString('hex')}`;
  await withAdmin(base, (admin) => admin.query(`CREATE DATABASE "${name}"`));
  const url = new URL(base);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: () =>
      withAdmin(base, (admin) => admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)).then(
        () => undefined,
      ),
  };
}

async function withAdmin<T>(url: string, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}
