import { Client } from 'pg';
import type { DataSource } from 'typeorm';
import { createDataSource } from './data-source';

/** What a newcomer needs to read when a service is down, instead of a stack trace. */
export class ServiceUnavailableError extends Error {}

function describe(url: string): { user: string; host: string; port: string; database: string; password: string } {
  const u = new URL(url);
  return {
    user: decodeURIComponent(u.username),
    password: decodeURIComponent(u.password),
    host: u.hostname,
    port: u.port || '5432',
    database: decodeURIComponent(u.pathname.slice(1)),
  };
}

const quoteIdent = (name: string): string => `"${name.replace(/"/g, '""')}"`;
const quoteLiteral = (value: string): string => `'${value.replace(/'/g, "''")}'`;

async function connect(url: string): Promise<Client> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
    return client;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'ETIMEDOUT' || /timeout/i.test(String(error))) {
      const { host, port } = describe(url);
      throw new ServiceUnavailableError(
        `PostgreSQL is not reachable at ${host}:${port}. Start it with ` +
          '`sudo pg_ctlcluster $(ls /etc/postgresql) main start` (or `sudo systemctl start postgresql`), ' +
          'or run `docker compose -f docker/compose.yml up -d postgres redis`.',
      );
    }
    throw error;
  }
}

/**
 * Creates the owner role (owns the tables, runs migrations), the application role (neither
 * owner nor superuser, so row-level security applies to it), the worker role when given (the
 * same, plus the relay's cross-workspace functions) and the database, where missing.
 * Needs an administrative connection; without one the roles and database must already exist.
 */
export async function ensureRolesAndDatabase(adminUrl: string, ownerUrl: string, appUrl: string, workerUrl?: string): Promise<void> {
  const owner = describe(ownerUrl);
  const runtimeRoles = [appUrl, ...(workerUrl ? [workerUrl] : [])].map(describe);
  const admin = await connect(adminUrl);
  try {
    for (const role of [owner, ...runtimeRoles]) {
      const exists = await admin.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role.user]);
      const password = role.password ? ` PASSWORD ${quoteLiteral(role.password)}` : '';
      if (exists.rowCount === 0) {
        await admin.query(`CREATE ROLE ${quoteIdent(role.user)} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEROLE${password}`);
      }
    }
    // Lets the event sequencer (owned by this role) see which running transactions belong to
    // other databases, so they do not hold back this one's numbering (sequencer-database-horizon migration).
    await admin.query(`GRANT pg_read_all_stats TO ${quoteIdent(owner.user)}`);
    const db = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [owner.database]);
    if (db.rowCount === 0) {
      await admin.query(`CREATE DATABASE ${quoteIdent(owner.database)} OWNER ${quoteIdent(owner.user)}`);
    }
  } finally {
    await admin.end();
  }
}

/** History the application may add to but never rewrite; only owner functions (sequencing, retention) change it. */
const APPEND_ONLY_TABLES = ['record_events'];

/** Tables the application role may not touch at all: the migration log and the relay's positions (changed only through owner functions). */
const OWNER_ONLY_TABLES = ['migrations', 'event_relay_positions'];

/**
 * The relay's functions read event metadata (ids, types, actors) of every workspace and move the
 * relay's position; the event retention deletes history of every workspace. With a worker role
 * they are its alone, so the API's login cannot call them.
 */
const WORKER_ONLY_FUNCTIONS = [
  'crm_relay_batch(text, integer)',
  'crm_relay_advance(text, bigint)',
  'crm_reconcile_events(text, jsonb, bigint, interval, interval, integer)',
  'crm_stranded_webhook_deliveries(interval, integer)',
  'crm_owed_task_reminders(interval, interval, interval, integer)',
  'crm_purge_record_events(interval, integer)',
  'crm_stale_import_jobs(interval)',
  'crm_purge_import_rows(integer)',
];

/** What the API's and the worker's logins may do: read and write under row-level security, never the owner-only tables. */
async function grantRuntimeRole(dataSource: DataSource, role: string): Promise<void> {
  await dataSource.query(`
    GRANT USAGE ON SCHEMA public TO ${role};
    GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ${role};
    GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO ${role};
    GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA public TO ${role};`);
  for (const table of OWNER_ONLY_TABLES) {
    await dataSource.query(`REVOKE ALL ON ${table} FROM ${role}`);
  }
  for (const table of APPEND_ONLY_TABLES) {
    await dataSource.query(`REVOKE UPDATE, DELETE, TRUNCATE ON ${table} FROM ${role}`);
  }
}

/**
 * Runs pending migrations as the owner, then grants the application role (and the worker role,
 * when given) what it may do. Without a worker role the application role keeps the relay's
 * functions, for installations whose worker logs in as the application role.
 */
export async function migrate(ownerUrl: string, appUrl: string, log: (line: string) => void = () => {}, workerUrl?: string): Promise<number> {
  await connect(ownerUrl).then((c) => c.end());
  const dataSource = createDataSource({ url: ownerUrl, poolSize: 1, applicationName: 'crm-migrate' });
  await dataSource.initialize();
  try {
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    for (const migration of applied) log(`applied migration ${migration.name}`);
    const app = quoteIdent(describe(appUrl).user);
    await grantRuntimeRole(dataSource, app);
    const worker = workerUrl ? quoteIdent(describe(workerUrl).user) : null;
    if (worker && worker !== app) {
      await grantRuntimeRole(dataSource, worker);
      for (const fn of WORKER_ONLY_FUNCTIONS) await dataSource.query(`REVOKE EXECUTE ON FUNCTION ${fn} FROM ${app}`);
    }
    return applied.length;
  } finally {
    await dataSource.destroy();
  }
}

/** Drops a database, ending its open connections first (tests clean up after themselves). */
export async function dropDatabase(adminUrl: string, database: string): Promise<void> {
  const admin = await connect(adminUrl);
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${quoteIdent(database)} WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}

export { connect as connectPostgres, describe as describeDatabaseUrl };
