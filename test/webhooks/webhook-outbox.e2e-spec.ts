import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startSimulator, type StartedSimulator } from '@app/simulators';
import { PrismaService } from '../../apps/api/src/database/prisma.service';
import { QueryCounter } from '../../apps/api/src/database/query-counter';
import { createTestApp, type TestApp } from '../utils/create-test-app';
import { simulatedDeployment, type SimulatedDeployment } from '../pushes/push-fixtures';
import { requestPush, waitFor, waitForPush } from '../pushes/push-helpers';

/**
 * The push's webhook outbox when nobody listens, and when a webhook appears while a push runs (PushRunner.record
 * decides, in the statement that finishes the push, whether the event still has to be recorded).
 */
describe('push webhook outbox', () => {
  let t: TestApp;
  let sim: StartedSimulator<'pfsense'>;
  let d: SimulatedDeployment;
  let server: Server;
  let url: string;
  const received: string[] = [];

  beforeAll(async () => {
    // Slow enough that a webhook can be created while a push is running.
    sim = await startSimulator('pfsense', { latencyMs: 150 });
    server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        received.push(String(req.headers['x-utm-delivery']));
        res.end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
    t = await createTestApp();
    d = await simulatedDeployment(t, sim);
  });
  afterAll(async () => {
    await t.close();
    await sim.stop();
    await new Promise((r) => server.close(r));
  });

  it('records a push that nobody listens to in its final statement, without a transaction', async () => {
    const counter = t.app.get(QueryCounter);
    const before = counter.counts;
    const push = await waitForPush(t, (await requestPush(t, d.device.id)).id);
    expect(push.state).toBe('succeeded');
    // The runner's listeners have run once the queue has completed the job; give them a moment.
    await new Promise((r) => setTimeout(r, 200));
    const after = counter.counts;
    // The old path opened two per push: the final record, then the outbox (even with no webhook at all).
    expect(after.backgroundTransactions - before.backgroundTransactions).toBe(0);
    const row = await t.app.get(PrismaService).push.findUniqueOrThrow({ where: { id: push.id } });
    expect(row.eventsEmittedAt).not.toBeNull();
    expect(await t.app.get(PrismaService).webhookDelivery.count()).toBe(0);
  });

  it('delivers the event of a push that was running when its webhook was created', async () => {
    const requested = await requestPush(t, d.device.id);
    await waitForPush(t, requested.id, ['running'], 20_000);
    const hook = await t
      .http()
      .post('/api/v1/webhooks')
      .send({ url, events: ['push.succeeded'] })
      .expect(201);
    const push = await waitForPush(t, requested.id);
    expect(['succeeded', 'noop']).toContain(push.state);
    const deliveries = await waitFor(
      async () =>
        (await t.http().get(`/api/v1/webhooks/${hook.body.id}/deliveries`).expect(200)).body.items as {
          id: string;
          state: string;
          payload: { data: { push: { id: string } } };
        }[],
      (l) => l.length === 1 && l[0].state === 'delivered',
      20_000,
      'the delivery',
    );
    expect(deliveries[0].payload.data.push.id).toBe(push.id);
    expect(received).toEqual([deliveries[0].id]);
  });
});
