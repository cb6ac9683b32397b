import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { LoggerService } from '@nestjs/common';
import pino, { type Logger } from 'pino';
import pinoHttp, { type HttpLogger } from 'pino-http';
import type { LogLevel } from '../config/app-config';

// Anything that may carry a secret is removed before a log line is written.
const REDACT = [
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'req.headers.cookie',
  '*.credentials',
  '*.password',
  '*.apiKey',
  '*.token',
  '*.secret',
];

export function createLogger(level: LogLevel, file?: string): Logger {
  const options = {
    level,
    base: { service: 'utm-firewall-orchestrator' },
    redact: { paths: REDACT, censor: '[redacted]' },
  };
  if (!file) return pino(options);
  const streams = [
    { level, stream: pino.destination(1) },
    { level, stream: pino.destination({ dest: file, sync: true, mkdir: true }) },
  ];
  return pino(options, pino.multistream(streams));
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

// Query parameters whose name suggests a secret (`access_token`, `apiKey`, `client_secret`, `password`, `sig`…).
const SECRET_PARAM = /token|secret|passw|pwd|key|auth|sig|credential|session|cookie/i;

/**
 * The URL with the values of secret-looking query parameters replaced by `[redacted]`; everything else is kept
 * byte for byte. Clients do put tokens in URLs (`?access_token=`) even though the API never reads them there, and
 * a URL ends up in logs and stored records.
 */
export function redactUrl(url: string): string {
  const at = url.indexOf('?');
  if (at < 0) return url;
  const hashAt = url.indexOf('#', at);
  const query = url.slice(at + 1, hashAt < 0 ? undefined : hashAt);
  const redacted = query
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      const rawName = eq < 0 ? pair : pair.slice(0, eq);
      let name = rawName;
      try {
        name = decodeURIComponent(rawName.replace(/\+/g, ' '));
      } catch {
        // A malformed escape is matched as written.
      }
      return eq >= 0 && SECRET_PARAM.test(name) ? `${rawName}=[redacted]` : pair;
    })
    .join('&');
  return `${url.slice(0, at)}?${redacted}${hashAt < 0 ? '' : url.slice(hashAt)}`;
}

/** The caller's `X-Request-Id` when well-formed, else a new one; echoed back in the response header. */
export function assignRequestId(req: IncomingMessage, res: ServerResponse): string {
  const header = req.headers['x-request-id'];
  const id = typeof header === 'string' && REQUEST_ID.test(header) ? header : randomUUID();
  res.setHeader('X-Request-Id', id);
  return id;
}

export function createHttpLogger(logger: Logger): HttpLogger {
  return pinoHttp({
    logger,
    genReqId: assignRequestId,
    customLogLevel: (_req, res, error) =>
      error || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info',
    // originalUrl: Nest mounts this middleware under a path pattern, so Express has already cut req.url to '/'.
    autoLogging: {
      ignore: (req) =>
        /^\/health(?:[/?]|$)/.test(
          (req as IncomingMessage & { originalUrl?: string }).originalUrl ?? req.url ?? '',
        ),
    },
    customProps: (req) => {
      const principal = (req as IncomingMessage & { principal?: { name: string } | null }).principal;
      return principal ? { actor: principal.name } : {};
    },
    serializers: {
      req: (req: { id: unknown; method: string; url: string }) => ({
        id: req.id,
        method: req.method,
        url: redactUrl(req.url),
      }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
    },
  });
}

/** Routes Nest's own logging (bootstrap, exceptions) into the same JSON stream. */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}

  log(message: unknown, context?: string): void {
    this.logger.info({ context }, stringify(message));
  }

  error(message: unknown, trace?: string, context?: string): void {
    this.logger.error({ context, trace }, stringify(message));
  }

  warn(message: unknown, context?: string): void {
    this.logger.warn({ context }, stringify(message));
  }

  debug(message: unknown, context?: string): void {
    this.logger.debug({ context }, stringify(message));
  }

  verbose(message: unknown, context?: string): void {
    this.logger.trace({ context }, stringify(message));
  }
}

function stringify(message: unknown): string {
  return typeof message === 'string' ? message : JSON.stringify(message);
}
