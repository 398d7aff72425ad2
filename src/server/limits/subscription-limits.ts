import { GraphQLError, getOperationAST, specifiedRules, validate, type ExecutionArgs, type GraphQLSchema, type ValidationRule } from 'graphql';
import type { SubscribePayload } from 'graphql-ws';
import type { RequestContext } from '../../kernel/context';
import { formatError } from '../../kernel/format-error';
import { appError } from '../../kernel/errors';
import type { DocumentGuard } from './document-guard';
import { rateLimited, type OperationLimits } from './operation-limits';
import type { SignInLimits } from './sign-in-limits';

/** What graphql-ws operations are checked against: the HTTP path's guard, rules and limits. */
export interface SocketAdmission {
  schema: GraphQLSchema;
  guard: DocumentGuard;
  /** Validation rules besides graphql-js's own (no introspection, when it is off). */
  rules: readonly ValidationRule[];
  limits: OperationLimits;
  signIns: SignInLimits;
  hideSuggestions: boolean;
}

/**
 * graphql-ws: screens the text with the document guard, validates it (once per document, as
 * Apollo does for HTTP), then applies the same limits as HTTP (operation, variables, depth,
 * complexity, the caller's bucket) before anything runs. Returns the execution arguments, or
 * the errors the client receives instead, in the contract's form.
 */
export async function admitSocketOperation(admission: SocketAdmission, context: RequestContext, payload: SubscribePayload): Promise<ExecutionArgs | GraphQLError[]> {
  const { schema, guard, rules, limits } = admission;
  const answer = (errors: readonly GraphQLError[]) => errors.map((error) => inContract(error, admission.hideSuggestions));
  const screening = await guard.screen(payload.query);
  if (screening.kind !== 'parsed') {
    if (screening.kind === 'refused') await limits.charge(context, Math.max(1, Math.ceil(Buffer.byteLength(payload.query) / 1024)));
    return answer([screening.error]);
  }
  const { document } = screening;
  if (!screening.validated) {
    const invalid = validate(schema, document, [...specifiedRules, ...rules]);
    if (invalid.length > 0) return answer(invalid);
    await guard.documents.remember(screening.textHash, document);
  }
  const variables = payload.variables ?? undefined;
  const operation = getOperationAST(document, payload.operationName);
  const measured = limits.measure(schema, document, operation, payload.operationName, variables);
  if (typeof measured !== 'number') return answer([measured]);
  const [credentials] = operation ? admission.signIns.credentialFields(schema, document, operation) : [];
  if (credentials) return [overHttpOnly(credentials.node.name.value)];
  const decision = await limits.charge(context, measured);
  if (decision && !decision.allowed) return [rateLimited(decision)];
  return { schema, document, operationName: payload.operationName, variableValues: variables, contextValue: context };
}

/**
 * A connection holds at most `max` subscriptions at once: each costs the server work at every
 * push (a live dashboard reruns its reports), which the charge at its start does not pay for.
 */
export function tooManySubscriptions(open: number, max: number): GraphQLError[] | null {
  if (open < max) return null;
  return [appError('RATE_LIMITED', `This connection already has ${max} subscriptions open; complete one first`, { limit: 'subscriptions', maximum: max })];
}

/** Credentials are checked against the sign-in limits, which follow each attempt's outcome over HTTP. */
function overHttpOnly(field: string): GraphQLError {
  const message = `${field} takes credentials and is served over HTTP only (POST /graphql)`;
  return appError('BAD_USER_INPUT', message, { fields: [{ field, message }] });
}

/** The same mapping onto the contract's codes as HTTP errors get (validation errors have none of their own). */
function inContract(error: GraphQLError, hideSuggestions: boolean): GraphQLError {
  const formatted = formatError(error.toJSON(), error, false, hideSuggestions);
  return new GraphQLError(formatted.message, { nodes: error.nodes, source: error.source, positions: error.positions, extensions: formatted.extensions });
}
