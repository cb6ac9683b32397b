import { handCheckedInventory } from '@app/engine/testing/hand-checked.fixture';
import { createTestApp, type TestApp } from '../utils/create-test-app';
import { create } from '../utils/fixtures';
import { seedInventory } from '../utils/seed-inventory';
import type { IdPools, OpenApiDocument } from './arbitraries';
import { applicationTables } from './db-snapshot';
import { FuzzRunner, INVALID_TOKEN, type SurfaceRules } from './harness';

/** Nothing listens on port 9 (discard) here: connections are refused at once, with no DNS lookup. */
const REFUSING_URL = 'https://127.0.0.1:9';
export const UNKNOWN_ID = '6f1c1c6e-0b7a-4d4e-9a51-3c1f0e8f5a10';

export interface FuzzApp {
  t: TestApp;
  /** The OpenAPI document the app serves (read with the admin token). */
  doc: OpenApiDocument;
  pools: IdPools;
  /** A real id for the `{id}` of a path template (the first row of its collection), or an unknown one. */
  pathId(path: string): string;
  runner: FuzzRunner;
}

async function idsOf(t: TestApp, collection: string): Promise<string[]> {
  const res = await t.http().get(`${collection}?limit=50`);
  const items = (res.body as { items?: { id?: unknown }[] } | unknown[]) ?? [];
  const list = Array.isArray(items) ? items : (items.items ?? []);
  return list.map((i) => (i as { id?: unknown }).id).filter((id): id is string => typeof id === 'string');
}

/**
 * The app with the hand-checked v11 deployment seeded through the API, plus one row of every other kind a
 * route can address (custom flow, webhook, a spare token), a read-only token, and the live OpenAPI document.
 */
export async function startFuzzApp(rules: SurfaceRules): Promise<FuzzApp> {
  // Work a successful request may start in the background (a push, its retries, a webhook delivery, a
  // scheduled push of a device the fuzzing gave a schedule) must finish before the next batch's snapshot,
  // or a later batch of refusals would be blamed for its writes: one attempt each, devices and webhook
  // receivers that refuse connections at once, and no schedule slot within a run.
  const t = await createTestApp({
    pushMaxAttempts: 1,
    webhookMaxAttempts: 1,
    schedulerIntervalMs: 3_600_000,
  });
  await seedInventory(t, handCheckedInventory('utmstack-v11'));
  for (const id of await idsOf(t, '/api/v1/devices')) {
    const res = await t.http().patch(`/api/v1/devices/${id}`).send({ managementUrl: REFUSING_URL });
    if (res.status !== 200) throw new Error(`PATCH device → ${res.status}: ${res.text}`);
  }
  const flow = await create(t, 'catalog/flows', {
    id: 'custom-fuzz-flow',
    version: 'utmstack-v11',
    from: 'agent',
    to: 'collector',
    protocol: 'tcp',
    ports: '1514',
    purpose: 'fuzz target',
  });
  await create(t, 'webhooks', { url: `${REFUSING_URL}/fuzz`, events: ['push.failed'] });
  // Routes on /tokens/{id} address this spare token, never the admin or read-only token the suite uses.
  const spare = await create(t, 'tokens', { name: 'fuzz-spare', scopes: ['read'] });
  const readOnly = await t.token(['read'], 'fuzz-read-only');
  const docRes = await t.http().get('/api/openapi.json');
  if (docRes.status !== 200) throw new Error(`GET /api/openapi.json answered ${docRes.status}`);
  const doc = docRes.body as OpenApiDocument;

  // Every collection with `/{id}` routes: its first row, so new resources are covered without a list here.
  const firstIds = new Map<string, string>();
  for (const path of Object.keys(doc.paths)) {
    const collection = path.split('/{id}')[0];
    if (collection === path || firstIds.has(collection) || !doc.paths[collection]?.get) continue;
    const ids = await idsOf(t, collection);
    if (ids[0]) firstIds.set(collection, ids[0]);
  }
  firstIds.set('/api/v1/tokens', spare.id);
  // The flow list starts with builtin flows, which are read-only: address the custom one.
  firstIds.set('/api/v1/catalog/flows', flow.id);
  const pools: IdPools = {
    sites: await idsOf(t, '/api/v1/sites'),
    zones: await idsOf(t, '/api/v1/zones'),
    nodes: await idsOf(t, '/api/v1/nodes'),
    devices: await idsOf(t, '/api/v1/devices'),
    flows: [firstIds.get('/api/v1/catalog/flows') ?? UNKNOWN_ID],
    webhooks: [firstIds.get('/api/v1/webhooks') ?? UNKNOWN_ID],
    tokens: [spare.id],
  };
  const runner = new FuzzRunner(
    t,
    await applicationTables(t),
    { admin: t.adminToken, readOnly, none: null, invalid: INVALID_TOKEN },
    rules,
  );
  return {
    t,
    doc,
    pools,
    pathId: (path) => firstIds.get(path.split('/{id}')[0]) ?? UNKNOWN_ID,
    runner,
  };
}
