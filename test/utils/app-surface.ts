import {
  getNullableType,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isScalarType,
  type GraphQLInputType,
} from 'graphql';
import type { TestApp } from './create-test-app';

/** A route as Express registered it: the path pattern (`:id`) and the verbs switched on. */
export interface RouteLayer {
  path: string;
  methods: Record<string, boolean>;
}

/**
 * The routes Express actually serves, read from its router (`router` from Express 5, `_router` before),
 * so a new endpoint is enumerated without being listed anywhere. Middleware layers (no route) are left out.
 */
export function routeLayers(t: TestApp): RouteLayer[] {
  const instance = t.app.getHttpAdapter().getInstance() as {
    router?: { stack: unknown[] };
    _router?: { stack: unknown[] };
  };
  const stack = (instance.router ?? instance._router)!.stack as { route?: RouteLayer }[];
  return stack.flatMap((layer) => (layer.route ? [layer.route] : []));
}

/**
 * A syntactically valid GraphQL literal for an input type (required input fields filled in, recursively),
 * so an operation gets past validation to the guard or resolver; `id` is the text of ID and String values.
 */
export function inputLiteral(type: GraphQLInputType, id: string): string {
  const inner = getNullableType(type);
  if (isListType(inner)) return `[${inputLiteral(inner.ofType, id)}]`;
  if (isEnumType(inner)) return inner.getValues()[0].name;
  if (isInputObjectType(inner)) {
    const required = Object.values(inner.getFields()).filter(
      (f) => isNonNullType(f.type) && f.defaultValue === undefined,
    );
    return `{ ${required.map((f) => `${f.name}: ${inputLiteral(f.type, id)}`).join(', ')} }`;
  }
  if (isScalarType(inner)) {
    switch (inner.name) {
      case 'Int':
        return '1';
      case 'Float':
        return '1.5';
      case 'Boolean':
        return 'false';
      default:
        return JSON.stringify(id);
    }
  }
  throw new Error(`no literal for ${String(inner)}`);
}
