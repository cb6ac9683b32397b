import type { INestApplication, NestApplicationOptions } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { type Express, json, urlencoded } from 'express';
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
import { preshapeRequests } from './common/http/request-shape';
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
 * The options every app this module configures is created with (NestFactory.create, createNestApplication).
 * `bodyParser: false`: configureApp places the JSON and form parsers itself, inside its one request layer; Nest's
 * own, added at init, would be two more layers every request passes (harmless otherwise: a parsed body is not read
 * again).
 */
export const APP_OPTIONS = { bodyParser: false } as const satisfies NestApplicationOptions;

/** The request middleware's paths: the API and the routes outside its prefix (not the API documents). */
const SCOPED_PATHS = new RegExp(`^/(?:${[API_PREFIX, ...UNPREFIXED].join('|')})(?:[/?]|$)`, 'i');

/**
 * App-level wiring that modules cannot express (URL prefix, OpenAPI document); shared by main.ts and
 * the e2e test app so both serve the same routes. The app must be created with APP_OPTIONS.
 */
export function configureApp<A extends INestApplication>(app: A): A {
  const config = app.get<AppConfig>(APP_CONFIG);
  const express = app as unknown as NestExpressApplication;
  hardenHttpServer(app.getHttpServer() as Server, config);
  preshapeRequests(app.getHttpServer() as Server);
  // Before the per-IP limit, which keys on req.ip.
  express.set('trust proxy', config.trustProxyHops);
  express.disable('x-powered-by');
  sendVersionEtags(app.getHttpAdapter().getInstance() as Express);
  const scope = requestScope(createAccessLog(app.get<Logger>(PINO_LOGGER)));
  // Everything a request goes through before its route, as one Express layer: each layer costs every request a hop
  // through the router (a match, and for a mounted one a cut and restore of its URL), and these were five. In order:
  // - metrics first, so every request is timed and counted, refused ones included;
  // - then the cheapest refusals: nothing is parsed for a client over its rate or a target over its length;
  // - the JSON parser and the input checks, then the security headers: a refused body or query is answered without
  //   them, as always;
  // - the form parser (Nest's default; a form body is then refused by the JSON-body check);
  // - last, on the API and the routes outside its prefix (GraphQL included), the request log and id, the request
  //   context with the caller, and the JSON-body check.
  app.use(
    sequence(
      httpMetrics(app.get(MetricsService)),
      perIpRateLimit(config),
      limitUrlLength,
      json({ limit: config.bodyLimitBytes }),
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
      urlencoded({ extended: true }),
      (req, res, next) => (SCOPED_PATHS.test(req.url) ? scope(req, res, next) : next()),
    ),
  );
  if (config.corsOrigins.length) {
    app.enableCors({ origin: config.corsOrigins, exposedHeaders: ['ETag', 'X-Request-Id', 'Retry-After'] });
  }
  app.setGlobalPrefix(API_PREFIX, { exclude: UNPREFIXED });
  app.enableShutdownHooks();
  setupApiDocs(app, config);
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
