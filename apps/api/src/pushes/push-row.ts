import type { Prisma, Push, PushState, PushTrigger } from '@app/persistence';

/** A `pushes` row as raw SQL returns it. */
export interface PushRow {
  id: string;
  device_id: string;
  fleet_id: string | null;
  trigger: PushTrigger;
  actor: string;
  reason: string | null;
  ticket: string | null;
  dry_run: boolean;
  state: PushState;
  scheduled_for: Date | null;
  rule_set_hash: string | null;
  plan: Prisma.JsonValue | null;
  result: Prisma.JsonValue | null;
  writes: number | null;
  attempts: number;
  job_id: string | null;
  error_class: string | null;
  error_message: string | null;
  error: Prisma.JsonValue | null;
  events: Prisma.JsonValue;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
  events_emitted_at: Date | null;
  updated_at: Date;
}

/** The Prisma model of a row read with raw SQL (`RETURNING *`). */
export function pushOfRow(row: PushRow): Push {
  return {
    id: row.id,
    deviceId: row.device_id,
    fleetId: row.fleet_id,
    trigger: row.trigger,
    actor: row.actor,
    reason: row.reason,
    ticket: row.ticket,
    dryRun: row.dry_run,
    state: row.state,
    scheduledFor: row.scheduled_for,
    ruleSetHash: row.rule_set_hash,
    plan: row.plan,
    result: row.result,
    writes: row.writes,
    attempts: row.attempts,
    jobId: row.job_id,
    errorClass: row.error_class,
    errorMessage: row.error_message,
    error: row.error,
    events: row.events,
    createdAt: row.created_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    eventsEmittedAt: row.events_emitted_at,
    updatedAt: row.updated_at,
  };
}
