import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  type OnModuleInit,
} from '@nestjs/common';
import PgBoss from 'pg-boss';
import type { Database } from '@app/persistence';
import { DATABASE } from '../database/database.module';

export interface QueuedJob<T> {
  id: string;
  data: T;
  /**
   * Tells the pool that the handler is in its last step (its own bookkeeping; no more waiting on anything
   * outside the database): its slot is free from then on, so the pool fetches and starts the job that takes it
   * while this one records its end, instead of a record and a fetch round trip later. Optional; once per job.
   */
  windingDown(): void;
}

export interface QueueOptions {
  /** Attempts after the first when a handler throws; pg-boss waits `retryDelaySeconds`, doubled each time. */
  retryLimit: number;
  retryDelaySeconds: number;
  /** A job still active after this long is failed (and retried) by pg-boss's supervisor. */
  expireInSeconds: number;
}

/** Resolves normally → the job is completed; throws → pg-boss fails it and retries it with backoff. */
export type JobHandler<T> = (job: QueuedJob<T>) => Promise<void>;

const POLL_INTERVAL_MS = 1_000;
const COMPLETE_BATCH_MS = 50;

/**
 * pg-boss on the service's own database (PostgreSQL, or the embedded PGlite through a driver adapter), in its
 * own `pgboss` schema. Jobs are fetched with SKIP LOCKED, so each job runs on exactly one replica.
 *
 * Workers are bounded pools built on fetch/complete/fail rather than `boss.work()`: pg-boss 10 runs one batch at
 * a time per worker, so a slow device would hold back the whole batch; here each finished job frees its slot
 * at once, and a job that is winding down hands its slot over already (QueuedJob.windingDown).
 */
@Injectable()
export class JobQueue implements OnModuleInit, BeforeApplicationShutdown {
  private readonly logger = new Logger('JobQueue');
  private readonly boss: PgBoss;
  private readonly pools = new Map<string, WorkerPool<unknown>>();

  constructor(@Inject(DATABASE) db: Database) {
    this.boss = new PgBoss({
      db: { executeSql: (text, values) => db.executeSql(text, values) },
      schema: 'pgboss',
      // Schedules are fired by the service's own DB-guarded tick (sub-minute, per-device cron).
      schedule: false,
      supervise: true,
      migrate: true,
    });
    this.boss.on('error', (error: Error) => this.logger.error(`pg-boss: ${error.message}`));
  }

  async onModuleInit(): Promise<void> {
    await this.boss.start();
  }

  async createQueue(name: string, options: QueueOptions): Promise<void> {
    await this.boss.createQueue(name, {
      name,
      policy: 'standard',
      retryLimit: options.retryLimit,
      retryDelay: options.retryDelaySeconds,
      retryBackoff: true,
      expireInSeconds: options.expireInSeconds,
    });
  }

  async send<T extends object>(name: string, data: T, options: PgBoss.SendOptions = {}): Promise<string> {
    const id = await this.boss.send(name, data, options);
    if (!id) throw new Error(`pg-boss refused a job for queue ${name}`);
    this.pools.get(name)?.jobsAdded();
    return id;
  }

  /**
   * Queues several jobs in one statement (a fleet push): all or none. Job ids must be fresh: pg-boss skips a job
   * whose id already exists without saying so.
   */
  async sendMany<T extends object>(
    name: string,
    jobs: { data: T; options: PgBoss.SendOptions & { id: string } }[],
  ): Promise<void> {
    if (!jobs.length) return;
    await this.boss.insert(jobs.map(({ data, options }) => ({ ...insertOptions(options), name, data })));
    this.pools.get(name)?.jobsAdded();
  }

  /** Cancels a job that has not started (created or waiting for a retry). */
  async cancel(name: string, id: string): Promise<void> {
    await this.boss.cancel(name, id);
  }

  /**
   * Runs `handler` for the queue's jobs, at most `concurrency` at a time in this instance, not counting those
   * winding down (QueuedJob.windingDown): a push's slot stands for a device it talks to, and recording the end
   * talks to no device.
   */
  work<T>(name: string, concurrency: number, handler: JobHandler<T>): void {
    if (this.pools.has(name)) throw new Error(`queue ${name} already has a worker`);
    const pool = new WorkerPool<T>(this.boss, name, concurrency, handler, this.logger);
    this.pools.set(name, pool as WorkerPool<unknown>);
    pool.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await Promise.all([...this.pools.values()].map((p) => p.stop()));
    await this.boss.stop({ graceful: false, wait: true });
  }
}

class WorkerPool<T> {
  private readonly running = new Set<Promise<void>>();
  /**
   * Jobs fetched and not started yet (a fetch answers at most the free slots, so only briefly). pg-boss has them
   * active already: a crash before they start leaves them to its expiry, like a job waiting for its device lock.
   */
  private readonly ready: PgBoss.Job<T>[] = [];
  /** Running jobs that called windingDown: their slots are free. */
  private winding = 0;
  /**
   * The last fetch got fewer jobs than it asked for: a winding-down job does not fetch for its slot then (at the end
   * of a fleet push every one would come back empty); the slot, once free, looks as before.
   */
  private drained = false;
  private readonly completions: CompletionBatch;
  private stopped = false;
  private wakeUp: (() => void) | null = null;
  /** A wake-up that arrived while fetching: look again before sleeping. */
  private woken = false;
  private loop: Promise<void> | null = null;

  constructor(
    private readonly boss: PgBoss,
    private readonly name: string,
    private readonly concurrency: number,
    private readonly handler: JobHandler<T>,
    private readonly logger: Logger,
  ) {
    this.completions = new CompletionBatch(boss, name, logger);
  }

  start(): void {
    this.loop = this.run();
  }

  /** Jobs were queued: look for them now rather than at the next poll. */
  jobsAdded(): void {
    this.drained = false;
    this.wake();
  }

  private wake(): void {
    this.woken = true;
    this.wakeUp?.();
  }

  /**
   * Stops fetching and waits for the jobs in flight (a push interrupted here is recovered after restart). Jobs
   * already fetched for a winding-down job's slot run too: they are this instance's, and pg-boss would otherwise
   * hand them out again only once they expire.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake();
    await this.loop;
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
    await this.completions.flush();
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      this.woken = false;
      const wanted = this.concurrency + this.winding - this.running.size - this.ready.length;
      if (wanted > 0) {
        let jobs: PgBoss.Job<T>[] = [];
        try {
          jobs = await this.boss.fetch<T>(this.name, { batchSize: wanted });
        } catch (error) {
          this.logger.error(`fetching ${this.name} jobs failed: ${describe(error)}`);
        }
        this.drained = jobs.length < wanted;
        this.ready.push(...jobs);
        this.startReady();
        if (!this.drained) continue;
      }
      if (this.woken) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, POLL_INTERVAL_MS);
        this.wakeUp = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wakeUp = null;
    }
  }

  private startReady(): void {
    while (this.ready.length > 0 && this.running.size - this.winding < this.concurrency) {
      this.execute(this.ready.shift()!);
    }
  }

  private execute(job: PgBoss.Job<T>): void {
    let winding = false;
    const windingDown = (): void => {
      if (winding || this.stopped) return;
      winding = true;
      this.winding += 1;
      this.startReady();
      if (!this.drained) this.wake();
    };
    const done = this.handler({ id: job.id, data: job.data, windingDown })
      .then(
        () => this.completions.add(job.id),
        (error: unknown) => this.boss.fail(this.name, job.id, { message: describe(error) }),
      )
      .then(
        () => undefined,
        (error: unknown) =>
          this.logger.error(`recording ${this.name} job ${job.id} failed: ${describe(error)}`),
      )
      .finally(() => {
        this.running.delete(done);
        if (winding) this.winding -= 1;
        this.startReady();
        this.wake();
      });
    this.running.add(done);
  }
}

/**
 * Marks finished jobs completed in batches: one statement for the jobs that finished within COMPLETE_BATCH_MS of
 * each other instead of one per job. Nothing waits for it: the handler's own records are already committed, and
 * a job whose completion a crash loses is expired by pg-boss and retried, which the handlers treat as a no-op
 * (a push in a final state, a delivery no longer pending).
 */
class CompletionBatch {
  private ids: string[] = [];
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly boss: PgBoss,
    private readonly name: string,
    private readonly logger: Logger,
  ) {}

  add(id: string): void {
    this.ids.push(id);
    this.timer ??= setTimeout(() => void this.flush(), COMPLETE_BATCH_MS);
  }

  /** Sends what is pending; resolves once every completion added before it was sent. */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const ids = this.ids;
    this.ids = [];
    if (ids.length) {
      this.flushing = this.flushing.then(() =>
        this.boss.complete(this.name, ids).catch((error: unknown) => {
          this.logger.error(`completing ${ids.length} ${this.name} job(s) failed: ${describe(error)}`);
        }),
      );
    }
    return this.flushing;
  }
}

function insertOptions(options: PgBoss.SendOptions & { id: string }): Omit<PgBoss.JobInsert, 'name'> {
  return {
    id: options.id,
    retryLimit: options.retryLimit,
    retryDelay: options.retryDelay,
    retryBackoff: options.retryBackoff,
    expireInSeconds: options.expireInSeconds,
  };
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
