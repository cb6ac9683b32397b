/**
 * Classified connector errors. Every failure that leaves a connector is a `ConnectorError` with one of a small set of
 * kinds, so callers (push history, API problem+json, retry policy) can act on the kind without parsing messages.
 * The vendor's own message and code, and the HTTP status, are kept verbatim for the operator.
 */

export const ERROR_KINDS = [
  /** Credentials missing/wrong, or the credential lacks the privilege (401/403 from the device). */
  'authentication',
  /** TLS handshake refused: untrusted certificate, hostname mismatch, pinned fingerprint mismatch. */
  'tls',
  /** The device (or the connector, before sending) rejected the data as invalid. */
  'validation',
  /** Ownership or concurrency conflict: a colliding unmanaged object, or the device changed under us. */
  'conflict',
  /** The object or endpoint does not exist. */
  'not_found',
  /** Device unreachable, connection dropped, 429/5xx busy answers. Usually transient. */
  'unavailable',
  /** No (complete) answer within the configured timeout. */
  'timeout',
  /** The device answered something the connector does not understand (non-JSON, wrong envelope, 5xx crash). */
  'protocol',
] as const;

export type ErrorKind = (typeof ERROR_KINDS)[number];

export interface ConnectorErrorInit {
  kind: ErrorKind;
  message: string;
  /** HTTP status of the device's answer, when there was one. */
  status?: number;
  /** The vendor's own error text, verbatim. */
  vendorMessage?: string;
  /** The vendor's own error code (pfSense `response_id`, FortiOS `error`, OPNsense `errorTitle`). */
  vendorCode?: string;
  method?: string;
  /** Path (no query string, never credentials) of the request that failed. */
  path?: string;
  /** Server-requested wait before trying again (Retry-After), in milliseconds. */
  retryAfterMs?: number;
  /** Structured detail (e.g. the list of conflicting objects). Must be JSON-serialisable. */
  details?: unknown;
  cause?: unknown;
}

export interface ConnectorErrorJson {
  name: 'ConnectorError';
  kind: ErrorKind;
  message: string;
  status?: number;
  vendorMessage?: string;
  vendorCode?: string;
  method?: string;
  path?: string;
  retryAfterMs?: number;
  details?: unknown;
}

export class ConnectorError extends Error {
  readonly kind: ErrorKind;
  readonly status?: number;
  readonly vendorMessage?: string;
  readonly vendorCode?: string;
  readonly method?: string;
  readonly path?: string;
  readonly retryAfterMs?: number;
  readonly details?: unknown;

  constructor(init: ConnectorErrorInit) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = 'ConnectorError';
    this.kind = init.kind;
    this.status = init.status;
    this.vendorMessage = init.vendorMessage;
    this.vendorCode = init.vendorCode;
    this.method = init.method;
    this.path = init.path;
    this.retryAfterMs = init.retryAfterMs;
    this.details = init.details;
  }

  /** True for kinds where trying again later (a new push) may succeed without any change by an operator. */
  get transient(): boolean {
    return this.kind === 'unavailable' || this.kind === 'timeout';
  }

  toJSON(): ConnectorErrorJson {
    const json: ConnectorErrorJson = { name: 'ConnectorError', kind: this.kind, message: this.message };
    if (this.status !== undefined) json.status = this.status;
    if (this.vendorMessage !== undefined) json.vendorMessage = this.vendorMessage;
    if (this.vendorCode !== undefined) json.vendorCode = this.vendorCode;
    if (this.method !== undefined) json.method = this.method;
    if (this.path !== undefined) json.path = this.path;
    if (this.retryAfterMs !== undefined) json.retryAfterMs = this.retryAfterMs;
    if (this.details !== undefined) json.details = this.details;
    return json;
  }
}

export function isConnectorError(value: unknown): value is ConnectorError {
  return value instanceof ConnectorError;
}

/** Wraps anything thrown into a ConnectorError (unknown errors become `protocol`). */
export function toConnectorError(err: unknown, fallbackKind: ErrorKind = 'protocol'): ConnectorError {
  if (err instanceof ConnectorError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new ConnectorError({ kind: fallbackKind, message, cause: err });
}

/** Default mapping of an HTTP status to an error kind; vendors refine it with their own codes. */
export function kindForStatus(status: number): ErrorKind {
  if (status === 401 || status === 403) return 'authentication';
  if (status === 404) return 'not_found';
  if (status === 408) return 'timeout';
  if (status === 409 || status === 412) return 'conflict';
  if (status === 400 || status === 422 || status === 424) return 'validation';
  if (status === 429 || status === 502 || status === 503 || status === 504) return 'unavailable';
  return 'protocol';
}

const TLS_ERROR_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'CERT_SIGNATURE_FAILURE',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'ERR_TLS_FINGERPRINT_MISMATCH',
  'EPROTO',
]);

const UNAVAILABLE_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EHOSTDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ECONNABORTED',
  'UND_ERR_SOCKET',
]);

/** Classifies a low-level (socket/TLS) error raised before any HTTP answer was received. */
export function kindForNetworkError(err: unknown): ErrorKind {
  const code = errorCode(err);
  if (code && (TLS_ERROR_CODES.has(code) || code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_')))
    return 'tls';
  if (code === 'ETIMEDOUT' || code === 'ERR_CONNECTOR_TIMEOUT') return 'timeout';
  if (code && UNAVAILABLE_ERROR_CODES.has(code)) return 'unavailable';
  const message = err instanceof Error ? err.message : '';
  if (/socket hang up|closed|reset/i.test(message)) return 'unavailable';
  if (/certificate|ssl|tls/i.test(message)) return 'tls';
  return 'unavailable';
}

export function errorCode(err: unknown): string | undefined {
  if (typeof err === 'object' && err !== null && 'code' in err) {
    const code = err.code;
    return typeof code === 'string' ? code : undefined;
  }
  return undefined;
}

/** The device answered 403: the credentials work but lack a privilege for this call. */
export function isForbidden(err: unknown): err is ConnectorError {
  return err instanceof ConnectorError && err.kind === 'authentication' && err.status === 403;
}
