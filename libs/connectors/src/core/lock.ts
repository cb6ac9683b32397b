import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * In-process, per-device serialisation. Everything that writes to a device runs inside `withDeviceLock(key, fn)`;
 * calls with the same key run strictly one after another (FIFO), calls with different keys run concurrently.
 * Re-entrant within one async call chain (a push holding the lock can call `apply`, which takes it again).
 *
 * This only serialises within one process. Cross-replica exclusion (one worker per device) is the job queue's and
 * persistence layer's; this lock is the last line that keeps pfSense-style "last writer wins" configs safe.
 */
const tails = new Map<string, Promise<void>>();
const held = new AsyncLocalStorage<ReadonlySet<string>>();

export async function withDeviceLock<T>(key: string, fn: () => Promise<T>): Promise<T> {
  const current = held.getStore();
  if (current?.has(key)) return fn();

  const previous = tails.get(key) ?? Promise.resolve();
  let release!: () => void;
  const mine = new Promise<void>((resolve) => {
    release = resolve;
  });
  const tail = previous.then(() => mine);
  tails.set(key, tail);
  await previous;
  try {
    const next = new Set(current ?? []);
    next.add(key);
    return await held.run(next, fn);
  } finally {
    release();
    if (tails.get(key) === tail) tails.delete(key);
  }
}

/** True while some call holds (or waits for) the lock of `key`. */
export function isDeviceLocked(key: string): boolean {
  return tails.has(key);
}
