import type { INestApplication, LoggerService } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import type { App } from 'supertest/types';
import { AppModule } from '../../apps/api/src/app.module';
import type { ConfigOverrides } from '../../apps/api/src/config/app-config';
import { APP_OPTIONS, configureApp } from '../../apps/api/src/configure-app';
import { provisionDatabase, type TestDatabase } from './test-database';

type Agent = ReturnType<typeof request.agent>;

export interface GqlResult<T> {
  status: number;
  data: T | null;
  errors?: {
    message: string;
    extensions?: { code?: string; errors?: { field: string; message: string }[] } & Record<string, unknown>;
  }[];
}

export interface TestApp {
  app: INestApplication<App>;
  /** Requests authenticated with the admin token. */
  http: () => Agent;
  /** Requests without credentials. */
  anon: () => ReturnType<typeof request>;
  /** Requests authenticated with the given token. */
  as: (token: string) => Agent;
  /** GraphQL over HTTP; authenticated as admin unless another token (or null for none) is given. */
  gql: <T = Record<string, unknown>>(
    query: string,
    variables?: Record<string, unknown>,
    token?: string | null,
  ) => Promise<GqlResult<T>>;
  /** Creates a token with these scopes through the API and returns its secret. */
  token: (scopes: string[], name?: string) => Promise<string>;
  adminToken: string;
  database: TestDatabase;
  close(): Promise<void>;
}

export const TEST_ADMIN_TOKEN = 'uto_test-admin-token-0123456789abcdef';
let tokenCounter = 0;

export interface TestAppOptions {
  /** Nest's own logger (bootstrap, unexpected errors); silent by default. */
  logger?: LoggerService | false;
}

/** The production module with an isolated database: in-memory PGlite, or a fresh PostgreSQL database. */
export async function createTestApp(
  overrides: ConfigOverrides = {},
  options: TestAppOptions = {},
): Promise<TestApp> {
  const database = await provisionDatabase();
  const moduleRef = await Test.createTestingModule({
    imports: [
      AppModule.forRoot({
        databaseUrl: database.url,
        dataDir: null,
        logLevel: 'silent',
        adminToken: TEST_ADMIN_TOKEN,
        // Suites fire requests far faster than any client; the rate-limit test sets its own limits.
        rateLimitPerMinute: 1_000_000,
        rateLimitBurst: 1_000_000,
        rateLimitPerIpPerMinute: 1_000_000,
        rateLimitPerIpBurst: 1_000_000,
        ...overrides,
      }),
    ],
  }).compile();
  const app = moduleRef.createNestApplication<INestApplication<App>>({
    ...APP_OPTIONS,
    logger: options.logger ?? false,
  });
  configureApp(app);
  await app.init();
  const adminToken = overrides.adminToken ?? TEST_ADMIN_TOKEN;
  const as = (token: string): Agent =>
    request.agent(app.getHttpServer()).set('Authorization', `Bearer ${token}`);
  return {
    app,
    http: () => as(adminToken),
    anon: () => request(app.getHttpServer()),
    as,
    adminToken,
    database,
    async gql<T>(query: string, variables?: Record<string, unknown>, token: string | null = adminToken) {
      const req = request(app.getHttpServer()).post('/graphql');
      if (token) void req.set('Authorization', `Bearer ${token}`);
      const res = await req.send({ query, variables });
      const body = res.body as { data?: T | null; errors?: GqlResult<T>['errors'] };
      return { status: res.status, data: body.data ?? null, errors: body.errors };
    },
    async token(scopes: string[], name?: string): Promise<string> {
      tokenCounter += 1;
      const res = await as(adminToken)
        .post('/api/v1/tokens')
        .send({ name: name ?? `test-${scopes.join('-') || 'none'}-${tokenCounter}`, scopes });
      if (res.status !== 201)
        throw new Error(`creating a token answered ${res.status}: ${JSON.stringify(res.body)}`);
      return (res.body as { token: string }).token;
    },
    async close() {
      await app.close();
      await database.drop();
    },
  };
}
