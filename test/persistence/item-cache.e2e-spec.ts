import { type Database, openDatabase, UNCACHED_TABLES } from '@app/persistence';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASE } from '../../apps/api/src/database/database.module';
import { PrismaService } from '../../apps/api/src/database/prisma.service';
import { QueryCounter } from '../../apps/api/src/database/query-counter';
import { waitFor } from '../pushes/push-helpers';
import { createTestApp, type TestApp } from '../utils/create-test-app';
import { create } from '../utils/fixtures';

/**
 * The item cache (ItemCache): a row read by id is served from memory, and every way a row can change (a write
 * through the service, SQL outside Prisma, another process sharing the database) is seen by the next read.
 */
describe('item cache', () => {
  let t: TestApp;
  let db: Database;
  let counter: QueryCounter;
  let reader: string;

  beforeAll(async () => {
    t = await createTestApp();
    db = t.app.get<Database>(DATABASE);
    counter = t.app.get(QueryCounter);
    reader = await t.token(['read']);
  });

  afterAll(async () => {
    await t?.close();
  });

  async function createSite(name: string): Promise<string> {
    const res = await t.http().post('/api/v1/sites').send({ name });
    expect(res.status).toBe(201);
    return (res.body as { id: string }).id;
  }

  async function readSite(
    id: string,
  ): Promise<{ name: string; description: string | null; queries: number }> {
    const before = counter.value;
    const res = await t.as(reader).get(`/api/v1/sites/${id}`);
    expect(res.status).toBe(200);
    const body = res.body as { name: string; description: string | null };
    return { name: body.name, description: body.description, queries: counter.value - before };
  }

  /**
   * Reads `id` until a read costs no SQL (bounded). A write's announcement reaches the listening connection a
   * moment after its commit, and work the write set off in the background may write too; either empties the cache
   * after the first read stored the row, so "the second read is free" would race them on PostgreSQL.
   */
  function cachedRead(id: string): Promise<{ name: string; queries: number }> {
    return waitFor(
      () => readSite(id),
      (read) => read.queries === 0,
      1_000,
      'a read served from the cache',
    );
  }

  it('serves a repeated read by id without SQL', async () => {
    const id = await createSite('cache-repeat');
    const again = await cachedRead(id);
    expect(again.name).toBe('cache-repeat');
    // The token is cached too: nothing at all reaches the database.
    expect(again.queries).toBe(0);
  });

  it("sees the service's own write at once", async () => {
    const id = await createSite('cache-own-write');
    await readSite(id);
    const patch = await t.http().patch(`/api/v1/sites/${id}`).send({ description: 'changed here' });
    expect(patch.status).toBe(200);
    expect((await readSite(id)).description).toBe('changed here');
  });

  it('sees SQL sent outside Prisma', async () => {
    const id = await createSite('cache-raw-sql');
    await readSite(id);
    await db.sql.query(`UPDATE "sites" SET "description" = 'changed by SQL' WHERE "id" = $1`, [id]);
    expect((await readSite(id)).description).toBe('changed by SQL');
  });

  it('keeps nothing read while a transaction is open, and reads inside it reach the database', async () => {
    const id = await createSite('cache-transaction');
    await readSite(id);
    await db.prisma.$transaction(async (tx) => {
      await tx.site.update({ where: { id }, data: { description: 'inside' } });
      expect(db.itemCache.size).toBe(0);
      const inside = await tx.site.findUnique({ where: { id } });
      expect(inside?.description).toBe('inside');
    });
    expect((await readSite(id)).description).toBe('inside');
  });

  it('hands out copies: changing an answer does not change the cache', async () => {
    const id = await createSite('cache-copies');
    await readSite(id);
    // Through the client the services use.
    const scoped = t.app.get(PrismaService);
    const first = await scoped.site.findUnique({ where: { id } });
    first!.name = 'mutated by a caller';
    expect((await scoped.site.findUnique({ where: { id } }))?.name).toBe('cache-copies');
  });

  it("answers a token limited to tenants from the database: a row cached by a provider read stays another tenant's", async () => {
    const tenant = async (name: string): Promise<string> => {
      const res = await t.http().post('/api/v1/tenants').send({ name });
      expect(res.status).toBe(201);
      return (res.body as { id: string }).id;
    };
    const [mine, theirs] = [await tenant('cache-tenant-mine'), await tenant('cache-tenant-theirs')];
    const created = await t
      .http()
      .post('/api/v1/sites')
      .send({ name: 'cache-tenant-site', tenantId: theirs });
    expect(created.status).toBe(201);
    const id = (created.body as { id: string }).id;
    const limited = async (tenantId: string): Promise<string> => {
      const res = await t
        .http()
        .post('/api/v1/tokens')
        .send({ name: `cache-limited-${tenantId}`, scopes: ['read'], tenantIds: [tenantId] });
      expect(res.status).toBe(201);
      return (res.body as { token: string }).token;
    };
    // Tokens first: creating one is a write, which would empty the cache the provider's read is to fill.
    const [mineToken, theirsToken] = [await limited(mine), await limited(theirs)];
    const readAs = async (token: string): Promise<{ status: number; name?: string; queries: number }> => {
      const before = counter.value;
      const res = await t.as(token).get(`/api/v1/sites/${id}`);
      return {
        status: res.status,
        name: (res.body as { name?: string }).name,
        queries: counter.value - before,
      };
    };
    // Once each, so their tokens are cached and any SQL below is the site read's own.
    await readAs(mineToken);
    await readAs(theirsToken);
    expect((await cachedRead(id)).queries).toBe(0);
    const other = await readAs(mineToken);
    expect(other).toMatchObject({ status: 404 });
    expect(other.queries).toBeGreaterThan(0);
    const own = await readAs(theirsToken);
    expect(own).toMatchObject({ status: 200, name: 'cache-tenant-site' });
    expect(own.queries).toBeGreaterThan(0);
  });

  it('has a row_changes trigger on every application table but the operational ones it never keeps', async () => {
    const rows = await db.sql.query<{ table: string; triggered: boolean }>(
      `SELECT t.tablename AS "table",
              EXISTS (SELECT 1 FROM pg_trigger g JOIN pg_class c ON c.oid = g.tgrelid
                      WHERE c.relname = t.tablename AND g.tgname = t.tablename || '_notify_change') AS "triggered"
       FROM pg_tables t WHERE t.schemaname = current_schema() AND t.tablename <> '_prisma_migrations'`,
    );
    expect(rows.length).toBeGreaterThan(20);
    expect(
      rows
        .filter((row) => !row.triggered)
        .map((row) => row.table)
        .sort(),
    ).toEqual(Object.values(UNCACHED_TABLES).sort());
  });

  it('never keeps an operational row: a push read by id reaches the database every time', async () => {
    const site = await createSite('cache-push-site');
    const device = await create(t, 'devices', {
      siteId: site,
      name: 'cache-push-fw',
      vendor: 'pfsense',
      managementUrl: 'https://10.9.0.1',
      credentials: { apiKey: 'pfsense-secret-key-123' },
      interfaces: [{ name: 'wan', external: true }],
    });
    const push = await t.app.get(PrismaService).push.create({
      data: { deviceId: device.id, trigger: 'manual', actor: 'item cache test' },
    });
    const readPush = async (): Promise<number> => {
      const before = counter.value;
      const res = await t.as(reader).get(`/api/v1/pushes/${push.id}`);
      expect(res.status).toBe(200);
      expect((res.body as { id: string }).id).toBe(push.id);
      return counter.value - before;
    };
    await readPush();
    expect(await readPush()).toBeGreaterThan(0);
    // The same reader's repeated site read, for contrast: the cache is on and serving.
    expect((await cachedRead(site)).queries).toBe(0);
  });

  // Two processes share a database only on PostgreSQL (PGlite belongs to one process). Two Database instances
  // stand for two replicas; neither runs the service, so nothing but the notification can empty A's cache.
  it.runIf(Boolean(process.env.DATABASE_URL))(
    "forgets rows once another replica's commit is announced",
    async () => {
      const id = await createSite('cache-replica');
      const open = (): Promise<Database> =>
        openDatabase({ url: t.database.url, migrationsDir: join(__dirname, '../../prisma/migrations') });
      const [a, b] = await Promise.all([open(), open()]);
      try {
        const load = () => a.prisma.site.findUnique({ where: { id } });
        // Bounded wait for A's listening connection (the cache stores nothing before it listens).
        for (let i = 0; i < 100 && a.itemCache.size === 0; i++) {
          await a.itemCache.read(`Site:${id}`, load);
          if (a.itemCache.size === 0) await new Promise((resolve) => setTimeout(resolve, 20));
        }
        expect(a.itemCache.size).toBe(1);
        await b.prisma.site.update({ where: { id }, data: { description: 'changed by a replica' } });
        for (let i = 0; i < 100 && a.itemCache.size > 0; i++)
          await new Promise((resolve) => setTimeout(resolve, 20));
        expect(a.itemCache.size).toBe(0);
        const row = await a.itemCache.read(`Site:${id}`, load);
        expect(row?.description).toBe('changed by a replica');
      } finally {
        await Promise.all([a.close(), b.close()]);
      }
    },
  );
});
