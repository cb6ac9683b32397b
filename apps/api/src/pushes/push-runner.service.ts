import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleInit } from '@nestjs/common';
import {
  ConnectorError,
  isPlanEmpty,
  pushRuleSet,
  type ConnectorErrorJson,
  type PushOutcome,
} from '@app/connectors';
import type { Prisma, Push } from '@app/persistence';
import { DomainError } from '../common/errors/domain-error';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { PrismaService } from '../database/prisma.service';
import { DeviceLocks } from '../jobs/device-locks.service';
import { JobQueue, type QueuedJob } from '../jobs/job-queue.service';
import { RuleSetsService } from '../rules/rule-sets.service';
import { DeviceConnectors } from './device-connectors.service';
import { NEEDS_SWEEP } from './device-pending-state';
import { FINAL_STATES } from './push.model';
import { appendPushEvent, instanceName } from './push-events';
import { PUSH_QUEUE, type PushJob } from './pushes.service';

/** Device failures worth another attempt without anyone changing anything. */
const TRANSIENT = new Set(['unavailable', 'timeout']);

interface RecordedError {
  kind: string;
  message: string;
  [key: string]: unknown;
}

interface Execution {
  ruleSetHash: string | null;
  outcome: PushOutcome | null;
  error: RecordedError | null;
}

/** Thrown to the queue so pg-boss retries the job after its backoff. */
class RetryLater extends Error {}

export type PushFinishedListener = (push: Push) => Promise<void> | void;

/**
 * Executes push jobs: one device at a time (DeviceLocks), read → plan → apply → verify through the device's
 * connector, and records every attempt on the push. Transient device failures go back to the queue with
 * backoff until PUSH_MAX_ATTEMPTS; an attempt cut short by a dying process is found by PushRecovery.
 * Device state a push leaves pending (open FortiOS transaction, armed OPNsense rollback, uncommitted writes) is in
 * the database; the next push resolves it first, and start-up sweeps devices that have some (see sweepPending).
 */
@Injectable()
export class PushRunner implements OnModuleInit, OnApplicationBootstrap {
  private readonly logger = new Logger('PushRunner');
  private readonly listeners: PushFinishedListener[] = [];
  readonly instance = instanceName();

  constructor(
    private readonly prisma: PrismaService,
    private readonly jobs: JobQueue,
    private readonly locks: DeviceLocks,
    private readonly connectors: DeviceConnectors,
    private readonly ruleSets: RuleSetsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.jobs.createQueue(PUSH_QUEUE, {
      retryLimit: this.config.pushMaxAttempts,
      retryDelaySeconds: this.config.pushRetryDelaySeconds,
      expireInSeconds: 3600,
    });
  }

  onApplicationBootstrap(): void {
    this.jobs.work<PushJob>(PUSH_QUEUE, this.config.pushConcurrency, (job) => this.handle(job));
    // In the background: a device that does not answer must not hold up the start.
    void this.sweepPending().catch((e: unknown) =>
      this.logger.error(`pending-state sweep failed: ${e instanceof Error ? e.message : String(e)}`),
    );
  }

  /**
   * Resolves device state that pushes of a dead process left pending, without waiting for the next push: a
   * FortiOS transaction keeps its tables locked, an OPNsense rollback fires within a minute. Each device under
   * its lock (try only: a replica or push holding it resolves it itself); uncommitted writes are left to the
   * next push, which commits them after re-planning (applying a half-written plan here would make it live).
   */
  async sweepPending(): Promise<number> {
    const rows = await this.prisma.devicePendingState.findMany({
      where: NEEDS_SWEEP,
      select: { deviceId: true },
    });
    let resolved = 0;
    for (const { deviceId } of rows) {
      const attempt = await this.locks.tryRun(deviceId, () => this.recoverDevice(deviceId));
      if (!attempt.busy && attempt.value) resolved += 1;
    }
    return resolved;
  }

  private async recoverDevice(deviceId: string): Promise<boolean> {
    try {
      const ruleSet = await this.ruleSets.ruleSet(deviceId);
      const { device, connector } = await this.connectors.open(deviceId);
      try {
        const report = await connector.recover(ruleSet);
        for (const action of report.actions) this.logger.warn(`device ${device.name} at start-up: ${action}`);
        return report.actions.length > 0;
      } finally {
        connector.close();
      }
    } catch (e) {
      // Left recorded: the device's next push tries again.
      this.logger.warn(
        `device ${deviceId}: pending state not resolved at start-up: ${e instanceof Error ? e.message : String(e)}`,
      );
      return false;
    }
  }

  /** Called with the final record of every push this instance finishes (webhooks, metrics). */
  onFinished(listener: PushFinishedListener): void {
    this.listeners.push(listener);
  }

  async handle(job: QueuedJob<PushJob>): Promise<void> {
    const head = await this.prisma.push.findUnique({
      where: { id: job.data.pushId },
      select: { deviceId: true, jobId: true, state: true },
    });
    if (!head || head.jobId !== job.id || FINAL_STATES.includes(head.state)) return;
    const retry = await this.locks.run(head.deviceId, () => this.attempt(job.data.pushId, job.id));
    if (retry) throw new RetryLater(retry);
  }

  /** One attempt under the device lock; returns a reason when the queue should retry later. */
  private async attempt(pushId: string, jobId: string): Promise<string | null> {
    const push = await this.prisma.push.findUnique({ where: { id: pushId } });
    if (!push || push.jobId !== jobId || FINAL_STATES.includes(push.state)) return null;
    const attempt = push.attempts + 1;
    const now = new Date().toISOString();
    const events = JSON.stringify([
      ...(push.state === 'running'
        ? [{ at: now, message: `attempt ${push.attempts} was interrupted: the instance running it stopped` }]
        : []),
      { at: now, message: `attempt ${attempt} started on ${this.instance}` },
    ]);
    // One conditional statement (a cancel that won the race leaves the push alone): pushes are DB-bound on
    // the embedded database, where every transaction serialises the whole instance.
    const started =
      (await this.prisma.$executeRaw`
        UPDATE "pushes" SET "state" = 'running', "attempts" = ${attempt},
          "started_at" = COALESCE("started_at", now()), "updated_at" = now(),
          "events" = "events" || ${events}::jsonb
        WHERE "id" = ${pushId}::uuid AND "job_id" = ${jobId} AND "state" IN ('queued', 'running')`) > 0;
    if (!started) return null;

    const execution = await this.execute(push);
    const outcome = execution.outcome;
    const error = execution.error;
    const recovery = outcome?.recovery ?? null;
    const common = {
      ruleSetHash: execution.ruleSetHash,
      plan: outcome?.plan ? toJson(outcome.plan) : undefined,
      // The own recovery's compensating writes are writes on the device too, and what it restored is part of the
      // record (the error message summarises it; this is the structured form).
      result: outcome
        ? toJson({
            apply: outcome.apply,
            verified: outcome.verification?.ok ?? null,
            recovery,
            restore: outcome.restore ?? null,
          })
        : undefined,
      writes: (outcome?.apply?.writes ?? 0) + (recovery?.writes ?? 0) + (outcome?.restore?.writes ?? 0),
      errorClass: error?.kind ?? null,
      errorMessage: error?.message ?? null,
      error: error ? toJson(error) : undefined,
    };

    if (error && TRANSIENT.has(error.kind) && attempt < this.config.pushMaxAttempts) {
      const delay = this.config.pushRetryDelaySeconds * 2 ** (attempt - 1);
      await this.prisma.$transaction(async (tx) => {
        await tx.push.update({ where: { id: pushId }, data: { ...common, state: 'queued' } });
        for (const action of recovery?.actions ?? []) await appendPushEvent(tx, pushId, action);
        await appendPushEvent(
          tx,
          pushId,
          `attempt ${attempt} failed (${error.kind}): ${error.message}; retrying in about ${delay}s`,
        );
      });
      return `${error.kind}: ${error.message}`;
    }

    const state = error ? 'failed' : outcomeIsNoop(outcome) ? 'noop' : 'succeeded';
    const final = await this.prisma.$transaction(async (tx) => {
      await tx.push.update({ where: { id: pushId }, data: { ...common, state, finishedAt: new Date() } });
      for (const action of recovery?.actions ?? []) await appendPushEvent(tx, pushId, action);
      await appendPushEvent(tx, pushId, describeEnd(state, push.dryRun, outcome, error));
      return tx.push.findUniqueOrThrow({ where: { id: pushId } });
    });
    for (const listener of this.listeners) {
      await Promise.resolve(listener(final)).catch((e: unknown) =>
        this.logger.error(`push listener failed: ${e instanceof Error ? e.message : String(e)}`),
      );
    }
    return null;
  }

  private async execute(push: Push): Promise<Execution> {
    let ruleSetHash: string | null = null;
    try {
      const ruleSet = await this.ruleSets.ruleSet(push.deviceId);
      ruleSetHash = ruleSet.hash;
      const { connector } = await this.connectors.open(push.deviceId);
      try {
        // Whatever an earlier attempt left uncommitted or armed (here, on a replica, or in a process that died) is
        // in the device's pending-state row; pushRuleSet resolves it before reading the device.
        const outcome = await pushRuleSet(connector, ruleSet, { dryRun: push.dryRun });
        return { ruleSetHash, outcome, error: outcome.error ? recorded(outcome.error) : null };
      } finally {
        connector.close();
      }
    } catch (error) {
      if (error instanceof ConnectorError)
        return { ruleSetHash, outcome: null, error: recorded(error.toJSON()) };
      if (error instanceof DomainError) {
        return { ruleSetHash, outcome: null, error: { kind: 'configuration', message: error.message } };
      }
      this.logger.error(
        `push ${push.id}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
      );
      return {
        ruleSetHash,
        outcome: null,
        error: { kind: 'internal', message: error instanceof Error ? error.message : String(error) },
      };
    }
  }
}

function recorded(error: ConnectorErrorJson): RecordedError {
  const { name: _name, ...rest } = error;
  return rest;
}

/** Nothing planned, nothing applied, and recovery wrote nothing to the device either. */
function outcomeIsNoop(outcome: PushOutcome | null): boolean {
  return (
    !!outcome?.plan &&
    isPlanEmpty(outcome.plan) &&
    outcome.apply === null &&
    (outcome.recovery?.writes ?? 0) === 0
  );
}

function describeEnd(
  state: 'failed' | 'noop' | 'succeeded',
  dryRun: boolean,
  outcome: PushOutcome | null,
  error: RecordedError | null,
): string {
  if (state === 'failed') return `failed (${error?.kind}): ${error?.message}`;
  if (state === 'noop') return 'noop: the device already matches its rule set; nothing written';
  const changes = outcome?.plan?.changes.length ?? 0;
  if (dryRun) return `dry run: ${changes} change(s) planned, nothing written`;
  if (!outcome?.apply) {
    return 'succeeded: the device already matched its rule set and nothing it had pending is left; its rules are live';
  }
  return `succeeded: ${changes} change(s) applied in ${outcome.apply.writes} write(s), verified: the rule set is live on the device`;
}

function toJson(value: unknown): Prisma.InputJsonValue {
  return JSON.parse(JSON.stringify(value)) as Prisma.InputJsonValue;
}
