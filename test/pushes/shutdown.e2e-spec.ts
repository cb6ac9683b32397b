import { startSimulator, type StartedSimulator } from '@app/simulators';
import { PushRunner } from '../../apps/api/src/pushes/push-runner.service';
import { createTestApp, type TestApp } from '../utils/create-test-app';
import { simulatedDeployment, type SimulatedDeployment } from './push-fixtures';
import { holdDevice, requestPush, waitUntilFetched } from './push-helpers';

/**
 * A graceful stop (SIGTERM in a rolling deploy) lets the pushes this instance already fetched finish: the job pools
 * drain before anything they need is taken down.
 */
describe('graceful shutdown', () => {
  let t: TestApp;
  let sim: StartedSimulator<'pfsense'>;
  let d: SimulatedDeployment;
  let closed = false;

  beforeAll(async () => {
    sim = await startSimulator('pfsense');
    t = await createTestApp();
    d = await simulatedDeployment(t, sim);
  });
  afterAll(async () => {
    if (!closed) await t.close();
    await sim.stop();
  });

  it('finishes a push fetched before the stop and started during it, rule set and all', async () => {
    const finished: { id: string; state: string; errorMessage: string | null }[] = [];
    t.app.get(PushRunner).onFinished((push) => void finished.push(push));
    // The device's lock held elsewhere: the pool fetches the push and waits for the lock, as behind another push.
    const device = holdDevice(t, d.device.id);
    const push = await requestPush(t, d.device.id);
    await waitUntilFetched(t, push.id);
    const closing = t.app.close();
    closed = true;
    // Long enough for every module's onModuleDestroy (where the rule engine used to be disposed); the pools drain
    // after them, waiting for this push.
    await new Promise((resolve) => setTimeout(resolve, 300));
    await device.release();
    await closing;
    await t.database.drop();
    expect(finished).toEqual([
      expect.objectContaining({ id: push.id, state: 'succeeded', errorMessage: null }),
    ]);
  });
});
