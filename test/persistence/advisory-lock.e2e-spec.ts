import { join } from 'node:path';
import { type Database, openDatabase } from '@app/persistence';
import { provisionDatabase, type TestDatabase } from '../utils/test-database';

const MIGRATIONS = join(process.cwd(), 'prisma/migrations');

/**
 * Database.advisoryLock with a statement: the statement runs once the lock is granted, in the lock's round trip,
 * and must see what the previous holder committed before letting go (the push claim reads the device's pending
 * state that way).
 */
describe('advisory lock followed by a statement', () => {
  let database: TestDatabase;
  let a: Database;

  beforeAll(async () => {
    database = await provisionDatabase();
    a = await openDatabase({ url: database.url, migrationsDir: MIGRATIONS });
    await a.sql.exec('CREATE TABLE lock_probe (v int NOT NULL); INSERT INTO lock_probe VALUES (0)');
  });
  afterAll(async () => {
    await a?.close();
    await database?.drop();
  });

  it('hands over the rows of the statement, its values quoted', async () => {
    const lease = await a.advisoryLock('probe-rows', {
      wait: true,
      statement: {
        text: 'SELECT v, $1::text AS tag, $2::text AS none FROM lock_probe',
        values: ["it's", null],
      },
    });
    expect(lease?.rows).toEqual([{ v: 0, tag: "it's", none: null }]);
    await lease?.release();
  });

  // Two sessions need PostgreSQL; PGlite belongs to one process and grants the lock at once.
  it.skipIf(!process.env.DATABASE_URL)(
    'runs the statement after the holder let go, and it sees what the holder committed',
    async () => {
      const b = await openDatabase({ url: database.url, migrationsDir: MIGRATIONS });
      try {
        const held = await a.advisoryLock('probe-order', { wait: true });
        let granted = false;
        const waiting = b
          .advisoryLock('probe-order', {
            wait: true,
            statement: { text: 'SELECT v FROM lock_probe', values: [] },
          })
          .then((lease) => {
            granted = true;
            return lease;
          });
        await new Promise((r) => setTimeout(r, 200));
        expect(granted).toBe(false);
        await a.sql.query('UPDATE lock_probe SET v = 1');
        await held?.release();
        const lease = await waiting;
        expect(lease?.rows).toEqual([{ v: 1 }]);
        // Held by b now: a cannot have it until b lets go.
        expect(await a.advisoryLock('probe-order', { wait: false })).toBeNull();
        await lease?.release();
        const again = await a.advisoryLock('probe-order', { wait: false });
        expect(again).not.toBeNull();
        await again?.release();
      } finally {
        await b.close();
      }
    },
    30_000,
  );
});
