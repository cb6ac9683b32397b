import { Inject, Injectable } from '@nestjs/common';
import type { Database } from '@app/persistence';
import { DATABASE } from '../database/database.module';

/**
 * One push per device at a time, across every replica: an in-process FIFO (one instance never even asks the
 * database twice for the same device) around a PostgreSQL session advisory lock (other replicas). The
 * advisory lock lives on its own connection, so a process that dies releases it with its connection.
 */
@Injectable()
export class DeviceLocks {
  private readonly tails = new Map<string, Promise<void>>();

  constructor(@Inject(DATABASE) private readonly db: Database) {}

  run<T>(deviceId: string, work: () => Promise<T>): Promise<T> {
    const key = lockKey(deviceId);
    return this.local(key, () => this.db.withAdvisoryLock(key, work));
  }

  /** Runs `work` only if no one (here or on another replica) holds the device; else resolves `busy`. */
  async tryRun<T>(
    deviceId: string,
    work: () => Promise<T>,
  ): Promise<{ busy: true } | { busy: false; value: T }> {
    const key = lockKey(deviceId);
    if (this.tails.has(key)) return { busy: true };
    return this.local(key, async () => {
      const attempt = await this.db.tryAdvisoryLock(key, work);
      return attempt.acquired ? { busy: false, value: attempt.value } : { busy: true };
    });
  }

  /** True while this instance holds or waits for the device. */
  isHeld(deviceId: string): boolean {
    return this.tails.has(lockKey(deviceId));
  }

  private async local<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const tail = previous.then(() => new Promise<void>((resolve) => (release = resolve)));
    this.tails.set(key, tail);
    await previous;
    try {
      return await work();
    } finally {
      release();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }
}

function lockKey(deviceId: string): string {
  return `utm-push:${deviceId}`;
}
