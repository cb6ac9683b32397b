/**
 * The deployments migration on a database that already holds an inventory: every node joins one
 * "default" deployment and no rule set changes (hashes computed from the rows before the migration, the
 * way the engine was fed then, equal the hashes computed from the migrated database).
 */
import { randomUUID } from 'node:crypto';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { builtinFlows } from '@app/catalog';
import { computeRuleSets } from '@app/engine';
import type { Inventory, Role, RuleSet, Vendor } from '@app/engine/model';
import {
  HAND_CHECKED_EXPECTED,
  handCheckedInventory,
  type HandCheckedVersion,
} from '@app/engine/testing/hand-checked.fixture';
import { applyMigrations, openDatabase, readMigrations, type SqlExecutor } from '@app/persistence';
import { readInventory } from '../../apps/api/src/rules/rule-sets.service';
import { toFixtureIds } from '../utils/seed-inventory';
import { provisionDatabase } from '../utils/test-database';

const migrationsDir = join(__dirname, '..', '..', 'prisma', 'migrations');
const DEPLOYMENTS_MIGRATION = '20261203000000_deployments';

/** A copy of the migrations directory holding only the migrations before the deployments one. */
function migrationsBeforeDeployments(): string {
  const dir = mkdtempSync(join(tmpdir(), 'utm-migrations-'));
  for (const m of readMigrations(migrationsDir)) {
    if (m.name >= DEPLOYMENTS_MIGRATION) break;
    cpSync(join(migrationsDir, m.name), join(dir, m.name), { recursive: true });
  }
  return dir;
}

/** Inserts an engine inventory as rows of the pre-deployment schema; returns fixture id → row id. */
async function insertRows(sql: SqlExecutor, inventory: Inventory): Promise<Map<string, string>> {
  const ids = new Map<string, string>();
  const id = (fixtureId: string): string => {
    let uuid = ids.get(fixtureId);
    if (!uuid) ids.set(fixtureId, (uuid = randomUUID()));
    return uuid;
  };
  for (const s of inventory.sites) {
    await sql.query(
      'INSERT INTO "sites" ("id", "name", "catalog_version", "updated_at") VALUES ($1, $2, $3, now())',
      [id(s.id), s.name, s.catalogVersion],
    );
  }
  for (const z of inventory.zones) {
    await sql.query(
      'INSERT INTO "zones" ("id", "site_id", "name", "cidrs", "updated_at") VALUES ($1, $2, $3, $4, now())',
      [id(z.id), id(z.siteId), z.name, z.cidrs],
    );
  }
  for (const n of inventory.nodes) {
    await sql.query(
      'INSERT INTO "nodes" ("id", "site_id", "name", "role", "addresses", "selectors", "updated_at") ' +
        'VALUES ($1, $2, $3, $4::"NodeRole", $5, $6, now())',
      [id(n.id), id(n.siteId), n.name, n.role, n.addresses, n.selectors],
    );
  }
  for (const n of inventory.nodes) {
    if (n.collectorId) {
      await sql.query('UPDATE "nodes" SET "collector_id" = $2 WHERE "id" = $1', [
        id(n.id),
        id(n.collectorId),
      ]);
    }
  }
  for (const d of inventory.devices) {
    await sql.query(
      'INSERT INTO "devices" ("id", "site_id", "name", "vendor", "management_url", "updated_at") ' +
        'VALUES ($1, $2, $3, $4::"Vendor", $5, now())',
      [id(d.id), id(d.siteId), d.name, d.vendor, `https://${d.name}.example.test`],
    );
    for (const [position, iface] of d.interfaces.entries()) {
      const ifaceId = randomUUID();
      await sql.query(
        'INSERT INTO "device_interfaces" ("id", "device_id", "name", "external", "position") VALUES ($1, $2, $3, $4, $5)',
        [ifaceId, id(d.id), iface.name, iface.external, position],
      );
      for (const zoneId of iface.zoneIds) {
        await sql.query('INSERT INTO "interface_zones" ("interface_id", "zone_id") VALUES ($1, $2)', [
          ifaceId,
          id(zoneId),
        ]);
      }
    }
  }
  return ids;
}

/** The engine input as the service built it before deployments: sites' versions, no deployment. */
async function readPreDeploymentInventory(sql: SqlExecutor): Promise<Inventory> {
  const sites = await sql.query<{ id: string; name: string; catalog_version: string }>(
    'SELECT "id", "name", "catalog_version" FROM "sites"',
  );
  const zones = await sql.query<{ id: string; site_id: string; name: string; cidrs: string[] }>(
    'SELECT "id", "site_id", "name", "cidrs" FROM "zones"',
  );
  const nodes = await sql.query<{
    id: string;
    site_id: string;
    name: string;
    role: Role;
    addresses: string[];
    collector_id: string | null;
    selectors: string[];
  }>('SELECT "id", "site_id", "name", "role", "addresses", "collector_id", "selectors" FROM "nodes"');
  const devices = await sql.query<{ id: string; site_id: string; name: string; vendor: Vendor }>(
    'SELECT "id", "site_id", "name", "vendor" FROM "devices"',
  );
  const interfaces = await sql.query<{
    id: string;
    device_id: string;
    name: string;
    external: boolean;
    position: number;
  }>('SELECT "id", "device_id", "name", "external", "position" FROM "device_interfaces" ORDER BY "position"');
  const links = await sql.query<{ interface_id: string; zone_id: string }>(
    'SELECT "interface_id", "zone_id" FROM "interface_zones"',
  );
  return {
    sites: sites.map((s) => ({ id: s.id, name: s.name, catalogVersion: s.catalog_version })),
    zones: zones.map((z) => ({ id: z.id, siteId: z.site_id, name: z.name, cidrs: z.cidrs })),
    nodes: nodes.map((n) => ({
      id: n.id,
      siteId: n.site_id,
      name: n.name,
      role: n.role,
      addresses: n.addresses,
      collectorId: n.collector_id,
      selectors: n.selectors,
    })),
    devices: devices.map((d) => ({
      id: d.id,
      siteId: d.site_id,
      name: d.name,
      vendor: d.vendor,
      interfaces: interfaces
        .filter((i) => i.device_id === d.id)
        .map((i) => ({
          name: i.name,
          external: i.external,
          zoneIds: links.filter((l) => l.interface_id === i.id).map((l) => l.zone_id),
        })),
    })),
  };
}

function withoutHash(ruleSets: RuleSet[]): Record<string, Omit<RuleSet, 'hash'>> {
  return Object.fromEntries(ruleSets.map(({ hash: _hash, ...rest }) => [rest.deviceId, rest]));
}

describe('deployments migration on an existing inventory', () => {
  it.each<[HandCheckedVersion, string]>([
    ['utmstack-v9', 'utmstack-v11'],
    ['utmstack-v11', 'utmstack-v9'],
  ])(
    'moves every node into one default deployment (%s) and changes no rule set',
    async (version, otherVersion) => {
      const partial = migrationsBeforeDeployments();
      const target = await provisionDatabase();
      const db = await openDatabase({ url: target.url, migrationsDir: partial });
      try {
        expect(db.migrations.applied).not.toContain(DEPLOYMENTS_MIGRATION);
        const inventory = handCheckedInventory(version);
        // A site of another version with an agent of its own: its version must survive as an override.
        inventory.sites.push({ id: 'lab', name: 'Lab', catalogVersion: otherVersion });
        inventory.nodes.push({
          id: 'lab-agents',
          siteId: 'lab',
          name: 'lab-agents',
          role: 'agent',
          addresses: ['10.9.0.0/24'],
          selectors: [],
        });
        const ids = await insertRows(db.sql, inventory);
        const flows = builtinFlows();
        const before = computeRuleSets(await readPreDeploymentInventory(db.sql), flows);

        const report = await applyMigrations(db.sql, migrationsDir);
        expect(report.applied).toContain(DEPLOYMENTS_MIGRATION);

        const deployments = await db.prisma.deployment.findMany();
        expect(deployments).toHaveLength(1);
        expect(deployments[0]).toMatchObject({ name: 'default', catalogVersion: version, tenantId: null });
        const nodes = await db.prisma.node.findMany({ select: { deploymentId: true, masterId: true } });
        expect(nodes).toHaveLength(inventory.nodes.length);
        expect(nodes.every((n) => n.deploymentId === deployments[0].id && n.masterId === null)).toBe(true);
        const sites = await db.prisma.site.findMany({ orderBy: { name: 'asc' } });
        expect(sites.map((s) => [s.name, s.catalogVersion])).toEqual([
          ['Branch-1', null],
          ['HQ', null],
          ['Lab', otherVersion],
        ]);

        const after = computeRuleSets(await readInventory(db.prisma), flows);
        expect(after.map((r) => [r.deviceId, r.hash])).toEqual(before.map((r) => [r.deviceId, r.hash]));
        expect(after).toEqual(before);
        // The Lab agents (outside every zone, collected by the master at HQ) only cross hq-fw, so br1-fw
        // keeps exactly its hand-checked rule set.
        const actual = withoutHash(toFixtureIds(after, ids));
        expect(actual['br1-fw']).toEqual(HAND_CHECKED_EXPECTED[version]['br1-fw']);
        expect(actual['hq-fw'].rules.some((r) => r.sourceNodeIds.includes('lab-agents'))).toBe(true);
      } finally {
        await db.close();
        await target.drop();
        rmSync(partial, { recursive: true, force: true });
      }
    },
  );

  it('creates no deployment on an empty database', async () => {
    const target = await provisionDatabase();
    const db = await openDatabase({ url: target.url, migrationsDir });
    try {
      expect(await db.prisma.deployment.count()).toBe(0);
    } finally {
      await db.close();
      await target.drop();
    }
  });
});
