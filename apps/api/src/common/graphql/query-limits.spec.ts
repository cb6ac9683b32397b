import { buildSchema, getIntrospectionQuery, parse, specifiedRules, validate } from 'graphql';
import { queryLimits, type QueryLimitOptions } from './query-limits';

const schema = buildSchema(`
  type Query {
    sites(first: Int): SiteConnection!
    site(id: ID!): Site!
    fleetSummary: FleetSummary!
  }
  type Mutation {
    planDevice(id: ID!): Plan!
    createSite(name: String!): Site!
  }
  type SiteConnection { totalCount: Int! nodes: [Site!]! }
  type Site { id: ID! name: String! zones: [Zone!]! devices: [Device!]! }
  type Zone { id: ID! name: String! site: Site! }
  type Device { id: ID! name: String! ruleSet: RuleSet }
  type RuleSet { revision: Int! }
  type FleetSummary { totalDevices: Int! }
  type Plan { changes: Int! }
`);

const LIMITS: QueryLimitOptions = { maxDepth: 12, maxComplexity: 1_000_000 };

function check(query: string, limits: QueryLimitOptions = LIMITS): string[] {
  return validate(schema, parse(query), [...specifiedRules, queryLimits(limits)]).map((e) => e.message);
}

/** `query { ...F<n> }` where each fragment spreads the previous one twice: 2^n fields in n + 1 lines. */
function doublingChain(levels: number): string {
  const fragments = ['fragment F0 on Query { __typename }'];
  for (let i = 1; i <= levels; i += 1)
    fragments.push(`fragment F${i} on Query { ...F${i - 1} ...F${i - 1} }`);
  return `query { ...F${levels} } ${fragments.join(' ')}`;
}

describe('queryLimits', () => {
  it('measures a 60-level doubling fragment chain in milliseconds and refuses it as too complex', () => {
    const query = doublingChain(60);
    expect(query.length).toBeLessThan(3000);
    const document = parse(query);
    const started = performance.now();
    const errors = validate(schema, document, [queryLimits(LIMITS)]).map((e) => e.message);
    const elapsed = performance.now() - started;
    expect(errors).toEqual([expect.stringMatching(/^query complexity \d.* exceeds the limit of 1000000/)]);
    // Generous for a loaded CI machine; without memoising, 2^60 spreads would never finish.
    expect(elapsed).toBeLessThan(250);
  });

  it('memoises per fragment also below the root (a chain spread inside a list)', () => {
    const fragments = ['fragment Z0 on Zone { name }'];
    for (let i = 1; i <= 40; i += 1) fragments.push(`fragment Z${i} on Zone { ...Z${i - 1} ...Z${i - 1} }`);
    const document = parse(`{ sites { nodes { zones { ...Z40 } } } } ${fragments.join(' ')}`);
    const started = performance.now();
    const errors = validate(schema, document, [queryLimits(LIMITS)]).map((e) => e.message);
    // Generous for a loaded CI machine; without memoising, 2^40 spreads would take days.
    expect(performance.now() - started).toBeLessThan(250);
    expect(errors).toEqual([expect.stringMatching(/^query complexity/)]);
  });

  it('terminates on fragment cycles (NoFragmentCycles reports them; the measure must not recurse forever)', () => {
    const document = parse(
      '{ ...A } fragment A on Query { fleetSummary { totalDevices } ...B } fragment B on Query { ...A }',
    );
    expect(validate(schema, document, [queryLimits(LIMITS)])).toEqual([]);
    expect(check('{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }')).toEqual([
      expect.stringMatching(/^Cannot spread fragment "A" within itself via "B"/),
    ]);
  });

  it('counts a fragment once per spread and keeps its depth relative to where it is spread', () => {
    const query = `{ sites(first: 2) { nodes { ...S } } }
      fragment S on Site { zones { ...Z } devices { name } }
      fragment Z on Zone { name site { name } }`;
    expect(check(query, { maxDepth: 6, maxComplexity: 1_000_000 })).toEqual([]);
    // sites > nodes > zones > site > name
    expect(check(query, { maxDepth: 4, maxComplexity: 1_000_000 })).toEqual([
      'query depth 5 exceeds the limit of 4',
    ]);
    // sites 1 + 2 × (nodes 1 + zones (1 + 10 × (name 1 + site 2)) + devices (1 + 10 × 1)) = 1 + 2 × 43 = 87
    expect(check(query, { maxDepth: 12, maxComplexity: 86 })).toEqual([
      expect.stringMatching(/^query complexity 87 exceeds the limit of 86/),
    ]);
    expect(check(query, { maxDepth: 12, maxComplexity: 87 })).toEqual([]);
  });

  it('prices a variable page size as the largest page the API serves', () => {
    const literal = check('{ sites(first: 50) { nodes { name } } }', { maxDepth: 12, maxComplexity: 200 });
    expect(literal).toEqual([]);
    const variable = check('query($n: Int) { sites(first: $n) { nodes { name } } }', {
      maxDepth: 12,
      maxComplexity: 200,
    });
    expect(variable).toEqual([expect.stringMatching(/^query complexity 1001 exceeds/)]);
  });

  it('gives expensive fields their own cost', () => {
    expect(check('{ fleetSummary { totalDevices } }', { maxDepth: 12, maxComplexity: 20_001 })).toEqual([]);
    const two = check('{ a: fleetSummary { totalDevices } b: fleetSummary { totalDevices } }', {
      maxDepth: 12,
      maxComplexity: 30_000,
    });
    expect(two).toEqual([expect.stringMatching(/^query complexity 40002 exceeds the limit of 30000/)]);
    const plans = Array.from({ length: 11 }, (_, i) => `p${i}: planDevice(id: "${i}") { changes }`).join(' ');
    expect(check(`mutation { ${plans} }`)).toEqual([
      expect.stringMatching(/^query complexity 1100011 exceeds/),
    ]);
  });

  it('limits the names one field is selected under, the aliases of a document and the root fields', () => {
    const aliased = (n: number): string =>
      `{ ${Array.from({ length: n }, (_, i) => `a${i}: site(id: "${i}") { name }`).join(' ')} }`;
    expect(check(aliased(20))).toEqual([]);
    expect(check(aliased(21))).toEqual([
      'Query.site is selected under more than 20 names (aliases); select it once per object',
    ]);
    const zones = Array.from({ length: 21 }, (_, i) => `z${i}: name`).join(' ');
    expect(check(`{ sites { nodes { zones { ${zones} } } } }`)).toEqual([
      'Zone.name is selected under more than 20 names (aliases); select it once per object',
    ]);
    const spread = Array.from({ length: 101 }, (_, i) => `n${i}: name`);
    const manyAliases = `{ sites { nodes { ${spread.slice(0, 15).join(' ')} zones { ${spread.slice(15, 30).join(' ')} } } } }`;
    expect(check(manyAliases, { ...LIMITS, maxAliases: 29 })).toEqual([
      'the document uses 30 aliases; the limit is 29',
    ]);
    expect(check(manyAliases, { ...LIMITS, maxAliases: 30 })).toEqual([]);
    const roots = (n: number): string =>
      `{ ${Array.from({ length: n }, (_, i) => `${['sites', 'fleetSummary'][i % 2]}_${i}: ${['sites', 'fleetSummary'][i % 2]} { __typename }`).join(' ')} }`;
    expect(check(roots(4), { ...LIMITS, maxRootFields: 4 })).toEqual([]);
    expect(check(roots(5), { ...LIMITS, maxRootFields: 4 })).toEqual([
      'the operation selects 5 root fields; the limit is 4',
    ]);
  });

  it('refuses subscriptions as invalid for this schema', () => {
    expect(check('subscription { x }')).toEqual([
      'subscriptions are not supported: the schema has no subscription type',
    ]);
  });

  it('lets the standard introspection query through the default limits, and prices deep introspection', () => {
    expect(check(getIntrospectionQuery({ descriptions: true, inputValueDeprecation: true }))).toEqual([]);
    const nested = `{ __schema { types { ${'fields { type { '.repeat(6)} name ${'} } '.repeat(6)} } } }`;
    // graphql-js's own MaxIntrospectionDepthRule refuses it too; the cost estimate does not depend on it.
    expect(check(nested)).toContainEqual(expect.stringMatching(/^query complexity 22222212 exceeds/));
  });
});
