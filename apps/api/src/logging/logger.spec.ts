import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, request, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { createAccessLog, flushLogger, loggerOptions, PinoNestLogger, redactUrl } from './logger';

describe('redactUrl', () => {
  it('replaces the values of secret-looking query parameters and keeps the rest as written', () => {
    expect(redactUrl('/api/v1/sites?access_token=abc&q=x%20y&limit=5')).toBe(
      '/api/v1/sites?access_token=[redacted]&q=x%20y&limit=5',
    );
    expect(redactUrl('/x?apiKey=1&api_key=2&apikey=3&key=4&client_secret=5&password=6&passwd=7&sig=8')).toBe(
      '/x?apiKey=[redacted]&api_key=[redacted]&apikey=[redacted]&key=[redacted]&client_secret=[redacted]&password=[redacted]&passwd=[redacted]&sig=[redacted]',
    );
    // Encoded names are matched decoded; malformed escapes do not throw.
    expect(redactUrl('/x?%61ccess_token=s&%E0%A4%A=1')).toBe('/x?%61ccess_token=[redacted]&%E0%A4%A=1');
    expect(redactUrl('/x?token')).toBe('/x?token');
    expect(redactUrl('/api/v1/sites')).toBe('/api/v1/sites');
    expect(redactUrl('/x?q=token&name=secret')).toBe('/x?q=token&name=secret');
  });
});

describe('createAccessLog', () => {
  type Handler = (
    req: IncomingMessage & { originalUrl?: string; principal?: { name: string } },
    res: ServerResponse,
  ) => void;

  /** Serves each request with `handle` after the access log, and returns the lines it wrote. */
  async function logLines(paths: string[], handle: Handler): Promise<Record<string, unknown>[]> {
    const lines: string[] = [];
    const stream = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString('utf8'));
        done();
      },
    });
    const accessLog = createAccessLog(pino(loggerOptions('info'), stream));
    const server = createServer((req, res) => {
      (req as IncomingMessage & { originalUrl?: string }).originalUrl = req.url;
      accessLog(req, res);
      handle(req, res);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    for (const path of paths) {
      await new Promise<void>((resolve) => {
        const req = request(
          { port, path, headers: { 'x-request-id': `id-${paths.indexOf(path)}` } },
          (res) => {
            res.resume();
            res.on('end', resolve);
          },
        );
        req.on('error', () => resolve());
        // A client that gives up before the answer.
        if (path.includes('abandon')) setTimeout(() => req.destroy(), 50);
        req.end();
      });
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    return lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  }

  it('writes one line per answered request, with the caller, by status level, and leaves health probes out', async () => {
    const lines = await logLines(
      [
        '/api/v1/sites?access_token=abc&q=x',
        '/api/v1/devices',
        '/api/v1/nope',
        '/health',
        '/health?ready=true',
        '/HEALTH',
      ],
      (req, res) => {
        if (req.url?.startsWith('/api/v1/devices')) req.principal = { name: 'ops' };
        res.statusCode = req.url === '/api/v1/nope' ? 404 : 200;
        res.end('{}');
      },
    );
    expect(
      lines.map(({ time, responseTime, ...rest }) => ({
        ...rest,
        time: typeof time,
        ms: typeof responseTime,
      })),
    ).toEqual([
      {
        level: 30,
        service: 'utm-firewall-orchestrator',
        req: { id: 'id-0', method: 'GET', url: '/api/v1/sites?access_token=[redacted]&q=x' },
        res: { statusCode: 200 },
        msg: 'request completed',
        time: 'number',
        ms: 'number',
      },
      {
        level: 30,
        service: 'utm-firewall-orchestrator',
        req: { id: 'id-1', method: 'GET', url: '/api/v1/devices' },
        actor: 'ops',
        res: { statusCode: 200 },
        msg: 'request completed',
        time: 'number',
        ms: 'number',
      },
      {
        level: 40,
        service: 'utm-firewall-orchestrator',
        req: { id: 'id-2', method: 'GET', url: '/api/v1/nope' },
        res: { statusCode: 404 },
        msg: 'request completed',
        time: 'number',
        ms: 'number',
      },
      // The probe pattern is case-sensitive, as the route is not.
      {
        level: 30,
        service: 'utm-firewall-orchestrator',
        req: { id: 'id-5', method: 'GET', url: '/HEALTH' },
        res: { statusCode: 200 },
        msg: 'request completed',
        time: 'number',
        ms: 'number',
      },
    ]);
    // Fields in the order the log has always had them.
    expect(lines.map((line) => Object.keys(line).join(','))[1]).toBe(
      'level,time,service,req,actor,res,responseTime,msg',
    );
  });

  it('logs 5xx and failed responses as errored with the error (redacted), and abandoned requests as aborted', async () => {
    const lines = await logLines(['/fail', '/broken', '/health/broken', '/abandon'], (req, res) => {
      if (req.url === '/fail') {
        res.statusCode = 503;
        res.end();
      } else if (req.url?.endsWith('/broken')) {
        res.emit('error', Object.assign(new Error('socket gone'), { token: 'uto_secret' }));
        res.end();
      }
      // '/abandon' is never answered.
    });
    expect(lines.map((line) => [line.level, line.msg, line.res, line.req])).toEqual([
      [50, 'request errored', { statusCode: 503 }, { id: 'id-0', method: 'GET', url: '/fail' }],
      [50, 'request errored', { statusCode: null }, { id: 'id-1', method: 'GET', url: '/broken' }],
      // A health probe's failure is logged too.
      [50, 'request errored', { statusCode: null }, { id: 'id-2', method: 'GET', url: '/health/broken' }],
      [30, 'request aborted', { statusCode: null }, { id: 'id-3', method: 'GET', url: '/abandon' }],
    ]);
    expect(lines[0].err).toMatchObject({ type: 'Error', message: 'failed with status code 503' });
    expect(lines[1].err).toMatchObject({ message: 'socket gone', token: '[redacted]' });
  });

  it("assigns the request id: the caller's when well-formed, echoed in X-Request-Id", () => {
    const accessLog = createAccessLog(pino({ level: 'silent' }));
    const res = { setHeader: vi.fn(), on: vi.fn() } as unknown as ServerResponse;
    const req = { headers: { 'x-request-id': 'abc-123' }, url: '/health' } as unknown as IncomingMessage & {
      id?: unknown;
    };
    accessLog(req, res);
    expect(req.id).toBe('abc-123');
    expect(res.setHeader).toHaveBeenCalledWith('X-Request-Id', 'abc-123');
  });
});

describe('flushLogger', () => {
  it('writes out the lines an asynchronous destination still holds', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'utm-flush-')), 'service.log');
    // Held in memory until 4 KB have gathered: nothing reaches the file on its own in this test.
    const destination = pino.destination({ dest: file, sync: false, minLength: 4096 });
    await new Promise((resolve) => destination.once('ready', resolve));
    const logger = pino(loggerOptions('info'), destination);
    logger.info('one');
    logger.info('two');
    expect(readFileSync(file, 'utf8')).toBe('');
    flushLogger(logger);
    expect(
      readFileSync(file, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => (JSON.parse(line) as { msg: string }).msg),
    ).toEqual(['one', 'two']);
    destination.end();
  });
});

describe('PinoNestLogger', () => {
  it('keeps the message and stack of an Error Nest hands over (a failed start), not an empty object', () => {
    const lines: Array<{ msg: string; trace?: string; context?: string }> = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(JSON.parse(chunk.toString('utf8')) as (typeof lines)[number]);
        done();
      },
    });
    const nest = new PinoNestLogger(pino(loggerOptions('info'), sink));
    nest.error(new Error('migrations directory not found: /nowhere'), undefined, 'ExceptionHandler');
    nest.error({ reason: 'plain object' });
    expect(lines[0]).toMatchObject({
      msg: 'migrations directory not found: /nowhere',
      context: 'ExceptionHandler',
    });
    expect(lines[0].trace).toContain('logger.spec.ts');
    expect(lines[1].msg).toBe('{"reason":"plain object"}');
  });
});
