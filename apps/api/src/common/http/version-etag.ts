import type { Express, Response } from 'express';
import { REPLAYED_HEADER } from './idempotency.interceptor';

/** `"<version>"` for a body that is one versioned resource, else undefined. */
export function versionEtag(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const resource = body as { id?: unknown; version?: unknown; revision?: unknown };
  if (typeof resource.id !== 'string') return undefined;
  // Catalog flows use `version` for the catalog version, so their ETag is `revision`.
  const version = typeof resource.version === 'number' ? resource.version : resource.revision;
  return typeof version === 'number' ? `"${version}"` : undefined;
}

/**
 * Adds `ETag: "<version>"` to every JSON answer that carries one versioned resource, where Express writes it
 * (`res.json`, on this app's response prototype) rather than in an app-wide interceptor: an interceptor puts every
 * route's answer, each item read included, through Nest's Observable pipeline. A replayed idempotent answer keeps
 * going out without one, as before: it shows the resource as it was when first created, which may be stale.
 */
export function sendVersionEtags(app: Express): void {
  const response = app.response as Response;
  const json = response.json;
  response.json = function versionedJson(this: Response, body?: unknown): Response {
    // Successful answers only: an error document describes the failure, not a version of the resource.
    const etag = this.statusCode < 300 ? versionEtag(body) : undefined;
    if (etag !== undefined && !this.headersSent && !this.hasHeader(REPLAYED_HEADER))
      this.setHeader('ETag', etag);
    return json.call(this, body);
  };
}
