import * as http from 'node:http';
import * as https from 'node:https';
import type { Socket } from 'node:net';
import { TEST_CERT_PEM, TEST_KEY_PEM } from '../testing/certs';
import { FaultController, type FaultSpec } from './faults';

export interface SimRequest {
  method: string;
  path: string;
  /** Raw query string without `?` (vendors parse it their own way). */
  rawQuery: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  text: string;
  remoteAddress: string;
}

export interface SimResponse {
  status: number;
  headers?: Record<string, string>;
  body?: string;
}

export type SimHandler = (req: SimRequest) => SimResponse | Promise<SimResponse>;

export interface CallRecord {
  seq: number;
  method: string;
  path: string;
  query: string;
  /** Null when no answer was sent (dropped or hung connection). */
  status: number | null;
  fault?: FaultSpec['type'];
  durationMs: number;
}

export interface SimulatorServerOptions {
  handler: SimHandler;
  /** `true` = HTTPS with the committed test certificate (CN/SAN 127.0.0.1); or your own key/cert PEMs. */
  https?: boolean | { key: string; cert: string };
  host?: string;
  /** 0 (default) = ephemeral port. */
  port?: number;
  /** Added to every request. */
  latencyMs?: number;
  /** Upper bound for `hang` faults (default 30 s); hung connections are also destroyed on stop. */
  maxHangMs?: number;
  /** Vendor-specific body for `status`/`retry-after` faults. */
  faultResponse?: (status: number, req: SimRequest) => SimResponse;
  maxBodyBytes?: number;
}

/** Per-route call counters, in arrival order. */
export class CallLog {
  private records: CallRecord[] = [];

  push(record: CallRecord): void {
    this.records.push(record);
  }

  list(): CallRecord[] {
    return [...this.records];
  }

  /** Calls matching a method (or `WRITE` = not GET/HEAD) and/or path. */
  count(filter: { method?: string; path?: string | RegExp } = {}): number {
    return this.records.filter((r) => {
      if (
        filter.method === 'WRITE'
          ? r.method === 'GET' || r.method === 'HEAD'
          : filter.method && r.method !== filter.method
      )
        return false;
      if (filter.path === undefined) return true;
      return typeof filter.path === 'string' ? r.path === filter.path : filter.path.test(r.path);
    }).length;
  }

  /** Write calls (every method but GET/HEAD). */
  writes(): number {
    return this.count({ method: 'WRITE' });
  }

  /** `{"GET /api/v2/firewall/rules": 2, ...}` */
  byRoute(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const r of this.records) {
      const key = `${r.method} ${r.path}`;
      out[key] = (out[key] ?? 0) + 1;
    }
    return out;
  }

  /** `["GET /api/v2/firewall/aliases?name__startswith=utm_", ...]` */
  lines(): string[] {
    return this.records.map(
      (r) => `${r.method} ${r.path}${r.query ? `?${decodeURIComponent(r.query)}` : ''}`,
    );
  }

  reset(): void {
    this.records = [];
  }
}

/**
 * A real HTTP/HTTPS server on 127.0.0.1 for vendor simulators: ephemeral port, switchable faults per route, call
 * counters, HTTPS with the test certificate, and a stop() that closes every socket and timer so tests end cleanly.
 */
export class SimulatorServer {
  readonly faults = new FaultController();
  readonly calls = new CallLog();
  private server: http.Server | https.Server | null = null;
  private readonly sockets = new Set<Socket>();
  private readonly sleepers = new Set<() => void>();
  private seq = 0;
  private inFlight = 0;
  private readonly idleWaiters: Array<() => void> = [];
  private baseUrl: string | null = null;
  private stopping = false;

  constructor(private readonly options: SimulatorServerOptions) {}

  get url(): string {
    if (!this.baseUrl) throw new Error('simulator not started');
    return this.baseUrl;
  }

  get isHttps(): boolean {
    return Boolean(this.options.https);
  }

  /** Clears every fault rule and the call log (vendor simulators also reset their state). */
  reset(): void {
    this.faults.clear();
    this.calls.reset();
  }

  /** Latency added to every request from now on. */
  setLatency(ms: number): void {
    this.options.latencyMs = ms;
  }

  async start(): Promise<string> {
    if (this.server) return this.url;
    this.stopping = false;
    const listener = (req: http.IncomingMessage, res: http.ServerResponse): void => {
      void this.onRequest(req, res);
    };
    const tlsOpt = this.options.https;
    const server = tlsOpt
      ? https.createServer(tlsOpt === true ? { key: TEST_KEY_PEM, cert: TEST_CERT_PEM } : tlsOpt, listener)
      : http.createServer(listener);
    server.keepAliveTimeout = 5_000;
    server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    // Handshake failures (clients refusing our self-signed certificate) are expected in tests.
    server.on('tlsClientError', () => undefined);
    server.on('clientError', (_err, socket) => socket.destroy());
    const host = this.options.host ?? '127.0.0.1';
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.options.port ?? 0, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('unexpected server address');
    this.server = server;
    this.baseUrl = `${tlsOpt ? 'https' : 'http'}://${host}:${address.port}`;
    return this.baseUrl;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.stopping = true;
    this.server = null;
    for (const wake of [...this.sleepers]) wake();
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    await closed;
  }

  /**
   * Resolves once no request is being handled. A call is logged when it arrives, but a write held by latency
   * still lands after its client dies (the sleep ends when the socket closes); a test that kills the client and
   * then inspects the state waits here so it sees that write.
   */
  settled(): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Resolves after `ms`, or early when the server stops (vendor handlers use it for processing time). */
  delay(ms: number): Promise<void> {
    return this.sleep(ms);
  }

  /** Resolves after `ms`, or early when the server stops or `socket` closes. */
  private sleep(ms: number, socket?: Socket): Promise<void> {
    if (ms <= 0 || this.stopping) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        socket?.off('close', wake);
        this.sleepers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      socket?.once('close', wake);
      this.sleepers.add(wake);
    });
  }

  private async onRequest(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const t0 = Date.now();
    const url = new URL(req.url ?? '/', 'http://simulator.invalid');
    const method = (req.method ?? 'GET').toUpperCase();
    const record: CallRecord = {
      seq: ++this.seq,
      method,
      path: url.pathname,
      query: url.search.replace(/^\?/, ''),
      status: null,
      durationMs: 0,
    };
    this.calls.push(record);
    const socket = req.socket;
    this.inFlight++;
    try {
      const body = await readBody(req, this.options.maxBodyBytes ?? 16 * 1024 * 1024);
      const simReq: SimRequest = {
        method,
        path: url.pathname,
        rawQuery: record.query,
        headers: req.headers,
        body,
        text: body.toString('utf8'),
        remoteAddress: socket.remoteAddress ?? '127.0.0.1',
      };
      await this.sleep(this.options.latencyMs ?? 0, socket);
      const fault = this.faults.match(method, url.pathname);
      if (fault) record.fault = fault.type;
      const when =
        fault && (fault.type === 'drop' || fault.type === 'hang') ? (fault.when ?? 'before') : null;

      if (fault?.type === 'latency') await this.sleep(fault.ms, socket);
      if (fault?.type === 'status') {
        const base = this.faultResponse(fault.status, simReq);
        this.send(res, record, {
          status: fault.status,
          headers: { ...base.headers, ...fault.headers },
          body: fault.body ?? base.body,
        });
        return;
      }
      if (fault?.type === 'retry-after') {
        const status = fault.status ?? 429;
        const base = this.faultResponse(status, simReq);
        this.send(res, record, {
          status,
          headers: { ...base.headers, 'retry-after': String(fault.seconds) },
          body: base.body,
        });
        return;
      }
      if (fault && when === 'before') {
        await this.loseAnswer(fault, socket);
        return;
      }
      const response = await this.options.handler(simReq);
      if (fault?.type === 'concurrent') fault.change();
      if (fault && when === 'after') {
        await this.loseAnswer(fault, socket);
        return;
      }
      this.send(res, record, response);
    } catch (err) {
      this.send(res, record, {
        status: 500,
        headers: { 'content-type': 'text/plain' },
        body: `simulator error: ${String(err)}`,
      });
    } finally {
      record.durationMs = Date.now() - t0;
      if (--this.inFlight === 0) for (const wake of this.idleWaiters.splice(0)) wake();
    }
  }

  private async loseAnswer(fault: FaultSpec, socket: Socket): Promise<void> {
    if (fault.type === 'hang') {
      const max = this.options.maxHangMs ?? 30_000;
      await this.sleep(Math.min(fault.ms ?? max, max), socket);
    }
    socket.destroy();
  }

  private faultResponse(status: number, req: SimRequest): SimResponse {
    return (
      this.options.faultResponse?.(status, req) ?? {
        status,
        headers: { 'content-type': 'text/plain' },
        body: `simulated fault ${status}`,
      }
    );
  }

  private send(res: http.ServerResponse, record: CallRecord, response: SimResponse): void {
    if (res.destroyed || res.headersSent) return;
    record.status = response.status;
    const body = response.body ?? '';
    res.writeHead(response.status, {
      ...response.headers,
      'content-length': String(Buffer.byteLength(body)),
    });
    res.end(body);
  }
}

function readBody(req: http.IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        reject(new Error('request body too large'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
    req.on('close', () => reject(new Error('connection closed while reading the request')));
  });
}
