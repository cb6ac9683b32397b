import type { NextFunction, Request, RequestHandler, Response } from 'express';

/**
 * Express middlewares run one after the other as a single layer: every layer costs every request a hop through
 * Express's router (match, dispatch, error wrapping), however little the middleware itself does. A step that passes
 * an error to `next`, or throws, skips the rest, as Express would. A step may call `next` later (a body parser does,
 * once it has read the body): the steps after it then run from that callback, where Express would no longer catch a
 * throw, so the sequence catches it. For middlewares that never pass `next` 'route' or 'router'.
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
      if (!current) {
        next();
        return;
      }
      try {
        void current(req, res, step);
      } catch (thrown) {
        next(thrown);
      }
    };
    step();
  };
}
