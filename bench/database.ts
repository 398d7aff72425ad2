import jwt from 'jsonwebtoken';
import { Client } from 'pg';
import { CREATED_DEAL_PREFIX } from './scenarios';
import { APP_URL } from './settings';

/** Runs `work` as the application role inside one transaction scoped to the token's workspace. */
async function asTenant<T>(token: string, work: (client: Client, workspaceId: string) => Promise<T>): Promise<T> {
  const { wsp } = jwt.decode(token) as { wsp: string };
  const client = new Client({ connectionString: APP_URL, application_name: 'crm-bench-run' });
  await client.connect();
  try {
    await client.query('BEGIN');
    await client.query(`SELECT set_config('app.workspace_id', $1, true)`, [wsp]);
    const result = await work(client, wsp);
    await client.query('COMMIT');
    return result;
  } finally {
    await client.end();
  }
}

/**
 * Deletes the deals createDeal made, so every run (and the profile of scenario (a)) reads the
 * seeded newest-deals page rather than a page of deals the benchmark wrote itself.
 */
export function removeCreatedDeals(token: string): Promise<number> {
  return asTenant(token, async (client, workspaceId) => {
    const { rowCount } = await client.query('DELETE FROM deals WHERE workspace_id = $1 AND name LIKE $2', [workspaceId, `${CREATED_DEAL_PREFIX}%`]);
    return rowCount ?? 0;
  });
}

export function postgresVersion(token: string): Promise<string> {
  return asTenant(token, async (client) => (await client.query<{ server_version: string }>('SHOW server_version')).rows[0].server_version);
}

/** The PostgreSQL backends serving connections that call themselves `applicationName` (same role, so visible). */
export function backendPids(token: string, applicationName: string): Promise<number[]> {
  return asTenant(token, async (client) => {
    const { rows } = await client.query<{ pid: number }>(
      'SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND datname = current_database()',
      [applicationName],
    );
    return rows.map((row) => row.pid);
  });
}
