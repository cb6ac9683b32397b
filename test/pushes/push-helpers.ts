import type { Database } from '@app/persistence';
import { DATABASE } from '../../apps/api/src/database/database.module';
import { PrismaService } from '../../apps/api/src/database/prisma.service';
import { DeviceLocks } from '../../apps/api/src/jobs/device-locks.service';
import type { TestApp } from '../utils/create-test-app';

export interface PushBody {
  id: string;
  deviceId: string;
  fleetId: string | null;
  trigger: string;
  actor: string;
  reason: string | null;
  ticket: string | null;
  dryRun: boolean;
  state: string;
  scheduledFor: string | null;
  ruleSetHash: string | null;
  plan: { changes: { op: string; name: string }[] } | null;
  result: {
    apply: { writes: number; results: { status: string; name: string }[] } | null;
    verified: boolean | null;
    restore?: { status: string; live: string; writes: number; actions: string[] } | null;
  } | null;
  writes: number | null;
  attempts: number;
  errorClass: string | null;
  errorMessage: string | null;
  events: { at: string; message: string }[];
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  durationMs: number | null;
}

const FINAL = new Set(['succeeded', 'failed', 'cancelled', 'noop']);

export async function waitFor<T>(
  probe: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 30_000,
  what = 'condition',
): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = await probe();
    if (done(value)) return value;
    if (Date.now() - started > timeoutMs)
      throw new Error(`timed out waiting for ${what}: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function getPush(t: TestApp, id: string): Promise<PushBody> {
  const res = await t.http().get(`/api/v1/pushes/${id}`);
  if (res.status !== 200) throw new Error(`GET /pushes/${id} → ${res.status}`);
  return res.body as PushBody;
}

export function waitForPush(
  t: TestApp,
  id: string,
  states: string[] = [...FINAL],
  timeoutMs = 30_000,
): Promise<PushBody> {
  return waitFor(
    () => getPush(t, id),
    (p) => states.includes(p.state),
    timeoutMs,
    `push ${id} to reach ${states.join('/')}`,
  );
}

export async function requestPush(
  t: TestApp,
  deviceId: string,
  body: Record<string, unknown> = {},
): Promise<PushBody> {
  const res = await t.http().post(`/api/v1/devices/${deviceId}/pushes`).send(body);
  if (res.status !== 202) throw new Error(`POST push → ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body as PushBody;
}

/** Holds a device's lock in this instance, as a push to it would, until `release`. */
export function holdDevice(t: TestApp, deviceId: string): { release(): Promise<void> } {
  let free!: () => void;
  const held = t.app.get(DeviceLocks).run(deviceId, () => new Promise<void>((resolve) => (free = resolve)));
  return {
    release: () => {
      free();
      return held;
    },
  };
}

/** Waits until a worker pool has fetched the push's job (pg-boss `active`: running, or waiting for its device). */
export async function waitUntilFetched(t: TestApp, pushId: string): Promise<string> {
  const { jobId } = await t.app
    .get(PrismaService)
    .push.findUniqueOrThrow({ where: { id: pushId }, select: { jobId: true } });
  const db = t.app.get<Database>(DATABASE);
  await waitFor(
    async () =>
      (await db.sql.query<{ state: string }>('SELECT state FROM pgboss.job WHERE id = $1', [jobId]))[0]
        ?.state,
    (state) => state === 'active',
    10_000,
    `push ${pushId} to be fetched`,
  );
  return jobId!;
}
