import type { NextFunction, Request, RequestHandler, Response } from 'express';

type HeaderValue = string | number | readonly string[];

/**
 * A header-setting middleware whose output never depends on the request (helmet with a fixed policy), run once at
 * start and replayed: the same headers on every response for one middleware hop instead of a dozen (helmet chains one
 * per header). Refuses a middleware that reads the request, answers, or calls next with an error.
 */
export function replayHeaders(middleware: RequestHandler): RequestHandler {
  const set: [string, HeaderValue][] = [];
  const removed: string[] = [];
  const request = new Proxy({} as Request, {
    get(_target, property) {
      throw new Error(`replayHeaders: the middleware read req.${String(property)}; it is not static`);
    },
  });
  const recorder = {
    setHeader(name: string, value: HeaderValue) {
      set.push([name, value]);
      return recorder;
    },
    removeHeader(name: string) {
      removed.push(name);
    },
  };
  let passed = false;
  void middleware(request, recorder as unknown as Response, (error?: unknown) => {
    if (error) throw error instanceof Error ? error : new Error('replayHeaders: the middleware failed');
    passed = true;
  });
  if (!passed) throw new Error('replayHeaders: the middleware did not call next() synchronously');
  return (_req: Request, res: Response, next: NextFunction): void => {
    for (const [name, value] of set) res.setHeader(name, value);
    for (const name of removed) res.removeHeader(name);
    next();
  };
}
