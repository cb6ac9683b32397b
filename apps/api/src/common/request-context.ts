import { AsyncLocalStorage } from 'node:async_hooks';

export interface Principal {
  tokenId: string;
  name: string;
  scopes: string[];
}

export interface RequestState {
  requestId?: string;
  principal?: Principal;
}

/**
 * Per-request state (request id, authenticated token) available to services without threading it
 * through every call: audit entries and idempotency records read it.
 */
export const requestContext = new AsyncLocalStorage<RequestState>();

export function currentRequest(): RequestState {
  return requestContext.getStore() ?? {};
}
