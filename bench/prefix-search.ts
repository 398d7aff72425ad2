import 'reflect-metadata';
import { mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { migrate } from '../src/kernel/db/provision';
import { backendPids } from './database';
import { runLoad, send, type LoadResult } from './load';
import { startBenchApi, signInBench } from './bench-api';
import { cpuTimeMs, runBench, stopServer, type ServerProcess } from './processes';
import type { Scenario } from './scenarios';
import { API_APPLICATION_NAME, APP_URL, BENCH_DATABASE, OWNER_URL } from './settings';

/**
 * `npm run bench:search`: contacts by last-name prefix (`--mode search`: by a prefix of first name,
 * last name or email), ordered by last name, 20 a page, under 16 connections, one prefix at a
 * time and then all of them in rotation. Reads a database seeded by bench/seed.ts
 * (BENCH_DATABASE); see bench/README.md.
 */

const ROOT = path.resolve(__dirname, '../..');
const log = (line: string) => process.stdout.write(`[bench:search] ${line}\n`);

/** Four letters as people type them: early and late in the alphabet, very common, rare, and none. */
const PREFIXES: Array<[string, string]> = [
  ['albr', 'early'],
  ['beck', 'early'],
  ['schm', 'very common'],
  ['müll', 'very common, umlaut'],
  ['zimm', 'late'],
  ['wolf', 'late'],
  ['yılm', 'rare, dotless i'],
  ['øste', 'rare, Ø'],
  ['van ', 'rare, lower-case particle'],
  ['wood', 'rare'],
  ['zzzz', 'none, end of the alphabet'],
  ['qqqq', 'none'],
];

/** `filter`: startsWith on the last name (the request); `search`: first name, last name or email. */
const MATCH = { filter: 'filter: { lastName: { startsWith: $prefix } }', search: 'search: $prefix' };
type Mode = keyof typeof MATCH;

const query = (mode: Mode) => `query PrefixSearch($prefix: String!) {
  contacts(${MATCH[mode]}, orderBy: [{ field: LAST_NAME, direction: ASC }], first: 20) {
    edges { node { id firstName lastName account { id name } } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}`;

const scenario = (mode: Mode, prefixes: string[]): Scenario => ({
  key: mode,
  title: `contacts by ${mode} prefix`,
  operationName: 'PrefixSearch',
  query: query(mode),
  variables: (n) => ({ prefix: prefixes[n % prefixes.length] }),
  writes: false,
  target: false,
});

function readOptions() {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string', default: '5' },
      connections: { type: 'string', default: '16' },
      prefixes: { type: 'string' },
      mode: { type: 'string', default: 'filter' },
    },
  });
  if (!(values.mode in MATCH)) throw new Error('--mode must be filter or search');
  const prefixes = values.prefixes ? values.prefixes.split(',').map((p): [string, string] => [p, '']) : PREFIXES;
  return { duration: Number(values.duration), connections: Number(values.connections), prefixes, mode: values.mode as Mode };
}

let api: ServerProcess | null = null;

async function main(): Promise<void> {
  const options = readOptions();
  const applied = await migrate(OWNER_URL, APP_URL);
  if (applied) log(`applied ${applied} migration(s) to ${BENCH_DATABASE}`);
  mkdirSync(path.join(ROOT, 'bench/results'), { recursive: true });
  api = await startBenchApi();
  log(`API (pid ${api.child.pid}) at ${api.url}; ${options.mode} mode, ${options.connections} connections, ${options.duration} s per prefix; load average ${loadAverage()}`);
  const token = await signInBench(api.url);
  const load = { url: api.url, token, duration: options.duration, connections: options.connections };

  const rows: string[] = [];
  for (const [prefix, kind] of options.prefixes) {
    const matches = await countMatches(api.url, token, options.mode, prefix);
    const alone = await aloneMs(api.url, token, options.mode, prefix);
    const result = await withCpu(token, () => runLoad(scenario(options.mode, [prefix]), 'api', load));
    const row = `| \`${prefix}\` | ${kind} | ${matches} | ${alone} | ${figures(result)} |`;
    rows.push(row);
    log(row);
  }
  const all = options.prefixes.map(([prefix]) => prefix);
  const mixed = await withCpu(token, () => runLoad(scenario(options.mode, all), 'api', { ...load, duration: options.duration * 2 }));
  rows.push(`| all in rotation | | | | ${figures(mixed)} |`);
  const header =
    '| Prefix | Kind | Matches | Alone ms | req/s | p50 ms | p99 ms | Failed | CPU ms/req API / PostgreSQL |\n|---|---|---:|---:|---:|---:|---:|---:|---:|';
  process.stdout.write(`\n${header}\n${rows.join('\n')}\n\n`);
  log(`all prefixes in rotation: p50 ${mixed.p50} ms, p99 ${mixed.p99} ms, ${mixed.rps.toFixed(0)} req/s, ${mixed.failures} failed; load average ${loadAverage()}`);
}

const figures = (r: LoadResult) =>
  [r.rps.toFixed(0), r.p50, r.p99, r.failures, r.cpu && r.requests ? `${r.cpu.server.toFixed(1)} / ${r.cpu.database.toFixed(1)}` : 'n/a'].join(' | ');

/** CPU time per answered request of the API process and of its PostgreSQL backends (from /proc) during `run`. */
async function withCpu(token: string, run: () => Promise<LoadResult>): Promise<LoadResult> {
  const used = async () => {
    const pids = [api!.child.pid!, ...(await backendPids(token, API_APPLICATION_NAME))];
    return new Map(pids.map((pid) => [pid, cpuTimeMs(pid)]));
  };
  const before = await used();
  const result = await run();
  const after = await used();
  if ([...before.values(), ...after.values()].some((ms) => ms === null)) return result;
  // Backends the pool opened during the run count from zero.
  const spent = (pid: number) => after.get(pid)! - (before.get(pid) ?? 0);
  const [server, ...backends] = [...after.keys()];
  const per = (ms: number) => ms / Math.max(result.requests, 1);
  return { ...result, cpu: { server: per(spent(server)), database: per(backends.reduce((sum, pid) => sum + spent(pid), 0)) } };
}

async function countMatches(url: string, token: string, mode: Mode, prefix: string): Promise<number> {
  const body = JSON.stringify({ query: `query($prefix: String!) { contacts(${MATCH[mode]}) { totalCount } }`, variables: { prefix } });
  return (await send<{ contacts: { totalCount: number } }>(url, body, token)).data.contacts.totalCount;
}

/** The median of three requests sent one after another, nothing else running: the latency of one request alone. */
async function aloneMs(url: string, token: string, mode: Mode, prefix: string): Promise<number> {
  const body = JSON.stringify({ query: query(mode), variables: { prefix } });
  const times: number[] = [];
  for (let i = 0; i < 3; i++) {
    const started = performance.now();
    await send(url, body, token);
    times.push(performance.now() - started);
  }
  return Math.round(times.sort((a, b) => a - b)[1]);
}

const loadAverage = () => os.loadavg().map((l) => l.toFixed(1)).join(' ');

runBench('bench:search', main, async () => {
  if (api) await stopServer(api);
});
