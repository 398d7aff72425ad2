import {
  defaultFieldResolver,
  getNamedType,
  isAbstractType,
  isObjectType,
  type GraphQLAbstractType,
  type GraphQLFieldResolver,
  type GraphQLNamedType,
  type GraphQLObjectType,
  type GraphQLResolveInfo,
  type GraphQLSchema,
} from 'graphql';
import type { ApiKeyActor, RequestContext } from '../context';
import { BY_RECORD_TYPE, OPEN, READ_RULE_OF_TYPE, lacksScope, missingReadScope } from './read-scopes';

/**
 * How a field's result is checked for an API key:
 * - `type`: before resolving, by the declared type (records, their connections and edges), so
 *   nothing is loaded for a key that may not read it;
 * - `value`: after resolving, by each value's own type (`Node`, unions, record events);
 * - `nodes`: a connection whose nodes are checked one by one by their edge's `node` field.
 * null: the type holds no record data.
 */
export type ReadCheck = { by: 'type'; typeName: string } | { by: 'value' } | { by: 'nodes' } | null;

/** Connections (`XConnection.edges`) and edges (`XEdge.node`) stand for their node type. */
function nodeTypeOf(type: GraphQLObjectType): GraphQLNamedType | null {
  const fields = type.getFields();
  const inner = type.name.endsWith('Connection') ? fields.edges : type.name.endsWith('Edge') ? fields.node : undefined;
  return inner ? getNamedType(inner.type) : null;
}

export function readCheckOf(type: GraphQLNamedType): ReadCheck {
  if (isAbstractType(type)) return { by: 'value' };
  if (!isObjectType(type)) return null;
  const rule = READ_RULE_OF_TYPE[type.name];
  if (rule === OPEN) return null;
  if (rule === BY_RECORD_TYPE) return { by: 'value' };
  if (rule !== undefined) return { by: 'type', typeName: type.name };
  const node = nodeTypeOf(type);
  if (node) {
    const check = readCheckOf(node);
    return check?.by === 'value' ? { by: 'nodes' } : check;
  }
  return { by: 'type', typeName: type.name }; // undeclared: refused (fails closed)
}

function refuseUnreadable(apiKey: ApiKeyActor, typeName: string, recordType?: string): void {
  const missing = missingReadScope(apiKey, typeName, recordType);
  if (missing) throw lacksScope(missing);
}

/** Checks a resolved value (or list of them) by its concrete type. */
async function checkValue(apiKey: ApiKeyActor, value: unknown, ctx: RequestContext, info: GraphQLResolveInfo, type: GraphQLNamedType): Promise<unknown> {
  if (value == null) return value;
  if (Array.isArray(value)) {
    await Promise.all(value.map((item) => checkValue(apiKey, item, ctx, info, type)));
    return value;
  }
  if (isAbstractType(type)) {
    const resolved = await (type as GraphQLAbstractType).resolveType?.(value, ctx, info, type as GraphQLAbstractType);
    refuseUnreadable(apiKey, resolved ?? `(unresolved ${type.name})`);
  } else {
    refuseUnreadable(apiKey, type.name, (value as { recordType?: string }).recordType);
  }
  return value;
}

function guarded(resolve: GraphQLFieldResolver<unknown, RequestContext>, type: GraphQLNamedType, check: ReadCheck & { by: 'type' | 'value' }): GraphQLFieldResolver<unknown, RequestContext> {
  return (source, args, ctx, info) => {
    const apiKey = ctx?.apiKey;
    if (!apiKey) return resolve(source, args, ctx, info);
    if (check.by === 'type') {
      refuseUnreadable(apiKey, check.typeName);
      return resolve(source, args, ctx, info);
    }
    return Promise.resolve(resolve(source, args, ctx, info)).then((value) => checkValue(apiKey, value, ctx, info, type));
  };
}

/**
 * The one place API keys' read scopes are enforced: every field of every object type (relations,
 * `node`, lists, subscriptions; every root query) is wrapped by the type it returns, so a new
 * resolver cannot skip it. People and the system pass straight through. Root mutations are left
 * alone: their write scope covers the record they return, and its relations are checked here.
 */
export function guardRecordReads(schema: GraphQLSchema): GraphQLSchema {
  const mutation = schema.getMutationType();
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type === mutation || type.name.startsWith('__')) continue;
    for (const field of Object.values(type.getFields())) {
      const returned = getNamedType(field.type);
      const check = readCheckOf(returned);
      if (check && check.by !== 'nodes') field.resolve = guarded((field.resolve ?? defaultFieldResolver) as GraphQLFieldResolver<unknown, RequestContext>, returned, check);
    }
  }
  return schema;
}
