import { Conflict } from './errors/domain-error';

/**
 * The 409 for a name another row already carries, in one wording and shape for every entity: the
 * `name` field error and the holder's id. `within` names the parent a name is unique in (nodes and zones
 * are unique per site); without it the name is unique across the entity.
 */
export function refuseTakenName(
  entity: string,
  name: string,
  holder: { id: string } | null,
  within?: 'site',
): void {
  if (!holder) return;
  throw new Conflict(
    within
      ? `${within} already has a ${entity} named "${name}"`
      : `a ${entity} named "${name}" already exists`,
    [
      {
        field: 'name',
        message: within ? `name is already taken in this ${within}` : 'name is already taken',
      },
    ],
    { existingId: holder.id },
  );
}

/**
 * The 409 for deleting a row that others still reference (without `cascade`): every kind of referencing
 * row rides in `details.referencedBy`, so the client sees what to delete or move first. Nothing is
 * thrown while every list is empty.
 */
export function refuseWhileReferenced(
  message: string,
  referencedBy: Record<string, readonly unknown[]>,
): void {
  if (Object.values(referencedBy).some((rows) => rows.length > 0)) {
    throw new Conflict(message, [], { referencedBy });
  }
}
