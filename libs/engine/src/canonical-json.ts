import { createHash } from 'node:crypto';

/** JSON with object keys sorted at every level (array order kept, `undefined` members dropped). */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

/** A copy with keys inserted in sorted order; arrays without an object inside are kept, not copied. */
function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) {
    // node id lists hold every agent of a hub: copying them cost more than writing them
    for (const item of value as unknown[]) {
      if (item !== null && typeof item === 'object') return value.map(sortKeys);
    }
    return value;
  }
  if (value !== null && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(record).sort()) {
      if (record[key] !== undefined) {
        out[key] = sortKeys(record[key]);
      }
    }
    return out;
  }
  return value;
}

/** Text flushed to the hash at a time: large enough for few calls, small enough to stay out of the way. */
const CHUNK = 1 << 20;

/**
 * Lowercase hex SHA-256 of `canonicalJson(value)`, without building the sorted copy or the whole text:
 * a hub firewall's rule set at 10,000 sites is ~90 MB of JSON, which the copy and the string doubled.
 */
export function canonicalJsonSha256(value: object): string {
  const hash = createHash('sha256');
  let buffer = '';
  const emit = (text: string): void => {
    buffer += text;
    if (buffer.length >= CHUNK) {
      hash.update(buffer);
      buffer = '';
    }
  };
  writeCanonical(value, emit);
  hash.update(buffer);
  return hash.digest('hex');
}

/** Not written by JSON.stringify as an object member (and written as `null` in an array). */
function isSkipped(value: unknown): boolean {
  return value === undefined || typeof value === 'function' || typeof value === 'symbol';
}

const ARRAY_INDEX = /^(?:0|[1-9][0-9]*)$/;

/**
 * Writes what `canonicalJson(value)` returns, in pieces: the members of the top object and the items of
 * its arrays one by one.
 */
function writeCanonical(value: object, emit: (text: string) => void): void {
  if (Array.isArray(value)) {
    emit('[');
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i]; // a hole reads undefined, written as null like JSON.stringify does
      if (i > 0) emit(',');
      emit(isSkipped(item) ? 'null' : canonicalJson(item));
    }
    emit(']');
    return;
  }
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record).sort();
  if (keys.some((key) => ARRAY_INDEX.test(key))) {
    // index-like keys come first, in numeric order, in the sorted copy: let canonicalJson write it
    emit(canonicalJson(record));
    return;
  }
  emit('{');
  let first = true;
  for (const key of keys) {
    const member = record[key];
    if (isSkipped(member)) continue;
    emit(first ? `${JSON.stringify(key)}:` : `,${JSON.stringify(key)}:`);
    first = false;
    if (Array.isArray(member)) writeCanonical(member, emit);
    else emit(canonicalJson(member));
  }
  emit('}');
}
