import { Inject, Injectable } from '@nestjs/common';
import type { AdvisoryLease, Database } from '@app/persistence';
import { DATABASE } from '../database/database.module';

/**
 * One push per device at a time, across every replica: an in-process FIFO (one instance never even asks the
 * database twice for the same device) around a PostgreSQL session advisory lock (other replicas). The
 * advisory lock lives on its own connection, so a process that dies releases it with its connection.
 *
 * `run` and `tryRun` answer as soon as the work is done; the unlock follows on its own. The device stays held
 * here (the FIFO, `isHeld`) until the unlock has arrived, and other replicas get the lock when it arrives, as
 * before; the caller (a worker slot of the push queue) just does not wait a database round trip for it.
 */
@Injectable()
export class DeviceLocks {
  private readonly tails = new Map<string, Promise<void>>();

  constructor(@Inject(DATABASE) private readonly db: Database) {}

  /**
   * Runs `work` while holding the device. `statement`, if given, runs as soon as the device is held, in the same
   * round trip as the lock (see Database.advisoryLock), and `work` gets its rows.
   */
  run<T>(
    deviceId: string,
    work: (rows: unknown[]) => Promise<T>,
    statement?: { text: string; values: (string | null)[] },
  ): Promise<T> {
    const key = lockKey(deviceId);
    return this.local(key, async (hold) => {
      const lease = await this.db.advisoryLock(key, { wait: true, statement });
      if (!lease) throw new Error(`advisory lock ${key} was not acquired`);
      hold(lease);
      return work(lease.rows);
    });
  }

  /** Runs `work` only if no one (here or on another replica) holds the device; else resolves `busy`. */
  async tryRun<T>(
    deviceId: string,
    work: () => Promise<T>,
  ): Promise<{ busy: true } | { busy: false; value: T }> {
    const key = lockKey(deviceId);
    if (this.tails.has(key)) return { busy: true };
    return this.local(key, async (hold) => {
      const lease = await this.db.advisoryLock(key, { wait: false });
      if (!lease) return { busy: true };
      hold(lease);
      return { busy: false, value: await work() };
    });
  }

  /** True while this instance holds or waits for the device. */
  isHeld(deviceId: string): boolean {
    return this.tails.has(lockKey(deviceId));
  }

  /**
   * Runs `work` after every earlier holder of `key` in this process has let go. `work` hands over the lease it
   * took (if any): the next in line starts once that lease is released, which is started here when `work` ends.
   */
  private async local<T>(
    key: string,
    work: (hold: (lease: AdvisoryLease) => void) => Promise<T>,
  ): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const tail = previous.then(() => new Promise<void>((resolve) => (release = resolve)));
    this.tails.set(key, tail);
    await previous;
    const held: { lease: AdvisoryLease | null } = { lease: null };
    try {
      return await work((lease) => (held.lease = lease));
    } finally {
      void (held.lease?.release() ?? Promise.resolve()).then(() => {
        release();
        if (this.tails.get(key) === tail) this.tails.delete(key);
      });
    }
  }
}

function lockKey(deviceId: string): string {
  return `utm-push:${deviceId}`;
}
