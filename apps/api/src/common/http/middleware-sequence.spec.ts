import type { Request, RequestHandler, Response } from 'express';
import { sequence } from './middleware-sequence';

const req = {} as Request;
const res = {} as Response;

describe('sequence', () => {
  it('runs the steps in order, then the next layer once', () => {
    const calls: string[] = [];
    const step =
      (name: string): RequestHandler =>
      (_req, _res, next) => {
        calls.push(name);
        next();
      };
    const next = vi.fn<(error?: unknown) => void>();
    sequence(step('a'), step('b'), step('c'))(req, res, next);
    expect(calls).toEqual(['a', 'b', 'c']);
    expect(next).toHaveBeenCalledTimes(1);
    expect(next).toHaveBeenCalledWith();
  });

  it("passes a step's error on and skips the remaining steps", () => {
    const error = new Error('refused');
    const after = vi.fn();
    const next = vi.fn<(error?: unknown) => void>();
    sequence((_req, _res, nextStep) => nextStep(error), after)(req, res, next);
    expect(after).not.toHaveBeenCalled();
    expect(next).toHaveBeenCalledTimes(1);
    expect(next).toHaveBeenCalledWith(error);
  });

  it("lets a thrown error reach Express, which turns it into the layer's error", () => {
    const after = vi.fn();
    const middleware = sequence(() => {
      throw new Error('boom');
    }, after);
    expect(() => middleware(req, res, vi.fn())).toThrow('boom');
    expect(after).not.toHaveBeenCalled();
  });
});
