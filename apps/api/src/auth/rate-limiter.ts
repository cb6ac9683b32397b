import { isIPv6 } from 'node:net';
import { Inject, Injectable } from '@nestjs/common';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { DomainError } from '../common/errors/domain-error';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';

interface Bucket {
  tokens: number;
  updatedAt: number;
}

export type Verdict = { allowed: true } | { allowed: false; retryAfterSeconds: number };

const ALLOWED: Verdict = Object.freeze({ allowed: true });

/** Buckets kept before full ones (equivalent to absent) are swept, so many distinct clients cannot grow memory. */
const SWEEP_ABOVE = 10_000;

/** Token buckets by key, per instance: `perMinute` sustained, `burst` at once. */
export class TokenBuckets {
  private readonly buckets = new Map<string, Bucket>();
  private sweepAbove = SWEEP_ABOVE;

  constructor(
    private readonly perMinute: number,
    private readonly burst: number,
  ) {}

  /** Takes one request's worth; returns the seconds to wait when the bucket is empty. */
  take(key: string, now = Date.now()): Verdict {
    const perMs = this.perMinute / 60_000;
    let bucket = this.buckets.get(key);
    if (!bucket) {
      if (this.buckets.size >= this.sweepAbove) this.sweep(now);
      bucket = { tokens: this.burst, updatedAt: now };
      this.buckets.set(key, bucket);
    }
    bucket.tokens = Math.min(this.burst, bucket.tokens + (now - bucket.updatedAt) * perMs);
    bucket.updatedAt = now;
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return ALLOWED;
    }
    return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - bucket.tokens) / perMs / 1000)) };
  }

  get size(): number {
    return this.buckets.size;
  }

  private sweep(now: number): void {
    const perMs = this.perMinute / 60_000;
    for (const [key, bucket] of this.buckets) {
      if (bucket.tokens + (now - bucket.updatedAt) * perMs >= this.burst) this.buckets.delete(key);
    }
    // Clients still limited stay; the next sweep waits until as many new ones have arrived.
    this.sweepAbove = Math.max(SWEEP_ABOVE, this.buckets.size * 2);
  }
}

/**
 * Token bucket per API token, per instance: `rateLimitPerMinute` sustained, `rateLimitBurst` at once.
 * With several replicas each enforces its share; the limit protects the service, not a billing quota.
 */
@Injectable()
export class RateLimiter {
  private readonly buckets: TokenBuckets;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.buckets = new TokenBuckets(config.rateLimitPerMinute, config.rateLimitBurst);
  }

  take(key: string, now = Date.now()): Verdict {
    return this.buckets.take(key, now);
  }
}

/**
 * The client a per-IP limit counts: the socket's address (Express's `req.ip`, so a configured `trust proxy`
 * applies), IPv4-mapped IPv6 as IPv4, and IPv6 by its /64, which one subscriber usually holds whole.
 */
export function clientKey(address: string | undefined): string {
  if (!address) return 'unknown';
  let key = clientKeys.get(address);
  if (key === undefined) {
    // Bounded like the buckets: many distinct addresses only cost the cache's refill.
    if (clientKeys.size >= SWEEP_ABOVE) clientKeys.clear();
    key = keyOf(address);
    clientKeys.set(address, key);
  }
  return key;
}

/** clientKey by address: a client sends many requests, and working the key out takes a few regular expressions. */
const clientKeys = new Map<string, string>();

function keyOf(address: string): string {
  const plain = address.replace(/%.*$/, '');
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(plain);
  if (mapped) return mapped[1];
  if (!isIPv6(plain)) return plain;
  const [head, tail] = plain.split('::');
  const front = head ? head.split(':') : [];
  const back = tail === undefined ? [] : tail ? tail.split(':') : [];
  const groups =
    tail === undefined
      ? front
      : [...front, ...Array<string>(8 - front.length - back.length).fill('0'), ...back];
  return `${groups
    .slice(0, 4)
    .map((g) => parseInt(g, 16).toString(16))
    .join(':')}::/64`;
}

/**
 * Express middleware, ahead of URL, body and token checks: every request, with or without a valid token, costs
 * its client one unit, so unauthenticated floods and token guessing are bounded before any parsing or database
 * work. `/health` has a bucket of its own (same rates): probes neither spend nor are starved by the API budget.
 */
export function perIpRateLimit(
  config: Pick<AppConfig, 'rateLimitPerIpPerMinute' | 'rateLimitPerIpBurst' | 'trustProxyHops'>,
): RequestHandler {
  const api = new TokenBuckets(config.rateLimitPerIpPerMinute, config.rateLimitPerIpBurst);
  const health = new TokenBuckets(config.rateLimitPerIpPerMinute, config.rateLimitPerIpBurst);
  // Trusting no proxy (configureApp sets `trust proxy` to these hops), req.ip is the socket's address; Express
  // would still parse X-Forwarded-For to find that out.
  const fromSocket = config.trustProxyHops === 0;
  return (req: Request, res: Response, next: NextFunction): void => {
    const client = clientKey((fromSocket ? undefined : req.ip) ?? req.socket.remoteAddress);
    const verdict = (req.path === '/health' ? health : api).take(client);
    if (verdict.allowed) {
      next();
      return;
    }
    res.setHeader('Retry-After', String(verdict.retryAfterSeconds));
    next(
      new DomainError(
        'RATE_LIMITED',
        `too many requests from this address; retry in ${verdict.retryAfterSeconds}s`,
        [],
        { retryAfterSeconds: verdict.retryAfterSeconds },
      ),
    );
  };
}
