/** Where the benchmark lives: its own database, roles shared with production, a fixed login. */
export const HOST = process.env.BENCH_PG_HOST ?? '127.0.0.1:5432';

export const BENCH_DATABASE = process.env.BENCH_DATABASE ?? 'crm_bench';
export const ADMIN_URL = process.env.BENCH_ADMIN_URL ?? `postgres://postgres@${HOST}/postgres`;
export const OWNER_URL = `postgres://crm_owner@${HOST}/${BENCH_DATABASE}`;
export const APP_URL = `postgres://crm_app@${HOST}/${BENCH_DATABASE}`;
export const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';

export const JWT_SECRET = 'bench-only-secret-0123456789abcdef0123456789';
/** Production requires one (it seals webhook secrets). */
export const DATA_ENCRYPTION_KEY = 'be4c'.repeat(16);
/** Long enough that the token outlives a long run; the TTL does not change the cost of verifying it. */
export const JWT_ACCESS_TTL_SECONDS = 24 * 3600;
/** The API's default; the bare handler gets the same number of connections. */
export const POOL_SIZE = 10;
/** Production keeps /metrics closed without a token; the benches read the statement counter with this one. */
export const METRICS_TOKEN = 'bench-only-metrics-token-0123456789';
/** application_name of each server's PostgreSQL connections (the API's is set in src/app.ts). */
export const API_APPLICATION_NAME = 'crm-api';
export const BARE_APPLICATION_NAME = 'crm-bench-bare';

/** The environment of the API (and the worker) as production runs them, pointed at a bench database. */
export function productionEnv(appUrl: string, ownerUrl: string): Record<string, string> {
  return {
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    DATABASE_URL: appUrl,
    MIGRATION_DATABASE_URL: ownerUrl,
    DATABASE_ADMIN_URL: '',
    DATABASE_POOL_SIZE: String(POOL_SIZE),
    REDIS_URL,
    JWT_SECRET,
    DATA_ENCRYPTION_KEY,
    JWT_ACCESS_TTL_SECONDS: String(JWT_ACCESS_TTL_SECONDS),
    METRICS_TOKEN,
    // One user drives the whole load: a bucket that never empties, so the limiter's Redis call is
    // measured without throttling the run.
    RATE_LIMIT_CAPACITY: '1000000000',
    RATE_LIMIT_REFILL_PER_SECOND: '1000000000',
  };
}

export const BENCH_LOGIN = { email: 'bench@example.com', password: 'bench-password-123' };
export const WORKSPACE_NAME = 'Bench Handels GmbH';
