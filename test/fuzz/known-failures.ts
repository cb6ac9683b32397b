import type { Violation } from './harness';

/**
 * Failure classes the fuzz suite still finds and that are KNOWN (reported, with a fix under way). They are the
 * only thing skipped: a violation matching an entry is printed and does not fail the run; everything else
 * does. Remove an entry as soon as its fix lands (the run prints which entries matched nothing, i.e. which
 * are ready to be removed). Never add an entry to make an unknown failure pass.
 */
export interface KnownFailure {
  id: string;
  surface: 'rest' | 'graphql';
  /** What goes wrong and who is fixing it. */
  reason: string;
  matches(v: Violation): boolean;
}

export const KNOWN_FAILURES: KnownFailure[] = [
  {
    id: 'graphql-after-null',
    surface: 'graphql',
    reason:
      'GraphQL connections with `after: null` answer INTERNAL_SERVER_ERROR: the cursor decoder in ' +
      'common/pagination/pagination.ts checks `after !== undefined` and then decodes null (reported in ' +
      'notes/fuzz-findings.md; pagination.ts is being changed by the offset/pagination fix)',
    matches: (v) => {
      if (v.rule !== 'GraphQL INTERNAL_SERVER_ERROR' || v.request.body?.kind !== 'json') return false;
      const { query, variables } = v.request.body.value as {
        query?: string;
        variables?: { after?: unknown };
      };
      return /after: null/.test(query ?? '') || variables?.after === null;
    },
  },
];
