import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';

/**
 * The version an `If-Match` header expects: undefined when absent or `*`; an ETag that is not one of
 * ours can never match, so it becomes -1 (answered with 412).
 */
export const IfMatch = createParamDecorator((_data: unknown, ctx: ExecutionContext): number | undefined => {
  const header = ctx.switchToHttp().getRequest<Request>().headers['if-match'];
  if (header === undefined || header.trim() === '*') return undefined;
  const match = /^\s*(?:W\/)?"(\d{1,9})"\s*$/.exec(header);
  return match ? Number(match[1]) : -1;
});
