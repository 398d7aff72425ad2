import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { dropDatabase, ensureRolesAndDatabase, migrate } from '../../src/kernel/db/provision';

export const ADMIN_URL = process.env.TEST_DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const HOST = new URL(ADMIN_URL).host;
const OWNER_ROLE = 'crm_test_owner';
const APP_ROLE = 'crm_test_app';
const WORKER_ROLE = 'crm_test_worker';

export const urlFor = (role: string, database: string) => `postgres://${role}@${HOST}/${database}`;

export function ensureTestRoles(): Promise<void> {
  return ensureRolesAndDatabase(ADMIN_URL, urlFor(OWNER_ROLE, 'postgres'), urlFor(APP_ROLE, 'postgres'), urlFor(WORKER_ROLE, 'postgres'));
}

export interface TestDatabase {
  name: string;
  ownerUrl: string;
  appUrl: string;
  /** The worker's login (the relay's functions are its alone). */
  workerUrl: string;
  drop(): Promise<void>;
}

/** A fresh, migrated database for one test file, with the same roles and grants as production. */
export async function createTestDatabase(label: string): Promise<TestDatabase> {
  const name = `crm_test_${label.replace(/\W/g, '_').slice(0, 30)}_${randomBytes(4).toString('hex')}`;
  const ownerUrl = urlFor(OWNER_ROLE, name);
  const appUrl = urlFor(APP_ROLE, name);
  const workerUrl = urlFor(WORKER_ROLE, name);
  await ensureRolesAndDatabase(ADMIN_URL, ownerUrl, appUrl, workerUrl);
  await migrate(ownerUrl, appUrl, undefined, workerUrl);
  return { name, ownerUrl, appUrl, workerUrl, drop: () => dropDatabase(ADMIN_URL, name) };
}

/** A superuser connection to a test database: reads and writes past row-level security, for setup and checks. */
export async function superuserClient(database: string): Promise<Client> {
  const url = new URL(ADMIN_URL);
  url.pathname = `/${database}`;
  const client = new Client({ connectionString: url.toString() });
  await client.connect();
  return client;
}
