import 'reflect-metadata';
import type { Redis } from 'ioredis';
import type { Config } from './config/config';
import type { AppRuntime } from './kernel/context';
import { createDataSource } from './kernel/db/data-source';
import { connectPostgres } from './kernel/db/provision';
import { createLogger, type Logger } from './kernel/logger';
import { RedisPubSub } from './kernel/pubsub';
import { connectRedis, createRedis } from './kernel/redis';
import { buildCrmSchema } from './schema';
import { createCrmServer, type CrmServer } from './server/http-app';

export interface App {
  runtime: AppRuntime & { redis: Redis; pubSub: RedisPubSub };
  server: CrmServer;
  /** Graceful stop: no new requests, in-flight ones finish, then pools close. */
  stop(): Promise<void>;
}

/** Wires the process: data source (application role), Redis, schema and HTTP server. Used by main and by the tests. */
export async function createApp(config: Config, logger: Logger = createLogger(config.LOG_LEVEL)): Promise<App> {
  await connectPostgres(config.DATABASE_URL).then((client) => client.end());
  const redis = createRedis(config.REDIS_URL);
  await connectRedis(redis, config.REDIS_URL);
  redis.on('error', (error) => logger.warn({ err: error }, 'redis error'));
  const dataSource = createDataSource({
    url: config.DATABASE_URL,
    poolSize: config.DATABASE_POOL_SIZE,
    applicationName: 'crm-api',
    statementTimeoutMs: config.DATABASE_STATEMENT_TIMEOUT_MS,
    onConnectionError: (error) => logger.warn({ err: error }, 'database connection lost'),
  });
  await dataSource.initialize();
  const pubSub = new RedisPubSub(redis, logger);
  const runtime = { config, dataSource, logger, redis, pubSub };
  const schema = await buildCrmSchema(pubSub);
  const server = await createCrmServer(runtime, schema);
  return {
    runtime,
    server,
    async stop() {
      await server.close();
      await dataSource.destroy();
      redis.disconnect();
    },
  };
}
