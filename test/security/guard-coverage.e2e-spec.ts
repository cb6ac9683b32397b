import { GraphQLSchemaHost } from '@nestjs/graphql';
import { getNamedType, isNonNullType, isObjectType, type GraphQLArgument, type GraphQLField } from 'graphql';
import { inputLiteral, routeLayers } from '../utils/app-surface';
import { createTestApp, type TestApp } from '../utils/create-test-app';

const PUBLIC_ROUTES = new Set(['GET /health']);
// The OpenAPI document and Swagger UI (API_DOCS=token, the default) need a token, but of any scope.
const DOCS = /^GET \/api\/(docs|openapi)/;
const SAMPLE_ID = '00000000-0000-4000-8000-000000000000';

interface Route {
  method: string;
  path: string;
}

/** Every endpoint Express serves, one per verb: a new endpoint shows up here by itself. */
function registeredRoutes(t: TestApp): Route[] {
  const routes: Route[] = [];
  for (const layer of routeLayers(t)) {
    const methods = Object.entries(layer.methods).filter(([method, enabled]) => enabled && method !== '_all');
    // A layer answering every HTTP verb is middleware mounted for all routes, not an endpoint.
    if (methods.length > 10) continue;
    for (const [method] of methods) routes.push({ method: method.toUpperCase(), path: layer.path });
  }
  return routes;
}

function concrete(path: string): string {
  return path.replace(/:([A-Za-z]+)/g, SAMPLE_ID);
}

function operation(kind: 'query' | 'mutation', field: GraphQLField<unknown, unknown>): string {
  const args = field.args
    .filter((a: GraphQLArgument) => isNonNullType(a.type) && a.defaultValue === undefined)
    .map((a) => `${a.name}: ${inputLiteral(a.type, SAMPLE_ID)}`);
  const selection = isObjectType(getNamedType(field.type)) ? ' { __typename }' : '';
  return `${kind} { ${field.name}${args.length ? `(${args.join(', ')})` : ''}${selection} }`;
}

describe('every endpoint is guarded', () => {
  let t: TestApp;
  let noScope: string;
  let readOnly: string;

  beforeAll(async () => {
    t = await createTestApp();
    // A token whose only scope is unknown to the service: authenticated, allowed nothing.
    const prisma = t.app.get((await import('../../apps/api/src/database/prisma.service')).PrismaService);
    const { hashToken } = await import('../../apps/api/src/auth/tokens.service');
    noScope = 'uto_no-scope-token-for-guard-coverage';
    await prisma.apiToken.create({
      data: { name: 'no-scope', tokenHash: hashToken(noScope), hint: 'uto_no…', scopes: ['none'] },
    });
    readOnly = await t.token(['read']);
  });
  afterAll(() => t.close());

  it('finds the routes (the enumeration itself works)', () => {
    const routes = registeredRoutes(t).map((r) => `${r.method} ${r.path}`);
    expect(routes).toEqual(
      expect.arrayContaining([
        'GET /health',
        'GET /api/v1/sites',
        'POST /api/v1/tokens',
        'GET /api/v1/audit',
      ]),
    );
    expect(routes.length).toBeGreaterThan(30);
  });

  it('refuses every REST route to anonymous callers (401) and to a token without the scope (403)', async () => {
    const failures: string[] = [];
    for (const route of registeredRoutes(t)) {
      const name = `${route.method} ${route.path}`;
      if (PUBLIC_ROUTES.has(name)) continue;
      const path = concrete(route.path);
      const method = route.method.toLowerCase() as 'get' | 'post' | 'patch' | 'put' | 'delete';
      const anon = await t.anon()[method](path).send({});
      if (anon.status !== 401 || anon.body.code !== 'UNAUTHENTICATED')
        failures.push(`${name} anonymous → ${anon.status}`);
      const bad = await t.anon()[method](path).set('Authorization', 'Bearer uto_not-a-real-token').send({});
      if (bad.status !== 401) failures.push(`${name} unknown token → ${bad.status}`);
      if (DOCS.test(name)) continue;
      const none = await t.as(noScope)[method](path).send({});
      if (none.status !== 403 || none.body.code !== 'FORBIDDEN')
        failures.push(`${name} no scope → ${none.status}`);
      if (route.method !== 'GET') {
        const read = await t.as(readOnly)[method](path).send({});
        if (read.status !== 403) failures.push(`${name} read-only token → ${read.status}`);
      }
    }
    expect(failures).toEqual([]);
  });

  it('refuses every GraphQL query and mutation to anonymous callers and to a token without the scope', async () => {
    const schema = t.app.get(GraphQLSchemaHost).schema;
    const operations = [
      ...Object.values(schema.getQueryType()!.getFields()).map(
        (f) => ['query', operation('query', f)] as const,
      ),
      ...Object.values(schema.getMutationType()!.getFields()).map(
        (f) => ['mutation', operation('mutation', f)] as const,
      ),
    ];
    expect(operations.length).toBeGreaterThan(25);
    const failures: string[] = [];
    for (const [kind, query] of operations) {
      const anon = await t.gql(query, undefined, null);
      if (anon.errors?.[0]?.extensions?.code !== 'UNAUTHENTICATED')
        failures.push(`${query} anonymous → ${JSON.stringify(anon.errors)}`);
      if (anon.data !== null && Object.values(anon.data).some((v) => v !== null))
        failures.push(`${query} anonymous returned data`);
      const none = await t.gql(query, undefined, noScope);
      if (none.errors?.[0]?.extensions?.code !== 'FORBIDDEN')
        failures.push(`${query} no scope → ${JSON.stringify(none.errors)}`);
      if (kind === 'mutation') {
        const read = await t.gql(query, undefined, readOnly);
        if (read.errors?.[0]?.extensions?.code !== 'FORBIDDEN')
          failures.push(`${query} read-only → ${JSON.stringify(read.errors)}`);
      }
    }
    expect(failures).toEqual([]);
  });

  it('keeps /health public', async () => {
    await t.anon().get('/health').expect(200);
  });
});
