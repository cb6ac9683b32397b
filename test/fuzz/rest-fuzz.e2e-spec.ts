import fc from 'fast-check';
import { inspectInput } from '../../apps/api/src/common/http/input-guard';
import type { TestApp } from '../utils/create-test-app';
import { BAD_VALUES, badValueArb, breaksInputLimits, type OpenApiDocument } from './arbitraries';
import { applicationTables } from './db-snapshot';
import { startFuzzApp } from './fuzz-app';
import {
  FUZZ_SEED,
  FUZZ_TIMEOUT_MS,
  FuzzRunner,
  INVALID_TOKEN,
  report,
  sampleRequests,
  type FuzzRequest,
  type Outcome,
  type SurfaceRules,
} from './harness';
import {
  restOperations,
  restRequest,
  restRequestArb,
  type Parts,
  type RestContext,
  type RestOperation,
} from './rest-requests';

/** Requests per REST operation in CI (~50 operations); `npm run fuzz` sets FUZZ_RUNS higher. */
const CI_RUNS = 14;
const PUBLIC = new Set(['GET /health']);
const PRE_AUTH_STATUSES = new Set([400, 413, 415]);

const restRules: SurfaceRules = {
  check(req: FuzzRequest, out: Outcome): string[] {
    const broken: string[] = [];
    if (out.status === 0) return ['no HTTP answer'];
    if (out.status >= 500) broken.push('5xx answer');
    if (out.status >= 400 && out.status < 500) {
      const code = (out.body as { code?: unknown } | undefined)?.code;
      if (!out.contentType.startsWith('application/problem+json') || typeof code !== 'string') {
        broken.push('4xx answer is not problem+json with a code');
      }
    }
    if (!PUBLIC.has(req.operation) && !(req.preAuth && PRE_AUTH_STATUSES.has(out.status))) {
      if ((req.credential === 'none' || req.credential === 'invalid') && out.status !== 401) {
        broken.push('unauthenticated request not answered 401');
      }
      if (req.credential === 'readOnly' && req.mutating && out.status !== 403) {
        broken.push('write with a read-only token not answered 403');
      }
    }
    return broken;
  },
  refused: (_req, out) => out.status >= 400 || out.status === 0,
};

/** Every route Express serves, so a route missing from the OpenAPI document (and so from the fuzzing) fails. */
function registeredRoutes(t: TestApp): string[] {
  const instance = t.app.getHttpAdapter().getInstance() as { router: { stack: unknown[] } };
  const out: string[] = [];
  for (const layer of instance.router.stack as {
    route?: { path: string; methods: Record<string, boolean> };
  }[]) {
    if (!layer.route) continue;
    const methods = Object.keys(layer.route.methods).filter((m) => m !== '_all');
    if (methods.length > 10) continue;
    for (const m of methods)
      out.push(`${m.toUpperCase()} ${layer.route.path.replace(/:([A-Za-z]+)/g, '{$1}')}`);
  }
  return out;
}

describe(`REST fuzz (seed ${FUZZ_SEED})`, () => {
  let t: TestApp;
  let doc: OpenApiDocument;
  let ctx: RestContext;
  let runner: FuzzRunner;

  beforeAll(async () => {
    const app = await startFuzzApp(restRules);
    ({ t, doc, runner } = app);
    ctx = { doc, pools: app.pools, pathId: app.pathId };
  });
  afterAll(() => t?.close());

  it('the database check itself works: a write answered like a refusal is caught, and reads are not blamed', async () => {
    // Rules that call every answer a refusal: the one real write in the batch must be reported, alone.
    const probe = new FuzzRunner(
      t,
      await applicationTables(t),
      { admin: t.adminToken, readOnly: null, none: null, invalid: INVALID_TOKEN },
      { check: () => [], refused: () => true },
    );
    const siteId = ctx.pathId('/api/v1/sites/{id}');
    const read = (i: number): FuzzRequest => ({
      surface: 'rest',
      operation: 'GET /api/v1/sites',
      label: `read-${i}`,
      credential: 'admin',
      method: 'GET',
      url: '/api/v1/sites',
      headers: {},
      mutating: false,
      preAuth: false,
    });
    const write: FuzzRequest = {
      ...read(0),
      operation: 'PATCH /api/v1/sites/{id}',
      label: 'content-only-write',
      method: 'PATCH',
      url: `/api/v1/sites/${siteId}`,
      body: { kind: 'json', value: { description: 'changed by the detector check' } },
      mutating: true,
    };
    await probe.run([read(1), read(2), read(3)]);
    expect(probe.violations).toEqual([]);
    await probe.run([read(1), write, read(2), read(3)]);
    expect(probe.violations.map((v) => [v.request.label, v.rule, v.excerpt.split(' | ')[0]])).toEqual([
      ['content-only-write', 'refused request changed the database', expect.stringContaining('sites: rows')],
    ]);
  });

  it('the OpenAPI document lists every route the server serves (so every route is fuzzed)', () => {
    const documented = new Set(restOperations(doc).map((o) => `${o.method} ${o.path}`));
    const served = registeredRoutes(t).filter((r) => !/^GET \/api\/(docs|openapi)/.test(r));
    expect(served.filter((r) => !documented.has(r))).toEqual([]);
    expect(documented.size).toBeGreaterThan(40);
  });

  it('the pre-authentication list of the oracle (breaksInputLimits) agrees with the input guard', () => {
    // Every fuzz value, as a field value and (strings) as a key, nested and not: a rule added to one side
    // only would let the oracle blame the app for a 400 before 401/403, or excuse a real one.
    const values = [
      ...BAD_VALUES.map((b) => b.value),
      ...fc.sample(badValueArb, { seed: FUZZ_SEED, numRuns: 500 }).map((b) => b.value),
      ...fc.sample(fc.string({ unit: 'binary', maxLength: 8 }), { seed: FUZZ_SEED, numRuns: 500 }),
      'k'.repeat(200),
      'k'.repeat(201),
    ];
    const bodies = values.flatMap((v) => [
      { name: 'x', field: v },
      { a: [{ b: v }] },
      ...(typeof v === 'string' ? [{ [v]: 1 }, { a: { [v]: 'x' } }] : []),
    ]);
    const disagreements = bodies
      .filter((body) => breaksInputLimits(body) !== inspectInput(body).length > 0)
      .map((body) => JSON.stringify(body).slice(0, 120));
    expect([...new Set(disagreements)]).toEqual([]);
  });

  it('the oracle accepts the input guard answering 400 before 401/403, and flags validation that does', async () => {
    const flows = restOperations(doc).find(
      (o) => o.method === 'PATCH' && o.path === '/api/v1/catalog/flows/{id}',
    ) as RestOperation;
    const body = (label: string, value: unknown): Parts => ({ label, body: { kind: 'json', value } });
    // Refused by the input guard, an Express middleware that runs before the Nest guard authenticating the caller.
    const refusedBeforeAuth = [
      body('body.ports=nul-byte', { ports: 'x\u0000y' }),
      body('body.ports=lone-surrogate', { ports: 'a\ud800b' }),
      body('body.key=lone-surrogate', { 'ports\udc00': '1514' }),
      body('body.key=long-key', { ['k'.repeat(201)]: '1514' }),
    ];
    const answers: string[] = [];
    for (const parts of refusedBeforeAuth) {
      for (const credential of ['none', 'invalid', 'readOnly'] as const) {
        const req = restRequest(flows, ctx, parts, credential);
        const out = await runner.send(req);
        answers.push(
          `${parts.label} ${credential} ${out.status} ${restRules.check(req, out).join(', ')}`.trim(),
        );
      }
    }
    expect(answers).toEqual(
      refusedBeforeAuth.flatMap((p) => ['none', 'invalid', 'readOnly'].map((c) => `${p.label} ${c} 400`)),
    );

    // A wrong type passes the guard and is refused by validation after authentication: 401/403 must come first.
    const wrongType = body('body.ports=number', { ports: 42 });
    const anonymous = restRequest(flows, ctx, wrongType, 'none');
    const readOnly = restRequest(flows, ctx, wrongType, 'readOnly');
    expect([(await runner.send(anonymous)).status, (await runner.send(readOnly)).status]).toEqual([401, 403]);
    // Had the app validated first, the oracle would have said so.
    const validatedFirst: Outcome = {
      status: 400,
      contentType: 'application/problem+json',
      body: { code: 'BAD_USER_INPUT' },
      text: '{"code":"BAD_USER_INPUT"}',
    };
    expect(restRules.check(anonymous, validatedFirst)).toEqual(['unauthenticated request not answered 401']);
    expect(restRules.check(readOnly, validatedFirst)).toEqual([
      'write with a read-only token not answered 403',
    ]);
  });

  it(
    'answers every malformed request with a 4xx problem (never 5xx) and changes nothing when refusing',
    async () => {
      const requests: FuzzRequest[] = [];
      for (const o of restOperations(doc)) {
        const arb = restRequestArb(o, ctx);
        if (arb) requests.push(...sampleRequests(`${o.method} ${o.path}`, arb, CI_RUNS));
      }
      await runner.run(requests);
      expect(report('rest', runner)).toEqual([]);
    },
    FUZZ_TIMEOUT_MS,
  );
});
