import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Prisma } from '@app/persistence';

/** Names a service instance in push events: pushes can move between replicas (retries, recovery). */
export function instanceName(): string {
  return `${hostname()}:${process.pid}:${randomBytes(2).toString('hex')}`;
}

/** Appends to a push's event log in SQL, so concurrent writers (worker, cancel, recovery) never lose an entry. */
export async function appendPushEvent(
  tx: Prisma.TransactionClient,
  pushId: string,
  message: string,
): Promise<void> {
  const entry = JSON.stringify([{ at: new Date().toISOString(), message }]);
  await tx.$executeRaw`UPDATE "pushes" SET "events" = "events" || ${entry}::jsonb WHERE "id" = ${pushId}::uuid`;
}

export function firstEvent(message: string): Prisma.InputJsonValue {
  return [{ at: new Date().toISOString(), message }];
}
