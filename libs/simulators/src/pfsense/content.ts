import type { SimRequest } from '../core/server';
import { PfApiError, type Json } from './envelope';

/**
 * Request decoding as pfSense-pkg-RESTAPI does it (ContentHandler):
 * - `application/json`: the body only. The query string is IGNORED, even on GET (filters silently dropped).
 * - `application/x-www-form-urlencoded`: the query string when non-empty, else the body, with type inference.
 * - no Content-Type: GET/DELETE as urlencoded, POST/PUT/PATCH as JSON. Anything else: 415.
 */
export function decodeRequest(req: SimRequest): Json {
  const raw = req.headers['content-type'];
  const type = typeof raw === 'string' ? raw.split(';')[0].trim().toLowerCase() : '';
  const effective =
    type === '' ? (req.method === 'GET' || req.method === 'DELETE' ? 'urlencoded' : 'json') : type;
  if (effective === 'application/json' || effective === 'json') {
    if (req.text.trim() === '') return {};
    try {
      return JSON.parse(req.text) as Json;
    } catch {
      throw new PfApiError(
        400,
        'JSON_CONTENT_HANDLER_COULD_NOT_DECODE_JSON',
        'Unable to decode JSON request body.',
      );
    }
  }
  if (effective === 'application/x-www-form-urlencoded' || effective === 'urlencoded') {
    return parseUrlEncoded(req.rawQuery !== '' ? req.rawQuery : req.text);
  }
  throw new PfApiError(
    415,
    'CONTENT_HANDLER_DECODE_NOT_FOUND',
    `Content-Type "${type}" is not supported. Supported types are application/json and application/x-www-form-urlencoded.`,
  );
}

/** PHP-style parsing with URLContentHandler::infer_type (true/false/null/ints/floats), `x[]=a&x[]=b` arrays. */
export function parseUrlEncoded(text: string): { [key: string]: Json } {
  const out: { [key: string]: Json } = {};
  if (!text) return out;
  for (const pair of text.split('&')) {
    if (!pair) continue;
    const eq = pair.indexOf('=');
    const rawKey = decode(eq === -1 ? pair : pair.slice(0, eq));
    const rawValue = eq === -1 ? '' : decode(pair.slice(eq + 1));
    const value = inferType(rawValue);
    if (rawKey.endsWith('[]')) {
      const key = rawKey.slice(0, -2);
      const existing = out[key];
      if (Array.isArray(existing)) existing.push(value);
      else out[key] = [value];
    } else {
      out[rawKey] = value;
    }
  }
  return out;
}

function decode(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return text;
  }
}

export function inferType(value: string): Json {
  if (value === 'true') return true;
  if (value === 'false') return false;
  if (value === 'null') return null;
  if (/^\d+$/.test(value)) return Number(value);
  if (/^-?\d*\.\d+$/.test(value) || /^-?\d+\.\d*$/.test(value)) return Number(value);
  return value;
}
