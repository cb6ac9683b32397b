import fc from 'fast-check';
import {
  getNamedType,
  getNullableType,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isListType,
  isNonNullType,
  isObjectType,
  isUnionType,
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLSchema,
} from 'graphql';
import {
  DEEP,
  RAW_JSON_BODIES,
  REMOVE,
  WRONG_CONTENT_TYPES,
  badValueArb,
  deepValue,
  validValue,
  valuePaths,
  withValueAt,
  type Bad,
  type IdPools,
  type OpenApiDocument,
} from './arbitraries';
import { credentialArb, type Credential, type FuzzRequest } from './harness';

export interface GraphqlOperation {
  kind: 'query' | 'mutation' | 'subscription';
  field: GraphQLField<unknown, unknown>;
  /** For a field with arguments below the root: the root query that fetches its parent by id. */
  parent?: { query: string; type: string };
}

/** How the operation appears in failure classes: "query sites", "query Device.pushes". */
export function operationName(o: GraphqlOperation): string {
  return o.parent ? `${o.kind} ${o.parent.type}.${o.field.name}` : `${o.kind} ${o.field.name}`;
}

export function graphqlOperations(schema: GraphQLSchema): GraphqlOperation[] {
  const out: GraphqlOperation[] = [];
  const roots = [
    ['query', schema.getQueryType()],
    ['mutation', schema.getMutationType()],
    ['subscription', schema.getSubscriptionType()],
  ] as const;
  for (const [kind, type] of roots) {
    for (const field of Object.values(type?.getFields() ?? {})) out.push({ kind, field });
  }
  // Arguments deeper in the graph (Device.pushes, Webhook.deliveries): reached through `parent(id:)`.
  const byId = new Map<string, string>();
  for (const q of Object.values(schema.getQueryType()?.getFields() ?? {})) {
    const named = getNamedType(q.type);
    if (isObjectType(named) && q.args.length === 1 && q.args[0].name === 'id') byId.set(named.name, q.name);
  }
  const rootNames = new Set(roots.map(([, type]) => type?.name));
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || rootNames.has(type.name) || type.name.startsWith('__')) continue;
    const query = byId.get(type.name);
    for (const field of Object.values(type.getFields())) {
      if (field.args.length > 0 && query)
        out.push({ kind: 'query', field, parent: { query, type: type.name } });
    }
  }
  return out;
}

export interface GraphqlContext {
  /** The REST document: GraphQL inputs named like its schemas get its (valid) example values. */
  doc: OpenApiDocument;
  pools: IdPools;
}

const UNKNOWN_ID = '6f1c1c6e-0b7a-4d4e-9a51-3c1f0e8f5a10';

/** The row kind an operation's `id` argument points at, from the operation's name. */
function idForOperation(fieldName: string, argName: string, pools: IdPools): string {
  const name = argName === 'id' ? fieldName : argName;
  if (/customflow/i.test(name)) return pools.flows[0];
  if (/webhook/i.test(name)) return pools.webhooks[0];
  if (/token/i.test(name)) return pools.tokens[0];
  if (/push(?!Device)|fleet/i.test(name) && !/device/i.test(name)) return UNKNOWN_ID;
  if (/site/i.test(name)) return pools.sites[0];
  if (/zone/i.test(name)) return pools.zones[0];
  if (/node|from|to|collector/i.test(name)) return pools.nodes[0];
  if (/device|drift|plan/i.test(name)) return pools.devices[0];
  return UNKNOWN_ID;
}

/** A value of this input type that should pass (so the one thing changed is what gets refused). */
function validInput(
  type: GraphQLInputType,
  fieldName: string,
  argName: string,
  ctx: GraphqlContext,
): unknown {
  const inner = getNullableType(type);
  if (isListType(inner)) return [validInput(inner.ofType, fieldName, argName, ctx)];
  if (isEnumType(inner))
    return inner.getValues()[0].value === undefined ? inner.getValues()[0].name : inner.getValues()[0].name;
  if (isInputObjectType(inner)) {
    const rest = ctx.doc.components.schemas[inner.name];
    if (rest) return validValue(ctx.doc, rest, argName, ctx.pools);
    const out: Record<string, unknown> = {};
    for (const f of Object.values(inner.getFields())) {
      if (isNonNullType(f.type) && f.defaultValue === undefined)
        out[f.name] = validInput(f.type, fieldName, f.name, ctx);
    }
    return out;
  }
  switch (inner.name) {
    case 'ID':
      return idForOperation(fieldName, argName, ctx.pools);
    case 'String':
      return argName === 'id' ? idForOperation(fieldName, argName, ctx.pools) : 'fuzz';
    case 'Int':
      return 10;
    case 'Float':
      return 1.5;
    case 'Boolean':
      return false;
    case 'DateTime':
      return '2030-01-01T00:00:00.000Z';
    default:
      return {};
  }
}

/** `{ __typename id }` for object results (id when it has one), nothing for scalars. */
function selection(field: GraphQLField<unknown, unknown>): string {
  const named = getNamedType(field.type);
  if (isObjectType(named) || isInterfaceType(named))
    return named.getFields().id ? ' { __typename id }' : ' { __typename }';
  if (isUnionType(named)) return ' { __typename }';
  return '';
}

/** Literals (GraphQL syntax) of the wrong type or out of range for any argument. */
const BAD_LITERALS: Bad[] = [
  { label: 'int', value: '123' },
  { label: 'huge-int', value: '99999999999999999999' },
  { label: 'huge-float', value: '1e20' },
  { label: 'negative', value: '-1' },
  { label: 'nul-byte', value: '"x\\u0000y"' },
  { label: 'null', value: 'null' },
  { label: 'list', value: '[1, "a"]' },
  { label: 'object', value: '{ zzUnknown: 1 }' },
  { label: 'long-string', value: `"${'a'.repeat(20_000)}"` },
  { label: 'boolean', value: 'true' },
  { label: 'enum-like', value: 'NOT_AN_ENUM' },
];

const BAD_IDS: Bad[] = [
  { label: 'not-uuid', value: 'not-a-uuid' },
  { label: 'nil-uuid', value: '00000000-0000-0000-0000-000000000000' },
  { label: 'unknown-uuid', value: UNKNOWN_ID },
  { label: 'nul-byte', value: 'x\u0000y' },
  { label: 'long-string', value: 'a'.repeat(5_000) },
  { label: 'proto', value: '__proto__' },
  { label: 'empty', value: '' },
];

interface Built {
  label: string;
  query: string;
  variables: Record<string, unknown>;
}

function build(
  o: GraphqlOperation,
  args: readonly GraphQLArgument[],
  values: Record<string, unknown>,
  inline: Record<string, string> = {},
  extraArgs = '',
  parentId = '',
): Omit<Built, 'label'> {
  const declared = args.filter((a) => !(a.name in inline) && a.name in values);
  const decls = declared.map((a) => `$${a.name}: ${String(a.type)}`).join(', ');
  const callArgs = [
    ...declared.map((a) => `${a.name}: $${a.name}`),
    ...Object.entries(inline).map(([k, v]) => `${k}: ${v}`),
    ...(extraArgs ? [extraArgs] : []),
  ].join(', ');
  const variables: Record<string, unknown> = {};
  for (const a of declared) variables[a.name] = values[a.name];
  const call = `${o.field.name}${callArgs ? `(${callArgs})` : ''}${selection(o.field)}`;
  const body = o.parent ? `${o.parent.query}(id: ${JSON.stringify(parentId)}) { ${call} }` : call;
  return {
    query: `${o.kind} Fuzz${decls ? `(${decls})` : ''} { ${body} }`,
    variables,
  };
}

/** Every way to get one argument (or input field) wrong, the rest being valid. */
function malformations(o: GraphqlOperation, ctx: GraphqlContext): fc.Arbitrary<Built> {
  const args = o.field.args;
  const parentId = o.parent ? idForOperation(o.parent.query, 'id', ctx.pools) : '';
  const b = (values: Record<string, unknown>, inline: Record<string, string> = {}, extra = '') =>
    build(o, args, values, inline, extra, parentId);
  const base: Record<string, unknown> = {};
  for (const a of args) {
    if (isNonNullType(a.type) || a.name === 'input')
      base[a.name] = validInput(a.type, o.field.name, a.name, ctx);
  }
  const kinds: { weight: number; arbitrary: fc.Arbitrary<Built> }[] = [
    {
      weight: 1,
      arbitrary: fc.constant({ label: 'arg.unknown', ...b(base, {}, 'zzUnknown: 1') }),
    },
  ];
  if (args.length > 0) {
    kinds.push({
      weight: 5,
      arbitrary: fc.tuple(fc.constantFrom(...args), badValueArb).map(([a, bad]) => ({
        label: `var.${a.name}=${bad.label}`,
        ...b({ ...base, [a.name]: bad.value }),
      })),
    });
    kinds.push({
      weight: 2,
      arbitrary: fc.tuple(fc.constantFrom(...args), fc.constantFrom(...BAD_LITERALS)).map(([a, bad]) => ({
        label: `literal.${a.name}=${bad.label}`,
        ...b(base, { [a.name]: String(bad.value) }),
      })),
    });
  }
  const idArgs = args.filter(
    (a) => ['ID', 'String'].includes(getNamedType(a.type).name) && /(^id$|Id$|^from$|^to$)/.test(a.name),
  );
  if (idArgs.length > 0) {
    kinds.push({
      weight: 3,
      arbitrary: fc.tuple(fc.constantFrom(...idArgs), fc.constantFrom(...BAD_IDS)).map(([a, bad]) => ({
        label: `var.${a.name}=${bad.label}`,
        ...b({ ...base, [a.name]: bad.value }),
      })),
    });
  }
  const required = args.filter((a) => isNonNullType(a.type) && a.defaultValue === undefined);
  if (required.length > 0) {
    kinds.push({
      weight: 1,
      arbitrary: fc.constantFrom(...required).map((a) => {
        const rest = { ...base };
        delete rest[a.name];
        return { label: `arg.${a.name}=missing`, ...b(rest) };
      }),
    });
  }
  // Input objects: one field wrong, missing or unknown (the "almost valid" input).
  for (const a of args.filter((arg) => isInputObjectType(getNullableType(arg.type)))) {
    const input = getNullableType(a.type);
    if (!isInputObjectType(input)) continue;
    const value = base[a.name] ?? validInput(a.type, o.field.name, a.name, ctx);
    const paths = [
      ...Object.keys(input.getFields()).map((f) => [f]),
      ...valuePaths(value).filter((p) => p.length > 1),
    ];
    const label = (p: (string | number)[]): string =>
      p.map((k) => (typeof k === 'number' ? '[]' : k)).join('.');
    kinds.push({
      weight: 8,
      arbitrary: fc.tuple(fc.constantFrom(...paths), badValueArb).map(([p, bad]) => ({
        label: `var.${a.name}.${label(p)}=${bad.label}`,
        ...b({ ...base, [a.name]: withValueAt(value, p, bad.value) }),
      })),
    });
    const requiredFields = Object.values(input.getFields()).filter(
      (f) => isNonNullType(f.type) && f.defaultValue === undefined,
    );
    if (requiredFields.length > 0) {
      kinds.push({
        weight: 2,
        arbitrary: fc.constantFrom(...requiredFields).map((f) => ({
          label: `var.${a.name}.${f.name}=missing`,
          ...b({ ...base, [a.name]: withValueAt(value, [f.name], REMOVE) }),
        })),
      });
    }
    kinds.push({
      weight: 2,
      arbitrary: fc.constantFrom('zzUnknown', '__proto__', 'constructor').map((key) => ({
        label: `var.${a.name}.${key}=unknown-key`,
        ...b({ ...base, [a.name]: withValueAt(value, [key], { polluted: true }) }),
      })),
    });
  }
  return fc.oneof(...kinds);
}

export function graphqlRequestArb(o: GraphqlOperation, ctx: GraphqlContext): fc.Arbitrary<FuzzRequest> {
  return fc.tuple(malformations(o, ctx), credentialArb).map(([built, credential]) => ({
    surface: 'graphql',
    operation: operationName(o),
    label: built.label,
    credential,
    method: 'POST',
    url: '/graphql',
    headers: {},
    body: { kind: 'json', value: { query: built.query, variables: built.variables } },
    mutating: o.kind !== 'query',
    preAuth: false,
  }));
}

function exponentialFragments(levels: number): string {
  const fragments = [`fragment F0 on Query { __typename }`];
  for (let i = 1; i <= levels; i += 1)
    fragments.push(`fragment F${i} on Query { ...F${i - 1} ...F${i - 1} }`);
  return `query { ...F${levels} } ${fragments.join(' ')}`;
}

/** Malformed at the level of the GraphQL request itself, not of one field. */
export function transportCases(): {
  label: string;
  method: 'GET' | 'POST';
  url?: string;
  body?: FuzzRequest['body'];
  mutating?: boolean;
  preAuth?: boolean;
  headers?: Record<string, string>;
}[] {
  const json = (label: string, value: unknown, extra: { mutating?: boolean } = {}) => ({
    label,
    method: 'POST' as const,
    body: { kind: 'json' as const, value },
    ...extra,
  });
  const typename = '{ __typename }';
  return [
    ...RAW_JSON_BODIES.map((b) => ({
      label: `raw-body=${b.label}`,
      method: 'POST' as const,
      body: { kind: 'raw' as const, text: String(b.value), contentType: 'application/json' },
      preAuth: true,
    })),
    ...WRONG_CONTENT_TYPES.map((b) => ({
      label: `content-type=${b.label}`,
      method: 'POST' as const,
      body: { kind: 'raw' as const, text: JSON.stringify({ query: typename }), contentType: String(b.value) },
      preAuth: true,
    })),
    json('body=empty-object', {}),
    json('query=number', { query: 1 }),
    json('query=array', { query: [typename] }),
    json('query=null', { query: null }),
    json('query=empty', { query: '' }),
    json('query=nul-byte', { query: '{ __typename \u0000 }' }),
    json('query=unterminated', { query: '{ sites { ' }),
    json('query=long', { query: `{ ${'__typename '.repeat(40_000)}}` }),
    // Valid fields all the way down (Node.collector is a Node), so only the depth limit can refuse it.
    json('query=deep-selection', {
      query: `{ nodes { nodes { ${'collector { '.repeat(200)}id${' }'.repeat(200)} } } }`,
    }),
    json('query=wide-lists', {
      query: `{ sites(first: 500) { nodes { zones { site { zones { site { zones { id } } } } } } } }`,
    }),
    json('query=syntax-only-deep', { query: `{ ${'sites { items { site '.repeat(400)} }` }),
    json('query=deep-nesting-text', { query: `${'{ a '.repeat(DEEP)}${'}'.repeat(DEEP)}` }),
    json('query=many-aliases', {
      query: `{ ${Array.from({ length: 2_000 }, (_, i) => `a${i}: sites { totalCount }`).join(' ')} }`,
    }),
    json('query=fragment-cycle', {
      query: 'query { ...A } fragment A on Query { ...B } fragment B on Query { ...A }',
    }),
    json('query=exponential-fragments', { query: exponentialFragments(20) }),
    json('query=unknown-directive', { query: '{ __typename @zzUnknown }' }),
    json('query=skip-bad-arg', { query: '{ __typename @skip(if: "yes") }' }),
    json('query=unknown-field', { query: '{ zzUnknown }' }),
    json('query=two-operations-no-name', { query: `query A ${typename} query B ${typename}` }),
    json('operationName=unknown', { query: `query A ${typename}`, operationName: 'Nope' }),
    json('operationName=number', { query: `query A ${typename}`, operationName: 5 }),
    json('variables=string', { query: typename, variables: 'x' }),
    json('variables=array', { query: typename, variables: [] }),
    json('variables=deep', {
      query: 'query($v: JSON) { __typename }',
      variables: { v: deepValue(DEEP, 'object') },
    }),
    json('variables=proto', { query: typename, variables: JSON.parse('{"__proto__":{"polluted":true}}') }),
    json('extensions=string', { query: typename, extensions: 'x' }),
    json('subscription', { query: 'subscription { zzUnknown }' }, { mutating: true }),
    json('persisted-query-unknown', {
      extensions: { persistedQuery: { version: 1, sha256Hash: 'deadbeef' } },
    }),
    json('persisted-query-wrong-hash', {
      query: typename,
      extensions: { persistedQuery: { version: 1, sha256Hash: 'deadbeef' } },
    }),
    json('persisted-query-bad-version', {
      query: typename,
      extensions: { persistedQuery: { version: 'x', sha256Hash: 1 } },
    }),
    json('batch', [{ query: typename }, { query: typename }]),
    json('mutation-unknown', { query: 'mutation { zzUnknown }' }, { mutating: true }),
    { label: 'get=no-query', method: 'GET', url: '/graphql' },
    {
      label: 'get=query',
      method: 'GET',
      url: `/graphql?query=${encodeURIComponent(typename)}`,
      headers: { 'apollo-require-preflight': 'true' },
    },
    {
      label: 'get=nul-byte',
      method: 'GET',
      url: '/graphql?query=%00',
      headers: { 'apollo-require-preflight': 'true' },
    },
    {
      label: 'get=bad-percent',
      method: 'GET',
      url: '/graphql?query=%',
      headers: { 'apollo-require-preflight': 'true' },
    },
    {
      label: 'get=mutation',
      method: 'GET',
      url: `/graphql?query=${encodeURIComponent('mutation { createSite(input: { name: "via-get" }) { id } }')}`,
      headers: { 'apollo-require-preflight': 'true' },
      mutating: true,
    },
    {
      label: 'get=variables-not-json',
      method: 'GET',
      url: `/graphql?query=${encodeURIComponent(typename)}&variables=%7B`,
      headers: { 'apollo-require-preflight': 'true' },
    },
  ];
}

/** Each transport case once as admin and once under a credential chosen by the seed. */
export function transportRequests(credentials: Credential[]): FuzzRequest[] {
  return transportCases().flatMap((c, i) =>
    (['admin', credentials[i % credentials.length]] as Credential[]).map((credential) => ({
      surface: 'graphql' as const,
      operation: 'graphql request',
      label: c.label,
      credential,
      method: c.method,
      url: c.url ?? '/graphql',
      headers: c.headers ?? {},
      body: c.body,
      mutating: c.mutating ?? false,
      preAuth: c.preAuth ?? false,
    })),
  );
}
