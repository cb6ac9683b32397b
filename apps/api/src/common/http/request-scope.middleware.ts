import type { IncomingMessage, ServerResponse } from 'node:http';
import type { NextFunction, Request, Response } from 'express';
import { requestContext } from '../request-context';
import { requireJsonBody } from './json-body.middleware';

/**
 * The app-wide Nest middleware, as one function: the request log (which assigns the request id), the request
 * context services read (request id, then the caller), then the JSON-body check. One function rather than three
 * because Nest mounts each middleware on every path of `forRoutes('*path')` (the prefix, and each route outside it),
 * and Express tries every request against every one of those mounts.
 */
export function requestScope(
  accessLog: (req: IncomingMessage, res: ServerResponse) => void,
): (req: Request & { id?: unknown }, res: Response, next: NextFunction) => void {
  return (req, res, next) => {
    accessLog(req, res);
    requestContext.run(
      { requestId: typeof req.id === 'string' ? req.id : undefined },
      requireJsonBody,
      req,
      res,
      next,
    );
  };
}
