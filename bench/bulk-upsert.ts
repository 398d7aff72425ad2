import 'reflect-metadata';
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { Client } from 'pg';
import { dropDatabase, ensureRolesAndDatabase, migrate } from '../src/kernel/db/provision';
import { send, statementsSent } from './load';
import { cpuTimeMs, startServer, stopServer, type ServerProcess } from './processes';
import { summarizeProfile } from './profile';
import { ADMIN_URL, HOST, productionEnv } from './settings';

/**
 * Bulk upserts as an ERP sends them: the API as a production process over a fresh database, one
 * API key, sequential `upsertContacts` calls of N items each, every call a mix of about 50 %
 * new contacts, 40 % changed ones and 10 % unchanged ones, all matched by external ref. Prints
 * items per second, the time per call (p50, p99), SQL statements per call and the CPU the API
 * and its PostgreSQL backends spent per 1,000 items (steadier than time on a shared machine).
 * `--root <dir>` runs the API of another build (a checkout with its dist/), for a before/after in
 * one sitting; `--profile` runs it under --cpu-prof and prints where its CPU went. See
 * bench/README.md ("Bulk upserts").
 */

const ROOT = path.resolve(__dirname, '../..');
const RESULTS = path.join(ROOT, 'bench/results');
const LOG_FILE = path.join(RESULTS, 'bulk-upsert-server.log');
const DATABASE = process.env.BENCH_BULK_DATABASE ?? 'crm_bench_bulk';
const OWNER_URL = `postgres://crm_owner@${HOST}/${DATABASE}`;
const APP_URL = `postgres://crm_app@${HOST}/${DATABASE}`;
const log = (line: string) => process.stdout.write(`[bulk-upsert] ${line}\n`);

const UPSERT = `mutation($inputs: [UpsertContactInput!]!) {
  upsertContacts(inputs: $inputs) { created updated unchanged failed items { index status error { code message } } }
}`;

interface Options {
  calls: number;
  items: number;
  keep: boolean;
  creates: boolean;
  root: string;
  profile: boolean;
}

function readOptions(): Options {
  const { values } = parseArgs({
    options: {
      calls: { type: 'string', default: '20' },
      items: { type: 'string', default: '1000' },
      keep: { type: 'boolean', default: false },
      creates: { type: 'boolean', default: false },
      root: { type: 'string', default: ROOT },
      profile: { type: 'boolean', default: false },
    },
  });
  const calls = Number(values.calls);
  const items = Number(values.items);
  if (!Number.isInteger(calls) || calls < 1) throw new Error('--calls must be a whole number of at least 1');
  if (!Number.isInteger(items) || items < 10 || items > 1000) throw new Error('--items must be a whole number from 10 to 1000');
  return { calls, items, keep: values.keep, creates: values.creates, root: path.resolve(values.root), profile: values.profile };
}

/** CPU used so far by the API process and by the PostgreSQL backends of its pool (ms; null without /proc). */
async function cpuUsed(api: ServerProcess): Promise<{ api: number | null; database: number | null }> {
  const admin = new Client({ connectionString: ADMIN_URL });
  await admin.connect();
  try {
    const { rows } = await admin.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND datname = $2', [
      api.applicationName,
      DATABASE,
    ]);
    const backends = rows.map((row) => cpuTimeMs(row.pid));
    return { api: cpuTimeMs(api.child.pid), database: backends.includes(null) ? null : (backends as number[]).reduce((a, b) => a + b, 0) };
  } finally {
    await admin.end();
  }
}

async function analyze(): Promise<void> {
  const owner = new Client({ connectionString: OWNER_URL });
  await owner.connect();
  await owner.query('ANALYZE').finally(() => owner.end());
}

const nowUs = () => Number(process.hrtime.bigint() / 1000n);
const perThousand = (ms: number | null, items: number) => (ms === null ? 'n/a' : ((1000 * ms) / items).toFixed(0));

const gql = async (url: string, query: string, variables: Record<string, unknown>, token?: string): Promise<any> =>
  (await send(url, JSON.stringify({ query, variables }), token)).data;

/** The ERP's side: contacts it has sent, by number, with the job title last sent. */
class Erp {
  private readonly titles: string[] = [];
  private revision = 0;

  /** `creates`: every call only new contacts (an initial import). */
  constructor(private readonly creates: boolean) {}

  private item(n: number) {
    return { lastName: `Contact ${n}`, firstName: 'Bulk', email: `c${n}@bulk.example`, jobTitle: this.titles[n], tags: ['bench'], externalRef: { system: 'erp', id: `C-${n}` } };
  }

  /** `size` items: half new, 40 % changed (a new job title), the rest sent again unchanged; all new with `creates`. */
  call(size: number): unknown[] {
    this.revision++;
    const known = this.titles.length;
    const fresh = known === 0 || this.creates ? size : Math.round(size * 0.5);
    const changed = known === 0 || this.creates ? 0 : Math.round(size * 0.4);
    const items: unknown[] = [];
    for (let i = 0; i < changed + (size - fresh - changed); i++) {
      const n = (this.revision * 7919 + i * 104729) % known;
      if (i < changed) this.titles[n] = `Title ${this.revision}`;
      items.push(this.item(n));
    }
    for (let i = 0; i < fresh; i++) {
      this.titles.push('Buyer');
      items.push(this.item(this.titles.length - 1));
    }
    return items;
  }
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

async function main(): Promise<void> {
  const options = readOptions();
  mkdirSync(RESULTS, { recursive: true });
  writeFileSync(LOG_FILE, '');
  log(`fresh database ${DATABASE}`);
  await dropDatabase(ADMIN_URL, DATABASE);
  await ensureRolesAndDatabase(ADMIN_URL, OWNER_URL, APP_URL);
  await migrate(OWNER_URL, APP_URL);
  let api: ServerProcess | null = null;
  const profileDir = path.join(RESULTS, 'bulk-profile');
  try {
    const nodeFlags = options.profile ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : [];
    if (options.profile) rmSync(profileDir, { recursive: true, force: true });
    const script = path.join(options.root, 'dist/src/main.js');
    api = await startServer({ name: 'API', script, applicationName: 'crm-api', env: productionEnv(APP_URL, OWNER_URL), nodeFlags }, LOG_FILE);
    log(`API (pid ${api.child.pid}) at ${api.url}, from ${script}`);
    const input = { workspaceName: 'Bulk Bench', name: 'Bea Bulk', email: 'bulk-bench@example.com', password: 'bench-password-123' };
    const { signUp } = await gql(api.url, `mutation($input: SignUpInput!) { signUp(input: $input) { token } }`, { input });
    const { createApiKey } = await gql(api.url, `mutation { createApiKey(input: { name: "erp", scopes: ["contacts:write", "crm:read"] }) { token } }`, {}, signUp.token);
    const erp = new Erp(options.creates);
    // Warm-up (not measured): the first call creates the contacts later calls update.
    await gql(api.url, UPSERT, { inputs: erp.call(options.items) }, createApiKey.token);
    // Statistics, as autovacuum would take them (it is off on this machine): without them the
    // planner takes the fresh tables for empty and scans a workspace where it should look up ids.
    await analyze();
    const durations: number[] = [];
    const totals = { created: 0, updated: 0, unchanged: 0, failed: 0 };
    const statementsBefore = await statementsSent(api.url, 'api');
    const cpuBefore = await cpuUsed(api);
    const window: [number, number] = [nowUs(), 0];
    for (let call = 1; call <= options.calls; call++) {
      const inputs = erp.call(options.items);
      const started = performance.now();
      const { upsertContacts: result } = await gql(api.url, UPSERT, { inputs }, createApiKey.token);
      durations.push(performance.now() - started);
      for (const key of Object.keys(totals) as Array<keyof typeof totals>) totals[key] += result[key];
      if (result.failed) throw new Error(`call ${call}: ${JSON.stringify(result.items.find((i: any) => i.error))}`);
      log(`call ${call}/${options.calls}: ${durations.at(-1)!.toFixed(0)} ms (created ${result.created}, updated ${result.updated}, unchanged ${result.unchanged})`);
    }
    window[1] = nowUs();
    const cpuAfter = await cpuUsed(api);
    // Two /metrics reads lie between the counts; they run no SQL.
    const statements = ((await statementsSent(api.url, 'api')) - statementsBefore) / options.calls;
    const items = options.calls * options.items;
    const sorted = [...durations].sort((a, b) => a - b);
    const seconds = durations.reduce((sum, ms) => sum + ms, 0) / 1000;
    const itemsPerSecond = items / seconds;
    const apiCpu = cpuAfter.api !== null && cpuBefore.api !== null ? cpuAfter.api - cpuBefore.api : null;
    const dbCpu = cpuAfter.database !== null && cpuBefore.database !== null ? cpuAfter.database - cpuBefore.database : null;
    const table = [
      `Node ${process.version}, ${os.cpus().length} × ${os.cpus()[0]?.model.trim()}; API, PostgreSQL, Redis and the client share them; load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}.`,
      '',
      '| Calls × items | Created / updated / unchanged | Items/s | Per call p50 / p99 ms | SQL per call | CPU ms per 1,000 items API / PostgreSQL |',
      '|---|---|---:|---:|---:|---:|',
      `| ${options.calls} × ${options.items} | ${totals.created} / ${totals.updated} / ${totals.unchanged} | ${itemsPerSecond.toFixed(0)} | ` +
        `${percentile(sorted, 50).toFixed(0)} / ${percentile(sorted, 99).toFixed(0)} | ${statements.toFixed(1)} | ${perThousand(apiCpu, items)} / ${perThousand(dbCpu, items)} |`,
    ].join('\n');
    writeFileSync(path.join(RESULTS, 'bulk-upsert-latest.md'), `${table}\n`);
    process.stdout.write(`\n${table}\n\n`);
    if (options.profile) {
      await stopServer(api);
      api = null;
      const file = readdirSync(profileDir).find((name) => name.endsWith('.cpuprofile'));
      if (!file) throw new Error(`the profiled API wrote no .cpuprofile into ${profileDir}`);
      const profile = summarizeProfile(path.join(profileDir, file), ...window, 25);
      process.stdout.write(`API self time while measured (${profile.totalMs.toFixed(0)} ms sampled, ${profile.idlePercent.toFixed(0)} % idle):\n`);
      for (const line of profile.byComponent) process.stdout.write(`  ${line.percent.toFixed(1).padStart(5)} %  ${line.name}\n`);
      for (const line of profile.topFunctions) process.stdout.write(`  ${line.percent.toFixed(1).padStart(5)} %  ${line.name}  ${line.location}\n`);
    }
    process.stdout.write(
      `bulk-upsert: ${options.calls} calls × ${options.items} items at ${itemsPerSecond.toFixed(0)} items/s; per call p50 ${percentile(sorted, 50).toFixed(0)} ms, ` +
        `p99 ${percentile(sorted, 99).toFixed(0)} ms; ${statements.toFixed(1)} statements per call; CPU per 1,000 items API ${perThousand(apiCpu, items)} ms, PostgreSQL ${perThousand(dbCpu, items)} ms\n`,
    );
  } finally {
    if (api) await stopServer(api);
    if (!options.keep) await dropDatabase(ADMIN_URL, DATABASE);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
