import type { GqlModuleOptions } from '@nestjs/graphql';
import {
  Kind,
  type FieldNode,
  type GraphQLFieldResolver,
  type GraphQLResolveInfo,
  type SelectionSetNode,
} from 'graphql';
import type { GraphQLContext } from './graphql-context';

/** What a fast path returns when it cannot answer from memory: the field goes through its Nest resolver. */
export const NOT_LOADED: unique symbol = Symbol('not loaded');

/** Answers a field from what the request already loaded, synchronously, or NOT_LOADED. */
export type SyncFieldResolver = (parent: never, ctx: GraphQLContext) => unknown;

type Resolvers = Parameters<NonNullable<GqlModuleOptions['transformResolvers']>>[0];

/** Fast paths by type and field name (GraphQL names: `{ Node: { collector } }`). */
export type SyncFieldResolvers = Record<string, Record<string, SyncFieldResolver>>;

/**
 * Nest wraps every field resolver in its execution context (parameter extraction, pipes, interceptors), all
 * asynchronous; a relation read by a 200-site dashboard runs it ~2,000 times, and each returned promise also
 * makes graphql-js complete that object asynchronously. A fast path answers a relation field from the
 * request's loaders when they already hold the rows (zones of the site's interfaces, a node's collector), as
 * the Nest resolver would, and leaves everything else (arguments, guards, misses) to the Nest resolver.
 *
 * Only for fields whose Nest resolver takes no arguments and has no guard or interceptor of its own: the fast
 * path skips them. Used as GraphQLModule's `transformResolvers`.
 */
export function withSyncFieldResolvers(fastPaths: SyncFieldResolvers): (resolvers: Resolvers) => Resolvers {
  return (resolvers) => {
    for (const map of Array.isArray(resolvers) ? resolvers : [resolvers]) {
      for (const [type, fields] of Object.entries(fastPaths)) {
        for (const [field, fast] of Object.entries(fields)) {
          const fieldsOfType = map[type] as Record<string, unknown> | undefined;
          const nest = fieldsOfType?.[field] as GraphQLFieldResolver<unknown, GraphQLContext> | undefined;
          if (typeof nest !== 'function') {
            throw new Error(`sync field resolver for ${type}.${field}: no Nest resolver to fall back on`);
          }
          fieldsOfType![field] = ((parent, args, ctx, info) => {
            const value = fast(parent as never, ctx);
            return value === NOT_LOADED ? nest(parent, args, ctx, info) : value;
          }) satisfies GraphQLFieldResolver<unknown, GraphQLContext>;
        }
      }
    }
    return resolvers;
  };
}

/**
 * Field names selected on the items of a connection field (`nodes { … }` and `edges { node { … } }`),
 * fragments included; directives are not evaluated, so a skipped field still counts (a harmless prefetch).
 */
export function connectionItemFields(info: GraphQLResolveInfo): Set<string> {
  const names = new Set<string>();
  const visit = (set: SelectionSetNode | undefined, onField: (field: FieldNode) => void): void => {
    for (const selection of set?.selections ?? []) {
      if (selection.kind === Kind.FIELD) onField(selection);
      else if (selection.kind === Kind.INLINE_FRAGMENT) visit(selection.selectionSet, onField);
      else visit(info.fragments[selection.name.value]?.selectionSet, onField);
    }
  };
  const items = (field: FieldNode): void => visit(field.selectionSet, (f) => names.add(f.name.value));
  for (const node of info.fieldNodes) {
    visit(node.selectionSet, (field) => {
      if (field.name.value === 'nodes') items(field);
      else if (field.name.value === 'edges') {
        visit(field.selectionSet, (edge) => {
          if (edge.name.value === 'node') items(edge);
        });
      }
    });
  }
  return names;
}
