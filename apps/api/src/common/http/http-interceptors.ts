import { type CallHandler, type ExecutionContext, Injectable, type NestInterceptor } from '@nestjs/common';
import { defer, type Observable } from 'rxjs';
import { EtagInterceptor } from './etag.interceptor';
import { IdempotencyInterceptor } from './idempotency.interceptor';
import { NoBodyInterceptor } from './no-body.interceptor';

/**
 * The app-wide interceptors, registered as one: NoBody (outermost), then Idempotency, then ETag, as when each was
 * an APP_INTERCEPTOR in that order. Nest wraps every interceptor of a call in its own deferred, async-scoped
 * Observable chain, which every REST request and every GraphQL resolver call paid three times; here the inner ones
 * are reached through a plain `defer`, still only when the outer one subscribes.
 */
@Injectable()
export class HttpInterceptors implements NestInterceptor {
  constructor(
    private readonly noBody: NoBodyInterceptor,
    private readonly idempotency: IdempotencyInterceptor,
    private readonly etag: EtagInterceptor,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    // None of them acts outside HTTP (GraphQL resolvers).
    if (context.getType() !== 'http') return next.handle();
    const toEtag: CallHandler = { handle: () => defer(() => this.etag.intercept(context, next)) };
    const toIdempotency: CallHandler = {
      handle: () => defer(() => this.idempotency.intercept(context, toEtag)),
    };
    return this.noBody.intercept(context, toIdempotency);
  }
}
