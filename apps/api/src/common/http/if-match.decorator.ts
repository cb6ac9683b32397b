import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { ApiHeader, ApiResponse } from '@nestjs/swagger';
import type { Request } from 'express';

/** Documents If-Match and its 412 on the route that takes the parameter, so the two cannot drift apart. */
function documentIfMatch(target: object, key: string | symbol | undefined): void {
  if (key === undefined) return;
  const descriptor = Object.getOwnPropertyDescriptor(target, key);
  if (!descriptor) return;
  ApiHeader({
    name: 'If-Match',
    required: false,
    description: 'The ETag of the version you read; a stale one answers 412 and changes nothing',
  })(target, key, descriptor);
  ApiResponse({
    status: 412,
    description: 'If-Match does not match the current version',
    content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
  })(target, key, descriptor);
}

/**
 * The version an `If-Match` header expects: undefined when absent or `*`; an ETag that is not one of
 * ours can never match, so it becomes -1 (answered with 412).
 */
export const IfMatch = createParamDecorator(
  (_data: unknown, ctx: ExecutionContext): number | undefined => {
    const header = ctx.switchToHttp().getRequest<Request>().headers['if-match'];
    if (header === undefined || header.trim() === '*') return undefined;
    const match = /^\s*(?:W\/)?"(\d{1,9})"\s*$/.exec(header);
    return match ? Number(match[1]) : -1;
  },
  [documentIfMatch],
);
