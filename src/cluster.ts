import cluster, { type Worker } from 'node:cluster';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { AggregatorRegistry } from 'prom-client';
import { loadConfig } from './config/config';
import { createLogger } from './kernel/logger';
import { metricsListener } from './server/metrics';

/** A worker that dies this soon after it started counts as a crash loop. */
const EARLY_EXIT_MS = 10_000;
/** After this many early exits in a row the primary gives up instead of restarting forever. */
const MAX_EARLY_EXITS = 5;

/**
 * `npm run start:cluster`: CLUSTER_WORKERS API processes (one per core when 0), each `main`
 * with its own pools and Redis connections, sharing the port through Node's cluster module (the
 * primary hands connections out round-robin). Rate limits, subscriptions and Idempotency-Key
 * live in Redis and PostgreSQL, so any worker answers any request alike. A worker that dies is
 * replaced; on SIGTERM or SIGINT every worker finishes its requests in flight and the primary
 * exits 0 once all did (1 if one failed or SHUTDOWN_GRACE_MS ran out). With METRICS_PORT the
 * primary serves the workers' metrics summed up.
 */
async function primary(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.LOG_LEVEL).child({ process: 'primary' });
  const workers = config.CLUSTER_WORKERS || availableParallelism();
  const ext = path.extname(__filename);
  cluster.setupPrimary({ exec: path.join(__dirname, `main${ext}`) });

  let stopping = false;
  let earlyExits = 0;
  const startedAt = new Map<number, number>();
  const start = (): Worker => {
    const worker = cluster.fork();
    startedAt.set(worker.id, Date.now());
    return worker;
  };
  cluster.on('exit', (worker, code, signal) => {
    const lived = Date.now() - (startedAt.get(worker.id) ?? 0);
    startedAt.delete(worker.id);
    if (stopping) return;
    earlyExits = lived < EARLY_EXIT_MS ? earlyExits + 1 : 0;
    if (earlyExits >= MAX_EARLY_EXITS) {
      logger.fatal({ pid: worker.process.pid, code, signal }, `${MAX_EARLY_EXITS} workers in a row died within ${EARLY_EXIT_MS / 1000} s of starting; stopping`);
      void shutdown('crash loop', 1);
      return;
    }
    logger.error({ workerPid: worker.process.pid, code, signal }, 'worker died; starting another');
    start();
  });
  for (let i = 0; i < workers; i += 1) start();
  logger.info({ workers, port: config.PORT }, 'cluster starting');

  const aggregator = new AggregatorRegistry();
  const metrics = config.METRICS_PORT
    ? await metricsListener(config.METRICS_HOST, config.METRICS_PORT, async () => ({ contentType: aggregator.contentType, text: await aggregator.clusterMetrics() }))
    : null;

  async function shutdown(reason: string, failed = 0): Promise<void> {
    if (stopping) return;
    stopping = true;
    logger.info({ reason }, 'stopping the workers: each finishes its requests in flight');
    const running = Object.values(cluster.workers ?? {}).filter((worker): worker is Worker => !!worker && !worker.isDead());
    const exits = running.map((worker) => new Promise<number>((resolve) => worker.once('exit', (code) => resolve(code ?? 1))));
    for (const worker of running) worker.process.kill('SIGTERM');
    const grace = setTimeout(() => {
      logger.error('workers still running after the grace period; killing them');
      for (const worker of running) if (!worker.isDead()) worker.process.kill('SIGKILL');
    }, config.SHUTDOWN_GRACE_MS + 2000);
    const codes = await Promise.all(exits);
    clearTimeout(grace);
    metrics?.close();
    const failures = codes.filter((code) => code !== 0).length;
    logger.info({ workers: codes.length, failures }, 'stopped');
    process.exit(failed || failures ? 1 : 0);
  }
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

if (cluster.isPrimary) {
  primary().catch((error: unknown) => {
    process.stderr.write(`${String((error as Error).stack ?? error)}\n`);
    process.exit(1);
  });
}
