import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { Client } from 'pg';
import { createApp } from '../src/app';
import { parseConfig } from '../src/config/config';
import { dropDatabase, ensureRolesAndDatabase, migrate } from '../src/kernel/db/provision';
import { parseId } from '../src/kernel/ids';
import { createLogger } from '../src/kernel/logger';
import { ADMIN_URL, APP_URL, OWNER_URL, productionEnv } from './settings';

/**
 * Change-feed read throughput: a fresh database with one workspace and N numbered record events
 * (an account update each, with before and after), read by one consumer through the real API
 * (`changes(after, first: 200)` over HTTP, every field of an entry) from the start to the end.
 * Prints one summary line: events per second and the time per page.
 */

const DATABASE = process.env.BENCH_FEED_DATABASE ?? 'crm_bench_feed';
const inDatabase = (url: string) => url.replace(/\/[^/]*$/, `/${DATABASE}`);
const log = (line: string) => process.stdout.write(`[change-feed] ${line}\n`);

const FEED = `query($after: String) {
  changes(after: $after, first: 200) {
    edges { cursor node { id type recordType recordId changed before after occurredAt sequence actor { id name } } }
    pageInfo { hasNextPage endCursor }
  }
}`;

function options(): { events: number; keep: boolean } {
  const { values } = parseArgs({ options: { events: { type: 'string', default: '50000' }, keep: { type: 'boolean', default: false } } });
  const events = Number(values.events);
  if (!Number.isInteger(events) || events < 1) throw new Error('--events must be a whole number of at least 1');
  return { events, keep: values.keep };
}

async function gql(url: string, query: string, variables: Record<string, unknown>, token?: string): Promise<any> {
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: any; errors?: unknown[] };
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data;
}

/** N account.updated events of the workspace in one statement (as the application role), then numbered. */
async function insertEvents(appUrl: string, workspaceId: string, userId: string, events: number): Promise<void> {
  const client = new Client({ connectionString: appUrl });
  await client.connect();
  try {
    await client.query('BEGIN');
    await client.query(`SELECT set_config('app.workspace_id', $1, true)`, [workspaceId]);
    await client.query(
      `INSERT INTO record_events (workspace_id, type, record_type, record_id, actor_user_id, before, after, changed)
       SELECT $1, 'account.updated', 'Account', gen_random_uuid(), $2,
              jsonb_build_object('name', 'Account ' || n, 'industry', 'Retail', 'version', 1),
              jsonb_build_object('name', 'Account ' || n, 'industry', 'Mining', 'version', 2), '{industry}'
         FROM generate_series(1, $3) AS n`,
      [workspaceId, userId, events],
    );
    await client.query('COMMIT');
    while ((await client.query(`SELECT crm_sequence_events(100000) AS n`)).rows[0].n > 0);
  } finally {
    await client.end();
  }
}

async function main(): Promise<void> {
  const { events, keep } = options();
  const ownerUrl = inDatabase(OWNER_URL);
  const appUrl = inDatabase(APP_URL);
  await dropDatabase(ADMIN_URL, DATABASE);
  await ensureRolesAndDatabase(ADMIN_URL, ownerUrl, appUrl);
  await migrate(ownerUrl, appUrl);
  const app = await createApp(parseConfig({ ...productionEnv(appUrl, ownerUrl), LOG_LEVEL: 'silent' }), createLogger('silent'));
  try {
    const url = `http://127.0.0.1:${await app.server.listen(0, '127.0.0.1')}`;
    const input = { workspaceName: 'Feed Bench', name: 'Fiona Feed', email: 'feed-bench@example.com', password: 'bench-password-123' };
    const { signUp } = await gql(url, `mutation($input: SignUpInput!) { signUp(input: $input) { token user { id } workspace { id } } }`, { input });
    await insertEvents(appUrl, parseId(signUp.workspace.id)!.uuid, parseId(signUp.user.id)!.uuid, events);
    log(`database ${DATABASE}: ${events} numbered events; reading them in pages of 200`);

    let after: string | null = null;
    let read = 0;
    let pages = 0;
    const started = process.hrtime.bigint();
    for (;;) {
      const { changes } = await gql(url, FEED, { after }, signUp.token);
      read += changes.edges.length;
      pages += 1;
      after = changes.pageInfo.endCursor ?? after;
      if (!changes.pageInfo.hasNextPage) break;
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    log(`${read} changes read in ${seconds.toFixed(2)} s = ${Math.round(read / seconds)} changes/s (${pages} pages, ${((seconds * 1000) / pages).toFixed(1)} ms per page of 200, one consumer)`);
  } finally {
    await app.stop();
    if (!keep) await dropDatabase(ADMIN_URL, DATABASE);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
