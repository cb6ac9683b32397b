import type { IncomingMessage, ServerResponse } from 'node:http';
import type { NextFunction, Request, Response } from 'express';
import { requestContext } from '../request-context';
import { requireJsonBody } from './json-body.middleware';

/**
 * The app-wide request middleware, as one function: the request log (which assigns the request id), the request
 * context services read (request id, then the caller), then the JSON-body check.
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
