import { SetMetadata } from '@nestjs/common';
import type { AppConfig } from '../config/app-config';
import type { Scope } from './scopes';

export const PUBLIC_KEY = 'auth:public';
export const SCOPE_KEY = 'auth:scope';

export type PublicWhen = true | ((config: AppConfig) => boolean);

/**
 * Opts a route out of authentication: always (health checks), or only when the configuration says so (metrics
 * scraped without a token).
 */
export const Public = (when: PublicWhen = true): MethodDecorator & ClassDecorator =>
  SetMetadata(PUBLIC_KEY, when);

/**
 * The scope a route needs. Without it, REST reads (GET) need `read` and other methods `write`;
 * GraphQL queries need `read` and mutations `write`. So a new endpoint is guarded by default.
 */
export const RequireScope = (scope: Scope): MethodDecorator & ClassDecorator => SetMetadata(SCOPE_KEY, scope);
