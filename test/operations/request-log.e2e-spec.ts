import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestApp } from '../utils/create-test-app';

describe('request log', () => {
  it('logs API requests with their caller and leaves health probes out', async () => {
    const logFile = join(mkdtempSync(join(tmpdir(), 'utm-request-log-')), 'service.log');
    const t = await createTestApp({ logLevel: 'info', logFile });
    try {
      await t.anon().get('/health').expect(200);
      await t.anon().get('/health?probe=lb').expect(200);
      await t.http().get('/api/v1/sites').expect(200);
      const lines = readFileSync(logFile, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as { req?: { url: string }; actor?: string });
      const urls = lines.flatMap((line) => (line.req ? [line.req.url] : []));
      expect(urls).toEqual(['/api/v1/sites']);
      expect(lines.find((line) => line.req)?.actor).toBe('bootstrap-admin');
    } finally {
      await t.close();
    }
  });
});
