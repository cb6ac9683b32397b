import { join } from 'node:path';
import { type Database, openDatabase } from '@app/persistence';
import { JobQueue } from '../../apps/api/src/jobs/job-queue.service';
import { provisionDatabase, type TestDatabase } from '../utils/test-database';
import { waitFor } from './push-helpers';

const QUEUE = 'worker-pool-test';

/**
 * The queue's worker pool (JobQueue.work): at most `concurrency` handlers at a time, and a handler that says it is
 * winding down has the job for its slot fetched (active in pg-boss) before it ends, started only once it ends.
 */
describe('job queue worker pool', () => {
  let database: TestDatabase;
  let db: Database;
  let queue: JobQueue;

  beforeAll(async () => {
    database = await provisionDatabase();
    db = await openDatabase({ url: database.url, migrationsDir: join(process.cwd(), 'prisma/migrations') });
    queue = new JobQueue(db);
    await queue.onModuleInit();
    await queue.createQueue(QUEUE, { retryLimit: 0, retryDelaySeconds: 1, expireInSeconds: 60 });
  });
  afterAll(async () => {
    await queue?.beforeApplicationShutdown();
    await db?.close();
    await database?.drop();
  });

  const stateOf = async (id: string): Promise<string | undefined> => {
    const { rows } = await db.executeSql('SELECT state FROM pgboss.job WHERE id = $1', [id]);
    return (rows[0] as { state: string } | undefined)?.state;
  };

  it('fetches the successor of a winding-down job ahead, and starts it only when the slot is free', async () => {
    const started: string[] = [];
    const ended: string[] = [];
    let running = 0;
    let maxRunning = 0;
    const gates = new Map<string, () => void>();
    queue.work<{ n: number }>(QUEUE, 1, async (job) => {
      running += 1;
      maxRunning = Math.max(maxRunning, running);
      started.push(job.id);
      job.windingDown();
      await new Promise<void>((resolve) => gates.set(job.id, resolve));
      running -= 1;
      ended.push(job.id);
    });
    const first = await queue.send(QUEUE, { n: 1 });
    await waitFor(() => Promise.resolve(gates.has(first)), Boolean, 10_000, 'the first job to start');
    const second = await queue.send(QUEUE, { n: 2 });

    // Fetched while the first still runs, but not started: the pool has one slot.
    await waitFor(
      () => stateOf(second),
      (state) => state === 'active',
      10_000,
      'the second job fetched',
    );
    expect(started).toEqual([first]);

    gates.get(first)!();
    await waitFor(() => Promise.resolve(gates.has(second)), Boolean, 10_000, 'the second job to start');
    expect(started).toEqual([first, second]);
    gates.get(second)!();
    await waitFor(
      () => stateOf(second),
      (state) => state === 'completed',
      10_000,
      'both completed',
    );
    expect(ended).toEqual([first, second]);
    expect(maxRunning).toBe(1);
    expect(await stateOf(first)).toBe('completed');
  }, 60_000);
});
