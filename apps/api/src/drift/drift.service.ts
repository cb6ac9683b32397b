import { randomUUID } from 'node:crypto';
import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleInit,
} from '@nestjs/common';
import { ConnectorError, type PlanChange } from '@app/connectors';
import { Prisma, type DriftCheck, type PushTrigger } from '@app/persistence';
import { DomainError, NotFound } from '../common/errors/domain-error';
import { paginate, type Page, type PageResult } from '../common/pagination/pagination';
import { currentRequest } from '../common/request-context';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { PrismaService } from '../database/prisma.service';
import { DeviceLocks } from '../jobs/device-locks.service';
import { JobQueue } from '../jobs/job-queue.service';
import { DeviceConnectors } from '../pushes/device-connectors.service';
import { latestSlot } from '../pushes/push-scheduler.service';
import { RuleSetsService } from '../rules/rule-sets.service';
import type { DriftItemModel, DriftReportModel } from './drift.model';
import { findExposures, findNatExposures, type Exposure } from './exposures';

export const DRIFT_QUEUE = 'drift-check';

interface DriftJob {
  checkId: string;
}

export interface StoredDriftReport {
  missing: DriftItemModel[];
  changed: DriftItemModel[];
  extra: DriftItemModel[];
  exposures: Exposure[];
  pendingCommit: boolean;
  exposuresChecked: boolean;
}

export type DriftListener = (check: DriftCheck, report: StoredDriftReport) => Promise<void> | void;

/**
 * Compares live devices with their rule sets, on demand (synchronously) and on DRIFT_CHECK_SCHEDULE (one job per
 * device, each slot once across replicas). Runs under the device lock, so a push half-way through its writes is
 * never reported as drift.
 */
@Injectable()
export class DriftService implements OnModuleInit, OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Drift');
  private readonly listeners: DriftListener[] = [];
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly prisma: PrismaService,
    private readonly connectors: DeviceConnectors,
    private readonly ruleSets: RuleSetsService,
    private readonly locks: DeviceLocks,
    private readonly jobs: JobQueue,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.jobs.createQueue(DRIFT_QUEUE, { retryLimit: 0, retryDelaySeconds: 0, expireInSeconds: 600 });
  }

  onApplicationBootstrap(): void {
    this.jobs.work<DriftJob>(DRIFT_QUEUE, this.config.pushConcurrency, async (job) => {
      await this.perform(job.data.checkId);
    });
    if (this.config.driftCheckSchedule) {
      this.timer = setInterval(
        () =>
          void this.fireDue(new Date()).catch((e: unknown) =>
            this.logger.error(`drift schedule failed: ${e instanceof Error ? e.message : String(e)}`),
          ),
        this.config.schedulerIntervalMs,
      );
    }
  }

  beforeApplicationShutdown(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** Called with every finished check that found drift (webhooks). */
  onDrift(listener: DriftListener): void {
    this.listeners.push(listener);
  }

  /** Checks the device now and records the result. */
  async check(deviceId: string, trigger: PushTrigger): Promise<DriftCheck> {
    const device = await this.prisma.device.findUnique({ where: { id: deviceId }, select: { id: true } });
    if (!device) throw new NotFound('device', deviceId);
    const row = await this.prisma.driftCheck.create({
      data: { deviceId, trigger, actor: currentRequest().principal?.name ?? 'system' },
    });
    return this.perform(row.id);
  }

  /** The latest finished check, read from the database: contacts nothing, writes nothing. */
  async latest(deviceId: string): Promise<DriftCheck> {
    const device = await this.prisma.device.findUnique({ where: { id: deviceId }, select: { name: true } });
    if (!device) throw new NotFound('device', deviceId);
    const row = await this.prisma.driftCheck.findFirst({
      where: { deviceId, checkedAt: { not: null } },
      orderBy: [{ checkedAt: 'desc' }, { id: 'desc' }],
    });
    if (!row) {
      throw new DomainError(
        'NOT_FOUND',
        `device ${device.name} has no recorded drift check yet; POST /api/v1/devices/${deviceId}/drift (push scope) runs one`,
        [],
        { entity: 'driftCheck', deviceId, reason: 'NO_DRIFT_CHECK' },
      );
    }
    return row;
  }

  async list(deviceId: string, page: Page): Promise<PageResult<DriftCheck>> {
    const where = { deviceId };
    return paginate(
      page,
      (window) =>
        this.prisma.driftCheck.findMany({
          where,
          orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
          ...window,
        }),
      () => this.prisma.driftCheck.count({ where }),
    );
  }

  /** Queues the scheduled check of every enabled device whose slot is due; a slot fires once across replicas. */
  async fireDue(now: Date): Promise<DriftCheck[]> {
    const cron = this.config.driftCheckSchedule;
    const slot = cron ? latestSlot(cron, now) : null;
    if (!slot || now.getTime() - slot.getTime() > this.config.scheduleCatchUpSeconds * 1000) return [];
    const devices = await this.prisma.device.findMany({
      where: { enabled: true, credentialKind: { not: null } },
      select: { id: true },
    });
    const fired: DriftCheck[] = [];
    for (const device of devices) {
      try {
        fired.push(
          await this.prisma.driftCheck.create({
            data: { deviceId: device.id, trigger: 'schedule', actor: 'scheduler', scheduledFor: slot },
          }),
        );
      } catch (error) {
        if (!(error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002')) throw error;
      }
    }
    for (const check of fired)
      await this.jobs.send<DriftJob>(DRIFT_QUEUE, { checkId: check.id }, { id: randomUUID() });
    return fired;
  }

  private async perform(checkId: string): Promise<DriftCheck> {
    const row = await this.prisma.driftCheck.findUnique({ where: { id: checkId } });
    if (!row) throw new NotFound('drift check', checkId);
    if (row.checkedAt) return row;
    const { report, ruleSetHash, error } = await this.locks.run(row.deviceId, () =>
      this.compare(row.deviceId),
    );
    const drifted = report
      ? report.missing.length + report.changed.length + report.extra.length + report.exposures.length > 0 ||
        report.pendingCommit
      : null;
    const done = await this.prisma.driftCheck.update({
      where: { id: checkId },
      data: {
        drifted,
        ruleSetHash,
        report: report ? (JSON.parse(JSON.stringify(report)) as Prisma.InputJsonValue) : undefined,
        errorClass: error?.kind ?? null,
        errorMessage: error?.message ?? null,
        checkedAt: new Date(),
      },
    });
    if (drifted && report) {
      for (const listener of this.listeners) {
        await Promise.resolve(listener(done, report)).catch((e: unknown) =>
          this.logger.error(`drift listener failed: ${e instanceof Error ? e.message : String(e)}`),
        );
      }
    }
    return done;
  }

  private async compare(deviceId: string): Promise<{
    report: StoredDriftReport | null;
    ruleSetHash: string | null;
    error: { kind: string; message: string } | null;
  }> {
    let ruleSetHash: string | null = null;
    try {
      const ruleSet = await this.ruleSets.ruleSet(deviceId);
      ruleSetHash = ruleSet.hash;
      const { device, connector } = await this.connectors.open(deviceId);
      try {
        const live = await connector.readState();
        const plan = connector.plan(ruleSet, live);
        const unmanaged = connector.readUnmanagedRules ? await connector.readUnmanagedRules() : null;
        // Forwards that cannot be read (no NAT API on the firmware, or a key without the NAT read privilege) leave
        // the rules' exposures checked and the check marked incomplete, rather than failing the whole drift check.
        const unmanagedNat = connector.readUnmanagedNat
          ? await connector.readUnmanagedNat().catch((e: unknown) => {
              if (e instanceof ConnectorError && e.kind === 'authentication') return null;
              throw e;
            })
          : [];
        const external = new Set(device.interfaces.filter((i) => i.external).map((i) => i.name));
        const of = (ops: string[]): DriftItemModel[] =>
          plan.changes.filter((c) => ops.includes(c.op)).map(toItem);
        return {
          ruleSetHash,
          error: null,
          report: {
            missing: of(['create']),
            changed: of(['update', 'reorder']),
            extra: of(['delete']),
            exposures: unmanaged
              ? [...findExposures(unmanaged, external), ...findNatExposures(unmanagedNat ?? [])]
              : [],
            pendingCommit: plan.pendingCommit,
            exposuresChecked: unmanaged !== null && unmanagedNat !== null,
          },
        };
      } finally {
        connector.close();
      }
    } catch (error) {
      const kind =
        error instanceof ConnectorError
          ? error.kind
          : error instanceof DomainError
            ? 'configuration'
            : 'internal';
      return {
        ruleSetHash,
        report: null,
        error: { kind, message: error instanceof Error ? error.message : String(error) },
      };
    }
  }
}

function toItem(change: PlanChange): DriftItemModel {
  return { kind: change.kind, name: change.name, live: change.before, desired: change.after };
}

export function toDriftModel(row: DriftCheck): DriftReportModel {
  const report = (row.report ?? null) as StoredDriftReport | null;
  return {
    id: row.id,
    deviceId: row.deviceId,
    state:
      row.checkedAt === null ? 'queued' : row.drifted === null ? 'failed' : row.drifted ? 'drifted' : 'clean',
    trigger: row.trigger,
    actor: row.actor,
    ruleSetHash: row.ruleSetHash,
    missing: report?.missing ?? [],
    changed: report?.changed ?? [],
    extra: report?.extra ?? [],
    exposures: report?.exposures ?? [],
    pendingCommit: report?.pendingCommit ?? false,
    exposuresChecked: report?.exposuresChecked ?? false,
    errorClass: row.errorClass,
    errorMessage: row.errorMessage,
    scheduledFor: row.scheduledFor,
    createdAt: row.createdAt,
    checkedAt: row.checkedAt,
  };
}
