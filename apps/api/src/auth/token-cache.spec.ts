import { TokenCache, type TokenRecord } from './token-cache';

function record(id: string, revokedAt: Date | null = null): TokenRecord {
  return { id, name: id, scopes: ['read'], tenantIds: [], expiresAt: null, revokedAt, lastUsedAt: null };
}

function deferred<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

describe('TokenCache', () => {
  it('serves a token from memory for the TTL, then reads it again', async () => {
    let now = 1_000;
    const cache = new TokenCache(5_000, () => now);
    const reads: string[] = [];
    const load = (row: TokenRecord) => () => {
      reads.push(row.id);
      return Promise.resolve(row);
    };
    expect(await cache.lookup('h1', load(record('a')))).toMatchObject({ id: 'a', revokedAt: null });
    now += 4_999;
    expect(await cache.lookup('h1', load(record('a', new Date())))).toMatchObject({ revokedAt: null });
    now += 1;
    // Another replica revoked it meanwhile: seen once the entry is TTL old.
    expect((await cache.lookup('h1', load(record('a', new Date()))))?.revokedAt).toBeInstanceOf(Date);
    expect(reads).toEqual(['a', 'a']);
  });

  it('shares one read among concurrent first requests and does not cache unknown tokens', async () => {
    const cache = new TokenCache(5_000);
    let reads = 0;
    const gate = deferred<TokenRecord | null>();
    const load = () => {
      reads += 1;
      return gate.promise;
    };
    const all = Promise.all([1, 2, 3].map(() => cache.lookup('h1', load)));
    gate.resolve(null);
    expect(await all).toEqual([null, null, null]);
    expect(await cache.lookup('h1', () => Promise.resolve(null))).toBeNull();
    expect(reads).toBe(1);
    expect(cache.size).toBe(0);
  });

  it('forgets a revoked token at once, including a read that started before the revocation', async () => {
    const cache = new TokenCache(60_000);
    await cache.lookup('h1', () => Promise.resolve(record('a')));
    await cache.lookup('h2', () => Promise.resolve(record('b')));
    // A read of b that saw the row before the revocation committed...
    const stale = deferred<TokenRecord | null>();
    const b2 = cache.lookup('h3', () => stale.promise);
    cache.evict('a');
    stale.resolve(record('c'));
    expect(await b2).toMatchObject({ id: 'c' });
    // ...is answered to its own callers but not kept; a's entry is gone, b's stays.
    expect(cache.size).toBe(1);
    expect(
      (await cache.lookup('h1', () => Promise.resolve(record('a', new Date()))))?.revokedAt,
    ).toBeInstanceOf(Date);
    let readB = false;
    await cache.lookup('h2', () => {
      readB = true;
      return Promise.resolve(record('b'));
    });
    expect(readB).toBe(false);
  });

  it('reads on every lookup with a TTL of 0, and does not keep a failed read', async () => {
    const cache = new TokenCache(0);
    let reads = 0;
    const load = () => {
      reads += 1;
      return Promise.resolve(record('a'));
    };
    await cache.lookup('h1', load);
    await cache.lookup('h1', load);
    expect(reads).toBe(2);
    const cached = new TokenCache(5_000);
    await expect(cached.lookup('h1', () => Promise.reject(new Error('db down')))).rejects.toThrow('db down');
    expect(await cached.lookup('h1', () => Promise.resolve(record('a')))).toMatchObject({ id: 'a' });
  });
});
