import type { TestApp } from '../utils/create-test-app';
import type { OpenApiDocument } from './arbitraries';
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
import { restOperations, restRequestArb, type RestContext } from './rest-requests';

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
