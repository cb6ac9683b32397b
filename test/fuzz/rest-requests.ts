import fc from 'fast-check';
import {
  BAD_IDEMPOTENCY_KEYS,
  BAD_IF_MATCH,
  BAD_PATH_IDS,
  BAD_QUERY_VALUES,
  RAW_JSON_BODIES,
  REMOVE,
  WRONG_CONTENT_TYPES,
  badValueArb,
  breaksInputLimits,
  requiredFields,
  resolveSchema,
  validValue,
  valuePaths,
  withValueAt,
  type Bad,
  type IdPools,
  type OpenApiDocument,
  type OpenApiOperation,
  type OpenApiParameter,
  type OpenApiSchema,
} from './arbitraries';
import { credentialArb, type FuzzBody, type FuzzRequest } from './harness';

export interface RestOperation {
  method: FuzzRequest['method'];
  /** OpenAPI path template, e.g. /api/v1/sites/{id}. */
  path: string;
  op: OpenApiOperation;
}

export function restOperations(doc: OpenApiDocument): RestOperation[] {
  const out: RestOperation[] = [];
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      out.push({ method: method.toUpperCase() as FuzzRequest['method'], path, op });
    }
  }
  return out;
}

export interface RestContext {
  doc: OpenApiDocument;
  pools: IdPools;
  /** A real id for the `{id}` of this path (or an unknown one where nothing exists to point at). */
  pathId(path: string): string;
}

/** Labels use `[]` for array positions so "interfaces.0.name" and "interfaces.1.name" are one class. */
function pathLabel(path: (string | number)[]): string {
  return path.map((p) => (typeof p === 'number' ? '[]' : p)).join('.');
}

/** One malformation of a request: what is wrong with it and the parts that carry it. */
export interface Parts {
  label: string;
  pathId?: string;
  query?: string[];
  headers?: Record<string, string>;
  body?: FuzzBody;
  preAuth?: boolean;
}

function queryPart(name: string, bad: Bad): string[] {
  if (bad.label === 'object-syntax') return [`${name}[a]=1`];
  if (bad.label === 'repeated') return [`${name}=1`, `${name}=2`];
  return [`${name}=${String(bad.value)}`];
}

/** Every way to get one thing wrong in a request to this operation (the rest being valid). */
function malformations(o: RestOperation, ctx: RestContext): fc.Arbitrary<Parts>[] {
  const params = o.op.parameters ?? [];
  const pathParams = params.filter((p) => p.in === 'path');
  const queryParams = params.filter((p) => p.in === 'query');
  const header = (name: string): OpenApiParameter | undefined =>
    params.find((p) => p.in === 'header' && p.name.toLowerCase() === name.toLowerCase());
  const bodySchema: OpenApiSchema | undefined = o.op.requestBody?.content['application/json']?.schema;
  const base = bodySchema ? validValue(ctx.doc, bodySchema, 'body', ctx.pools) : undefined;
  const validBody: FuzzBody | undefined = bodySchema ? { kind: 'json', value: base } : undefined;
  const kinds: { weight: number; arbitrary: fc.Arbitrary<Parts> }[] = [];
  const isWrite = o.method !== 'GET';

  if (pathParams.length > 0) {
    kinds.push({
      weight: 3,
      arbitrary: fc.constantFrom(...BAD_PATH_IDS).map((bad) => ({
        label: `path.id=${bad.label}`,
        pathId: String(bad.value),
        body: validBody,
        // Express decodes path parameters while routing, before any guard runs.
        preAuth: bad.label === 'bad-percent' || bad.label === 'bad-utf8',
      })),
    });
  }
  if (queryParams.length > 0) {
    kinds.push({
      weight: 3,
      arbitrary: fc
        .tuple(fc.constantFrom(...queryParams), fc.constantFrom(...BAD_QUERY_VALUES))
        .map(([param, bad]) => ({
          label: `query.${param.name}=${bad.label}`,
          query: queryPart(param.name, bad),
          body: validBody,
        })),
    });
  }
  if (!isWrite) {
    // An unknown parameter is harmless on a read; on a write it would let a valid request through.
    kinds.push({
      weight: 1,
      arbitrary: fc.constantFrom(...BAD_QUERY_VALUES).map((bad) => ({
        label: `query.unknown=${bad.label}`,
        query: queryPart('zzUnknown', bad),
      })),
    });
  }
  if (bodySchema && base !== undefined) {
    const schema = resolveSchema(ctx.doc, bodySchema);
    const topFields = Object.keys(schema.properties ?? {}).map((name) => [name]);
    const nested = valuePaths(base).filter((p) => p.length > 1);
    const fieldPaths = [...topFields, ...nested];
    kinds.push({
      weight: 8,
      arbitrary: fc.tuple(fc.constantFrom(...fieldPaths), badValueArb).map(([path, bad]) => ({
        label: `body.${pathLabel(path)}=${bad.label}`,
        body: { kind: 'json', value: withValueAt(base, path, bad.value) },
      })),
    });
    const required = requiredFields(ctx.doc, bodySchema);
    if (required.length > 0) {
      kinds.push({
        weight: 2,
        arbitrary: fc.constantFrom(...required).map((field) => ({
          label: `body.${field}=missing`,
          body: { kind: 'json', value: withValueAt(base, [field], REMOVE) },
        })),
      });
      kinds.push({ weight: 1, arbitrary: fc.constant({ label: 'body=absent' }) });
    }
    const objectPaths = [[], ...valuePaths(base).filter((p) => typeof p[p.length - 1] === 'string')]
      .filter((p) => {
        let v: unknown = base;
        for (const k of p) v = (v as Record<string | number, unknown>)[k];
        return v !== null && typeof v === 'object' && !Array.isArray(v);
      })
      .map((p) => p);
    kinds.push({
      weight: 2,
      arbitrary: fc
        .tuple(fc.constantFrom(...objectPaths), fc.constantFrom('zzUnknown', '__proto__', 'constructor'))
        .map(([path, key]) => ({
          label: `body.${pathLabel([...path, key])}=unknown-key`,
          body: { kind: 'json', value: withValueAt(base, [...path, key], { polluted: true }) },
        })),
    });
    kinds.push({
      weight: 2,
      arbitrary: badValueArb.map((bad) => ({
        label: `body=${bad.label}`,
        body: { kind: 'json', value: bad.value },
        // The JSON parser (strict) refuses anything but an object or array before authentication.
        preAuth: bad.value === null || typeof bad.value !== 'object',
      })),
    });
  }
  if (o.method === 'POST' || o.method === 'PATCH') {
    kinds.push({
      weight: 2,
      arbitrary: fc.constantFrom(...RAW_JSON_BODIES).map((bad) => ({
        label: `raw-body=${bad.label}`,
        body: { kind: 'raw', text: String(bad.value), contentType: 'application/json' },
        preAuth: true,
      })),
    });
    kinds.push({
      weight: 2,
      arbitrary: fc.constantFrom(...WRONG_CONTENT_TYPES).map((bad) => ({
        label: `content-type=${bad.label}`,
        body: {
          kind: 'raw',
          text: base === undefined ? 'x=1' : JSON.stringify(base),
          contentType: String(bad.value),
        },
        preAuth: true,
      })),
    });
  }
  if (header('If-Match')) {
    kinds.push({
      weight: 2,
      arbitrary: fc.constantFrom(...BAD_IF_MATCH).map((bad) => ({
        label: `if-match=${bad.label}`,
        headers: { 'If-Match': String(bad.value) },
        body: validBody,
      })),
    });
  }
  if (header('Idempotency-Key')) {
    kinds.push({
      weight: 1,
      arbitrary: fc.constantFrom(...BAD_IDEMPOTENCY_KEYS).map((bad) => ({
        label: `idempotency-key=${bad.label}`,
        headers: { 'Idempotency-Key': String(bad.value) },
        body: validBody,
      })),
    });
  }
  return kinds.length > 0 ? [fc.oneof(...kinds)] : [];
}

/** Valid values for the required query parameters (so the one wrong thing is what gets refused). */
function requiredQuery(o: RestOperation, ctx: RestContext, except: string[]): string[] {
  return (o.op.parameters ?? [])
    .filter(
      (p) =>
        p.in === 'query' &&
        p.required &&
        !except.some((q) => q.startsWith(`${p.name}=`) || q.startsWith(`${p.name}[`)),
    )
    .map(
      (p) =>
        `${p.name}=${encodeURIComponent(String(validValue(ctx.doc, p.schema ?? { type: 'string', format: 'uuid' }, 'node', ctx.pools)))}`,
    );
}

/** The request to one REST operation carrying these parts (the rest valid), under this credential. */
export function restRequest(
  o: RestOperation,
  ctx: RestContext,
  parts: Parts,
  credential: FuzzRequest['credential'],
): FuzzRequest {
  const id = parts.pathId ?? ctx.pathId(o.path);
  const query = [...(parts.query ?? []), ...requiredQuery(o, ctx, parts.query ?? [])];
  const url = `${o.path.replace('{id}', id)}${query.length ? `?${query.join('&')}` : ''}`;
  const preAuth =
    (parts.preAuth ?? false) ||
    query.some((q) => q.includes('%00')) ||
    (parts.body?.kind === 'json' && breaksInputLimits(parts.body.value));
  return {
    surface: 'rest',
    operation: `${o.method} ${o.path}`,
    label: parts.label,
    credential,
    method: o.method,
    url,
    headers: parts.headers ?? {},
    body: parts.body,
    mutating: o.method !== 'GET',
    preAuth,
  };
}

/** Requests to one REST operation, each with one thing wrong, under one of the four credentials. */
export function restRequestArb(o: RestOperation, ctx: RestContext): fc.Arbitrary<FuzzRequest> | null {
  const kinds = malformations(o, ctx);
  if (kinds.length === 0) return null;
  return fc
    .tuple(kinds[0], credentialArb)
    .map(([parts, credential]) => restRequest(o, ctx, parts, credential));
}
