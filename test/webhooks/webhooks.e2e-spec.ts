import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startSimulator, type StartedSimulator } from '@app/simulators';
import { PrismaService } from '../../apps/api/src/database/prisma.service';
import { signWebhook, WebhooksService } from '../../apps/api/src/webhooks/webhooks.service';
import { createTestApp, type TestApp } from '../utils/create-test-app';
import { simulatedDeployment, type SimulatedDeployment } from '../pushes/push-fixtures';
import { requestPush, waitFor, waitForPush } from '../pushes/push-helpers';

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

interface DeliveryBody {
  id: string;
  event: string;
  state: string;
  attempts: number;
  lastStatus: number | null;
  lastError: string | null;
  payload: { event: string; data: { deviceId: string; push?: { id: string; state: string } } };
}

/** A webhook receiver that answers the queued statuses first, then 200. */
async function receiver(): Promise<{
  url: string;
  received: Received[];
  failNext: number[];
  server: Server;
}> {
  const received: Received[] = [];
  const failNext: number[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      res.statusCode = failNext.shift() ?? 200;
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    received,
    failNext,
    server,
  };
}

const SECRET = 'test-webhook-secret-0123456789';

describe('webhooks', () => {
  let t: TestApp;
  let sim: StartedSimulator<'pfsense'>;
  let d: SimulatedDeployment;
  let hook: Awaited<ReturnType<typeof receiver>>;
  let webhookId: string;

  const deliveries = async (id = webhookId): Promise<DeliveryBody[]> =>
    (await t.http().get(`/api/v1/webhooks/${id}/deliveries?limit=100`).expect(200)).body.items;

  beforeAll(async () => {
    sim = await startSimulator('pfsense');
    hook = await receiver();
    t = await createTestApp({ webhookRetryDelaySeconds: 1, webhookMaxAttempts: 3 });
    d = await simulatedDeployment(t, sim);
  });
  afterAll(async () => {
    await t.close();
    await sim.stop();
    await new Promise((r) => hook.server.close(r));
  });

  it('is configured by admins only; the secret is shown once', async () => {
    const pusher = await t.token(['push']);
    await t
      .as(pusher)
      .post('/api/v1/webhooks')
      .send({ url: hook.url, events: ['push.failed'] })
      .expect(403);
    await t.as(pusher).get('/api/v1/webhooks').expect(403);
    await t
      .http()
      .post('/api/v1/webhooks')
      .send({ url: 'ftp://x', events: ['push.failed'] })
      .expect(400);
    await t
      .http()
      .post('/api/v1/webhooks')
      .send({ url: hook.url, events: ['push.exploded'] })
      .expect(400);
    const generated = await t
      .http()
      .post('/api/v1/webhooks')
      .send({ url: hook.url, events: ['push.failed'] })
      .expect(201);
    expect(generated.body.secret).toMatch(/^whsec_/);
    await t.http().delete(`/api/v1/webhooks/${generated.body.id}`).expect(204);

    const res = await t
      .http()
      .post('/api/v1/webhooks')
      .send({ url: hook.url, events: ['push.succeeded', 'push.failed', 'drift.detected'], secret: SECRET })
      .expect(201);
    webhookId = res.body.id;
    expect(res.body.secret).toBe(SECRET);
    const got = await t.http().get(`/api/v1/webhooks/${webhookId}`).expect(200);
    expect(got.body.secret).toBeUndefined();
    expect(JSON.stringify(got.body)).not.toContain(SECRET);
    const audit = await t.http().get(`/api/v1/audit?action=webhook.create&targetId=${webhookId}`).expect(200);
    expect(audit.body.total).toBe(1);
    expect(JSON.stringify(audit.body)).not.toContain(SECRET);
  });

  it('delivers push.succeeded signed with HMAC-SHA256, retrying failed attempts with backoff', async () => {
    hook.failNext.push(500, 503);
    const push = await waitForPush(t, (await requestPush(t, d.device.id)).id);
    expect(push.state).toBe('succeeded');
    const [delivery] = await waitFor(
      () => deliveries(),
      (l) => l.length === 1 && l[0].state !== 'pending',
      20_000,
      'the delivery',
    );
    expect(delivery).toMatchObject({
      event: 'push.succeeded',
      state: 'delivered',
      attempts: 3,
      lastStatus: 200,
    });
    expect(delivery.payload.data.push).toMatchObject({ id: push.id, state: 'succeeded' });

    expect(hook.received).toHaveLength(3);
    const last = hook.received[2];
    expect(last.headers['x-utm-event']).toBe('push.succeeded');
    expect(last.headers['x-utm-delivery']).toBe(delivery.id);
    const timestamp = last.headers['x-utm-timestamp'] as string;
    expect(last.headers['x-utm-signature']).toBe(signWebhook(SECRET, timestamp, last.body));
    expect(last.headers['x-utm-signature']).not.toBe(
      signWebhook('another-secret-0123456789', timestamp, last.body),
    );
    const body = JSON.parse(last.body) as { id: string; event: string; data: { deviceId: string } };
    expect(body).toMatchObject({ id: delivery.id, event: 'push.succeeded', data: { deviceId: d.device.id } });
  });

  it('delivers push.failed and drift.detected', async () => {
    sim.faults.add({ path: '/api/v2/firewall/aliases', fault: { type: 'status', status: 401 } });
    const failed = await waitForPush(t, (await requestPush(t, d.device.id)).id);
    sim.faults.clear();
    expect(failed.state).toBe('failed');
    sim.simulator.guiReplace({ ...sim.simulator.state, aliases: [] });
    await t.http().post(`/api/v1/devices/${d.device.id}/drift`).expect(201);
    const list = await waitFor(
      () => deliveries(),
      (l) => l.length === 3 && l.every((x) => x.state === 'delivered'),
      20_000,
      'the deliveries',
    );
    expect(list.map((x) => x.event).sort()).toEqual(['drift.detected', 'push.failed', 'push.succeeded']);
  });

  it('records a delivery as failed after WEBHOOK_MAX_ATTEMPTS, and skips disabled webhooks', async () => {
    const broken = await t
      .http()
      .post('/api/v1/webhooks')
      .send({ url: 'http://127.0.0.1:9/closed', events: ['push.succeeded'], description: 'nobody listens' })
      .expect(201);
    await t.http().patch(`/api/v1/webhooks/${webhookId}`).send({ enabled: false }).expect(200);
    const before = (await deliveries()).length;
    expect((await waitForPush(t, (await requestPush(t, d.device.id)).id)).state).toBe('succeeded');
    const [failed] = await waitFor(
      () => deliveries(broken.body.id),
      (l) => l.length === 1 && l[0].state !== 'pending',
      30_000,
      'the failed delivery',
    );
    expect(failed).toMatchObject({ state: 'failed', attempts: 3, lastStatus: null });
    expect(failed.lastError).toBeTruthy();
    expect(await deliveries()).toHaveLength(before);

    const gql = await t.gql<{
      webhooks: { id: string; enabled: boolean; deliveries: { totalCount: number } }[];
    }>(`{ webhooks { id enabled deliveries(first: 5) { totalCount nodes { event state attempts } } } }`);
    expect(gql.errors).toBeUndefined();
    expect(gql.data!.webhooks.find((w) => w.id === webhookId)).toMatchObject({
      enabled: false,
      deliveries: { totalCount: before },
    });
  });
  it('still notifies a push whose instance died before recording its event, exactly once', async () => {
    await t.http().patch(`/api/v1/webhooks/${webhookId}`).send({ enabled: true }).expect(200);
    const push = await waitForPush(t, (await requestPush(t, d.device.id)).id);
    expect(['succeeded', 'noop']).toContain(push.state);
    const before = await waitFor(
      async () => (await deliveries()).filter((x) => x.payload.data.push?.id === push.id),
      (l) => l.length === 1,
      30_000,
      'the original delivery',
    );
    // What a crash between the push's final transaction and its event leaves: finished, no event recorded.
    const prisma = t.app.get(PrismaService);
    await prisma.webhookDelivery.deleteMany({ where: { id: before[0].id } });
    await prisma.push.update({
      where: { id: push.id },
      data: { eventsEmittedAt: null, finishedAt: new Date(Date.now() - 60_000) },
    });
    const webhooks = t.app.get(WebhooksService);
    // The instance's own periodic sweep may get there first; either way the event is recorded once.
    const swept = [await webhooks.sweep(), await webhooks.sweep()];
    expect(swept[1]).toMatchObject({ pushes: 0 });
    const [recovered] = await waitFor(
      async () => (await deliveries()).filter((x) => x.payload.data.push?.id === push.id),
      (l) => l.length === 1 && l[0].state === 'delivered',
      30_000,
      'the recovered delivery',
    );
    expect(recovered).toMatchObject({ event: 'push.succeeded', state: 'delivered' });
    const received = hook.received.filter((r) => r.headers['x-utm-delivery'] === recovered.id);
    expect(received).toHaveLength(1);
    const signature = signWebhook(SECRET, String(received[0].headers['x-utm-timestamp']), received[0].body);
    expect(received[0].headers['x-utm-signature']).toBe(signature);
  });
});
