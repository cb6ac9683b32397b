import type { NextFunction, Request, Response } from 'express';
import { DomainError } from '../errors/domain-error';

const WITH_BODY = new Set(['POST', 'PUT', 'PATCH']);

/**
 * Refuses write requests whose body is not JSON with 415. Without it a form or text body would be ignored by the
 * JSON parser and validated as `{}`, answering a misleading "field is missing".
 */
export function requireJsonBody(req: Request, _res: Response, next: NextFunction): void {
  const hasBody =
    Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
  if (WITH_BODY.has(req.method) && hasBody && !req.is(['application/json', 'application/*+json'])) {
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
