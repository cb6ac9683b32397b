import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { ROUTE_ARGS_METADATA } from '@nestjs/common/constants';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum';
import type { Request } from 'express';
import { ValidationFailed } from '../errors/domain-error';

/**
 * A REST route that declares no `@Body()` (plan, live drift check, cancel) used to accept and ignore any JSON
 * it was sent, so a client that thought it was passing options got a 2xx as if they had been honoured. Such
 * routes now refuse a non-empty body, the same way a DTO refuses unknown fields. Keyed off Nest's own route
 * argument metadata, so a route that gains a body stops being checked without anyone remembering to.
 *
 * A guard rather than an interceptor: it only looks at the request, and an interceptor anywhere in the app puts
 * every route's answer through an Observable chain. Run after authentication (see HttpGuards), as it always was.
 */
@Injectable()
export class NoBodyGuard implements CanActivate {
  private readonly takesBody = new WeakMap<object, boolean>();

  canActivate(context: ExecutionContext): boolean {
    if (context.getType() !== 'http') return true;
    const handler = context.getHandler();
    let takes = this.takesBody.get(handler);
    if (takes === undefined) {
      const args = (Reflect.getMetadata(ROUTE_ARGS_METADATA, context.getClass(), handler.name) ??
        {}) as Record<string, unknown>;
      // Nest keys route arguments as "<RouteParamtypes>:<index>".
      const bodyTypes = new Set([String(RouteParamtypes.BODY), String(RouteParamtypes.RAW_BODY)]);
      takes = Object.keys(args).some((key) => bodyTypes.has(key.split(':')[0]));
      this.takesBody.set(handler, takes);
    }
    const body = context.switchToHttp().getRequest<Request>().body as unknown;
    if (!takes && !isEmptyBody(body)) {
      throw ValidationFailed.field('body', 'this route takes no request body; send none (or {})');
    }
    return true;
  }
}

function isEmptyBody(body: unknown): boolean {
  if (body === undefined) return true;
  return typeof body === 'object' && body !== null && !Array.isArray(body) && Object.keys(body).length === 0;
}
