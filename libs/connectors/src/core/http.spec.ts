import { SimulatorServer, type SimRequest, type SimResponse } from '@app/simulators/core/server';
import { ConnectorError } from './errors';
import { HttpClient, parseRetryAfter, serializeQuery, type HttpClientOptions } from './http';
import { resolveSettings, type DeviceTarget } from './target';

function settings(url: string, extra: Partial<DeviceTarget> = {}) {
  return resolveSettings({
    id: 'd',
    vendor: 'pfsense',
    url,
    credentials: { kind: 'pfsense-api-key', apiKey: 'k' },
    timeouts: { connectMs: 500, requestMs: 500 },
    retry: { retries: 3, baseDelayMs: 100, maxDelayMs: 1_000, maxRetryAfterMs: 10_000 },
    ...extra,
  } as DeviceTarget);
}

describe('HttpClient', () => {
  let server: SimulatorServer;
  let handler: (req: SimRequest) => SimResponse = () => ({ status: 200, body: '{"ok":true}' });
  const sleeps: number[] = [];
  const clients: HttpClient[] = [];

  const client = (extra: Partial<HttpClientOptions> = {}, target: Partial<DeviceTarget> = {}): HttpClient => {
    const c = new HttpClient({
      settings: settings(server.url, target),
      vendorLabel: 'Test',
      authHeaders: () => ({ 'x-api-key': 'secret' }),
      sleep: (ms) => {
        sleeps.push(ms);
        return Promise.resolve();
      },
      ...extra,
    });
    clients.push(c);
    return c;
  };

  beforeEach(async () => {
    sleeps.length = 0;
    handler = () => ({ status: 200, headers: { 'content-type': 'application/json' }, body: '{"ok":true}' });
    server = new SimulatorServer({ handler: (req) => handler(req), maxHangMs: 2_000 });
    await server.start();
  });

  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await server.stop();
  });

  it('sends auth headers, Accept and JSON bodies; query strings are urlencoded', async () => {
    let seen: SimRequest | undefined;
    handler = (req) => {
      seen = req;
      return { status: 200, body: '{}' };
    };
    await client().request({
      method: 'POST',
      path: '/x',
      query: { a: 'b c', n: 1, list: ['p', 'q'] },
      json: { v: 1 },
    });
    expect(seen!.headers['x-api-key']).toBe('secret');
    expect(seen!.headers.accept).toBe('application/json');
    expect(seen!.headers['content-type']).toBe('application/json');
    expect(seen!.rawQuery).toBe('a=b+c&n=1&list=p&list=q');
    expect(seen!.text).toBe('{"v":1}');
    await client().request({ method: 'GET', path: '/y' });
    expect(seen!.headers['content-type']).toBeUndefined();
  });

  it('retries idempotent reads with exponential backoff on 5xx and dropped connections', async () => {
    server.faults.add({ path: '/r', fault: { type: 'status', status: 503 }, times: 1 });
    server.faults.add({ path: '/r', fault: { type: 'drop' }, times: 1 });
    server.faults.add({ path: '/r', fault: { type: 'status', status: 500 }, times: 1 });
    const res = await client().request({ method: 'GET', path: '/r' });
    expect(res.status).toBe(200);
    expect(res.attempts).toBe(4);
    expect(server.calls.count({ path: '/r' })).toBe(4);
    // backoff 100, 200, 400 with jitter in [50%, 100%]
    expect(sleeps).toHaveLength(3);
    expect(sleeps[0]).toBeGreaterThanOrEqual(50);
    expect(sleeps[0]).toBeLessThanOrEqual(100);
    expect(sleeps[2]).toBeGreaterThanOrEqual(200);
    expect(sleeps[2]).toBeLessThanOrEqual(400);
  });

  it('honours Retry-After on 429 and 503 reads', async () => {
    server.faults.add({ path: '/r', fault: { type: 'retry-after', seconds: 7 }, times: 1 });
    server.faults.add({ path: '/r', fault: { type: 'retry-after', seconds: 2, status: 503 }, times: 1 });
    await client().request({ method: 'GET', path: '/r' });
    expect(sleeps).toEqual([7_000, 2_000]);
  });

  it('does not wait for a Retry-After beyond the limit', async () => {
    server.faults.add({ path: '/r', fault: { type: 'retry-after', seconds: 60 } });
    const err = (await client()
      .request({ method: 'GET', path: '/r' })
      .catch((e: unknown) => e)) as ConnectorError;
    expect(err).toMatchObject({ kind: 'unavailable', status: 429, retryAfterMs: 60_000 });
    expect(sleeps).toEqual([]);
  });

  it('gives up after the configured retries with the last classified error', async () => {
    server.faults.add({ path: '/r', fault: { type: 'status', status: 502 } });
    await expect(client().request({ method: 'GET', path: '/r' })).rejects.toMatchObject({
      kind: 'unavailable',
      status: 502,
    });
    expect(server.calls.count({ path: '/r' })).toBe(4);
  });

  it.each(['POST', 'PUT', 'PATCH', 'DELETE'] as const)('never repeats a failed %s', async (method) => {
    server.faults.add({ path: '/w', fault: { type: 'status', status: 503 } });
    await expect(client().request({ method, path: '/w', json: {} })).rejects.toMatchObject({
      kind: 'unavailable',
    });
    server.faults.clear();
    server.faults.add({ path: '/w2', fault: { type: 'drop', when: 'after' } });
    await expect(client().request({ method, path: '/w2', json: {} })).rejects.toMatchObject({
      kind: 'unavailable',
    });
    expect(server.calls.count({ method })).toBe(2);
    expect(sleeps).toEqual([]);
  });

  it('classifies a hung request as timeout, and retries it only when idempotent', async () => {
    server.faults.add({ path: '/h', fault: { type: 'hang', ms: 1_000 } });
    const c = client(
      {},
      { timeouts: { connectMs: 500, requestMs: 100 }, retry: { retries: 1, baseDelayMs: 1 } },
    );
    await expect(c.request({ method: 'GET', path: '/h' })).rejects.toMatchObject({
      kind: 'timeout',
      method: 'GET',
    });
    expect(server.calls.count({ path: '/h' })).toBe(2);
    await expect(c.request({ method: 'POST', path: '/h', json: {} })).rejects.toMatchObject({
      kind: 'timeout',
    });
    expect(server.calls.count({ path: '/h', method: 'POST' })).toBe(1);
  });

  it('classifies a refused connection as unavailable', async () => {
    const c = client();
    await server.stop();
    await expect(c.request({ method: 'GET', path: '/' })).rejects.toMatchObject({
      kind: 'unavailable',
      vendorCode: 'ECONNREFUSED',
    });
  });

  it.each([
    [400, 'validation'],
    [401, 'authentication'],
    [403, 'authentication'],
    [404, 'not_found'],
    [409, 'conflict'],
    [422, 'validation'],
    [500, 'protocol'],
  ])('classifies HTTP %i as %s by default, keeping status and body', async (status, kind) => {
    handler = () => ({ status, headers: { 'content-type': 'text/plain' }, body: 'device says no' });
    const err = (await client({}, { retry: { retries: 0 } })
      .request({ method: 'GET', path: '/e' })
      .catch((e: unknown) => e)) as ConnectorError;
    expect(err).toBeInstanceOf(ConnectorError);
    expect(err).toMatchObject({ kind, status, method: 'GET', path: '/e' });
    expect(err.message).toContain('device says no');
    expect(err.message).not.toContain('secret');
  });

  it('lets the vendor refine classification and returns accepted statuses', async () => {
    handler = () => ({ status: 500, body: '{"error":-5}' });
    const c = client(
      { classify: () => ({ kind: 'conflict', vendorCode: '-5', vendorMessage: 'duplicate' }) },
      { retry: { retries: 0 } },
    );
    await expect(c.request({ method: 'POST', path: '/v', json: {} })).rejects.toMatchObject({
      kind: 'conflict',
      vendorCode: '-5',
      vendorMessage: 'duplicate',
    });
    handler = () => ({ status: 404, body: '[]' });
    expect((await c.request({ method: 'GET', path: '/v', acceptStatus: [404] })).status).toBe(404);
  });

  it('reports a non-JSON body as a protocol error', async () => {
    handler = () => ({ status: 200, headers: { 'content-type': 'text/html' }, body: '<html>' });
    const c = client();
    const res = await c.request({ method: 'GET', path: '/' });
    expect(() => c.parseJson(res, { method: 'GET', path: '/' })).toThrow(ConnectorError);
  });

  it('refuses to be used after close', async () => {
    const c = client();
    c.close();
    await expect(c.request({ method: 'GET', path: '/' })).rejects.toMatchObject({ kind: 'protocol' });
  });

  it('parses Retry-After seconds and HTTP dates', () => {
    expect(parseRetryAfter('5')).toBe(5_000);
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 4_000)).toBe(6_000);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(undefined)).toBeUndefined();
    expect(serializeQuery({ a: undefined, b: true })).toBe('?b=true');
  });
});
