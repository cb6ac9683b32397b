import { Args, Context, Mutation, Parent, ResolveField, Resolver } from '@nestjs/graphql';
import DataLoader from 'dataloader';
import type { DriftCheck } from '@app/persistence';
import { RequireScope } from '../auth/auth.decorators';
import type { GraphQLContext } from '../common/graphql/graphql-context';
import { IdArgs } from '../common/graphql/id.args';
import { PrismaService } from '../database/prisma.service';
import { DeviceModel } from '../inventory/devices/device.model';
import { DriftReportModel } from './drift.model';
import { DriftService, toDriftModel } from './drift.service';

type DriftContext = GraphQLContext & { driftLoader?: DataLoader<string, DriftCheck | null> };

@Resolver(() => DriftReportModel)
export class DriftResolver {
  constructor(private readonly drift: DriftService) {}

  @Mutation(() => DriftReportModel, { description: 'Checks the live device now and records the result' })
  @RequireScope('push')
  async checkDrift(@Args() { id }: IdArgs): Promise<DriftReportModel> {
    return toDriftModel(await this.drift.check(id, 'manual'));
  }
}

@Resolver(() => DeviceModel)
export class DeviceDriftResolver {
  constructor(private readonly prisma: PrismaService) {}

  @ResolveField(() => DriftReportModel, { nullable: true, description: 'The latest finished drift check' })
  async drift(@Parent() device: DeviceModel, @Context() ctx: DriftContext): Promise<DriftReportModel | null> {
    ctx.driftLoader ??= new DataLoader(async (ids: readonly string[]) => {
      const latest = await this.prisma.$queryRaw<{ id: string }[]>`
        SELECT DISTINCT ON ("device_id") "id"::text AS id FROM "drift_checks"
        WHERE "device_id" = ANY(${[...ids]}::uuid[]) AND "checked_at" IS NOT NULL
        ORDER BY "device_id", "checked_at" DESC, "id" DESC`;
      const rows = await this.prisma.driftCheck.findMany({ where: { id: { in: latest.map((r) => r.id) } } });
      const byDevice = new Map(rows.map((r) => [r.deviceId, r]));
      return ids.map((id) => byDevice.get(id) ?? null);
    });
    const row = await ctx.driftLoader.load(device.id);
    return row ? toDriftModel(row) : null;
  }
}
