/**
 * The device endpoint migration on a database that already holds devices: each record gets the key the
 * service computes (apps/api/src/inventory/checks/endpoint.ts), and where records already share an endpoint only
 * the oldest gets it, so the unique index can be created; the others are left for the checks list.
 */
import { randomUUID } from 'node:crypto';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyMigrations, openDatabase, readMigrations } from '@app/persistence';
import { endpointKey } from '../../apps/api/src/inventory/checks/endpoint';
import { provisionDatabase } from '../utils/test-database';

const migrationsDir = join(__dirname, '..', '..', 'prisma', 'migrations');
const MIGRATION = '20261203030000_device_endpoint_unique';

function migrationsBefore(name: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'utm-migrations-'));
  for (const m of readMigrations(migrationsDir)) {
    if (m.name >= name) break;
    cpSync(join(migrationsDir, m.name), join(dir, m.name), { recursive: true });
  }
  return dir;
}

describe('device endpoint migration on existing devices', () => {
  it('keys every device like the service does and leaves later duplicates unkeyed', async () => {
    const partial = migrationsBefore(MIGRATION);
    const target = await provisionDatabase();
    const db = await openDatabase({ url: target.url, migrationsDir: partial });
    try {
      expect(db.migrations.applied).not.toContain(MIGRATION);
      const site = randomUUID();
      await db.sql.query('INSERT INTO "sites" ("id", "name", "updated_at") VALUES ($1, $2, now())', [
        site,
        'HQ',
      ]);
      const rows: [string, string, string | null, string][] = [
        ['first', 'https://10.0.0.1', null, '2026-01-01'],
        ['same-written-differently', 'HTTPS://10.0.0.1:443/api/v2', null, '2026-01-02'],
        ['other-port', 'https://10.0.0.1:8443', null, '2026-01-03'],
        ['plain-http', 'http://FW.example.test', null, '2026-01-04'],
        ['forti-root', 'https://10.0.0.9', 'root', '2026-01-05'],
        ['forti-cust', 'https://10.0.0.9', 'cust1', '2026-01-06'],
        ['forti-root-again', 'https://10.0.0.9:443', 'root', '2026-01-07'],
      ];
      for (const [name, url, vdom, createdAt] of rows) {
        await db.sql.query(
          'INSERT INTO "devices" ("id", "site_id", "name", "vendor", "management_url", "vdom", "created_at", "updated_at") ' +
            `VALUES ($1, $2, $3, $4::"Vendor", $5, $6, $7::timestamptz, now())`,
          [randomUUID(), site, name, vdom ? 'fortios' : 'pfsense', url, vdom, createdAt],
        );
      }

      const report = await applyMigrations(db.sql, migrationsDir);
      expect(report.applied).toContain(MIGRATION);

      const devices = await db.prisma.device.findMany({ orderBy: { createdAt: 'asc' } });
      const keyed = Object.fromEntries(devices.map((d) => [d.name, d.endpointKey]));
      const expected = Object.fromEntries(devices.map((d) => [d.name, endpointKey(d.managementUrl, d.vdom)]));
      expect(keyed).toEqual({
        ...expected,
        'same-written-differently': null,
        'forti-root-again': null,
      });
      expect(keyed.first).toBe('https://10.0.0.1:443');
      expect(keyed['plain-http']).toBe('http://fw.example.test:80');

      // The index now refuses a second key, whatever writes it.
      await expect(
        db.prisma.device.update({
          where: { id: devices.find((d) => d.name === 'same-written-differently')!.id },
          data: { endpointKey: 'https://10.0.0.1:443' },
        }),
      ).rejects.toMatchObject({ code: 'P2002' });
    } finally {
      await db.close();
      await target.drop();
      rmSync(partial, { recursive: true, force: true });
    }
  });
});
