import { ConnectorError } from './errors';
import { canonicalCidr, normalizePorts, parsePortRange, sortCidrs } from './net';
import { firstWord, isManaged, managedDescription } from './ownership';
import { describeTarget, resolveSettings, type DeviceTarget } from './target';
import { normalizeFingerprint } from './tls';

const base: DeviceTarget = {
  id: 'fw-1',
  vendor: 'opnsense',
  url: 'https://FW.example:8443/',
  credentials: { kind: 'opnsense-api-key', key: 'k', secret: 's' },
};

describe('resolveSettings', () => {
  it('fills defaults: prefix utm_, marker, top block, verify TLS, timeouts, retries, lock key = origin', () => {
    const s = resolveSettings(base);
    expect(s).toMatchObject({
      origin: 'https://fw.example:8443',
      deviceKey: 'https://fw.example:8443',
      prefix: 'utm_',
      marker: '[managed by utm-orchestrator]',
      blockPosition: 'top',
      tlsMode: 'verified',
      timeouts: { connectMs: 10_000, requestMs: 30_000, commitMs: 120_000 },
      retry: { retries: 3, baseDelayMs: 250, maxDelayMs: 5_000, maxRetryAfterMs: 30_000 },
    });
  });

  it.each([
    [{ insecure: true }, 'insecure'],
    [{ verify: false }, 'insecure'],
    [{ fingerprintSha256: 'ab'.repeat(32) }, 'pinned'],
    [{ caBundle: 'PEM' }, 'ca-bundle'],
    [{ caBundle: 'PEM', fingerprintSha256: 'ab'.repeat(32) }, 'ca-bundle'],
  ])('derives the TLS mode of %j as %s', (tls, mode) => {
    expect(resolveSettings({ ...base, tls }).tlsMode).toBe(mode);
  });

  it('rejects bad URLs, credentials in the URL, bad prefixes and markers', () => {
    expect(() => resolveSettings({ ...base, url: 'not a url' })).toThrow(ConnectorError);
    expect(() => resolveSettings({ ...base, url: 'ftp://fw' })).toThrow(/scheme/);
    expect(() => resolveSettings({ ...base, url: 'https://u:p@fw' })).toThrow(/credentials/);
    expect(() => resolveSettings({ ...base, prefix: '1bad' })).toThrow(/prefix/);
    expect(() => resolveSettings({ ...base, marker: 'a|b c' })).toThrow(/marker/);
  });

  it('describes a target without secrets', () => {
    expect(JSON.stringify(describeTarget(base))).not.toContain('"s"');
    expect(describeTarget(base)).toMatchObject({ credentials: 'opnsense-api-key', tls: 'verified' });
  });
});

describe('helpers', () => {
  it('normalises fingerprints', () => {
    expect(normalizeFingerprint('sha256:' + 'ab'.repeat(32))).toBe(Array(32).fill('AB').join(':'));
    expect(() => normalizeFingerprint('abcd')).toThrow(ConnectorError);
  });

  it('canonicalises CIDRs and sorts them v4 first, numerically', () => {
    expect(canonicalCidr('10.0.0.1')).toBe('10.0.0.1/32');
    expect(canonicalCidr('FD00:0:0::1')).toBe('fd00::1/128');
    expect(canonicalCidr('10.0.0.0/33')).toBeNull();
    expect(canonicalCidr('example.org')).toBeNull();
    expect(sortCidrs(['fd00::/64', '10.0.0.10/32', '10.0.0.9/32', '10.0.0.9/32'])).toEqual([
      '10.0.0.9/32',
      '10.0.0.10/32',
      'fd00::/64',
    ]);
  });

  it('merges port ranges and parses a:b', () => {
    expect(
      normalizePorts([
        { from: 9000, to: 9000 },
        { from: 1514, to: 1515 },
        { from: 1516, to: 1516 },
      ]),
    ).toEqual([
      { from: 1514, to: 1516 },
      { from: 9000, to: 9000 },
    ]);
    expect(parsePortRange('1514:1516', ':')).toEqual({ from: 1514, to: 1516 });
    expect(parsePortRange('1516:1514', ':')).toBeNull();
    expect(parsePortRange('http', ':')).toBeNull();
  });

  it('owns only names with the prefix AND descriptions with the marker', () => {
    expect(isManaged('utm_a', 'x [m]', 'utm_', '[m]')).toBe(true);
    expect(isManaged('utm_a', 'x', 'utm_', '[m]')).toBe(false);
    expect(isManaged('a', 'x [m]', 'utm_', '[m]')).toBe(false);
    expect(managedDescription(' agents\nof HQ ', '[m]')).toBe('agents of HQ [m]');
    expect(firstWord('  utm_r1 [m]')).toBe('utm_r1');
  });
});
