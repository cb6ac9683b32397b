import { Injectable } from '@nestjs/common';
import { CredentialCipher, Prisma, type Device } from '@app/persistence';
import type { Vendor } from '@app/engine/model';
import { AuditService } from '../../audit/audit.service';
import { assertCallerHolds } from '../../auth/require-scope';
import { assertVersion, lockRow, versionedWrite } from '../../common/concurrency';
import { refuseTakenName, refuseWhileReferenced } from '../../common/conflicts';
import { Conflict, NotFound, ValidationFailed, type FieldError } from '../../common/errors/domain-error';
import { containsText, paginate, type Page, type PageResult } from '../../common/pagination/pagination';
import { PrismaService } from '../../database/prisma.service';
import { assertNotOnInternet } from '../internet-sites';
import { assertPublicationsStillFit } from '../publications/publications.service';
import { ChecksService, type InventoryWarning } from '../checks/checks.service';
import { endpointKey } from '../checks/endpoint';
import { credentialKindFits, credentialsFor, type DeviceCredentials } from './device-credentials';
import type {
  CreateDeviceInput,
  DeviceFilter,
  InterfaceInput,
  TlsInput,
  UpdateDeviceInput,
} from './device.input';
import { toDeviceModel, type DeviceView } from './device.model';

const WITH_INTERFACES = { interfaces: { include: { zones: { select: { zoneId: true } } } } } as const;

/** A written device with the guard-rail findings about it. */
export type WrittenDevice = DeviceView & { warnings: InventoryWarning[] };

@Injectable()
export class DevicesService {
  constructor(
    private readonly prisma: PrismaService,
    private readonly cipher: CredentialCipher,
    private readonly audit: AuditService,
    private readonly checks: ChecksService,
  ) {}

  async list(filter: DeviceFilter, page: Page): Promise<PageResult<DeviceView>> {
    const where: Prisma.DeviceWhereInput = {
      ...(filter.q ? { name: containsText(filter.q) } : {}),
      ...(filter.siteId ? { siteId: filter.siteId } : {}),
      ...(filter.tenantId || filter.deploymentId
        ? {
            site: {
              ...(filter.tenantId ? { tenantId: filter.tenantId } : {}),
              ...(filter.deploymentId ? { nodes: { some: { deploymentId: filter.deploymentId } } } : {}),
            },
          }
        : {}),
      ...(filter.vendor ? { vendor: filter.vendor } : {}),
    };
    return paginate(
      page,
      (window) =>
        this.prisma.device.findMany({
          where,
          include: WITH_INTERFACES,
          orderBy: [{ name: 'asc' }, { id: 'asc' }],
          ...window,
        }),
      () => this.prisma.device.count({ where }),
    );
  }

  async get(id: string): Promise<DeviceView> {
    const device = await this.prisma.device.findUnique({ where: { id }, include: WITH_INTERFACES });
    if (!device) throw new NotFound('device', id);
    return device;
  }

  /** Decrypted credentials for connectors; never returned through the API. */
  async credentials(id: string): Promise<DeviceCredentials | null> {
    const device = await this.prisma.device.findUnique({
      where: { id },
      select: { credentialsEncrypted: true },
    });
    if (!device) throw new NotFound('device', id);
    return this.credentialsOf(device);
  }

  /** Decrypted credentials of a device row already read (it carries the sealed envelope): no second read. */
  credentialsOf(device: { credentialsEncrypted: string | null }): DeviceCredentials | null {
    return device.credentialsEncrypted
      ? (JSON.parse(this.cipher.decrypt(device.credentialsEncrypted)) as DeviceCredentials)
      : null;
  }

  async create(input: CreateDeviceInput): Promise<WrittenDevice> {
    if (input.schedule != null) assertScheduleChange();
    const sealed = input.credentials ? this.seal(input.vendor, input.credentials) : null;
    const vdom = vdomFor(input.vendor, input.vdom);
    const key = endpointKey(input.managementUrl, vdom);
    const id = await this.prisma
      .$transaction(async (tx) => {
        const site = await tx.site.findUnique({ where: { id: input.siteId }, select: { id: true } });
        if (!site) throw ValidationFailed.field('siteId', `site ${input.siteId} does not exist`);
        await assertNotOnInternet(tx, input.siteId, 'device');
        await assertNameFree(tx, input.name);
        await assertEndpointFree(tx, key, null);
        const interfaces = await checkInterfaces(tx, input.siteId, input.interfaces ?? []);
        const device = await tx.device.create({
          data: {
            siteId: input.siteId,
            name: input.name,
            vendor: input.vendor,
            managementUrl: input.managementUrl,
            endpointKey: key,
            credentialsEncrypted: sealed?.envelope ?? null,
            credentialKind: sealed?.kind ?? null,
            ...tlsData(input.tls ?? {}),
            vdom,
            schedule: input.schedule ?? null,
            enabled: input.enabled ?? true,
          },
        });
        await createInterfaces(tx, device.id, interfaces);
        const after = await tx.device.findUniqueOrThrow({
          where: { id: device.id },
          include: WITH_INTERFACES,
        });
        await this.audit.record(tx, {
          action: 'device.create',
          targetType: 'device',
          targetId: device.id,
          after: toDeviceModel(after),
        });
        return device.id;
      })
      .catch((error: unknown) => this.endpointRace(error, key, null));
    return this.written(id);
  }

  async update(id: string, input: UpdateDeviceInput, expectedVersion?: number): Promise<WrittenDevice> {
    let key: string | null = null;
    await this.prisma
      .$transaction(async (tx) => {
        await lockRow(tx, 'devices', id);
        const device = await tx.device.findUnique({ where: { id }, include: WITH_INTERFACES });
        if (!device) throw new NotFound('device', id);
        assertVersion('device', id, device.version, expectedVersion);
        const vendor = input.vendor ?? device.vendor;
        const siteId = input.siteId ?? device.siteId;
        if (siteId !== device.siteId) {
          const site = await tx.site.findUnique({ where: { id: siteId }, select: { id: true } });
          if (!site) throw ValidationFailed.field('siteId', `site ${siteId} does not exist`);
          await assertNotOnInternet(tx, siteId, 'device');
        }
        if (input.name !== undefined && input.name !== device.name) await assertNameFree(tx, input.name);

        let credentials: { credentialsEncrypted: string | null; credentialKind: string | null } | undefined;
        if (input.credentials === null) credentials = { credentialsEncrypted: null, credentialKind: null };
        else if (input.credentials) {
          const sealed = this.seal(vendor, input.credentials);
          credentials = { credentialsEncrypted: sealed.envelope, credentialKind: sealed.kind };
        } else if (!credentialKindFits(vendor, device.credentialKind)) {
          throw ValidationFailed.field(
            'credentials',
            `stored ${device.credentialKind} credentials do not fit ${vendor}; supply new ones`,
          );
        }

        const vdom = vdomFor(
          vendor,
          input.vdom === undefined ? (vendor === device.vendor ? device.vdom : undefined) : input.vdom,
        );
        const tls = input.tls ? tlsData(input.tls, device) : undefined;
        if (input.schedule !== undefined && input.schedule !== device.schedule) assertScheduleChange();
        const endpoint = endpointChanges(device, { managementUrl: input.managementUrl, tls, vdom });
        // Recomputed only when the endpoint moves, so records that predate the key are not blocked from other edits.
        const moved = endpoint.includes('managementUrl') || endpoint.includes('vdom');
        key = moved ? endpointKey(input.managementUrl ?? device.managementUrl, vdom) : null;
        if (moved) await assertEndpointFree(tx, key, id);
        const keptCredentials = device.credentialsEncrypted !== null && input.credentials === undefined;
        if (endpoint.length && keptCredentials) assertMayRepoint(endpoint);
        const interfaces =
          input.interfaces !== undefined
            ? await checkInterfaces(tx, siteId, input.interfaces)
            : siteId !== device.siteId
              ? await checkInterfaces(
                  tx,
                  siteId,
                  device.interfaces.map((i) => ({
                    name: i.name,
                    external: i.external,
                    zoneIds: i.zones.map((z) => z.zoneId),
                    publicAddresses: i.publicAddresses,
                  })),
                  'interfaces (kept from before the site change)',
                )
              : undefined;

        await versionedWrite('device', id, () =>
          tx.device.update({
            where: { id, version: device.version },
            data: {
              siteId,
              name: input.name,
              vendor,
              managementUrl: input.managementUrl,
              ...(moved ? { endpointKey: key } : {}),
              ...credentials,
              ...tls,
              vdom,
              schedule: input.schedule,
              enabled: input.enabled,
              version: { increment: 1 },
            },
          }),
        );
        if (interfaces) {
          await tx.deviceInterface.deleteMany({ where: { deviceId: id } });
          await createInterfaces(tx, id, interfaces);
        }
        // Its publications still need a node of its site and the external interface (and address) they use.
        if (interfaces || siteId !== device.siteId) await assertPublicationsStillFit(tx, { deviceId: id });
        const after = await tx.device.findUniqueOrThrow({ where: { id }, include: WITH_INTERFACES });
        await this.audit.record(tx, {
          action: endpoint.length
            ? 'device.update.endpoint'
            : credentials
              ? 'device.update.credentials'
              : 'device.update',
          targetType: 'device',
          targetId: id,
          before: toDeviceModel(device),
          after: {
            ...toDeviceModel(after),
            ...(endpoint.length
              ? {
                  endpointChange: {
                    fields: endpoint,
                    credentialsAction:
                      input.credentials === null
                        ? 'removed'
                        : input.credentials
                          ? 'replaced'
                          : keptCredentials
                            ? 'kept'
                            : 'none',
                  },
                }
              : {}),
          },
        });
      })
      .catch((error: unknown) => this.endpointRace(error, key, id));
    return this.written(id);
  }

  private async written(id: string): Promise<WrittenDevice> {
    const [view, warnings] = await Promise.all([this.get(id), this.checks.warningsFor('device', id)]);
    return { ...view, warnings };
  }

  /**
   * Two writes that race past `assertEndpointFree` meet the unique index; the loser gets the same 409 naming
   * the device that won, instead of a bare unique-violation.
   */
  private async endpointRace(error: unknown, key: string | null, selfId: string | null): Promise<never> {
    if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002' && key) {
      await assertEndpointFree(this.prisma, key, selfId);
    }
    throw error;
  }

  async delete(id: string, expectedVersion?: number): Promise<DeviceView> {
    return this.prisma.$transaction(async (tx) => {
      await lockRow(tx, 'devices', id);
      const device = await tx.device.findUnique({ where: { id }, include: WITH_INTERFACES });
      if (!device) throw new NotFound('device', id);
      assertVersion('device', id, device.version, expectedVersion);
      const publications = await tx.publication.findMany({
        where: { deviceId: id },
        select: { id: true, nodeId: true },
        orderBy: { id: 'asc' },
      });
      refuseWhileReferenced(
        `device ${device.name} forwards ${publications.length} publication(s); delete them first`,
        { publications },
      );
      await versionedWrite('device', id, () => tx.device.delete({ where: { id, version: device.version } }));
      await this.audit.record(tx, {
        action: 'device.delete',
        targetType: 'device',
        targetId: id,
        before: toDeviceModel(device),
      });
      return device;
    });
  }

  private seal(
    vendor: Vendor,
    input: NonNullable<CreateDeviceInput['credentials']>,
  ): { kind: string; envelope: string } {
    const credentials = credentialsFor(vendor, input);
    return { kind: credentials.kind, envelope: this.cipher.encrypt(JSON.stringify(credentials)) };
  }
}

type Endpoint = Pick<Device, 'managementUrl' | 'vdom' | 'tlsInsecure' | 'tlsCaBundle' | 'tlsFingerprint'>;

/** The request fields that would send the stored credentials somewhere else, or trust another certificate. */
function endpointChanges(
  device: Endpoint,
  next: { managementUrl?: string; tls?: ReturnType<typeof tlsData>; vdom: string | null },
): string[] {
  const changed: string[] = [];
  if (next.managementUrl !== undefined && next.managementUrl !== device.managementUrl)
    changed.push('managementUrl');
  if (next.tls) {
    if (next.tls.tlsInsecure !== device.tlsInsecure) changed.push('tls.insecure');
    if (next.tls.tlsCaBundle !== device.tlsCaBundle) changed.push('tls.caBundle');
    if (next.tls.tlsFingerprint !== device.tlsFingerprint) changed.push('tls.fingerprintSha256');
  }
  if (next.vdom !== device.vdom) changed.push('vdom');
  return changed;
}

/**
 * Stored credentials are bound to the endpoint they were given for: a `write` token that could re-point a device
 * could make the next drift check or push send them to a host of its choosing. Re-pointing needs the credentials
 * again in the same request, or the `push` scope (whose holders can contact devices anyway).
 */
function assertMayRepoint(fields: string[]): void {
  assertCallerHolds(
    'push',
    [
      {
        field: 'credentials',
        message:
          'credentials are required with a change of endpoint (managementUrl, tls or vdom): send them again, or use a token with the push scope',
      },
      ...fields.map((field) => ({
        field,
        message: `${field} changes where the stored credentials are sent`,
      })),
    ],
    { reason: 'CREDENTIALS_REQUIRED' },
  );
}

/** A schedule makes the service write to the firewall on its own: that is pushing. */
function assertScheduleChange(): void {
  assertCallerHolds('push', [
    {
      field: 'schedule',
      message: 'schedule (scheduled pushes) can be set or changed only with the push scope',
    },
  ]);
}

interface CheckedInterface {
  name: string;
  external: boolean;
  zoneIds: string[];
  publicAddresses: string[];
}

/** An interface is external or has zones of the device's own site; names unique; at most one external. */
async function checkInterfaces(
  tx: Prisma.TransactionClient,
  siteId: string,
  interfaces: InterfaceInput[],
  field = 'interfaces',
): Promise<CheckedInterface[]> {
  const errors: FieldError[] = [];
  const names = new Map<string, number>();
  const zoneOwner = new Map<string, number>();
  const zoneIds = [...new Set(interfaces.flatMap((i) => i.zoneIds ?? []))];
  const zones = zoneIds.length
    ? await tx.zone.findMany({
        where: { id: { in: zoneIds } },
        select: { id: true, siteId: true, name: true },
      })
    : [];
  const zoneById = new Map(zones.map((z) => [z.id, z]));
  let externalAt: number | undefined;
  interfaces.forEach((iface, index) => {
    const at = `${field}.${index}`;
    const key = iface.name.toLowerCase();
    if (names.has(key))
      errors.push({
        field: `${at}.name`,
        message: `${at}.name duplicates ${field}.${names.get(key)}.name (${iface.name})`,
      });
    names.set(key, index);
    const external = iface.external ?? false;
    const ids = iface.zoneIds ?? [];
    if (external && ids.length)
      errors.push({
        field: `${at}.zoneIds`,
        message: `${at}.zoneIds must be empty on an external interface`,
      });
    if (!external && iface.publicAddresses?.length)
      errors.push({
        field: `${at}.publicAddresses`,
        message: `${at}.publicAddresses: only an external interface has public addresses`,
      });
    if (!external && !ids.length)
      errors.push({
        field: `${at}.zoneIds`,
        message: `${at}.zoneIds must list at least one zone, or set external: true`,
      });
    if (external) {
      if (externalAt !== undefined)
        errors.push({
          field: `${at}.external`,
          message: `${at}.external: ${field}.${externalAt} is already the external interface`,
        });
      externalAt ??= index;
    }
    ids.forEach((zoneId, zi) => {
      const zone = zoneById.get(zoneId);
      if (!zone)
        errors.push({
          field: `${at}.zoneIds.${zi}`,
          message: `${at}.zoneIds.${zi}: zone ${zoneId} does not exist`,
        });
      else if (zone.siteId !== siteId) {
        errors.push({
          field: `${at}.zoneIds.${zi}`,
          message: `${at}.zoneIds.${zi}: zone ${zone.name} belongs to another site than the device`,
        });
      } else if (zoneOwner.has(zoneId) && zoneOwner.get(zoneId) !== index) {
        errors.push({
          field: `${at}.zoneIds.${zi}`,
          message: `${at}.zoneIds.${zi}: zone ${zone.name} is already behind ${field}.${zoneOwner.get(zoneId)}`,
        });
      } else zoneOwner.set(zoneId, index);
    });
  });
  if (errors.length) throw new ValidationFailed(errors, errors.map((e) => e.message).join('; '));
  return interfaces.map((i) => ({
    name: i.name,
    external: i.external ?? false,
    zoneIds: [...new Set(i.zoneIds ?? [])],
    publicAddresses: i.publicAddresses ?? [],
  }));
}

async function createInterfaces(
  tx: Prisma.TransactionClient,
  deviceId: string,
  interfaces: CheckedInterface[],
): Promise<void> {
  for (const [position, iface] of interfaces.entries()) {
    await tx.deviceInterface.create({
      data: {
        deviceId,
        name: iface.name,
        external: iface.external,
        position,
        publicAddresses: iface.publicAddresses,
        zones: { create: iface.zoneIds.map((zoneId) => ({ zoneId })) },
      },
    });
  }
}

/**
 * One device record per firewall endpoint (and VDOM): a second record's plan would delete the first one's
 * rules. Devices that predate the key (null) are compared by URL too, so a new record cannot join them.
 */
async function assertEndpointFree(
  tx: Prisma.TransactionClient,
  key: string | null,
  selfId: string | null,
): Promise<void> {
  if (!key) return;
  const notSelf = selfId ? { id: { not: selfId } } : {};
  let existing = await tx.device.findFirst({
    where: { endpointKey: key, ...notSelf },
    select: { id: true, name: true },
  });
  if (!existing) {
    const legacy = await tx.device.findMany({
      where: { endpointKey: null, ...notSelf },
      select: { id: true, name: true, managementUrl: true, vdom: true },
    });
    existing = legacy.find((d) => endpointKey(d.managementUrl, d.vdom) === key) ?? null;
  }
  if (existing) {
    throw new Conflict(
      `device ${existing.name} already manages this endpoint (${key}); a second record would plan against the ` +
        "same firewall and delete the first one's rules",
      [
        {
          field: 'managementUrl',
          message: `managementUrl (and vdom) is already used by device ${existing.name}`,
        },
      ],
      { existingId: existing.id },
    );
  }
}

async function assertNameFree(tx: Prisma.TransactionClient, name: string): Promise<void> {
  refuseTakenName('device', name, await tx.device.findUnique({ where: { name }, select: { id: true } }));
}

function vdomFor(vendor: Vendor, vdom: string | null | undefined): string | null {
  if (vendor !== 'fortios') {
    if (vdom) throw ValidationFailed.field('vdom', 'vdom applies to fortios devices only');
    return null;
  }
  return vdom ?? 'root';
}

function tlsData(
  tls: TlsInput,
  current?: { tlsInsecure: boolean; tlsCaBundle: string | null; tlsFingerprint: string | null },
): { tlsInsecure: boolean; tlsCaBundle: string | null; tlsFingerprint: string | null } {
  const fingerprint =
    tls.fingerprintSha256 === undefined
      ? (current?.tlsFingerprint ?? null)
      : tls.fingerprintSha256 === null
        ? null
        : tls.fingerprintSha256.replace(/:/g, '').toLowerCase();
  return {
    tlsInsecure: tls.insecure ?? current?.tlsInsecure ?? false,
    tlsCaBundle: tls.caBundle === undefined ? (current?.tlsCaBundle ?? null) : tls.caBundle,
    tlsFingerprint: fingerprint,
  };
}
