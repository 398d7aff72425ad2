import { createHash } from 'node:crypto';
import { HeaderMap, type HTTPGraphQLResponse } from '@apollo/server';
import { getOperationAST, parse, type DocumentNode } from 'graphql';
import type { AppRuntime, Principal, RequestContext } from '../../kernel/context';
import { DbSession } from '../../kernel/db/session';
import { claimKey, fence, settleKey, type Claim, type KeyRef, type StoredResponse } from './key-ledger';

export const IDEMPOTENCY_HEADER = 'Idempotency-Key';
/** Set on a response that is a stored one, replayed without running the mutation again. */
export const REPLAYED_HEADER = 'Idempotent-Replayed';
const VALID_KEY = /^[\x21-\x7e]{1,255}$/;

/**
 * Errors that may pass on a plain retry (a server fault, a rate limit, a sign-in problem, a
 * concurrent write): when the request changed nothing, such an answer is not stored, so a retry
 * with the same key runs again.
 */
const RETRYABLE_CODES = new Set(['INTERNAL_SERVER_ERROR', 'RATE_LIMITED', 'UNAUTHENTICATED', 'CONFLICT']);

interface GraphQLBody {
  query?: unknown;
  operationName?: unknown;
  variables?: unknown;
}

export interface IdempotencyInput {
  runtime: AppRuntime;
  ctx: RequestContext;
  method: string;
  /** The header as received (undefined when absent). */
  key: string | undefined;
  body: unknown;
}

/**
 * Runs a GraphQL-over-HTTP request, honouring `Idempotency-Key` for mutations of a signed-in
 * caller: the first response is stored and replayed to retries with the same key and request;
 * the same key with another request, or while the first is still running, is a CONFLICT.
 * Everything else (queries, GET, anonymous callers, no header) runs as it is.
 */
export async function executeIdempotently(input: IdempotencyInput, run: () => Promise<HTTPGraphQLResponse>): Promise<HTTPGraphQLResponse> {
  const { ctx, key, body } = input;
  if (key === undefined || input.method !== 'POST' || !ctx.principal || !isPlainObject(body)) return run();
  if (typeof body.query !== 'string') {
    return refusal(400, 'BAD_USER_INPUT', 'needs the query text in the request body (not only a persisted-query hash)');
  }
  if (!isMutation(body.query, body.operationName)) return run();
  if (!VALID_KEY.test(key)) return refusal(400, 'BAD_USER_INPUT', 'must be 1 to 255 visible ASCII characters');

  const principal = ctx.principal!;
  const ref: KeyRef = { workspaceId: principal.workspaceId, principal: principal.id, key };
  const ledger = <T>(work: (session: DbSession) => Promise<T>) => withLedger(input.runtime, principal, work);
  const claim = await ledger((session) => claimKey(session, ref, fingerprint(body), input.runtime.config.IDEMPOTENCY_TTL_HOURS));
  if (claim.kind !== 'acquired') return answerFor(claim);
  ctx.db.checkBeforeCommit(fence(ref, claim.lockToken));
  let stored: StoredResponse | null = null;
  try {
    stored = await complete(await run());
    return responseOf(stored, false);
  } finally {
    await ctx.close(); // normally closed already; never hold two connections at once
    await ledger((session) => settleKey(session, ref, claim.lockToken, stored, stored !== null && isDefinite(stored)));
  }
}

/**
 * The key's bookkeeping runs on a short session of its own, opened for one statement group and
 * released at once: holding it while the mutation runs would take two pooled connections per
 * request, and a full pool of such requests would wait on itself.
 */
async function withLedger<T>(runtime: AppRuntime, principal: Principal, work: (session: DbSession) => Promise<T>): Promise<T> {
  const session = new DbSession(runtime.dataSource, { workspaceId: principal.workspaceId, userId: null });
  try {
    return await work(session);
  } finally {
    await session.close();
  }
}

function isPlainObject(value: unknown): value is GraphQLBody {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** True only for a parseable document whose chosen operation is a mutation; Apollo answers the rest. */
function isMutation(query: string, operationName: unknown): boolean {
  let document: DocumentNode;
  try {
    document = parse(query);
  } catch {
    return false;
  }
  const name = typeof operationName === 'string' ? operationName : undefined;
  return getOperationAST(document, name)?.operation === 'mutation';
}

/** Hash of what the request asks for: query text, operation name and variables (key order ignored). */
export function fingerprint(body: GraphQLBody): string {
  const canonical = JSON.stringify([body.query, body.operationName ?? null, sortedKeys(body.variables ?? {})]);
  return createHash('sha256').update(canonical).digest('hex');
}

function sortedKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortedKeys);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((k) => [k, sortedKeys((value as Record<string, unknown>)[k])]),
  );
}

async function complete(response: HTTPGraphQLResponse): Promise<StoredResponse> {
  let body: string;
  if (response.body.kind === 'complete') body = response.body.string;
  else {
    body = '';
    for await (const chunk of response.body.asyncIterator) body += chunk;
  }
  return { status: response.status ?? 200, contentType: response.headers.get('content-type') ?? 'application/json', body };
}

/** An answer a retry would get again: no server fault and no error in RETRYABLE_CODES. */
function isDefinite(response: StoredResponse): boolean {
  if (response.status >= 500 || response.status === 429) return false;
  try {
    const errors = (JSON.parse(response.body) as { errors?: Array<{ extensions?: { code?: string } }> }).errors ?? [];
    return errors.every((error) => !RETRYABLE_CODES.has(String(error.extensions?.code)));
  } catch {
    return false;
  }
}

function responseOf(response: StoredResponse, replayed: boolean): HTTPGraphQLResponse {
  const headers = new HeaderMap([['content-type', response.contentType]]);
  if (replayed) headers.set(REPLAYED_HEADER.toLowerCase(), 'true');
  return { status: response.status, headers, body: { kind: 'complete', string: response.body } };
}

function answerFor(claim: Exclude<Claim, { kind: 'acquired' }>): HTTPGraphQLResponse {
  switch (claim.kind) {
    case 'replay':
      return responseOf(claim.response, true);
    case 'mismatch':
      return refusal(409, 'CONFLICT', 'was already used for a different request (query, operation name or variables)');
    case 'in-progress': {
      const response = refusal(409, 'CONFLICT', 'belongs to a request that is still in progress; retry later');
      response.headers.set('retry-after', '1');
      return response;
    }
    case 'response-lost':
      return refusal(409, 'CONFLICT', 'belongs to a request that was carried out but whose response was not recorded; read the records instead of retrying');
  }
}

/** An answer about the header itself, naming it in `extensions.fields`. */
function refusal(status: number, code: 'BAD_USER_INPUT' | 'CONFLICT', problem: string): HTTPGraphQLResponse {
  const message = `${IDEMPOTENCY_HEADER} ${problem}`;
  const body = { errors: [{ message, extensions: { code, fields: [{ field: IDEMPOTENCY_HEADER, message: problem }] } }] };
  return { status, headers: new HeaderMap([['content-type', 'application/json']]), body: { kind: 'complete', string: JSON.stringify(body) } };
}
