import cluster from 'node:cluster';
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { AggregatorRegistry, Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Config } from '../config/config';
import { StatementCounter } from '../kernel/db/data-source';

/** Prometheus metrics of one server instance (its own registry, so tests can run several). */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    httpDuration: new Histogram({
      name: 'crm_http_request_duration_seconds',
      help: 'HTTP request duration by route and status',
      labelNames: ['route', 'status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    graphqlErrors: new Counter({
      name: 'crm_graphql_errors_total',
      help: 'GraphQL errors by code',
      labelNames: ['code'],
      registers: [registry],
    }),
    sqlStatements: new Counter({
      name: 'crm_sql_statements_total',
      help: 'SQL statements this process has sent to PostgreSQL (transaction control included)',
      registers: [registry],
      collect() {
        this.reset();
        this.inc(StatementCounter.processTotal);
      },
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

/**
 * Who may read /metrics on the API port: with METRICS_TOKEN, whoever sends it as a bearer token;
 * without one, everybody outside production and nobody in it (the listener on METRICS_PORT, on a
 * private interface, is the way there). The comparison takes the same time whatever is sent.
 */
export function metricsAccess(config: Pick<Config, 'METRICS_TOKEN' | 'NODE_ENV'>, authorization: string | undefined): 'open' | 'unauthorized' | 'off' {
  if (!config.METRICS_TOKEN) return config.NODE_ENV === 'production' ? 'off' : 'open';
  const expected = createHash('sha256').update(`Bearer ${config.METRICS_TOKEN}`).digest();
  const given = createHash('sha256').update(authorization ?? '').digest();
  return timingSafeEqual(expected, given) ? 'open' : 'unauthorized';
}

/** GET /metrics (any path) on its own port, e.g. a private interface that only Prometheus reaches. */
export function metricsListener(host: string, port: number, render: () => Promise<{ contentType: string; text: string }>): Promise<Server> {
  const server = createServer((req, res) => {
    if ((req.url ?? '/').split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('Not found\n');
      return;
    }
    render().then(
      ({ contentType, text }) => res.writeHead(200, { 'content-type': contentType }).end(text),
      (error: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`${(error as Error).message}\n`),
    );
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}

/** In a worker of `npm run start:cluster`: the primary's AggregatorRegistry collects this registry over IPC. */
export function shareWithClusterPrimary(registry: Registry): void {
  if (!cluster.isWorker) return;
  new AggregatorRegistry(); // installs the worker's answer to the primary's requests
  AggregatorRegistry.setRegistries([registry]);
}
