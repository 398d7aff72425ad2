import 'reflect-metadata';
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Client } from 'pg';
import { dropDatabase } from '../src/kernel/db/provision';
import { runLoad, send, type LoadResult } from './load';
import { startBenchApi, signInBench } from './bench-api';
import { runBench, stopServer, type ServerProcess } from './processes';
import { buildScenarios, type Scenario } from './scenarios';
import { ADMIN_URL, API_APPLICATION_NAME, BENCH_DATABASE, WORKSPACE_NAME } from './settings';

/**
 * `npm run bench:aggregates`: (a) count and sum of amount per stage over 300,000 deals, answered
 * from the maintained totals and by a scan of the deals (the same request with a filter every
 * deal meets, which keeps the planner off the totals), 16 connections; (b) createDeal with 16
 * concurrent writers in one workspace with the totals triggers and with them disabled, in
 * alternating rounds. Seeds its own database (bench/seed.ts, BENCH_DATABASE, default
 * crm_bench_aggregates) and drops it at the end. See bench/README.md.
 */

const ROOT = path.resolve(__dirname, '../..');
const log = (line: string) => process.stdout.write(`[bench:aggregates] ${line}\n`);
const loadAverage = () => os.loadavg()[0].toFixed(1);

const PER_STAGE = (filter: string) => `query StageTotals {
  dealAggregate(groupBy: [STAGE], measures: [COUNT, SUM_AMOUNT]${filter}) {
    currency
    groups { keys { id label } count sumAmount unconvertedCount }
    total { count sumAmount unconvertedCount }
  }
}`;

const aggregateScenario = (key: string, title: string, filter: string): Scenario => ({
  key,
  title,
  operationName: 'StageTotals',
  query: PER_STAGE(filter),
  variables: () => ({}),
  writes: false,
  target: false,
});
const TOTALS = aggregateScenario('totals', 'count + sum per stage, totals path', '');
const SCAN = aggregateScenario('scan', 'count + sum per stage, scan path', ', filter: { amount: { gte: "0" } }');

const TOTALS_TRIGGERS = ['deals_totals_insert', 'deals_totals_update', 'deals_totals_delete'];

function readOptions() {
  const { values } = parseArgs({
    options: {
      deals: { type: 'string', default: '300000' },
      duration: { type: 'string', default: '10' },
      connections: { type: 'string', default: '16' },
      rounds: { type: 'string', default: '2' },
      keep: { type: 'boolean', default: false },
      reuse: { type: 'boolean', default: false },
    },
  });
  const { deals, duration, connections, rounds, keep, reuse } = values;
  return { deals, duration: Number(duration), connections: Number(connections), rounds: Number(rounds), keep, reuse };
}

let api: ServerProcess | null = null;
let keep = false;

/** Runs `sql` as the superuser in the bench database (the bench's own set-up: rates, triggers off and on). */
async function asSuperuser(sql: string, rows?: (count: number) => void): Promise<void> {
  const admin = new Client({ connectionString: ADMIN_URL.replace(/\/[^/]*$/, `/${BENCH_DATABASE}`), application_name: 'crm-bench-aggregates' });
  await admin.connect();
  try {
    const result = await admin.query(sql);
    rows?.(result.rowCount ?? 0);
  } finally {
    await admin.end();
  }
}

/** Seeds the bench workspace (bench/seed.ts; the totals triggers maintain deal_totals as the batches go in) and adds rates. */
async function seed(deals: string): Promise<void> {
  log(`seeding ${deals} deals into ${BENCH_DATABASE}…`);
  const run = spawnSync(
    process.execPath,
    [path.join(ROOT, 'dist/bench/seed.js'), '--fresh', '--deals', deals, '--accounts', '10000', '--contacts', '20000', '--tickets', '0', '--activities', '0'],
    { stdio: 'inherit', env: process.env },
  );
  if (run.status !== 0) throw new Error('seed failed');
  // Rates for the seed's other currencies, so the per-stage sums convert (EUR is the reporting currency).
  await asSuperuser(`INSERT INTO exchange_rates (workspace_id, base, currency, valid_from, rate)
    SELECT w.id, 'EUR', c, '2000-01-01', r FROM workspaces w, (VALUES ('USD', 0.92), ('CHF', 1.05), ('GBP', 1.17)) v(c, r) WHERE w.name = '${WORKSPACE_NAME}'`);
}

/** Whether BENCH_DATABASE already holds the seeded workspace (--reuse). */
async function seeded(): Promise<boolean> {
  try {
    let found = false;
    await asSuperuser(`SELECT 1 FROM deals LIMIT 1`, (rows) => (found = rows > 0));
    return found;
  } catch {
    return false;
  }
}

/** The median of five requests sent one after another: the latency of one request with nothing else of ours running. */
async function aloneMs(url: string, token: string, scenario: Scenario): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    const started = performance.now();
    await send(url, JSON.stringify({ query: scenario.query }), token);
    times.push(performance.now() - started);
  }
  return Math.round(times.sort((a, b) => a - b)[2]);
}

/** Waits until the API's statements have ended: scans cancelled by the client may still run for seconds and would load the next measurement. */
async function settled(): Promise<void> {
  for (let waited = 0; waited < 60; waited++) {
    let running = 0;
    await asSuperuser(`SELECT 1 FROM pg_stat_activity WHERE application_name = '${API_APPLICATION_NAME}' AND state = 'active'`, (rows) => (running = rows));
    if (running === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

const figures = (r: LoadResult) => `${r.rps.toFixed(0)} req/s, p50 ${r.p50} ms, p99 ${r.p99} ms, ${r.failures} failed`;

async function main(): Promise<void> {
  const options = readOptions();
  // It drops its database at the end: never the shared one the other benches read.
  if (BENCH_DATABASE === 'crm_bench') throw new Error('set BENCH_DATABASE (npm run bench:aggregates uses crm_bench_aggregates)');
  keep = options.keep;
  mkdirSync(path.join(ROOT, 'bench/results'), { recursive: true });
  if (options.reuse && (await seeded())) log(`reusing the seeded ${BENCH_DATABASE}`);
  else await seed(options.deals);

  api = await startBenchApi({ WORKSPACE_MAX_CONCURRENT_REQUESTS: '16', WORKSPACE_QUEUE_TIMEOUT_MS: '60000' });
  const token = await signInBench(api.url);
  const load = { url: api.url, token, duration: options.duration, connections: options.connections };
  const answer = async (scenario: Scenario) => JSON.stringify((await send(api!.url, JSON.stringify({ query: scenario.query }), token)).data);

  const [fromTotals, fromScan] = [await answer(TOTALS), await answer(SCAN)];
  if (fromTotals !== fromScan) throw new Error(`the totals path and the scan answer differently:\n${fromTotals}\n${fromScan}`);
  log(`both paths answer the same: ${fromTotals.slice(0, 160)}…`);

  log(`(a) one request alone (median of 5): totals path ${await aloneMs(api.url, token, TOTALS)} ms, scan path ${await aloneMs(api.url, token, SCAN)} ms`);
  log(`(a) totals path, ${options.connections} connections, ${options.duration} s; load average ${loadAverage()}`);
  const totals = await runLoad(TOTALS, 'api', load);
  log(`(a) totals path: ${figures(totals)}`);
  log(`(a) scan path, ${options.connections} connections, ${options.duration} s; load average ${loadAverage()}`);
  const scan = await runLoad(SCAN, 'api', load);
  log(`(a) scan path: ${figures(scan)}`);

  await settled();
  const accounts = await send<{ accounts: { edges: Array<{ node: { id: string } }> } }>(api.url, JSON.stringify({ query: '{ accounts(first: 100) { edges { node { id } } } }' }), token);
  const accountIds = accounts.data.accounts.edges.map((edge) => edge.node.id);
  const createDeal = buildScenarios({ accountIds }).find((s) => s.key === 'd')!;
  const withTriggers: LoadResult[] = [];
  const without: LoadResult[] = [];
  const setTriggers = (state: 'ENABLE' | 'DISABLE') => asSuperuser(TOTALS_TRIGGERS.map((name) => `ALTER TABLE deals ${state} TRIGGER ${name};`).join('\n'));
  await runLoad(createDeal, 'api', { ...load, duration: 3 });
  log('(b) warmed up (3 s of createDeal, not counted)');
  for (let round = 1; round <= options.rounds; round++) {
    withTriggers.push(await runLoad(createDeal, 'api', load));
    log(`(b) round ${round}, createDeal with the totals triggers: ${figures(withTriggers.at(-1)!)}; load average ${loadAverage()}`);
    await setTriggers('DISABLE');
    try {
      without.push(await runLoad(createDeal, 'api', load));
    } finally {
      await setTriggers('ENABLE');
      // The deals created meanwhile are missing from the totals: recompute them, as a time zone change does.
      await asSuperuser(`SELECT crm_deal_totals_rebuild(w.id) FROM workspaces w WHERE w.name = '${WORKSPACE_NAME}'`);
    }
    log(`(b) round ${round}, createDeal without them: ${figures(without.at(-1)!)}; load average ${loadAverage()}`);
  }
  const mean = (results: LoadResult[]) => results.reduce((sum, r) => sum + r.rps, 0) / results.length;
  const ratio = mean(withTriggers) / mean(without);
  log(
    `summary: per stage over ${options.deals} deals ${totals.rps.toFixed(0)} req/s (p99 ${totals.p99} ms) from totals vs ${scan.rps.toFixed(0)} req/s (p99 ${scan.p99} ms) by scan; ` +
      `createDeal ${mean(withTriggers).toFixed(0)} req/s with totals vs ${mean(without).toFixed(0)} without (${(ratio * 100).toFixed(0)} %); load average ${loadAverage()}`,
  );
}

runBench('bench:aggregates', main, async () => {
  if (api) await stopServer(api);
  api = null;
  if (!keep && BENCH_DATABASE !== 'crm_bench') {
    await dropDatabase(ADMIN_URL, BENCH_DATABASE);
    log(`dropped ${BENCH_DATABASE}`);
  }
});
