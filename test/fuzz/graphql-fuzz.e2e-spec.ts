import { GraphQLSchemaHost } from '@nestjs/graphql';
import fc from 'fast-check';
import type { TestApp } from '../utils/create-test-app';
import { startFuzzApp } from './fuzz-app';
import {
  FUZZ_SEED,
  FUZZ_TIMEOUT_MS,
  FuzzRunner,
  credentialArb,
  report,
  sampleRequests,
  type FuzzRequest,
  type Outcome,
  type SurfaceRules,
} from './harness';
import {
  graphqlOperations,
  graphqlRequestArb,
  operationName,
  transportRequests,
  type GraphqlContext,
} from './graphql-requests';

/** Requests per GraphQL root field in CI (~60 fields); `npm run fuzz` sets FUZZ_RUNS higher. */
const CI_RUNS = 10;

/** Refusals that happen before any resolver runs (parsing, validation, variable coercion, transport). */
const PRE_EXECUTION = new Set([
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_USER_INPUT',
  'BAD_REQUEST',
  'OPERATION_RESOLUTION_FAILURE',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
]);

interface GqlBody {
  data?: Record<string, unknown> | null;
  errors?: { message?: unknown; extensions?: { code?: unknown } }[];
  code?: unknown;
}

/** Data was returned for at least one root field: the operation (partly) ran. */
function gotData(body: GqlBody | undefined): boolean {
  return Object.values(body?.data ?? {}).some((v) => v !== null && v !== undefined);
}

const graphqlRules: SurfaceRules = {
  check(req: FuzzRequest, out: Outcome): string[] {
    if (out.status === 0) return ['no HTTP answer'];
    const broken: string[] = [];
    if (out.status >= 500) broken.push('5xx answer');
    const body = (Array.isArray(out.body) ? undefined : out.body) as GqlBody | undefined;
    // Requests refused before GraphQL runs (body parser, content type) get the REST problem shape.
    const problem = out.contentType.startsWith('application/problem+json') && typeof body?.code === 'string';
    if (!problem) {
      if (!body || (!Array.isArray(body.errors) && body.data === undefined)) {
        broken.push('answer is neither a GraphQL result nor a problem+json');
      }
      const codes = (body?.errors ?? []).map((e) => e.extensions?.code);
      if (codes.some((c) => typeof c !== 'string')) broken.push('GraphQL error without extensions.code');
      if (codes.includes('INTERNAL_SERVER_ERROR')) broken.push('GraphQL INTERNAL_SERVER_ERROR');
      if (req.credential === 'none' || req.credential === 'invalid') {
        if (gotData(body) && req.mutating) broken.push('unauthenticated mutation returned data');
        if (codes.some((c) => c !== 'UNAUTHENTICATED' && !PRE_EXECUTION.has(String(c)))) {
          broken.push('unauthenticated request refused with another code than UNAUTHENTICATED');
        }
      }
      if (req.credential === 'readOnly' && req.mutating) {
        if (gotData(body)) broken.push('read-only mutation returned data');
        if (codes.some((c) => c !== 'FORBIDDEN' && !PRE_EXECUTION.has(String(c)))) {
          broken.push('read-only mutation refused with another code than FORBIDDEN');
        }
      }
    } else if (out.status < 400) {
      broken.push('problem+json with a success status');
    }
    return broken;
  },
  refused(_req, out) {
    const body = (Array.isArray(out.body) ? undefined : out.body) as GqlBody | undefined;
    return out.status === 0 || out.status >= 400 || (Array.isArray(body?.errors) && !gotData(body));
  },
};

describe(`GraphQL fuzz (seed ${FUZZ_SEED})`, () => {
  let t: TestApp;
  let ctx: GraphqlContext;
  let runner: FuzzRunner;

  beforeAll(async () => {
    const app = await startFuzzApp(graphqlRules);
    ({ t, runner } = app);
    ctx = { doc: app.doc, pools: app.pools };
  });
  afterAll(() => t?.close());

  it(
    'answers every malformed operation with coded errors (never INTERNAL_SERVER_ERROR) and changes nothing when refusing',
    async () => {
      const schema = t.app.get(GraphQLSchemaHost).schema;
      const operations = graphqlOperations(schema);
      expect(operations.length).toBeGreaterThan(40);
      const requests: FuzzRequest[] = [];
      for (const o of operations) {
        requests.push(...sampleRequests(operationName(o), graphqlRequestArb(o, ctx), CI_RUNS));
      }
      requests.push(...transportRequests(fc.sample(credentialArb, { seed: FUZZ_SEED, numRuns: 50 })));
      await runner.run(requests);
      expect(report('graphql', runner)).toEqual([]);
    },
    FUZZ_TIMEOUT_MS,
  );
});
