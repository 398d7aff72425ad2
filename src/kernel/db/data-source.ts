import path from 'node:path';
import { DataSource, type Logger as OrmLogger } from 'typeorm';

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
  logQuerySlow(): void {}
  logSchemaBuild(): void {}
  logMigration(): void {}
  log(): void {}
}

export interface DataSourceOptions {
  url: string;
  poolSize?: number;
  applicationName?: string;
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
    extra: { max: options.poolSize ?? 10 },
  });
}

export function statementCounter(dataSource: DataSource): StatementCounter {
  return dataSource.logger as StatementCounter;
}
