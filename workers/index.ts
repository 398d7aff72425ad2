import 'reflect-metadata';
import { loadConfig } from '../src/config/config';
import { ServiceUnavailableError } from '../src/kernel/db/provision';
import { createLogger } from '../src/kernel/logger';
import { startWorkers } from './start-workers';

/** `npm run worker`: runs the queues' jobs until SIGTERM or SIGINT. */
async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.LOG_LEVEL).child({ process: 'worker' });
  const running = await startWorkers(config, logger);

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: finishing jobs in hand');
    // A job still running when the grace period ends is picked up again once its lock lapses.
    const force = setTimeout(() => {
      logger.error('shutdown grace period over; exiting');
      process.exit(1);
    }, config.SHUTDOWN_GRACE_MS);
    force.unref();
    running.close().then(
      () => {
        logger.info('stopped');
        process.exit(0);
      },
      (error: unknown) => {
        logger.error({ err: error }, 'error during shutdown');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

main().catch((error: unknown) => {
  const known = error instanceof ServiceUnavailableError;
  process.stderr.write(known ? `${(error as Error).message}\n` : `${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
