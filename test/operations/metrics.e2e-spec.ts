import { startSimulator, type StartedSimulator } from '@app/simulators';
import { simulatedDeployment, type SimulatedDeployment } from '../pushes/push-fixtures';
import { requestPush, waitFor, waitForPush } from '../pushes/push-helpers';
import { createTestApp, type TestApp } from '../utils/create-test-app';
import { create } from '../utils/fixtures';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses the Prometheus text format (sample lines only). */
function samples(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const pair of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[pair[1]] = pair[2];
    }
    out.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return out;
}

/** The value of the one sample with this name whose labels include `labels`; undefined when there is none. */
function valueOf(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const found = samples(text).filter(
    (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  );
  if (found.length > 1) throw new Error(`${name} ${JSON.stringify(labels)} matches ${found.length} samples`);
  return found[0]?.value;
}

describe('Prometheus metrics at /metrics', () => {
  let t: TestApp;
  let sim: StartedSimulator<'pfsense'>;
  let d: SimulatedDeployment;

  beforeAll(async () => {
    sim = await startSimulator('pfsense');
    t = await createTestApp();
    d = await simulatedDeployment(t, sim);
  });
  afterAll(async () => {
    await t.close();
    await sim.stop();
  });

  async function scrape(): Promise<string> {
    const reader = await t.token(['read']);
    const res = await t.as(reader).get('/metrics').expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    return res.text;
  }

  it('needs a token by default', async () => {
    const res = await t.anon().get('/metrics').expect(401);
    expect(res.body.code).toBe('UNAUTHENTICATED');
  });

  it('counts HTTP requests by route template, not by URL', async () => {
    await t.http().get(`/api/v1/sites/${d.hq.id}`).expect(200);
    await t.http().get('/api/v1/sites/00000000-0000-4000-8000-000000000000').expect(404);
    await t.http().get(`/no/such/${d.hq.id}`).expect(404);
    expect((await t.gql('{ sites { totalCount } }')).errors).toBeUndefined();
    const text = await scrape();
    const route = '/api/v1/sites/:id';
    expect(valueOf(text, 'utm_http_requests_total', { method: 'GET', route, status: '200' })).toBe(1);
    expect(valueOf(text, 'utm_http_requests_total', { method: 'GET', route, status: '404' })).toBe(1);
    expect(valueOf(text, 'utm_http_request_duration_seconds_count', { method: 'GET', route })).toBe(2);
    expect(valueOf(text, 'utm_http_requests_total', { route: '(unmatched)', status: '404' })).toBe(1);
    expect(
      valueOf(text, 'utm_http_requests_total', { method: 'POST', route: '/graphql', status: '200' }),
    ).toBe(1);
    expect(text).not.toContain(d.hq.id);
    // Node's own process metrics come along.
    expect(valueOf(text, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
  });

  it('reports the fleet from the database and the pushes this instance finished', async () => {
    const other = await create(t, 'devices', {
      siteId: d.hq.id,
      name: 'never-pushed',
      vendor: 'fortios',
      managementUrl: 'https://10.9.0.1',
      interfaces: [{ name: 'port1', external: true }],
    });
    let text = await scrape();
    expect(valueOf(text, 'utm_devices', { vendor: 'pfsense', last_push_state: 'never' })).toBe(1);
    expect(valueOf(text, 'utm_devices', { vendor: 'fortios', last_push_state: 'never' })).toBe(1);
    expect(valueOf(text, 'utm_pushes_finished_total', { state: 'succeeded' })).toBeUndefined();

    const push = await waitForPush(t, (await requestPush(t, d.device.id, {})).id);
    expect(push.state).toBe('succeeded');
    // The counters move right after the push's final record is written, so the scrape may need a moment.
    text = await waitFor(
      scrape,
      (body) => valueOf(body, 'utm_pushes_finished_total', { state: 'succeeded' }) !== undefined,
      10_000,
      'the finished push to be counted',
    );
    expect(valueOf(text, 'utm_devices', { vendor: 'pfsense', last_push_state: 'succeeded' })).toBe(1);
    expect(valueOf(text, 'utm_devices', { vendor: 'pfsense', last_push_state: 'never' })).toBeUndefined();
    expect(
      valueOf(text, 'utm_pushes_finished_total', { trigger: 'api', state: 'succeeded', dry_run: 'false' }),
    ).toBe(1);
    expect(valueOf(text, 'utm_push_duration_seconds_count', { state: 'succeeded' })).toBe(1);
    expect(valueOf(text, 'utm_push_writes_total')).toBe(push.writes);
    const finishedAt = new Date(push.finishedAt!).getTime() / 1000;
    expect(
      valueOf(text, 'utm_device_last_success_timestamp_seconds', {
        device_id: d.device.id,
        vendor: 'pfsense',
      }),
    ).toBeCloseTo(finishedAt, 2);
    expect(
      valueOf(text, 'utm_device_last_success_timestamp_seconds', { device_id: other.id }),
    ).toBeUndefined();
    expect(valueOf(text, 'utm_pushes_in_flight', { state: 'queued' })).toBe(0);
    expect(valueOf(text, 'utm_pushes_in_flight', { state: 'running' })).toBe(0);
    expect(valueOf(text, 'utm_devices_drifted')).toBe(0);
  });
});

describe('/metrics configuration', () => {
  it('METRICS=public serves scrapers without a token; METRICS=off serves nothing', async () => {
    const open = await createTestApp({ metrics: 'public' });
    try {
      const res = await open.anon().get('/metrics').expect(200);
      expect(res.text).toContain('utm_devices_drifted 0');
      // Only /metrics opens up.
      await open.anon().get('/api/v1/sites').expect(401);
    } finally {
      await open.close();
    }
    const off = await createTestApp({ metrics: 'off' });
    try {
      await off.http().get('/metrics').expect(404);
    } finally {
      await off.close();
    }
  });
});
