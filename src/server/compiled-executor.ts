import type { GatewayExecutor, GatewayInterface } from '@apollo/server-gateway-interface';
import {
  GraphQLError,
  execute,
  getNamedType,
  getVariableValues,
  isInputObjectType,
  printSchema,
  typeFromAST,
  type DocumentNode,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';
import { compileQuery, isCompiledQuery, type CompiledQuery } from 'graphql-jit';

/** Compiled operations per document; Apollo's document store hands out the same parsed document for the same text. */
type Compiled = WeakMap<DocumentNode, Map<string, CompiledQuery | null>>;

/**
 * graphql-jit compiles the coercion of variables itself, and for input objects it differs from
 * graphql-js (it misses input fields' defaults inside lists, and never ends on an input type that
 * holds itself, graphql-jit issue 81). So only operations whose variables are scalars and enums
 * run compiled (their coercion is the type's own parseValue); the others run on graphql-js.
 */
function compilable(schema: GraphQLSchema, operation: OperationDefinitionNode): boolean {
  return (operation.variableDefinitions ?? []).every((definition) => !isInputObjectType(getNamedType(typeFromAST(schema, definition.type as never))));
}

/**
 * An input object written in the query with a variable that was not sent: graphql-js leaves its
 * field out, graphql-jit sets it to null (and `null` can mean "clear"). Such requests run on graphql-js.
 */
function everyVariableGiven(operation: OperationDefinitionNode, variables: Record<string, unknown> | undefined): boolean {
  return (operation.variableDefinitions ?? []).every((definition) => definition.defaultValue || (variables && definition.variable.name.value in variables));
}

function compiledOperation(cache: Compiled, schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode, operationName: string | undefined): CompiledQuery | null {
  let byName = cache.get(document);
  if (!byName) cache.set(document, (byName = new Map()));
  const key = operationName ?? '';
  let compiled = byName.get(key);
  if (compiled === undefined) {
    const result = compilable(schema, operation) ? compileQuery(schema, document, operationName) : null;
    byName.set(key, (compiled = result && isCompiledQuery(result) ? result : null));
  }
  return compiled;
}

/**
 * Runs a parsed and validated operation as JavaScript compiled for it (graphql-jit) instead of
 * graphql-js's generic walk over every field of every row. Variables are coerced by graphql-js
 * first, so a bad variable is answered exactly as before; subscriptions, operations with a
 * variable of an input object type (see compilable), requests that leave a variable out, and
 * anything the compiler declines run on graphql-js.
 */
export function compiledExecutor(schema: GraphQLSchema): GatewayExecutor {
  const cache: Compiled = new WeakMap();
  return async ({ document, operation, request, context }) => {
    const operationName = request.operationName ?? undefined;
    const compiled = operation.operation === 'subscription' || !everyVariableGiven(operation, request.variables) ? null : compiledOperation(cache, schema, document, operation, operationName);
    if (!compiled) return execute({ schema, document, contextValue: context, variableValues: request.variables, operationName });
    const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], request.variables ?? {}, { maxErrors: 50 });
    if (coerced.errors) return { errors: coerced.errors };
    const result = await compiled.query(undefined, context, request.variables ?? {});
    return result.errors ? { ...result, errors: result.errors.map(asGraphQLError) } : result;
  };
}

/**
 * graphql-jit's errors leave `extensions` undefined when the thrown error had none (graphql-js
 * gives an empty object, and Apollo's error formatting relies on it): the same error as graphql-js
 * builds it, at the locations graphql-jit computed.
 */
function asGraphQLError(error: GraphQLError): GraphQLError {
  const rebuilt = new GraphQLError(error.message, { path: error.path, originalError: error.originalError, extensions: error.extensions });
  (rebuilt as { locations?: GraphQLError['locations'] }).locations = error.locations;
  return rebuilt;
}

/** Apollo Server takes a custom executor only from a gateway: one that serves this fixed schema. */
export function compiledGateway(schema: GraphQLSchema): GatewayInterface {
  return {
    onSchemaLoadOrUpdate(callback) {
      callback({ apiSchema: schema, coreSupergraphSdl: printSchema(schema) });
      return () => undefined;
    },
    load: async () => ({ executor: compiledExecutor(schema) }),
    stop: async () => undefined,
  };
}
