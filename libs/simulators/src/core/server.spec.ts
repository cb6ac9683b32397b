import { request } from 'node:http';
import { OTHER_CA_CERT_PEM, TEST_CERT_PEM } from '../testing/certs';
import { rawRequest } from '../testing/raw-http';
import { SimulatorServer, type SimRequest } from './server';

describe('SimulatorServer', () => {
  let server: SimulatorServer;
  let handled: SimRequest[];

  beforeEach(async () => {
    handled = [];
    server = new SimulatorServer({
      handler: (req) => {
        handled.push(req);
        return {
          status: 200,
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ path: req.path }),
        };
      },
      maxHangMs: 200,
    });
    await server.start();
  });

  afterEach(async () => {
    await server.stop();
  });

  it('listens on an ephemeral 127.0.0.1 port and counts calls per method and route', async () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    await rawRequest(server.url, { path: '/a?x=1' });
    await rawRequest(server.url, { path: '/a' });
    await rawRequest(server.url, { method: 'POST', path: '/b', body: '{}' });
    expect(server.calls.byRoute()).toEqual({ 'GET /a': 2, 'POST /b': 1 });
    expect(server.calls.count({ method: 'GET', path: '/a' })).toBe(2);
    expect(server.calls.writes()).toBe(1);
    expect(server.calls.lines()).toEqual(['GET /a?x=1', 'GET /a', 'POST /b']);
    server.faults.add({ fault: { type: 'status', status: 500 } });
    server.reset();
    expect(server.calls.count()).toBe(0);
    expect((await rawRequest(server.url, { path: '/a' })).status).toBe(200);
  });

  it('injects latency', async () => {
    server.faults.add({ path: '/slow', fault: { type: 'latency', ms: 60 } });
    const t0 = Date.now();
    expect((await rawRequest(server.url, { path: '/slow' })).status).toBe(200);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(55);
  });

  it('settles only after a write held by latency lands, even when its client went away', async () => {
    server.faults.add({ path: '/held', fault: { type: 'latency', ms: 10_000 } });
    await server.settled();
    const client = request(`${server.url}/held`, { method: 'POST' });
    client.on('error', () => undefined);
    client.end('{}');
    await vi.waitFor(() => expect(server.calls.writes()).toBe(1), { timeout: 2_000, interval: 10 });
    expect(handled).toHaveLength(0);
    client.destroy();
    await server.settled();
    expect(handled.map((r) => r.path)).toEqual(['/held']);
  });

  it('answers an injected status or 429 Retry-After without calling the handler', async () => {
    server.faults.add({ method: 'GET', path: '/x', fault: { type: 'status', status: 503 }, times: 1 });
    server.faults.add({ path: '/x', fault: { type: 'retry-after', seconds: 3 }, times: 1 });
    expect((await rawRequest(server.url, { path: '/x' })).status).toBe(503);
    const limited = await rawRequest(server.url, { path: '/x' });
    expect(limited.status).toBe(429);
    expect(limited.headers['retry-after']).toBe('3');
    expect((await rawRequest(server.url, { path: '/x' })).status).toBe(200);
    expect(handled).toHaveLength(1);
  });

  it('skips, counts and expires fault rules; WRITE matches every method but GET', async () => {
    const id = server.faults.add({
      method: 'WRITE',
      fault: { type: 'status', status: 500 },
      skip: 1,
      times: 1,
    });
    expect((await rawRequest(server.url, { method: 'POST', path: '/w' })).status).toBe(200);
    expect((await rawRequest(server.url, { path: '/w' })).status).toBe(200);
    expect((await rawRequest(server.url, { method: 'DELETE', path: '/w' })).status).toBe(500);
    expect((await rawRequest(server.url, { method: 'PATCH', path: '/w' })).status).toBe(200);
    expect(server.faults.firedCount(id)).toBe(1);
    server.faults.add({ path: /^\/re/, fault: { type: 'status', status: 502 } });
    expect((await rawRequest(server.url, { path: '/regex' })).status).toBe(502);
    server.faults.clear();
    expect((await rawRequest(server.url, { path: '/regex' })).status).toBe(200);
  });

  it('drops the connection before handling (no side effect) or after handling (side effect, no answer)', async () => {
    server.faults.add({ path: '/d', fault: { type: 'drop' }, times: 1 });
    await expect(rawRequest(server.url, { path: '/d' })).rejects.toThrow();
    expect(handled).toHaveLength(0);
    server.faults.add({ path: '/d', fault: { type: 'drop', when: 'after' }, times: 1 });
    await expect(rawRequest(server.url, { path: '/d' })).rejects.toThrow();
    expect(handled).toHaveLength(1);
    expect(server.calls.list().map((c) => [c.status, c.fault])).toEqual([
      [null, 'drop'],
      [null, 'drop'],
    ]);
  });

  it('runs a concurrent change after handling and before answering', async () => {
    const seen: number[] = [];
    server.faults.add({
      method: 'POST',
      path: '/c',
      fault: { type: 'concurrent', change: () => seen.push(handled.length) },
      times: 1,
    });
    expect((await rawRequest(server.url, { method: 'POST', path: '/c' })).status).toBe(200);
    expect((await rawRequest(server.url, { method: 'POST', path: '/c' })).status).toBe(200);
    // Once, after the handler had seen the first call.
    expect(seen).toEqual([1]);
  });
  it('bounds a hang by maxHangMs and then destroys the connection', async () => {
    server.faults.add({ path: '/h', fault: { type: 'hang', ms: 60_000 } });
    const t0 = Date.now();
    await expect(rawRequest(server.url, { path: '/h' })).rejects.toThrow();
    expect(Date.now() - t0).toBeLessThan(2_000);
  });

  it('stops promptly with hung and keep-alive connections open, and can restart', async () => {
    server.faults.add({ path: '/h', fault: { type: 'hang', ms: 60_000 } });
    const pending = rawRequest(server.url, { path: '/h' }).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 20));
    const t0 = Date.now();
    await server.stop();
    expect(Date.now() - t0).toBeLessThan(500);
    expect(await pending).toBeInstanceOf(Error);
    await server.start();
    expect((await rawRequest(server.url, { path: '/ok' })).status).toBe(200);
  });
});

describe('SimulatorServer HTTPS', () => {
  it('serves with the committed test certificate (trusted as its own CA, refused otherwise)', async () => {
    const server = new SimulatorServer({ https: true, handler: () => ({ status: 200, body: 'tls ok' }) });
    await server.start();
    try {
      expect(server.url).toMatch(/^https:\/\/127\.0\.0\.1:/);
      expect((await rawRequest(server.url, { path: '/', ca: TEST_CERT_PEM })).text).toBe('tls ok');
      await expect(rawRequest(server.url, { path: '/', ca: OTHER_CA_CERT_PEM })).rejects.toThrow();
    } finally {
      await server.stop();
    }
  });
});
