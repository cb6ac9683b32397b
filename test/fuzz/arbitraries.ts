import fc from 'fast-check';

/** A value that should not be accepted where it is put, with a short label naming the kind of wrongness. */
export interface Bad {
  label: string;
  value: unknown;
}

/** Builds a nesting `depth` levels deep ({"a":{"a":…}} or [[…]]) without recursion limits in the builder. */
export function deepValue(depth: number, kind: 'object' | 'array'): unknown {
  let value: unknown = 1;
  for (let i = 0; i < depth; i += 1) value = kind === 'object' ? { a: value } : [value];
  return value;
}

export const DEEP = 3_500;
/** Longer than every string limit of the API (the largest, the input guard's default, is 131,072). */
export const LONG = 200_000;

/**
 * Stands for the JSON number 99999999999999999999, which no double represents exactly: bodies are serialised
 * with this string replaced by the literal digits (see `toJson`), so the server's parser sees them verbatim.
 */
export const HUGE_INTEGER = '\u0001fuzz-huge-integer\u0001';

export function toJson(value: unknown): string {
  return JSON.stringify(value).replaceAll(JSON.stringify(HUGE_INTEGER), '99999999999999999999');
}

/** JSON.parse keeps `__proto__` as an own key (an object literal would set the prototype instead). */
const protoKey = (): unknown =>
  JSON.parse('{"__proto__":{"polluted":true},"constructor":{"prototype":{"x":1}}}');

/** Wrong values usable for any JSON field: wrong types, extremes, bytes databases refuse, odd shapes. */
export const BAD_VALUES: Bad[] = [
  { label: 'null', value: null },
  { label: 'number', value: 42 },
  { label: 'negative', value: -1 },
  { label: 'float', value: 1.5 },
  { label: 'huge-1e20', value: 1e20 },
  { label: 'huge-99999999999999999999', value: HUGE_INTEGER },
  { label: 'huge-negative', value: -1e20 },
  { label: 'boolean', value: true },
  { label: 'empty-string', value: '' },
  { label: 'numeric-string', value: '99999999999999999999' },
  { label: 'nul-byte', value: 'x\u0000y' },
  { label: 'long-string', value: 'a'.repeat(LONG) },
  { label: 'unicode', value: '\u202e𝔘𝔫𝔦𝔠𝔬𝔡𝔢 😀 \ud7ff\u0301' },
  { label: 'lone-surrogate', value: 'a\ud800b' },
  { label: 'empty-array', value: [] },
  { label: 'array', value: ['x', 1, null] },
  { label: 'empty-object', value: {} },
  { label: 'object', value: { unexpected: 'x' } },
  { label: 'proto-keys', value: protoKey() },
  { label: 'deep-object', value: deepValue(DEEP, 'object') },
  { label: 'deep-array', value: deepValue(DEEP, 'array') },
];

/** A palette value or a random JSON value (random values are labelled by kind, not content). */
export const badValueArb: fc.Arbitrary<Bad> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...BAD_VALUES) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((value) => ({ label: 'random-json', value })) },
  {
    weight: 1,
    arbitrary: fc
      .string({ unit: 'binary', maxLength: 40 })
      .map((value) => ({ label: 'random-unicode', value })),
  },
  {
    weight: 1,
    arbitrary: fc
      .oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }))
      .map((value) => ({ label: 'random-number', value })),
  },
);

/** Path segment replacements for an `{id}` (already URL-safe: the request sends them as they are). */
export const BAD_PATH_IDS: Bad[] = [
  { label: 'not-uuid', value: 'not-a-uuid' },
  { label: 'nil-uuid', value: '00000000-0000-0000-0000-000000000000' },
  { label: 'unknown-uuid', value: '6f1c1c6e-0b7a-4d4e-9a51-3c1f0e8f5a10' },
  { label: 'nul-byte', value: 'x%00y' },
  { label: 'only-nul', value: '%00' },
  { label: 'bad-percent', value: '%' },
  { label: 'bad-utf8', value: '%E0%A4%A' },
  { label: 'huge-1e20', value: '1e20' },
  { label: 'huge-99999999999999999999', value: '99999999999999999999' },
  { label: 'negative', value: '-1' },
  { label: 'null', value: 'null' },
  { label: 'proto', value: '__proto__' },
  { label: 'constructor', value: 'constructor' },
  { label: 'long-string', value: 'a'.repeat(5_000) },
  { label: 'unicode', value: encodeURIComponent('ü😀\u202e') },
  { label: 'uuid-suffix', value: '6f1c1c6e-0b7a-4d4e-9a51-3c1f0e8f5a10x' },
  { label: 'dot-dot', value: '..%2F..%2Fhealth' },
];

/** Query values (raw, already encoded where needed) that no parameter of this API accepts. */
export const BAD_QUERY_VALUES: Bad[] = [
  { label: 'huge-1e20', value: '1e20' },
  { label: 'huge-99999999999999999999', value: '99999999999999999999' },
  { label: 'negative', value: '-1' },
  { label: 'float', value: '1.5' },
  { label: 'nan', value: 'NaN' },
  { label: 'infinity', value: 'Infinity' },
  { label: 'hex', value: '0x10' },
  { label: 'nul-byte', value: '%00' },
  { label: 'nul-inside', value: 'x%00y' },
  { label: 'bad-percent', value: '%' },
  { label: 'bad-utf8', value: '%E0%A4%A' },
  { label: 'empty', value: '' },
  { label: 'not-uuid', value: 'not-a-uuid' },
  { label: 'not-date', value: '2026-13-45T99:99:99Z' },
  { label: 'long-string', value: 'a'.repeat(5_000) },
  { label: 'unicode', value: encodeURIComponent('ü😀\u202e') },
  { label: 'object-syntax', value: null }, // sent as name[a]=1
  { label: 'repeated', value: undefined }, // sent as name=1&name=2
];

/** If-Match values that can never match a current version (and are not `*`). */
export const BAD_IF_MATCH: Bad[] = [
  { label: 'not-quoted', value: 'garbage' },
  { label: 'wrong-version', value: '"999999"' },
  { label: 'negative', value: '"-1"' },
  { label: 'huge', value: '"99999999999999999999"' },
  { label: 'huge-1e20', value: '1e20' },
  { label: 'weak-garbage', value: 'W/"abc"' },
  { label: 'empty-quoted', value: '""' },
  { label: 'empty', value: '' },
];

/** Idempotency-Key values outside "1-255 visible ASCII characters". */
export const BAD_IDEMPOTENCY_KEYS: Bad[] = [
  { label: 'empty', value: '' },
  { label: 'space', value: 'a b' },
  { label: 'latin1', value: 'caf\u00e9' },
  { label: 'too-long', value: 'k'.repeat(300) },
];

/** Whole bodies, as raw text with the JSON content type. */
export const RAW_JSON_BODIES: Bad[] = [
  { label: 'empty-with-length', value: ' ' },
  { label: 'invalid-json', value: '{' },
  { label: 'trailing-comma', value: '{"a":1,}' },
  { label: 'json-null', value: 'null' },
  { label: 'json-string', value: '"str"' },
  { label: 'json-number', value: '99999999999999999999' },
  { label: 'json-true', value: 'true' },
  { label: 'json-array', value: '[]' },
  { label: 'array-of-objects', value: '[{}]' },
  { label: 'huge-exponent', value: '{"a":1e400}' },
  { label: 'deep-object-text', value: `${'{"a":'.repeat(DEEP)}1${'}'.repeat(DEEP)}` },
  { label: 'deep-array-text', value: `${'['.repeat(DEEP)}${']'.repeat(DEEP)}` },
  { label: 'proto-keys', value: '{"__proto__":{"polluted":true},"constructor":{"prototype":{"x":1}}}' },
  { label: 'nul-in-json', value: '{"name":"x\\u0000y"}' },
  { label: 'raw-nul-byte', value: '{"name":"x\u0000y"}' },
  { label: 'duplicate-keys', value: '{"name":"a","name":{"b":1}}' },
  { label: 'bom', value: '\ufeff{}' },
];

/** Bodies with a content type the API does not read. */
export const WRONG_CONTENT_TYPES: Bad[] = [
  { label: 'text-plain', value: 'text/plain' },
  { label: 'form', value: 'application/x-www-form-urlencoded' },
  { label: 'merge-patch', value: 'application/merge-patch+json' },
  { label: 'xml', value: 'application/xml' },
  { label: 'multipart', value: 'multipart/form-data; boundary=x' },
  { label: 'json-utf16', value: 'application/json; charset=utf-16' },
  { label: 'no-type', value: '' },
];

/** A lone UTF-16 surrogate: in `u` mode a valid pair is one code point, so only unpaired halves match. */
const LONE_SURROGATE = /\p{Cs}/u;

/** Whether the input guard refuses this string (maxLength 131,072) or object key (200). */
function breaksStringLimits(text: string, maxLength: number): boolean {
  return text.includes('\u0000') || LONE_SURROGATE.test(text) || text.length > maxLength;
}

/**
 * Whether a parsed input breaks the limits the service checks on every body and query string before
 * authentication (common/http/input-guard.ts, as the README's "Input" paragraph lists them): a NUL character
 * or a lone UTF-16 surrogate in a string or key, a string over 131,072 characters, a key over 200 characters or
 * one that rewrites prototypes, nesting deeper than 32.
 *
 * Such a request is answered 400 whatever the credential, and that is the intended order, not an auth-ordering
 * bug: the guard is an Express middleware mounted right after the JSON parser (configure-app.ts), so, like the
 * parser's own refusals (unparseable JSON 400, a body over the limit 413), it answers before any Nest guard
 * authenticates the caller. What it refuses is the bytes of the request, the same for every caller and route.
 * The list is written out here rather than imported, so the oracle states the contract instead of trusting the
 * code under test; rest-fuzz.e2e-spec.ts checks that it and the guard agree, since the lone surrogate was once
 * added to the guard and not here, and the oracle then blamed the app for answering 400 before 401/403.
 */
export function breaksInputLimits(value: unknown): boolean {
  const stack: { v: unknown; depth: number }[] = [{ v: value, depth: 0 }];
  while (stack.length > 0) {
    const { v, depth } = stack.pop()!;
    if (typeof v === 'string') {
      if (breaksStringLimits(v, 131_072)) return true;
      continue;
    }
    if (v === null || typeof v !== 'object') continue;
    if (depth >= 32) return true;
    for (const [key, child] of Object.entries(v)) {
      if (!Array.isArray(v)) {
        if (['__proto__', 'constructor', 'prototype'].includes(key)) return true;
        if (breaksStringLimits(key, 200)) return true;
      }
      stack.push({ v: child, depth: depth + 1 });
    }
  }
  return false;
}

// ---- Schema-driven values ("almost valid": a valid shape with one thing wrong) ----

/** The subset of OpenAPI 3 schema this API's document uses. */
export interface OpenApiSchema {
  $ref?: string;
  type?: string;
  format?: string;
  enum?: unknown[];
  items?: OpenApiSchema;
  properties?: Record<string, OpenApiSchema>;
  required?: string[];
  allOf?: OpenApiSchema[];
  nullable?: boolean;
  example?: unknown;
  default?: unknown;
  maxLength?: number;
}

export interface OpenApiDocument {
  paths: Record<string, Record<string, OpenApiOperation>>;
  components: { schemas: Record<string, OpenApiSchema> };
}

export interface OpenApiParameter {
  name: string;
  in: 'path' | 'query' | 'header';
  required?: boolean;
  schema?: OpenApiSchema;
}

export interface OpenApiOperation {
  parameters?: OpenApiParameter[];
  requestBody?: { content: Record<string, { schema: OpenApiSchema }> };
}

export function resolveSchema(doc: OpenApiDocument, schema: OpenApiSchema): OpenApiSchema {
  let s = schema;
  for (let i = 0; i < 10 && (s.$ref || s.allOf); i += 1) {
    if (s.$ref) s = doc.components.schemas[s.$ref.replace('#/components/schemas/', '')];
    else if (s.allOf) {
      const { allOf, ...rest } = s;
      s = { ...resolveSchema(doc, allOf[0]), ...rest };
    }
  }
  return s;
}

/** Existing ids by kind, so valid values point at real rows and the one wrong field is what fails. */
export type IdPools = Record<
  'sites' | 'zones' | 'nodes' | 'devices' | 'flows' | 'webhooks' | 'tokens',
  string[]
>;

function idFor(field: string, pools: IdPools): string {
  const kind = /site/i.test(field)
    ? 'sites'
    : /zone/i.test(field)
      ? 'zones'
      : /node|collector/i.test(field)
        ? 'nodes'
        : /device/i.test(field)
          ? 'devices'
          : 'sites';
  return pools[kind][0];
}

/** A value the schema accepts (as far as the document says), using real ids for uuid fields. */
export function validValue(doc: OpenApiDocument, raw: OpenApiSchema, field: string, pools: IdPools): unknown {
  const s = resolveSchema(doc, raw);
  if (s.enum?.length) return s.enum[0];
  if (s.format === 'uuid') return idFor(field, pools);
  if (s.format === 'date-time') return '2030-01-01T00:00:00.000Z';
  // The document's own example first (an array's example is valid as a whole, e.g. cidrs ["10.1.10.0/24"]).
  if (s.example !== undefined && !s.properties) return s.example;
  if (s.type === 'array') return s.items ? [validValue(doc, s.items, field, pools)] : [];
  if (s.properties) {
    const out: Record<string, unknown> = {};
    for (const [name, prop] of Object.entries(s.properties)) {
      if (s.required?.includes(name) || prop.example !== undefined)
        out[name] = validValue(doc, prop, name, pools);
    }
    return out;
  }
  if (s.example !== undefined) return s.example;
  if (s.default !== undefined) return s.default;
  switch (s.type) {
    case 'boolean':
      return false;
    case 'integer':
    case 'number':
      return 1;
    case 'object':
      return s.nullable ? null : {};
    default:
      return `fuzz-${field}`;
  }
}

/** JSON paths of every value inside a body (objects and arrays included), e.g. ["interfaces", 0, "name"]. */
export function valuePaths(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  const out: (string | number)[][] = [];
  if (Array.isArray(value)) {
    value.forEach((item, i) => {
      out.push([...prefix, i], ...valuePaths(item, [...prefix, i]));
    });
  } else if (value && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      out.push([...prefix, key], ...valuePaths(item, [...prefix, key]));
    }
  }
  return out;
}

/** A deep copy of `value` with the value at `path` replaced (or removed when `replacement` is `REMOVE`). */
export const REMOVE = Symbol('remove');
export function withValueAt(value: unknown, path: (string | number)[], replacement: unknown): unknown {
  const copy = structuredClone(value) as Record<string | number, unknown>;
  let cursor = copy;
  for (const key of path.slice(0, -1)) cursor = cursor[key] as Record<string | number, unknown>;
  const last = path[path.length - 1];
  if (replacement === REMOVE) {
    if (Array.isArray(cursor)) cursor.splice(Number(last), 1);
    else delete cursor[last];
  } else if (last === '__proto__') {
    Object.defineProperty(cursor, last, {
      value: replacement,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  } else {
    cursor[last] = replacement;
  }
  return copy;
}

/** Top-level required fields of an object schema. */
export function requiredFields(doc: OpenApiDocument, schema: OpenApiSchema): string[] {
  return resolveSchema(doc, schema).required ?? [];
}
