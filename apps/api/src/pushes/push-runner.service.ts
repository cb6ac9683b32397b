import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleInit } from '@nestjs/common';
import {
  ConnectorError,
  isPlanEmpty,
  NOTHING_PENDING,
  pushRuleSet,
  type PendingState,
  type ConnectorErrorJson,
  type PushOutcome,
} from '@app/connectors';
import { type Device, Prisma, type Push } from '@app/persistence';
import { DomainError } from '../common/errors/domain-error';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { PrismaService } from '../database/prisma.service';
import { DeviceLocks } from '../jobs/device-locks.service';
import { JobQueue, type QueuedJob } from '../jobs/job-queue.service';
import { RuleSetsService } from '../rules/rule-sets.service';
import { DeviceConnectors } from './device-connectors.service';
import { NEEDS_SWEEP, pendingStateOf, type PrismaPendingStateStore } from './device-pending-state';
import { instanceName } from './push-events';
import { deviceOfJson, pushOfRow, type DeviceJson, type PushRow } from './push-row';
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
  /** The device's `uncommitted: false` is left to the record statement (PrismaPendingStateStore). */
  clearUncommitted: boolean;
}

type PushEndState = 'failed' | 'noop' | 'succeeded';

/** What an attempt records about itself; a null plan, result or error keeps the one an earlier attempt recorded. */
interface AttemptFields {
  /** The device whose `uncommitted` flag the record clears too (null: leave the pending-state row alone). */
  clearUncommittedOf: string | null;
  ruleSetHash: string | null;
  plan: Prisma.InputJsonValue | null;
  result: Prisma.InputJsonValue | null;
  writes: number;
  errorClass: string | null;
  errorMessage: string | null;
  error: Prisma.InputJsonValue | null;
}

/** The push as claimed by an attempt (attempts: this attempt's number). */
interface StartedPush {
  id: string;
  deviceId: string;
  dryRun: boolean;
  attempts: number;
  /** The device row, read by the claim (null: deleted since the push was queued). */
  device: Device | null;
  /** The inventory revision when the push was claimed: its rule set is read at (at least) this revision. */
  inventoryRevision: bigint;
}

interface StartedRow {
  id: string;
  device_id: string;
  dry_run: boolean;
  attempts: number;
  pending_device_id: string | null;
  transaction_id: number | null;
  transaction_opened_at: Date | null;
  rollback_revision: string | null;
  rollback_expires_at: Date | null;
  rollback_rule_set_hash: string | null;
  rollback_reason: string | null;
  uncommitted: boolean | null;
  updated_at: Date | null;
  device: DeviceJson | null;
  inventory_revision: bigint | number | string | null;
}

/**
 * Claims the push for an attempt in one conditional statement (a cancel that won the race, a final state or
 * another job's id leave it alone) and reads, in the same statement, what the device has pending: it runs once the
 * device lock is held (DeviceLocks.run, in the lock's round trip), so that row cannot change until this attempt
 * records into it. $1: this instance, $2: the push, $3: the job. Times are clock_timestamp(): the statement shares
 * a transaction with the lock wait, whose start now() would give.
 */
const CLAIM = `
  WITH claimed AS (
    UPDATE "pushes" SET "state" = 'running', "attempts" = "attempts" + 1,
      "started_at" = COALESCE("started_at", clock_timestamp()), "updated_at" = clock_timestamp(),
      "events" = "events"
        || CASE WHEN "state" = 'running' THEN jsonb_build_array(jsonb_build_object(
             'at', t."at", 'message',
             'attempt ' || "attempts" || ' was interrupted: the instance running it stopped'))
           ELSE '[]'::jsonb END
        || jsonb_build_array(jsonb_build_object(
             'at', t."at", 'message', 'attempt ' || ("attempts" + 1) || ' started on ' || $1::text))
    FROM (SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "at") t
    WHERE "id" = $2::uuid AND "job_id" = $3::text AND "state" IN ('queued', 'running')
    RETURNING "id", "device_id", "dry_run", "attempts"
  )
  SELECT c."id", c."device_id", c."dry_run", c."attempts",
    s."device_id" AS "pending_device_id", s."transaction_id", s."transaction_opened_at",
    s."rollback_revision", s."rollback_expires_at", s."rollback_rule_set_hash", s."rollback_reason",
    s."uncommitted", s."updated_at",
    to_jsonb(d) AS "device",
    (SELECT r."revision" FROM "inventory_revision" r WHERE r."id" = 1) AS "inventory_revision"
  FROM claimed c LEFT JOIN "device_pending_states" s ON s."device_id" = c."device_id"
    LEFT JOIN "devices" d ON d."id" = c."device_id"`;

/** The push as CLAIM returned it; null when it was not claimed. */
function startedPush(rows: StartedRow[]): { push: StartedPush; pending: PendingState } | null {
  const row = rows[0];
  if (!row) return null;
  const pending =
    row.pending_device_id === null
      ? { ...NOTHING_PENDING }
      : pendingStateOf({
          deviceId: row.pending_device_id,
          transactionId: row.transaction_id,
          transactionOpenedAt: row.transaction_opened_at,
          rollbackRevision: row.rollback_revision,
          rollbackExpiresAt: row.rollback_expires_at,
          rollbackRuleSetHash: row.rollback_rule_set_hash,
          rollbackReason: row.rollback_reason,
          uncommitted: row.uncommitted ?? false,
          updatedAt: row.updated_at ?? new Date(),
        });
  return {
    push: {
      id: row.id,
      deviceId: row.device_id,
      dryRun: row.dry_run,
      attempts: row.attempts,
      device: row.device ? deviceOfJson(row.device) : null,
      inventoryRevision: BigInt(row.inventory_revision ?? 0),
    },
    pending,
  };
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
    // Jobs queued by older versions carry the push id only.
    let deviceId = job.data.deviceId;
    if (!deviceId) {
      const head = await this.prisma.push.findUnique({
        where: { id: job.data.pushId },
        select: { deviceId: true },
      });
      if (!head) return;
      deviceId = head.deviceId;
    }
    // The claim goes with the lock, in its round trip.
    const retry = await this.locks.run(
      deviceId,
      (rows) => this.attempt(job.data.pushId, rows as StartedRow[], () => job.windingDown()),
      { text: CLAIM, values: [this.instance, job.data.pushId, job.id] },
    );
    if (retry) throw new RetryLater(retry);
  }

  /**
   * One attempt under the device lock; returns a reason when the queue should retry later.
   *
   * Three statements of its own whatever the outcome (the rule set, the device calls and the pending-state record
   * before a first write aside): the push is claimed and the device's pending state read in one, and the attempt's
   * end is recorded in one (state, results, events, the `uncommitted` clear after a commit, and whether anyone
   * listens for its webhook event), so a fleet push costs the database little.
   */
  private async attempt(
    pushId: string,
    claimed: StartedRow[],
    windingDown: () => void,
  ): Promise<string | null> {
    const started = startedPush(claimed);
    if (!started) return null;
    const { push, pending } = started;
    const attempt = push.attempts;

    const execution = await this.execute(push, pending);
    // The device is done with; what is left is one statement (and the listeners): the queue fetches and starts the
    // next job for this slot meanwhile.
    windingDown();
    const outcome = execution.outcome;
    const error = execution.error;
    const recovery = outcome?.recovery ?? null;
    const fields: AttemptFields = {
      clearUncommittedOf: execution.clearUncommitted ? push.deviceId : null,
      ruleSetHash: execution.ruleSetHash,
      plan: outcome?.plan ? toJson(outcome.plan) : null,
      // The own recovery's compensating writes are writes on the device too, and what it restored is part of the
      // record (the error message summarises it; this is the structured form).
      result: outcome
        ? toJson({
            apply: outcome.apply,
            verified: outcome.verification?.ok ?? null,
            recovery,
            restore: outcome.restore ?? null,
          })
        : null,
      writes: (outcome?.apply?.writes ?? 0) + (recovery?.writes ?? 0) + (outcome?.restore?.writes ?? 0),
      errorClass: error?.kind ?? null,
      errorMessage: error?.message ?? null,
      error: error ? toJson(error) : null,
    };
    const messages = [...(recovery?.actions ?? [])];

    if (error && TRANSIENT.has(error.kind) && attempt < this.config.pushMaxAttempts) {
      const delay = this.config.pushRetryDelaySeconds * 2 ** (attempt - 1);
      messages.push(
        `attempt ${attempt} failed (${error.kind}): ${error.message}; retrying in about ${delay}s`,
      );
      await this.record(pushId, 'queued', fields, messages);
      return `${error.kind}: ${error.message}`;
    }

    const state = error ? 'failed' : outcomeIsNoop(outcome) ? 'noop' : 'succeeded';
    messages.push(describeEnd(state, push.dryRun, outcome, error));
    const final = await this.record(pushId, state, fields, messages);
    for (const listener of this.listeners) {
      await Promise.resolve(listener(final)).catch((e: unknown) =>
        this.logger.error(`push listener failed: ${e instanceof Error ? e.message : String(e)}`),
      );
    }
    return null;
  }

  /**
   * Records the attempt's end in one statement: results, state, events, the device's `uncommitted: false` when the
   * attempt's commit left it to this statement (in the same transaction: the push is never recorded as done with
   * the flag still set by it, and a crash before leaves both, which the next push resolves by applying once more)
   * and, for a final state, whether its webhook event still has to be recorded. When no enabled webhook subscribes to the event, `events_emitted_at` is set
   * here, in the same statement as the state (so the webhook outbox costs nothing when nobody listens); otherwise
   * it stays null and WebhooksService records the deliveries transactionally (emitForPush, or its sweep after a
   * crash). A webhook created while the push runs hears the push if it committed before this statement: the
   * check and the state change are one snapshot, so no push is left both unrecorded and unswept.
   */
  private async record(
    pushId: string,
    state: 'queued' | PushEndState,
    fields: AttemptFields,
    messages: string[],
  ): Promise<Push> {
    const at = new Date().toISOString();
    const events = JSON.stringify(messages.map((message) => ({ at, message })));
    const final = state !== 'queued';
    const event = state === 'failed' ? 'push.failed' : state === 'queued' ? null : 'push.succeeded';
    const json = (value: Prisma.InputJsonValue | null) => (value === null ? null : JSON.stringify(value));
    const settle =
      fields.clearUncommittedOf === null
        ? Prisma.empty
        : Prisma.sql`WITH "settled" AS (
            UPDATE "device_pending_states" SET "uncommitted" = false, "updated_at" = now()
            WHERE "device_id" = ${fields.clearUncommittedOf}::uuid)`;
    const rows = await this.prisma.$queryRaw<PushRow[]>`
      ${settle}
      UPDATE "pushes" SET
        "state" = ${state}::"PushState",
        "rule_set_hash" = ${fields.ruleSetHash},
        "plan" = COALESCE(${json(fields.plan)}::jsonb, "plan"),
        "result" = COALESCE(${json(fields.result)}::jsonb, "result"),
        "writes" = ${fields.writes},
        "error_class" = ${fields.errorClass},
        "error_message" = ${fields.errorMessage},
        "error" = COALESCE(${json(fields.error)}::jsonb, "error"),
        "events" = "events" || ${events}::jsonb,
        "finished_at" = CASE WHEN ${final} THEN now() ELSE "finished_at" END,
        "events_emitted_at" = CASE
          WHEN NOT ${final} OR "events_emitted_at" IS NOT NULL THEN "events_emitted_at"
          WHEN EXISTS (SELECT 1 FROM "webhooks" w WHERE w."enabled" AND ${event}::text = ANY (w."events"))
            THEN NULL
          ELSE now() END,
        "updated_at" = now()
      WHERE "id" = ${pushId}::uuid
      RETURNING *`;
    const row = rows[0];
    if (!row) throw new Error(`push ${pushId} disappeared while it ran`);
    return pushOfRow(row);
  }

  private async execute(push: StartedPush, pending: PendingState): Promise<Execution> {
    let ruleSetHash: string | null = null;
    let store: PrismaPendingStateStore | null = null;
    const ended = (outcome: PushOutcome | null, error: RecordedError | null): Execution => ({
      ruleSetHash,
      outcome,
      error,
      // Taken whatever the outcome: a clear the connector left to the record must not be lost with an error.
      clearUncommitted: store?.takeUnwrittenClear() ?? false,
    });
    try {
      const ruleSet = await this.ruleSets.ruleSet(push.deviceId, push.inventoryRevision);
      ruleSetHash = ruleSet.hash;
      const opened = this.connectors.openForPush(push.deviceId, push.device, pending);
      store = opened.pending;
      const { connector } = opened;
      try {
        // Whatever an earlier attempt left uncommitted or armed (here, on a replica, or in a process that died) is
        // in the device's pending-state row; pushRuleSet resolves it before reading the device.
        const outcome = await pushRuleSet(connector, ruleSet, { dryRun: push.dryRun });
        return ended(outcome, outcome.error ? recorded(outcome.error) : null);
      } finally {
        connector.close();
      }
    } catch (error) {
      if (error instanceof ConnectorError) return ended(null, recorded(error.toJSON()));
      if (error instanceof DomainError) return ended(null, { kind: 'configuration', message: error.message });
      this.logger.error(
        `push ${push.id}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
      );
      return ended(null, {
        kind: 'internal',
        message: error instanceof Error ? error.message : String(error),
      });
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
