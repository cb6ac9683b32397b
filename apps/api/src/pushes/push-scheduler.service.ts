import { randomUUID } from 'node:crypto';
import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { CronExpressionParser } from 'cron-parser';
import { Prisma, type Push } from '@app/persistence';
import { AuditService } from '../audit/audit.service';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { PrismaService } from '../database/prisma.service';
import { DeviceLocks } from '../jobs/device-locks.service';
import { appendPushEvent, firstEvent, instanceName } from './push-events';
import { PUSH_QUEUE, PushesService } from './pushes.service';

/**
 * Every instance ticks; the database decides. A scheduled push is a row unique on (device, cron slot), so
 * however many replicas see a slot, one insert wins and one push runs. The same tick finds pushes left
 * `running` by an instance that died: their device lock is free (the advisory lock went with the dead
 * connection), so they are queued again under a new job. It also finds pushes left `queued` with no job: the
 * push row commits before its job is queued, and an instance that stops in between leaves one behind.
 */
@Injectable()
export class PushScheduler implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('PushScheduler');
  private readonly instance = instanceName();
  private timer: NodeJS.Timeout | null = null;
  private ticking: Promise<void> | null = null;

  constructor(
    private readonly prisma: PrismaService,
    private readonly pushes: PushesService,
    private readonly locks: DeviceLocks,
    private readonly audit: AuditService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.tick(), this.config.schedulerIntervalMs);
    void this.tick();
  }

  async beforeApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.ticking;
  }

  /** One pass; overlapping calls share the pass in progress. */
  tick(now: Date = new Date()): Promise<void> {
    this.ticking ??= (async () => {
      await this.recoverInterrupted();
      await this.recoverUnqueued();
      await this.fireDue(now);
    })()
      .catch((error: unknown) => {
        this.logger.error(`scheduler tick failed: ${error instanceof Error ? error.message : String(error)}`);
      })
      .finally(() => {
        this.ticking = null;
      });
    return this.ticking;
  }

  /** Creates and queues the pushes whose latest cron slot is due (within the catch-up window). */
  async fireDue(now: Date): Promise<Push[]> {
    const fallback = this.config.defaultPushSchedule ?? null;
    const devices = await this.prisma.device.findMany({
      where: {
        enabled: true,
        credentialKind: { not: null },
        ...(fallback ? {} : { schedule: { not: null } }),
      },
      select: { id: true, name: true, schedule: true },
    });
    const fired: Push[] = [];
    for (const device of devices) {
      const cron = device.schedule ?? fallback;
      const slot = cron ? latestSlot(cron, now) : null;
      if (!slot || now.getTime() - slot.getTime() > this.config.scheduleCatchUpSeconds * 1000) continue;
      const push = await this.fire(device, cron!, slot);
      if (push) fired.push(push);
    }
    if (fired.length) await this.pushes.enqueue(fired);
    return fired;
  }

  private async fire(device: { id: string; name: string }, cron: string, slot: Date): Promise<Push | null> {
    try {
      return await this.prisma.$transaction(async (tx) => {
        const push = await tx.push.create({
          data: {
            deviceId: device.id,
            trigger: 'schedule',
            actor: 'scheduler',
            scheduledFor: slot,
            jobId: randomUUID(),
            events: firstEvent(
              `scheduled push for ${slot.toISOString()} (${cron}) fired by ${this.instance}`,
            ),
          },
        });
        await this.audit.record(tx, {
          action: 'push.schedule',
          targetType: 'push',
          targetId: push.id,
          after: { deviceId: device.id, deviceName: device.name, cron, scheduledFor: slot },
        });
        return push;
      });
    } catch (error) {
      // Another replica fired this slot first.
      if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002') return null;
      throw error;
    }
  }

  /** Queues again every push left `running` whose device nobody holds. */
  async recoverInterrupted(): Promise<string[]> {
    const running = await this.prisma.push.findMany({
      where: { state: 'running' },
      select: { id: true, deviceId: true },
    });
    const recovered: { id: string; jobId: string; deviceId: string }[] = [];
    for (const push of running) {
      if (this.locks.isHeld(push.deviceId)) continue;
      const attempt = await this.locks.tryRun(push.deviceId, () =>
        this.prisma.$transaction(async (tx) => {
          const jobId = randomUUID();
          const current = await tx.push.findUnique({ where: { id: push.id }, select: { attempts: true } });
          const { count } = await tx.push.updateMany({
            where: { id: push.id, state: 'running' },
            data: { state: 'queued', jobId },
          });
          if (!count || !current) return null;
          await appendPushEvent(
            tx,
            push.id,
            `attempt ${current.attempts} was interrupted: the instance running it stopped; queued again by ${this.instance}`,
          );
          return { id: push.id, jobId, deviceId: push.deviceId };
        }),
      );
      if (!attempt.busy && attempt.value) recovered.push(attempt.value);
    }
    if (recovered.length) {
      this.logger.warn(
        `re-queued ${recovered.length} interrupted push(es): ${recovered.map((r) => r.id).join(', ')}`,
      );
      await this.pushes.enqueue(recovered);
    }
    return recovered.map((r) => r.id);
  }

  /**
   * Queues again every push left `queued` without a live job for longer than UNQUEUED_GRACE_SECONDS: its instance
   * stopped between committing it and queuing its job, or the queue lost the job. It gets a new job id, changed only
   * if nobody changed it meanwhile (another replica's sweep), and a job that does turn up under the old id finds the
   * push claimed by the new one and does nothing.
   */
  async recoverUnqueued(): Promise<string[]> {
    const orphans = await this.prisma.$queryRaw<{ id: string; deviceId: string; jobId: string }[]>`
      SELECT p."id", p."device_id" AS "deviceId", p."job_id" AS "jobId"
      FROM "pushes" p
      WHERE p."state" = 'queued'
        AND p."updated_at" < now() - make_interval(secs => ${UNQUEUED_GRACE_SECONDS})
        AND NOT EXISTS (
          SELECT 1 FROM pgboss.job j
          WHERE j."name" = ${PUSH_QUEUE}
            AND j."id" = CASE WHEN p."job_id" ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
                              THEN p."job_id"::uuid END
            AND j."state" IN ('created', 'retry', 'active'))`;
    const recovered: { id: string; jobId: string; deviceId: string }[] = [];
    for (const orphan of orphans) {
      const jobId = randomUUID();
      const requeued = await this.prisma.$transaction(async (tx) => {
        const { count } = await tx.push.updateMany({
          where: { id: orphan.id, state: 'queued', jobId: orphan.jobId },
          data: { jobId },
        });
        if (!count) return false;
        await appendPushEvent(
          tx,
          orphan.id,
          `its job was never queued or was lost (the instance that created it may have stopped first); queued again by ${this.instance}`,
        );
        return true;
      });
      if (requeued) recovered.push({ id: orphan.id, jobId, deviceId: orphan.deviceId });
    }
    if (recovered.length) {
      this.logger.warn(
        `queued ${recovered.length} push(es) left without a job: ${recovered.map((r) => r.id).join(', ')}`,
      );
      await this.pushes.enqueue(recovered);
    }
    return recovered.map((r) => r.id);
  }
}

/**
 * How long a queued push may be without a live job before the sweep queues it: the request that created it queues
 * the job right after its commit, and must not race the sweep.
 */
export const UNQUEUED_GRACE_SECONDS = 60;

/** The most recent cron slot at or before `now` (schedules are evaluated in UTC). */
export function latestSlot(cron: string, now: Date): Date | null {
  try {
    const next = CronExpressionParser.parse(cron, { currentDate: new Date(now.getTime() + 1), tz: 'UTC' });
    return next.prev().toDate();
  } catch {
    return null;
  }
}
