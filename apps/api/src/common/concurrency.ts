import { Prisma } from '@app/persistence';
import { DomainError } from './errors/domain-error';

/** `If-Match` / `expectedVersion`: refuse when the client's copy is stale. */
export function assertVersion(
  entity: string,
  id: string,
  current: number,
  expected: number | undefined,
): void {
  if (expected !== undefined && expected !== current) {
    throw new DomainError(
      'PRECONDITION_FAILED',
      `${entity} ${id} is at version ${current}, not ${expected}; re-read it and retry`,
      [],
      { currentVersion: current },
    );
  }
}

/**
 * Runs an update whose `where` pins the version read earlier. If another writer got there first the
 * row no longer matches (Prisma P2025), which is a lost race, not a missing row.
 */
export async function versionedWrite<T>(entity: string, id: string, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2025') {
      throw new DomainError(
        'PRECONDITION_FAILED',
        `${entity} ${id} was changed concurrently; re-read it and retry`,
      );
    }
    throw error;
  }
}

const LOCKABLE = {
  deployments: 'uuid',
  sites: 'uuid',
  zones: 'uuid',
  nodes: 'uuid',
  devices: 'uuid',
  site_links: 'uuid',
  publications: 'uuid',
  custom_flows: 'text',
} as const;

/**
 * Locks one row until the transaction ends, so concurrent updates of the same resource run one after
 * the other: each sees the other's result (and its version) instead of failing on a lost race.
 */
export async function lockRow(
  tx: { $executeRawUnsafe(query: string, ...values: unknown[]): Promise<number> },
  table: keyof typeof LOCKABLE,
  id: string,
): Promise<void> {
  await tx.$executeRawUnsafe(`SELECT 1 FROM "${table}" WHERE "id" = $1::${LOCKABLE[table]} FOR UPDATE`, id);
}
