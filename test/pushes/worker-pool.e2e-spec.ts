import { join } from 'node:path';
import { type Database, openDatabase } from '@app/persistence';
import { JobQueue } from '../../apps/api/src/jobs/job-queue.service';
import { provisionDatabase, type TestDatabase } from '../utils/test-database';
import { waitFor } from './push-helpers';

const QUEUE = 'worker-pool-test';

/**
 * The queue's worker pool (JobQueue.work): at most `concurrency` handlers at a time before they wind down, and a
 * handler that says it is winding down hands its slot over: the job for it is fetched and started while the
 * winding-down one still records its end.
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

  it('keeps a busy slot, and starts the successor of a winding-down job before that job ends', async () => {
    const started: string[] = [];
    const ended: string[] = [];
    // Handlers started and not yet winding down: never more than the pool's one slot.
    let busy = 0;
    let maxBusy = 0;
    const wind = new Map<string, () => void>();
    const end = new Map<string, () => void>();
    queue.work<{ n: number }>(QUEUE, 1, async (job) => {
      busy += 1;
      maxBusy = Math.max(maxBusy, busy);
      started.push(job.id);
      await new Promise<void>((resolve) => wind.set(job.id, resolve));
      busy -= 1;
      job.windingDown();
      await new Promise<void>((resolve) => end.set(job.id, resolve));
      ended.push(job.id);
    });
    const first = await queue.send(QUEUE, { n: 1 });
    await waitFor(() => Promise.resolve(wind.has(first)), Boolean, 10_000, 'the first job to start');
    const second = await queue.send(QUEUE, { n: 2 });

    // The one slot is busy: the second job is neither fetched nor started (queue.send woke the pool, which
    // looks at once; half a second is many times what a fetch takes here).
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await stateOf(second)).toBe('created');
    expect(started).toEqual([first]);

    // Winding down frees the slot: the second starts while the first has not ended.
    wind.get(first)!();
    await waitFor(() => Promise.resolve(wind.has(second)), Boolean, 10_000, 'the second job to start');
    expect(started).toEqual([first, second]);
    expect(ended).toEqual([]);

    wind.get(second)!();
    await waitFor(() => Promise.resolve(end.has(second)), Boolean, 10_000, 'the second job to wind down');
    end.get(first)!();
    end.get(second)!();
    await waitFor(
      () => stateOf(second),
      (state) => state === 'completed',
      10_000,
      'both completed',
    );
    expect(ended).toEqual([first, second]);
    expect(maxBusy).toBe(1);
    expect(await stateOf(first)).toBe('completed');
  }, 60_000);
});
