import { Injectable } from '@nestjs/common';
import DataLoader from 'dataloader';
import type { Push, PushState } from '@app/persistence';
import type { Page, PageResult } from '../common/pagination/pagination';
import { PrismaService } from '../database/prisma.service';

export interface DevicePushesKey {
  deviceId: string;
  page: Page;
  state?: PushState;
}

export interface PushLoaders {
  lastPush: DataLoader<string, Push | null>;
  devicePushes: DataLoader<DevicePushesKey, PageResult<Push>, string>;
}

/** Per-request loaders: a dashboard listing N devices with their pushes costs a constant number of queries. */
@Injectable()
export class PushLoaderFactory {
  constructor(private readonly prisma: PrismaService) {}

  create(): PushLoaders {
    return {
      lastPush: new DataLoader((ids: readonly string[]) => this.lastPushes(ids)),
      devicePushes: new DataLoader((keys: readonly DevicePushesKey[]) => this.pages(keys), {
        cacheKeyFn: (k) => `${k.deviceId}|${k.page.limit}|${k.page.offset}|${k.state ?? ''}`,
      }),
    };
  }

  private async lastPushes(deviceIds: readonly string[]): Promise<(Push | null)[]> {
    const latest = await this.prisma.$queryRaw<{ id: string }[]>`
      SELECT DISTINCT ON ("device_id") "id"::text AS id FROM "pushes"
      WHERE "device_id" = ANY(${[...deviceIds]}::uuid[])
      ORDER BY "device_id", "created_at" DESC, "id" DESC`;
    const rows = await this.prisma.push.findMany({ where: { id: { in: latest.map((r) => r.id) } } });
    const byDevice = new Map(rows.map((r) => [r.deviceId, r]));
    return deviceIds.map((id) => byDevice.get(id) ?? null);
  }

  /** Keys sharing page size, offset and filter are answered by one windowed query. */
  private async pages(keys: readonly DevicePushesKey[]): Promise<PageResult<Push>[]> {
    const groups = new Map<string, DevicePushesKey[]>();
    for (const key of keys) {
      const group = `${key.page.limit}|${key.page.offset}|${key.state ?? ''}`;
      groups.set(group, [...(groups.get(group) ?? []), key]);
    }
    const results = new Map<DevicePushesKey, PageResult<Push>>();
    for (const group of groups.values()) {
      const { page, state } = group[0];
      const deviceIds = [...new Set(group.map((k) => k.deviceId))];
      const [window, counts] = await Promise.all([
        this.prisma.$queryRaw<{ id: string }[]>`
          SELECT id FROM (
            SELECT p."id"::text AS id,
                   row_number() OVER (PARTITION BY p."device_id" ORDER BY p."created_at" DESC, p."id" DESC) AS rn
            FROM "pushes" p
            WHERE p."device_id" = ANY(${deviceIds}::uuid[]) AND (${state ?? null}::text IS NULL OR p."state"::text = ${state ?? null}::text)
          ) w
          WHERE w.rn > ${page.offset} AND w.rn <= ${page.offset + page.limit}`,
        this.prisma.push.groupBy({
          by: ['deviceId'],
          where: { deviceId: { in: deviceIds }, ...(state ? { state } : {}) },
          _count: { _all: true },
        }),
      ]);
      const rows = await this.prisma.push.findMany({
        where: { id: { in: window.map((w) => w.id) } },
        orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      });
      const total = new Map(counts.map((c) => [c.deviceId, c._count._all]));
      for (const key of group) {
        results.set(key, {
          items: rows.filter((r) => r.deviceId === key.deviceId),
          total: total.get(key.deviceId) ?? 0,
          ...page,
        });
      }
    }
    return keys.map((k) => results.get(k)!);
  }
}
