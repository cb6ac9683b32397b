import type { Device, Prisma, Push, PushState, PushTrigger, Vendor } from '@app/persistence';

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

/** A `devices` row as `to_jsonb(d)` returns it (column names, timestamps as ISO strings). */
export interface DeviceJson {
  id: string;
  site_id: string;
  name: string;
  vendor: Vendor;
  management_url: string;
  endpoint_key: string | null;
  credentials_encrypted: string | null;
  credential_kind: string | null;
  tls_ca_bundle: string | null;
  tls_fingerprint: string | null;
  tls_insecure: boolean;
  vdom: string | null;
  schedule: string | null;
  enabled: boolean;
  version: number;
  created_at: string;
  updated_at: string;
}

/** The Prisma model of a device row read as JSON inside another statement (the push claim). */
export function deviceOfJson(row: DeviceJson): Device {
  return {
    id: row.id,
    siteId: row.site_id,
    name: row.name,
    vendor: row.vendor,
    managementUrl: row.management_url,
    endpointKey: row.endpoint_key,
    credentialsEncrypted: row.credentials_encrypted,
    credentialKind: row.credential_kind,
    tlsCaBundle: row.tls_ca_bundle,
    tlsFingerprint: row.tls_fingerprint,
    tlsInsecure: row.tls_insecure,
    vdom: row.vdom,
    schedule: row.schedule,
    enabled: row.enabled,
    version: row.version,
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
  };
}
