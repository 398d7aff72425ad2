import { Kind, type DocumentNode, type GraphQLError, type GraphQLSchema, type OperationDefinitionNode } from 'graphql';
import type { Config } from '../../config/config';
import type { RequestContext } from '../../kernel/context';
import { appError } from '../../kernel/errors';
import { checkVariables } from './input-values';
import { measureOperation } from './operation-cost';
import type { BucketPolicy, RateDecision, RateLimiter } from './rate-limiter';

/**
 * Query limits and rate limits, shared by GraphQL over HTTP and graphql-ws: an operation is
 * measured before it runs, refused when too deep or too complex, and otherwise charged its
 * complexity (at least 1 point) to its principal's token bucket.
 */
export class OperationLimits {
  private readonly maxDepth: number;
  private readonly maxComplexity: number;
  private readonly maxInputDepth: number;
  private readonly totalCountCost: number;
  /** Database time an operation pays afterwards: a point per this many milliseconds of its statements. */
  readonly databaseMsPerPoint: number;
  private readonly member: BucketPolicy;
  private readonly apiKey: BucketPolicy;
  private readonly anonymous: BucketPolicy;

  constructor(
    config: Config,
    private readonly limiter: RateLimiter,
  ) {
    this.maxDepth = config.GRAPHQL_MAX_DEPTH;
    this.maxComplexity = config.GRAPHQL_MAX_COMPLEXITY;
    this.maxInputDepth = config.GRAPHQL_MAX_INPUT_DEPTH;
    this.member = { capacity: config.RATE_LIMIT_CAPACITY, refillPerSecond: config.RATE_LIMIT_REFILL_PER_SECOND };
    this.apiKey = { capacity: config.RATE_LIMIT_API_KEY_CAPACITY, refillPerSecond: config.RATE_LIMIT_API_KEY_REFILL_PER_SECOND };
    // Anonymous debt is capped at one bucket: one huge request cannot lock an address (and everyone behind its NAT) out for hours.
    this.anonymous = {
      capacity: config.RATE_LIMIT_ANONYMOUS_CAPACITY,
      refillPerSecond: config.RATE_LIMIT_ANONYMOUS_REFILL_PER_SECOND,
      maxDebt: config.RATE_LIMIT_ANONYMOUS_CAPACITY,
    };
    this.totalCountCost = config.GRAPHQL_TOTAL_COUNT_COST;
    this.databaseMsPerPoint = config.GRAPHQL_DATABASE_MS_PER_POINT;
  }

  /**
   * The operation's complexity, or the BAD_USER_INPUT error that refuses it: no operation of that
   * name (or several and none named), a variable with a NUL character or nested too deep, or a
   * depth or complexity over the limit.
   */
  measure(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation: OperationDefinitionNode | null | undefined,
    operationName: string | null | undefined,
    variables?: Record<string, unknown> | null,
  ): number | GraphQLError {
    if (!operation) return unresolvedOperation(document, operationName);
    const badVariable = checkVariables(variables, this.maxInputDepth);
    if (badVariable) return badVariable;
    const { depth, complexity } = measureOperation(schema, document, operation, variables ?? undefined, this.totalCountCost);
    if (depth > this.maxDepth) return overLimit('depth', depth, this.maxDepth);
    if (complexity > this.maxComplexity) return overLimit('complexity', complexity, this.maxComplexity);
    return complexity;
  }

  /**
   * Charges the caller's bucket: a signed-in member's or an API key's own, else the client
   * address's smaller one. `afterwards`: for work already done (database time), which is taken
   * even into debt and never refused.
   */
  charge(ctx: RequestContext, cost: number, afterwards = false): Promise<RateDecision | null> {
    // A member (`user:<id>`) and an API key (`key:<id>`) each have a bucket of their own.
    const principal = ctx.principal;
    if (principal) return this.limiter.take(principal.id, ctx.apiKey ? this.apiKey : this.member, cost, afterwards);
    return this.limiter.take(`ip:${ctx.clientAddress ?? 'unknown'}`, this.anonymous, cost, afterwards);
  }
}

/**
 * A query limit refused: HTTP 400, BAD_USER_INPUT naming the limit, what was measured and the
 * maximum, with `field` (the query text unless an input is meant) in `extensions.fields`.
 */
export function overLimit(limit: string, measured: number, maximum: number, message = `Query ${limit} ${measured} exceeds the limit of ${maximum}`, field = 'query'): GraphQLError {
  return appError('BAD_USER_INPUT', message, {
    fields: [{ field, message }],
    limit,
    measured,
    maximum,
  });
}

/** GraphQL over HTTP: the operation to run must be named when a document holds several, and must exist. */
function unresolvedOperation(document: DocumentNode, operationName: string | null | undefined): GraphQLError {
  const names = document.definitions.flatMap((definition) =>
    definition.kind === Kind.OPERATION_DEFINITION ? [definition.name ? `"${definition.name.value}"` : 'an anonymous one'] : [],
  );
  const held = names.length ? `the document holds ${names.join(', ')}` : 'the document holds no operation';
  const message = operationName ? `No operation named "${operationName}": ${held}` : `Name the operation to run in operationName: ${held}`;
  return appError('BAD_USER_INPUT', message, { fields: [{ field: 'operationName', message }] });
}

export function rateLimited(decision: RateDecision): GraphQLError {
  return appError('RATE_LIMITED', `Rate limit exceeded; retry in ${decision.retryAfterSeconds} s`, {
    retryAfterSeconds: decision.retryAfterSeconds,
  });
}

/** The IETF draft's RateLimit-* headers, plus Retry-After when refused. */
export function rateLimitHeaders(decision: RateDecision): Array<[string, string]> {
  const headers: Array<[string, string]> = [
    ['ratelimit-limit', String(decision.limit)],
    ['ratelimit-remaining', String(decision.remaining)],
    ['ratelimit-reset', String(decision.resetSeconds)],
  ];
  if (!decision.allowed) headers.push(['retry-after', String(decision.retryAfterSeconds)]);
  return headers;
}
