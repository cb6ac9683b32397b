import type { Request } from 'express';
import type { RequestAuthenticator } from '../../auth/request-authenticator';
import type { InventoryLoaderFactory, InventoryLoaders } from '../../inventory/inventory.loaders';
import { ValidationFailed } from '../errors/domain-error';
import { graphQLRequestError } from './graphql-errors';
import { MAX_DOCUMENT_CHARS } from './query-limits';

export interface GraphQLContext {
  req: Request;
  loaders: InventoryLoaders;
}

/**
 * Apollo's context function, which runs before Apollo reads the operation: a caller without a valid token
 * (or over its rate limit) is answered there, so it costs no parsing, validation or introspection; so is a
 * document longer than any operation needs (the token limit bounds parsing, this bounds lexing). The guard
 * on each root field then finds the principal already resolved and only checks scopes.
 */
export function authenticatedContext(
  authenticator: RequestAuthenticator,
  loaders: InventoryLoaderFactory,
): (args: { req: Request }) => Promise<GraphQLContext> {
  return async ({ req }) => {
    try {
      await authenticator.require(req, req.res);
      const query = documentOf(req);
      if (typeof query === 'string' && query.length > MAX_DOCUMENT_CHARS) {
        throw ValidationFailed.field(
          'query',
          `the document has ${query.length} characters; the limit is ${MAX_DOCUMENT_CHARS} (send bulk input as variables)`,
        );
      }
    } catch (error) {
      throw graphQLRequestError(error);
    }
    return { req, loaders: loaders.create() };
  };
}

function documentOf(req: Request): unknown {
  if (req.method === 'GET') return req.query.query;
  return (req.body as { query?: unknown } | undefined)?.query;
}
