import type { NextFunction, Request, Response } from 'express';
import { ValidationFailed, type FieldError } from '../errors/domain-error';

/**
 * Limits every string and structure a client sends must respect, whatever the route: checked on the parsed
 * JSON body and query string before anything else reads them, and on path parameters and GraphQL arguments
 * in the global validation pipe.
 */
export const INPUT_LIMITS = {
  /**
   * Deepest nesting of objects and arrays. No input of this API nests deeper than 6; class-transformer
   * recurses per level and overflows the stack at a few thousand.
   */
  maxDepth: 32,
  /**
   * Longest string anywhere in an input: the default of every field without a limit of its own, and a ceiling
   * above every declared one (a PEM CA bundle: 65,536; a GraphQL document: 100,000, refused by the GraphQL layer
   * with its own message), since this walk cannot tell fields apart.
   */
  maxStringLength: 131_072,
  /** Longest object key; keys are field names, echoed in error messages, so they stay short. */
  maxKeyLength: 200,
  /** Problems reported for one input; the rest are counted by the error renderer. */
  maxErrors: 50,
} as const;

/** Keys that change an object's prototype when a library copies them with plain assignment. */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
/**
 * A lone UTF-16 surrogate (`"\ud800"` in JSON) cannot be encoded in UTF-8, so PostgreSQL would store U+FFFD
 * instead: what is read back would not be what was written. In `u` mode a valid pair is one code point, so
 * only lone halves match.
 */
const LONE_SURROGATE = /\p{Cs}/u;

interface Frame {
  value: unknown;
  path: string;
  depth: number;
}

/**
 * Walks a parsed input without recursion (so depth itself cannot overflow the stack) and reports NUL
 * characters (PostgreSQL text cannot hold U+0000 and would fail the statement), over-long strings and keys,
 * prototype-polluting keys and excessive nesting, each by field path (`interfaces.1.name`).
 */
export function inspectInput(value: unknown, root = ''): FieldError[] {
  const errors: FieldError[] = [];
  const stack: Frame[] = [{ value, path: root, depth: 0 }];
  while (stack.length > 0 && errors.length < INPUT_LIMITS.maxErrors) {
    const { value: current, path, depth } = stack.pop() as Frame;
    if (typeof current === 'string') {
      const field = path || 'value';
      if (current.includes('\u0000')) {
        errors.push({ field, message: `${field} must not contain NUL characters (U+0000)` });
      } else if (LONE_SURROGATE.test(current)) {
        errors.push({ field, message: `${field} must be well-formed Unicode (no lone surrogate)` });
      } else if (current.length > INPUT_LIMITS.maxStringLength) {
        errors.push({
          field,
          message: `${field} must be at most ${INPUT_LIMITS.maxStringLength} characters`,
        });
      }
      continue;
    }
    if (typeof current !== 'object' || current === null || current instanceof Date) continue;
    if (depth >= INPUT_LIMITS.maxDepth) {
      const field = path || 'body';
      errors.push({ field, message: `${field} nests deeper than ${INPUT_LIMITS.maxDepth} levels` });
      continue;
    }
    const entries: [string, unknown][] = Array.isArray(current)
      ? current.map((item, index) => [String(index), item])
      : Object.keys(current).map((key) => [key, (current as Record<string, unknown>)[key]]);
    const children: Frame[] = [];
    for (const [key, child] of entries) {
      const keyProblem = Array.isArray(current) ? null : describeKey(key);
      if (keyProblem) {
        const field = keyProblem.safe ? join(path, key) : path || 'body';
        errors.push({ field, message: `${field}: ${keyProblem.message}` });
      } else {
        children.push({ value: child, path: join(path, key), depth: depth + 1 });
      }
    }
    // Reversed so the stack visits fields in document order and the first errors reported are the first ones.
    for (let i = children.length - 1; i >= 0; i -= 1) stack.push(children[i]);
  }
  return errors.slice(0, INPUT_LIMITS.maxErrors);
}

function describeKey(key: string): { message: string; safe: boolean } | null {
  if (FORBIDDEN_KEYS.has(key)) return { message: `the key "${key}" is not allowed`, safe: true };
  if (key.includes('\u0000'))
    return { message: 'keys must not contain NUL characters (U+0000)', safe: false };
  if (LONE_SURROGATE.test(key)) return { message: 'keys must be well-formed Unicode', safe: false };
  if (key.length > INPUT_LIMITS.maxKeyLength) {
    return { message: `keys must be at most ${INPUT_LIMITS.maxKeyLength} characters`, safe: false };
  }
  return null;
}

function join(parent: string, key: string): string {
  return parent ? `${parent}.${key}` : key;
}

/** Throws the 400 for an input that breaks INPUT_LIMITS. */
export function assertSafeInput(value: unknown, root = ''): void {
  const errors = inspectInput(value, root);
  if (errors.length) throw new ValidationFailed(errors, summariseFieldErrors(errors));
}

/** The `detail` of a validation problem: the first few messages, then how many more there are. */
export function summariseFieldErrors(errors: FieldError[], shown = 10): string {
  if (errors.length === 0) return 'The request is invalid';
  const head = errors.slice(0, shown).map((e) => e.message);
  return errors.length > shown ? `${head.join('; ')}; and ${errors.length - shown} more` : head.join('; ');
}

/**
 * Express middleware, after the JSON parser: the body and query string of every route (REST and /graphql,
 * whose variables are in the body) are checked before any controller, pipe or GraphQL executor reads them.
 */
export function inputGuard(req: Request, _res: Response, next: NextFunction): void {
  try {
    assertSafeInput(req.query);
    if (req.body !== undefined) assertSafeInput(req.body);
    next();
  } catch (error) {
    next(error);
  }
}
