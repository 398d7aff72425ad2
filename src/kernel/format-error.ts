import { GraphQLError, Kind, parse, visit, type ASTNode, type GraphQLFormattedError } from 'graphql';
import { unwrapResolverError } from '@apollo/server/errors';
import { ArgumentValidationError } from 'type-graphql';
import type { ValidationError } from 'class-validator';
import { QueryFailedError } from 'typeorm';
import type { ErrorCode, FieldProblem } from './errors';
import { databaseUnavailable, type Unavailability } from './db/unavailable';

const CONTRACT_CODES = new Set<ErrorCode>([
  'BAD_USER_INPUT',
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'NOT_FOUND',
  'CONFLICT',
  'RATE_LIMITED',
  'SERVICE_UNAVAILABLE',
  'PERSISTED_QUERY_NOT_FOUND',
  'INTERNAL_SERVER_ERROR',
]);

/** Unique indexes and the input field a client should correct when one refuses a write. */
const UNIQUE_FIELDS: Record<string, string> = {
  users_email_key: 'email',
  accounts_domain_key: 'domain',
  contacts_email_key: 'email',
  pipelines_default_key: 'isDefault',
  business_calendars_default_key: 'isDefault',
  sla_policies_priority_key: 'priority',
  teams_name_key: 'name',
  products_sku_key: 'sku',
  orders_number_key: 'number',
  // Reopening or restoring a follow-up task while a newer one for the same occasion is open.
  activities_follow_up_open_key: 'id',
};

export function validationProblems(errors: ValidationError[], prefix = ''): FieldProblem[] {
  return errors.flatMap((error) => {
    const field = prefix ? `${prefix}.${error.property}` : error.property;
    const own = Object.values(error.constraints ?? {}).map((message) => ({ field, message }));
    return [...own, ...validationProblems(error.children ?? [], field)];
  });
}

/** The input path (argument, then input-object fields) covering `offset` in the query text. */
function inputPathAt(source: string, offset: number): string | null {
  let document;
  try {
    document = parse(source);
  } catch {
    return null;
  }
  const stack: string[] = [];
  let best: string[] | null = null;
  const covers = (node: ASTNode) => node.loc && node.loc.start <= offset && offset < node.loc.end;
  visit(document, {
    enter(node) {
      if ((node.kind === Kind.ARGUMENT || node.kind === Kind.OBJECT_FIELD) && covers(node)) {
        stack.push(node.name.value);
        best = [...stack];
      } else if (node.kind === Kind.ARGUMENT || node.kind === Kind.OBJECT_FIELD) {
        return false;
      }
      return undefined;
    },
    leave(node) {
      if ((node.kind === Kind.ARGUMENT || node.kind === Kind.OBJECT_FIELD) && covers(node)) stack.pop();
    },
  });
  const path = best as string[] | null;
  if (!path) return null;
  return path.length > 1 ? path.slice(1).join('.') : path[0];
}

/** Names the field behind a graphql-js validation or coercion message. */
function fieldOf(error: GraphQLError): string {
  const message = error.message;
  // An unknown or missing input-object field is reported at its parent object; name the field itself.
  const inner = /; Field "(?:\w+\.)?(\w+)" (?:is not defined by type|of required type)/.exec(message)?.[1];
  const atPath = /Variable "\$(\w+)" got invalid value .*? at "([^"]+)"/.exec(message);
  if (atPath) return [atPath[2].split('.').slice(1).join('.'), inner].filter(Boolean).join('.') || atPath[1];
  const variable = /Variable "\$(\w+)"/.exec(message);
  if (variable) return inner ?? variable[1];
  const required = /Field "\w+\.(\w+)" of required type/.exec(message) ?? /Argument "(\w+)" of required type/.exec(message);
  if (required) return required[1];
  const unknown = /Unknown argument "(\w+)"/.exec(message) ?? /Field "(\w+)" is not defined by type/.exec(message);
  if (unknown) return unknown[1];
  const node = error.nodes?.[0];
  const source = error.source?.body;
  return (node?.loc && source && inputPathAt(source, node.loc.start)) || 'query';
}

export function databaseError(error: QueryFailedError): GraphQLFormattedError | null {
  const { code, constraint } = error.driverError as { code?: string; constraint?: string };
  if (code === '23505') {
    const field = UNIQUE_FIELDS[constraint ?? ''] ?? 'input';
    return { message: `Another record already uses this ${field}`, extensions: { code: 'CONFLICT', fields: [{ field, message: 'is already in use' }] } };
  }
  if (code === '40001' || code === '40P01') {
    return { message: 'The write collided with a concurrent one; retry it', extensions: { code: 'CONFLICT' } };
  }
  // 22021: a character the encoding cannot hold (NUL), should one get past the checks where input enters.
  if (code === '23503' || code === '23514' || code === '22001' || code === '22003' || code === '22P02' || code === '22007' || code === '22021') {
    return { message: 'The input does not fit the data model', extensions: { code: 'BAD_USER_INPUT', fields: [{ field: 'input', message: 'is not valid' }] } };
  }
  return null;
}

export const INTERNAL_MESSAGE = 'Internal server error';

const UNAVAILABLE_MESSAGES: Record<Unavailability, string> = {
  connection: 'The database connection failed or was lost; retry in a moment (a mutation retried with the same Idempotency-Key runs at most once)',
  timeout: 'The database took too long and the statement was cancelled; ask for less (a narrower filter, a smaller page, no totalCount) or retry later',
};

/** SERVICE_UNAVAILABLE for a database that could not serve the request; the HTTP answer is 503 with Retry-After. */
export function unavailableError(reason: Unavailability): GraphQLFormattedError {
  return {
    message: UNAVAILABLE_MESSAGES[reason],
    extensions: { code: 'SERVICE_UNAVAILABLE', reason: reason === 'timeout' ? 'STATEMENT_TIMEOUT' : 'DATABASE_UNAVAILABLE', retryAfterSeconds: 1 },
  };
}

/**
 * Maps whatever went wrong onto the contract: one of its codes, `extensions.fields` for bad
 * input, and nothing internal (stack, SQL) outside development.
 */
export function formatError(formatted: GraphQLFormattedError, raw: unknown, exposeInternals: boolean, hideSuggestions = false): GraphQLFormattedError {
  const answer = contractError(formatted, raw, exposeInternals);
  return hideSuggestions ? withoutSuggestions(answer) : answer;
}

const SUGGESTION = / ?Did you mean [^?]*\?/g;

/** Drops graphql-js's "Did you mean …?" hints, which reveal names of the schema. */
export function withoutSuggestions<E extends GraphQLFormattedError>(error: E): E {
  if (!error.message.includes('Did you mean')) return error;
  const strip = (text: string) => text.replace(SUGGESTION, '');
  const fields = error.extensions?.fields as FieldProblem[] | undefined;
  return {
    ...error,
    message: strip(error.message),
    ...(fields ? { extensions: { ...error.extensions, fields: fields.map((field) => ({ ...field, message: strip(field.message) })) } } : {}),
  };
}

function contractError(formatted: GraphQLFormattedError, raw: unknown, exposeInternals: boolean): GraphQLFormattedError {
  const error = unwrapResolverError(raw);
  const code = formatted.extensions?.code as string | undefined;
  if (error instanceof ArgumentValidationError) {
    const fields = validationProblems(error.extensions.validationErrors as ValidationError[]);
    return {
      message: `Invalid input (${fields.map((f) => f.message).join('; ')})`,
      locations: formatted.locations,
      path: formatted.path,
      extensions: { code: 'BAD_USER_INPUT', fields },
    };
  }
  if (error instanceof QueryFailedError) {
    const mapped = databaseError(error);
    if (mapped) return { ...mapped, path: formatted.path };
  }
  const unavailable = databaseUnavailable(error);
  if (unavailable) return { ...unavailableError(unavailable), locations: formatted.locations, path: formatted.path };
  if (code === 'OPERATION_RESOLUTION_FAILURE') {
    return { message: formatted.message, extensions: { code: 'BAD_USER_INPUT', fields: [{ field: 'operationName', message: formatted.message }] } };
  }
  if (!code || code === 'INTERNAL_SERVER_ERROR') {
    // Apollo's own request errors (a persisted-query hash that does not match the text, …) carry only an HTTP 4xx.
    const status = (raw as GraphQLError | undefined)?.extensions?.http as { status?: number } | undefined;
    if (status?.status && status.status >= 400 && status.status < 500) {
      return { message: formatted.message, extensions: { code: 'BAD_USER_INPUT', fields: [{ field: 'request', message: formatted.message }] } };
    }
  }
  if (code && CONTRACT_CODES.has(code as ErrorCode) && code !== 'INTERNAL_SERVER_ERROR') {
    if (code !== 'BAD_USER_INPUT' || formatted.extensions?.fields) {
      return { ...formatted, extensions: stripInternals(formatted.extensions, exposeInternals) };
    }
  }
  if (code === 'BAD_USER_INPUT' || code === 'GRAPHQL_VALIDATION_FAILED' || code === 'GRAPHQL_PARSE_FAILED' || code === 'BAD_REQUEST') {
    const field = raw instanceof GraphQLError ? fieldOf(raw) : 'query';
    return {
      message: formatted.message,
      locations: formatted.locations,
      path: formatted.path,
      extensions: { code: 'BAD_USER_INPUT', fields: [{ field, message: formatted.message }] },
    };
  }
  return {
    message: exposeInternals ? `${INTERNAL_MESSAGE}: ${formatted.message}` : INTERNAL_MESSAGE,
    locations: formatted.locations,
    path: formatted.path,
    extensions: { code: 'INTERNAL_SERVER_ERROR', ...(exposeInternals ? { stacktrace: formatted.extensions?.stacktrace } : {}) },
  };
}

function stripInternals(extensions: Record<string, unknown> | undefined, expose: boolean): Record<string, unknown> | undefined {
  if (!extensions || expose) return extensions;
  const { stacktrace: _stacktrace, ...rest } = extensions;
  return rest;
}

/** True for errors that are the server's fault and must be logged. */
export function isInternal(formatted: GraphQLFormattedError): boolean {
  return formatted.extensions?.code === 'INTERNAL_SERVER_ERROR';
}
