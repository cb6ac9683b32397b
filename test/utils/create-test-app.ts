import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import type { App } from 'supertest/types';
import { AppModule } from '../../apps/api/src/app.module';
import type { ConfigOverrides } from '../../apps/api/src/config/app-config';
import { configureApp } from '../../apps/api/src/configure-app';
import { provisionDatabase, type TestDatabase } from './test-database';

export interface TestApp {
  app: INestApplication<App>;
  http: () => ReturnType<typeof request>;
  gql: <T = Record<string, unknown>>(
    query: string,
    variables?: Record<string, unknown>,
  ) => Promise<GqlResult<T>>;
  close(): Promise<void>;
  database: TestDatabase;
}

export interface GqlResult<T> {
  status: number;
  data: T | null;
  errors?: {
    message: string;
    extensions?: { code?: string; errors?: { field: string; message: string }[] } & Record<string, unknown>;
  }[];
}

/** The production module with an isolated database: in-memory PGlite, or a fresh PostgreSQL database. */
export async function createTestApp(overrides: ConfigOverrides = {}): Promise<TestApp> {
  const database = await provisionDatabase();
  const moduleRef = await Test.createTestingModule({
    imports: [
      AppModule.forRoot({ databaseUrl: database.url, dataDir: null, logLevel: 'silent', ...overrides }),
    ],
  }).compile();
  const app = moduleRef.createNestApplication<INestApplication<App>>({ logger: false });
  configureApp(app);
  await app.init();
  const http = (): ReturnType<typeof request> => request(app.getHttpServer());
  return {
    app,
    http,
    database,
    async gql<T>(query: string, variables?: Record<string, unknown>): Promise<GqlResult<T>> {
      const res = await request(app.getHttpServer()).post('/graphql').send({ query, variables });
      const body = res.body as { data?: T | null; errors?: GqlResult<T>['errors'] };
      return { status: res.status, data: body.data ?? null, errors: body.errors };
    },
    async close() {
      await app.close();
      await database.drop();
    },
  };
}
