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

  it('passes a thrown error on as the error, and skips the remaining steps', () => {
    const error = new Error('boom');
    const after = vi.fn();
    const next = vi.fn<(error?: unknown) => void>();
    sequence(() => {
      throw error;
    }, after)(req, res, next);
    expect(after).not.toHaveBeenCalled();
    expect(next).toHaveBeenCalledTimes(1);
    expect(next).toHaveBeenCalledWith(error);
  });

  it('goes on from a step that calls next later, and catches a throw of the steps after it there', async () => {
    const error = new Error('after the body was read');
    let resume: (() => void) | undefined;
    const next = vi.fn<(error?: unknown) => void>();
    sequence(
      (_req, _res, nextStep) => {
        resume = () => nextStep();
      },
      () => {
        throw error;
      },
    )(req, res, next);
    expect(next).not.toHaveBeenCalled();
    // As a body parser's 'end' callback would: outside the call Express made, so nothing else would catch it.
    await Promise.resolve().then(() => resume?.());
    expect(next).toHaveBeenCalledTimes(1);
    expect(next).toHaveBeenCalledWith(error);
  });
});
