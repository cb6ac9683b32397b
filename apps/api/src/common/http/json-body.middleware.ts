import type { NextFunction, Request, Response } from 'express';
import { DomainError } from '../errors/domain-error';

const WITH_BODY = new Set(['POST', 'PUT', 'PATCH']);

/**
 * Refuses write requests whose body is not `application/json` with 415. The JSON parser reads nothing else, so
 * without this a form, text or `+json` body would be validated as `{}` and answered with a misleading "field is
 * required".
 */
export function requireJsonBody(req: Request, _res: Response, next: NextFunction): void {
  const hasBody =
    Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
  if (WITH_BODY.has(req.method) && hasBody && !req.is('application/json')) {
    next(
      new DomainError(
        'UNSUPPORTED_MEDIA_TYPE',
        `request bodies must be JSON (Content-Type: application/json), not ${req.headers['content-type'] ?? 'unspecified'}`,
      ),
    );
    return;
  }
  next();
}
