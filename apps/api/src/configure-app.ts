import type { INestApplication } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { Express } from 'express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import helmet from 'helmet';
import { API_DOCS_PATHS, apiDocsAccess } from './auth/api-docs-access';
import { RequestAuthenticator } from './auth/request-authenticator';
import type { Server } from 'node:http';
import type { Logger } from 'pino';
import type { AppConfig } from './config/app-config';
import { perIpRateLimit } from './auth/rate-limiter';
import { inputGuard } from './common/http/input-guard';
import { requestScope } from './common/http/request-scope.middleware';
import { sequence } from './common/http/middleware-sequence';
import { replayHeaders } from './common/http/static-headers';
import { hardenHttpServer, limitUrlLength } from './common/http/server-limits';
import { documentProblems } from './common/http/openapi-problems';
import { sendVersionEtags } from './common/http/version-etag';
import { APP_CONFIG } from './config/config.module';
import { createAccessLog } from './logging/logger';
import { PINO_LOGGER } from './logging/logging.module';
import { httpMetrics } from './metrics/http-metrics.middleware';
import { MetricsService } from './metrics/metrics.service';

export const API_PREFIX = 'api/v1';
/** Routes served outside API_PREFIX. */
const UNPREFIXED = ['health', 'metrics', 'graphql'];

/**
 * App-level wiring that modules cannot express (URL prefix, OpenAPI document); shared by main.ts and
 * the e2e test app so both serve the same routes.
 */
export function configureApp<A extends INestApplication>(app: A): A {
  const config = app.get<AppConfig>(APP_CONFIG);
  const express = app as unknown as NestExpressApplication;
  hardenHttpServer(app.getHttpServer() as Server, config);
  // Before the per-IP limit, which keys on req.ip.
  express.set('trust proxy', config.trustProxyHops);
  // Metrics first, so every request is timed and counted, refused ones included. Then the cheapest refusals: nothing
  // is parsed for a client over its rate or a target over its length.
  app.use(sequence(httpMetrics(app.get(MetricsService)), perIpRateLimit(config), limitUrlLength));
  express.useBodyParser('json', { limit: config.bodyLimitBytes });
  express.disable('x-powered-by');
  sendVersionEtags(app.getHttpAdapter().getInstance() as Express);
  // The security headers after the input checks, as always: a refused body or query is answered without them.
  app.use(
    sequence(
      inputGuard,
      replayHeaders(
        helmet({
          // Swagger UI (/api/docs) needs its inline bootstrap script and styles; everything else is JSON.
          contentSecurityPolicy: {
            directives: {
              defaultSrc: ["'self'"],
              scriptSrc: ["'self'", "'unsafe-inline'"],
              styleSrc: ["'self'", "'unsafe-inline'"],
              imgSrc: ["'self'", 'data:'],
            },
          },
        }),
      ),
    ),
  );
  if (config.corsOrigins.length) {
    app.enableCors({ origin: config.corsOrigins, exposedHeaders: ['ETag', 'X-Request-Id', 'Retry-After'] });
  }
  app.setGlobalPrefix(API_PREFIX, { exclude: UNPREFIXED });
  app.enableShutdownHooks();
  setupApiDocs(app, config);
  // Last, as Nest would add them at init: the urlencoded parser (Nest then skips its own), then the request middleware
  // (request log and id, request context with the caller, JSON-body check) on the API and the routes outside the
  // prefix, GraphQL included. An Express layer rather than a Nest middleware: Nest mounts one on each of its paths
  // (eight layers here) behind an async wrapper, and every request paid for all of them.
  express.useBodyParser('urlencoded', { extended: true });
  app.use(
    [`/${API_PREFIX}`, ...UNPREFIXED.map((path) => `/${path}`)],
    requestScope(createAccessLog(app.get<Logger>(PINO_LOGGER))),
  );
  return app;
}

/**
 * OpenAPI document (`/api/openapi.json`, `/api/openapi.yaml`) and Swagger UI (`/api/docs`), as API_DOCS says:
 * `token` needs a valid token of any scope, `public` serves them to anyone, `off` registers nothing (404).
 */
function setupApiDocs(app: INestApplication, config: AppConfig): void {
  if (config.apiDocs === 'off') return;
  if (config.apiDocs === 'token') app.use(API_DOCS_PATHS, apiDocsAccess(app.get(RequestAuthenticator)));
  const document = documentProblems(
    SwaggerModule.createDocument(
      app,
      new DocumentBuilder()
        .setTitle('utm-firewall-orchestrator')
        .setDescription('Computes, pushes and verifies the firewall rules UTMStack deployments need.')
        .setVersion('1')
        .addBearerAuth({
          type: 'http',
          scheme: 'bearer',
          description: 'API token (see README: tokens and scopes)',
        })
        .addSecurityRequirements('bearer')
        .build(),
    ),
  );
  SwaggerModule.setup('api/docs', app, document, {
    jsonDocumentUrl: 'api/openapi.json',
    yamlDocumentUrl: 'api/openapi.yaml',
  });
}
