import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
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
