import { describe, expect, it } from 'vitest';
import { isReadStatement, ItemCache } from './item-cache';

function listening(ttlMs = 10_000, now?: () => number): ItemCache {
  const cache = new ItemCache(ttlMs, 10_000, now);
  cache.setListening(true);
  return cache;
}

function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

describe('ItemCache', () => {
  it('loads once, then answers from memory until invalidated', async () => {
    const cache = listening();
    let loads = 0;
    const load = () => Promise.resolve({ n: ++loads });
    expect(await cache.read('k', load)).toEqual({ n: 1 });
    expect(await cache.read('k', load)).toEqual({ n: 1 });
    cache.invalidate();
    expect(await cache.read('k', load)).toEqual({ n: 2 });
  });

  it('does not keep a row loaded while an invalidation happened (a commit raced the read)', async () => {
    const cache = listening();
    const slow = deferred<{ v: string }>();
    const reading = cache.read('k', () => slow.promise);
    cache.invalidate();
    slow.resolve({ v: 'old' });
    expect(await reading).toEqual({ v: 'old' });
    expect(cache.size).toBe(0);
  });

  it('keeps nothing while a write is in flight, and forgets at its end', async () => {
    const cache = listening();
    await cache.read('a', () => Promise.resolve(1));
    const end = cache.beginWrite();
    expect(cache.size).toBe(0);
    await cache.read('a', () => Promise.resolve(2));
    expect(cache.size).toBe(0);
    end();
    end(); // idempotent: a second call must not let a later write's count go negative
    const other = cache.beginWrite();
    await cache.read('a', () => Promise.resolve(3));
    expect(cache.size).toBe(0);
    other();
    await cache.read('a', () => Promise.resolve(4));
    expect(cache.size).toBe(1);
  });

  it('stores nothing until changes by other processes can reach it', async () => {
    const cache = new ItemCache(10_000);
    await cache.read('k', () => Promise.resolve(1));
    expect(cache.size).toBe(0);
    cache.setListening(true);
    await cache.read('k', () => Promise.resolve(1));
    expect(cache.size).toBe(1);
    cache.setListening(false);
    expect(cache.size).toBe(0);
  });

  it('reloads after the TTL, and a TTL of 0 turns it off', async () => {
    let now = 0;
    const cache = listening(1_000, () => now);
    let loads = 0;
    const load = () => Promise.resolve(++loads);
    await cache.read('k', load);
    now = 999;
    expect(await cache.read('k', load)).toBe(1);
    now = 1_000;
    expect(await cache.read('k', load)).toBe(2);
    expect(new ItemCache(0).enabled).toBe(false);
  });

  it('hands out copies', async () => {
    const cache = listening();
    const first = await cache.read('k', () => Promise.resolve({ at: new Date(0), tags: ['a'] }));
    first.tags.push('changed');
    const second = await cache.read('k', () => Promise.resolve({ at: new Date(1), tags: [] as string[] }));
    expect(second).toEqual({ at: new Date(0), tags: ['a'] });
    second.at.setTime(5);
    expect(
      (await cache.read('k', () => Promise.resolve({ at: new Date(2), tags: [] as string[] }))).at,
    ).toEqual(new Date(0));
  });

  it('peeks: a fresh copy on a hit, nothing on a miss, after the TTL or after an invalidation, and stores nothing', async () => {
    let now = 0;
    const cache = listening(1_000, () => now);
    expect(cache.peek('k')).toBeUndefined();
    expect(cache.size).toBe(0);
    await cache.read('k', () => Promise.resolve({ tags: ['a'] }));
    const hit = cache.peek<{ tags: string[] }>('k');
    expect(hit).toEqual({ tags: ['a'] });
    hit!.tags.push('changed');
    expect(cache.peek('k')).toEqual({ tags: ['a'] });
    now = 1_000;
    expect(cache.peek('k')).toBeUndefined();
    now = 0;
    cache.invalidate();
    expect(cache.peek('k')).toBeUndefined();
  });

  it('does not keep absent rows (a later create must be seen)', async () => {
    const cache = listening();
    expect(await cache.read('k', () => Promise.resolve(null))).toBeNull();
    expect(cache.size).toBe(0);
  });
});

describe('isReadStatement', () => {
  it('counts only plain SELECTs as reads', () => {
    expect(isReadStatement('SELECT "id" FROM "sites" WHERE "id" = $1')).toBe(true);
    expect(isReadStatement('  select 1')).toBe(true);
    expect(isReadStatement('UPDATE "sites" SET "name" = $1')).toBe(false);
    expect(
      isReadStatement('WITH moved AS (UPDATE "devices" SET x = 1 RETURNING *) SELECT * FROM moved'),
    ).toBe(false);
    expect(isReadStatement('INSERT INTO "sites" DEFAULT VALUES')).toBe(false);
    expect(isReadStatement('DELETE FROM "sites"')).toBe(false);
  });
});
