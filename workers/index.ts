import 'reflect-metadata';
import { loadConfig } from '../src/config/config';
import { createLogger } from '../src/kernel/logger';
import { exitOnStartFailure, stopOnSignals } from '../src/kernel/process-lifecycle';
import { startWorkers } from './start-workers';

/** `npm run worker`: runs the queues' jobs until SIGTERM or SIGINT. */
async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.LOG_LEVEL).child({ process: 'worker' });
  const running = await startWorkers(config, logger);
  // A job still running when the grace period ends is picked up again once its lock lapses.
  stopOnSignals(logger, config.SHUTDOWN_GRACE_MS, () => running.close(), 'jobs in hand');
}

main().catch(exitOnStartFailure);
