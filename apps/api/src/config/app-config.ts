import { existsSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { DEFAULT_PREFIX, describeInvalidPrefix } from '@app/engine';
import { isValidKey } from '@app/persistence';
import { cronProblem } from '../common/http/is-cron.validator';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
const LOG_LEVELS: LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** Validated, typed configuration; built once at start from the environment (plus overrides in tests). */
export interface AppConfig {
  port: number;
  host: string;
  /** Unset → embedded PGlite. */
  databaseUrl?: string;
  /** PGlite data directory; `null` → in-memory (tests only). Also holds the generated secret key. */
  dataDir: string | null;
  /** Unset → generated into `<dataDir>/secret.key` (0600), or ephemeral when in-memory. */
  secretKey?: string;
  logLevel: LogLevel;
  migrationsDir: string;
  databasePoolSize: number;
  /** Prefix of every name the service creates on a firewall. */
  rulePrefix: string;
  /** Secret of the first admin token, used only when no token exists yet. */
  adminToken?: string;
  rateLimitPerMinute: number;
  rateLimitBurst: number;
  /**
   * How long an instance trusts a token row it read (0: read it on every request). A revocation is refused at once by
   * the instance that revoked, and by other replicas within this time; expiry is always checked exactly.
   */
  tokenCacheTtlMs: number;
  /** Longest a row read by id is served from memory without another process's change reaching it; 0: off. */
  itemCacheTtlMs: number;
  /** Requests per client IP (IPv6: per /64) and minute, authenticated or not; checked before any parsing. */
  rateLimitPerIpPerMinute: number;
  rateLimitPerIpBurst: number;
  /** Time a client has to send the request line and headers; slower ones are answered 408. */
  httpHeadersTimeoutMs: number;
  /** Time a client has to send the whole request, body included. */
  httpRequestTimeoutMs: number;
  /** Idle time before a kept-alive connection is closed (keep it above a load balancer's idle timeout). */
  httpKeepAliveTimeoutMs: number;
  /**
   * Reverse proxies in front of the service whose X-Forwarded-For is believed (Express `trust proxy` hops); 0 → the
   * socket's address is the client's. Behind a load balancer every client would otherwise share its address.
   */
  trustProxyHops: number;
  /** Largest accepted request body, in bytes. */
  bodyLimitBytes: number;
  /** Origins allowed by CORS; empty → CORS off. */
  corsOrigins: string[];
  graphqlMaxDepth: number;
  graphqlMaxComplexity: number;
  /** Also write logs to this file (JSON lines). */
  logFile?: string;
  /** Pushes one instance runs at the same time (the queue spreads the rest over other replicas). */
  pushConcurrency: number;
  /** Attempts of one push before a transient failure (device unreachable, timeout) is final. */
  pushMaxAttempts: number;
  /** First retry delay of a transient push failure; doubled on every further attempt. */
  pushRetryDelaySeconds: number;
  /** How often every instance looks for due scheduled pushes and interrupted pushes. */
  schedulerIntervalMs: number;
  /** A schedule slot missed (all replicas down) is still fired this long after it passed. */
  scheduleCatchUpSeconds: number;
  /** Cron of the devices that have no schedule of their own; unset → only devices with a schedule. */
  defaultPushSchedule?: string;
  /** Cron of the scheduled drift check of every enabled device; unset → drift is checked on demand only. */
  driftCheckSchedule?: string;
  /** Attempts of one webhook delivery before it is recorded as failed. */
  webhookMaxAttempts: number;
  /** First retry delay of a failed webhook delivery; doubled on every further attempt. */
  webhookRetryDelaySeconds: number;
  /** How long a webhook endpoint has to answer. */
  webhookTimeoutMs: number;
  /** `/metrics`: `token` needs a read-scope token, `public` is open to scrapers, `off` serves nothing. */
  metrics: MetricsMode;
  /** OpenAPI document and Swagger UI: `token` needs a token of any scope, `public` is open, `off` serves nothing. */
  apiDocs: ApiDocsMode;
}

export const METRICS_MODES = ['token', 'public', 'off'] as const;
export type MetricsMode = (typeof METRICS_MODES)[number];
export const API_DOCS_MODES = ['token', 'public', 'off'] as const;
export type ApiDocsMode = (typeof API_DOCS_MODES)[number];

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export type ConfigOverrides = Partial<AppConfig>;

export function loadConfig(env: NodeJS.ProcessEnv, overrides: ConfigOverrides = {}): AppConfig {
  const problems: string[] = [];
  const port = parseIntIn(env.PORT, 3000, 0, 65535, 'PORT', problems);
  const databasePoolSize = parseIntIn(env.DATABASE_POOL_SIZE, 10, 1, 200, 'DATABASE_POOL_SIZE', problems);
  const databaseUrl = blankToUndefined(env.DATABASE_URL);
  if (databaseUrl !== undefined && !/^postgres(ql)?:\/\/.+/.test(databaseUrl)) {
    problems.push(
      'DATABASE_URL must be a postgres:// or postgresql:// URL (unset it to use the embedded database)',
    );
  }
  const secretKey = blankToUndefined(env.SECRET_KEY);
  if (secretKey !== undefined && !isValidKey(secretKey)) {
    problems.push(
      'SECRET_KEY must be 64 hex characters or base64 of 32 random bytes (e.g. `openssl rand -hex 32`)',
    );
  }
  const logLevel = (blankToUndefined(env.LOG_LEVEL) ?? 'info') as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) problems.push(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}`);
  const host = blankToUndefined(env.HOST) ?? '0.0.0.0';
  const rulePrefix = blankToUndefined(env.RULE_PREFIX) ?? DEFAULT_PREFIX;
  const prefixProblem = describeInvalidPrefix(rulePrefix);
  if (prefixProblem) problems.push(`RULE_PREFIX ${prefixProblem}`);
  const adminToken = blankToUndefined(env.ADMIN_TOKEN);
  if (adminToken !== undefined && (adminToken.length < 24 || /\s/.test(adminToken))) {
    problems.push('ADMIN_TOKEN must be at least 24 characters without spaces');
  }
  const rateLimitPerMinute = parseIntIn(
    env.RATE_LIMIT_PER_MINUTE,
    600,
    1,
    1_000_000,
    'RATE_LIMIT_PER_MINUTE',
    problems,
  );
  const rateLimitBurst = parseIntIn(env.RATE_LIMIT_BURST, 120, 1, 1_000_000, 'RATE_LIMIT_BURST', problems);
  const tokenCacheTtlMs = parseIntIn(
    env.TOKEN_CACHE_TTL_MS,
    5_000,
    0,
    60_000,
    'TOKEN_CACHE_TTL_MS',
    problems,
  );
  const itemCacheTtlMs = parseIntIn(env.ITEM_CACHE_TTL_MS, 10_000, 0, 300_000, 'ITEM_CACHE_TTL_MS', problems);
  const rateLimitPerIpPerMinute = parseIntIn(
    env.RATE_LIMIT_PER_IP_PER_MINUTE,
    1_800,
    1,
    10_000_000,
    'RATE_LIMIT_PER_IP_PER_MINUTE',
    problems,
  );
  const rateLimitPerIpBurst = parseIntIn(
    env.RATE_LIMIT_PER_IP_BURST,
    600,
    1,
    10_000_000,
    'RATE_LIMIT_PER_IP_BURST',
    problems,
  );
  const httpHeadersTimeoutMs = parseIntIn(
    env.HTTP_HEADERS_TIMEOUT_MS,
    10_000,
    1_000,
    300_000,
    'HTTP_HEADERS_TIMEOUT_MS',
    problems,
  );
  const httpRequestTimeoutMs = parseIntIn(
    env.HTTP_REQUEST_TIMEOUT_MS,
    30_000,
    1_000,
    3_600_000,
    'HTTP_REQUEST_TIMEOUT_MS',
    problems,
  );
  if (httpHeadersTimeoutMs > httpRequestTimeoutMs) {
    problems.push('HTTP_HEADERS_TIMEOUT_MS must not exceed HTTP_REQUEST_TIMEOUT_MS');
  }
  const httpKeepAliveTimeoutMs = parseIntIn(
    env.HTTP_KEEP_ALIVE_TIMEOUT_MS,
    5_000,
    1_000,
    600_000,
    'HTTP_KEEP_ALIVE_TIMEOUT_MS',
    problems,
  );
  const trustProxyHops = parseIntIn(env.TRUST_PROXY_HOPS, 0, 0, 10, 'TRUST_PROXY_HOPS', problems);
  const bodyLimitBytes = parseIntIn(
    env.BODY_LIMIT_BYTES,
    1_048_576,
    1024,
    104_857_600,
    'BODY_LIMIT_BYTES',
    problems,
  );
  const graphqlMaxDepth = parseIntIn(env.GRAPHQL_MAX_DEPTH, 12, 2, 100, 'GRAPHQL_MAX_DEPTH', problems);
  const graphqlMaxComplexity = parseIntIn(
    env.GRAPHQL_MAX_COMPLEXITY,
    1_000_000,
    10,
    100_000_000,
    'GRAPHQL_MAX_COMPLEXITY',
    problems,
  );
  const corsOrigins = (blankToUndefined(env.CORS_ORIGINS) ?? '')
    .split(',')
    .map((o) => o.trim())
    .filter(Boolean);
  for (const origin of corsOrigins) {
    if (!/^https?:\/\/[^/\s]+$/.test(origin))
      problems.push(`CORS_ORIGINS entry "${origin}" must be an origin like https://dashboard.example.com`);
  }
  const logFile = blankToUndefined(env.LOG_FILE);
  const pushConcurrency = parseIntIn(env.PUSH_CONCURRENCY, 10, 1, 500, 'PUSH_CONCURRENCY', problems);
  const pushMaxAttempts = parseIntIn(env.PUSH_MAX_ATTEMPTS, 3, 1, 20, 'PUSH_MAX_ATTEMPTS', problems);
  const pushRetryDelaySeconds = parseIntIn(
    env.PUSH_RETRY_DELAY_SECONDS,
    10,
    0,
    3600,
    'PUSH_RETRY_DELAY_SECONDS',
    problems,
  );
  const schedulerIntervalMs = parseIntIn(
    env.SCHEDULER_INTERVAL_MS,
    15_000,
    100,
    3_600_000,
    'SCHEDULER_INTERVAL_MS',
    problems,
  );
  const scheduleCatchUpSeconds = parseIntIn(
    env.SCHEDULE_CATCH_UP_SECONDS,
    300,
    0,
    86_400,
    'SCHEDULE_CATCH_UP_SECONDS',
    problems,
  );
  const defaultPushSchedule = blankToUndefined(env.DEFAULT_PUSH_SCHEDULE);
  const scheduleProblem = defaultPushSchedule === undefined ? null : cronProblem(defaultPushSchedule);
  if (scheduleProblem) problems.push(`DEFAULT_PUSH_SCHEDULE ${scheduleProblem}`);
  const driftCheckSchedule = blankToUndefined(env.DRIFT_CHECK_SCHEDULE);
  const driftProblem = driftCheckSchedule === undefined ? null : cronProblem(driftCheckSchedule);
  if (driftProblem) problems.push(`DRIFT_CHECK_SCHEDULE ${driftProblem}`);
  const webhookMaxAttempts = parseIntIn(env.WEBHOOK_MAX_ATTEMPTS, 6, 1, 50, 'WEBHOOK_MAX_ATTEMPTS', problems);
  const webhookRetryDelaySeconds = parseIntIn(
    env.WEBHOOK_RETRY_DELAY_SECONDS,
    5,
    1,
    3600,
    'WEBHOOK_RETRY_DELAY_SECONDS',
    problems,
  );
  const webhookTimeoutMs = parseIntIn(
    env.WEBHOOK_TIMEOUT_MS,
    10_000,
    100,
    120_000,
    'WEBHOOK_TIMEOUT_MS',
    problems,
  );
  const metrics = (blankToUndefined(env.METRICS) ?? 'token') as MetricsMode;
  if (!METRICS_MODES.includes(metrics)) problems.push(`METRICS must be one of ${METRICS_MODES.join(', ')}`);
  const apiDocs = (blankToUndefined(env.API_DOCS) ?? 'token') as ApiDocsMode;
  if (!API_DOCS_MODES.includes(apiDocs))
    problems.push(`API_DOCS must be one of ${API_DOCS_MODES.join(', ')}`);
  const dataDir = absolute(blankToUndefined(env.DATA_DIR) ?? './data');

  const config: AppConfig = {
    port,
    host,
    databaseUrl,
    dataDir,
    secretKey,
    logLevel,
    migrationsDir: absolute(blankToUndefined(env.MIGRATIONS_DIR) ?? shippedMigrationsDir()),
    databasePoolSize,
    rulePrefix,
    adminToken,
    rateLimitPerMinute,
    rateLimitBurst,
    tokenCacheTtlMs,
    itemCacheTtlMs,
    rateLimitPerIpPerMinute,
    rateLimitPerIpBurst,
    httpHeadersTimeoutMs,
    httpRequestTimeoutMs,
    httpKeepAliveTimeoutMs,
    trustProxyHops,
    bodyLimitBytes,
    corsOrigins,
    graphqlMaxDepth,
    graphqlMaxComplexity,
    logFile: logFile ? absolute(logFile) : undefined,
    pushConcurrency,
    pushMaxAttempts,
    pushRetryDelaySeconds,
    schedulerIntervalMs,
    scheduleCatchUpSeconds,
    defaultPushSchedule,
    driftCheckSchedule,
    webhookMaxAttempts,
    webhookRetryDelaySeconds,
    webhookTimeoutMs,
    metrics,
    apiDocs,
    ...overrides,
  };
  if (problems.length) throw new ConfigError(problems);
  return config;
}

function parseIntIn(
  raw: string | undefined,
  fallback: number,
  min: number,
  max: number,
  name: string,
  problems: string[],
): number {
  const value = blankToUndefined(raw);
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
    problems.push(`${name} must be an integer between ${min} and ${max} (got "${value}")`);
    return fallback;
  }
  return Number(value);
}

function blankToUndefined(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

/**
 * The migrations shipped with this copy of the service: `prisma/migrations` in the nearest directory above this file
 * that has one (the checkout from sources, the package root from `dist/`). They belong to the code, not to the
 * directory the service was started from, so `node /opt/app/dist/…/main.js` works from any working directory.
 */
function shippedMigrationsDir(): string {
  for (let dir = __dirname; ; dir = dirname(dir)) {
    const candidate = join(dir, 'prisma', 'migrations');
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) return 'prisma/migrations';
  }
}

function absolute(path: string): string {
  return isAbsolute(path) ? path : resolve(process.cwd(), path);
}
