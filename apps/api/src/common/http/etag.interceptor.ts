import { type CallHandler, type ExecutionContext, Injectable, type NestInterceptor } from '@nestjs/common';
import type { Response } from 'express';
import { type Observable, tap } from 'rxjs';

/** Adds `ETag: "<version>"` to responses that carry one versioned resource. */
@Injectable()
export class EtagInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const res = context.switchToHttp().getResponse<Response>();
    return next.handle().pipe(
      tap((body: unknown) => {
        const resource = body as { version?: unknown; revision?: unknown } | null;
        // Catalog flows use `version` for the catalog version, so their ETag is `revision`.
        const version = typeof resource?.version === 'number' ? resource.version : resource?.revision;
        if (
          typeof version === 'number' &&
          typeof (body as { id?: unknown }).id === 'string' &&
          !res.headersSent
        ) {
          res.setHeader('ETag', `"${version}"`);
        }
      }),
    );
  }
}
