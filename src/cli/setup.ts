import 'reflect-metadata';
import { loadConfig } from '../config/config';
import { ensureRolesAndDatabase, migrate } from '../kernel/db/provision';
import { exitOnStartFailure } from '../kernel/process-lifecycle';
import { connectRedis, createRedis } from '../kernel/redis';
import { seedDemo } from './demo-data';

const log = (line: string) => process.stdout.write(`[setup] ${line}\n`);

/**
 * Prepares a machine for the API: checks PostgreSQL and Redis, creates the owner, application
 * and worker roles and the database (when DATABASE_ADMIN_URL gives the rights), migrates as
 * the owner, grants the application and worker roles, and with --demo loads the demo workspace.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  const args = new Set(process.argv.slice(2));
  const redis = createRedis(config.REDIS_URL);
  await connectRedis(redis, config.REDIS_URL);
  redis.disconnect();
  log(`Redis answers at ${new URL(config.REDIS_URL).host}`);
  if (config.DATABASE_ADMIN_URL) {
    await ensureRolesAndDatabase(config.DATABASE_ADMIN_URL, config.MIGRATION_DATABASE_URL, config.DATABASE_URL, config.WORKER_DATABASE_URL);
    log('roles and database are in place');
  }
  const applied = await migrate(config.MIGRATION_DATABASE_URL, config.DATABASE_URL, log, config.WORKER_DATABASE_URL);
  log(`migrations: ${applied} applied, schema up to date`);
  if (args.has('--demo') && !args.has('--migrate-only')) {
    await seedDemo(config, log);
  }
  log('done');
}

main().catch(exitOnStartFailure);
