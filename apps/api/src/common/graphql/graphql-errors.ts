import { inspect } from 'node:util';
import { HttpException, Logger } from '@nestjs/common';
import { unwrapResolverError } from '@apollo/server/errors';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { normaliseError, type NormalisedError } from '../errors/error-mapping';

const logger = new Logger('Errors');

/**
 * A request-level GraphQL error (raised before any operation runs) with the code, status and details of the
 * shared error mapping; Apollo answers it with that HTTP status and `{ errors: [...] }`.
 */
export function graphQLRequestError(error: unknown): GraphQLError {
  const problem = normaliseError(error);
  return new GraphQLError(problem.detail, {
    extensions: { ...extensionsOf(problem), http: { status: problem.status } },
  });
}

/**
 * Apollo `formatError`: every error a client receives carries an `extensions.code`. Resolver errors already
 * went through the exception filter, and Apollo's own request errors (parse, validation, persisted queries)
 * carry Apollo's codes; this covers the rest: errors thrown outside a resolver get the shared mapping, errors
 * Apollo answered with a 4xx status but no code get the code of that status, and unexpected errors never show
 * their message.
 */
export function formatGraphQLError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
  const code = formatted.extensions?.code;
  if (typeof code === 'string' && code !== 'INTERNAL_SERVER_ERROR') return formatted;
  const original = unwrapResolverError(error);
  const cause = original instanceof GraphQLError ? original.originalError : original;
  if (cause !== undefined && !(cause instanceof GraphQLError)) {
    const problem = normaliseError(cause);
    if (problem.unexpected)
      logger.error(cause instanceof Error ? (cause.stack ?? cause.message) : inspect(cause));
    return { ...formatted, message: problem.detail, extensions: extensionsOf(problem) };
  }
  const status = httpStatusOf(original);
  if (status !== undefined && status >= 400 && status < 500) {
    const problem = normaliseError(new HttpException(formatted.message, status));
    return { ...formatted, extensions: { ...formatted.extensions, code: problem.code, status } };
  }
  return { ...formatted, extensions: { ...formatted.extensions, code: 'INTERNAL_SERVER_ERROR' } };
}

/** The same extensions the exception filter gives resolver errors. */
function extensionsOf(problem: NormalisedError): Record<string, unknown> {
  return {
    code: problem.code,
    status: problem.status,
    ...(problem.errors.length ? { errors: problem.errors } : {}),
    ...problem.details,
  };
}

function httpStatusOf(error: unknown): number | undefined {
  if (!(error instanceof GraphQLError)) return undefined;
  const http = error.extensions.http as { status?: unknown } | undefined;
  return typeof http?.status === 'number' ? http.status : undefined;
}
