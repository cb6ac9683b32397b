import { isIP, isIPv4, isIPv6 } from 'node:net';
import type { Json, JsonObject } from './envelope';
import { CONTROL_PARAMS, isPort, isPortOrRange } from './models';

/**
 * Query filters of pfSense-pkg-RESTAPI (`field=value`, `field__<filter>=value`). Unknown fields, and unknown
 * `__suffixes` (treated as part of the field name), are silently ignored, so they match everything.
 */
const FILTERS = [
  'exact',
  'except',
  'startswith',
  'endswith',
  'contains',
  'in',
  'lt',
  'lte',
  'gt',
  'gte',
  'regex',
  'format',
];

export interface QueryTerm {
  field: string;
  filter: string;
  value: Json;
}

export function queryTerms(params: JsonObject, fields: Set<string>): QueryTerm[] {
  const terms: QueryTerm[] = [];
  for (const [key, value] of Object.entries(params)) {
    if (CONTROL_PARAMS.has(key) && key !== 'id') continue;
    const sep = key.lastIndexOf('__');
    let field = key;
    let filter = 'exact';
    if (sep > 0 && FILTERS.includes(key.slice(sep + 2))) {
      field = key.slice(0, sep);
      filter = key.slice(sep + 2);
    }
    if (!fields.has(field)) continue;
    terms.push({ field, filter, value });
  }
  return terms;
}

export function matches(obj: JsonObject, terms: QueryTerm[], aliasNames: string[]): boolean {
  return terms.every((t) => matchTerm(obj[t.field] ?? null, t, aliasNames));
}

/** Text form of a JSON value (objects/arrays as JSON). */
function text(value: Json): string {
  return value !== null && typeof value === 'object' ? JSON.stringify(value) : String(value);
}

/** PHP loose `==`, strict when either side is null; an array never equals a scalar. */
export function looseEquals(a: Json, b: Json): boolean {
  if (a === null || b === null) return a === b;
  if (Array.isArray(a) || Array.isArray(b)) return JSON.stringify(a) === JSON.stringify(b);
  if (typeof a === 'boolean' || typeof b === 'boolean') return Boolean(a) === Boolean(b);
  if (typeof a === 'number' || typeof b === 'number') {
    const na = Number(a);
    const nb = Number(b);
    if (!Number.isNaN(na) && !Number.isNaN(nb) && text(a).trim() !== '' && text(b).trim() !== '')
      return na === nb;
  }
  return text(a) === text(b);
}

function matchTerm(stored: Json, term: QueryTerm, aliasNames: string[]): boolean {
  const v = term.value;
  switch (term.filter) {
    case 'exact':
      return looseEquals(stored, v);
    case 'except':
      return !looseEquals(stored, v);
    case 'startswith':
      if (Array.isArray(stored)) return stored.length > 0 && looseEquals(stored[0], v);
      return stored !== null && text(stored).startsWith(text(v));
    case 'endswith':
      if (Array.isArray(stored)) return stored.length > 0 && looseEquals(stored[stored.length - 1], v);
      return stored !== null && text(stored).endsWith(text(v));
    case 'contains':
      if (Array.isArray(stored)) return stored.some((s) => looseEquals(s, v));
      return stored !== null && text(stored).includes(text(v));
    case 'in':
      if (Array.isArray(v)) return v.some((x) => looseEquals(stored, x));
      return stored !== null && text(v).includes(text(stored));
    case 'lt':
      return Number(stored) < Number(v);
    case 'lte':
      return Number(stored) <= Number(v);
    case 'gt':
      return Number(stored) > Number(v);
    case 'gte':
      return Number(stored) >= Number(v);
    case 'regex': {
      const m = /^\/(.*)\/([a-z]*)$/s.exec(text(v));
      if (!m || stored === null) return false;
      try {
        return new RegExp(m[1], m[2].replace(/[^imsu]/g, '')).test(text(stored));
      } catch {
        return false;
      }
    }
    case 'format':
      return matchFormat(stored, text(v), aliasNames);
    default:
      return true;
  }
}

function matchFormat(stored: Json, format: string, aliasNames: string[]): boolean {
  if (stored === null || Array.isArray(stored) || typeof stored === 'object') return false;
  const s = text(stored);
  const cidr = (check: (ip: string) => boolean, max: number): boolean => {
    const [ip, bits] = s.split('/');
    return bits !== undefined && check(ip) && /^\d+$/.test(bits) && Number(bits) <= max;
  };
  switch (format) {
    case 'ipv4':
      return isIPv4(s);
    case 'ipv6':
      return isIPv6(s);
    case 'ip':
      return isIP(s) !== 0;
    case 'subnetv4':
      return cidr(isIPv4, 32);
    case 'subnetv6':
      return cidr(isIPv6, 128);
    case 'subnet':
      return cidr(isIPv4, 32) || cidr(isIPv6, 128);
    case 'numeric':
      return /^-?\d+(\.\d+)?$/.test(s);
    case 'port':
      return isPort(s);
    case 'portrange':
      return s.includes(':') && isPortOrRange(s);
    case 'alias':
      return aliasNames.includes(s);
    default:
      return false;
  }
}
