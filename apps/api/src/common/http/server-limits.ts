import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import type { NextFunction, Request, Response } from 'express';
import type { AppConfig } from '../../config/app-config';
import { problemDocument } from '../errors/all-exceptions.filter';
import { DomainError, type ErrorCode } from '../errors/domain-error';
import { normaliseError } from '../errors/error-mapping';

/** Limits of the HTTP layer below the routes; the README documents them. */
export const SERVER_LIMITS = {
  /** Request line plus all headers (Node's default, made explicit); more is answered 431. */
  maxHeaderBytes: 16_384,
  /** Longest request target (path and query) routed; longer ones are answered 414. */
  maxUrlLength: 8_192,
  /**
   * How often Node checks connections against headersTimeout/requestTimeout. Node's default (30 s) would let a
   * slow client hold a connection up to 30 s past either timeout.
   */
  connectionsCheckingIntervalMs: 1_000,
} as const;

export type ServerTimeouts = Pick<
  AppConfig,
  'httpHeadersTimeoutMs' | 'httpRequestTimeoutMs' | 'httpKeepAliveTimeoutMs'
>;

/**
 * Applies the limits to the server Nest created, before it listens: shared by main.ts (through configureApp) and
 * the e2e test app, so tests exercise the same socket-level behaviour.
 */
export function hardenHttpServer(server: Server, timeouts: ServerTimeouts): void {
  // Read by Node for every new connection's parser; http.Server's typings only expose it as a createServer option.
  (server as Server & { maxHeaderSize: number }).maxHeaderSize = SERVER_LIMITS.maxHeaderBytes;
  // Read when the server starts listening, which is after this.
  (server as Server & { connectionsCheckingInterval: number }).connectionsCheckingInterval =
    SERVER_LIMITS.connectionsCheckingIntervalMs;
  server.headersTimeout = timeouts.httpHeadersTimeoutMs;
  server.requestTimeout = timeouts.httpRequestTimeoutMs;
  server.keepAliveTimeout = timeouts.httpKeepAliveTimeoutMs;
  server.on('clientError', answerClientError);
}

/** Parser-level refusals Node reports through 'clientError', by its error code. */
const CLIENT_ERRORS: Record<string, { code: ErrorCode; detail: string }> = {
  HPE_HEADER_OVERFLOW: {
    code: 'REQUEST_HEADER_FIELDS_TOO_LARGE',
    detail: `the request line and headers exceed ${SERVER_LIMITS.maxHeaderBytes} bytes`,
  },
  ERR_HTTP_REQUEST_TIMEOUT: {
    code: 'REQUEST_TIMEOUT',
    detail: 'the request was not received in time',
  },
};
const MALFORMED = { code: 'BAD_USER_INPUT' as ErrorCode, detail: 'the request is not valid HTTP/1.1' };

/**
 * Node answers requests its parser refuses (bad bytes in a header, oversized headers, timeouts) with a bare
 * status line; this answers them like every other error, as problem+json with a `code`. The detail is fixed
 * text: nothing of the refused bytes is echoed.
 */
function answerClientError(error: Error & { code?: string }, socket: Socket): void {
  // Same rule as Node's own handler: only a socket that has not started another answer can take this one.
  if (error.code === 'ECONNRESET' || !socket.writable || socket.bytesWritten > 0) {
    socket.destroy();
    return;
  }
  const known = CLIENT_ERRORS[error.code ?? ''] ?? MALFORMED;
  const problem = normaliseError(new DomainError(known.code, known.detail));
  const body = JSON.stringify(problemDocument(problem));
  socket.end(
    `HTTP/1.1 ${problem.status} ${problem.title}\r\n` +
      'Content-Type: application/problem+json; charset=utf-8\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      'Connection: close\r\n\r\n' +
      body,
  );
}

/** Express middleware, first in line: 414 for request targets longer than SERVER_LIMITS.maxUrlLength. */
export function limitUrlLength(req: Request, _res: Response, next: NextFunction): void {
  if (req.originalUrl.length > SERVER_LIMITS.maxUrlLength) {
    // The filter renders `instance` from originalUrl; it must not echo the oversized target.
    req.originalUrl = req.originalUrl.slice(0, 64) + '…';
    next(
      new DomainError('URI_TOO_LONG', `the request target exceeds ${SERVER_LIMITS.maxUrlLength} characters`),
    );
    return;
  }
  next();
}
