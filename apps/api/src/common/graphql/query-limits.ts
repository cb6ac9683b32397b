import {
  getNamedType,
  getNullableType,
  GraphQLError,
  isInterfaceType,
  isListType,
  isObjectType,
  Kind,
  OperationTypeNode,
  SchemaMetaFieldDef,
  TypeMetaFieldDef,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLField,
  type GraphQLInterfaceType,
  type GraphQLObjectType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValidationContext,
  type ValidationRule,
} from 'graphql';
import { DEFAULT_LIMIT, MAX_LIMIT } from '../pagination/pagination';

const UNBOUNDED_LIST = 10;

/**
 * Fields whose resolver does far more than read a row, by schema coordinate. A plain field costs 1, so these
 * weigh as many rows as the work they stand for: aggregates over the whole fleet or inventory, and calls to a
 * live firewall (seconds each, and mutations run one after another).
 */
export const FIELD_COSTS: Readonly<Record<string, number>> = {
  'Query.fleetSummary': 20_000,
  'Query.reachability': 20_000,
  'Mutation.pushFleet': 20_000,
  'Mutation.planDevice': 100_000,
  'Mutation.checkDrift': 100_000,
  // Computed by the engine; batched per request, so per device it is closer to a handful of rows.
  'Device.ruleSet': 100,
};

export interface QueryLimitOptions {
  maxDepth: number;
  /** Estimated cost limit: each field 1 (or its FIELD_COSTS entry), lists multiply their selection. */
  maxComplexity: number;
  /** Distinct root fields (response names) one operation may select. */
  maxRootFields?: number;
  /** Aliases one document may use. */
  maxAliases?: number;
  /** Distinct response names under which one field of one type may be selected (`a: f`, `b: f`, …). */
  maxNamesPerField?: number;
  fieldCosts?: Readonly<Record<string, number>>;
}

/**
 * Largest document parsed (graphql-js `maxTokens`; Apollo's `parseOptions`): about 15 times the standard
 * introspection query, so hand-written operations fit while validation stays in milliseconds (some of
 * graphql-js's own rules are quadratic in the fields of one selection set). Bulk input belongs in variables.
 */
export const MAX_DOCUMENT_TOKENS = 3000;
/** Longest document read at all, in characters: comments, whitespace and long strings cost lexing, not tokens. */
export const MAX_DOCUMENT_CHARS = 100_000;
export const DEFAULT_MAX_ROOT_FIELDS = 30;
export const DEFAULT_MAX_ALIASES = 100;
export const DEFAULT_MAX_NAMES_PER_FIELD = 20;

type Composite = GraphQLObjectType | GraphQLInterfaceType;

interface Measure {
  cost: number;
  /** Levels of fields from this selection set down, itself included (a set of leaves is 1). */
  height: number;
}

/**
 * Refuses subscriptions (the schema has none), operations nested deeper than `maxDepth` or estimated to cost
 * more than `maxComplexity`, and documents that multiply work through aliases or many root fields.
 *
 * Each fragment is measured once per type it is spread into, so the work is linear in the document: a chain
 * of fragments each spreading the previous one twice describes 2^n fields in n lines, and must be refused in
 * as many steps as it has lines.
 */
export function queryLimits(options: QueryLimitOptions): ValidationRule {
  const maxRootFields = options.maxRootFields ?? DEFAULT_MAX_ROOT_FIELDS;
  const maxAliases = options.maxAliases ?? DEFAULT_MAX_ALIASES;
  const maxNamesPerField = options.maxNamesPerField ?? DEFAULT_MAX_NAMES_PER_FIELD;
  const fieldCosts = options.fieldCosts ?? FIELD_COSTS;
  return (context: ValidationContext) => {
    const fragments = new Map<string, FragmentDefinitionNode>();
    for (const def of context.getDocument().definitions) {
      if (def.kind === Kind.FRAGMENT_DEFINITION) fragments.set(def.name.value, def);
    }
    const measurer = new Measurer(context.getSchema(), fragments, fieldCosts);
    let aliases = 0;
    const namesByField = new Map<string, Set<string>>();
    const refuse = (message: string, node: OperationDefinitionNode | FieldNode): void =>
      context.reportError(
        new GraphQLError(message, { nodes: [node], extensions: { code: 'BAD_USER_INPUT' } }),
      );

    return {
      Field(node) {
        if (node.alias) aliases += 1;
        const parent = context.getParentType();
        if (!parent) return;
        const coordinate = `${parent.name}.${node.name.value}`;
        const names = namesByField.get(coordinate) ?? new Set<string>();
        names.add(node.alias?.value ?? node.name.value);
        namesByField.set(coordinate, names);
        // Reported once, when the limit is first passed.
        if (names.size === maxNamesPerField + 1) {
          refuse(
            `${coordinate} is selected under more than ${maxNamesPerField} names (aliases); select it once per object`,
            node,
          );
        }
      },
      OperationDefinition: {
        leave(node) {
          if (node.operation === OperationTypeNode.SUBSCRIPTION) {
            // What the GraphQL spec's "Operation Type Existence" rule (graphql-js 17 KnownOperationTypesRule)
            // refuses; graphql-js 16 only fails later, at execution, as an internal error.
            refuse('subscriptions are not supported: the schema has no subscription type', node);
            return;
          }
          const root =
            node.operation === OperationTypeNode.QUERY
              ? context.getSchema().getQueryType()
              : context.getSchema().getMutationType();
          if (!root) return;
          const rootFields = measurer.responseNames(node.selectionSet);
          if (rootFields > maxRootFields) {
            refuse(`the operation selects ${rootFields} root fields; the limit is ${maxRootFields}`, node);
            return;
          }
          const { cost, height } = measurer.selectionSet(root, node.selectionSet);
          if (height > options.maxDepth) {
            refuse(`query depth ${height} exceeds the limit of ${options.maxDepth}`, node);
          } else if (cost > options.maxComplexity) {
            refuse(
              `query complexity ${cost} exceeds the limit of ${options.maxComplexity}; request smaller pages or fewer expensive fields`,
              node,
            );
          }
        },
      },
      Document: {
        leave(node) {
          if (aliases > maxAliases) {
            context.reportError(
              new GraphQLError(`the document uses ${aliases} aliases; the limit is ${maxAliases}`, {
                nodes: [node.definitions[0]],
                extensions: { code: 'BAD_USER_INPUT' },
              }),
            );
          }
        },
      },
    };
  };
}

class Measurer {
  /** `fragment@type` → its measure; `null` while it is being measured (a cycle NoFragmentCycles reports). */
  private readonly memo = new Map<string, Measure | null>();

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly fragments: Map<string, FragmentDefinitionNode>,
    private readonly fieldCosts: Readonly<Record<string, number>>,
  ) {}

  selectionSet(parent: Composite, selectionSet: SelectionSetNode): Measure {
    let cost = 0;
    let height = 1;
    for (const selection of selectionSet.selections) {
      let inner: Measure;
      if (selection.kind === Kind.FIELD) {
        inner = this.field(parent, selection);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        inner = this.selectionSet(
          this.narrow(parent, selection.typeCondition?.name.value),
          selection.selectionSet,
        );
      } else {
        inner = this.fragment(parent, selection.name.value);
      }
      cost += inner.cost;
      height = Math.max(height, inner.height);
    }
    return { cost, height };
  }

  /** Distinct response names a selection set yields, its fragments merged in (each looked at once). */
  responseNames(selectionSet: SelectionSetNode): number {
    const names = new Set<string>();
    const seen = new Set<string>();
    const walk = (set: SelectionSetNode): void => {
      for (const selection of set.selections) {
        if (selection.kind === Kind.FIELD) names.add(selection.alias?.value ?? selection.name.value);
        else if (selection.kind === Kind.INLINE_FRAGMENT) walk(selection.selectionSet);
        else if (!seen.has(selection.name.value)) {
          seen.add(selection.name.value);
          const fragment = this.fragments.get(selection.name.value);
          if (fragment) walk(fragment.selectionSet);
        }
      }
    };
    walk(selectionSet);
    return names.size;
  }

  private fragment(parent: Composite, name: string): Measure {
    const definition = this.fragments.get(name);
    if (!definition) return { cost: 0, height: 1 };
    const type = this.narrow(parent, definition.typeCondition.name.value);
    const key = `${name}@${type.name}`;
    const known = this.memo.get(key);
    if (known) return known;
    if (known === null) return { cost: 0, height: 1 };
    this.memo.set(key, null);
    const measured = this.selectionSet(type, definition.selectionSet);
    this.memo.set(key, measured);
    return measured;
  }

  private field(parent: Composite, node: FieldNode): Measure {
    const definition = this.definition(parent, node.name.value);
    const own = this.fieldCosts[`${parent.name}.${node.name.value}`] ?? 1;
    if (!definition || !node.selectionSet) return { cost: own, height: 1 };
    const named = getNamedType(definition.type);
    const child = isObjectType(named) || isInterfaceType(named) ? named : parent;
    const inner = this.selectionSet(child, node.selectionSet);
    const listType = isListType(getNullableType(definition.type));
    const isConnection = named.name.endsWith('Connection');
    // A connection's own `nodes`/`edges` lists are the page already counted on the connection field.
    const multiplies = !parent.name.endsWith('Connection') && (isConnection || listType);
    const multiplier = multiplies ? pageSize(node, isConnection) : 1;
    // Introspection nests `ofType` deeper than any data query (the standard query 8 levels); it still costs.
    const height = named.name.startsWith('__') ? 1 : 1 + inner.height;
    return { cost: own + inner.cost * multiplier, height };
  }

  private definition(parent: Composite, name: string): GraphQLField<unknown, unknown> | undefined {
    if (parent === this.schema.getQueryType()) {
      if (name === SchemaMetaFieldDef.name) return SchemaMetaFieldDef;
      if (name === TypeMetaFieldDef.name) return TypeMetaFieldDef;
    }
    return parent.getFields()[name];
  }

  /** The type a fragment's fields are read on: its condition when that is an object or interface type. */
  private narrow(parent: Composite, typeName: string | undefined): Composite {
    const type = typeName ? this.schema.getType(typeName) : undefined;
    return isObjectType(type) || isInterfaceType(type) ? type : parent;
  }
}

/** `first` when given literally; with a variable, the largest page the API serves. */
function pageSize(node: FieldNode, isConnection: boolean): number {
  const first = node.arguments?.find((a) => a.name.value === 'first');
  if (first?.value.kind === Kind.INT) return Number(first.value.value);
  if (first?.value.kind === Kind.VARIABLE) return MAX_LIMIT;
  return isConnection ? DEFAULT_LIMIT : UNBOUNDED_LIST;
}
