import { AsyncLocalStorage } from 'node:async_hooks';

export interface Principal {
  tokenId: string;
  name: string;
  scopes: string[];
  /** Tenants the token is limited to; empty or absent: a provider token, which sees every resource. */
  tenantIds?: readonly string[];
}

export interface RequestState {
  requestId?: string;
  principal?: Principal;
  /**
   * Set while the service reads on its own behalf (e.g. the whole inventory for the rule engine): the
   * principal's tenant limits do not apply to those reads. See TenantScope.
   */
  system?: boolean;
}

/**
 * Per-request state (request id, authenticated token) available to services without threading it
 * through every call: audit entries and idempotency records read it.
 */
export const requestContext = new AsyncLocalStorage<RequestState>();

export function currentRequest(): RequestState {
  return requestContext.getStore() ?? {};
}
