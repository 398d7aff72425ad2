import { createApp } from './app';
import { loadConfig } from './config/config';
import { createLogger } from './kernel/logger';
import { exitOnStartFailure, stopOnSignals } from './kernel/process-lifecycle';

/** `npm start`: the HTTP API until SIGTERM or SIGINT. */
async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.LOG_LEVEL);
  const app = await createApp(config, logger);
  const port = await app.server.listen(config.PORT, config.HOST);
  logger.info({ url: `http://${config.HOST}:${port}/graphql` }, 'CRM API listening');
  stopOnSignals(logger, config.SHUTDOWN_GRACE_MS, () => app.stop(), 'in-flight requests');
}

main().catch(exitOnStartFailure);
