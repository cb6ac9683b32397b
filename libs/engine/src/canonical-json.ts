import { createHash } from 'node:crypto';

/** JSON with object keys sorted at every level (array order kept, `undefined` members dropped). */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

/** A copy with keys inserted in sorted order; arrays without an object inside are kept, not copied. */
function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) {
    // node id lists hold every agent of a hub: copying them cost more than writing them
    const items = value as unknown[];
    for (let i = 0; i < items.length; i++) {
      const item = items[i];
      if (item !== null && typeof item === 'object') return items.map(sortKeys);
    }
    return value;
  }
  if (value !== null && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    const keys = sortedKeys(record);
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i];
      if (record[key] !== undefined) {
        out[key] = sortKeys(record[key]);
      }
    }
    return out;
  }
  return value;
}

/**
 * `Object.keys(record).sort()`, by insertion in place: the objects of a rule set have a dozen keys, and
 * `sort` allocated its working state for each of the million objects written at 10,000 sites.
 */
function sortedKeys(record: object): string[] {
  const keys = Object.keys(record);
  for (let i = 1; i < keys.length; i++) {
    const key = keys[i];
    let j = i - 1;
    for (; j >= 0 && keys[j] > key; j--) keys[j + 1] = keys[j];
    keys[j + 1] = key;
  }
  return keys;
}

/** Text flushed to the hash at a time: large enough for few calls, small enough to stay out of the way. */
const CHUNK = 1 << 20;

/**
 * Texts at least this long go to the hash as they are: appended to the buffer, they would be copied once more
 * (the buffer is a chain of pieces until the hash reads it), for each of 10,000 rule sets.
 */
const DIRECT = 4096;

/**
 * Lists of at least this many items are written piece by piece, and a list of primitives that long once per
 * hash however often it appears: a hub rule shares its 275,000 node ids with each of its explanations.
 */
const LONG_LIST = 1024;

/**
 * Lowercase hex SHA-256 of `canonicalJson(value)`, without building the sorted copy or the whole text:
 * a hub firewall's rule set at 10,000 sites is ~90 MB of JSON, which the copy and the string doubled.
 */
export function canonicalJsonSha256(value: object): string {
  const hash = createHash('sha256');
  let buffer = '';
  const emit = (text: string): void => {
    if (text.length >= DIRECT) {
      if (buffer !== '') hash.update(buffer);
      hash.update(text);
      buffer = '';
      return;
    }
    buffer += text;
    if (buffer.length >= CHUNK) {
      hash.update(buffer);
      buffer = '';
    }
  };
  writeCanonical(value, emit, new Map());
  hash.update(buffer);
  return hash.digest('hex');
}

/** Not written by JSON.stringify as an object member (and written as `null` in an array). */
function isSkipped(value: unknown): boolean {
  return value === undefined || typeof value === 'function' || typeof value === 'symbol';
}

function isObject(value: unknown): value is object {
  return value !== null && typeof value === 'object';
}

const ARRAY_INDEX = /^(?:0|[1-9][0-9]*)$/;

/** True when `value` is or holds a list of at least {@link LONG_LIST} items. */
function holdsLongList(value: object): boolean {
  if (Array.isArray(value)) {
    if (value.length >= LONG_LIST) return true;
    const items = value as unknown[];
    for (let i = 0; i < items.length; i++) {
      const item = items[i];
      if (isObject(item) && holdsLongList(item)) return true;
    }
    return false;
  }
  const record = value as Record<string, unknown>;
  for (const key in record) {
    const member = record[key];
    if (Object.hasOwn(record, key) && isObject(member) && holdsLongList(member)) return true;
  }
  return false;
}

/**
 * Writes what `canonicalJson(value)` returns, in pieces: the members of objects and the items of lists that hold
 * a long list one by one (the rest as one text each), a long list of primitives as the text `written` keeps for it.
 */
function writeCanonical(value: object, emit: (text: string) => void, written: Map<unknown[], string>): void {
  const part = (member: unknown): void => {
    // an object with its own toJSON is written by JSON.stringify's rules: canonicalJson keeps them
    if (isObject(member) && !Object.hasOwn(member, 'toJSON') && holdsLongList(member)) {
      writeCanonical(member, emit, written);
    } else {
      emit(canonicalJson(member));
    }
  };
  if (Array.isArray(value)) {
    const items = value as unknown[];
    if (items.length >= LONG_LIST && !items.some(isObject)) {
      // no object inside: canonicalJson writes it as JSON.stringify does
      let text = written.get(items);
      if (text === undefined) written.set(items, (text = JSON.stringify(items)));
      emit(text);
      return;
    }
    emit('[');
    for (let i = 0; i < items.length; i++) {
      const item = items[i]; // a hole reads undefined, written as null like JSON.stringify does
      if (i > 0) emit(',');
      if (isSkipped(item)) emit('null');
      else part(item);
    }
    emit(']');
    return;
  }
  const record = value as Record<string, unknown>;
  const keys = sortedKeys(record);
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
    part(member);
  }
  emit('}');
}
