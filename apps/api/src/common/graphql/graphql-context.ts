import type { Request } from 'express';
import type { RequestAuthenticator } from '../../auth/request-authenticator';
import type { InventoryLoaderFactory, InventoryLoaders } from '../../inventory/inventory.loaders';
import { graphQLRequestError } from './graphql-errors';

export interface GraphQLContext {
  req: Request;
  loaders: InventoryLoaders;
}

/**
 * Apollo's context function, which runs before Apollo reads the operation: a caller without a valid token
 * (or over its rate limit) is answered there, so it costs no parsing, validation or introspection. The guard
 * on each root field then finds the principal already resolved and only checks scopes.
 */
export function authenticatedContext(
  authenticator: RequestAuthenticator,
  loaders: InventoryLoaderFactory,
): (args: { req: Request }) => Promise<GraphQLContext> {
  return async ({ req }) => {
    try {
      await authenticator.require(req, req.res);
    } catch (error) {
      throw graphQLRequestError(error);
    }
    return { req, loaders: loaders.create() };
  };
}
