import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Client } from 'pg';
import { dropDatabase, ensureRolesAndDatabase, migrate } from '../src/kernel/db/provision';
import { RELAY_NAME } from '../workers/event-relay';
import { RelayLock } from '../workers/relay-lock';
import { cpuTimeMs, spawnProcess, startServer, stopServer, type ServerProcess } from './processes';
import { summarizeProfile } from './profile';
import { ADMIN_URL, HOST, productionEnv } from './settings';

/**
 * Bulk import of N contacts (default 1,000,000) end to end, as production runs it: a fresh
 * database, the API and the worker as separate processes from dist/, an API key with
 * `contacts:write`. The NDJSON file is generated while it is uploaded (streamed, never held),
 * then the worker upserts it chunk by chunk. Prints progress every second and one summary line:
 * upload rows/s, import rows/s end to end, and the peak RSS of the worker and the API
 * (VmHWM from /proc); then it waits until the import's record events are drained (handled by the
 * worker's `processed-log` handler) and says when. `--events-after` keeps the event relay off
 * during the import (the bench holds the relay lock), so the import is timed alone and the
 * backlog's drain after it; `--no-drain` does not wait for the events, `--drain-for <s>` stops
 * waiting after that long (and says the rate so far); `--profile` runs the
 * worker under --cpu-prof; `--root <dir>` runs the API and worker of another build. See
 * bench/README.md ("Bulk import").
 */

const ROOT = path.resolve(__dirname, '../..');
const RESULTS = path.join(ROOT, 'bench/results');
const LOG_FILE = path.join(RESULTS, 'import-servers.log');
const DATABASE = process.env.BENCH_IMPORT_DATABASE ?? 'crm_bench_import';
const OWNER_URL = `postgres://crm_owner@${HOST}/${DATABASE}`;
const APP_URL = `postgres://crm_app@${HOST}/${DATABASE}`;
const WORKER_URL = `postgres://crm_worker@${HOST}/${DATABASE}`;
const log = (line: string) => process.stdout.write(`[import] ${line}\n`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const seconds = (fromMs: number) => (Date.now() - fromMs) / 1000;

interface Options {
  rows: number;
  chunk: number;
  keep: boolean;
  parallel: number;
  eventsAfter: boolean;
  drain: boolean;
  /** Stop waiting for the drain after this many seconds (0: wait until done). */
  drainFor: number;
  profile: boolean;
  /** The checkout whose dist/ the API and worker run from (another build, for a before/after in one sitting). */
  root: string;
}

function readOptions(): Options {
  const { values } = parseArgs({
    options: {
      rows: { type: 'string', default: '1000000' },
      chunk: { type: 'string', default: '' },
      parallel: { type: 'string', default: '' },
      keep: { type: 'boolean', default: false },
      'events-after': { type: 'boolean', default: false },
      'no-drain': { type: 'boolean', default: false },
      'drain-for': { type: 'string', default: '0' },
      profile: { type: 'boolean', default: false },
      root: { type: 'string', default: ROOT },
    },
  });
  const rows = Number(values.rows);
  if (!Number.isInteger(rows) || rows < 1) throw new Error('--rows must be a whole number of at least 1');
  const chunk = values.chunk === '' ? 0 : Number(values.chunk);
  if (!Number.isInteger(chunk) || chunk < 0) throw new Error('--chunk must be a whole number');
  const parallel = values.parallel === '' ? 0 : Number(values.parallel);
  if (!Number.isInteger(parallel) || parallel < 0 || parallel > 8) throw new Error('--parallel must be a whole number up to 8');
  return { rows, chunk, keep: values.keep, parallel, eventsAfter: values['events-after'], drain: !values['no-drain'], drainFor: Number(values['drain-for']) || 0, profile: values.profile, root: path.resolve(values.root) };
}

/** CPU used so far by the PostgreSQL backends serving the worker's pool (ms; null without /proc). */
async function workerBackendsCpu(admin: Client): Promise<number | null> {
  const { rows } = await admin.query<{ pid: number }>(`SELECT pid FROM pg_stat_activity WHERE application_name = 'crm-worker' AND datname = current_database()`);
  const times = rows.map((row) => cpuTimeMs(row.pid));
  return times.includes(null) ? null : (times as number[]).reduce((a, b) => a + b, 0);
}

/** Events of the bench's workspace written so far, and those the worker's `processed-log` handler has handled (read as superuser). */
async function eventCounts(admin: Client): Promise<{ written: number; handled: number }> {
  const { rows } = await admin.query<{ written: number; handled: number }>(
    `SELECT (SELECT count(*) FROM record_events)::int AS written, (SELECT count(*) FROM processed_events WHERE handler = 'processed-log')::int AS handled`,
  );
  return rows[0];
}

/**
 * Waits until every record event written is handled, or `limit` seconds (0: no limit) have passed;
 * returns the seconds since `from` and how many were handled by then.
 */
async function waitDrained(admin: Client, from: number, worker: ServerProcess, limit: number): Promise<{ seconds: number; handled: number; written: number }> {
  let last = 0;
  for (;;) {
    const { written, handled } = await eventCounts(admin);
    if (handled >= written || (limit > 0 && seconds(from) >= limit)) return { seconds: seconds(from), handled, written };
    if (worker.child.exitCode !== null) throw new Error(`the worker exited with code ${worker.child.exitCode}; see ${LOG_FILE}`);
    if (Date.now() - last >= 5000) {
      last = Date.now();
      log(`${seconds(from).toFixed(0).padStart(4)} s: events handled ${handled} of ${written}`);
    }
    await sleep(500);
  }
}

/** Peak resident memory of a process so far (VmHWM), in MiB; null without /proc. */
function peakRssMiB(pid: number | undefined): number | null {
  try {
    const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Math.round(Number(match[1]) / 1024) : null;
  } catch {
    return null;
  }
}

async function gql<T = any>(api: string, query: string, variables: Record<string, unknown>, token?: string): Promise<T> {
  const response = await fetch(`${api}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: T; errors?: unknown[] };
  if (body.errors?.length || !body.data) throw new Error(`GraphQL errors: ${JSON.stringify(body.errors)}`);
  return body.data;
}

/** An admin and an API key for the import. */
async function apiKey(api: string): Promise<string> {
  const input = { workspaceName: 'Import Bench GmbH', name: 'Ida Import', email: 'import@bench.example.com', password: 'bench-password-123' };
  const { signUp } = await gql(api, 'mutation($input: SignUpInput!) { signUp(input: $input) { token } }', { input });
  const key = { name: 'bench import', scopes: ['contacts:write', 'crm:read'] };
  const { createApiKey } = await gql(api, 'mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { token } }', { input: key }, signUp.token);
  return createApiKey.token;
}

/** `rows` NDJSON contact lines made as the upload reads them, 1000 per chunk. */
function contactStream(rows: number, onLines: (sent: number) => void): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  let sent = 0;
  return new ReadableStream({
    pull(controller) {
      if (sent >= rows) {
        controller.close();
        return;
      }
      const lines: string[] = [];
      for (const end = Math.min(rows, sent + 1000); sent < end; sent++) {
        lines.push(
          JSON.stringify({
            externalRef: { system: 'bench', id: `C${sent}` },
            firstName: 'Bench',
            lastName: `Contact ${sent}`,
            email: `contact${sent}@bench.example.com`,
            jobTitle: sent % 3 ? 'Buyer' : 'Engineer',
            city: 'Berlin',
          }),
        );
      }
      onLines(sent);
      controller.enqueue(encoder.encode(lines.join('\n') + '\n'));
    },
  });
}

async function upload(api: string, token: string, rows: number): Promise<{ id: string; totalRows: number }> {
  const started = Date.now();
  let lastLog = 0;
  const response = await fetch(`${api}/imports/contacts?system=bench`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-ndjson', authorization: `Bearer ${token}` },
    body: contactStream(rows, (sent) => {
      if (Date.now() - lastLog < 1000) return;
      lastLog = Date.now();
      log(`${seconds(started).toFixed(0).padStart(4)} s: uploaded ${sent} of ${rows} lines`);
    }),
    duplex: 'half',
  } as RequestInit);
  const body = (await response.json()) as { importJob?: { id: string; totalRows: number }; errors?: unknown };
  if (response.status !== 202 || !body.importJob) throw new Error(`upload answered ${response.status}: ${JSON.stringify(body)}`);
  return body.importJob;
}

/**
 * This machine's PostgreSQL runs with autovacuum off, so tables that grow from empty keep the
 * planner's first estimates and lookups by index turn into scans. Every 20 s this does what
 * autovacuum would: fresh statistics everywhere, and dead staged lines vacuumed.
 */
function keepStatisticsFresh(): () => Promise<void> {
  const owner = new Client({ connectionString: OWNER_URL, application_name: 'crm-bench-import-analyze' });
  let stopped = false;
  const loop = (async () => {
    await owner.connect();
    while (!stopped) {
      for (let waited = 0; waited < 20 && !stopped; waited++) await sleep(1000);
      if (stopped) break;
      await owner.query('ANALYZE');
      await owner.query('VACUUM import_rows');
    }
  })();
  return async () => {
    stopped = true;
    await loop.catch(() => undefined);
    await owner.end();
  };
}

interface Progress {
  status: string;
  processedRows: number;
  created: number;
  updated: number;
  unchanged: number;
  failed: number;
}

async function waitImported(api: string, token: string, id: string, worker: ServerProcess, started: number): Promise<Progress> {
  let peak = 0;
  for (;;) {
    const { importJob } = await gql<{ importJob: Progress }>(api, 'query($id: ID!) { importJob(id: $id) { status processedRows created updated unchanged failed } }', { id }, token);
    peak = Math.max(peak, peakRssMiB(worker.child.pid) ?? 0);
    log(`${seconds(started).toFixed(0).padStart(4)} s: ${importJob.status} ${importJob.processedRows} rows, worker peak RSS ${peak} MiB`);
    if (importJob.status !== 'QUEUED' && importJob.status !== 'RUNNING') return importJob;
    if (worker.child.exitCode !== null) throw new Error(`the worker exited with code ${worker.child.exitCode}; see ${LOG_FILE}`);
    await sleep(1000);
  }
}

async function main(): Promise<void> {
  const options = readOptions();
  mkdirSync(RESULTS, { recursive: true });
  await dropDatabase(ADMIN_URL, DATABASE);
  await ensureRolesAndDatabase(ADMIN_URL, OWNER_URL, APP_URL, WORKER_URL);
  await migrate(OWNER_URL, APP_URL, undefined, WORKER_URL);
  const env = {
    ...productionEnv(APP_URL, OWNER_URL),
    WORKER_DATABASE_URL: WORKER_URL,
    // A prefix of its own: no other worker on this Redis takes these jobs.
    QUEUE_PREFIX: `crm-bench-import-${randomBytes(3).toString('hex')}`,
    IMPORT_MAX_ROWS: String(Math.max(options.rows, 2_000_000)),
    ...(options.chunk ? { IMPORT_CHUNK_SIZE: String(options.chunk) } : {}),
    ...(options.parallel ? { IMPORT_PARALLEL_CHUNKS: String(options.parallel) } : {}),
  };
  const running: Array<ServerProcess | { stop: () => Promise<void> }> = [];
  const admin = new Client({ connectionString: ADMIN_URL.replace(/\/[^/]*$/, `/${DATABASE}`), application_name: 'crm-bench-import-watch' });
  await admin.connect();
  running.push({ stop: () => admin.end() });
  const profileDir = path.join(RESULTS, 'import-profile');
  try {
    const api = await startServer({ name: 'api', script: path.join(options.root, 'dist/src/main.js'), applicationName: 'crm-api', env }, LOG_FILE);
    running.push(api);
    const token = await apiKey(api.url);
    // Held by the bench, the relay lock keeps every worker's relay standing by: no event moves until it is released.
    const relayOff = options.eventsAfter ? new RelayLock(WORKER_URL, RELAY_NAME) : null;
    if (relayOff && !(await relayOff.acquire())) throw new Error('could not take the relay lock');
    if (relayOff) running.push({ stop: () => relayOff.release() });
    if (options.profile) rmSync(profileDir, { recursive: true, force: true });
    const nodeFlags = options.profile ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : [];
    const worker = await spawnProcess({ name: 'worker', script: path.join(options.root, 'dist/workers/index.js'), applicationName: 'crm-worker', env, nodeFlags }, LOG_FILE);
    running.push(worker);
    log(`uploading ${options.rows} contacts (NDJSON, generated while sent), chunk ${env.IMPORT_CHUNK_SIZE ?? 'default'}, runners ${env.IMPORT_PARALLEL_CHUNKS ?? 'default'}` +
      (options.eventsAfter ? ', event relay held off until the import ends' : ''));
    const stopAnalyzing = keepStatisticsFresh();
    running.push({ stop: stopAnalyzing });
    const started = Date.now();
    const startedUs = Number(process.hrtime.bigint() / 1000n);
    const workerCpuBefore = cpuTimeMs(worker.child.pid);
    const job = await upload(api.url, token, options.rows);
    // The worker's pool connects as its runners start; backends that end meanwhile are not counted.
    await sleep(1000);
    const databaseCpuBefore = await workerBackendsCpu(admin);
    const uploadSeconds = seconds(started);
    log(`upload stored ${job.totalRows} lines in ${uploadSeconds.toFixed(1)} s`);
    const result = await waitImported(api.url, token, job.id, worker, started);
    const totalSeconds = seconds(started);
    const endedUs = Number(process.hrtime.bigint() / 1000n);
    const workerCpu = (cpuTimeMs(worker.child.pid) ?? 0) - (workerCpuBefore ?? 0);
    const databaseCpuAfter = await workerBackendsCpu(admin);
    const databaseCpu = databaseCpuAfter !== null && databaseCpuBefore !== null ? `${((1000 * (databaseCpuAfter - databaseCpuBefore)) / options.rows).toFixed(0)} ms` : 'n/a';
    const workerPeak = peakRssMiB(worker.child.pid);
    const apiPeak = peakRssMiB(api.child.pid);
    if (result.status !== 'COMPLETED' || result.created !== options.rows) throw new Error(`import ended ${JSON.stringify(result)}`);
    process.stdout.write(
      `import: ${options.rows} contacts; upload ${(options.rows / uploadSeconds).toFixed(0)} rows/s (${uploadSeconds.toFixed(1)} s), ` +
        `import ${(options.rows / totalSeconds).toFixed(0)} rows/s end to end (${totalSeconds.toFixed(1)} s, upload included); ` +
        `CPU per 1,000 rows: worker ${((1000 * workerCpu) / options.rows).toFixed(0)} ms, its PostgreSQL backends ${databaseCpu}; ` +
        `peak RSS worker ${workerPeak} MiB, API ${apiPeak} MiB; created ${result.created}, failed ${result.failed}\n`,
    );
    if (options.drain) {
      const { written, handled } = await eventCounts(admin);
      const drainFrom = Date.now();
      if (relayOff) await relayOff.release();
      log(`import done; ${handled} of ${written} events handled so far${relayOff ? ' (relay released now)' : ''}`);
      const drained = await waitDrained(admin, drainFrom, worker, options.drainFor);
      const moved = drained.handled - handled;
      const rate = moved / Math.max(drained.seconds, 0.001);
      process.stdout.write(
        drained.handled >= drained.written
          ? `events: ${written} record events; the backlog of ${written - handled} drained ${drained.seconds.toFixed(1)} s after the import ended ` +
              `(${rate.toFixed(0)} events/s); import and events done ${(totalSeconds + drained.seconds).toFixed(1)} s after the upload began\n`
          : `events: ${written} record events; ${moved} of the backlog of ${written - handled} handled in the ${drained.seconds.toFixed(0)} s waited ` +
              `(${rate.toFixed(0)} events/s; at that rate the rest takes another ${((drained.written - drained.handled) / Math.max(rate, 0.001)).toFixed(0)} s)\n`,
      );
    }
    if (options.profile) {
      await stopServer(worker);
      running.splice(running.indexOf(worker), 1);
      const file = readdirSync(profileDir).find((name) => name.endsWith('.cpuprofile'));
      if (file) {
        const profile = summarizeProfile(path.join(profileDir, file), startedUs, endedUs, 25);
        process.stdout.write(`worker self time during the import (${profile.totalMs.toFixed(0)} ms sampled, ${profile.idlePercent.toFixed(0)} % idle):\n`);
        for (const line of profile.byComponent) process.stdout.write(`  ${line.percent.toFixed(1).padStart(5)} %  ${line.name}\n`);
        for (const line of profile.topFunctions) process.stdout.write(`  ${line.percent.toFixed(1).padStart(5)} %  ${line.name}  ${line.location}\n`);
      }
    }
  } finally {
    for (const item of running.reverse()) await ('stop' in item ? item.stop() : stopServer(item));
    if (!options.keep) await dropDatabase(ADMIN_URL, DATABASE);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
