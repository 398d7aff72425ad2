import type { DocumentNode, GraphQLError, GraphQLSchema, OperationDefinitionNode } from 'graphql';
import type { Config } from '../../config/config';
import type { RequestContext } from '../../kernel/context';
import { appError } from '../../kernel/errors';
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
  private readonly member: BucketPolicy;
  private readonly apiKey: BucketPolicy;
  private readonly anonymous: BucketPolicy;

  constructor(
    config: Config,
    private readonly limiter: RateLimiter,
  ) {
    this.maxDepth = config.GRAPHQL_MAX_DEPTH;
    this.maxComplexity = config.GRAPHQL_MAX_COMPLEXITY;
    this.member = { capacity: config.RATE_LIMIT_CAPACITY, refillPerSecond: config.RATE_LIMIT_REFILL_PER_SECOND };
    this.apiKey = { capacity: config.RATE_LIMIT_API_KEY_CAPACITY, refillPerSecond: config.RATE_LIMIT_API_KEY_REFILL_PER_SECOND };
    this.anonymous = { capacity: config.RATE_LIMIT_ANONYMOUS_CAPACITY, refillPerSecond: config.RATE_LIMIT_ANONYMOUS_REFILL_PER_SECOND };
  }

  /** The operation's complexity, or a BAD_USER_INPUT error naming the limit it exceeds. */
  measure(schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode, variables?: Record<string, unknown>): number | GraphQLError {
    const { depth, complexity } = measureOperation(schema, document, operation, variables);
    if (depth > this.maxDepth) return overLimit('depth', depth, this.maxDepth);
    if (complexity > this.maxComplexity) return overLimit('complexity', complexity, this.maxComplexity);
    return complexity;
  }

  /** Charges the caller's bucket: a signed-in member's or an API key's own, else the client address's smaller one. */
  charge(ctx: RequestContext, cost: number): Promise<RateDecision | null> {
    // A member (`user:<id>`) and an API key (`key:<id>`) each have a bucket of their own.
    const principal = ctx.principal;
    if (principal) return this.limiter.take(principal.id, ctx.apiKey ? this.apiKey : this.member, cost);
    return this.limiter.take(`ip:${ctx.clientAddress ?? 'unknown'}`, this.anonymous, cost);
  }
}

function overLimit(limit: 'depth' | 'complexity', measured: number, maximum: number): GraphQLError {
  const message = `Query ${limit} ${measured} exceeds the limit of ${maximum}`;
  return appError('BAD_USER_INPUT', message, {
    fields: [{ field: 'query', message }],
    limit,
    measured,
    maximum,
  });
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
