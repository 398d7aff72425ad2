import type { ServerResponse } from 'node:http';
import type { GraphQLError } from 'graphql';
import type { RequestContext } from '../../kernel/context';
import { badField } from '../../kernel/errors';
import type { DocumentGuard } from './document-guard';
import { rateLimited, rateLimitHeaders, type OperationLimits } from './operation-limits';

/** A request answered before Apollo sees it. */
export interface Refusal {
  status: number;
  error: GraphQLError;
  headers: Array<[string, string]>;
}

/** A refusal written as a GraphQL error response without Apollo (the request was refused before it ran); returns the status. */
export function refuse(res: ServerResponse, { status, error, headers }: Refusal, requestId: string): number {
  for (const [name, value] of headers) res.setHeader(name, value);
  res.setHeader('x-request-id', requestId);
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ errors: [{ message: error.message, extensions: error.extensions }] }));
  return status;
}

const SHA256_HEX = /^[0-9a-f]{64}$/;

/**
 * GraphQL over HTTP, before parsing and validation: a malformed persisted-query extension is
 * BAD_USER_INPUT naming it (an unknown but well-formed hash is Apollo's PERSISTED_QUERY_NOT_FOUND,
 * which APQ clients answer by sending the text), and a query text over a document limit is refused
 * in milliseconds. A refused text costs its sender a point per KiB (at least 1); over the rate
 * limit the answer is 429 instead. Texts known from a persisted-query hash alone were screened when
 * they were registered, which needs the text.
 */
export async function screenRequest(guard: DocumentGuard, limits: OperationLimits, ctx: RequestContext, method: string, body: unknown, search: URLSearchParams): Promise<Refusal | null> {
  const { query, extensions } = method === 'GET' ? fromSearch(search) : fromBody(body);
  const malformed = persistedQueryProblem(extensions);
  if (malformed) return { status: 400, error: malformed, headers: [] };
  if (typeof query !== 'string' || query === '') return null;
  const screening = await guard.screen(query);
  if (screening.kind !== 'refused') return null;
  const decision = await limits.charge(ctx, Math.max(1, Math.ceil(Buffer.byteLength(query) / 1024)));
  const headers = decision ? rateLimitHeaders(decision) : [];
  if (decision && !decision.allowed) return { status: 429, error: rateLimited(decision), headers };
  return { status: 400, error: screening.error, headers };
}

function fromBody(body: unknown): { query?: unknown; extensions?: unknown } {
  return body && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
}

function fromSearch(search: URLSearchParams): { query?: unknown; extensions?: unknown } {
  const text = search.get('extensions');
  let extensions: unknown;
  try {
    extensions = text ? JSON.parse(text) : undefined;
  } catch {
    extensions = undefined; // Apollo answers malformed JSON in the query string itself
  }
  return { query: search.get('query') ?? undefined, extensions };
}

function persistedQueryProblem(extensions: unknown): GraphQLError | null {
  if (!extensions || typeof extensions !== 'object' || !('persistedQuery' in extensions)) return null;
  const persisted = (extensions as { persistedQuery: unknown }).persistedQuery;
  if (!persisted || typeof persisted !== 'object') return badField('extensions.persistedQuery', 'must be an object { version: 1, sha256Hash }');
  const { version, sha256Hash } = persisted as { version?: unknown; sha256Hash?: unknown };
  if (version !== 1) return badField('extensions.persistedQuery.version', 'must be 1');
  if (typeof sha256Hash !== 'string' || !SHA256_HEX.test(sha256Hash)) {
    return badField('extensions.persistedQuery.sha256Hash', 'must be the SHA-256 of the query text as 64 lower-case hexadecimal digits');
  }
  return null;
}
