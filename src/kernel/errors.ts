import { GraphQLError } from 'graphql';

/** The only codes the public contract allows in `extensions.code`. */
export type ErrorCode =
  | 'BAD_USER_INPUT'
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'RATE_LIMITED'
  /** The database could not serve the request (connection lost, statement timeout): retry later; HTTP 503. */
  | 'SERVICE_UNAVAILABLE'
  /** Automatic persisted queries: the hash is not known here; send the query text with it. */
  | 'PERSISTED_QUERY_NOT_FOUND'
  | 'INTERNAL_SERVER_ERROR';

export interface FieldProblem {
  /** Path of the offending input field, e.g. `input.email` or `first`. */
  field: string;
  message: string;
}

export function appError(code: ErrorCode, message: string, extensions: Record<string, unknown> = {}): GraphQLError {
  return new GraphQLError(message, { extensions: { ...extensions, code } });
}

export function badInput(fields: FieldProblem[]): GraphQLError {
  const summary = fields.map((f) => `${f.field}: ${f.message}`).join('; ');
  return appError('BAD_USER_INPUT', `Invalid input (${summary})`, { fields });
}

export function badField(field: string, message: string): GraphQLError {
  return badInput([{ field, message }]);
}

export function notFound(type: string): GraphQLError {
  return appError('NOT_FOUND', `${type} not found`);
}

export function conflict(type: string, currentVersion: number): GraphQLError {
  return appError('CONFLICT', `${type} was changed by someone else; current version is ${currentVersion}`, {
    currentVersion,
  });
}

export function unauthenticated(message = 'Authentication required'): GraphQLError {
  return appError('UNAUTHENTICATED', message);
}

export function forbidden(message = 'Your role does not allow this'): GraphQLError {
  return appError('FORBIDDEN', message);
}
