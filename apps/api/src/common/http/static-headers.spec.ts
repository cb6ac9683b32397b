import type { Request, RequestHandler, Response } from 'express';
import helmet from 'helmet';
import { replayHeaders } from './static-headers';

function response() {
  const headers: Record<string, unknown> = { 'X-Powered-By': 'Express' };
  const res = {
    setHeader: (name: string, value: unknown) => (headers[name] = value),
    removeHeader: (name: string) => delete headers[name],
  };
  return { headers, res: res as unknown as Response };
}

function run(middleware: RequestHandler): Record<string, unknown> {
  const { headers, res } = response();
  let passed = false;
  void middleware({ headers: {}, method: 'GET', url: '/' } as Request, res, () => (passed = true));
  expect(passed).toBe(true);
  return headers;
}

describe('replayHeaders', () => {
  it('sets exactly what helmet sets, on every response', () => {
    const options = { contentSecurityPolicy: { directives: { defaultSrc: ["'self'"] } } };
    const replayed = replayHeaders(helmet(options));
    const expected = run(helmet(options));
    expect(Object.keys(expected).length).toBeGreaterThan(10);
    expect(run(replayed)).toEqual(expected);
    expect(run(replayed)).toEqual(expected);
  });

  it('refuses a middleware whose headers depend on the request', () => {
    const echo: RequestHandler = (req, res, next) => {
      res.setHeader('X-Echo', req.method);
      next();
    };
    expect(() => replayHeaders(echo)).toThrow(/read req.method/);
  });
});
