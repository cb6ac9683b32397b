import type { Vendor } from '@app/engine/model';
import { ConnectorError } from './errors';

/** Credentials, one shape per vendor authentication scheme (discriminated by `kind`). */
export type PfSenseCredentials =
  /** pfSense REST API key, sent as `X-API-Key` (needs `KeyAuth` enabled on the device). */
  | { kind: 'pfsense-api-key'; apiKey: string }
  /** Local pfSense user, sent as HTTP Basic (the package's installed default auth method). */
  | { kind: 'pfsense-basic'; username: string; password: string };

/** FortiOS REST API admin token, sent as `Authorization: Bearer`. */
export type FortiOsCredentials = { kind: 'fortios-token'; token: string };

/** OPNsense API key + secret, sent as HTTP Basic (key = user, secret = password). */
export type OpnSenseCredentials = { kind: 'opnsense-api-key'; key: string; secret: string };

export type DeviceCredentials = PfSenseCredentials | FortiOsCredentials | OpnSenseCredentials;

export interface TlsOptions {
  /** Verify the certificate chain and host name (default true). `false` is the same as `insecure: true`. */
  verify?: boolean;
  /** PEM CA bundle to trust instead of the system store (a self-signed device certificate can be its own bundle). */
  caBundle?: string | string[];
  /**
   * Pinned SHA-256 fingerprint of the device's leaf certificate (hex, colons/case ignored). Without `caBundle` the pin
   * REPLACES chain verification (the usual way to trust a self-signed appliance certificate); with `caBundle` both the
   * chain and the pin must match. Credentials are never sent before the pin is checked.
   */
  fingerprintSha256?: string;
  /** Explicit, visible switch: accept any certificate. Off by default. */
  insecure?: boolean;
}

export interface TimeoutOptions {
  /** TCP + TLS handshake (default 10 s). */
  connectMs?: number;
  /** One whole request/response exchange (default 30 s). */
  requestMs?: number;
  /** The commit/apply call, which can reload the whole firewall (default 120 s). */
  commitMs?: number;
}

export interface RetryOptions {
  /** Extra attempts for idempotent reads (default 3). Writes are never retried. */
  retries?: number;
  /** First backoff delay (default 250 ms), doubled on every attempt, with jitter. */
  baseDelayMs?: number;
  /** Upper bound of one backoff delay (default 5 s). */
  maxDelayMs?: number;
  /** A Retry-After longer than this is not waited for: the read fails `unavailable` with `retryAfterMs` (default 30 s). */
  maxRetryAfterMs?: number;
}

/** Where the managed block of rules sits relative to rules people made on the same interface/policy list. */
export type BlockPosition = 'top' | 'bottom';

interface DeviceTargetBase {
  /** Device id in the inventory (used in plans and messages). */
  id: string;
  /** Management base URL, e.g. `https://192.0.2.1` or `https://fw.example:8443`. */
  url: string;
  tls?: TlsOptions;
  timeouts?: TimeoutOptions;
  retry?: RetryOptions;
  /** Prefix of every managed name (default `utm_`). Must match the rule set's prefix. */
  prefix?: string;
  /** Text put in the description/comment of every managed object; ownership needs prefix AND marker. */
  marker?: string;
  /** Default `top`: managed allow rules are evaluated before the rules people made. */
  blockPosition?: BlockPosition;
  /**
   * Serialisation key for writes. Default: the URL origin, so two inventory records that point at the same box
   * still never write concurrently.
   */
  lockKey?: string;
}

export interface PfSenseTarget extends DeviceTargetBase {
  vendor: 'pfsense';
  credentials: PfSenseCredentials;
}

export interface FortiOsTarget extends DeviceTargetBase {
  vendor: 'fortios';
  credentials: FortiOsCredentials;
  /** FortiOS VDOM to manage (default `root`); always sent as `vdom=` on every request. */
  vdom?: string;
}

export interface OpnSenseTarget extends DeviceTargetBase {
  vendor: 'opnsense';
  credentials: OpnSenseCredentials;
}

export type DeviceTarget = PfSenseTarget | FortiOsTarget | OpnSenseTarget;

export type TargetFor<V extends Vendor> = Extract<DeviceTarget, { vendor: V }>;

/** How each vendor spells its own name, for messages. */
export const VENDOR_LABELS: Record<Vendor, string> = {
  pfsense: 'pfSense',
  fortios: 'FortiOS',
  opnsense: 'OPNsense',
};

export const DEFAULT_PREFIX = 'utm_';
export const DEFAULT_MARKER = '[managed by utm-orchestrator]';

export interface ResolvedTimeouts {
  connectMs: number;
  requestMs: number;
  commitMs: number;
}

export interface ResolvedRetry {
  retries: number;
  baseDelayMs: number;
  maxDelayMs: number;
  maxRetryAfterMs: number;
}

/** Target with every default filled in and the URL validated. */
export interface ResolvedSettings {
  url: URL;
  /** `https://host:port` (or http), lower-case. */
  origin: string;
  deviceKey: string;
  prefix: string;
  marker: string;
  blockPosition: BlockPosition;
  tls: TlsOptions;
  timeouts: ResolvedTimeouts;
  retry: ResolvedRetry;
  /** `verified` (chain + host), `pinned`, `ca-bundle`, `insecure` or `plain` (http). */
  tlsMode: TlsMode;
}

export type TlsMode = 'verified' | 'ca-bundle' | 'pinned' | 'insecure' | 'plain';

export function resolveSettings(target: DeviceTarget): ResolvedSettings {
  let url: URL;
  try {
    url = new URL(target.url);
  } catch (cause) {
    throw new ConnectorError({ kind: 'validation', message: `Invalid device URL "${target.url}"`, cause });
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new ConnectorError({
      kind: 'validation',
      message: `Unsupported URL scheme ${url.protocol} (use https)`,
    });
  }
  if (url.username || url.password) {
    throw new ConnectorError({
      kind: 'validation',
      message: 'Put credentials in `credentials`, not in the URL',
    });
  }
  const prefix = target.prefix ?? DEFAULT_PREFIX;
  const marker = target.marker ?? DEFAULT_MARKER;
  if (!/^[A-Za-z][A-Za-z0-9_]{0,15}$/.test(prefix)) {
    throw new ConnectorError({ kind: 'validation', message: `Invalid managed-name prefix "${prefix}"` });
  }
  if (marker.trim().length < 4 || /[\r\n|]/.test(marker)) {
    throw new ConnectorError({
      kind: 'validation',
      message: 'The marker must be at least 4 characters on one line',
    });
  }
  const tls = target.tls ?? {};
  const origin = url.origin.toLowerCase();
  return {
    url,
    origin,
    deviceKey: target.lockKey ?? origin,
    prefix,
    marker,
    blockPosition: target.blockPosition ?? 'top',
    tls,
    tlsMode: tlsModeOf(url, tls),
    timeouts: {
      connectMs: target.timeouts?.connectMs ?? 10_000,
      requestMs: target.timeouts?.requestMs ?? 30_000,
      commitMs: target.timeouts?.commitMs ?? 120_000,
    },
    retry: {
      retries: target.retry?.retries ?? 3,
      baseDelayMs: target.retry?.baseDelayMs ?? 250,
      maxDelayMs: target.retry?.maxDelayMs ?? 5_000,
      maxRetryAfterMs: target.retry?.maxRetryAfterMs ?? 30_000,
    },
  };
}

export function tlsModeOf(url: URL, tls: TlsOptions): TlsMode {
  if (url.protocol === 'http:') return 'plain';
  if (tls.insecure === true || tls.verify === false) return 'insecure';
  if (tls.fingerprintSha256 && !tls.caBundle) return 'pinned';
  if (tls.caBundle) return 'ca-bundle';
  return 'verified';
}

/** Redacted view of a target, safe for logs and error details. */
export function describeTarget(target: DeviceTarget): Record<string, unknown> {
  return {
    id: target.id,
    vendor: target.vendor,
    url: target.url,
    credentials: target.credentials.kind,
    tls: tlsModeOf(new URL(target.url), target.tls ?? {}),
  };
}
