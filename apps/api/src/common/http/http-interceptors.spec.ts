import type { CallHandler, ExecutionContext, NestInterceptor } from '@nestjs/common';
import { lastValueFrom, map, of } from 'rxjs';
import type { EtagInterceptor } from './etag.interceptor';
import { HttpInterceptors } from './http-interceptors';
import type { IdempotencyInterceptor } from './idempotency.interceptor';
import type { NoBodyInterceptor } from './no-body.interceptor';

/** An interceptor that records when it runs and marks the result on its way out. */
function recording(name: string, calls: string[]): NestInterceptor {
  return {
    intercept: (_context: ExecutionContext, next: CallHandler) => {
      calls.push(name);
      return next.handle().pipe(map((body: unknown) => `${name}(${String(body)})`));
    },
  };
}

function compose(calls: string[]): HttpInterceptors {
  return new HttpInterceptors(
    recording('noBody', calls) as NoBodyInterceptor,
    recording('idempotency', calls) as unknown as IdempotencyInterceptor,
    recording('etag', calls) as EtagInterceptor,
  );
}

const context = (type: string): ExecutionContext => ({ getType: () => type }) as unknown as ExecutionContext;

describe('HttpInterceptors', () => {
  it('runs NoBody, Idempotency and ETag around the handler, outermost first, each once', async () => {
    const calls: string[] = [];
    const handler: CallHandler = {
      handle: () => {
        calls.push('handler');
        return of('body');
      },
    };
    const result = compose(calls).intercept(context('http'), handler);
    // The inner ones run only once the outer one's result is subscribed to, as in Nest's own chain.
    expect(calls).toEqual(['noBody']);
    await expect(lastValueFrom(result)).resolves.toBe('noBody(idempotency(etag(body)))');
    expect(calls).toEqual(['noBody', 'idempotency', 'etag', 'handler']);
  });

  it('leaves GraphQL resolver calls to the handler alone', async () => {
    const calls: string[] = [];
    const result = compose(calls).intercept(context('graphql'), { handle: () => of('field') });
    await expect(lastValueFrom(result)).resolves.toBe('field');
    expect(calls).toEqual([]);
  });
});
