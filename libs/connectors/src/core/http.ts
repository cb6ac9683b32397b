import * as http from 'node:http';
import * as https from 'node:https';
import { ConnectorError, errorCode, kindForNetworkError, kindForStatus, type ErrorKind } from './errors';
import type { ResolvedSettings } from './target';
import { createAgent } from './tls';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
export type QueryValue = string | number | boolean | Array<string | number>;

export interface HttpRequestOptions {
  method: HttpMethod;
  /** Path relative to the device URL (which may itself carry a path prefix). */
  path: string;
  /** Serialised as `application/x-www-form-urlencoded`; arrays repeat the key as given. */
  query?: Record<string, QueryValue | undefined>;
  /** JSON body; sets `Content-Type: application/json`. */
  json?: unknown;
  headers?: Record<string, string>;
  /** Retried on transient failures. Default: true for GET only. Never set it for a write. */
  idempotent?: boolean;
  timeoutMs?: number;
  /** Non-2xx statuses returned to the caller instead of thrown. */
  acceptStatus?: number[];
}

export interface HttpResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  attempts: number;
  durationMs: number;
}

/** What a vendor can tell about a failed answer. */
export interface ErrorClassification {
  kind?: ErrorKind;
  vendorMessage?: string;
  vendorCode?: string;
}

export interface ExchangeEvent {
  method: HttpMethod;
  path: string;
  attempt: number;
  status?: number;
  durationMs: number;
  error?: ErrorKind;
}

export interface HttpClientOptions {
  settings: ResolvedSettings;
  /** Used in messages, e.g. `pfSense`. */
  vendorLabel: string;
  /** Authentication headers, computed per request. Never logged. */
  authHeaders: () => Record<string, string>;
  /** Vendor refinement of non-2xx answers (error envelope parsing). */
  classify?: (res: HttpResponse) => ErrorClassification | undefined;
  onExchange?: (event: ExchangeEvent) => void;
  /** Injected for tests. */
  sleep?: (ms: number) => Promise<void>;
}

const RETRYABLE_STATUS = new Set([429, 500, 502, 503, 504]);
const MAX_BODY_BYTES = 64 * 1024 * 1024;

const defaultSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Shared HTTP(S) client for connectors (node:http/https only).
 * - Per-attempt timeout covering the whole exchange; separate connect timeout in the agent.
 * - Idempotent reads: retries with exponential backoff + jitter on network errors, timeouts, 429 and 5xx; a
 *   Retry-After (seconds or HTTP date) on 429/503 is honoured, up to `maxRetryAfterMs`.
 * - Writes: exactly one attempt. A failed write is surfaced, never repeated: the next push re-reads and re-plans.
 * - Failures are ConnectorErrors classified by status, vendor envelope and socket error code.
 */
export class HttpClient {
  private readonly agent: http.Agent;
  private readonly sleep: (ms: number) => Promise<void>;
  private closed = false;

  constructor(private readonly options: HttpClientOptions) {
    const { url, tls, timeouts } = options.settings;
    this.agent = createAgent(url, tls, timeouts.connectMs);
    this.sleep = options.sleep ?? defaultSleep;
  }

  get settings(): ResolvedSettings {
    return this.options.settings;
  }

  close(): void {
    this.closed = true;
    this.agent.destroy();
  }

  async request(req: HttpRequestOptions): Promise<HttpResponse> {
    if (this.closed) {
      throw new ConnectorError({
        kind: 'protocol',
        message: 'connector is closed',
        method: req.method,
        path: req.path,
      });
    }
    const idempotent = req.idempotent ?? req.method === 'GET';
    const { retry } = this.options.settings;
    const maxAttempts = idempotent ? retry.retries + 1 : 1;
    for (let attempt = 1; ; attempt++) {
      const t0 = Date.now();
      let res: HttpResponse;
      try {
        res = await this.once(req, attempt);
      } catch (raw) {
        const err = this.networkError(req, raw);
        this.options.onExchange?.({
          method: req.method,
          path: req.path,
          attempt,
          durationMs: Date.now() - t0,
          error: err.kind,
        });
        if (attempt >= maxAttempts || (err.kind !== 'unavailable' && err.kind !== 'timeout')) throw err;
        await this.sleep(this.backoff(attempt));
        continue;
      }
      this.options.onExchange?.({
        method: req.method,
        path: req.path,
        attempt,
        status: res.status,
        durationMs: res.durationMs,
      });
      if ((res.status >= 200 && res.status < 300) || req.acceptStatus?.includes(res.status)) return res;
      const retryAfterMs = parseRetryAfter(res.headers['retry-after']);
      const err = this.statusError(req, res, retryAfterMs);
      if (attempt >= maxAttempts || !RETRYABLE_STATUS.has(res.status)) throw err;
      let delay = this.backoff(attempt);
      if (retryAfterMs !== undefined && (res.status === 429 || res.status === 503)) {
        if (retryAfterMs > retry.maxRetryAfterMs) throw err;
        delay = retryAfterMs;
      }
      await this.sleep(delay);
    }
  }

  /** Parses a JSON body; a non-JSON answer is a `protocol` error. */
  parseJson(res: HttpResponse, req: Pick<HttpRequestOptions, 'method' | 'path'>): unknown {
    try {
      return JSON.parse(res.text) as unknown;
    } catch (cause) {
      throw new ConnectorError({
        kind: 'protocol',
        message: `${this.options.vendorLabel} ${req.method} ${req.path}: expected JSON, got ${describeBody(res)}`,
        status: res.status,
        method: req.method,
        path: req.path,
        cause,
      });
    }
  }

  private backoff(attempt: number): number {
    const { baseDelayMs, maxDelayMs } = this.options.settings.retry;
    const raw = Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1));
    return Math.round(raw * (0.5 + Math.random() * 0.5));
  }

  private statusError(
    req: HttpRequestOptions,
    res: HttpResponse,
    retryAfterMs: number | undefined,
  ): ConnectorError {
    let vendor: ErrorClassification | undefined;
    try {
      vendor = this.options.classify?.(res);
    } catch {
      vendor = undefined;
    }
    const kind = vendor?.kind ?? kindForStatus(res.status);
    const detail = vendor?.vendorMessage ?? describeBody(res);
    const code = vendor?.vendorCode ? `${vendor.vendorCode}: ` : '';
    return new ConnectorError({
      kind,
      message: `${this.options.vendorLabel} ${req.method} ${req.path} failed with HTTP ${res.status} (${kind}): ${code}${detail}`,
      status: res.status,
      vendorMessage: vendor?.vendorMessage,
      vendorCode: vendor?.vendorCode,
      method: req.method,
      path: req.path,
      retryAfterMs,
    });
  }

  private networkError(req: HttpRequestOptions, raw: unknown): ConnectorError {
    if (raw instanceof ConnectorError) return raw;
    const kind = kindForNetworkError(raw);
    const code = errorCode(raw);
    const text = raw instanceof Error ? raw.message : String(raw);
    const what =
      kind === 'tls' ? 'TLS verification failed' : kind === 'timeout' ? 'timed out' : 'connection failed';
    return new ConnectorError({
      kind,
      message: `${this.options.vendorLabel} ${req.method} ${req.path}: ${what} (${code ? `${code}: ` : ''}${text})`,
      vendorCode: code,
      method: req.method,
      path: req.path,
      cause: raw,
    });
  }

  private once(req: HttpRequestOptions, attempt: number): Promise<HttpResponse> {
    const { url: base, timeouts } = this.options.settings;
    const target = new URL(base.href);
    target.pathname = base.pathname.replace(/\/+$/, '') + req.path;
    target.search = serializeQuery(req.query);
    const body = req.json === undefined ? undefined : Buffer.from(JSON.stringify(req.json), 'utf8');
    const headers: Record<string, string> = {
      accept: 'application/json',
      'user-agent': 'utm-firewall-orchestrator',
      ...this.options.authHeaders(),
      ...req.headers,
    };
    if (body) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = String(body.length);
    }
    const timeoutMs = req.timeoutMs ?? timeouts.requestMs;
    const t0 = Date.now();
    const transport = target.protocol === 'https:' ? https : http;
    return new Promise<HttpResponse>((resolve, reject) => {
      let settled = false;
      const fail = (err: Error): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        reject(err);
      };
      const request = transport.request(
        {
          protocol: target.protocol,
          hostname: target.hostname.replace(/^\[|\]$/g, ''),
          port: target.port || undefined,
          path: target.pathname + target.search,
          method: req.method,
          headers,
          agent: this.agent,
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > MAX_BODY_BYTES) {
              request.destroy(new Error('response body too large'));
              return;
            }
            chunks.push(chunk);
          });
          res.on('aborted', () => fail(Object.assign(new Error('response aborted'), { code: 'ECONNRESET' })));
          res.on('error', fail);
          res.on('end', () => {
            if (settled) return;
            settled = true;
            clearTimeout(timer);
            resolve({
              status: res.statusCode ?? 0,
              headers: res.headers,
              text: Buffer.concat(chunks).toString('utf8'),
              attempts: attempt,
              durationMs: Date.now() - t0,
            });
          });
        },
      );
      const timer = setTimeout(() => {
        const err = Object.assign(new Error(`no complete answer within ${timeoutMs} ms`), {
          code: 'ERR_CONNECTOR_TIMEOUT',
        });
        fail(err);
        request.destroy(err);
      }, timeoutMs);
      request.on('error', fail);
      if (body) request.write(body);
      request.end();
    });
  }
}

export function serializeQuery(query: HttpRequestOptions['query']): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const v of value) params.append(key, String(v));
    else params.append(key, String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : '';
}

/** Retry-After as milliseconds: delta-seconds or an HTTP date; undefined when absent or unparsable. */
export function parseRetryAfter(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const raw = Array.isArray(value) ? value[0] : value;
  if (raw === undefined || raw.trim() === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(raw.trim())) return Math.round(Number(raw.trim()) * 1000);
  const date = Date.parse(raw);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

function describeBody(res: HttpResponse): string {
  const type = String(res.headers['content-type'] ?? 'no content-type');
  const text = res.text.replace(/\s+/g, ' ').trim();
  return `${type} body "${text.length > 160 ? `${text.slice(0, 160)}…` : text}"`;
}
