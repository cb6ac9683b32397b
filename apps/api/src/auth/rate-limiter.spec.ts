import { clientKey, TokenBuckets } from './rate-limiter';

describe('TokenBuckets', () => {
  it('allows the burst at once, then refills at the sustained rate', () => {
    const buckets = new TokenBuckets(60, 3);
    const at = 1_000_000;
    expect([1, 2, 3].map(() => buckets.take('a', at).allowed)).toEqual([true, true, true]);
    expect(buckets.take('a', at)).toEqual({ allowed: false, retryAfterSeconds: 1 });
    expect(buckets.take('b', at).allowed).toBe(true);
    expect(buckets.take('a', at + 1_000).allowed).toBe(true);
    expect(buckets.take('a', at + 1_000).allowed).toBe(false);
  });

  it('forgets clients whose bucket has refilled once many distinct clients were seen', () => {
    const buckets = new TokenBuckets(60, 1);
    // All still limited at the first sweep (10,000 buckets): kept, and the next sweep waits for 20,000.
    for (let i = 0; i <= 10_000; i += 1) buckets.take(`old-${i}`, 0);
    expect(buckets.size).toBe(10_001);
    // A minute later every old bucket is full again, which is the same as having none: the sweep drops them.
    for (let i = 0; i < 10_000; i += 1) buckets.take(`new-${i}`, 60_000);
    expect(buckets.size).toBe(10_000);
    // A client still limited is kept by the sweep.
    expect(buckets.take('new-0', 60_000).allowed).toBe(false);
  });
});

describe('clientKey', () => {
  it('keys IPv4 by address, IPv4-mapped IPv6 as IPv4 and IPv6 by its /64', () => {
    expect(clientKey('203.0.113.9')).toBe('203.0.113.9');
    expect(clientKey('::ffff:203.0.113.9')).toBe('203.0.113.9');
    expect(clientKey('2001:db8:1:2:3:4:5:6')).toBe('2001:db8:1:2::/64');
    expect(clientKey('2001:0db8:0001:0002::abcd')).toBe('2001:db8:1:2::/64');
    expect(clientKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(clientKey('::1')).toBe('0:0:0:0::/64');
    expect(clientKey('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
    expect(clientKey(undefined)).toBe('unknown');
  });
});
