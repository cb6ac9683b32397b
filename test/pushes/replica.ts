import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import type { App } from 'supertest/types';
import { AppModule } from '../../apps/api/src/app.module';
import type { ConfigOverrides } from '../../apps/api/src/config/app-config';
import { APP_OPTIONS, configureApp } from '../../apps/api/src/configure-app';
import { TEST_ADMIN_TOKEN, type TestApp } from '../utils/create-test-app';

export interface Replica {
  app: INestApplication<App>;
  http: () => ReturnType<typeof request.agent>;
  close(): Promise<void>;
}

/** A second service instance on the same PostgreSQL database as `t` (like another replica). */
export async function createReplica(t: TestApp, overrides: ConfigOverrides = {}): Promise<Replica> {
  if (!t.database.url) throw new Error('replicas need a PostgreSQL database (DATABASE_URL)');
  const moduleRef = await Test.createTestingModule({
    imports: [
      AppModule.forRoot({
        databaseUrl: t.database.url,
        dataDir: null,
        logLevel: 'silent',
        adminToken: TEST_ADMIN_TOKEN,
        rateLimitPerMinute: 1_000_000,
        rateLimitBurst: 1_000_000,
        ...overrides,
      }),
    ],
  }).compile();
  const app = moduleRef.createNestApplication<INestApplication<App>>({ ...APP_OPTIONS, logger: false });
  configureApp(app);
  await app.init();
  return {
    app,
    http: () => request.agent(app.getHttpServer()).set('Authorization', `Bearer ${TEST_ADMIN_TOKEN}`),
    close: () => app.close(),
  };
}
