import { ServiceUnavailableError } from './db/provision';
import type { Logger } from './logger';

/**
 * On SIGTERM or SIGINT: runs `stop` once (finish work in hand, close pools) and exits 0, or 1
 * on error or when `graceMs` runs out first. Shared by the API and the worker process.
 */
export function stopOnSignals(logger: Logger, graceMs: number, stop: () => Promise<void>, what: string): void {
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, `shutting down: finishing ${what}`);
    const force = setTimeout(() => {
      logger.error('shutdown grace period over; exiting');
      process.exit(1);
    }, graceMs);
    force.unref();
    stop().then(
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

/** Ends a failed start: the one-line hint for a service that is down, the stack for anything else. */
export function exitOnStartFailure(error: unknown): never {
  const message = error instanceof ServiceUnavailableError ? error.message : String((error as Error).stack ?? error);
  process.stderr.write(`${message}\n`);
  process.exit(1);
}
