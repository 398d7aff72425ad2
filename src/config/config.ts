import { existsSync } from 'node:fs';
import { z } from 'zod';
import { QUEUE_PREFIX } from '../kernel/queue';

/** `true`/`false` (or 1/0); left out, the default depends on NODE_ENV (see parseConfig). */
const booleanSetting = z
  .enum(['true', 'false', '1', '0'])
  .transform((value) => value === 'true' || value === '1')
  .optional();

/** Every setting the API, the workers and the CLI read; documented in .env.example. */
const fields = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }).default('postgres://crm_app@127.0.0.1:5432/crm'),
  // The worker's login: the application role's rights plus the event relay's cross-workspace functions.
  WORKER_DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }).default('postgres://crm_worker@127.0.0.1:5432/crm'),
  MIGRATION_DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }).default('postgres://crm_owner@127.0.0.1:5432/crm'),
  // A superuser connection used only by `npm run setup` to create roles and the database; '' disables it.
  DATABASE_ADMIN_URL: z.union([z.literal(''), z.url({ protocol: /^postgres(ql)?$/ })]).default('postgres://postgres@127.0.0.1:5432/postgres'),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
  // The API's statements are cancelled after this long (SERVICE_UNAVAILABLE to the client); 0 never.
  DATABASE_STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(0).default(15_000),
  // Requests of one workspace running at once per API process (0: half of DATABASE_POOL_SIZE), and how
  // long a further one waits for a place before it is answered 429.
  WORKSPACE_MAX_CONCURRENT_REQUESTS: z.coerce.number().int().min(0).default(0),
  WORKSPACE_QUEUE_TIMEOUT_MS: z.coerce.number().int().min(0).default(5000),
  REDIS_URL: z.url({ protocol: /^rediss?$/ }).default('redis://127.0.0.1:6379'),
  JWT_SECRET: z.string().min(32, 'must be at least 32 characters').default('dev-only-secret-change-me-0123456789abcdef'),
  JWT_ACCESS_TTL_SECONDS: z.coerce.number().int().min(30).default(900),
  JWT_REFRESH_TTL_SECONDS: z.coerce.number().int().min(60).default(30 * 24 * 3600),
  SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).default(10000),
  WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(100).default(5),
  // The relay's fallback poll; commits that write events wake it at once (LISTEN/NOTIFY).
  EVENT_RELAY_INTERVAL_MS: z.coerce.number().int().min(10).default(200),
  // How often the reconciler looks in PostgreSQL for work Redis forgot (events, deliveries, runs, schedulers).
  EVENT_RECONCILE_INTERVAL_MS: z.coerce.number().int().min(100).default(10_000),
  // How long an event, a due delivery or a queued run may wait for its job before the reconciler queues it again.
  EVENT_RECONCILE_AFTER_MS: z.coerce.number().int().min(100).default(60_000),
  // Redis key prefix of every queue, so several CRMs (or test runs) can share one Redis.
  QUEUE_PREFIX: z.string().regex(/^[A-Za-z0-9_-]+$/, 'must be letters, digits, - or _').default(QUEUE_PREFIX),
  // A running job's lock in Redis, renewed by its worker at half this; a worker that dies stops renewing.
  WORKER_LOCK_DURATION_MS: z.coerce.number().int().min(1000).default(30_000),
  // How often each worker looks for jobs whose lock lapsed (their worker died) and puts them back to wait.
  WORKER_STALLED_INTERVAL_MS: z.coerce.number().int().min(100).default(30_000),
  // How often one job may be recovered that way before it fails for good (a job that kills its worker).
  WORKER_MAX_STALLED_COUNT: z.coerce.number().int().min(0).default(1),
  // Days the processed_events ledger keeps a row; record-event jobs for older events are refused.
  PROCESSED_EVENTS_RETENTION_DAYS: z.coerce.number().int().min(1).default(30),
  // Days record events (the change feed and each record's history) are kept; older ones are purged hourly.
  RECORD_EVENTS_RETENTION_DAYS: z.coerce.number().int().min(1).default(30),
  // How long before a task's due time its owner gets the "due soon" reminder; fractions allowed, 0 turns it off.
  TASK_REMINDER_LEAD_MINUTES: z.coerce.number().min(0).default(60),
  // How often the worker creates follow-up tasks (stale deals, birthdays, contract renewals).
  FOLLOW_UP_SWEEP_MINUTES: z.coerce.number().min(1).max(1440).default(15),
  // A record event this many automation runs deep triggers no further run (recorded SKIPPED, "loop guard").
  AUTOMATION_MAX_DEPTH: z.coerce.number().int().min(1).max(50).default(5),
  // Query limits: an operation deeper or more complex than this is refused before it runs.
  GRAPHQL_MAX_DEPTH: z.coerce.number().int().min(2).default(12),
  GRAPHQL_MAX_COMPLEXITY: z.coerce.number().int().min(1).default(5000),
  // What a connection's totalCount adds to the complexity (it scans every matching row, whatever the page size).
  GRAPHQL_TOTAL_COUNT_COST: z.coerce.number().int().min(0).default(25),
  // After it ran, an operation pays for the time its statements took beyond its complexity: a point per this many ms.
  GRAPHQL_DATABASE_MS_PER_POINT: z.coerce.number().positive().default(1),
  // Limits on the query text, checked before it is validated (docs/limits.md, "Query limits and rate limits").
  GRAPHQL_MAX_DOCUMENT_BYTES: z.coerce.number().int().min(1024).default(64 * 1024),
  GRAPHQL_MAX_TOKENS: z.coerce.number().int().min(100).default(5000),
  GRAPHQL_MAX_ALIASES: z.coerce.number().int().min(0).default(50),
  GRAPHQL_MAX_REPEATED_FIELDS: z.coerce.number().int().min(1).default(20),
  GRAPHQL_MAX_DIRECTIVES: z.coerce.number().int().min(0).default(50),
  // Nesting of lists and input objects (filters' and/or/not) in an argument or variable.
  GRAPHQL_MAX_INPUT_DEPTH: z.coerce.number().int().min(2).max(100).default(32),
  // Subscriptions open at once on one graphql-ws connection (each live dashboard reruns its reports as data changes).
  GRAPHQL_WS_MAX_SUBSCRIPTIONS: z.coerce.number().int().min(1).default(20),
  // Introspection and "Did you mean …?" hints in errors: on outside production unless set.
  GRAPHQL_INTROSPECTION: booleanSetting,
  GRAPHQL_SUGGESTIONS: booleanSetting,
  // GET /examples/dashboard/: the example dashboard (examples/dashboard), served from the API's own origin; on outside production unless set.
  SERVE_EXAMPLES: booleanSetting,
  // GET /metrics on the API port wants `Authorization: Bearer <METRICS_TOKEN>` when set; unset, it is open outside production and off in it.
  METRICS_TOKEN: z.union([z.literal(''), z.string().min(16, 'must be at least 16 characters')]).default(''),
  // A separate listener for /metrics (no token: keep it on a private interface); 0: none. In cluster mode the primary serves it for all workers.
  METRICS_PORT: z.coerce.number().int().min(0).max(65535).default(0),
  METRICS_HOST: z.string().min(1).default('127.0.0.1'),
  // `npm run start:cluster`: API processes to run (0: one per core).
  CLUSTER_WORKERS: z.coerce.number().int().min(0).max(256).default(0),
  // Token bucket per signed-in user (points = query complexity); anonymous calls share one per client address.
  RATE_LIMIT_CAPACITY: z.coerce.number().min(1).default(1000),
  RATE_LIMIT_REFILL_PER_SECOND: z.coerce.number().positive().default(50),
  // API keys are systems (ERP, shop) that sync in bulk: a bucket of their own, larger than a person's.
  RATE_LIMIT_API_KEY_CAPACITY: z.coerce.number().min(1).default(5000),
  RATE_LIMIT_API_KEY_REFILL_PER_SECOND: z.coerce.number().positive().default(250),
  RATE_LIMIT_ANONYMOUS_CAPACITY: z.coerce.number().min(1).default(60),
  RATE_LIMIT_ANONYMOUS_REFILL_PER_SECOND: z.coerce.number().positive().default(1),
  // Requests that take credentials (signIn, signUp, refreshToken), per client address whatever token they carry.
  RATE_LIMIT_SIGN_IN_CAPACITY: z.coerce.number().min(1).default(10),
  RATE_LIMIT_SIGN_IN_REFILL_PER_SECOND: z.coerce.number().positive().default(1 / 6),
  // Password checks per account and hour (successful ones are given back); addresses that signed in before have their own.
  RATE_LIMIT_SIGN_IN_ACCOUNT_CAPACITY: z.coerce.number().min(1).default(10),
  // Days an address a person signed in from keeps its own attempts for that account.
  SIGN_IN_TRUSTED_DAYS: z.coerce.number().positive().default(30),
  // Reverse proxies in front of the API that append to X-Forwarded-For; 0 trusts the header not at all.
  TRUST_PROXY_HOPS: z.coerce.number().int().min(0).max(10).default(0),
  // Redis key prefix of the buckets, so several CRMs (or test runs) can share one Redis.
  RATE_LIMIT_KEY_PREFIX: z.string().regex(/^[A-Za-z0-9_:-]+$/, 'must be letters, digits, :, - or _').default('crm:rate'),
  // Hours a mutation's response is kept for retries with the same Idempotency-Key; fractions allowed.
  IDEMPOTENCY_TTL_HOURS: z.coerce.number().positive().max(24 * 30).default(24),
  // AES-256-GCM key (64 hex characters) for secrets kept at rest (webhook signing secrets); the default is for development only.
  DATA_ENCRYPTION_KEY: z.string().regex(/^[0-9a-fA-F]{64}$/, 'must be 64 hex characters (32 bytes)').default('0dec0de0'.repeat(8)),
  // Private address ranges outbound webhooks may reach anyway: a comma list of `loopback`, `private`; empty by default.
  WEBHOOK_ALLOW_PRIVATE_TARGETS: z
    .string()
    .default('')
    .transform((value) => value.split(',').map((part) => part.trim()).filter(Boolean))
    .pipe(z.array(z.enum(['loopback', 'private']))),
  // How long one webhook delivery attempt may take before it counts as failed.
  WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(10_000),
  // Delays between a webhook delivery's attempts (seconds, fractions allowed); the last one repeats. Jittered by ±10%.
  WEBHOOK_RETRY_DELAYS_SECONDS: z
    .string()
    .default('30,120,600,1800,3600,10800,21600,43200,86400')
    .transform((value) => value.split(',').map(Number))
    .pipe(z.array(z.number().positive()).min(1)),
  // A delivery still failing this long after its first attempt is given up (DEAD); fractions allowed.
  WEBHOOK_RETRY_WINDOW_HOURS: z.coerce.number().positive().default(72),
  // Bulk imports: an upload over either cap is refused with 413 and stores nothing.
  IMPORT_MAX_BYTES: z.coerce.number().int().min(1).default(2 * 1024 * 1024 * 1024),
  IMPORT_MAX_ROWS: z.coerce.number().int().min(1).default(2_000_000),
  // Lines an import worker upserts per transaction (and per progress message); upsertBatch takes at most 1000.
  IMPORT_CHUNK_SIZE: z.coerce.number().int().min(1).max(1000).default(1000),
  // Chunks of one import a worker runs side by side (each on its own connection).
  IMPORT_PARALLEL_CHUNKS: z.coerce.number().int().min(1).max(8).default(2),
});

/** Settings whose default differs in production: closed there, open in development and tests. */
const schema = fields.transform((config) => {
  const open = config.NODE_ENV !== 'production';
  return { ...config, GRAPHQL_INTROSPECTION: config.GRAPHQL_INTROSPECTION ?? open, GRAPHQL_SUGGESTIONS: config.GRAPHQL_SUGGESTIONS ?? open, SERVE_EXAMPLES: config.SERVE_EXAMPLES ?? open };
});

export type Config = z.infer<typeof schema>;

export class ConfigError extends Error {}

/** Parses the environment; throws ConfigError with one line naming the first bad variable. */
export function parseConfig(env: NodeJS.ProcessEnv): Config {
  const result = schema.safeParse(env);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new ConfigError(`Invalid configuration: ${String(issue.path[0])} ${issue.message}`);
  }
  const config = result.data;
  if (config.NODE_ENV === 'production' && !env.JWT_SECRET) {
    throw new ConfigError('Invalid configuration: JWT_SECRET must be set in production');
  }
  if (config.NODE_ENV === 'production' && !env.DATA_ENCRYPTION_KEY) {
    throw new ConfigError('Invalid configuration: DATA_ENCRYPTION_KEY must be set in production');
  }
  return config;
}

/** Loads .env (when present) into process.env, then validates; exits with one line on error. */
export function loadConfig(): Config {
  if (existsSync('.env')) process.loadEnvFile('.env');
  try {
    return parseConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
}
