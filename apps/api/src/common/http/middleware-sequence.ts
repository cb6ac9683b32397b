import type { NextFunction, Request, RequestHandler, Response } from 'express';

/**
 * Synchronous Express middlewares run one after the other as a single layer: every layer costs every request a
 * hop through Express's router (match, dispatch, error wrapping), however little the middleware itself does. A step
 * that passes an error to `next` (or throws, which Express catches for the layer) skips the rest, as Express would.
 * Only for middlewares that call `next` before they return and never pass it 'route' or 'router'.
 */
export function sequence(...steps: RequestHandler[]): RequestHandler {
  return (req: Request, res: Response, next: NextFunction): void => {
    let index = 0;
    const step = (error?: unknown): void => {
      if (error) {
        next(error);
        return;
      }
      const current = steps[index];
      index += 1;
      if (current) void current(req, res, step);
      else next();
    };
    step();
  };
}
