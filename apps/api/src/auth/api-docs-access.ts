import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { RequestAuthenticator } from './request-authenticator';

/** Where SwaggerModule serves the OpenAPI document (JSON, YAML) and Swagger UI with its assets. */
export const API_DOCS_PATHS = ['/api/docs', '/api/openapi.json', '/api/openapi.yaml'];

/**
 * With API_DOCS=token, the docs need a valid token of any scope. SwaggerModule registers them on Express
 * directly, outside Nest's router, so the guard never sees them; this middleware, mounted ahead of them, does
 * what the guard would (401 with a challenge, 429 over the token's rate limit).
 */
export function apiDocsAccess(authenticator: RequestAuthenticator): RequestHandler {
  return (req: Request, res: Response, next: NextFunction): void => {
    authenticator.require(req, res).then(() => next(), next);
  };
}
