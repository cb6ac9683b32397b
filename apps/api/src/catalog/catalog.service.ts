import { randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { builtinFlows, NEVER_EXPOSED_PORTS, type NeverExposedPort } from '@app/catalog';
import { formatPorts, parsePorts } from '@app/engine';
import type { CatalogFlow, FlowTarget } from '@app/engine/model';
import type { CustomFlow, Prisma } from '@app/persistence';
import { AuditService } from '../audit/audit.service';
import { assertVersion, lockRow, versionedWrite } from '../common/concurrency';
import { Conflict, NotFound, ValidationFailed } from '../common/errors/domain-error';
import { PrismaService } from '../database/prisma.service';
import { ItemReads } from '../database/item-reads';
import type { CreateCustomFlowInput, UpdateCustomFlowInput } from './flow.input';

@Injectable()
export class CatalogService {
  constructor(
    private readonly prisma: PrismaService,
    private readonly items: ItemReads,
    private readonly audit: AuditService,
  ) {}

  /**
   * Builtin and custom flows, of one version or all, builtin first then by id. `client`: the transaction to read
   * them in (a caller inside one must not wait for a second connection).
   */
  async flows(
    version?: string,
    client: Pick<Prisma.TransactionClient, 'customFlow'> = this.prisma,
  ): Promise<CatalogFlow[]> {
    const custom = await client.customFlow.findMany({
      where: version ? { version } : {},
      orderBy: { id: 'asc' },
    });
    return [...builtinFlows(version), ...custom.map(toCatalogFlow)];
  }

  async flow(id: string): Promise<CatalogFlow> {
    const builtin = builtinFlows().find((f) => f.id === id);
    if (builtin) return builtin;
    const custom = await this.items.byId('CustomFlow', id);
    if (!custom) throw new NotFound('flow', id);
    return toCatalogFlow(custom);
  }

  neverExposed(): readonly NeverExposedPort[] {
    return NEVER_EXPOSED_PORTS;
  }

  async createCustom(input: CreateCustomFlowInput): Promise<CatalogFlow> {
    const id = input.id ?? `custom-${randomBytes(4).toString('hex')}`;
    if (builtinFlows().some((f) => f.id === id)) {
      throw new Conflict(`flow id ${id} is a builtin flow`, [
        { field: 'id', message: 'id is taken by a builtin flow' },
      ]);
    }
    return this.prisma.$transaction(async (tx) => {
      if (await tx.customFlow.findUnique({ where: { id }, select: { id: true } })) {
        throw new Conflict(`a custom flow ${id} already exists`, [
          { field: 'id', message: 'id is already taken' },
        ]);
      }
      const row = await tx.customFlow.create({
        data: {
          id,
          version: input.version,
          fromRole: input.from,
          toTarget: input.to,
          protocol: input.protocol,
          ports: formatPorts(parsePorts(input.ports)),
          purpose: input.purpose,
          selector: input.selector ?? null,
        },
      });
      await this.audit.record(tx, {
        action: 'flow.create',
        targetType: 'flow',
        targetId: id,
        after: toCatalogFlow(row),
      });
      return toCatalogFlow(row);
    });
  }

  async updateCustom(
    id: string,
    input: UpdateCustomFlowInput,
    expectedVersion?: number,
  ): Promise<CatalogFlow> {
    this.assertNotBuiltin(id);
    return this.prisma.$transaction(async (tx) => {
      await lockRow(tx, 'custom_flows', id);
      const current = await tx.customFlow.findUnique({ where: { id } });
      if (!current) throw new NotFound('flow', id);
      assertVersion('flow', id, current.revision, expectedVersion);
      const row = await versionedWrite('flow', id, () =>
        tx.customFlow.update({
          where: { id, revision: current.revision },
          data: {
            fromRole: input.from,
            toTarget: input.to,
            protocol: input.protocol,
            ports: input.ports === undefined ? undefined : formatPorts(parsePorts(input.ports)),
            purpose: input.purpose,
            selector: input.selector,
            revision: { increment: 1 },
          },
        }),
      );
      await this.audit.record(tx, {
        action: 'flow.update',
        targetType: 'flow',
        targetId: id,
        before: toCatalogFlow(current),
        after: toCatalogFlow(row),
      });
      return toCatalogFlow(row);
    });
  }

  async deleteCustom(id: string, expectedVersion?: number): Promise<CatalogFlow> {
    this.assertNotBuiltin(id);
    return this.prisma.$transaction(async (tx) => {
      await lockRow(tx, 'custom_flows', id);
      const current = await tx.customFlow.findUnique({ where: { id } });
      if (!current) throw new NotFound('flow', id);
      assertVersion('flow', id, current.revision, expectedVersion);
      await versionedWrite('flow', id, () =>
        tx.customFlow.delete({ where: { id, revision: current.revision } }),
      );
      await this.audit.record(tx, {
        action: 'flow.delete',
        targetType: 'flow',
        targetId: id,
        before: toCatalogFlow(current),
      });
      return toCatalogFlow(current);
    });
  }

  private assertNotBuiltin(id: string): void {
    if (builtinFlows().some((f) => f.id === id)) {
      throw new ValidationFailed([
        { field: 'id', message: `${id} is a builtin flow; builtin flows are read-only` },
      ]);
    }
  }
}

function toCatalogFlow(row: CustomFlow): CatalogFlow & { revision: number } {
  return {
    id: row.id,
    version: row.version,
    from: row.fromRole,
    to: row.toTarget as FlowTarget,
    protocol: row.protocol,
    ports: parsePorts(row.ports),
    purpose: row.purpose,
    selector: row.selector,
    custom: true,
    revision: row.revision,
  };
}
