import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { ConfigError, parseConfig } from '../src/config/config';

describe('configuration', () => {
  test('defaults serve local development', () => {
    const config = parseConfig({});
    expect(config).toMatchObject({ NODE_ENV: 'development', PORT: 4000, DATABASE_URL: 'postgres://crm_app@127.0.0.1:5432/crm', REDIS_URL: 'redis://127.0.0.1:6379' });
    expect(config).toMatchObject({ QUEUE_PREFIX: 'crm', WORKER_LOCK_DURATION_MS: 30_000, WORKER_STALLED_INTERVAL_MS: 30_000, WORKER_MAX_STALLED_COUNT: 1, PROCESSED_EVENTS_RETENTION_DAYS: 30 });
    expect(config.RECORD_EVENTS_RETENTION_DAYS).toBe(30);
  });

  test.each([
    [{ PORT: 'eighty' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ DATABASE_URL: 'mysql://x@y/z' }, 'DATABASE_URL'],
    [{ REDIS_URL: 'not a url' }, 'REDIS_URL'],
    [{ JWT_SECRET: 'short' }, 'JWT_SECRET'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
    [{ NODE_ENV: 'production' }, 'JWT_SECRET'],
    [{ QUEUE_PREFIX: 'crm:jobs' }, 'QUEUE_PREFIX'],
    [{ WORKER_LOCK_DURATION_MS: '50' }, 'WORKER_LOCK_DURATION_MS'],
    [{ WORKER_MAX_STALLED_COUNT: '-1' }, 'WORKER_MAX_STALLED_COUNT'],
    [{ PROCESSED_EVENTS_RETENTION_DAYS: '0' }, 'PROCESSED_EVENTS_RETENTION_DAYS'],
    [{ RECORD_EVENTS_RETENTION_DAYS: '0' }, 'RECORD_EVENTS_RETENTION_DAYS'],
    [{ IDEMPOTENCY_TTL_HOURS: '0' }, 'IDEMPOTENCY_TTL_HOURS'],
    [{ DATA_ENCRYPTION_KEY: 'not-hex' }, 'DATA_ENCRYPTION_KEY'],
    [{ NODE_ENV: 'production', JWT_SECRET: 'a-production-secret-0123456789abcdef' }, 'DATA_ENCRYPTION_KEY'],
    [{ WEBHOOK_ALLOW_PRIVATE_TARGETS: 'loopback,metadata' }, 'WEBHOOK_ALLOW_PRIVATE_TARGETS'],
    [{ WEBHOOK_RETRY_DELAYS_SECONDS: '30,soon' }, 'WEBHOOK_RETRY_DELAYS_SECONDS'],
  ])('%j is refused naming %s', (env, name) => {
    expect(() => parseConfig(env)).toThrow(ConfigError);
    expect(() => parseConfig(env)).toThrow(new RegExp(`^Invalid configuration: ${name} `));
  });

  test('the process stops with one line naming the variable', () => {
    const run = runTs(['-e', "require('./src/config/config').loadConfig()"], { PORT: 'eighty' });
    expect(run.status).toBe(1);
    expect(run.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^Invalid configuration: PORT /)]);
  });
});

describe('set-up command with a service down', () => {
  test('names Redis, its address and how to start it', () => {
    const run = runTs(['src/cli/setup.ts'], { REDIS_URL: 'redis://127.0.0.1:1' });
    expect(run.status).toBe(1);
    expect(run.stderr.trim()).toMatch(/^Redis is not reachable at 127\.0\.0\.1:1\. Start it with .*docker compose -f docker\/compose\.yml up/);
  });

  test('names PostgreSQL, its address and how to start it', () => {
    const run = runTs(['src/cli/setup.ts'], {
      DATABASE_ADMIN_URL: 'postgres://postgres@127.0.0.1:1/postgres',
      MIGRATION_DATABASE_URL: 'postgres://crm_owner@127.0.0.1:1/crm',
      DATABASE_URL: 'postgres://crm_app@127.0.0.1:1/crm',
    });
    expect(run.status).toBe(1);
    expect(run.stderr.trim()).toMatch(/^PostgreSQL is not reachable at 127\.0\.0\.1:1\. Start it with .*docker compose -f docker\/compose\.yml up/);
  });
});

function runTs(args: string[], env: Record<string, string>) {
  const root = path.join(__dirname, '..');
  return spawnSync(process.execPath, ['-r', './test/support/ts-register.js', ...args], {
    cwd: root,
    encoding: 'utf8',
    timeout: 30000,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
  });
}
