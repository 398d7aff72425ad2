import {
  getNamedType,
  getNullableType,
  isInterfaceType,
  isObjectType,
  isListType,
  Kind,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLNamedType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../../kernel/pagination/connection';

/** What an operation would cost: its deepest field path and its complexity in points. */
export interface OperationCost {
  depth: number;
  complexity: number;
}

const CONNECTION = /Connection$/;
const BULK_RESULT = /BulkUpsertResult$/;
/** Bulk upserts: each 10 items cost 1 point, and what is selected per item is paid once per 10 items. */
export const BULK_ITEMS_PER_POINT = 10;
const ZERO: OperationCost = { depth: 0, complexity: 0 };

/**
 * Measures a validated operation before it runs. Every field that returns an object costs 1 (a
 * leaf costs 0); a Relay connection costs 1, and the rows of its `edges` are paid once per row
 * of its page size (`first`/`last`, default 50, at most 200), so nested connections multiply.
 * Plain lists count once. A bulk upsert (a field taking a list `inputs`) costs 1 point per
 * BULK_ITEMS_PER_POINT items, and its `items` are paid like a page of that many rows: a write's
 * work is in the statements it runs, not in the selection, which loads in one batch. Fragments on different concrete types are alternatives: the most
 * expensive one counts. Introspection (`__schema`, `__type`) is neither measured nor charged.
 * A connection's `totalCount` scans every matching row, however small the page: each place it is
 * asked for adds `totalCountCost` (the rows it really scanned are charged after the request, with
 * the rest of its database time; see limits-plugin.ts).
 */
export function measureOperation(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Record<string, unknown> | undefined,
  totalCountCost = 0,
): OperationCost {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  // A fragment's cost depends only on its own selections (and the fixed variables): measure it once,
  // so fragments spreading fragments twice per level cannot make the measurement itself explode.
  const measuredFragments = new Map<string, OperationCost>();
  const rootType = schema.getRootType(operation.operation);
  if (!rootType) return ZERO;
  // Counts are paid once per place they are asked for: nested in a page, one statement counts for every parent row.
  let counts = 0;

  function selections(selectionSet: SelectionSetNode, parent: GraphQLNamedType, rows: number): OperationCost {
    let depth = 0;
    let complexity = 0;
    const alternatives = new Map<string, number>();
    const add = (typeName: string, cost: OperationCost) => {
      depth = Math.max(depth, cost.depth);
      if (typeName === parent.name) complexity += cost.complexity;
      else alternatives.set(typeName, (alternatives.get(typeName) ?? 0) + cost.complexity);
    };
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) add(parent.name, field(selection, parent, rows));
      else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const typeName = selection.typeCondition?.name.value ?? parent.name;
        add(typeName, selections(selection.selectionSet, schema.getType(typeName) ?? parent, rows));
      } else {
        const definition = fragments.get(selection.name.value);
        if (definition) add(definition.typeCondition.name.value, fragment(definition, rows));
      }
    }
    return { depth, complexity: complexity + Math.max(0, ...alternatives.values()) };
  }

  function fragment(definition: FragmentDefinitionNode, rows: number): OperationCost {
    const key = `${definition.name.value}:${rows}`;
    let cost = measuredFragments.get(key);
    if (!cost) {
      const type = schema.getType(definition.typeCondition.name.value);
      cost = type ? selections(definition.selectionSet, type, rows) : ZERO;
      measuredFragments.set(key, cost);
    }
    return cost;
  }

  /** `rows`: the page size of the connection `parent` is, for its `edges`. */
  function field(node: FieldNode, parent: GraphQLNamedType, rows: number): OperationCost {
    const name = node.name.value;
    if (name === '__schema' || name === '__type') return ZERO;
    if (name === 'totalCount' && CONNECTION.test(parent.name)) counts += 1;
    if (!node.selectionSet) return { depth: 1, complexity: 0 };
    const definition = isObjectType(parent) || isInterfaceType(parent) ? parent.getFields()[name] : undefined;
    if (!definition) return ZERO;
    const type = getNamedType(definition.type);
    const isConnection = CONNECTION.test(type.name) && definition.args.some((arg) => arg.name === 'first' || arg.name === 'last');
    const bulk = definition.args.some((arg) => arg.name === 'inputs') ? Math.ceil(listSize(node, 'inputs', variables) / BULK_ITEMS_PER_POINT) : 0;
    const childRows = isConnection ? pageSize(node, variables) : bulk || 1;
    const children = selections(node.selectionSet, type, childRows);
    // A connection's `edges` (a list on the connection type) is its page: a wrapper paid per row.
    const isPage = (CONNECTION.test(parent.name) || BULK_RESULT.test(parent.name)) && isListType(getNullableType(definition.type));
    return { depth: children.depth + 1, complexity: isPage ? rows * children.complexity : 1 + bulk + children.complexity };
  }

  const cost = selections(operation.selectionSet, rootType, 1);
  return { depth: cost.depth, complexity: cost.complexity + counts * totalCountCost };
}

/** The rows a connection field asks for: `first` or `last` (the larger when both), default 50, capped at 200. */
function pageSize(node: FieldNode, variables: Record<string, unknown> | undefined): number {
  const sizes: number[] = [];
  for (const argument of node.arguments ?? []) {
    if (argument.name.value !== 'first' && argument.name.value !== 'last') continue;
    const value = argument.value;
    const size =
      value.kind === Kind.INT ? Number(value.value) : value.kind === Kind.VARIABLE ? variables?.[value.name.value] : undefined;
    if (typeof size === 'number' && Number.isFinite(size)) sizes.push(size);
  }
  const size = sizes.length ? Math.max(...sizes) : DEFAULT_PAGE_SIZE;
  return Math.min(MAX_PAGE_SIZE, Math.max(0, Math.floor(size)));
}

/** How many entries the list argument `name` holds (a literal list or a variable), 0 when not a list. */
function listSize(node: FieldNode, name: string, variables: Record<string, unknown> | undefined): number {
  const value = node.arguments?.find((argument) => argument.name.value === name)?.value;
  if (value?.kind === Kind.LIST) return value.values.length;
  const given = value?.kind === Kind.VARIABLE ? variables?.[value.name.value] : undefined;
  return Array.isArray(given) ? given.length : 0;
}
