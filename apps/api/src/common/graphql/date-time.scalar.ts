import { GraphQLError, GraphQLScalarType, Kind, type ValueNode } from 'graphql';

/** RFC 3339 date-time (seconds and fraction optional), the format the scalar's description promises. */
const DATE_TIME =
  /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d{1,9})?)?(Z|[+-]([01]\d|2[0-3]):[0-5]\d)$/i;

function parse(value: unknown, node?: ValueNode): Date {
  const date = typeof value === 'string' && DATE_TIME.test(value) ? new Date(value) : null;
  if (!date || Number.isNaN(date.getTime())) {
    throw new GraphQLError(
      `DateTime must be a date-time string such as 2019-12-03T09:54:33Z, not ${
        typeof value === 'string' ? JSON.stringify(value.slice(0, 40)) : node ? node.kind : typeof value
      }`,
      node ? { nodes: node } : undefined,
    );
  }
  return date;
}

/**
 * Replaces @nestjs/graphql's GraphQLISODateTime (same name and description, so the schema does not change), which
 * turns any non-string literal into null (`pushes(since: 2026)` silently dropped the filter) and passes any
 * variable to `new Date()` (`true`, `[1]` or a number became dates). Anything but a date-time string is refused:
 * as a literal with GRAPHQL_VALIDATION_FAILED, as a variable with BAD_USER_INPUT.
 */
export const DateTimeScalar = new GraphQLScalarType<Date | null, string | null>({
  name: 'DateTime',
  description:
    'A date-time string at UTC, such as 2019-12-03T09:54:33Z, compliant with the date-time format.',
  serialize: (value) => (value instanceof Date ? value.toISOString() : null),
  parseValue: (value) => parse(value),
  parseLiteral: (ast) => parse(ast.kind === Kind.STRING ? ast.value : undefined, ast),
});
