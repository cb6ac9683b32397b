import {
  getNamedType,
  getNullableType,
  GraphQLError,
  isListType,
  isObjectType,
  Kind,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLObjectType,
  type GraphQLSchema,
  type SelectionSetNode,
  type ValidationContext,
  type ValidationRule,
} from 'graphql';

const DEFAULT_PAGE = 50;
const UNBOUNDED_LIST = 10;

/**
 * Refuses operations nested deeper than `maxDepth`, or whose estimated cost exceeds `maxComplexity`:
 * each field costs 1, and a list multiplies its selection by `first` (connections) or 10.
 */
export function queryLimits(maxDepth: number, maxComplexity: number): ValidationRule {
  return (context: ValidationContext) => {
    const schema = context.getSchema();
    const fragments = new Map<string, FragmentDefinitionNode>();
    for (const def of context.getDocument().definitions) {
      if (def.kind === Kind.FRAGMENT_DEFINITION) fragments.set(def.name.value, def);
    }
    return {
      OperationDefinition(node) {
        const root = rootType(schema, node.operation);
        if (!root) return;
        const { cost, depth } = measure(root, node.selectionSet, fragments, context, 1, new Set());
        if (depth > maxDepth) {
          context.reportError(
            new GraphQLError(`query depth ${depth} exceeds the limit of ${maxDepth}`, {
              nodes: [node],
              extensions: { code: 'BAD_USER_INPUT' },
            }),
          );
        } else if (cost > maxComplexity) {
          context.reportError(
            new GraphQLError(
              `query complexity ${cost} exceeds the limit of ${maxComplexity}; request smaller pages`,
              {
                nodes: [node],
                extensions: { code: 'BAD_USER_INPUT' },
              },
            ),
          );
        }
      },
    };
  };
}

function rootType(schema: GraphQLSchema, operation: string): GraphQLObjectType | null | undefined {
  if (operation === 'query') return schema.getQueryType();
  if (operation === 'mutation') return schema.getMutationType();
  return schema.getSubscriptionType();
}

function measure(
  parent: GraphQLObjectType,
  selectionSet: SelectionSetNode,
  fragments: Map<string, FragmentDefinitionNode>,
  context: ValidationContext,
  level: number,
  visiting: Set<string>,
): { cost: number; depth: number } {
  let cost = 0;
  let depth = level;
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) {
      const result = measureField(parent, selection, fragments, context, level, visiting);
      cost += result.cost;
      depth = Math.max(depth, result.depth);
      continue;
    }
    const inner =
      selection.kind === Kind.INLINE_FRAGMENT
        ? selection.selectionSet
        : visiting.has(selection.name.value)
          ? null
          : fragments.get(selection.name.value)?.selectionSet;
    if (!inner) continue;
    const typeName =
      selection.kind === Kind.INLINE_FRAGMENT ? selection.typeCondition?.name.value : undefined;
    const type = typeName ? context.getSchema().getType(typeName) : parent;
    const next = new Set(visiting);
    if (selection.kind === Kind.FRAGMENT_SPREAD) next.add(selection.name.value);
    const result = measure(isObjectType(type) ? type : parent, inner, fragments, context, level, next);
    cost += result.cost;
    depth = Math.max(depth, result.depth);
  }
  return { cost, depth };
}

function measureField(
  parent: GraphQLObjectType,
  field: FieldNode,
  fragments: Map<string, FragmentDefinitionNode>,
  context: ValidationContext,
  level: number,
  visiting: Set<string>,
): { cost: number; depth: number } {
  const definition = parent.getFields()[field.name.value];
  if (!definition || !field.selectionSet) return { cost: 1, depth: level };
  const named = getNamedType(definition.type);
  const child = isObjectType(named) ? named : parent;
  const inner = measure(child, field.selectionSet, fragments, context, level + 1, visiting);
  const first = field.arguments?.find((a) => a.name.value === 'first');
  const isConnection = named.name.endsWith('Connection');
  const multiplier =
    first?.value.kind === Kind.INT
      ? Number(first.value.value)
      : isConnection
        ? DEFAULT_PAGE
        : isListType(getNullableType(definition.type))
          ? UNBOUNDED_LIST
          : 1;
  // A connection's own `nodes`/`edges` lists are the page already counted on the connection field.
  const multiplies =
    !parent.name.endsWith('Connection') && (isConnection || isListType(getNullableType(definition.type)));
  return { cost: 1 + inner.cost * (multiplies ? multiplier : 1), depth: inner.depth };
}
