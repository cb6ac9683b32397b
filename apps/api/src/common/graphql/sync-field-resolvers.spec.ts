import { buildSchema, execute, parse, type GraphQLFieldResolver, type GraphQLResolveInfo } from 'graphql';
import type { GraphQLContext } from './graphql-context';
import { connectionItemFields, NOT_LOADED, withSyncFieldResolvers } from './sync-field-resolvers';

type Resolver = GraphQLFieldResolver<unknown, GraphQLContext>;

describe('withSyncFieldResolvers', () => {
  const ctx = {} as GraphQLContext;
  const info = {} as GraphQLResolveInfo;

  it('answers from the fast path and falls back to the Nest resolver on NOT_LOADED', async () => {
    const nest = vi.fn<Resolver>(() => Promise.resolve('from nest'));
    const resolvers = { Node: { collector: nest as unknown } };
    withSyncFieldResolvers({
      Node: { collector: (node: { cached?: string }) => node.cached ?? NOT_LOADED },
    })(resolvers);
    const wrapped = resolvers.Node.collector as Resolver;

    expect(wrapped({ cached: 'master' }, {}, ctx, info)).toBe('master');
    expect(nest).not.toHaveBeenCalled();
    await expect(wrapped({}, { a: 1 }, ctx, info)).resolves.toBe('from nest');
    expect(nest).toHaveBeenCalledWith({}, { a: 1 }, ctx, info);
  });

  it('keeps a null answer (a relation that is absent) instead of falling back', () => {
    const nest = vi.fn<Resolver>();
    const resolvers = { Node: { collector: nest as unknown } };
    withSyncFieldResolvers({ Node: { collector: () => null } })(resolvers);
    expect((resolvers.Node.collector as Resolver)({}, {}, ctx, info)).toBeNull();
    expect(nest).not.toHaveBeenCalled();
  });

  it('refuses a fast path without a Nest resolver to fall back on', () => {
    expect(() => withSyncFieldResolvers({ Node: { missing: () => null } })({ Node: {} })).toThrow(
      /Node\.missing/,
    );
  });
});

describe('connectionItemFields', () => {
  const schema = buildSchema(`
    type Query { sites: SiteConnection! }
    type SiteConnection { totalCount: Int! nodes: [Site!]! edges: [SiteEdge!]! }
    type SiteEdge { cursor: String! node: Site! }
    type Site { id: ID! name: String! zones: [String!]! nodes: [String!]! devices: [String!]! }
  `);

  async function fieldsOf(query: string): Promise<string[]> {
    let seen: string[] = [];
    await execute({
      schema,
      document: parse(query),
      rootValue: {
        sites: (_args: unknown, _ctx: unknown, info: GraphQLResolveInfo) => {
          seen = [...connectionItemFields(info)].sort();
          return { totalCount: 0, nodes: [], edges: [] };
        },
      },
    });
    return seen;
  }

  it('reads the fields selected on nodes and on edges.node, through fragments', async () => {
    expect(await fieldsOf('{ sites { totalCount nodes { id zones } } }')).toEqual(['id', 'zones']);
    expect(await fieldsOf('{ sites { edges { cursor node { devices } } } }')).toEqual(['devices']);
    expect(
      await fieldsOf(`{ sites { ...C } }
        fragment C on SiteConnection { nodes { ... on Site { nodes } ...S } }
        fragment S on Site { name }`),
    ).toEqual(['name', 'nodes']);
  });

  it('selects nothing when only the count is asked for', async () => {
    expect(await fieldsOf('{ sites { totalCount } }')).toEqual([]);
  });
});
