import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PrismaService } from '../../apps/api/src/database/prisma.service';
import { createLogger, PinoNestLogger } from '../../apps/api/src/logging/logger';
import { createTestApp, type TestApp } from '../utils/create-test-app';

describe('secrets are shown exactly once, even to idempotent retries', () => {
  let t: TestApp;
  let prisma: PrismaService;

  beforeAll(async () => {
    t = await createTestApp();
    prisma = t.app.get(PrismaService);
  });
  afterAll(() => t.close());

  async function storedBody(key: string): Promise<string> {
    const row = await prisma.idempotencyKey.findFirstOrThrow({ where: { key } });
    return row.responseBody ?? '';
  }

  it('POST /tokens: the stored response has no token, and a replay answers it withheld', async () => {
    const body = { name: 'idem-token', scopes: ['read'] };
    const first = await t
      .http()
      .post('/api/v1/tokens')
      .set('Idempotency-Key', 'tok-1')
      .send(body)
      .expect(201);
    const secret = first.body.token as string;
    expect(secret).toMatch(/^uto_/);
    expect(first.headers['idempotent-secret-withheld']).toBeUndefined();
    expect(await storedBody('tok-1')).not.toContain(secret);
    expect(await storedBody('tok-1')).not.toContain(secret.slice(4, 20));

    const replay = await t
      .http()
      .post('/api/v1/tokens')
      .set('Idempotency-Key', 'tok-1')
      .send(body)
      .expect(201);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.headers['idempotent-secret-withheld']).toBe('true');
    expect(replay.body).toEqual({ ...first.body, token: null });
    expect(JSON.stringify(replay.body)).not.toContain(secret);
    // The one token that was created works; the replay created no other.
    await t.as(secret).get('/api/v1/sites').expect(200);
    const tokens = await t.http().get('/api/v1/tokens?limit=500').expect(200);
    expect(tokens.body.items.filter((x: { name: string }) => x.name === 'idem-token')).toHaveLength(1);
  });

  it('POST /webhooks: generated and client-chosen signing secrets are never stored for replay', async () => {
    const generated = { url: 'https://hooks.example.com/a', events: ['push.failed'] };
    const first = await t
      .http()
      .post('/api/v1/webhooks')
      .set('Idempotency-Key', 'wh-1')
      .send(generated)
      .expect(201);
    const secret = first.body.secret as string;
    expect(secret).toMatch(/^whsec_/);
    expect(await storedBody('wh-1')).not.toContain(secret);
    const replay = await t
      .http()
      .post('/api/v1/webhooks')
      .set('Idempotency-Key', 'wh-1')
      .send(generated)
      .expect(201);
    expect(replay.headers['idempotent-secret-withheld']).toBe('true');
    expect(replay.body).toEqual({ ...first.body, secret: null });

    const chosen = { ...generated, url: 'https://hooks.example.com/b', secret: 'client-chosen-secret-0123' };
    const own = await t
      .http()
      .post('/api/v1/webhooks')
      .set('Idempotency-Key', 'wh-2')
      .send(chosen)
      .expect(201);
    expect(own.body.secret).toBe(chosen.secret);
    expect(await storedBody('wh-2')).not.toContain(chosen.secret);
    const again = await t
      .http()
      .post('/api/v1/webhooks')
      .set('Idempotency-Key', 'wh-2')
      .send(chosen)
      .expect(201);
    expect(again.body.secret).toBeNull();
  });

  it('keeps replaying routes without secrets unchanged', async () => {
    const first = await t
      .http()
      .post('/api/v1/sites')
      .set('Idempotency-Key', 'site-1')
      .send({ name: 'idem' });
    expect(first.status).toBe(201);
    const replay = await t
      .http()
      .post('/api/v1/sites')
      .set('Idempotency-Key', 'site-1')
      .send({ name: 'idem' });
    expect(replay.status).toBe(201);
    expect(replay.headers['idempotent-secret-withheld']).toBeUndefined();
    expect(replay.body).toEqual(first.body);
  });
});

describe('secrets in URLs', () => {
  it('redacts secret-looking query parameters in the request log and in stored idempotency records', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'utm-url-logs-'));
    const logFile = join(dir, 'service.log');
    const secrets = [
      'url-secret-access-1',
      'url-secret-apikey-2',
      'url-secret-client-3',
      'url-secret-pass-4',
    ];
    const t = await createTestApp(
      { logLevel: 'info', logFile },
      { logger: new PinoNestLogger(createLogger('info', logFile)) },
    );
    try {
      await t.http().get(`/api/v1/sites?access_token=${secrets[0]}&q=visible-filter`).expect(400);
      await t.http().get(`/api/v1/sites?limit=5&apiKey=${secrets[1]}`).expect(400);
      await t.anon().get(`/api/v1/sites?client_secret=${secrets[2]}&Password=${secrets[3]}`).expect(401);
      await t
        .http()
        .post(`/api/v1/sites?access_token=${secrets[0]}`)
        .set('Idempotency-Key', 'url-1')
        .send({ name: 'url-site' })
        .expect((res) => expect([201, 400]).toContain(res.status));
      await t.gql('{ sites { totalCount } }');
      const rows = await t.app.get(PrismaService).idempotencyKey.findMany();
      expect(JSON.stringify(rows)).not.toContain(secrets[0]);
    } finally {
      await t.close();
    }
    const logs = readFileSync(logFile, 'utf8');
    rmSync(dir, { recursive: true, force: true });
    for (const secret of secrets) expect(logs).not.toContain(secret);
    expect(logs).toContain('access_token=[redacted]&q=visible-filter');
    expect(logs).toContain('limit=5&apiKey=[redacted]');
    expect(logs).toContain('client_secret=[redacted]&Password=[redacted]');
    // GraphQL requests are logged with their request id like every other request.
    expect(logs).toMatch(/"url":"\/graphql".*"statusCode":200|"statusCode":200.*"url":"\/graphql"/);
  });
});
