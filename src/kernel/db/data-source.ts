import path from 'node:path';
import { Client, type ClientConfig } from 'pg';
import { DataSource, type Logger as OrmLogger, type QueryRunner } from 'typeorm';

const ROOT = path.resolve(__dirname, '../../..');
const ext = __filename.endsWith('.ts') ? 'ts' : 'js';

/** Counts the SQL statements the process sends; the N+1 tests and the benchmark read it. */
export class StatementCounter implements OrmLogger {
  /** Every data source of the process together, for /metrics. */
  static processTotal = 0;
  count = 0;
  logQuery(): void {
    this.count++;
    StatementCounter.processTotal++;
  }
  logQueryError(): void {}
  /** Called for every statement over a millisecond (maxQueryExecutionTime): adds its time to the session's usage. */
  logQuerySlow(milliseconds: number, _query: string, _parameters?: unknown[], queryRunner?: QueryRunner): void {
    const usage = queryRunner?.data as { databaseMs?: number } | undefined;
    if (typeof usage?.databaseMs === 'number') usage.databaseMs += milliseconds;
  }
  logSchemaBuild(): void {}
  logMigration(): void {}
  log(): void {}
}

export interface DataSourceOptions {
  url: string;
  poolSize?: number;
  applicationName?: string;
  /** PostgreSQL cancels any statement of these connections that runs longer (0 or absent: never). */
  statementTimeoutMs?: number;
  /** Told of errors of a connection that is not running a statement (a restart closing it while idle). */
  onConnectionError?: (error: Error) => void;
}

/**
 * pg's client with an 'error' listener from birth to end. pg emits 'error' on a client whose
 * server goes away between statements; TypeORM listens only while a query runner holds the client
 * and pg-pool only while it is idle in the pool, so a second error on a client just being
 * released (a PostgreSQL restart sends a FATAL message, then closes the socket) had no listener
 * and crashed the process. The pool discards such a client either way.
 */
function clientWithErrorListener(onError: (error: Error) => void): typeof Client {
  return class ListenedClient extends Client {
    constructor(config?: string | ClientConfig) {
      super(config);
      this.on('error', onError);
    }
  };
}

/**
 * One factory for every connection the project opens: the API and workers (as the
 * application role) and migrations (as the owner role). Never `synchronize`.
 */
export function createDataSource(options: DataSourceOptions): DataSource {
  return new DataSource({
    type: 'postgres',
    url: options.url,
    uuidExtension: 'pgcrypto',
    applicationName: options.applicationName ?? 'crm',
    entities: [path.join(ROOT, `src/modules/**/*.entity.${ext}`)],
    migrations: [path.join(ROOT, `migrations/*.${ext}`)],
    migrationsTableName: 'migrations',
    synchronize: false,
    logging: ['query'],
    logger: new StatementCounter(),
    maxQueryExecutionTime: 1,
    extra: {
      max: options.poolSize ?? 10,
      Client: clientWithErrorListener(options.onConnectionError ?? (() => undefined)),
      ...(options.statementTimeoutMs ? { statement_timeout: options.statementTimeoutMs } : {}),
    },
  });
}

export function statementCounter(dataSource: DataSource): StatementCounter {
  return dataSource.logger as StatementCounter;
}
