import { Injectable } from '@nestjs/common';
import type { Vendor } from '@app/engine/model';
import type { PushState } from '@app/persistence';
import { PrismaService } from '../database/prisma.service';
import { TenantScope } from '../tenants/tenant-scope';
import type { DevicePushStatusModel, DriftedDeviceModel, FleetSummaryModel } from './fleet-summary.model';
import { PUSH_STATES } from './push.model';

interface DriftRow {
  device_id: string;
  device_name: string;
  check_id: string;
  checked_at: Date;
  report: { missing?: unknown[]; changed?: unknown[]; extra?: unknown[]; exposures?: unknown[] } | null;
}

interface StatusRow {
  device_id: string;
  device_name: string;
  vendor: Vendor;
  last_state: PushState | null;
  last_push_at: Date | null;
  last_success_at: Date | null;
  last_success_id: string | null;
}

@Injectable()
export class FleetSummaryService {
  constructor(private readonly prisma: PrismaService) {}

  /**
   * One query over all devices (a token limited to tenants: its tenants' devices); dry runs never count, since
   * they leave the device as it was.
   */
  async summary(): Promise<FleetSummaryModel> {
    // Raw SQL escapes the client's tenant filter, so the scope's condition is added here.
    const inScope = TenantScope.current().deviceCondition('d');
    const rows = await this.prisma.$queryRaw<StatusRow[]>`
      SELECT d."id"::text AS device_id, d."name" AS device_name, d."vendor"::text AS vendor,
             lp."state"::text AS last_state, lp."created_at" AS last_push_at,
             ls."finished_at" AS last_success_at, ls."id"::text AS last_success_id
      FROM "devices" d
      LEFT JOIN LATERAL (
        SELECT p."state", p."created_at" FROM "pushes" p
        WHERE p."device_id" = d."id" AND NOT p."dry_run"
        ORDER BY p."created_at" DESC, p."id" DESC LIMIT 1
      ) lp ON true
      LEFT JOIN LATERAL (
        SELECT p."id", p."finished_at" FROM "pushes" p
        WHERE p."device_id" = d."id" AND NOT p."dry_run" AND p."state" IN ('succeeded', 'noop')
        ORDER BY p."finished_at" DESC, p."id" DESC LIMIT 1
      ) ls ON true
      WHERE ${inScope}
      ORDER BY d."name", d."id"`;
    const devices: DevicePushStatusModel[] = rows.map((r) => ({
      deviceId: r.device_id,
      deviceName: r.device_name,
      vendor: r.vendor,
      lastState: r.last_state,
      lastPushAt: r.last_push_at ? new Date(r.last_push_at) : null,
      lastSuccessAt: r.last_success_at ? new Date(r.last_success_at) : null,
      lastSuccessPushId: r.last_success_id,
    }));
    const driftRows = await this.prisma.$queryRaw<DriftRow[]>`
      SELECT d."id"::text AS device_id, d."name" AS device_name, c."id"::text AS check_id,
             c."checked_at" AS checked_at, c."report" AS report
      FROM "devices" d
      JOIN LATERAL (
        SELECT dc."id", dc."checked_at", dc."drifted", dc."report" FROM "drift_checks" dc
        WHERE dc."device_id" = d."id" AND dc."checked_at" IS NOT NULL AND dc."drifted" IS NOT NULL
        ORDER BY dc."checked_at" DESC, dc."id" DESC LIMIT 1
      ) c ON c."drifted"
      WHERE ${inScope}
      ORDER BY d."name", d."id"`;
    const drifted: DriftedDeviceModel[] = driftRows.map((r) => ({
      deviceId: r.device_id,
      deviceName: r.device_name,
      checkId: r.check_id,
      checkedAt: new Date(r.checked_at),
      missing: r.report?.missing?.length ?? 0,
      changed: r.report?.changed?.length ?? 0,
      extra: r.report?.extra?.length ?? 0,
      exposures: r.report?.exposures?.length ?? 0,
    }));
    return {
      totalDevices: devices.length,
      byState: PUSH_STATES.map((state) => ({
        state,
        devices: devices.filter((d) => d.lastState === state).length,
      })),
      devices,
      neverPushed: devices.filter((d) => d.lastSuccessAt === null),
      drifted,
    };
  }
}
