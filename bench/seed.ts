import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { Client } from 'pg';
import { parseConfig } from '../src/config/config';
import { Role } from '../src/kernel/auth/roles';
import { RequestContext, type Actor } from '../src/kernel/context';
import { createDataSource } from '../src/kernel/db/data-source';
import { dropDatabase, ensureRolesAndDatabase, migrate } from '../src/kernel/db/provision';
import { createLogger } from '../src/kernel/logger';
import { authService, membersService } from '../src/modules/identity';
import * as sql from './seed-sql';
import { ADMIN_URL, APP_URL, BENCH_DATABASE, BENCH_LOGIN, DATA_ENCRYPTION_KEY, JWT_SECRET, OWNER_URL, WORKSPACE_NAME } from './settings';

const BATCH_ROWS = 50_000;
const MEMBERS: Array<{ name: string; role: Role }> = [
  { name: 'Sven Sales', role: Role.SALES },
  { name: 'Sara Sales', role: Role.SALES },
  { name: 'Sam Sales', role: Role.SALES },
  { name: 'Mona Manager', role: Role.MANAGER },
  { name: 'Susi Support', role: Role.SUPPORT },
];
const TABLES = ['accounts', 'contacts', 'deals', 'deal_contacts', 'tickets', 'activities'] as const;

const started = Date.now();
const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1)} s`;
const log = (line: string) => process.stdout.write(`[seed] ${line}\n`);

function readOptions(): { counts: sql.SeedCounts; fresh: boolean } {
  const { values } = parseArgs({
    options: {
      contacts: { type: 'string', default: '100000' },
      accounts: { type: 'string', default: '10000' },
      deals: { type: 'string', default: '30000' },
      tickets: { type: 'string', default: '20000' },
      activities: { type: 'string', default: '50000' },
      fresh: { type: 'boolean', default: false },
    },
  });
  const count = (name: keyof sql.SeedCounts, min: number): number => {
    const value = Number(values[name]);
    if (!Number.isInteger(value) || value < min) throw new Error(`--${name} must be a whole number of at least ${min}`);
    return value;
  };
  const counts = {
    accounts: count('accounts', 1),
    contacts: count('contacts', 0),
    deals: count('deals', 1),
    tickets: count('tickets', 0),
    activities: count('activities', 0),
  };
  return { counts, fresh: values.fresh };
}

async function prepareDatabase(fresh: boolean): Promise<void> {
  if (fresh) {
    await dropDatabase(ADMIN_URL, BENCH_DATABASE);
    log(`dropped ${BENCH_DATABASE}`);
  }
  await ensureRolesAndDatabase(ADMIN_URL, OWNER_URL, APP_URL);
  await migrate(OWNER_URL, APP_URL, log);
  // A superuser look (row-level security hides users from everyone else) for an earlier seed.
  const admin = new Client({ connectionString: ADMIN_URL.replace(/\/[^/]*$/, `/${BENCH_DATABASE}`) });
  await admin.connect();
  try {
    const { rowCount } = await admin.query('SELECT 1 FROM users WHERE lower(email) = $1', [BENCH_LOGIN.email]);
    if (rowCount) throw new Error(`${BENCH_DATABASE} already holds the bench workspace; pass --fresh to drop it and seed again`);
  } finally {
    await admin.end();
  }
}

/** The workspace, its admin and a few members, made the way the API makes them. */
async function signUpWorkspace(): Promise<{ workspaceId: string; ownerIds: string[] }> {
  const config = parseConfig({ NODE_ENV: 'production', DATABASE_URL: APP_URL, JWT_SECRET, DATA_ENCRYPTION_KEY, LOG_LEVEL: 'silent' });
  const dataSource = createDataSource({ url: APP_URL, poolSize: 2, applicationName: 'crm-bench-seed' });
  await dataSource.initialize();
  const runtime = { config, dataSource, logger: createLogger('silent') };
  try {
    const signUp = await authService.signUp(new RequestContext(runtime, null), { workspaceName: WORKSPACE_NAME, name: 'Berta Bench', ...BENCH_LOGIN });
    const actor: Actor = { userId: signUp.user.id, workspaceId: signUp.workspace.id, role: Role.ADMIN };
    const ownerIds = [actor.userId];
    for (const [i, member] of MEMBERS.entries()) {
      const ctx = new RequestContext(runtime, actor);
      try {
        const email = `${member.name.split(' ')[0].toLowerCase()}${i}@bench.example`;
        const seat = await membersService.add(ctx, { email, role: member.role, name: member.name, password: BENCH_LOGIN.password });
        ownerIds.push(seat.userId);
      } finally {
        await ctx.close();
      }
    }
    return { workspaceId: actor.workspaceId, ownerIds };
  } finally {
    await dataSource.destroy();
  }
}

/** Runs `statement` once per batch of row numbers, each batch in its own tenant-scoped transaction. */
async function insertInBatches(owner: Client, workspaceId: string, label: string, total: number, statement: string): Promise<void> {
  for (let from = 1; from <= total; from += BATCH_ROWS) {
    const to = Math.min(from + BATCH_ROWS - 1, total);
    await owner.query('BEGIN');
    try {
      await owner.query(`SELECT set_config('app.workspace_id', $1, true)`, [workspaceId]);
      await owner.query(statement, [from, to]);
      await owner.query('COMMIT');
    } catch (error) {
      await owner.query('ROLLBACK');
      throw error;
    }
    log(`${label} ${to}/${total} (${elapsed()})`);
  }
}

async function pipelineScope(owner: Client, workspaceId: string): Promise<Omit<sql.SeedScope, 'workspaceId' | 'ownerIds'>> {
  await owner.query('BEGIN');
  try {
    await owner.query(`SELECT set_config('app.workspace_id', $1, true)`, [workspaceId]);
    const { rows } = await owner.query<{ id: string; pipeline_id: string; kind: string }>(
      `SELECT s.id, s.pipeline_id, s.kind FROM stages s JOIN pipelines p ON p.id = s.pipeline_id
       WHERE p.is_default AND p.deleted_at IS NULL AND s.deleted_at IS NULL ORDER BY s.position`,
    );
    const ofKind = (kind: string) => rows.filter((r) => r.kind === kind).map((r) => r.id);
    return { pipelineId: rows[0].pipeline_id, openStageIds: ofKind('OPEN'), wonStageId: ofKind('WON')[0], lostStageId: ofKind('LOST')[0] };
  } finally {
    await owner.query('COMMIT');
  }
}

async function tableCounts(owner: Client, workspaceId: string): Promise<string> {
  await owner.query('BEGIN');
  try {
    await owner.query(`SELECT set_config('app.workspace_id', $1, true)`, [workspaceId]);
    const parts: string[] = [];
    for (const table of TABLES) {
      const { rows } = await owner.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`);
      parts.push(`${table} ${rows[0].n}`);
    }
    return parts.join(', ');
  } finally {
    await owner.query('COMMIT');
  }
}

async function main(): Promise<void> {
  const { counts, fresh } = readOptions();
  await prepareDatabase(fresh);
  const { workspaceId, ownerIds } = await signUpWorkspace();
  log(`workspace and ${ownerIds.length} members signed up (${elapsed()})`);
  const owner = new Client({ connectionString: OWNER_URL, application_name: 'crm-bench-seed' });
  await owner.connect();
  try {
    // Bulk load: a lost tail of batches on a crash costs nothing here, so commits need not wait for the disk.
    await owner.query('SET synchronous_commit = off');
    const shape = new sql.SeedShape({ workspaceId, ownerIds, ...(await pipelineScope(owner, workspaceId)) }, counts);
    await insertInBatches(owner, workspaceId, 'accounts', counts.accounts, sql.accountsSql(shape));
    await insertInBatches(owner, workspaceId, 'contacts', counts.contacts, sql.contactsSql(shape));
    await insertInBatches(owner, workspaceId, 'deals', counts.deals, sql.dealsSql(shape));
    await insertInBatches(owner, workspaceId, 'deal contacts for deals', counts.deals, sql.dealContactsSql(shape));
    await insertInBatches(owner, workspaceId, 'tickets', counts.tickets, sql.ticketsSql(shape));
    await insertInBatches(owner, workspaceId, 'activities', counts.activities, sql.activitiesSql(shape));
    // VACUUM as well as ANALYZE: fresh statistics for the planner, and a visibility map so
    // index-only scans work from the first request instead of after autovacuum gets round to it.
    for (const table of TABLES) await owner.query(`VACUUM (ANALYZE) ${table}`);
    log(`vacuumed and analyzed (${elapsed()})`);
    log(`done in ${elapsed()}: ${await tableCounts(owner, workspaceId)}; sign in as ${BENCH_LOGIN.email} / ${BENCH_LOGIN.password}`);
  } finally {
    await owner.end();
  }
}

main().catch((error: unknown) => {
  // Our own plain Errors explain themselves; anything else (a driver error, a bug) needs its stack.
  process.stderr.write(`[seed] failed: ${error?.constructor === Error ? (error as Error).message : ((error as Error)?.stack ?? String(error))}\n`);
  process.exit(1);
});
