import { Queue, UnrecoverableError, Worker, type Job, type WorkerOptions } from 'bullmq';
import { QueryFailedError } from 'typeorm';
import type { Config } from '../src/config/config';
import type { AppRuntime } from '../src/kernel/context';
import { createDataSource } from '../src/kernel/db/data-source';
import { connectPostgres } from '../src/kernel/db/provision';
import type { Logger } from '../src/kernel/logger';
import {
  DEFAULT_JOB_OPTIONS,
  producerConnection,
  workerConnection,
  QUEUE_NAMES,
  type Producers,
  type QueueName,
} from '../src/kernel/queue';
import { RedisPubSub } from '../src/kernel/pubsub';
import { connectRedis, createRedis } from '../src/kernel/redis';
import { EventRelay } from './event-relay';
import { HANDLERS, type QueueHandlers } from './jobs';
import { Reconciler } from './reconciler';
import { registerSchedules } from './schedules';

export interface WorkerProcess {
  workers: Worker[];
  /** Moves committed record events to the `record-events` queue. */
  relay: EventRelay;
  /** Queues again what Redis forgot (while this process's relay is the active one). */
  reconciler: Reconciler;
  /** The queues handlers add jobs to (with DEFAULT_JOB_OPTIONS). */
  producers: Producers;
  /** Takes no new jobs, lets the jobs in hand finish, then closes the database pool. Safe to call twice. */
  close(): Promise<void>;
}

export interface WorkerProcessOptions {
  /** Redis key prefix of the queues; tests use their own so they never meet other jobs. */
  prefix?: string;
  /** false: no event relay loop nor reconciler loop (tests that drive them themselves). */
  relay?: boolean;
}

/** Finished jobs kept in Redis for inspection; older ones are removed as new ones finish. */
const KEEP_COMPLETED = { count: 100 };
const KEEP_FAILED = { count: 1000 };

function processor<Q extends QueueName>(queue: Q, handlers: QueueHandlers<Q>, runtime: AppRuntime) {
  return async (job: Job): Promise<unknown> => {
    // A job name the code does not know will not become known by retrying.
    if (!Object.hasOwn(handlers, job.name)) throw new UnrecoverableError(`No handler for job "${job.name}" on queue "${queue}"`);
    const handler = handlers[job.name as keyof QueueHandlers<Q>] as (job: Job, runtime: AppRuntime) => Promise<unknown>;
    return handler(job, { ...runtime, logger: runtime.logger.child({ queue, job: job.name, jobId: job.id }) }).catch((error: unknown) => {
      throw permanent(error) ? new UnrecoverableError(`${(error as Error).message} (not retried: the job's input is malformed)`) : error;
    });
  };
}

/**
 * PostgreSQL's data exceptions (SQLSTATE class 22: a malformed uuid, time or number in the
 * payload) come back the same on every attempt, so retrying only delays the failure.
 */
function permanent(error: unknown): boolean {
  const code = error instanceof QueryFailedError ? (error.driverError as { code?: string }).code : undefined;
  return typeof code === 'string' && code.startsWith('22');
}

/**
 * A running job's lock lapses WORKER_LOCK_DURATION_MS after its worker stopped renewing it (it
 * died); every WORKER_STALLED_INTERVAL_MS each worker moves such jobs back to wait, where they
 * run again (handlers are safe to run twice), at most WORKER_MAX_STALLED_COUNT times.
 */
export function stalledJobSettings(config: Config): Pick<WorkerOptions, 'lockDuration' | 'stalledInterval' | 'maxStalledCount'> {
  return {
    lockDuration: config.WORKER_LOCK_DURATION_MS,
    stalledInterval: config.WORKER_STALLED_INTERVAL_MS,
    maxStalledCount: config.WORKER_MAX_STALLED_COUNT,
  };
}

function startWorker<Q extends QueueName>(queue: Q, runtime: AppRuntime, prefix: string): Worker {
  const { config, logger } = runtime;
  const worker = new Worker(queue, processor(queue, HANDLERS[queue], runtime), {
    connection: workerConnection(config.REDIS_URL),
    prefix,
    concurrency: config.WORKER_CONCURRENCY,
    ...stalledJobSettings(config),
    removeOnComplete: KEEP_COMPLETED,
    removeOnFail: KEEP_FAILED,
  });
  worker.on('completed', (job) =>
    logger.info({ queue, job: job.name, jobId: job.id, durationMs: (job.finishedOn ?? 0) - (job.processedOn ?? 0) }, 'job completed'),
  );
  worker.on('failed', (job, error) =>
    logger.error({ queue, job: job?.name, jobId: job?.id, attemptsMade: job?.attemptsMade, err: error }, 'job failed'),
  );
  worker.on('error', (error) => logger.error({ queue, err: error }, 'worker error'));
  return worker;
}

/** One fail-fast producer per queue, for the relay and for handlers that schedule follow-up jobs. */
function createProducers(config: Config, logger: Logger, prefix: string): Producers {
  const entries = QUEUE_NAMES.map((name) => {
    const queue = new Queue(name, { connection: producerConnection(config.REDIS_URL), prefix, defaultJobOptions: DEFAULT_JOB_OPTIONS });
    queue.on('error', (error) => logger.error({ queue: name, err: error }, 'queue error'));
    return [name, queue] as const;
  });
  return Object.fromEntries(entries) as unknown as Producers;
}

/**
 * Boots the worker side of the CRM: a data source on the worker's login (WORKER_DATABASE_URL:
 * the application role's rights, row-level security included, plus the relay's functions), the
 * recurring schedules, and one BullMQ Worker per queue.
 */
export async function startWorkers(config: Config, logger: Logger, options: WorkerProcessOptions = {}): Promise<WorkerProcess> {
  const prefix = options.prefix ?? config.QUEUE_PREFIX;
  await connectPostgres(config.WORKER_DATABASE_URL).then((client) => client.end());
  // Connected once to check Redis, then kept to publish subscription messages (fail-fast).
  const publisher = createRedis(config.REDIS_URL);
  await connectRedis(publisher, config.REDIS_URL);
  publisher.on('error', (error) => logger.warn({ err: error }, 'redis error'));
  const pubSub = new RedisPubSub(publisher, logger);

  const dataSource = createDataSource({ url: config.WORKER_DATABASE_URL, poolSize: config.DATABASE_POOL_SIZE, applicationName: 'crm-worker' });
  await dataSource.initialize();
  const producers = createProducers(config, logger, prefix);
  const closeProducers = () => Promise.all(Object.values(producers).map((queue) => queue.close()));
  const runtime: AppRuntime = { config, dataSource, logger, producers, pubSub };
  let workers: Worker[] = [];
  const relay = new EventRelay(dataSource, producers['record-events'], logger.child({ component: 'event-relay' }), config.EVENT_RELAY_INTERVAL_MS);
  try {
    await registerSchedules(producers, config, logger);
    workers = QUEUE_NAMES.map((queue) => startWorker(queue, runtime, prefix));
    await Promise.all(workers.map((worker) => worker.waitUntilReady()));
  } catch (error) {
    await Promise.all(workers.map((worker) => worker.close(true)));
    await closeProducers();
    await dataSource.destroy();
    publisher.disconnect();
    throw error;
  }
  const reconciler = new Reconciler({ ...runtime, producers }, relay, logger.child({ component: 'reconciler' }));
  if (options.relay !== false) {
    relay.start();
    reconciler.start();
  }
  logger.info({ queues: workers.map((worker) => worker.name), concurrency: config.WORKER_CONCURRENCY }, 'workers started');

  let closing: Promise<void> | null = null;
  const close = async () => {
    await reconciler.close();
    await relay.close();
    await Promise.all(workers.map((worker) => worker.close()));
    await closeProducers();
    await dataSource.destroy();
    publisher.disconnect();
  };
  return { workers, relay, reconciler, producers, close: () => (closing ??= close()) };
}
