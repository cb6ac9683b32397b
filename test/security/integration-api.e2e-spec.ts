import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CredentialCipher, rotateCredentials } from '@app/persistence';
import { PrismaService } from '../../apps/api/src/database/prisma.service';
import { DevicesService } from '../../apps/api/src/inventory/devices/devices.service';
import { createLogger, PinoNestLogger } from '../../apps/api/src/logging/logger';
import { createTestApp, type TestApp } from '../utils/create-test-app';
import { create } from '../utils/fixtures';

const KEY_A = 'a'.repeat(64);
const KEY_B = 'b'.repeat(64);

describe('tokens and scopes', () => {
  let t: TestApp;
  const tokens: Record<string, string> = {};

  beforeAll(async () => {
    t = await createTestApp();
    for (const scope of ['read', 'write', 'push', 'admin'])
      tokens[scope] = await t.token([scope], `matrix-${scope}`);
  });
  afterAll(() => t.close());

  it('answers the auth matrix for a representative route of each kind', async () => {
    const site = await create(t, 'sites', { name: 'matrix-site' });
    type Call = (token: string | null) => Promise<number>;
    const rest =
      (method: 'get' | 'post' | 'patch', path: string, body?: () => object): Call =>
      async (token) => {
        const req = token ? t.as(token)[method](path) : t.anon()[method](path);
        return (await req.send(body?.() ?? {})).status;
      };
    let n = 0;
    const matrix: [string, Call, Record<string, number>][] = [
      [
        'read: GET /sites',
        rest('get', '/api/v1/sites'),
        { anon: 401, read: 200, write: 200, push: 200, admin: 200 },
      ],
      [
        'read: GET /devices/:id/ruleset',
        rest('get', `/api/v1/reachability?from=${site.id}&to=${site.id}`),
        { anon: 401, read: 400, write: 400, push: 400, admin: 400 },
      ],
      [
        'write: POST /sites',
        rest('post', '/api/v1/sites', () => ({ name: `matrix-${(n += 1)}` })),
        { anon: 401, read: 403, write: 201, push: 403, admin: 201 },
      ],
      [
        'write: PATCH /sites/:id',
        rest('patch', `/api/v1/sites/${site.id}`, () => ({ description: `d${(n += 1)}` })),
        { anon: 401, read: 403, write: 200, push: 403, admin: 200 },
      ],
      [
        // An unknown device: the guard lets push and admin through to the 404, and stops the others first.
        'push: POST /devices/:id/plan',
        rest('post', '/api/v1/devices/00000000-0000-4000-8000-000000000000/plan'),
        { anon: 401, read: 403, write: 403, push: 404, admin: 404 },
      ],
      [
        'admin: GET /tokens',
        rest('get', '/api/v1/tokens'),
        { anon: 401, read: 403, write: 403, push: 403, admin: 200 },
      ],
      [
        'admin: GET /audit',
        rest('get', '/api/v1/audit'),
        { anon: 401, read: 403, write: 403, push: 403, admin: 200 },
      ],
    ];
    const observed: Record<string, Record<string, number>> = {};
    const expected: Record<string, Record<string, number>> = {};
    for (const [name, call, outcome] of matrix) {
      expected[name] = outcome;
      observed[name] = {
        anon: await call(null),
        read: await call(tokens.read),
        write: await call(tokens.write),
        push: await call(tokens.push),
        admin: await call(tokens.admin),
      };
    }
    expect(observed).toEqual(expected);

    const gqlCodes = async (query: string): Promise<(string | undefined)[]> =>
      Promise.all(
        [null, tokens.read, tokens.write, tokens.admin].map(async (token) => {
          const res = await t.gql(query, undefined, token);
          return res.errors?.[0]?.extensions?.code ?? 'OK';
        }),
      );
    expect(await gqlCodes('{ sites { totalCount } }')).toEqual(['UNAUTHENTICATED', 'OK', 'OK', 'OK']);
    expect(
      await gqlCodes(`mutation { updateSite(id: "${site.id}", input: { description: "g" }) { id } }`),
    ).toEqual(['UNAUTHENTICATED', 'FORBIDDEN', 'OK', 'OK']);
    expect(await gqlCodes('{ apiTokens { totalCount } }')).toEqual([
      'UNAUTHENTICATED',
      'FORBIDDEN',
      'FORBIDDEN',
      'OK',
    ]);
  });

  it('shows a token once, stores only its hash, and tracks last use', async () => {
    const created = await t
      .http()
      .post('/api/v1/tokens')
      .send({ name: 'ticketing', scopes: ['read', 'write'] })
      .expect(201);
    expect(created.body.token).toMatch(/^uto_[A-Za-z0-9_-]{40}$/);
    expect(created.body).toMatchObject({
      name: 'ticketing',
      scopes: ['read', 'write'],
      lastUsedAt: null,
      revokedAt: null,
    });
    const listed = await t.http().get('/api/v1/tokens').expect(200);
    expect(JSON.stringify(listed.body)).not.toContain(created.body.token);
    const row = await t.app.get(PrismaService).apiToken.findUniqueOrThrow({ where: { id: created.body.id } });
    expect(JSON.stringify(row)).not.toContain(created.body.token);
    await t.as(created.body.token).get('/api/v1/sites').expect(200);
    const after = await t.http().get(`/api/v1/tokens/${created.body.id}`).expect(200);
    expect(after.body.lastUsedAt).not.toBeNull();
  });

  it('refuses revoked and expired tokens, and bad token input', async () => {
    const created = await t
      .http()
      .post('/api/v1/tokens')
      .send({ name: 'short-lived', scopes: ['read'] })
      .expect(201);
    await t.as(created.body.token).get('/api/v1/sites').expect(200);
    await t.http().delete(`/api/v1/tokens/${created.body.id}`).expect(200);
    const revoked = await t.as(created.body.token).get('/api/v1/sites').expect(401);
    expect(revoked.body.code).toBe('UNAUTHENTICATED');
    expect(revoked.headers['www-authenticate']).toMatch(/^Bearer/);

    const expiring = await t
      .http()
      .post('/api/v1/tokens')
      .send({ name: 'expiring', scopes: ['read'], expiresAt: new Date(Date.now() + 1500).toISOString() });
    expect(expiring.status).toBe(201);
    await t.as(expiring.body.token).get('/api/v1/sites').expect(200);
    await new Promise((r) => setTimeout(r, 1600));
    await t.as(expiring.body.token).get('/api/v1/sites').expect(401);

    const bad = await t
      .http()
      .post('/api/v1/tokens')
      .send({ name: 'x', scopes: ['root'] })
      .expect(400);
    expect(bad.body.errors[0].field).toBe('scopes');
    await t
      .http()
      .post('/api/v1/tokens')
      .send({ name: 'past', scopes: ['read'], expiresAt: '2001-01-01T00:00:00Z' })
      .expect(400);
    await t
      .http()
      .post('/api/v1/tokens')
      .send({ name: 'ticketing', scopes: ['read'] })
      .expect(409);
  });
});

describe('idempotency keys, ETag / If-Match and the audit log', () => {
  let t: TestApp;
  let writer: string;

  beforeAll(async () => {
    t = await createTestApp();
    writer = await t.token(['write'], 'servicenow');
  });
  afterAll(() => t.close());

  it('replays the stored response for the same key and body, and refuses the key with another body', async () => {
    const first = await t
      .as(writer)
      .post('/api/v1/sites')
      .set('Idempotency-Key', 'chg-1001')
      .send({ name: 'Branch-7' })
      .expect(201);
    const again = await t
      .as(writer)
      .post('/api/v1/sites')
      .set('Idempotency-Key', 'chg-1001')
      .send({ name: 'Branch-7' })
      .expect(201);
    expect(again.body).toEqual(first.body);
    expect(again.headers['idempotent-replayed']).toBe('true');
    const list = await t.http().get('/api/v1/sites?q=Branch-7').expect(200);
    expect(list.body.total).toBe(1);

    const other = await t
      .as(writer)
      .post('/api/v1/sites')
      .set('Idempotency-Key', 'chg-1001')
      .send({ name: 'Branch-8' })
      .expect(422);
    expect(other.body.code).toBe('UNPROCESSABLE');
    expect((await t.http().get('/api/v1/sites?q=Branch-8').expect(200)).body.total).toBe(0);

    // Keys belong to the token that used them.
    await t
      .http()
      .post('/api/v1/sites')
      .set('Idempotency-Key', 'chg-1001')
      .send({ name: 'Branch-9' })
      .expect(201);

    // A refused request is not stored: the client can fix it and retry with the same key.
    await t
      .as(writer)
      .post('/api/v1/sites')
      .set('Idempotency-Key', 'chg-1002')
      .send({ name: 'Branch-7' })
      .expect(409);
    await t
      .as(writer)
      .post('/api/v1/sites')
      .set('Idempotency-Key', 'chg-1002')
      .send({ name: 'Branch-10' })
      .expect(201);
  });

  it('sends ETags and answers 412 to stale If-Match on update and delete, and to a stale GraphQL version', async () => {
    const site = await create(t, 'sites', { name: 'etag-site' });
    const read = await t.http().get(`/api/v1/sites/${site.id}`).expect(200);
    expect(read.headers.etag).toBe('"1"');
    const updated = await t
      .http()
      .patch(`/api/v1/sites/${site.id}`)
      .set('If-Match', '"1"')
      .send({ description: 'first' })
      .expect(200);
    expect(updated.headers.etag).toBe('"2"');
    const stale = await t
      .http()
      .patch(`/api/v1/sites/${site.id}`)
      .set('If-Match', '"1"')
      .send({ description: 'lost update' })
      .expect(412);
    expect(stale.body).toMatchObject({ code: 'PRECONDITION_FAILED', currentVersion: 2 });
    await t.http().delete(`/api/v1/sites/${site.id}`).set('If-Match', '"1"').expect(412);
    await t
      .http()
      .patch(`/api/v1/sites/${site.id}`)
      .set('If-Match', 'garbage')
      .send({ description: 'x' })
      .expect(412);
    expect((await t.http().get(`/api/v1/sites/${site.id}`).expect(200)).body.description).toBe('first');

    const gql = await t.gql(
      `mutation { updateSite(id: "${site.id}", input: { description: "g" }, expectedVersion: 1) { version } }`,
    );
    expect(gql.errors?.[0]?.extensions?.code).toBe('PRECONDITION_FAILED');
    const ok = await t.gql<{ updateSite: { version: number } }>(
      `mutation { updateSite(id: "${site.id}", input: { description: "g" }, expectedVersion: 2) { version } }`,
    );
    expect(ok.data?.updateSite.version).toBe(3);
    await t.http().delete(`/api/v1/sites/${site.id}`).set('If-Match', '"3"').expect(204);
  });

  it('serialises concurrent updates without If-Match instead of losing or refusing any', async () => {
    const site = await create(t, 'sites', { name: 'busy-site' });
    const results = await Promise.all(
      [1, 2, 3, 4, 5].map((i) =>
        t
          .http()
          .patch(`/api/v1/sites/${site.id}`)
          .send({ description: `writer ${i}` }),
      ),
    );
    expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    expect(results.map((r) => r.body.version).sort()).toEqual([2, 3, 4, 5, 6]);
    const audit = await t.http().get(`/api/v1/audit?targetId=${site.id}&action=site.update`).expect(200);
    const versions = audit.body.items.map((e: { before: { version: number } }) => e.before.version).sort();
    expect(versions).toEqual([1, 2, 3, 4, 5]);
  });

  it('records who changed what in a full scenario, with credentials redacted', async () => {
    const hq = await t
      .as(writer)
      .post('/api/v1/sites')
      .set('X-Request-Id', 'req-audit-1')
      .send({ name: 'audit-hq' })
      .expect(201);
    const lan = (
      await t
        .as(writer)
        .post('/api/v1/zones')
        .send({ siteId: hq.body.id, name: 'lan', cidrs: ['10.9.0.0/24'] })
        .expect(201)
    ).body;
    const master = (
      await t
        .as(writer)
        .post('/api/v1/nodes')
        .send({ siteId: hq.body.id, name: 'm', role: 'master', addresses: ['10.9.0.5'] })
        .expect(201)
    ).body;
    const device = (
      await t
        .as(writer)
        .post('/api/v1/devices')
        .send({
          siteId: hq.body.id,
          name: 'audit-fw',
          vendor: 'fortios',
          managementUrl: 'https://10.9.0.1',
          credentials: { token: 'forti-audit-secret-token' },
          interfaces: [
            { name: 'port2', zoneIds: [lan.id] },
            { name: 'port1', external: true },
          ],
        })
        .expect(201)
    ).body;
    await t
      .as(writer)
      .patch(`/api/v1/devices/${device.id}`)
      .send({ credentials: { token: 'forti-rotated-secret' } })
      .expect(200);
    await t
      .as(writer)
      .patch(`/api/v1/nodes/${master.id}`)
      .send({ addresses: ['10.9.0.6'] })
      .expect(200);
    await t.as(writer).delete(`/api/v1/devices/${device.id}`).expect(204);

    const res = await t.http().get('/api/v1/audit?actor=servicenow&limit=100').expect(200);
    const actions = res.body.items.map((e: { action: string }) => e.action).reverse();
    expect(actions).toEqual(
      expect.arrayContaining([
        'site.create',
        'zone.create',
        'node.create',
        'device.create',
        'device.update.credentials',
        'node.update',
        'device.delete',
      ]),
    );
    const text = JSON.stringify(res.body);
    expect(text).not.toContain('forti-audit-secret-token');
    expect(text).not.toContain('forti-rotated-secret');
    const siteEntry = res.body.items.find(
      (e: { action: string; targetId: string }) => e.action === 'site.create' && e.targetId === hq.body.id,
    );
    expect(siteEntry).toMatchObject({
      actor: 'servicenow',
      requestId: 'req-audit-1',
      targetType: 'site',
      before: null,
    });
    expect(siteEntry.after).toMatchObject({ name: 'audit-hq' });
    const nodeUpdate = res.body.items.find((e: { action: string }) => e.action === 'node.update');
    expect(nodeUpdate.before.addresses).toEqual(['10.9.0.5']);
    expect(nodeUpdate.after.addresses).toEqual(['10.9.0.6']);
    const credentialChange = res.body.items.find(
      (e: { action: string }) => e.action === 'device.update.credentials',
    );
    expect(credentialChange.after.credentials).toEqual({ set: true, kind: 'token' });

    const filtered = await t.http().get(`/api/v1/audit?targetType=device&targetId=${device.id}`).expect(200);
    expect(filtered.body.items.map((e: { action: string }) => e.action)).toEqual([
      'device.delete',
      'device.update.credentials',
      'device.create',
    ]);
    const gql = await t.gql<{
      auditEntries: { totalCount: number; nodes: { action: string; actor: string }[] };
    }>(
      `query($id: String) { auditEntries(filter: { targetId: $id }) { totalCount nodes { action actor } } }`,
      { id: device.id },
    );
    expect(gql.data?.auditEntries.totalCount).toBe(3);
    expect(gql.data?.auditEntries.nodes.every((n) => n.actor === 'servicenow')).toBe(true);
  });
});

describe('limits and headers', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({
      rateLimitBurst: 5,
      rateLimitPerMinute: 60,
      bodyLimitBytes: 2048,
      graphqlMaxDepth: 4,
    });
  });
  afterAll(() => t.close());

  it('answers 429 with Retry-After once a token exhausts its burst, without affecting other tokens', async () => {
    const busy = await t.token(['read'], 'busy');
    const calm = await t.token(['read'], 'calm');
    const statuses: number[] = [];
    let retryAfter: string | undefined;
    for (let i = 0; i < 8; i += 1) {
      const res = await t.as(busy).get('/api/v1/sites');
      statuses.push(res.status);
      if (res.status === 429) retryAfter = res.headers['retry-after'];
    }
    expect(statuses.slice(0, 5)).toEqual([200, 200, 200, 200, 200]);
    expect(statuses.slice(5)).toEqual([429, 429, 429]);
    expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
    await t.as(calm).get('/api/v1/sites').expect(200);
  });

  it('refuses oversized bodies with 413 and problem+json', async () => {
    const res = await t
      .http()
      .post('/api/v1/sites')
      .send({ name: 'big', description: 'x'.repeat(5000) });
    expect(res.status).toBe(413);
    expect(res.headers['content-type']).toMatch(/problem\+json/);
  });

  it('sets security headers and keeps CORS off by default', async () => {
    const res = await t.anon().get('/health').set('Origin', 'https://evil.example').expect(200);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['x-frame-options']).toBeDefined();
    expect(res.headers['content-security-policy']).toContain("default-src 'self'");
    expect(res.headers['x-powered-by']).toBeUndefined();
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('refuses GraphQL queries nested beyond the depth limit', async () => {
    const res = await t.gql('{ sites { nodes { nodes { collector { site { name } } } } } }');
    expect(res.errors?.[0]?.message).toMatch(/depth .* exceeds the limit of 4/);
    expect(res.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(res.data).toBeNull();
  });
});

describe('CORS when configured', () => {
  it('allows only the configured origins', async () => {
    const t = await createTestApp({ corsOrigins: ['https://dash.example.com'] });
    try {
      const ok = await t.anon().get('/health').set('Origin', 'https://dash.example.com').expect(200);
      expect(ok.headers['access-control-allow-origin']).toBe('https://dash.example.com');
      const other = await t.anon().get('/health').set('Origin', 'https://evil.example').expect(200);
      expect(other.headers['access-control-allow-origin']).toBeUndefined();
    } finally {
      await t.close();
    }
  });
});

describe('secrets', () => {
  it('never writes credentials to the logs of a full scenario', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'utm-logs-'));
    const logFile = join(dir, 'service.log');
    const secrets = ['pf-log-secret-key-1', 'pf-log-password-2', 'opn-log-secret-3', 'forti-log-token-4'];
    const t = await createTestApp(
      { logLevel: 'trace', logFile },
      { logger: new PinoNestLogger(createLogger('trace', logFile)) },
    );
    try {
      const site = await create(t, 'sites', { name: 'log-site' });
      const zone = await create(t, 'zones', { siteId: site.id, name: 'lan', cidrs: ['10.8.0.0/24'] });
      const pf = await create(t, 'devices', {
        siteId: site.id,
        name: 'log-pf',
        vendor: 'pfsense',
        managementUrl: 'https://10.8.0.1',
        credentials: { apiKey: secrets[0] },
        interfaces: [{ name: 'lan', zoneIds: [zone.id] }],
      });
      await t
        .http()
        .patch(`/api/v1/devices/${pf.id}`)
        .send({ credentials: { username: 'admin', password: secrets[1] } })
        .expect(200);
      // Refused requests carrying secrets (wrong vendor fields, bad body) must not echo them either.
      await t
        .http()
        .post('/api/v1/devices')
        .send({
          siteId: site.id,
          name: 'x',
          vendor: 'opnsense',
          managementUrl: 'https://x',
          credentials: { key: 'k', secret: secrets[2], token: secrets[3] },
        })
        .expect(400);
      await t
        .http()
        .post('/api/v1/devices')
        .set('content-type', 'application/json')
        .send(`{"credentials":{"token":"${secrets[3]}"`)
        .expect(400);
      await t.gql(
        `mutation($id: ID!, $input: UpdateDeviceInput!) { updateDevice(id: $id, input: $input) { id } }`,
        {
          id: pf.id,
          input: { credentials: { apiKey: secrets[2] } },
        },
      );
      await t.anon().get('/api/v1/sites').set('Authorization', `Bearer ${secrets[3]}`).expect(401);
      await t.http().get('/api/v1/audit').expect(200);
    } finally {
      await t.close();
    }
    const logs = readFileSync(logFile, 'utf8');
    rmSync(dir, { recursive: true, force: true });
    expect(logs.split('\n').filter(Boolean).length).toBeGreaterThan(10);
    expect(logs).toContain('request completed');
    for (const secret of [...secrets, 'uto_test-admin-token-0123456789abcdef'])
      expect(logs).not.toContain(secret);
  });

  it('rotates SECRET_KEY by re-encrypting stored credentials in one go', async () => {
    const t = await createTestApp({ secretKey: KEY_A });
    try {
      const site = await create(t, 'sites', { name: 'rot' });
      const device = await create(t, 'devices', {
        siteId: site.id,
        name: 'rot-fw',
        vendor: 'opnsense',
        managementUrl: 'https://10.7.0.1',
        credentials: { key: 'opn-key', secret: 'opn-rotation-secret' },
      });
      const prisma = t.app.get(PrismaService);
      const from = CredentialCipher.fromString(KEY_A);
      const to = CredentialCipher.fromString(KEY_B);
      expect(await rotateCredentials(prisma, from, to)).toEqual({ rotated: 1, alreadyCurrent: 0 });
      expect(await rotateCredentials(prisma, from, to)).toEqual({ rotated: 0, alreadyCurrent: 1 });
      const row = await prisma.device.findUniqueOrThrow({ where: { id: device.id } });
      expect(JSON.parse(to.decrypt(row.credentialsEncrypted!))).toEqual({
        kind: 'keySecret',
        key: 'opn-key',
        secret: 'opn-rotation-secret',
      });
      expect(() => from.decrypt(row.credentialsEncrypted!)).toThrow(/another key/);
      // The running instance still holds the old key, so it can no longer read the rotated value.
      await expect(t.app.get(DevicesService).credentials(device.id)).rejects.toThrow(/another key/);
    } finally {
      await t.close();
    }
  });
});
