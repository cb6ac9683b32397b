import { createHash } from 'node:crypto';
import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import type { InventoryChange } from '@app/engine/incremental';
import type {
  DeviceInput,
  Inventory,
  NodeInput,
  PublicationInput,
  PublishedPortInput,
  ReachabilityFilter,
  ReachabilityResult,
  RuleSet,
  SiteInput,
  SiteLinkInput,
} from '@app/engine/model';
import { CatalogService } from '../catalog/catalog.service';
import { NotFound, ValidationFailed } from '../common/errors/domain-error';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import type { Prisma, PrismaClient } from '@app/persistence';
import { PrismaService } from '../database/prisma.service';
import { asSystem, TenantScope } from '../tenants/tenant-scope';
import { RuleEngineHost } from './engine/rule-engine-host';

/** More changed rows than this since the last sync: reloading everything is cheaper than row by row. */
const MAX_INCREMENTAL_ROWS = 2_000;
/** Change-log entries older than this many revisions are pruned (a replica further behind reloads all). */
const KEEP_REVISIONS = 1_000n;

/** Whether rule sets can be served without waiting for a first computation. */
export type RuleSetsState = 'starting' | 'ready' | 'failed';

/** A row of the change log, with a changed node's content as of the same snapshot (null once deleted). */
interface ChangeRow {
  revision: bigint;
  entity: string;
  entityId: string;
  node: NodeInput | null;
}

interface Head {
  revision: bigint;
  /** The revision the changes are counted from: the one held when they were read (null: none held). */
  from: bigint | null;
  /** Null: the whole inventory must be loaded (always so when `from` is null). */
  changes: ChangeRow[] | null;
}

/**
 * Rule sets are derived state, computed in a worker thread (never on the request's event loop) by the
 * incremental engine (libs/engine/src/incremental.ts). The instance holds the inventory revision it is
 * at; the revision is bumped by database triggers on every inventory or custom-flow write, from any
 * replica, and the same triggers log which rows changed (inventory_changes). Catching up reloads only
 * those rows, and the engine recomputes only the devices they can affect, one device at a time, the
 * device asked for first. A read costs one revision lookup when nothing changed.
 *
 * At start the whole inventory is loaded and computed in the background; `state` (reported by
 * `GET /health/ready`) says when that is done.
 */
@Injectable()
export class RuleSetsService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('RuleSets');
  private readonly engine = new RuleEngineHost();
  /** Revision the worker's inventory is at; null until loaded (or after the worker was lost). */
  private revisionHeld: bigint | null = null;
  private heldGeneration = -1;
  private syncing: Promise<void> | null = null;
  /** Rule sets already fetched from the worker at the current generation of changes. */
  private readonly cache = new Map<string, RuleSet>();
  /** Bumped whenever rule sets may have changed, so an answer computed before does not fill the cache. */
  private changes = 0;
  private updates = 0;
  private loads = 0;
  private warmUp: RuleSetsState = 'starting';
  private warmUpRetry: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(
    private readonly prisma: PrismaService,
    private readonly catalog: CatalogService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.warm(1);
  }

  /**
   * Loads and computes everything in the background; requests that come first wait for it. A failure (the database
   * briefly away, the worker lost) is tried again 1 s, 2 s, … at most 60 s later, so a readiness probe that answered
   * 503 for it recovers by itself instead of keeping the replica out of rotation for good.
   */
  private warm(attempt: number): void {
    void this.settle().then(
      () => (this.warmUp = 'ready'),
      (error: unknown) => {
        if (this.stopped) return;
        this.warmUp = 'failed';
        const delayMs = Math.min(60_000, 1_000 * 2 ** (attempt - 1));
        this.logger.warn(
          `rule sets not computed at start (attempt ${attempt}): ${String(error)}; trying again in ${delayMs / 1_000} s`,
        );
        this.warmUpRetry = setTimeout(() => this.warm(attempt + 1), delayMs);
        this.warmUpRetry.unref();
      },
    );
  }

  /**
   * Not in onModuleDestroy: Nest runs every module's onModuleDestroy before the job pools drain
   * (beforeApplicationShutdown), and a push they still start asks for its rule set. By this hook the pools have
   * stopped and the HTTP server is closed.
   */
  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (this.warmUpRetry) clearTimeout(this.warmUpRetry);
    this.revisionHeld = null;
    this.cache.clear();
    await this.engine.stop();
  }

  /** `ready` once the rule sets of the inventory found at start are computed. */
  get state(): RuleSetsState {
    return this.warmUp;
  }

  /** Resolves once the rule sets of the current inventory revision are all computed. */
  async settle(): Promise<void> {
    await this.sync();
    await this.engine.call('settle', {});
  }

  /** How many of those catch-ups reloaded the whole inventory (start, worker lost, change log pruned). */
  get fullLoads(): number {
    return this.loads;
  }

  /** How many times this instance caught up with a new inventory revision (observability and tests). */
  get computations(): number {
    return this.updates;
  }

  /**
   * A device's rule set. A token limited to tenants gets its own devices' whole rule sets and, of a provider
   * (shared) device, only the rules whose every source and destination node is its own: which of its flows
   * the shared firewall carries. Anything else (another tenant's device, a provider device carrying none of
   * its flows) does not exist for it.
   */
  async ruleSet(deviceId: string, knownRevision?: bigint): Promise<RuleSet> {
    const [ruleSet] = await this.ruleSets([deviceId], knownRevision);
    if (!ruleSet) throw new NotFound('device', deviceId);
    const scope = TenantScope.current();
    if (!scope.limited) return ruleSet;
    if (await this.prisma.device.findUnique({ where: { id: deviceId }, select: { id: true } }))
      return ruleSet;
    const device = await asSystem(() =>
      this.prisma.device.findUnique({
        where: { id: deviceId },
        select: { site: { select: { tenantId: true } } },
      }),
    );
    if (!device || device.site.tenantId !== null) throw new NotFound('device', deviceId);
    const own = new Set((await this.prisma.node.findMany({ select: { id: true } })).map((n) => n.id));
    const shared = ownRules(ruleSet, own);
    if (shared.rules.length === 0) throw new NotFound('device', deviceId);
    return shared;
  }

  /**
   * `knownRevision`: the inventory revision the caller read in a statement of its own (a push reads it with its
   * claim); the rule sets are then those of that revision or a newer one, without reading it again.
   */
  async ruleSets(deviceIds: readonly string[], knownRevision?: bigint): Promise<(RuleSet | null)[]> {
    await this.sync(knownRevision, deviceIds);
    const missing = [...new Set(deviceIds.filter((id) => !this.cache.has(id)))];
    const fetched = new Map<string, RuleSet | null>();
    if (missing.length > 0) {
      const changes = this.changes;
      const answers = await this.engine.call('ruleSets', { deviceIds: missing });
      missing.forEach((id, i) => fetched.set(id, answers[i]));
      if (changes === this.changes) {
        for (const r of answers) if (r) this.cache.set(r.deviceId, r);
      }
    }
    return deviceIds.map((id) => this.cache.get(id) ?? fetched.get(id) ?? null);
  }

  async reachability(
    fromNodeId: string,
    toNodeId: string,
    filter: ReachabilityFilter,
  ): Promise<ReachabilityResult> {
    // A token limited to tenants asks only about its own nodes: the others do not exist for it.
    if (TenantScope.current().limited) {
      const visible = new Set(
        (
          await this.prisma.node.findMany({
            where: { id: { in: [fromNodeId, toNodeId] } },
            select: { id: true },
          })
        ).map((n) => n.id),
      );
      if (!visible.has(fromNodeId)) throw ValidationFailed.field('from', `node ${fromNodeId} does not exist`);
      if (!visible.has(toNodeId)) throw ValidationFailed.field('to', `node ${toNodeId} does not exist`);
    }
    await this.sync();
    const answer = await this.engine.call('reachability', { from: fromNodeId, to: toNodeId, filter });
    if ('unknown' in answer) {
      const id = answer.unknown === 'from' ? fromNodeId : toNodeId;
      throw ValidationFailed.field(answer.unknown, `node ${id} does not exist`);
    }
    return answer.result;
  }

  /**
   * Brings the worker to the database's current inventory revision (or a newer one). `wanted`: devices the caller is
   * about to read, computed with the catch-up that starts here (not with one it joins), before anything else.
   */
  private async sync(knownRevision?: bigint, wanted: readonly string[] = []): Promise<void> {
    let head: Head | undefined;
    let revision: bigint;
    if (knownRevision === undefined) revision = (head = await this.head()).revision;
    else revision = knownRevision;
    if (this.holds(revision)) return;
    // Concurrent readers of the same stale revision share one catch-up. Changes read from a revision this instance
    // no longer holds (another catch-up moved it meanwhile) are not the ones it needs: that catch-up reads its own.
    this.syncing ??= this.catchUp(head?.from === this.held() ? head : undefined, wanted).finally(() => {
      this.syncing = null;
    });
    await this.syncing;
    if (!this.holds(revision)) await this.sync();
  }

  private holds(revision: bigint): boolean {
    const held = this.held();
    return held !== null && held >= revision;
  }

  /** The revision the worker's inventory is at, or null when it holds none (not loaded yet, or the worker was lost). */
  private held(): bigint | null {
    return this.engine.running && this.heldGeneration === this.engine.generation ? this.revisionHeld : null;
  }

  /**
   * The database's inventory revision and, when this instance holds an older one, the rows changed since, with the
   * changed nodes' content (the usual change): one statement, so a read that finds changes costs one round trip
   * before the worker, and the rows come from the same snapshot as the revision they lead to. The node's fields are
   * those readNodes selects (the full load's), in SQL.
   */
  private async head(): Promise<Head> {
    const from = this.held();
    if (from === null) return { revision: await this.revision(), from, changes: null };
    const rows = await this.prisma.$queryRaw<ChangeRow[]>`
      SELECT "revision", '#head' AS "entity", "pruned_through"::text AS "entityId", NULL::json AS "node"
      FROM "inventory_revision" WHERE "id" = 1
      UNION ALL (
        SELECT c."revision", c."entity", c."entity_id",
          CASE WHEN c."entity" = 'node' THEN (
            SELECT json_build_object('id', n."id", 'siteId', n."site_id", 'name', n."name", 'role', n."role",
              'addresses', n."addresses", 'collectorId', n."collector_id", 'selectors', n."selectors",
              'deploymentId', n."deployment_id", 'masterId', n."master_id")
            FROM "nodes" n WHERE n."id" = c."entity_id"::uuid) END
        FROM "inventory_changes" c WHERE c."revision" > ${from}
        ORDER BY c."revision" LIMIT ${MAX_INCREMENTAL_ROWS + 1})`;
    const top = rows.find((r) => r.entity === '#head');
    const revision = top ? BigInt(top.revision) : 0n;
    // Pruned past what this instance holds, or too many rows: reloading everything is needed, or cheaper.
    const whole = !top || BigInt(top.entityId) > from || rows.length > MAX_INCREMENTAL_ROWS + 1;
    return { revision, from, changes: whole ? null : rows.filter((r) => r !== top) };
  }

  private async revision(): Promise<bigint> {
    const row = await this.prisma.inventoryRevision.findUnique({ where: { id: 1 } });
    return row?.revision ?? 0n;
  }

  /** `head`: read by the caller from the revision held now; read here when absent. */
  private async catchUp(head: Head | undefined, wanted: readonly string[]): Promise<void> {
    // The state is shared by every caller, so it is read as the service itself, whatever the caller's tenants.
    await asSystem(async () => {
      const { revision, changes: rows } = head ?? (await this.head());
      // The revision was read before the inventory is: the rows loaded can only be newer than it, the next catch-up
      // reads them again, and applying a row's current content twice changes nothing.
      if (rows === null) return this.load(revision);
      const changes = await this.readChanges(rows);
      if (changes.length > 0) {
        const compute = [...new Set(wanted)];
        const result = await this.engine.call('apply', { changes, compute });
        this.changes += 1;
        if (result.all) this.cache.clear();
        else for (const id of result.affected) this.cache.delete(id);
        // Computed after these changes, in the same call: as current as the revision held below.
        for (const r of result.ruleSets ?? []) this.cache.set(r.deviceId, r);
      }
      this.revisionHeld = revision;
      this.updates += 1;
      if (revision - this.prunedAt >= KEEP_REVISIONS) await this.prune(revision);
    });
  }

  private prunedAt = 0n;

  private async load(revision: bigint): Promise<void> {
    const [inventory, flows] = await Promise.all([readInventory(this.prisma), this.catalog.flows()]);
    await this.engine.call('load', { inventory, flows, prefix: this.config.rulePrefix });
    this.changes += 1;
    this.cache.clear();
    this.heldGeneration = this.engine.generation;
    this.revisionHeld = revision;
    this.updates += 1;
    this.loads += 1;
  }

  /**
   * The current content of the changed rows, as engine changes (nodes after what they are placed on; links and
   * publications last, once the sites, nodes and devices they name are in).
   */
  private async readChanges(rows: readonly ChangeRow[]): Promise<InventoryChange[]> {
    const ids = (entity: string): string[] => [
      ...new Set(rows.filter((r) => r.entity === entity).map((r) => r.entityId)),
    ];
    const [nodeIds, deviceIds, zoneIds, siteIds, deploymentIds, publicationIds] = [
      'node',
      'device',
      'zone',
      'site',
      'deployment',
      'publication',
    ].map(ids);
    // The changed nodes came with the rows (ChangeRow.node); the other entities are read here.
    const nodes = rows.flatMap((r) => (r.entity === 'node' && r.node ? [r.node] : []));
    const [devices, zones, sites, deployments, flows, siteLinks, publications] = await Promise.all([
      deviceIds.length ? readDevices(this.prisma, { id: { in: deviceIds } }) : [],
      zoneIds.length
        ? this.prisma.zone.findMany({
            where: { id: { in: zoneIds } },
            select: { id: true, siteId: true, name: true, cidrs: true },
          })
        : [],
      siteIds.length ? readSites(this.prisma, { id: { in: siteIds } }) : [],
      deploymentIds.length
        ? this.prisma.deployment.findMany({
            where: { id: { in: deploymentIds } },
            select: { id: true, name: true, catalogVersion: true },
          })
        : [],
      rows.some((r) => r.entity === 'flows') ? this.catalog.flows() : null,
      // Links have no identity in the engine: the whole list replaces the old one.
      rows.some((r) => r.entity === 'site_link') ? readSiteLinks(this.prisma) : null,
      publicationIds.length ? readPublications(this.prisma, { id: { in: publicationIds } }) : [],
    ]);
    const byId = <T extends { id: string }>(list: readonly T[]): Map<string, T> =>
      new Map(list.map((x) => [x.id, x]));
    const [n, d, z, s, p] = [byId(nodes), byId(devices), byId(zones), byId(sites), byId(deployments)];
    const pub = byId(publications);
    return [
      ...siteIds.map((id): InventoryChange => ({ kind: 'site', id, value: s.get(id) ?? null })),
      ...deploymentIds.map((id): InventoryChange => ({ kind: 'deployment', id, value: p.get(id) ?? null })),
      ...(flows ? [{ kind: 'flows', value: flows } satisfies InventoryChange] : []),
      ...zoneIds.map((id): InventoryChange => ({ kind: 'zone', id, value: z.get(id) ?? null })),
      ...deviceIds.map((id): InventoryChange => ({ kind: 'device', id, value: d.get(id) ?? null })),
      ...nodeIds.map((id): InventoryChange => ({ kind: 'node', id, value: n.get(id) ?? null })),
      ...(siteLinks ? [{ kind: 'siteLinks', value: siteLinks } satisfies InventoryChange] : []),
      ...publicationIds.map((id): InventoryChange => ({
        kind: 'publication',
        id,
        value: pub.get(id) ?? null,
      })),
    ];
  }

  /** Drops change-log entries every replica that syncs at least every KEEP_REVISIONS revisions has read. */
  private async prune(revision: bigint): Promise<void> {
    const cut = revision - KEEP_REVISIONS;
    this.prunedAt = revision;
    // Housekeeping: a failure must not fail the read that triggered it (a later one retries).
    await this.prisma
      .$transaction([
        this.prisma
          .$executeRaw`UPDATE "inventory_revision" SET "pruned_through" = GREATEST("pruned_through", ${cut}) WHERE "id" = 1`,
        this.prisma.$executeRaw`DELETE FROM "inventory_changes" WHERE "revision" <= ${cut}`,
      ])
      .catch((error: unknown) => this.logger.warn(`change log not pruned: ${String(error)}`));
  }
}

/**
 * The engine's input read from the database: deployments, sites (catalog version override, connectivity,
 * whether the site is the internet), zones, nodes (deployment, collector, a probe's master), devices with their
 * interfaces in order (and public addresses), site links and publications.
 */
export async function readInventory(
  prisma: Pick<PrismaClient, 'deployment' | 'site' | 'zone' | 'node' | 'device' | 'siteLink' | 'publication'>,
): Promise<Inventory> {
  const [deployments, sites, zones, nodes, devices, siteLinks, publications] = await Promise.all([
    prisma.deployment.findMany({ select: { id: true, name: true, catalogVersion: true } }),
    readSites(prisma),
    prisma.zone.findMany({ select: { id: true, siteId: true, name: true, cidrs: true } }),
    readNodes(prisma),
    readDevices(prisma),
    readSiteLinks(prisma),
    readPublications(prisma),
  ]);
  return { deployments, sites, zones, nodes, devices, siteLinks, publications };
}

/** Sites as the engine takes them. */
export async function readSites(
  prisma: Pick<PrismaClient, 'site'>,
  where?: Prisma.SiteWhereInput,
): Promise<SiteInput[]> {
  return prisma.site.findMany({
    where,
    select: { id: true, name: true, catalogVersion: true, connectivity: true, onInternet: true },
  });
}

export async function readSiteLinks(prisma: Pick<PrismaClient, 'siteLink'>): Promise<SiteLinkInput[]> {
  return prisma.siteLink.findMany({
    select: { siteAId: true, siteBId: true, connectivity: true },
    orderBy: [{ siteAId: 'asc' }, { siteBId: 'asc' }],
  });
}

export async function readPublications(
  prisma: Pick<PrismaClient, 'publication'>,
  where?: Prisma.PublicationWhereInput,
): Promise<PublicationInput[]> {
  const rows = await prisma.publication.findMany({
    where,
    select: { id: true, nodeId: true, deviceId: true, interface: true, publicAddress: true, ports: true },
    orderBy: { id: 'asc' },
  });
  // Written only by PublicationsService, which stores the engine's shape.
  return rows.map((r) => ({ ...r, ports: r.ports as unknown as PublishedPortInput[] }));
}

/** Nodes as the engine takes them. */
export function readNodes(
  prisma: Pick<PrismaClient, 'node'>,
  where?: Prisma.NodeWhereInput,
): Promise<NodeInput[]> {
  return prisma.node.findMany({
    where,
    select: {
      id: true,
      siteId: true,
      name: true,
      role: true,
      addresses: true,
      collectorId: true,
      selectors: true,
      deploymentId: true,
      masterId: true,
    },
  });
}

/** Devices as the engine takes them: interfaces in their order, each with its zones. */
export async function readDevices(
  prisma: Pick<PrismaClient, 'device'>,
  where?: Prisma.DeviceWhereInput,
): Promise<DeviceInput[]> {
  const devices = await prisma.device.findMany({
    where,
    select: {
      id: true,
      siteId: true,
      name: true,
      vendor: true,
      interfaces: {
        select: {
          name: true,
          external: true,
          position: true,
          publicAddresses: true,
          zones: { select: { zoneId: true } },
        },
      },
    },
  });
  return devices.map((d) => ({
    id: d.id,
    siteId: d.siteId,
    name: d.name,
    vendor: d.vendor,
    interfaces: [...d.interfaces]
      .sort((a, b) => a.position - b.position)
      .map((i) => ({
        name: i.name,
        external: i.external,
        zoneIds: i.zones.map((z) => z.zoneId),
        ...(i.publicAddresses.length ? { publicAddresses: i.publicAddresses } : {}),
      })),
  }));
}

/** The part of a shared device's rule set that only concerns the given nodes, with the objects it uses. */
function ownRules(ruleSet: RuleSet, own: ReadonlySet<string>): RuleSet {
  const rules = ruleSet.rules.filter(
    (r) =>
      r.sourceNodeIds.length + r.destinationNodeIds.length > 0 &&
      r.sourceNodeIds.every((id) => own.has(id)) &&
      r.destinationNodeIds.every((id) => own.has(id)),
  );
  const used = new Set(rules.flatMap((r) => [r.source, r.destination, r.service]));
  const natNames = new Set(rules.flatMap((r) => (r.nat ? [r.nat] : [])));
  const nat = ruleSet.nat?.filter((n) => natNames.has(n.name) || own.has(n.nodeId));
  const view: RuleSet = {
    ...ruleSet,
    addresses: ruleSet.addresses.filter((a) => used.has(a.name)),
    services: ruleSet.services.filter((s) => used.has(s.name)),
    rules,
  };
  if (nat?.length) view.nat = nat;
  else {
    delete view.nat;
    delete view.natSemantics;
  }
  // Its own hash: the full set's would change with other tenants' flows and tell them apart. NAT entries join
  // only when there are some, so a view without them hashes as before.
  const hash = createHash('sha256')
    .update(
      JSON.stringify({
        addresses: view.addresses,
        services: view.services,
        rules,
        ...(view.nat ? { nat: view.nat } : {}),
      }),
    )
    .digest('hex');
  return { ...view, hash };
}
