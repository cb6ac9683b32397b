import { Injectable } from '@nestjs/common';
import type { Deployment, Node, Prisma, Site, Zone } from '@app/persistence';
import type { Role } from '@app/engine/model';
import { AuditService } from '../../audit/audit.service';
import { assertVersion, lockRow, versionedWrite } from '../../common/concurrency';
import { refuseTakenName, refuseWhileReferenced } from '../../common/conflicts';
import { Conflict, NotFound, ValidationFailed, type FieldError } from '../../common/errors/domain-error';
import { containsText, paginate, type Page, type PageResult } from '../../common/pagination/pagination';
import { PrismaService } from '../../database/prisma.service';
import { ItemReads } from '../../database/item-reads';
import { assertPublicationsStillFit } from '../publications/publications.service';
import { assertPlacement, siteForNode } from '../../tenants/tenant-scope';
import { canonicalAddress, zoneForAddress } from '../addressing';
import { COLLECTED_ROLES, collectorRolesFor, effectiveCatalogVersion } from '../collector-roles';
import { ChecksService, type InventoryWarning } from '../checks/checks.service';
import { assertKnownSelectors } from '../checks/selectors';
import { DeploymentsService } from '../deployments/deployments.service';
import type { CreateNodeInput, NodeFilter, UpdateNodeInput } from './node.input';
import type { NodeAddressModel } from './node.model';

export type NodeView = Node & { addressZones: NodeAddressModel[] };
/** A written node with the guard-rail findings about it. */
export type WrittenNode = NodeView & { warnings: InventoryWarning[] };

@Injectable()
export class NodesService {
  constructor(
    private readonly prisma: PrismaService,
    private readonly items: ItemReads,
    private readonly audit: AuditService,
    private readonly deployments: DeploymentsService,
    private readonly checks: ChecksService,
  ) {}

  async list(filter: NodeFilter, page: Page): Promise<PageResult<NodeView>> {
    const where: Prisma.NodeWhereInput = {
      ...(filter.q ? { name: containsText(filter.q) } : {}),
      ...(filter.siteId ? { siteId: filter.siteId } : {}),
      ...(filter.tenantId ? { deployment: { tenantId: filter.tenantId } } : {}),
      ...(filter.role ? { role: filter.role } : {}),
      ...(filter.deploymentId ? { deploymentId: filter.deploymentId } : {}),
    };
    const result = await paginate(
      page,
      (window) =>
        this.prisma.node.findMany({
          where,
          orderBy: [{ name: 'asc' }, { id: 'asc' }],
          ...window,
        }),
      () => this.prisma.node.count({ where }),
    );
    return { ...result, items: await this.withZones(result.items) };
  }

  async get(id: string): Promise<NodeView> {
    const node = await this.items.byId('Node', id);
    if (!node) throw new NotFound('node', id);
    const [view] = await this.withZones([node]);
    return view;
  }

  async create(input: CreateNodeInput): Promise<WrittenNode> {
    const addresses = normaliseAddresses(input.addresses);
    const node = await this.prisma.$transaction(async (tx) => {
      const site = await siteForNode(tx, input.siteId);
      const deployment = input.deploymentId
        ? await deploymentOrThrow(tx, input.deploymentId)
        : await this.deployments.forNodeWithoutDeployment(tx);
      assertPlacement(site, deployment);
      await assertNameFree(tx, input.siteId, input.name);
      if (input.collectorId) {
        await assertCollector(tx, { role: input.role, site, deployment, collectorId: input.collectorId });
      }
      if (input.masterId) await assertMaster(tx, { role: input.role, deployment, masterId: input.masterId });
      await assertKnownSelectors(tx, effectiveCatalogVersion(site, deployment), input.selectors ?? []);
      const created = await tx.node.create({
        data: {
          siteId: input.siteId,
          deploymentId: deployment.id,
          name: input.name,
          role: input.role,
          addresses,
          collectorId: input.collectorId ?? null,
          masterId: input.masterId ?? null,
          selectors: normaliseSelectors(input.selectors ?? []),
        },
      });
      await this.audit.record(tx, {
        action: 'node.create',
        targetType: 'node',
        targetId: created.id,
        after: created,
      });
      return created;
    });
    return this.written(node.id);
  }

  async update(id: string, input: UpdateNodeInput, expectedVersion?: number): Promise<WrittenNode> {
    const addresses = input.addresses ? normaliseAddresses(input.addresses) : undefined;
    await this.prisma.$transaction(async (tx) => {
      await lockRow(tx, 'nodes', id);
      const node = await tx.node.findUnique({ where: { id } });
      if (!node) throw new NotFound('node', id);
      assertVersion('node', id, node.version, expectedVersion);
      const siteId = input.siteId ?? node.siteId;
      const site = await siteForNode(tx, siteId);
      const deploymentId = input.deploymentId ?? node.deploymentId;
      const deployment = await deploymentOrThrow(tx, deploymentId);
      assertPlacement(site, deployment);
      const name = input.name ?? node.name;
      if (siteId !== node.siteId || name !== node.name) await assertNameFree(tx, siteId, name);
      const role = input.role ?? node.role;
      const collectorId = input.collectorId === undefined ? node.collectorId : input.collectorId;
      if (collectorId) {
        if (collectorId === id)
          throw ValidationFailed.field('collectorId', 'a node cannot be its own collector');
        await assertCollector(tx, { role, site, deployment, collectorId });
      }
      const masterId = input.masterId === undefined ? node.masterId : input.masterId;
      if (masterId) await assertMaster(tx, { role, deployment, masterId });
      if (deploymentId !== node.deploymentId) await assertNoDependentsLeftBehind(tx, node);
      if (role !== node.role) await assertStillValidCollector(tx, node, role);
      // The selectors, or the catalog version they are read against, change.
      if (input.selectors || siteId !== node.siteId || deploymentId !== node.deploymentId) {
        await assertKnownSelectors(
          tx,
          effectiveCatalogVersion(site, deployment),
          input.selectors ?? node.selectors,
        );
      }
      const updated = await versionedWrite('node', id, () =>
        tx.node.update({
          where: { id, version: node.version },
          data: {
            siteId,
            name,
            role,
            addresses,
            collectorId,
            deploymentId,
            masterId,
            selectors: input.selectors ? normaliseSelectors(input.selectors) : undefined,
            version: { increment: 1 },
          },
        }),
      );
      // A published node must stay at its firewall's site with an IPv4 host to forward to.
      if (siteId !== node.siteId || addresses !== undefined)
        await assertPublicationsStillFit(tx, { nodeId: id });
      await this.audit.record(tx, {
        action: 'node.update',
        targetType: 'node',
        targetId: id,
        before: node,
        after: updated,
      });
    });
    return this.written(id);
  }

  private async written(id: string): Promise<WrittenNode> {
    const [view, warnings] = await Promise.all([this.get(id), this.checks.warningsFor('node', id)]);
    return { ...view, warnings };
  }

  /**
   * A node that is another node's collector or a probe's master is refused unless `cascade`, which
   * detaches those nodes (back to their default collector, or to every master of their deployment).
   */
  async delete(id: string, cascade: boolean, expectedVersion?: number): Promise<NodeView> {
    const view = await this.get(id);
    await this.prisma.$transaction(async (tx) => {
      await lockRow(tx, 'nodes', id);
      const node = await tx.node.findUnique({ where: { id } });
      if (!node) throw new NotFound('node', id);
      assertVersion('node', id, node.version, expectedVersion);
      const dependents = await tx.node.findMany({
        where: { OR: [{ collectorId: id }, { masterId: id }] },
        select: { id: true, name: true, siteId: true },
        orderBy: { name: 'asc' },
      });
      const publications = await tx.publication.findMany({
        where: { nodeId: id },
        select: { id: true, deviceId: true },
        orderBy: { id: 'asc' },
      });
      if (!cascade) {
        refuseWhileReferenced(
          dependents.length
            ? `node ${node.name} is the ${node.role === 'master' ? 'collector or master' : 'collector'} of ` +
                `${dependents.map((d) => d.name).join(', ')}; point them elsewhere first or pass cascade=true ` +
                'to fall back to their default collector and master'
            : `node ${node.name} is published (${publications.length} publication(s)); delete them first or ` +
                'pass cascade=true',
          publications.length ? { nodes: dependents, publications } : { nodes: dependents },
        );
      }
      await tx.publication.deleteMany({ where: { nodeId: id } });
      await tx.node.updateMany({ where: { collectorId: id }, data: { collectorId: null } });
      await tx.node.updateMany({ where: { masterId: id }, data: { masterId: null } });
      await versionedWrite('node', id, () => tx.node.delete({ where: { id, version: node.version } }));
      await this.audit.record(tx, {
        action: dependents.length || publications.length ? 'node.delete.cascade' : 'node.delete',
        targetType: 'node',
        targetId: id,
        before: {
          ...node,
          detached: dependents,
          ...(publications.length ? { removed: { publications } } : {}),
        },
      });
    });
    return view;
  }

  /** Adds, for each address, the most specific zone of the node's site that contains it. */
  async withZones(nodes: Node[]): Promise<NodeView[]> {
    const siteIds = [...new Set(nodes.map((n) => n.siteId))];
    const zones = siteIds.length
      ? await this.prisma.zone.findMany({ where: { siteId: { in: siteIds } } })
      : [];
    return nodes.map((node) => ({ ...node, addressZones: addressZones(node, zones) }));
  }
}

export function addressZones(node: Node, zones: Zone[]): NodeAddressModel[] {
  const own = zones.filter((z) => z.siteId === node.siteId);
  return node.addresses.map((address) => {
    const zone = zoneForAddress(own, address);
    return { address, zoneId: zone?.id ?? null, zoneName: zone?.name ?? null };
  });
}

function normaliseAddresses(addresses: string[]): string[] {
  const canonical = addresses.map(canonicalAddress);
  const errors: FieldError[] = [];
  canonical.forEach((address, index) => {
    const first = canonical.indexOf(address);
    if (first !== index) {
      errors.push({
        field: `addresses.${index}`,
        message: `addresses.${index} duplicates addresses.${first} (${address})`,
      });
    }
  });
  if (errors.length) throw new ValidationFailed(errors, errors[0].message);
  return canonical;
}

function normaliseSelectors(selectors: string[]): string[] {
  return [...new Set(selectors)].sort();
}

async function assertNameFree(tx: Prisma.TransactionClient, siteId: string, name: string): Promise<void> {
  const existing = await tx.node.findUnique({
    where: { siteId_name: { siteId, name } },
    select: { id: true },
  });
  refuseTakenName('node', name, existing, 'site');
}

async function deploymentOrThrow(tx: Prisma.TransactionClient, id: string): Promise<Deployment> {
  const deployment = await tx.deployment.findUnique({ where: { id } });
  if (!deployment) throw ValidationFailed.field('deploymentId', `deployment ${id} does not exist`);
  return deployment;
}

async function assertCollector(
  tx: Prisma.TransactionClient,
  {
    role,
    site,
    deployment,
    collectorId,
  }: { role: Role; site: Site; deployment: Deployment; collectorId: string },
): Promise<void> {
  if (role === 'probe') {
    throw ValidationFailed.field(
      'collectorId',
      'a probe has no collector: it reports to its master; set masterId (a master of its deployment) instead',
    );
  }
  if (!COLLECTED_ROLES.includes(role)) {
    throw ValidationFailed.field(
      'collectorId',
      `a ${role} node has no collector (only agents and agentless sources report to one)`,
    );
  }
  const collector = await tx.node.findUnique({
    where: { id: collectorId },
    select: { role: true, name: true, deploymentId: true },
  });
  if (!collector) throw ValidationFailed.field('collectorId', `node ${collectorId} does not exist`);
  if (collector.deploymentId !== deployment.id) {
    throw ValidationFailed.field(
      'collectorId',
      `collector ${collector.name} is in another deployment; a collector must be in the node's own deployment (${deployment.name})`,
    );
  }
  const catalogVersion = effectiveCatalogVersion(site, deployment);
  const allowed = collectorRolesFor(catalogVersion);
  if (!allowed.includes(collector.role)) {
    throw ValidationFailed.field(
      'collectorId',
      `collector ${collector.name} is a ${collector.role}; with ${catalogVersion} a collector must be one of: ${allowed.join(', ')}`,
    );
  }
}

async function assertMaster(
  tx: Prisma.TransactionClient,
  { role, deployment, masterId }: { role: Role; deployment: Deployment; masterId: string },
): Promise<void> {
  if (role !== 'probe') {
    throw ValidationFailed.field(
      'masterId',
      `a ${role} node has no master (only probes are assigned to one)`,
    );
  }
  const master = await tx.node.findUnique({
    where: { id: masterId },
    select: { role: true, name: true, deploymentId: true },
  });
  if (!master) throw ValidationFailed.field('masterId', `node ${masterId} does not exist`);
  if (master.role !== 'master') {
    throw ValidationFailed.field('masterId', `node ${master.name} is a ${master.role}, not a master`);
  }
  if (master.deploymentId !== deployment.id) {
    throw ValidationFailed.field(
      'masterId',
      `master ${master.name} is in another deployment; a probe's master must be in its own deployment (${deployment.name})`,
    );
  }
}

/** A node that moves to another deployment cannot leave nodes that it collects for or masters behind. */
async function assertNoDependentsLeftBehind(tx: Prisma.TransactionClient, node: Node): Promise<void> {
  const dependents = await tx.node.findMany({
    where: { OR: [{ collectorId: node.id }, { masterId: node.id }] },
    select: { id: true, name: true },
    orderBy: { name: 'asc' },
  });
  if (dependents.length) {
    throw new Conflict(
      `node ${node.name} is the collector or master of ${dependents.map((d) => d.name).join(', ')}, which stay in its deployment`,
      [{ field: 'deploymentId', message: 'move or detach the nodes that depend on this node first' }],
      { referencedBy: { nodes: dependents } },
    );
  }
}

async function assertStillValidCollector(
  tx: Prisma.TransactionClient,
  node: Node,
  newRole: Role,
): Promise<void> {
  const dependents = await tx.node.findMany({
    where: { collectorId: node.id },
    select: {
      id: true,
      name: true,
      site: { select: { catalogVersion: true } },
      deployment: { select: { catalogVersion: true } },
    },
  });
  const broken: Array<{ id: string; name: string }> = dependents
    .filter((d) => !collectorRolesFor(effectiveCatalogVersion(d.site, d.deployment)).includes(newRole))
    .map((d) => ({ id: d.id, name: d.name }));
  if (newRole !== 'master') {
    broken.push(
      ...(await tx.node.findMany({ where: { masterId: node.id }, select: { id: true, name: true } })),
    );
  }
  if (broken.length) {
    throw new Conflict(
      `node ${node.name} is the collector or master of ${broken.map((d) => d.name).join(', ')} and cannot become a ${newRole}`,
      [
        {
          field: 'role',
          message: `role cannot change to ${newRole} while this node is a collector or master`,
        },
      ],
      { referencedBy: { nodes: broken.map((d) => ({ id: d.id, name: d.name })) } },
    );
  }
}
