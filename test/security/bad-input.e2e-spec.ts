import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { encodeCursor } from '../../apps/api/src/common/pagination/pagination';
import { createTestApp, type TestApp } from '../utils/create-test-app';
import { create, snapshotCounts } from '../utils/fixtures';

interface Problem {
  status: number;
  code: string;
  detail: string;
  errors?: { field: string; message: string }[];
  errorsOmitted?: number;
  instance?: string;
}

const UNKNOWN_DEVICE = '00000000-0000-4000-8000-000000000000';

/** `depth` arrays inside each other, as JSON text (JSON.stringify itself would recurse). */
function nestedArrays(depth: number): string {
  return `${'['.repeat(depth)}${']'.repeat(depth)}`;
}

function fields(body: unknown): string[] {
  return ((body as Problem).errors ?? []).map((e) => e.field);
}

describe('bad input at the request edge', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  describe('NUL characters', () => {
    it('refuses NUL in query strings (list filters, audit filters) with 400 naming the field', async () => {
      for (const path of [
        '/api/v1/sites?q=%00',
        '/api/v1/tokens?q=a%00b',
        '/api/v1/audit?q=%00',
        '/api/v1/audit?actor=x%00',
        '/api/v1/pushes?deviceId=%00',
      ]) {
        const res = await t.http().get(path);
        expect(res.status, path).toBe(400);
        expect(res.headers['content-type']).toMatch(/problem\+json/);
        expect((res.body as Problem).code).toBe('BAD_USER_INPUT');
        expect(fields(res.body).length, path).toBe(1);
        expect((res.body as Problem).errors?.[0].message).toContain('NUL');
      }
      expect(fields((await t.http().get('/api/v1/audit?actor=x%00')).body)).toEqual(['actor']);
    });

    it('refuses NUL in JSON bodies (descriptions, push reasons and tickets) and changes nothing', async () => {
      const before = await snapshotCounts(t);
      const site = await t.http().post('/api/v1/sites').send({ name: 'nul', description: 'x\u0000y' });
      expect(site.status).toBe(400);
      expect(fields(site.body)).toEqual(['description']);
      const push = await t
        .http()
        .post(`/api/v1/devices/${UNKNOWN_DEVICE}/pushes`)
        .send({ reason: 'a\u0000', ticket: '\u0000' });
      expect(push.status).toBe(400);
      expect(fields(push.body)).toEqual(['reason', 'ticket']);
      const nested = await t
        .http()
        .post('/api/v1/sites')
        .send({ name: 'nul2', tags: [{ deep: ['ok', 'bad\u0000'] }] });
      expect(fields(nested.body)).toEqual(['tags.0.deep.1']);
      expect(await snapshotCounts(t)).toEqual(before);
    });

    it('refuses lone surrogates, which PostgreSQL would store as U+FFFD, and changes nothing', async () => {
      const before = await snapshotCounts(t);
      // Raw JSON text, so the body carries the escape exactly as a client would send it.
      const res = await t
        .http()
        .post('/api/v1/sites')
        .set('content-type', 'application/json')
        .send('{"name":"surrogate","description":"a\\ud800b"}');
      expect(res.status).toBe(400);
      expect(fields(res.body)).toEqual(['description']);
      const variables = await t.gql(
        `mutation($input: CreateSiteInput!) { createSite(input: $input) { id } }`,
        {
          input: { name: 's2', description: 'a\ud800' },
        },
      );
      expect(variables.status).toBe(400);
      // graphql-js refuses a lone surrogate escape in a literal while parsing.
      const inline = await t.gql(
        `mutation { createSite(input: { name: "s3", description: "a\\ud800" }) { id } }`,
      );
      expect(inline.errors?.[0].extensions?.code).toBe('GRAPHQL_PARSE_FAILED');
      expect(await snapshotCounts(t)).toEqual(before);
      const pair = await t.http().post('/api/v1/sites').send({ name: 'pair', description: 'fire \u{1F525}' });
      expect(pair.status).toBe(201);
      expect(pair.body.description).toBe('fire \u{1F525}');
    });

    it('refuses a body on routes that take none (plan, live drift check, cancel) instead of ignoring it', async () => {
      for (const path of [
        `/api/v1/devices/${UNKNOWN_DEVICE}/plan`,
        `/api/v1/devices/${UNKNOWN_DEVICE}/drift`,
        `/api/v1/pushes/${UNKNOWN_DEVICE}/cancel`,
      ]) {
        for (const body of [{ zz: 1 }, [], [{}]]) {
          const res = await t.http().post(path).send(body);
          expect(res.status, `${path} ${JSON.stringify(body)}`).toBe(400);
          expect(fields(res.body)).toEqual(['body']);
        }
        // No body, or an empty object, still reaches the route (which does not know the id).
        expect((await t.http().post(path)).status, path).toBe(404);
        expect((await t.http().post(path).send({})).status, path).toBe(404);
      }
    });

    it('refuses NUL in path parameters (catalog ids)', async () => {
      const res = await t.http().get('/api/v1/catalog/flows/x%00y');
      expect(res.status).toBe(400);
      expect(fields(res.body)).toEqual(['id']);
      const patch = await t.http().patch('/api/v1/catalog/flows/%00').send({});
      expect(patch.status).toBe(400);
    });

    it('refuses NUL in GraphQL variables and inline string literals', async () => {
      const variables = await t.gql(
        `mutation($input: CreateSiteInput!) { createSite(input: $input) { id } }`,
        { input: { name: 'gql-nul', description: 'x\u0000y' } },
      );
      expect(variables.status).toBe(400);
      const inline = await t.gql(
        `mutation { createSite(input: { name: "gql-nul", description: "x\\u0000y" }) { id } }`,
      );
      expect(inline.data).toBeNull();
      expect(inline.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
      expect(inline.errors?.[0].extensions?.errors?.map((e) => e.field)).toEqual(['input.description']);
      const filter = await t.gql(`{ auditEntries(filter: { actor: "\\u0000" }) { totalCount } }`);
      expect(filter.errors?.[0].extensions?.errors?.map((e) => e.field)).toEqual(['filter.actor']);
      const q = await t.gql(`{ sites(q: "\\u0000") { totalCount } }`);
      expect(q.errors?.[0].extensions?.errors?.map((e) => e.field)).toEqual(['q']);
      expect((await t.http().get('/api/v1/sites?q=gql-nul').expect(200)).body.total).toBe(0);
    });

    it('caps strings without a limit of their own at 131,072 characters', async () => {
      // GraphQL request extensions have no limit of their own; Apollo ignores unknown ones.
      const send = (length: number) =>
        t
          .http()
          .post('/graphql')
          .send({ query: '{ __typename }', extensions: { note: 'x'.repeat(length) } });
      const res = await send(131_073);
      expect(res.status).toBe(400);
      expect((res.body as Problem).errors).toEqual([
        { field: 'extensions.note', message: 'extensions.note must be at most 131072 characters' },
      ]);
      expect((await send(131_072)).status).toBe(200);
    });
  });

  describe('pagination bounds', () => {
    it('refuses offsets past 1,000,000 and non-decimal offsets with 400 naming offset', async () => {
      for (const offset of ['1e20', '99999999999999999999', '1000001', '0x10', '', '-1']) {
        const res = await t.http().get(`/api/v1/sites?offset=${offset}`);
        expect(res.status, offset).toBe(400);
        expect(fields(res.body), offset).toEqual(['offset']);
      }
      for (const path of ['/api/v1/tokens', '/api/v1/audit', '/api/v1/pushes', '/api/v1/devices']) {
        expect((await t.http().get(`${path}?offset=1e20`)).status, path).toBe(400);
      }
      const deepest = await t.http().get('/api/v1/sites?offset=1000000').expect(200);
      expect(deepest.body).toMatchObject({ items: [], offset: 1_000_000 });
    });

    it('refuses GraphQL cursors past the bound', async () => {
      for (const after of [
        encodeCursor(1e20),
        Buffer.from(`offset:${'9'.repeat(400)}`).toString('base64url'),
      ]) {
        const res = await t.gql(`query($after: String) { sites(after: $after) { totalCount } }`, { after });
        expect(res.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
        expect(res.errors?.[0].extensions?.errors?.map((e) => e.field)).toEqual(['after']);
      }
      const last = await t.gql<{ sites: { totalCount: number } }>(
        `query($after: String) { sites(after: $after) { totalCount } }`,
        { after: encodeCursor(999_999) },
      );
      expect(last.errors).toBeUndefined();
    });
    it('treats an explicit after: null as the first page, inline and as a variable', async () => {
      for (const query of [
        `{ sites(after: null) { totalCount } }`,
        `query($after: String) { sites(after: $after) { totalCount } }`,
      ]) {
        const fromStart = await t.gql(query, { after: null });
        expect(fromStart.errors, query).toBeUndefined();
      }
    });
  });

  describe('structure', () => {
    it('refuses bodies nested deeper than 32 levels before transforming them', async () => {
      for (const method of ['post', 'patch'] as const) {
        const res = await t
          .http()
          [method](method === 'post' ? '/api/v1/sites' : `/api/v1/sites/${UNKNOWN_DEVICE}`)
          .set('Content-Type', 'application/json')
          .send(`{"name":"deep","description":${nestedArrays(3500)}}`);
        expect(res.status, method).toBe(400);
        expect((res.body as Problem).code).toBe('BAD_USER_INPUT');
        expect((res.body as Problem).errors?.[0].message).toMatch(
          /^description(\.0)+ nests deeper than 32 levels$/,
        );
      }
      // 32 levels are fine structurally (and then refused by the DTO for the wrong type).
      const shallow = await t
        .http()
        .post('/api/v1/sites')
        .set('Content-Type', 'application/json')
        .send(`{"name":"deep","description":${nestedArrays(31)}}`);
      expect(fields(shallow.body)).toEqual(['description']);
      expect((shallow.body as Problem).errors?.[0].message).not.toContain('nests');
    });

    it('refuses deeply nested GraphQL variables', async () => {
      const res = await t
        .http()
        .post('/graphql')
        .set('Content-Type', 'application/json')
        .send(
          `{"query":"mutation($input: CreateSiteInput!) { createSite(input: $input) { id } }","variables":{"input":{"name":${nestedArrays(3500)}}}}`,
        );
      expect(res.status).toBe(400);
      expect((res.body as Problem).errors?.[0].message).toContain('nests deeper than 32 levels');
    });

    it('refuses __proto__, constructor and prototype keys anywhere in a body, naming them', async () => {
      const before = await snapshotCounts(t);
      const proto = await t
        .http()
        .post('/api/v1/sites')
        .set('Content-Type', 'application/json')
        .send('{"name":"proto","__proto__":{"isAdmin":true}}');
      expect(proto.status).toBe(400);
      expect(fields(proto.body)).toEqual(['__proto__']);
      const nested = await t
        .http()
        .post('/api/v1/sites')
        .send({ name: 'proto', x: [{ constructor: { prototype: {} } }] });
      expect(fields(nested.body)).toEqual(['x.0.constructor']);
      const query = await t.http().get('/api/v1/sites?__proto__=1');
      expect(fields(query.body)).toEqual(['__proto__']);
      expect(await snapshotCounts(t)).toEqual(before);
    });

    it('refuses an array where a nested object is expected (device tls)', async () => {
      const site = await create(t, 'sites', { name: 'tls-site' });
      const device = {
        siteId: site.id,
        name: 'tls-fw',
        vendor: 'pfsense',
        managementUrl: 'https://10.9.0.1',
      };
      const res = await t
        .http()
        .post('/api/v1/devices')
        .send({ ...device, tls: [] });
      expect(res.status).toBe(400);
      expect((res.body as Problem).errors).toEqual([{ field: 'tls', message: 'tls must be an object' }]);
      const created = await create(t, 'devices', device);
      const patch = await t
        .http()
        .patch(`/api/v1/devices/${created.id}`)
        .send({ tls: [{ insecure: true }] });
      expect(patch.status).toBe(400);
      expect(fields(patch.body)).toEqual(['tls']);
    });

    it('caps the field errors of one problem at 50 and counts the rest', async () => {
      const body: Record<string, string> = { name: 'many' };
      for (let i = 0; i < 10_000; i += 1) body[`k${i}`] = 'v';
      const res = await t.http().post('/api/v1/sites').send(body);
      expect(res.status).toBe(400);
      const problem = res.body as Problem;
      expect(problem.errors).toHaveLength(50);
      expect(problem.errorsOmitted).toBe(9_950);
      expect(problem.detail).toMatch(/; and 9990 more$/);
      expect(JSON.stringify(problem).length).toBeLessThan(10_000);
    });
  });

  describe('q (case-insensitive substring)', () => {
    it('filters tokens and audit entries by q, matching % and _ literally, over REST and GraphQL', async () => {
      // Token names allow `_` but not `%`: `%` must then match nothing rather than everything.
      await t.token(['read'], 'alpha-one');
      await t.token(['read'], 'beta.two');
      await t.token(['read'], 'gamma_three');
      const names = async (q: string): Promise<string[]> => {
        const res = await t
          .http()
          .get(`/api/v1/tokens?q=${encodeURIComponent(q)}`)
          .expect(200);
        return (res.body as { items: { name: string }[] }).items.map((i) => i.name);
      };
      expect(await names('ALPHA')).toEqual(['alpha-one']);
      expect(await names('%')).toEqual([]);
      expect(await names('_')).toEqual(['gamma_three']);
      expect(await names('a%t')).toEqual([]);
      expect(await names('A_T')).toEqual(['gamma_three']);
      expect(await names('\\')).toEqual([]);
      const gql = await t.gql<{ apiTokens: { nodes: { name: string }[] } }>(
        `{ apiTokens(q: "_") { nodes { name } } }`,
      );
      expect(gql.data?.apiTokens.nodes.map((n) => n.name)).toEqual(['gamma_three']);

      const audit = await t.http().get('/api/v1/audit?q=token.CREATE&limit=500').expect(200);
      expect(audit.body.total).toBeGreaterThanOrEqual(3);
      expect(
        (audit.body as { items: { action: string }[] }).items.every((i) => i.action === 'token.create'),
      ).toBe(true);
      expect((await t.http().get('/api/v1/audit?q=%25').expect(200)).body.total).toBe(0);
      expect((await t.http().get('/api/v1/audit?q=_').expect(200)).body.total).toBe(0);
      const gqlAudit = await t.gql<{ auditEntries: { totalCount: number } }>(
        `{ auditEntries(q: "%") { totalCount } }`,
      );
      expect(gqlAudit.data?.auditEntries.totalCount).toBe(0);
    });

    it('matches % and _ literally in inventory lists', async () => {
      await create(t, 'sites', { name: 'plain-site' });
      await create(t, 'sites', { name: 'under_site' });
      const sites = await t.http().get('/api/v1/sites?q=_&limit=500').expect(200);
      expect((sites.body as { items: { name: string }[] }).items.map((i) => i.name)).toEqual(['under_site']);
      expect((await t.http().get('/api/v1/sites?q=%25').expect(200)).body.total).toBe(0);
      expect((await t.http().get('/api/v1/devices?q=%25').expect(200)).body.total).toBe(0);
      await create(t, 'deployments', { name: 'plain-dep' });
      await create(t, 'deployments', { name: 'under_dep' });
      await t.http().post('/api/v1/tenants').send({ name: 'plain-tenant' }).expect(201);
      for (const list of ['deployments', 'tenants', 'zones', 'nodes']) {
        expect((await t.http().get(`/api/v1/${list}?q=%25`).expect(200)).body.total, list).toBe(0);
      }
      const deployments = await t.http().get('/api/v1/deployments?q=_').expect(200);
      expect((deployments.body as { items: { name: string }[] }).items.map((i) => i.name)).toEqual([
        'under_dep',
      ]);
    });
  });
});

/** Sends raw bytes and reads until the server closes the connection (or `waitMs` passes). */
function rawExchange(port: number, bytes: string | Buffer, waitMs = 5_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(Buffer.concat(chunks).toString('utf8'));
    }, waitMs);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString('utf8'));
    });
    socket.write(bytes);
  });
}

function parseRaw(raw: string): { status: number; headers: string; body: Problem } {
  const [head, ...rest] = raw.split('\r\n\r\n');
  return {
    status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1]),
    headers: head.toLowerCase(),
    body: JSON.parse(rest.join('\r\n\r\n')) as Problem,
  };
}

describe('HTTP layer limits (raw sockets)', () => {
  let t: TestApp;
  let port: number;

  beforeAll(async () => {
    t = await createTestApp({ httpHeadersTimeoutMs: 1_000, httpRequestTimeoutMs: 2_000 });
    await t.app.listen(0, '127.0.0.1');
    port = ((t.app.getHttpServer() as Server).address() as AddressInfo).port;
  });
  afterAll(() => t.close());

  it('answers bad header bytes with a problem+json 400 that does not echo them', async () => {
    const raw = await rawExchange(
      port,
      'GET /health HTTP/1.1\r\nHost: x\r\nX-Bad\u0001Name: secret-value\r\n\r\n',
    );
    const res = parseRaw(raw);
    expect(res.status).toBe(400);
    expect(res.headers).toContain('content-type: application/problem+json');
    expect(res.body).toMatchObject({ status: 400, code: 'BAD_USER_INPUT' });
    expect(raw).not.toContain('secret-value');
    expect(raw).not.toContain('X-Bad');
  });

  it('answers headers over 16 KiB with a problem+json 431', async () => {
    const raw = await rawExchange(
      port,
      `GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(17_000)}\r\n\r\n`,
    );
    const res = parseRaw(raw);
    expect(res.status).toBe(431);
    expect(res.body).toMatchObject({ status: 431, code: 'REQUEST_HEADER_FIELDS_TOO_LARGE' });
  });

  it('answers request targets over 8 KiB with a problem+json 414 that does not echo them', async () => {
    const res = await t.anon().get(`/api/v1/sites?q=${'z'.repeat(9_000)}`);
    expect(res.status).toBe(414);
    expect(res.headers['content-type']).toMatch(/problem\+json/);
    expect((res.body as Problem).code).toBe('URI_TOO_LONG');
    expect(JSON.stringify(res.body)).not.toContain('z'.repeat(100));
  });

  it('answers a client that sends its headers too slowly with a problem+json 408 and closes', async () => {
    const started = Date.now();
    const raw = await rawExchange(port, 'GET /health HTTP/1.1\r\nHost: x\r\n', 8_000);
    const res = parseRaw(raw);
    expect(res.status).toBe(408);
    expect(res.body).toMatchObject({ status: 408, code: 'REQUEST_TIMEOUT' });
    // 1 s headers timeout, checked every second: well before Node's 30 s checking interval.
    expect(Date.now() - started).toBeLessThan(4_000);
  });
});

describe('per-IP rate limit', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ rateLimitPerIpBurst: 4, rateLimitPerIpPerMinute: 60 });
  });
  afterAll(() => t.close());

  it('bounds unauthenticated and invalid-token requests per address with 429 problem+json and Retry-After', async () => {
    const statuses: number[] = [];
    statuses.push((await t.anon().get('/api/v1/sites')).status);
    statuses.push((await t.as('uto_not-a-real-token').get('/api/v1/sites')).status);
    statuses.push((await t.anon().post('/api/v1/sites').send({ name: 'x' })).status);
    statuses.push((await t.as('uto_guess').get('/api/v1/tokens')).status);
    const limited = await t.anon().get('/api/v1/sites');
    expect(statuses).toEqual([401, 401, 401, 401]);
    expect(limited.status).toBe(429);
    expect(limited.headers['content-type']).toMatch(/problem\+json/);
    expect((limited.body as Problem).code).toBe('RATE_LIMITED');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    // A valid token does not lift the address's limit; the body of a limited request is never read.
    expect((await t.http().post('/api/v1/sites').send({ name: 'limited' })).status).toBe(429);
    // Without TRUST_PROXY_HOPS a client cannot pick another bucket by claiming another address.
    expect((await t.anon().get('/api/v1/sites').set('X-Forwarded-For', '198.51.100.7')).status).toBe(429);
    // /health has its own bucket, so probes still answer.
    await t.anon().get('/health').expect(200);
  });
});

describe('the OpenAPI document', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('documents 414 and 429 as problem+json on every route, and 429 on /health', async () => {
    const doc = (await t.http().get('/api/openapi.json').expect(200)).body as {
      paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
    };
    expect(Object.keys(doc.paths['/api/v1/sites'].get.responses)).toEqual(
      expect.arrayContaining(['414', '429']),
    );
    expect(Object.keys(doc.paths['/health'].get.responses)).toContain('429');
    // The audit log has no name: its q says what it matches.
    const auditQ = (
      doc.paths['/api/v1/audit'].get as unknown as { parameters: { name: string; description?: string }[] }
    ).parameters.find((p) => p.name === 'q');
    expect(auditQ?.description).toBe(
      'Case-insensitive substring of the actor, action, target type or target id',
    );
  });
});

describe('per-IP rate limit behind a trusted proxy', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ rateLimitPerIpBurst: 2, rateLimitPerIpPerMinute: 60, trustProxyHops: 1 });
  });
  afterAll(() => t.close());

  it('counts each forwarded client address (IPv6 by its /64) separately', async () => {
    const from = async (address: string): Promise<number> =>
      (await t.anon().get('/api/v1/sites').set('X-Forwarded-For', address)).status;
    expect([await from('198.51.100.1'), await from('198.51.100.1'), await from('198.51.100.1')]).toEqual([
      401, 401, 429,
    ]);
    expect(await from('198.51.100.2')).toBe(401);
    expect([await from('2001:db8:1:2::1'), await from('2001:db8:1:2:ffff::9')]).toEqual([401, 401]);
    expect(await from('2001:db8:1:2::7')).toBe(429);
    expect(await from('2001:db8:1:3::1')).toBe(401);
  });
});
