import { DomainError, type FieldError } from '../common/errors/domain-error';
import { currentRequest, requestContext } from '../common/request-context';
import { grants, type Scope } from './scopes';

/**
 * Whether the caller holds `scope`. The route's own scope is checked by AuthGuard; this is for what a request
 * changes (a `write` route whose body would make the service contact or write to a firewall). Code running
 * outside any request (scheduler, CLI) has no token and is trusted; a request without a principal is refused.
 */
export function callerHolds(scope: Scope): boolean {
  const { principal } = currentRequest();
  if (principal) return grants(principal.scopes, scope);
  return requestContext.getStore() === undefined;
}

/**
 * Refuses (403 FORBIDDEN, `requiredScope` in the details) unless the caller holds `scope`; `errors` name the fields
 * of the request that need it.
 */
export function assertCallerHolds(
  scope: Scope,
  errors: FieldError[],
  details: Record<string, unknown> = {},
): void {
  if (callerHolds(scope)) return;
  const name = currentRequest().principal?.name ?? 'the caller';
  throw new DomainError(
    'FORBIDDEN',
    `token ${name} lacks the "${scope}" scope: ${errors.map((e) => e.message).join('; ')}`,
    errors,
    { requiredScope: scope, ...details },
  );
}
