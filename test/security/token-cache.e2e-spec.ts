import { TokensService } from '../../apps/api/src/auth/tokens.service';
import { PrismaService } from '../../apps/api/src/database/prisma.service';
import { QueryCounter } from '../../apps/api/src/database/query-counter';
import { createReplica, type Replica } from '../pushes/replica';
import { createTestApp, type TestApp } from '../utils/create-test-app';

async function createToken(t: TestApp, name: string, extra: Record<string, unknown> = {}) {
  const res = await t
    .http()
    .post('/api/v1/tokens')
    .send({ name, scopes: ['read'], ...extra })
    .expect(201);
  return res.body as { id: string; token: string };
}

describe('token verification from memory', () => {
  let t: TestApp;
  let siteId: string;

  beforeAll(async () => {
    // A TTL far longer than the tests: whatever they see of revocation and expiry is not the TTL running out.
    // The item cache is off so the site read below counts as the one statement a request sends besides the token.
    t = await createTestApp({ tokenCacheTtlMs: 60_000, itemCacheTtlMs: 0 });
    siteId = (await t.http().post('/api/v1/sites').send({ name: 'cache-probe' }).expect(201)).body.id;
  });
  afterAll(() => t.close());

  it('reads a token from the database once, not on every request', async () => {
    const { token } = await createToken(t, 'hot-path');
    await t.as(token).get(`/api/v1/sites/${siteId}`).expect(200);
    // Its last use is written once, in the background; written now so it does not land in the count below.
    await t.app.get(TokensService).writeLastUse();
    const counter = t.app.get(QueryCounter);
    const before = counter.value;
    for (let i = 0; i < 5; i++) await t.as(token).get(`/api/v1/sites/${siteId}`).expect(200);
    // One statement per request: the site. The token (and its tenants) were read by the first request only.
    expect(counter.value - before).toBe(5);
  });

  it('refuses a revoked token at once on the instance that revoked it (REST and GraphQL)', async () => {
    const rest = await createToken(t, 'revoked-rest');
    await t.as(rest.token).get('/api/v1/sites').expect(200);
    await t.http().delete(`/api/v1/tokens/${rest.id}`).expect(200);
    const refused = await t.as(rest.token).get('/api/v1/sites').expect(401);
    expect(refused.body.code).toBe('UNAUTHENTICATED');
    expect(
      (await t.gql('{ sites { totalCount } }', undefined, rest.token)).errors?.[0]?.extensions?.code,
    ).toBe('UNAUTHENTICATED');

    const gql = await createToken(t, 'revoked-gql');
    expect((await t.gql('{ sites { totalCount } }', undefined, gql.token)).errors).toBeUndefined();
    const revoked = await t.gql(`mutation { revokeApiToken(id: "${gql.id}") { revokedAt } }`);
    expect(revoked.errors).toBeUndefined();
    expect(
      (await t.gql('{ sites { totalCount } }', undefined, gql.token)).errors?.[0]?.extensions?.code,
    ).toBe('UNAUTHENTICATED');
    await t.as(gql.token).get('/api/v1/sites').expect(401);
  });

  it('refuses a token the moment it expires although its row is still cached', async () => {
    const expiresAt = Date.now() + 1_500;
    const { token } = await createToken(t, 'expiring', { expiresAt: new Date(expiresAt).toISOString() });
    await t.as(token).get('/api/v1/sites').expect(200);
    await new Promise((r) => setTimeout(r, Math.max(0, expiresAt - Date.now()) + 20));
    await t.as(token).get('/api/v1/sites').expect(401);
  });

  it('reports the last use noted in memory before it is written', async () => {
    const { id, token } = await createToken(t, 'last-use');
    const used = Date.now();
    await t.as(token).get('/api/v1/sites').expect(200);
    const shown = (await t.http().get(`/api/v1/tokens/${id}`).expect(200)).body.lastUsedAt as string;
    expect(Date.parse(shown)).toBeGreaterThanOrEqual(used - 1_000);
    await t.app.get(TokensService).writeLastUse();
    const row = await t.app.get(PrismaService).apiToken.findUniqueOrThrow({ where: { id } });
    expect(row.lastUsedAt?.toISOString()).toBe(shown);
  });
});

// Replicas need one shared PostgreSQL; the embedded PGlite belongs to one process.
describe.skipIf(!process.env.DATABASE_URL)('token revocation across replicas', () => {
  const TTL_MS = 1_000;
  let t: TestApp;
  let replica: Replica;

  beforeAll(async () => {
    t = await createTestApp({ tokenCacheTtlMs: TTL_MS });
    replica = await createReplica(t, { tokenCacheTtlMs: TTL_MS });
  });
  afterAll(async () => {
    await replica.close();
    await t.close();
  });

  it('another instance refuses a revoked token within the cache TTL', async () => {
    const { id, token } = await createToken(t, 'replicated');
    const onReplica = () => replica.http().set('Authorization', `Bearer ${token}`).get('/api/v1/sites');
    // The replica has verified (and cached) the token before it is revoked elsewhere.
    await onReplica().expect(200);
    await t.http().delete(`/api/v1/tokens/${id}`).expect(200);
    const revokedAt = Date.now();
    await t.as(token).get('/api/v1/sites').expect(401);
    let status = 200;
    while (status !== 401 && Date.now() - revokedAt < TTL_MS + 3_000) {
      status = (await onReplica()).status;
      if (status !== 401) await new Promise((r) => setTimeout(r, 50));
    }
    expect(status).toBe(401);
    // The TTL counts from the replica's read, which was before the revocation; the rest is request time.
    expect(Date.now() - revokedAt).toBeLessThan(TTL_MS + 1_000);
  });
});
