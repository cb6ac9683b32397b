/** What authenticating a token needs from its row; cached by token hash. */
export interface TokenRecord {
  id: string;
  name: string;
  scopes: string[];
  /** Sorted; empty for a provider token. */
  tenantIds: string[];
  expiresAt: Date | null;
  revokedAt: Date | null;
  /** Last use known to this instance (written back in batches, see TokensService). */
  lastUsedAt: Date | null;
}

interface Entry {
  record: TokenRecord;
  fetchedAt: number;
}

/** Tokens kept at most; the oldest entry goes first (a deployment has a handful of tokens in use). */
const MAX_ENTRIES = 10_000;

/**
 * Token rows by hash for `ttlMs`, so a request's token is verified without a database round trip. Expiry is not
 * cached away: callers check `expiresAt` of the record on every request. A token changes after creation only by
 * being revoked: `evict(id)` drops it on the instance that revoked it, at once; other instances re-read it when
 * their entry is older than `ttlMs`, which is therefore the bound on how long a revoked token still works there.
 *
 * Unknown tokens are not cached (a guesser cannot fill memory); the per-address rate limit bounds their lookups.
 */
export class TokenCache {
  private readonly entries = new Map<string, Entry>();
  /** One database read per token at a time: concurrent first requests share it. */
  private readonly inFlight = new Map<string, Promise<TokenRecord | null>>();
  /** Bumped by every eviction: a read that started before one may hold the row as it was, and is not kept. */
  private generation = 0;

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** The cached record while fresh, else `load()`'s (kept when nothing was evicted meanwhile). */
  lookup(hash: string, load: () => Promise<TokenRecord | null>): Promise<TokenRecord | null> {
    const entry = this.entries.get(hash);
    if (entry && this.now() - entry.fetchedAt < this.ttlMs) return Promise.resolve(entry.record);
    if (this.ttlMs <= 0) return load();
    const pending = this.inFlight.get(hash);
    if (pending) return pending;
    const generation = this.generation;
    const fetchedAt = this.now();
    const loading = load().then(
      (record) => {
        if (this.inFlight.get(hash) === loading) this.inFlight.delete(hash);
        if (generation !== this.generation) return record;
        this.entries.delete(hash);
        if (record) {
          if (this.entries.size >= MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value!);
          this.entries.set(hash, { record, fetchedAt });
        }
        return record;
      },
      (error: unknown) => {
        if (this.inFlight.get(hash) === loading) this.inFlight.delete(hash);
        throw error;
      },
    );
    this.inFlight.set(hash, loading);
    return loading;
  }

  /** Forgets the token with this id (revoked here); reads in flight are not kept either. */
  evict(id: string): void {
    this.generation += 1;
    this.inFlight.clear();
    for (const [hash, entry] of this.entries) if (entry.record.id === id) this.entries.delete(hash);
  }

  get size(): number {
    return this.entries.size;
  }
}
