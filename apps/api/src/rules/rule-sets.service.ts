import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { computeRuleSets, traceReachability } from '@app/engine';
import type {
  CatalogFlow,
  Inventory,
  ReachabilityFilter,
  ReachabilityResult,
  RuleSet,
} from '@app/engine/model';
import { CatalogService } from '../catalog/catalog.service';
import { NotFound, ValidationFailed } from '../common/errors/domain-error';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import type { PrismaClient } from '@app/persistence';
import { PrismaService } from '../database/prisma.service';
import { asSystem, TenantScope } from '../tenants/tenant-scope';

interface Snapshot {
  revision: bigint;
  inventory: Inventory;
  flows: CatalogFlow[];
  ruleSets: Map<string, RuleSet>;
}

/**
 * Rule sets are derived state: computed for the whole inventory at once and kept until the inventory
 * revision (bumped by database triggers on every inventory or custom-flow write, from any replica) moves.
 * A read costs one revision lookup when nothing changed.
 */
@Injectable()
export class RuleSetsService {
  private snapshot: Snapshot | null = null;
  private pending: Promise<Snapshot> | null = null;
  private computationCount = 0;

  constructor(
    private readonly prisma: PrismaService,
    private readonly catalog: CatalogService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** How many times rule sets were computed by this instance (observability and tests). */
  get computations(): number {
    return this.computationCount;
  }

  /**
   * A device's rule set. A token limited to tenants gets its own devices' whole rule sets and, of a provider
   * (shared) device, only the rules whose every source and destination node is its own: which of its flows
   * the shared firewall carries. Anything else (another tenant's device, a provider device carrying none of
   * its flows) does not exist for it.
   */
  async ruleSet(deviceId: string): Promise<RuleSet> {
    const ruleSet = (await this.current()).ruleSets.get(deviceId);
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

  async ruleSets(deviceIds: readonly string[]): Promise<(RuleSet | null)[]> {
    const { ruleSets } = await this.current();
    return deviceIds.map((id) => ruleSets.get(id) ?? null);
  }

  async reachability(
    fromNodeId: string,
    toNodeId: string,
    filter: ReachabilityFilter,
  ): Promise<ReachabilityResult> {
    const snapshot = await this.current();
    // A token limited to tenants asks only about its own nodes: the others do not exist for it.
    const visible = TenantScope.current().limited
      ? new Set(
          (
            await this.prisma.node.findMany({
              where: { id: { in: [fromNodeId, toNodeId] } },
              select: { id: true },
            })
          ).map((n) => n.id),
        )
      : null;
    const nodeIds = new Set(
      snapshot.inventory.nodes.map((n) => n.id).filter((id) => visible === null || visible.has(id)),
    );
    if (!nodeIds.has(fromNodeId)) throw ValidationFailed.field('from', `node ${fromNodeId} does not exist`);
    if (!nodeIds.has(toNodeId)) throw ValidationFailed.field('to', `node ${toNodeId} does not exist`);
    return traceReachability(
      snapshot.inventory,
      snapshot.flows,
      [...snapshot.ruleSets.values()],
      fromNodeId,
      toNodeId,
      filter,
    );
  }

  private async current(): Promise<Snapshot> {
    const revision = await this.revision();
    if (this.snapshot?.revision === revision) return this.snapshot;
    // Concurrent readers of the same stale revision share one computation.
    this.pending ??= this.compute(revision).finally(() => {
      this.pending = null;
    });
    const snapshot = await this.pending;
    return snapshot.revision >= revision ? snapshot : this.current();
  }

  private async revision(): Promise<bigint> {
    const row = await this.prisma.inventoryRevision.findUnique({ where: { id: 1 } });
    return row?.revision ?? 0n;
  }

  private async compute(revision: bigint): Promise<Snapshot> {
    // Reading the revision before the data means a concurrent write can only make this snapshot newer
    // than its label, which costs at most one extra computation later.
    // The snapshot is shared by every caller, so it is read as the service itself, whatever the caller's tenants.
    const [inventory, flows] = await asSystem(() =>
      Promise.all([readInventory(this.prisma), this.catalog.flows()]),
    );
    const ruleSets = computeRuleSets(inventory, flows, { prefix: this.config.rulePrefix });
    this.computationCount += 1;
    const snapshot = { revision, inventory, flows, ruleSets: new Map(ruleSets.map((r) => [r.deviceId, r])) };
    if (!this.snapshot || this.snapshot.revision <= revision) this.snapshot = snapshot;
    return snapshot;
  }
}

/**
 * The engine's input read from the database: deployments, sites (with their catalog version override),
 * zones, nodes (deployment, collector, a probe's master) and devices with their interfaces in order.
 */
export async function readInventory(
  prisma: Pick<PrismaClient, 'deployment' | 'site' | 'zone' | 'node' | 'device'>,
): Promise<Inventory> {
  const [deployments, sites, zones, nodes, devices] = await Promise.all([
    prisma.deployment.findMany({ select: { id: true, name: true, catalogVersion: true } }),
    prisma.site.findMany({ select: { id: true, name: true, catalogVersion: true } }),
    prisma.zone.findMany({ select: { id: true, siteId: true, name: true, cidrs: true } }),
    prisma.node.findMany({
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
    }),
    prisma.device.findMany({
      select: {
        id: true,
        siteId: true,
        name: true,
        vendor: true,
        interfaces: {
          select: { name: true, external: true, position: true, zones: { select: { zoneId: true } } },
        },
      },
    }),
  ]);
  return {
    deployments,
    sites,
    zones,
    nodes,
    devices: devices.map((d) => ({
      id: d.id,
      siteId: d.siteId,
      name: d.name,
      vendor: d.vendor,
      interfaces: [...d.interfaces]
        .sort((a, b) => a.position - b.position)
        .map((i) => ({ name: i.name, external: i.external, zoneIds: i.zones.map((z) => z.zoneId) })),
    })),
  };
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
  const view = {
    ...ruleSet,
    addresses: ruleSet.addresses.filter((a) => used.has(a.name)),
    services: ruleSet.services.filter((s) => used.has(s.name)),
    rules,
  };
  // Its own hash: the full set's would change with other tenants' flows and tell them apart.
  const hash = createHash('sha256')
    .update(JSON.stringify({ addresses: view.addresses, services: view.services, rules }))
    .digest('hex');
  return { ...view, hash };
}
