import { SetMetadata } from '@nestjs/common';
import type { Scope } from './scopes';

export const PUBLIC_KEY = 'auth:public';
export const SCOPE_KEY = 'auth:scope';

/** Opts a route out of authentication (health checks only). */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(PUBLIC_KEY, true);

/**
 * The scope a route needs. Without it, REST reads (GET) need `read` and other methods `write`;
 * GraphQL queries need `read` and mutations `write`. So a new endpoint is guarded by default.
 */
export const RequireScope = (scope: Scope): MethodDecorator & ClassDecorator => SetMetadata(SCOPE_KEY, scope);
