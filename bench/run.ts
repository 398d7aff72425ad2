import 'reflect-metadata';
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { migrate } from '../src/kernel/db/provision';
import { compareAnswers } from './compare';
import { backendPids, postgresVersion, removeCreatedDeals } from './database';
import { runLoad, send, statementsPerRequest, type LoadOptions, type LoadResult } from './load';
import { signInBench } from './bench-api';
import { cpuTimeMs, startServer, stopServer, type ServerProcess, type ServerSpec } from './processes';
import { summarizeProfile, type ProfileSummary } from './profile';
import { renderReport, summaryLine, type ScenarioResult } from './report';
import { buildScenarios, type Sample, type Scenario } from './scenarios';
import {
  API_APPLICATION_NAME,
  APP_URL,
  BARE_APPLICATION_NAME,
  BENCH_DATABASE,
  OWNER_URL,
  POOL_SIZE,
  productionEnv,
} from './settings';

const ROOT = path.resolve(__dirname, '../..');
const RESULTS = path.join(ROOT, 'bench/results');
const SERVER_LOG = path.join(RESULTS, 'servers.log');
/** The API as production runs it (from the build under `root`), pointed at the bench database. */
const apiSpec = (root: string): ServerSpec => ({
  name: 'API',
  script: path.join(root, 'dist/src/main.js'),
  applicationName: API_APPLICATION_NAME,
  env: productionEnv(APP_URL, OWNER_URL),
});

const BARE: ServerSpec = {
  name: 'bare handler',
  script: path.join(ROOT, 'dist/bench/bare-server.js'),
  applicationName: BARE_APPLICATION_NAME,
  env: {},
};

const log = (line: string) => process.stdout.write(`[bench] ${line}\n`);
const nowUs = () => Number(process.hrtime.bigint() / 1000n);

interface Options {
  duration: number;
  warmup: number;
  connections: number;
  profile: boolean;
  /** Scenario keys to run, e.g. ['a', 'c']. */
  only: string[];
  /** Checkout whose build of the API is measured (another branch's, for a before/after in one sitting). */
  root: string;
}

function readOptions(): Options {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string', default: '10' },
      warmup: { type: 'string', default: '3' },
      connections: { type: 'string', default: '10' },
      'no-profile': { type: 'boolean', default: false },
      only: { type: 'string', default: 'a,b,c,d' },
      root: { type: 'string', default: ROOT },
    },
  });
  const positive = (name: 'duration' | 'warmup' | 'connections') => {
    const value = Number(values[name]);
    if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} must be a whole number of at least 1`);
    return value;
  };
  const only = values.only.split(',').map((key) => key.trim());
  const root = path.resolve(values.root);
  return { duration: positive('duration'), warmup: positive('warmup'), connections: positive('connections'), profile: !values['no-profile'], only, root };
}

/** Everything the runner started; stopped by PID on the way out, whatever happened. */
const running = new Set<ServerProcess>();

async function start(spec: ServerSpec): Promise<ServerProcess> {
  const server = await startServer(spec, SERVER_LOG);
  running.add(server);
  log(`${spec.name} (pid ${server.child.pid}) at ${server.url}`);
  return server;
}

async function stop(server: ServerProcess): Promise<void> {
  await stopServer(server);
  running.delete(server);
}

/** Row counts for the report, and the accounts the requests rotate over. */
async function loadSample(apiUrl: string, token: string): Promise<{ sample: Sample; rows: Record<string, number> }> {
  const query = `{
    accounts(first: 200, orderBy: [{ field: NAME, direction: ASC }]) { totalCount edges { node { id } } }
    contacts { totalCount } deals { totalCount } tickets { totalCount } activities { totalCount }
  }`;
  type Counted = { totalCount: number };
  const { data } = await send<{ accounts: Counted & { edges: Array<{ node: { id: string } }> } } & Record<string, Counted>>(
    apiUrl,
    JSON.stringify({ query }),
    token,
  );
  const rows = Object.fromEntries(Object.entries(data).map(([table, list]) => [table, list.totalCount]));
  return { sample: { accountIds: data.accounts.edges.map((e) => e.node.id) }, rows };
}

async function environment(token: string): Promise<string> {
  const cpus = os.cpus();
  return `Node ${process.version}, PostgreSQL ${await postgresVersion(token)}, ${cpus.length} × ${cpus[0]?.model.trim() ?? 'CPU'}; load generator, both servers and PostgreSQL share them.`;
}

/** Server and PostgreSQL CPU used so far: the process and the backends of its pool (open once warmed up). */
async function cpuUsed(server: ServerProcess, token: string): Promise<{ server: number; database: number } | null> {
  const pids = await backendPids(token, server.applicationName);
  const times = [cpuTimeMs(server.child.pid), ...pids.map(cpuTimeMs)];
  if (times.some((t) => t === null)) return null;
  const [own, ...backends] = times as number[];
  return { server: own, database: backends.reduce((sum, t) => sum + t, 0) };
}

/** Adds CPU milliseconds per request, which hold even when the machine is busy with other work. */
async function withCpuTime(server: ServerProcess, token: string, run: () => Promise<LoadResult>): Promise<LoadResult> {
  const before = await cpuUsed(server, token);
  const result = await run();
  const after = await cpuUsed(server, token);
  const per = (a: number, b: number) => (a - b) / Math.max(result.requests, 1);
  const cpu = before && after ? { server: per(after.server, before.server), database: per(after.database, before.database) } : null;
  return { ...result, cpu };
}

async function measure(scenario: Scenario, api: ServerProcess, bare: ServerProcess, token: string, options: Options): Promise<ScenarioResult> {
  const check = await compareAnswers(scenario, api.url, bare.url, token);
  const statements = {
    api: await statementsPerRequest(scenario, 'api', api.url, token),
    bare: await statementsPerRequest(scenario, 'bare', bare.url, token),
  };
  const load = (server: ServerProcess, duration: number): LoadOptions => ({ url: server.url, token, duration, connections: options.connections });
  await runLoad(scenario, 'api', load(api, options.warmup));
  const apiResult = await withCpuTime(api, token, () => runLoad(scenario, 'api', load(api, options.duration)));
  await runLoad(scenario, 'bare', load(bare, options.warmup));
  const bareResult = await withCpuTime(bare, token, () => runLoad(scenario, 'bare', load(bare, options.duration)));
  log(`(${scenario.key}) API ${apiResult.rps.toFixed(0)} req/s, bare ${bareResult.rps.toFixed(0)} req/s, ratio ${(apiResult.rps / bareResult.rps).toFixed(2)}`);
  if (scenario.writes) log(`removed the ${await removeCreatedDeals(token)} deals the run created`);
  return { scenario, api: apiResult, bare: bareResult, statements, check };
}

/** Runs the API again under --cpu-prof for one scenario and summarizes the samples taken under load. */
async function profileApi(scenario: Scenario, token: string, options: Options): Promise<ProfileSummary> {
  const dir = path.join(RESULTS, 'profile');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const api = await start({ ...apiSpec(options.root), name: 'API under --cpu-prof', nodeFlags: ['--cpu-prof', '--cpu-prof-dir', dir] });
  let window: [number, number];
  try {
    const load: LoadOptions = { url: api.url, token, duration: options.warmup, connections: options.connections };
    await runLoad(scenario, 'api', load);
    const from = nowUs();
    const result = await runLoad(scenario, 'api', { ...load, duration: options.duration });
    window = [from, nowUs()];
    log(`(${scenario.key}) profiled API ${result.rps.toFixed(0)} req/s`);
  } finally {
    await stop(api);
  }
  const file = readdirSync(dir).find((name) => name.endsWith('.cpuprofile'));
  if (!file) throw new Error(`the profiled API wrote no .cpuprofile into ${dir}`);
  return summarizeProfile(path.join(dir, file), ...window);
}

async function main(): Promise<void> {
  const options = readOptions();
  mkdirSync(RESULTS, { recursive: true });
  writeFileSync(SERVER_LOG, '');
  // The seed may predate newer migrations; the API expects the schema it was built with.
  const applied = await migrate(OWNER_URL, APP_URL).catch((error: { code?: string }) => {
    throw error.code === '3D000' ? new Error(`database ${BENCH_DATABASE} does not exist; seed it first (see bench/README.md)`) : error;
  });
  if (applied) log(`applied ${applied} migration(s) to the bench database`);
  const startedAt = new Date();
  const api = await start(apiSpec(options.root));
  if (options.root !== ROOT) log(`API built in ${options.root}`);
  const bare = await start(BARE);
  const token = await signInBench(api.url);
  const leftOver = await removeCreatedDeals(token);
  if (leftOver) log(`removed ${leftOver} deals an earlier, interrupted run created`);
  const { sample, rows } = await loadSample(api.url, token);
  const scenarios = buildScenarios(sample).filter((scenario) => options.only.includes(scenario.key));
  if (scenarios.length === 0) throw new Error('--only names no scenario; use keys a, b, c, d');
  const results: ScenarioResult[] = [];
  for (const scenario of scenarios) results.push(await measure(scenario, api, bare, token, options));
  await stop(api);
  await stop(bare);
  const profile = options.profile ? await profileApi(scenarios[0], token, options) : null;
  const info = { startedAt, duration: options.duration, connections: options.connections, poolSize: POOL_SIZE, environment: await environment(token), rows };
  const report = renderReport(info, results, profile, scenarios[0]);
  writeFileSync(path.join(RESULTS, 'latest.md'), report);
  process.stdout.write(`\n${report}\n`);
  log(`report written to bench/results/latest.md`);
  process.stdout.write(`${summaryLine(results)}\n`);
}

async function stopAll(): Promise<void> {
  await Promise.all([...running].map(stop));
}

process.once('SIGINT', () => {
  stopAll().finally(() => process.exit(130));
});

main()
  .catch((error: unknown) => {
    // Our own plain Errors explain themselves; anything else (a driver error, a bug) needs its stack.
    process.stderr.write(`[bench] failed: ${error?.constructor === Error ? (error as Error).message : ((error as Error)?.stack ?? String(error))}\n`);
    process.exitCode = 1;
  })
  .finally(stopAll);
