import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppModule } from '../apps/api/src/app.module';
import { APP_OPTIONS, configureApp } from '../apps/api/src/configure-app';

type AppOptions = NonNullable<Parameters<typeof AppModule.forRoot>[0]>;

/**
 * The real service as the benches measure it: listening on 127.0.0.1, silent, rate limits out of the way and the
 * scheduler idle, on the in-memory embedded database unless BENCH_DATABASE_URL names a PostgreSQL
 * database (run.ts gives each section one of its own). `options` adds what a section needs (push concurrency, keep-alive).
 */
export async function startBenchApp(
  adminToken: string,
  options: Partial<AppOptions> = {},
): Promise<{ app: INestApplication; base: string }> {
  const app = await NestFactory.create<INestApplication>(
    AppModule.forRoot({
      databaseUrl: process.env.BENCH_DATABASE_URL || undefined,
      dataDir: null,
      logLevel: 'silent',
      adminToken,
      rateLimitPerMinute: 1_000_000,
      rateLimitBurst: 1_000_000,
      rateLimitPerIpPerMinute: 1_000_000,
      rateLimitPerIpBurst: 1_000_000,
      schedulerIntervalMs: 3_600_000,
      ...options,
    }),
    { ...APP_OPTIONS, logger: false },
  );
  configureApp(app);
  await app.listen(0, '127.0.0.1');
  return { app, base: (await app.getUrl()).replace('[::1]', '127.0.0.1') };
}
