import { Logger } from '@nestjs/common';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { DomainError } from '../errors/domain-error';
import { formatGraphQLError, graphQLRequestError } from './graphql-errors';

/** What Apollo hands formatError: the error as JSON, with a code (INTERNAL_SERVER_ERROR when it had none). */
function formatted(error: GraphQLError): GraphQLFormattedError {
  const { http: _http, ...extensions } = error.extensions;
  return {
    ...error.toJSON(),
    extensions: { ...extensions, code: extensions.code ?? 'INTERNAL_SERVER_ERROR' },
  };
}

describe('GraphQL error formatting', () => {
  it('keeps the code of errors already classified (filter, Apollo request errors)', () => {
    const error = new GraphQLError('Syntax Error', { extensions: { code: 'GRAPHQL_PARSE_FAILED' } });
    expect(formatGraphQLError(formatted(error), error)).toEqual(formatted(error));
  });

  it('gives an error thrown outside a resolver the shared mapping', () => {
    const cause = new DomainError('NOT_FOUND', 'site x not found', [], { entity: 'site' });
    const error = new GraphQLError(cause.message, { originalError: cause });
    expect(formatGraphQLError(formatted(error), error)).toMatchObject({
      message: 'site x not found',
      extensions: { code: 'NOT_FOUND', status: 404, entity: 'site' },
    });
  });

  it('names the code of the 4xx status Apollo answered an uncoded error with', () => {
    const error = new GraphQLError('provided sha does not match query', {
      extensions: { http: { status: 400 } },
    });
    expect(formatGraphQLError(formatted(error), error).extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      status: 400,
    });
  });

  it('never shows the message of an unexpected error, and logs it', () => {
    const log = vi.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    const cause = new Error('connect ECONNREFUSED postgres://admin:hunter2@db');
    const error = new GraphQLError(cause.message, { originalError: cause });
    const result = formatGraphQLError(formatted(error), error);
    expect(result.message).toBe('Internal server error');
    expect(result.extensions?.code).toBe('INTERNAL_SERVER_ERROR');
    expect(JSON.stringify(result)).not.toContain('hunter2');
    expect(log).toHaveBeenCalledWith(expect.stringContaining('ECONNREFUSED'));
    log.mockRestore();
  });

  it('turns a domain error into a request-level error with its HTTP status', () => {
    const error = graphQLRequestError(new DomainError('UNAUTHENTICATED', 'a valid bearer token is required'));
    expect(error.message).toBe('a valid bearer token is required');
    expect(error.extensions).toEqual({ code: 'UNAUTHENTICATED', status: 401, http: { status: 401 } });
  });
});
