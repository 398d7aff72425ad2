import { getOperationAST, GraphQLError, parse, validate, type DocumentNode, type ExecutionArgs, type GraphQLSchema } from 'graphql';
import type { SubscribePayload } from 'graphql-ws';
import type { RequestContext } from '../../kernel/context';
import { rateLimited, type OperationLimits } from './operation-limits';

/**
 * graphql-ws: parses and validates an operation as the library would, then applies the same
 * limits as HTTP (depth, complexity, the caller's bucket) before anything runs. Returns the
 * execution arguments, or the errors the client receives instead.
 */
export async function admitSocketOperation(
  schema: GraphQLSchema,
  limits: OperationLimits,
  context: RequestContext,
  payload: SubscribePayload,
): Promise<ExecutionArgs | GraphQLError[]> {
  let document: DocumentNode;
  try {
    document = parse(payload.query);
  } catch (error) {
    return [error instanceof GraphQLError ? error : new GraphQLError(String(error))];
  }
  const invalid = validate(schema, document);
  if (invalid.length > 0) return [...invalid];
  const variables = payload.variables ?? undefined;
  const operation = getOperationAST(document, payload.operationName);
  const measured = operation ? limits.measure(schema, document, operation, variables) : 1;
  if (typeof measured !== 'number') return [measured];
  const decision = await limits.charge(context, measured);
  if (decision && !decision.allowed) return [rateLimited(decision)];
  return { schema, document, operationName: payload.operationName, variableValues: variables, contextValue: context };
}
