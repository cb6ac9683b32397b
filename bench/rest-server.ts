/**
 * A server process for the REST bench (`rest.bench.ts`): `app` starts the real service (PGlite, or PostgreSQL at
 * BENCH_DATABASE_URL), `bare` a Nest app with one route and nothing else. Each tells its parent its port and
 * resident memory once it listens and has settled; the parent stops it with SIGTERM.
 */
import 'reflect-metadata';
import { Controller, Get, type INestApplication, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { BENCH_ADMIN_TOKEN } from './bench-util';

/** What a server process reports on its IPC channel. */
export type ServerMessage =
  { kind: 'listening'; port: number; idleRss: number } | { kind: 'rss'; rss: number };

/** Same shape and size as a site. */
const BARE_BODY = {
  id: '4f1c9a8e-2b3d-4e5f-8a9b-0c1d2e3f4a5b',
  version: 1,
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
  name: 'bench-site',
  description: 'a site read by the REST bench',
  catalogVersion: null,
  tenantId: null,
};

@Controller()
class BareController {
  @Get('bare')
  get(): typeof BARE_BODY {
    return BARE_BODY;
  }
}

@Module({ controllers: [BareController] })
class BareModule {}

async function startApp(): Promise<INestApplication> {
  // Imported here so the bare process never loads the service's modules.
  const { AppModule } = await import('../apps/api/src/app.module');
  const { APP_OPTIONS, configureApp } = await import('../apps/api/src/configure-app');
  const app = await NestFactory.create<NestExpressApplication>(
    AppModule.forRoot({
      databaseUrl: process.env.BENCH_DATABASE_URL || undefined,
      dataDir: null,
      // Request logging on, as in production (the default level); the parent discards the output.
      logLevel: 'info',
      adminToken: BENCH_ADMIN_TOKEN,
      // The limits are per token and per address; the bench is one client sending as fast as it can.
      rateLimitPerMinute: 100_000_000,
      rateLimitBurst: 100_000_000,
      rateLimitPerIpPerMinute: 100_000_000,
      rateLimitPerIpBurst: 100_000_000,
    }),
    { ...APP_OPTIONS, logger: false },
  );
  configureApp(app);
  return app;
}

async function main(): Promise<void> {
  const mode = process.argv[2];
  if (mode !== 'app' && mode !== 'bare') throw new Error(`usage: rest-server.ts app|bare, not ${mode}`);
  const app = mode === 'app' ? await startApp() : await NestFactory.create(BareModule, { logger: false });
  await app.listen(0, '127.0.0.1');
  const address = app.getHttpServer().address() as { port: number };
  // Let start-up garbage go before reading the idle footprint.
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  (globalThis as { gc?: () => void }).gc?.();
  const send = (message: ServerMessage): void => void process.send?.(message);
  send({ kind: 'listening', port: address.port, idleRss: process.memoryUsage().rss });
  process.on('message', (message: unknown) => {
    if (message === 'rss') send({ kind: 'rss', rss: process.memoryUsage().rss });
  });
  process.once('SIGTERM', () => void app.close().finally(() => process.exit(0)));
  // Bounded: a bench that died without stopping this process does not leave it running.
  setTimeout(() => process.exit(0), 10 * 60_000).unref();
  process.on('disconnect', () => void app.close().finally(() => process.exit(0)));
}

// The bench imports this file for its constants; only the child process runs it.
if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
