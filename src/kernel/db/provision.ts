import { Client } from 'pg';
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
 * owner nor superuser, so row-level security applies to it) and the database, where missing.
 * Needs an administrative connection; without one the roles and database must already exist.
 */
export async function ensureRolesAndDatabase(adminUrl: string, ownerUrl: string, appUrl: string): Promise<void> {
  const owner = describe(ownerUrl);
  const app = describe(appUrl);
  const admin = await connect(adminUrl);
  try {
    for (const role of [owner, app]) {
      const exists = await admin.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role.user]);
      const password = role.password ? ` PASSWORD ${quoteLiteral(role.password)}` : '';
      if (exists.rowCount === 0) {
        await admin.query(`CREATE ROLE ${quoteIdent(role.user)} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEROLE${password}`);
      }
    }
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

/** Runs pending migrations as the owner, then grants the application role what it may do. */
export async function migrate(ownerUrl: string, appUrl: string, log: (line: string) => void = () => {}): Promise<number> {
  await connect(ownerUrl).then((c) => c.end());
  const dataSource = createDataSource({ url: ownerUrl, poolSize: 1, applicationName: 'crm-migrate' });
  await dataSource.initialize();
  try {
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    for (const migration of applied) log(`applied migration ${migration.name}`);
    const app = quoteIdent(describe(appUrl).user);
    await dataSource.query(`
      GRANT USAGE ON SCHEMA public TO ${app};
      GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ${app};
      GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO ${app};
      GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA public TO ${app};`);
    for (const table of OWNER_ONLY_TABLES) {
      await dataSource.query(`REVOKE ALL ON ${table} FROM ${app}`);
    }
    for (const table of APPEND_ONLY_TABLES) {
      await dataSource.query(`REVOKE UPDATE, DELETE, TRUNCATE ON ${table} FROM ${app}`);
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
