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
