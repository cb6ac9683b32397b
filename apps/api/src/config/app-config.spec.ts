import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConfigError, loadConfig } from './app-config';

function problemsOf(env: NodeJS.ProcessEnv): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('has working defaults with an empty environment (embedded database under ./data)', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      port: 3000,
      host: '0.0.0.0',
      databaseUrl: undefined,
      dataDir: resolve(process.cwd(), 'data'),
      logLevel: 'info',
      rulePrefix: 'utm_',
      rateLimitPerMinute: 600,
      rateLimitBurst: 120,
      rateLimitPerIpPerMinute: 1_800,
      rateLimitPerIpBurst: 600,
      httpHeadersTimeoutMs: 10_000,
      httpRequestTimeoutMs: 30_000,
      httpKeepAliveTimeoutMs: 5_000,
      trustProxyHops: 0,
      bodyLimitBytes: 1_048_576,
      corsOrigins: [],
      pushConcurrency: 10,
      pushMaxAttempts: 3,
      metrics: 'token',
    });
  });

  it('reads the shipped migrations wherever the service was started from, and MIGRATIONS_DIR from the working directory', () => {
    const shipped = join(__dirname, '..', '..', '..', '..', 'prisma', 'migrations');
    const cwd = process.cwd();
    try {
      process.chdir('/');
      expect(loadConfig({}).migrationsDir).toBe(shipped);
      expect(existsSync(shipped)).toBe(true);
      expect(loadConfig({ MIGRATIONS_DIR: 'srv/migrations' }).migrationsDir).toBe('/srv/migrations');
    } finally {
      process.chdir(cwd);
    }
  });

  it('reads and trims values, and treats blank ones as unset', () => {
    const config = loadConfig({
      PORT: ' 8080 ',
      DATABASE_URL: 'postgresql://u@db:5432/utm',
      CORS_ORIGINS: 'https://a.example.com, http://localhost:5173',
      LOG_LEVEL: '',
      METRICS: 'public',
      DEFAULT_PUSH_SCHEDULE: '0 3 * * *',
    });
    expect(config).toMatchObject({
      port: 8080,
      databaseUrl: 'postgresql://u@db:5432/utm',
      corsOrigins: ['https://a.example.com', 'http://localhost:5173'],
      logLevel: 'info',
      metrics: 'public',
      defaultPushSchedule: '0 3 * * *',
    });
  });

  it('reports every bad value at once, each naming its variable', () => {
    const problems = problemsOf({
      PORT: '70000',
      DATABASE_URL: 'mysql://root@db/utm',
      LOG_LEVEL: 'loud',
      RULE_PREFIX: '9bad-',
      RATE_LIMIT_BURST: 'many',
      CORS_ORIGINS: 'https://ok.example.com,not an origin',
      DEFAULT_PUSH_SCHEDULE: 'every day',
      DRIFT_CHECK_SCHEDULE: '61 * * * *',
      METRICS: 'sometimes',
    });
    const named = problems.map((p) => p.split(' ', 1)[0]);
    expect(named).toEqual(
      expect.arrayContaining([
        'PORT',
        'DATABASE_URL',
        'LOG_LEVEL',
        'RULE_PREFIX',
        'RATE_LIMIT_BURST',
        'CORS_ORIGINS',
        'DEFAULT_PUSH_SCHEDULE',
        'DRIFT_CHECK_SCHEDULE',
        'METRICS',
      ]),
    );
    expect(problems).toHaveLength(9);
    expect(problems.find((p) => p.startsWith('PORT'))).toContain('between 0 and 65535');
    expect(problems.find((p) => p.startsWith('METRICS'))).toBe('METRICS must be one of token, public, off');
  });

  it('refuses a RULE_PREFIX pfSense would refuse in every alias name (pkg_, vendor-conformance P5)', () => {
    expect(problemsOf({ RULE_PREFIX: 'pkg_' })).toEqual([
      'RULE_PREFIX prefix "pkg_" must not start with "pkg_" (pfSense reserves it for package aliases)',
    ]);
    expect(loadConfig({ RULE_PREFIX: 'Pkg_' }).rulePrefix).toBe('Pkg_');
  });

  it('never echoes secrets in its messages', () => {
    const secretKey = 'not-a-valid-key-but-secret-material';
    const adminToken = 'short secret';
    const databaseUrl = 'mysql://root:hunter2-password@db/utm';
    const problems = problemsOf({
      SECRET_KEY: secretKey,
      ADMIN_TOKEN: adminToken,
      DATABASE_URL: databaseUrl,
    });
    expect(problems).toHaveLength(3);
    const text = problems.join('\n');
    for (const secret of [secretKey, adminToken, 'hunter2-password']) expect(text).not.toContain(secret);
  });

  it('reads the per-IP rate limit and HTTP timeouts, refusing a headers timeout above the request timeout', () => {
    expect(
      loadConfig({
        RATE_LIMIT_PER_IP_PER_MINUTE: '120',
        RATE_LIMIT_PER_IP_BURST: '20',
        HTTP_HEADERS_TIMEOUT_MS: '5000',
        HTTP_REQUEST_TIMEOUT_MS: '20000',
        HTTP_KEEP_ALIVE_TIMEOUT_MS: '65000',
        TRUST_PROXY_HOPS: '1',
      }),
    ).toMatchObject({
      rateLimitPerIpPerMinute: 120,
      rateLimitPerIpBurst: 20,
      httpHeadersTimeoutMs: 5000,
      httpRequestTimeoutMs: 20000,
      httpKeepAliveTimeoutMs: 65000,
      trustProxyHops: 1,
    });
    expect(
      problemsOf({
        RATE_LIMIT_PER_IP_PER_MINUTE: '0',
        HTTP_HEADERS_TIMEOUT_MS: '60000',
        HTTP_REQUEST_TIMEOUT_MS: '30000',
      }),
    ).toEqual([
      'RATE_LIMIT_PER_IP_PER_MINUTE must be an integer between 1 and 10000000 (got "0")',
      'HTTP_HEADERS_TIMEOUT_MS must not exceed HTTP_REQUEST_TIMEOUT_MS',
    ]);
  });

  it('accepts a 64-hex SECRET_KEY and a long ADMIN_TOKEN', () => {
    const config = loadConfig({ SECRET_KEY: 'ab'.repeat(32), ADMIN_TOKEN: 'x'.repeat(24) });
    expect(config.secretKey).toBe('ab'.repeat(32));
    expect(config.adminToken).toBe('x'.repeat(24));
  });

  it('reads API_DOCS: token by default, public or off, and nothing else', () => {
    expect(loadConfig({}).apiDocs).toBe('token');
    expect(loadConfig({ API_DOCS: ' public ' }).apiDocs).toBe('public');
    expect(loadConfig({ API_DOCS: 'off' }).apiDocs).toBe('off');
    expect(loadConfig({ API_DOCS: '' }).apiDocs).toBe('token');
    expect(problemsOf({ API_DOCS: 'open' })).toEqual(['API_DOCS must be one of token, public, off']);
  });
});
