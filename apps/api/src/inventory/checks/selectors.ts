import { builtinFlows } from '@app/catalog';
import type { Prisma } from '@app/persistence';
import { ValidationFailed, type FieldError } from '../../common/errors/domain-error';
import { unknownSelectorMessage } from './checks';

type FlowReader = Pick<Prisma.TransactionClient, 'customFlow'>;

/** Selectors used by the builtin and custom flows of each catalog version (all versions when none is named). */
export async function selectorsByVersion(
  db: FlowReader,
  versions?: readonly string[],
): Promise<Map<string, Set<string>>> {
  const custom = await db.customFlow.findMany({
    where: { selector: { not: null }, ...(versions ? { version: { in: [...versions] } } : {}) },
    select: { version: true, selector: true },
  });
  const out = new Map<string, Set<string>>();
  const add = (version: string, selector: string | null | undefined): void => {
    if (versions && !versions.includes(version)) return;
    const set = out.get(version) ?? new Set<string>();
    if (selector) set.add(selector);
    out.set(version, set);
  };
  for (const version of versions ?? []) add(version, null);
  for (const flow of builtinFlows()) add(flow.version, flow.selector);
  for (const flow of custom) add(flow.version, flow.selector);
  return out;
}

/**
 * A selector no flow of the node's catalog version uses selects nothing: the node silently gets no rule for
 * it (the "sylog" typo). Refused with the selectors that version knows.
 */
export async function assertKnownSelectors(
  db: FlowReader,
  catalogVersion: string,
  selectors: readonly string[],
): Promise<void> {
  if (!selectors.length) return;
  const known = (await selectorsByVersion(db, [catalogVersion])).get(catalogVersion) ?? new Set<string>();
  const errors: FieldError[] = selectors.flatMap((selector, i) =>
    known.has(selector)
      ? []
      : [{ field: `selectors.${i}`, message: unknownSelectorMessage(selector, catalogVersion, known) }],
  );
  if (!errors.length) return;
  throw new ValidationFailed(
    [{ field: 'selectors', message: errors.map((e) => e.message).join('; ') }, ...errors],
    `selectors: ${errors.map((e) => e.message).join('; ')}`,
  );
}
