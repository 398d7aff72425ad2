import type { Redis } from 'ioredis';
import type { Logger } from '../../kernel/logger';

/** A token bucket: `capacity` points, refilled continuously at `refillPerSecond`. */
export interface BucketPolicy {
  capacity: number;
  refillPerSecond: number;
  /** How far below zero one expensive operation may leave the bucket; unbounded when absent. */
  maxDebt?: number;
}

/** The answer for one operation, and what the rate-limit headers report. */
export interface RateDecision {
  allowed: boolean;
  limit: number;
  /** Whole points left after this operation (never below 0). */
  remaining: number;
  /** Seconds until the bucket is full again. */
  resetSeconds: number;
  /** When refused: seconds until the operation's cost is available. */
  retryAfterSeconds: number;
}

/**
 * One round trip, atomic: refill by the time passed (Redis's clock, so API processes agree), then
 * take the cost. An operation costing more than the whole bucket runs when the bucket is full and
 * leaves it in debt (at most `maxDebt` below zero), so no allowed query is impossible, only slow to
 * repeat. A forced take (work already done, charged afterwards) is never refused. The key expires
 * when the bucket would be full again (a missing key is a full bucket).
 * Replies in milliseconds and milli-points: Lua numbers become integers in a Redis reply.
 */
const TAKE = `
local capacity = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local forced = ARGV[4] == '1'
local lowest = -tonumber(ARGV[5])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1]) or capacity
local at = tonumber(state[2]) or now
tokens = math.min(capacity, tokens + math.max(0, now - at) * rate / 1000)
local needed = math.min(cost, capacity)
local allowed = 0
local retry = 0
if forced or tokens >= needed then
  allowed = 1
  tokens = math.min(capacity, math.max(lowest, tokens - cost))
else
  retry = math.ceil((needed - tokens) * 1000 / rate)
end
local full = math.ceil((capacity - tokens) * 1000 / rate)
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', now)
redis.call('PEXPIRE', KEYS[1], math.max(1, full))
return { allowed, math.floor(tokens * 1000), full, retry }
`;

type TakeReply = [number, number, number, number];

interface RedisWithTake extends Redis {
  crmTakeTokens(key: string, capacity: number, refillPerSecond: number, cost: number, forced: 0 | 1, maxDebt: number): Promise<TakeReply>;
}

/** How often a Redis outage is logged while requests keep passing unlimited. */
const OUTAGE_LOG_INTERVAL_MS = 60_000;

/** Token buckets per principal (`user:<id>`, `ip:<address>`) in Redis. */
export class RateLimiter {
  private readonly redis: RedisWithTake;
  private lastOutageLog = 0;

  constructor(
    redis: Redis,
    private readonly keyPrefix: string,
    private readonly logger: Logger,
  ) {
    if (!('crmTakeTokens' in redis)) redis.defineCommand('crmTakeTokens', { numberOfKeys: 1, lua: TAKE });
    this.redis = redis as RedisWithTake;
  }

  /**
   * Takes `cost` points from the principal's bucket (`forced`: even when that leaves it in debt).
   * Null when Redis does not answer: the limiter fails open (a warning at most once a minute), so
   * an outage of Redis is not an outage of the API.
   */
  take(principal: string, policy: BucketPolicy, cost: number, forced = false): Promise<RateDecision | null> {
    return this.run(principal, policy, Math.max(1, cost), forced);
  }

  /** Gives `points` back (never beyond the capacity), e.g. for an attempt that turned out to be no failure. */
  give(principal: string, policy: BucketPolicy, points: number): Promise<RateDecision | null> {
    return this.run(principal, policy, -points, true);
  }

  /** Remembers a fact about a principal for `seconds` (e.g. an address a person signed in from). */
  async remember(fact: string, seconds: number): Promise<void> {
    await this.redis.set(`${this.keyPrefix}:${fact}`, '1', 'EX', Math.max(1, Math.round(seconds))).catch((error: unknown) => this.outage(error));
  }

  async recalls(fact: string): Promise<boolean> {
    return (await this.redis.exists(`${this.keyPrefix}:${fact}`).catch((error: unknown) => this.outage(error) ?? 0)) === 1;
  }

  private async run(principal: string, policy: BucketPolicy, cost: number, forced: boolean): Promise<RateDecision | null> {
    try {
      const [allowed, milliTokens, fullMs, retryMs] = await this.redis.crmTakeTokens(
        `${this.keyPrefix}:${principal}`,
        policy.capacity,
        policy.refillPerSecond,
        cost,
        forced ? 1 : 0,
        policy.maxDebt ?? Number.MAX_SAFE_INTEGER,
      );
      return {
        allowed: allowed === 1,
        limit: policy.capacity,
        remaining: Math.max(0, Math.floor(milliTokens / 1000)),
        resetSeconds: Math.ceil(fullMs / 1000),
        retryAfterSeconds: Math.max(1, Math.ceil(retryMs / 1000)),
      };
    } catch (error) {
      return this.outage(error);
    }
  }

  private outage(error: unknown): null {
    if (Date.now() - this.lastOutageLog > OUTAGE_LOG_INTERVAL_MS) {
      this.lastOutageLog = Date.now();
      this.logger.warn({ err: error }, 'rate limiter: Redis did not answer; requests pass unlimited');
    }
    return null;
  }
}
