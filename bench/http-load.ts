import { connect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';

export interface LoadResult {
  requests: number;
  /** Answers with another status than expected. */
  errors: number;
  seconds: number;
  perSecond: number;
}

export interface LoadOptions {
  port: number;
  path: string;
  headers?: Record<string, string>;
  connections: number;
  durationMs: number;
  expectStatus?: number;
}

const HEADER_END = Buffer.from('\r\n\r\n');

/**
 * A closed-loop HTTP/1.1 load generator on raw keep-alive sockets: each connection sends one GET, reads the whole
 * answer (Content-Length framed), and sends the next, until the time is up. Parsing only the status line and
 * Content-Length keeps the generator's own cost per request far below a Node HTTP client's, so on a small machine
 * it does not cap the fastest server it measures.
 */
export function runLoad(options: LoadOptions): Promise<LoadResult> {
  const headerLines = Object.entries({ host: `127.0.0.1:${options.port}`, ...options.headers })
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
  const request = Buffer.from(`GET ${options.path} HTTP/1.1\r\n${headerLines}\r\n`);
  const expect = options.expectStatus ?? 200;
  let requests = 0;
  let errors = 0;
  let failure: Error | null = null;
  const started = performance.now();
  const deadline = started + options.durationMs;

  const drive = (socket: Socket): Promise<void> =>
    new Promise((resolve) => {
      let buffered: Buffer = Buffer.alloc(0);
      let bodyLength = -1;
      let headerLength = 0;
      const send = (): void => {
        if (performance.now() >= deadline || failure) {
          socket.end();
          resolve();
          return;
        }
        socket.write(request);
      };
      socket.on('data', (chunk: Buffer) => {
        buffered = buffered.length ? Buffer.concat([buffered, chunk]) : chunk;
        for (;;) {
          if (bodyLength < 0) {
            const end = buffered.indexOf(HEADER_END);
            if (end < 0) return;
            const head = buffered.subarray(0, end).toString('latin1');
            const status = Number(head.slice(9, 12));
            const length = /\r\ncontent-length:\s*(\d+)/i.exec(head);
            if (!length) {
              failure = new Error(`answer without Content-Length from ${options.path}: ${head}`);
              socket.destroy();
              resolve();
              return;
            }
            if (status !== expect) errors += 1;
            headerLength = end + HEADER_END.length;
            bodyLength = Number(length[1]);
          }
          if (buffered.length < headerLength + bodyLength) return;
          buffered = buffered.subarray(headerLength + bodyLength);
          bodyLength = -1;
          requests += 1;
          send();
        }
      });
      socket.on('error', (error) => {
        failure ??= error;
        resolve();
      });
      socket.on('close', () => resolve());
      send();
    });

  const sockets = Array.from({ length: options.connections }, () => {
    const socket = connect(options.port, '127.0.0.1');
    socket.setNoDelay(true);
    return socket;
  });
  return Promise.all(sockets.map(drive)).then(() => {
    for (const socket of sockets) socket.destroy();
    if (failure) throw failure;
    const seconds = (performance.now() - started) / 1000;
    return { requests, errors, seconds, perSecond: requests / seconds };
  });
}
