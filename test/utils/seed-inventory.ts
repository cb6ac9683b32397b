import { builtinFlows, DEFAULT_CATALOG_VERSION } from '@app/catalog';
import type { Inventory, NodeInput } from '@app/engine/model';
import { PrismaService } from '../../apps/api/src/database/prisma.service';
import type { TestApp } from './create-test-app';
import { create } from './fixtures';

/** Creates an engine-shaped inventory through the REST API; returns fixture id → API id. */
export async function seedInventory(t: TestApp, inventory: Inventory): Promise<Map<string, string>> {
  const ids = new Map<string, string>();
  const id = (fixtureId: string): string => {
    const mapped = ids.get(fixtureId);
    if (!mapped) throw new Error(`fixture id ${fixtureId} has not been created yet`);
    return mapped;
  };
  for (const deployment of inventory.deployments ?? []) {
    ids.set(
      deployment.id,
      (await create(t, 'deployments', { name: deployment.name, catalogVersion: deployment.catalogVersion }))
        .id,
    );
  }
  for (const site of inventory.sites) {
    ids.set(
      site.id,
      (
        await create(t, 'sites', {
          name: site.name,
          ...(site.catalogVersion ? { catalogVersion: site.catalogVersion } : {}),
        })
      ).id,
    );
  }
  for (const zone of inventory.zones) {
    ids.set(
      zone.id,
      (await create(t, 'zones', { siteId: id(zone.siteId), name: zone.name, cidrs: zone.cidrs })).id,
    );
  }
  // Collectors and masters first, so every collectorId and masterId refers to a node that exists.
  const ordered = [...inventory.nodes].sort(
    (a, b) => Number(Boolean(a.collectorId || a.masterId)) - Number(Boolean(b.collectorId || b.masterId)),
  );
  for (const node of ordered) {
    const created = await create(t, 'nodes', {
      siteId: id(node.siteId),
      name: node.name,
      role: node.role,
      addresses: node.addresses,
      selectors: node.selectors.filter((s) => selectorsOf(inventory, node).has(s)),
      ...(node.collectorId ? { collectorId: id(node.collectorId) } : {}),
      ...(node.deploymentId ? { deploymentId: id(node.deploymentId) } : {}),
      ...(node.masterId ? { masterId: id(node.masterId) } : {}),
    });
    ids.set(node.id, created.id);
    if (created.selectors && (created.selectors as string[]).length !== new Set(node.selectors).size) {
      // Stored as data written before the API refused them (see selectorsOf).
      await t.app.get(PrismaService).node.update({
        where: { id: created.id },
        data: { selectors: [...new Set(node.selectors)].sort() },
      });
    }
  }
  for (const device of inventory.devices) {
    const created = await create(t, 'devices', {
      siteId: id(device.siteId),
      name: device.name,
      vendor: device.vendor,
      managementUrl: `https://${device.name}.example.test`,
      interfaces: device.interfaces.map((i) =>
        i.external ? { name: i.name, external: true } : { name: i.name, zoneIds: i.zoneIds.map(id) },
      ),
    });
    ids.set(device.id, created.id);
  }
  return ids;
}

const ID_LISTS = new Set(['sourceNodeIds', 'destinationNodeIds']);

/**
 * Replaces every API id in a JSON value by its fixture id, so API output compares with fixtures. Node id
 * lists are re-sorted, since the engine orders them by id and API ids are random UUIDs.
 */
export function toFixtureIds<T>(value: T, ids: Map<string, string>): T {
  const reverse = new Map([...ids].map(([fixture, api]) => [api, fixture]));
  return JSON.parse(JSON.stringify(value), (key, v: unknown) => {
    if (typeof v === 'string' && reverse.has(v)) return reverse.get(v);
    if (ID_LISTS.has(key) && Array.isArray(v)) return [...(v as string[])].sort();
    return v;
  }) as T;
}

/**
 * Selectors some flow of the node's catalog version uses. The API refuses the others (they select no flow, like
 * the "sylog" typo), but engine fixtures use some as labels (`web` keeps analysts apart from admins in address
 * objects): those nodes are created with the known selectors and then given the fixture's full list directly, as
 * data stored before the refusal would be, so rule sets stay exactly the engine's.
 */
function selectorsOf(inventory: Inventory, node: NodeInput): Set<string> {
  const site = inventory.sites.find((s) => s.id === node.siteId);
  const deployment = inventory.deployments?.find((d) => d.id === node.deploymentId);
  const version = site?.catalogVersion ?? deployment?.catalogVersion ?? DEFAULT_CATALOG_VERSION;
  return new Set(builtinFlows(version).flatMap((f) => (f.selector ? [f.selector] : [])));
}
