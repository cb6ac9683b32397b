import { GraphQLSchemaHost } from '@nestjs/graphql';
import { isInterfaceType, isObjectType } from 'graphql';
import request from 'supertest';
import {
  FIELD_COSTS,
  MAX_DOCUMENT_CHARS,
  MAX_DOCUMENT_TOKENS,
} from '../../apps/api/src/common/graphql/query-limits';
import { createTestApp, type TestApp } from '../utils/create-test-app';

/** `query { ...F60 }` where each fragment spreads the previous one twice: 2^60 fields in about 2.4 KB. */
function doublingChain(levels: number): string {
  const fragments = ['fragment F0 on Query { __typename }'];
  for (let i = 1; i <= levels; i += 1)
    fragments.push(`fragment F${i} on Query { ...F${i - 1} ...F${i - 1} }`);
  return `query { ...F${levels} } ${fragments.join(' ')}`;
}

interface GqlBody {
  data?: unknown;
  errors?: { message: string; extensions?: { code?: unknown } & Record<string, unknown> }[];
}

async function post(t: TestApp, body: object, token: string | null): Promise<request.Response> {
  const req = t.anon().post('/graphql');
  if (token) void req.set('Authorization', `Bearer ${token}`);
  return req.send(body);
}

/** Sends `attack` and, while the server is on it, times a /health probe. */
async function healthDuring(t: TestApp, attack: () => Promise<request.Response>) {
  const pending = attack();
  await new Promise((r) => setTimeout(r, 20));
  const started = Date.now();
  await t.anon().get('/health').expect(200);
  const healthMs = Date.now() - started;
  return { res: await pending, healthMs };
}

describe('GraphQL hardening', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  describe('anonymous requests cost no GraphQL work', () => {
    it('answers the 2.4 KB doubling-fragment document with 401 at once, /health unaffected', async () => {
      const query = doublingChain(60);
      expect(query.length).toBeLessThan(2600);
      const { res, healthMs } = await healthDuring(t, () => post(t, { query }, null));
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toMatch(/^Bearer /);
      expect(res.body).toEqual({
        errors: [
          {
            message: expect.stringContaining('bearer token is required'),
            extensions: expect.objectContaining({ code: 'UNAUTHENTICATED' }),
          },
        ],
      });
      expect(healthMs).toBeLessThan(1000);
    });

    it('refuses before parsing: a syntax error, introspection and an unknown token all get 401', async () => {
      const cases: [string, object, string | null][] = [
        ['syntax error', { query: '{ ' }, null],
        ['introspection', { query: '{ __schema { types { name } } }' }, null],
        ['__typename', { query: '{ __typename }' }, null],
        ['persisted query', { extensions: { persistedQuery: { version: 1, sha256Hash: 'deadbeef' } } }, null],
        ['unknown token', { query: '{ __schema { types { name } } }' }, 'uto_not-a-real-token'],
      ];
      for (const [label, body, token] of cases) {
        const res = await post(t, body, token);
        const gql = res.body as GqlBody;
        expect({
          label,
          status: res.status,
          code: gql.errors?.[0]?.extensions?.code,
          data: gql.data,
        }).toEqual({
          label,
          status: 401,
          code: 'UNAUTHENTICATED',
          data: undefined,
        });
      }
      const get = await t
        .anon()
        .get('/graphql')
        .query({ query: '{ __schema { queryType { name } } }' })
        .set('apollo-require-preflight', 'true');
      expect(get.status).toBe(401);
      expect((get.body as GqlBody).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    });

    it('still answers introspection to any valid token', async () => {
      const readOnly = await t.token(['read']);
      const res = await t.gql<{ __schema: { queryType: { name: string } } }>(
        '{ __schema { queryType { name } } }',
        undefined,
        readOnly,
      );
      expect(res.status).toBe(200);
      expect(res.data?.__schema.queryType.name).toBe('Query');
    });
  });

  describe('operation limits (authenticated)', () => {
    it('refuses the doubling-fragment document as too complex in milliseconds, /health unaffected', async () => {
      const { res, healthMs } = await healthDuring(t, () =>
        post(t, { query: doublingChain(60) }, t.adminToken),
      );
      expect(res.status).toBe(400);
      const errors = (res.body as GqlBody).errors ?? [];
      expect(errors.map((e) => e.message)).toEqual([
        expect.stringMatching(/^query complexity \d.* exceeds the limit/),
      ]);
      expect(errors[0].extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
      expect(healthMs).toBeLessThan(1000);
    });

    it('refuses 300 aliases of fleetSummary before running any of them', async () => {
      const query = `{ ${Array.from({ length: 300 }, (_, i) => `s${i}: fleetSummary { totalDevices }`).join(' ')} }`;
      const started = Date.now();
      const res = await t.gql(query);
      expect(Date.now() - started).toBeLessThan(500);
      expect(res.status).toBe(400);
      expect(res.data).toBeNull();
      const messages = (res.errors ?? []).map((e) => e.message);
      expect(messages).toEqual(
        expect.arrayContaining([
          'Query.fleetSummary is selected under more than 20 names (aliases); select it once per object',
          'the document uses 300 aliases; the limit is 100',
        ]),
      );
      expect(res.errors?.every((e) => e.extensions?.code === 'GRAPHQL_VALIDATION_FAILED')).toBe(true);
      const few = await t.gql<Record<string, { totalDevices: number }>>(
        `{ a: fleetSummary { totalDevices } b: fleetSummary { totalDevices } }`,
      );
      expect(few.errors).toBeUndefined();
      expect(few.data?.a.totalDevices).toBe(few.data?.b.totalDevices);
    });

    it('prices every field of FIELD_COSTS that the schema has (a renamed field would silently cost 1)', () => {
      const schema = t.app.get(GraphQLSchemaHost).schema;
      const missing = Object.keys(FIELD_COSTS).filter((coordinate) => {
        const [typeName, field] = coordinate.split('.');
        const type = schema.getType(typeName);
        return !((isObjectType(type) || isInterfaceType(type)) && type.getFields()[field]);
      });
      expect(missing).toEqual([]);
    });

    it('refuses documents over the token limit while parsing', async () => {
      const fields = Array.from({ length: MAX_DOCUMENT_TOKENS }, () => '__typename').join(' ');
      const res = await t.gql(`{ ${fields} }`);
      expect(res.status).toBe(400);
      expect(res.errors?.[0]?.extensions?.code).toBe('GRAPHQL_PARSE_FAILED');
      expect(res.errors?.[0]?.message).toMatch(new RegExp(`more th\\w+ ${MAX_DOCUMENT_TOKENS} tokens`));
    });

    it('refuses documents over the character limit before parsing', async () => {
      const padded = `# ${'x'.repeat(MAX_DOCUMENT_CHARS)}\n{ __typename }`;
      const res = await t.gql(padded);
      expect(res.status).toBe(400);
      expect(res.errors?.[0]?.extensions).toMatchObject({
        code: 'BAD_USER_INPUT',
        errors: [{ field: 'query', message: expect.stringContaining(`the limit is ${MAX_DOCUMENT_CHARS}`) }],
      });
      const fits = await t.gql(`# ${'x'.repeat(MAX_DOCUMENT_CHARS - 20)}\n{ __typename }`);
      expect(fits.data).toEqual({ __typename: 'Query' });
    });

    it('answers subscriptions with a 400 validation error, not an internal error', async () => {
      const res = await t.gql('subscription { x }');
      expect(res.status).toBe(400);
      expect(res.errors).toEqual([
        expect.objectContaining({
          message: 'subscriptions are not supported: the schema has no subscription type',
          extensions: expect.objectContaining({ code: 'GRAPHQL_VALIDATION_FAILED' }),
        }),
      ]);
    });

    it('answers automatic persisted queries with PERSISTED_QUERY_NOT_SUPPORTED, whatever the hash', async () => {
      for (const body of [
        { extensions: { persistedQuery: { version: 1, sha256Hash: 'deadbeef' } } },
        { query: '{ __typename }', extensions: { persistedQuery: { version: 1, sha256Hash: 'deadbeef' } } },
        { query: '{ __typename }', extensions: { persistedQuery: { version: 2, sha256Hash: 'deadbeef' } } },
      ]) {
        const res = await post(t, body, t.adminToken);
        expect((res.body as GqlBody).errors?.map((e) => e.extensions?.code)).toEqual([
          'PERSISTED_QUERY_NOT_SUPPORTED',
        ]);
      }
    });
  });

  it('gives every error a client can provoke an extensions.code, and none of them INTERNAL_SERVER_ERROR', async () => {
    const missing = '00000000-0000-4000-8000-000000000000';
    const bodies: [string, object, string | null][] = [
      ['anonymous', { query: '{ sites { totalCount } }' }, null],
      ['syntax', { query: '{ sites { ' }, t.adminToken],
      ['unknown field', { query: '{ nope }' }, t.adminToken],
      [
        'bad variable',
        { query: 'query($id: ID!) { site(id: $id) { name } }', variables: { id: 5.5 } },
        t.adminToken,
      ],
      ['missing variable', { query: 'query($id: ID!) { site(id: $id) { name } }' }, t.adminToken],
      ['no query', {}, t.adminToken],
      ['ambiguous operation', { query: 'query A { __typename } query B { __typename }' }, t.adminToken],
      ['unknown operation', { query: 'query A { __typename }', operationName: 'B' }, t.adminToken],
      ['subscription', { query: 'subscription { x }' }, t.adminToken],
      ['persisted query', { extensions: { persistedQuery: { version: 1, sha256Hash: 'x' } } }, t.adminToken],
      ['not found', { query: `{ site(id: "${missing}") { name } }` }, t.adminToken],
      ['invalid id', { query: '{ site(id: "nope") { name } }' }, t.adminToken],
      ['not found (mutation)', { query: `mutation { deleteSite(id: "${missing}") { id } }` }, t.adminToken],
      [
        'too deep',
        { query: `{ sites { ${'nodes { site { '.repeat(6)} name ${'} } '.repeat(6)} } }` },
        t.adminToken,
      ],
    ];
    const failures: string[] = [];
    for (const [label, body, token] of bodies) {
      const res = await post(t, body, token);
      const errors = (res.body as GqlBody).errors;
      if (!errors?.length) {
        failures.push(`${label}: no errors (${res.status})`);
        continue;
      }
      for (const error of errors) {
        const code = error.extensions?.code;
        if (typeof code !== 'string' || code === 'INTERNAL_SERVER_ERROR')
          failures.push(`${label}: ${res.status} ${JSON.stringify(error)}`);
      }
    }
    expect(failures).toEqual([]);
  });

  describe('API docs with API_DOCS=token (default)', () => {
    const paths = ['/api/openapi.json', '/api/openapi.yaml', '/api/docs', '/api/docs/swagger-ui-init.js'];

    it('refuses anonymous callers and unknown tokens with 401 problem+json and a challenge', async () => {
      for (const path of paths) {
        for (const token of [null, 'uto_not-a-real-token']) {
          const req = t.anon().get(path);
          if (token) void req.set('Authorization', `Bearer ${token}`);
          const res = await req;
          expect({ path, token, status: res.status, code: res.body.code }).toEqual({
            path,
            token,
            status: 401,
            code: 'UNAUTHENTICATED',
          });
          expect(res.headers['content-type']).toMatch(/problem\+json/);
          expect(res.headers['www-authenticate']).toMatch(/^Bearer /);
          expect(res.text).not.toContain('/api/v1/sites');
        }
      }
    });

    it('serves them to a token of any scope', async () => {
      const read = await t.token(['read']);
      for (const path of paths) await t.as(read).get(path).expect(200);
      const doc = await t.as(read).get('/api/openapi.json').expect(200);
      expect(Object.keys(doc.body.paths)).toContain('/api/v1/sites');
    });
  });
});

describe('API docs with API_DOCS=public and off; rate limit shared by the GraphQL endpoint and the guard', () => {
  it('API_DOCS=public serves the docs without a token; GraphQL still needs one', async () => {
    const t = await createTestApp({ apiDocs: 'public' });
    try {
      const doc = await t.anon().get('/api/openapi.json').expect(200);
      expect(Object.keys(doc.body.paths)).toContain('/api/v1/sites');
      await t.anon().get('/api/openapi.yaml').expect(200);
      expect((await t.anon().get('/api/docs').expect(200)).text).toContain('swagger');
      const gql = await t.gql('{ __schema { queryType { name } } }', undefined, null);
      expect(gql.status).toBe(401);
    } finally {
      await t.close();
    }
  });

  it('API_DOCS=off answers 404, with a token too', async () => {
    const t = await createTestApp({ apiDocs: 'off' });
    try {
      for (const path of ['/api/openapi.json', '/api/openapi.yaml', '/api/docs']) {
        const res = await t.http().get(path);
        // Unknown routes get Express's own 404 page (not problem+json) all over the API, docs included.
        expect({ path, status: res.status }).toEqual({ path, status: 404 });
        expect(res.text).not.toContain('/api/v1/sites');
      }
      await t.http().get('/api/v1/sites').expect(200);
    } finally {
      await t.close();
    }
  });

  it('takes one unit of the token rate limit per GraphQL request, however many root fields, and answers 429 before parsing', async () => {
    const t = await createTestApp({ rateLimitBurst: 3, rateLimitPerMinute: 1 });
    try {
      const token = await t.token(['read'], 'gql-burst');
      const query =
        '{ sites { totalCount } zones { totalCount } nodes { totalCount } devices { totalCount } }';
      const statuses: number[] = [];
      for (let i = 0; i < 3; i += 1) statuses.push((await t.gql(query, undefined, token)).status);
      expect(statuses).toEqual([200, 200, 200]);
      const limited = await post(t, { query: '{ ' }, token);
      expect(limited.status).toBe(429);
      expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect((limited.body as GqlBody).errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
    } finally {
      await t.close();
    }
  });
});
