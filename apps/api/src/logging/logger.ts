import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { LoggerService } from '@nestjs/common';
import pino, { type Logger, type LoggerOptions } from 'pino';
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

/** The service logger's options, whatever it writes to. */
export function loggerOptions(level: LogLevel): LoggerOptions {
  return {
    level,
    base: { service: 'utm-firewall-orchestrator' },
    redact: { paths: REDACT, censor: '[redacted]' },
  };
}

export function createLogger(level: LogLevel, file?: string): Logger {
  const options = loggerOptions(level);
  if (!file) return pino(options);
  const streams = [
    { level, stream: pino.destination(1) },
    { level, stream: pino.destination({ dest: file, sync: true, mkdir: true }) },
  ];
  return pino(options, pino.multistream(streams));
}

/**
 * Writes out, synchronously, what the logger's destination still holds. Its standard output is asynchronous (lines
 * written while a write is under way wait in memory), and a SIGTERM, once Nest has shut down, kills the process
 * without the exit event on which pino would have flushed them.
 */
export function flushLogger(logger: Logger): void {
  const destination = (logger as unknown as Record<symbol, { flushSync?: () => void } | undefined>)[
    pino.symbols.streamSym
  ];
  try {
    destination?.flushSync?.();
  } catch {
    // A destination not open yet, or already closed, holds nothing to write.
  }
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

type LoggedRequest = IncomingMessage & {
  id?: unknown;
  originalUrl?: string;
  principal?: { name: string } | null;
};

/** What the access log keeps of a request between its start and its answer. */
interface PendingLine {
  req: LoggedRequest;
  startedAt: number;
}

/** Where the request log keeps a request until its answer is done (see preshapeRequests). */
export const PENDING = Symbol('accessLogPending');
/** `err`: where pino-http looked for an error to log with the line; still honoured. */
type LoggedResponse = ServerResponse & { [PENDING]?: PendingLine; err?: unknown };

const HEALTH_PROBE = /^\/health(?:[/?]|$)/;

/**
 * The request log: one line per answered request, `{req: {id, method, url}, actor?, res: {statusCode},
 * responseTime}` with the message `request completed` (`request aborted` when the client left first, `request
 * errored` with `err` for 5xx), at level info, warn for 4xx, error for 5xx. Health probes are not logged. Assigns the
 * request id (X-Request-Id) as it starts.
 *
 * The same lines pino-http wrote with this configuration, without its per-request cost: it built two child loggers
 * per request (serialising the request at start, the caller at the end) and copied every request and response header
 * into objects its serializers then dropped. Here the line is built once, when the answer is done.
 */
export function createAccessLog(logger: Logger): (req: IncomingMessage, res: ServerResponse) => void {
  // A line holds only the fields built below, none of which the redact paths can match (they name headers, which
  // are not logged, and secret fields of objects, which these are not), so it skips the redaction walk. Lines with an
  // error object keep it: an error may carry such a field.
  const plain = logger.child({}, { redact: [] });

  const write = (res: LoggedResponse, error: unknown): void => {
    const pending = res[PENDING];
    if (!pending) return;
    res[PENDING] = undefined;
    res.removeListener('close', onClose);
    res.removeListener('finish', onFinish);
    res.removeListener('error', onError);
    const { req, startedAt } = pending;
    const responseTime = Date.now() - startedAt;
    const failed = error || res.err || res.statusCode >= 500;
    const level = error || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info';
    const line: Record<string, unknown> = {
      req: { id: req.id, method: req.method, url: redactUrl(req.originalUrl || req.url || '') },
    };
    if (req.principal) line.actor = req.principal.name;
    // As written before the answer: a request that ends before its status was sent has none.
    line.res = { statusCode: res.headersSent ? res.statusCode : null };
    if (failed) {
      line.err = error || res.err || new Error(`failed with status code ${res.statusCode}`);
      line.responseTime = responseTime;
      logger[level](line, 'request errored');
      return;
    }
    line.responseTime = responseTime;
    plain[level](line, !req.readableAborted && res.writableEnded ? 'request completed' : 'request aborted');
  };
  // Shared by every request (the response is `this`), so none allocates listeners of its own.
  function onFinish(this: LoggedResponse): void {
    write(this, undefined);
  }
  function onClose(this: LoggedResponse): void {
    write(this, undefined);
  }
  function onError(this: LoggedResponse, error: unknown): void {
    write(this, error);
  }

  return (req: LoggedRequest, res: LoggedResponse): void => {
    req.id = req.id || assignRequestId(req, res);
    res[PENDING] = { req, startedAt: Date.now() };
    // originalUrl: the middleware is mounted under paths (configureApp), so Express has cut req.url to the rest.
    if (!HEALTH_PROBE.test(req.originalUrl ?? req.url ?? '')) {
      res.on('close', onClose);
      res.on('finish', onFinish);
    }
    // Also for health probes: a failed write is logged, and a response with an 'error' listener does not crash the
    // process when it emits one.
    res.on('error', onError);
  };
}

/** Routes Nest's own logging (bootstrap, exceptions) into the same JSON stream. */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}

  log(message: unknown, context?: string): void {
    this.logger.info({ context }, stringify(message));
  }

  error(message: unknown, trace?: string, context?: string): void {
    // Nest's ExceptionHandler passes the Error itself (a failed start): keep its message and stack.
    if (message instanceof Error)
      this.logger.error({ context, trace: trace ?? message.stack }, message.message);
    else this.logger.error({ context, trace }, stringify(message));
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
