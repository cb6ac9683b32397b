import { Injectable } from '@nestjs/common';
import { INTERFACE_ADDRESS, type PublishedPortInput } from '@app/engine/model';
import type { Prisma, Publication } from '@app/persistence';
import { AuditService } from '../../audit/audit.service';
import { CatalogService } from '../../catalog/catalog.service';
import { assertVersion, lockRow, versionedWrite } from '../../common/concurrency';
import { Conflict, NotFound, ValidationFailed, type FieldError } from '../../common/errors/domain-error';
import { containsText, paginate, type Page, type PageResult } from '../../common/pagination/pagination';
import { PrismaService } from '../../database/prisma.service';
import { ItemReads } from '../../database/item-reads';
import { asSystem } from '../../tenants/tenant-scope';
import { collectorRolesFor, effectiveCatalogVersion } from '../collector-roles';
import type { CreatePublicationInput, PublicationFilter, UpdatePublicationInput } from './publication.input';
import { portsOf, toPublicationModel } from './publication.model';
import {
  canonicalPorts,
  checkPublishedPorts,
  defaultPublishedPorts,
  nodeIpv4Host,
  overlappingPorts,
  resolveInterface,
  resolvePublicAddress,
  type InterfaceFacts,
} from './publication-rules';

/** What a publication says, before it is stored (ports may still be missing at creation). */
interface Draft {
  nodeId: string;
  deviceId: string;
  interface: string | null;
  publicAddress: string | null;
  ports: PublishedPortInput[] | undefined;
}

type Tx = Prisma.TransactionClient;

@Injectable()
export class PublicationsService {
  constructor(
    private readonly prisma: PrismaService,
    private readonly items: ItemReads,
    private readonly audit: AuditService,
    private readonly catalog: CatalogService,
  ) {}

  async list(filter: PublicationFilter, page: Page): Promise<PageResult<Publication>> {
    const where: Prisma.PublicationWhereInput = {
      ...(filter.q
        ? {
            OR: [
              { description: containsText(filter.q) },
              { node: { name: containsText(filter.q) } },
              { device: { name: containsText(filter.q) } },
            ],
          }
        : {}),
      ...(filter.nodeId ? { nodeId: filter.nodeId } : {}),
      ...(filter.deviceId ? { deviceId: filter.deviceId } : {}),
      ...(filter.siteId ? { node: { siteId: filter.siteId } } : {}),
      ...(filter.tenantId ? { device: { site: { tenantId: filter.tenantId } } } : {}),
    };
    return paginate(
      page,
      (window) =>
        this.prisma.publication.findMany({
          where,
          orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
          ...window,
        }),
      () => this.prisma.publication.count({ where }),
    );
  }

  async get(id: string): Promise<Publication> {
    const publication = await this.items.byId('Publication', id);
    if (!publication) throw new NotFound('publication', id);
    return publication;
  }

  async create(input: CreatePublicationInput): Promise<Publication> {
    return this.prisma.$transaction(async (tx) => {
      const ports = await this.check(
        tx,
        {
          nodeId: input.nodeId,
          deviceId: input.deviceId,
          interface: input.interface ?? null,
          publicAddress: input.publicAddress ?? null,
          ports: input.ports,
        },
        null,
      );
      const publication = await tx.publication.create({
        data: {
          nodeId: input.nodeId,
          deviceId: input.deviceId,
          interface: input.interface ?? null,
          publicAddress: input.publicAddress ?? null,
          ports: ports as unknown as Prisma.InputJsonValue,
          description: input.description ?? '',
        },
      });
      await this.audit.record(tx, {
        action: 'publication.create',
        targetType: 'publication',
        targetId: publication.id,
        after: toPublicationModel(publication),
      });
      return publication;
    });
  }

  async update(id: string, input: UpdatePublicationInput, expectedVersion?: number): Promise<Publication> {
    return this.prisma.$transaction(async (tx) => {
      await lockRow(tx, 'publications', id);
      const current = await tx.publication.findUnique({ where: { id } });
      if (!current) throw new NotFound('publication', id);
      assertVersion('publication', id, current.version, expectedVersion);
      const draft: Draft = {
        nodeId: input.nodeId ?? current.nodeId,
        deviceId: input.deviceId ?? current.deviceId,
        interface: input.interface === undefined ? current.interface : input.interface,
        publicAddress: input.publicAddress === undefined ? current.publicAddress : input.publicAddress,
        ports: input.ports ?? portsOf(current),
      };
      const ports = await this.check(tx, draft, id);
      const publication = await versionedWrite('publication', id, () =>
        tx.publication.update({
          where: { id, version: current.version },
          data: {
            nodeId: draft.nodeId,
            deviceId: draft.deviceId,
            interface: draft.interface,
            publicAddress: draft.publicAddress,
            ports: ports as unknown as Prisma.InputJsonValue,
            description: input.description,
            version: { increment: 1 },
          },
        }),
      );
      await this.audit.record(tx, {
        action: 'publication.update',
        targetType: 'publication',
        targetId: id,
        before: toPublicationModel(current),
        after: toPublicationModel(publication),
      });
      return publication;
    });
  }

  async delete(id: string, expectedVersion?: number): Promise<Publication> {
    return this.prisma.$transaction(async (tx) => {
      await lockRow(tx, 'publications', id);
      const publication = await tx.publication.findUnique({ where: { id } });
      if (!publication) throw new NotFound('publication', id);
      assertVersion('publication', id, publication.version, expectedVersion);
      await versionedWrite('publication', id, () =>
        tx.publication.delete({ where: { id, version: publication.version } }),
      );
      await this.audit.record(tx, {
        action: 'publication.delete',
        targetType: 'publication',
        targetId: id,
        before: toPublicationModel(publication),
      });
      return publication;
    });
  }

  /**
   * Everything a publication must satisfy, as field errors (400) and then the clash with another publication
   * (409); returns the ports to store (the catalog's when none were given).
   */
  private async check(tx: Tx, draft: Draft, selfId: string | null): Promise<PublishedPortInput[]> {
    const [node, device] = await Promise.all([
      tx.node.findUnique({
        where: { id: draft.nodeId },
        select: {
          id: true,
          name: true,
          role: true,
          siteId: true,
          addresses: true,
          site: { select: { catalogVersion: true } },
          deployment: { select: { catalogVersion: true } },
        },
      }),
      tx.device.findUnique({
        where: { id: draft.deviceId },
        select: { id: true, name: true, siteId: true },
      }),
    ]);
    const errors: FieldError[] = [];
    if (!node) errors.push({ field: 'nodeId', message: `node ${draft.nodeId} does not exist` });
    if (!device) errors.push({ field: 'deviceId', message: `device ${draft.deviceId} does not exist` });
    if (!node || !device) throw invalid(errors);
    // Publications of one device are written one at a time, so two writes cannot both miss each other's ports.
    await lockRow(tx, 'devices', device.id);
    const interfaces = await interfacesOf(tx, device.id);
    errors.push(...placementErrors(node, device, interfaces, draft));
    let ports = draft.ports;
    if (ports === undefined) {
      const version = effectiveCatalogVersion(node.site, node.deployment);
      ports = defaultPublishedPorts(
        await this.catalog.flows(version, tx),
        node.role,
        collectorRolesFor(version),
      );
      if (!ports.length) {
        errors.push({
          field: 'ports',
          message: `no flow of ${version} reaches a ${node.role}: give the ports to publish`,
        });
      }
    }
    errors.push(...checkPublishedPorts(ports));
    if (errors.length) throw invalid(errors);
    const resolved = resolveInterface(interfaces, draft.interface);
    if ('iface' in resolved)
      await assertNoClash(tx, device, interfaces, resolved.iface, draft, ports, selfId);
    return canonicalPorts(ports);
  }
}

function invalid(errors: FieldError[]): ValidationFailed {
  return new ValidationFailed(errors, errors.map((e) => `${e.field}: ${e.message}`).join('; '));
}

async function interfacesOf(tx: Tx, deviceId: string): Promise<InterfaceFacts[]> {
  return asSystem(() =>
    tx.deviceInterface.findMany({
      where: { deviceId },
      select: { name: true, external: true, publicAddresses: true },
      orderBy: { position: 'asc' },
    }),
  );
}

/**
 * The firewall forwards to the node only from its own site (it has no route to anyone else's private address);
 * the target is one IPv4 host (a CIDR group cannot be a NAT target); the forward listens on an external interface.
 */
function placementErrors(
  node: { name: string; siteId: string; addresses: string[] },
  device: { name: string; siteId: string },
  interfaces: readonly InterfaceFacts[],
  draft: Pick<Draft, 'interface' | 'publicAddress'>,
): FieldError[] {
  const errors: FieldError[] = [];
  if (device.siteId !== node.siteId) {
    errors.push({
      field: 'deviceId',
      message: `device ${device.name} is not at the site of node ${node.name}: only a firewall of the node's site can forward to it`,
    });
  }
  if (!nodeIpv4Host(node.addresses)) {
    errors.push({
      field: 'nodeId',
      message: `node ${node.name} has no IPv4 host address (${node.addresses.join(', ') || 'none'}); a NAT target is one host, not a group`,
    });
  }
  const resolved = resolveInterface(interfaces, draft.interface);
  if ('error' in resolved) {
    errors.push({ field: draft.interface == null ? 'deviceId' : 'interface', message: resolved.error });
  } else if (resolvePublicAddress(resolved.iface, draft.publicAddress) === null) {
    errors.push({
      field: 'publicAddress',
      message:
        `interface ${resolved.iface.name} of device ${device.name} lists no public address: give publicAddress ` +
        "(an IPv4 host, or 'interface' for the interface's own address)",
    });
  }
  return errors;
}

/**
 * Two forwards on one device from the same public address, protocol and port cannot both exist: the firewall
 * would send that port to one of them only. `interface` as an address is the interface's own, so it is only the
 * same address on the same interface.
 */
async function assertNoClash(
  tx: Tx,
  device: { id: string; name: string },
  interfaces: readonly InterfaceFacts[],
  iface: InterfaceFacts,
  draft: Draft,
  ports: readonly PublishedPortInput[],
  selfId: string | null,
): Promise<void> {
  const key = addressKey(iface, draft.publicAddress);
  if (key === null) return;
  // Read as the service: a clash with a publication the caller cannot see still breaks the forward.
  const others = await asSystem(() =>
    tx.publication.findMany({
      where: { deviceId: device.id, ...(selfId ? { id: { not: selfId } } : {}) },
      select: {
        id: true,
        interface: true,
        publicAddress: true,
        ports: true,
        node: { select: { name: true } },
      },
      orderBy: { id: 'asc' },
    }),
  );
  for (const other of others) {
    const otherIface = resolveInterface(interfaces, other.interface);
    if (!('iface' in otherIface) || addressKey(otherIface.iface, other.publicAddress) !== key) continue;
    const clash = overlappingPorts(ports, portsOf(other));
    if (!clash) continue;
    const address = resolvePublicAddress(iface, draft.publicAddress);
    const where = `${address}:${clash.range.from}${clash.range.to > clash.range.from ? `-${clash.range.to}` : ''}/${clash.protocol}`;
    throw new Conflict(
      `publication ${other.id} (node ${other.node.name}) already forwards ${where} on device ${device.name}`,
      [{ field: 'ports', message: `${where} is already published by publication ${other.id}` }],
      { existingId: other.id },
    );
  }
}

function addressKey(iface: InterfaceFacts, publicAddress: string | null): string | null {
  const address = resolvePublicAddress(iface, publicAddress);
  return address === INTERFACE_ADDRESS ? `${INTERFACE_ADDRESS}:${iface.name}` : address;
}

/**
 * Re-checks the stored publications a node or device write touches (placement, target, interface, clashes),
 * inside that write's transaction: 409 naming them when the write would leave one that no longer holds.
 */
export async function assertPublicationsStillFit(
  tx: Tx,
  where: { nodeId: string } | { deviceId: string },
): Promise<void> {
  const rows = await asSystem(() =>
    tx.publication.findMany({
      where,
      select: {
        id: true,
        interface: true,
        publicAddress: true,
        ports: true,
        node: { select: { name: true, siteId: true, addresses: true } },
        device: { select: { id: true, name: true, siteId: true } },
      },
      orderBy: { id: 'asc' },
    }),
  );
  const broken: { id: string; reason: string }[] = [];
  const byDevice = new Map<string, InterfaceFacts[]>();
  for (const row of rows) {
    let interfaces = byDevice.get(row.device.id);
    if (!interfaces) {
      interfaces = await interfacesOf(tx, row.device.id);
      byDevice.set(row.device.id, interfaces);
    }
    const errors = placementErrors(row.node, row.device, interfaces, row);
    if (errors.length) {
      broken.push({ id: row.id, reason: errors.map((e) => e.message).join('; ') });
      continue;
    }
    const resolved = resolveInterface(interfaces, row.interface);
    if (!('iface' in resolved)) continue;
    try {
      await assertNoClash(
        tx,
        row.device,
        interfaces,
        resolved.iface,
        {
          nodeId: '',
          deviceId: row.device.id,
          interface: row.interface,
          publicAddress: row.publicAddress,
          ports: [],
        },
        portsOf(row),
        row.id,
      );
    } catch (error) {
      if (!(error instanceof Conflict)) throw error;
      broken.push({ id: row.id, reason: error.message });
    }
  }
  if (broken.length) {
    throw new Conflict(
      `the change breaks ${broken.length} publication(s): ${broken.map((b) => `${b.id}: ${b.reason}`).join('; ')}; ` +
        'change or delete them first',
      [],
      { referencedBy: { publications: broken } },
    );
  }
}
