import 'reflect-metadata';
import { mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { migrate } from '../src/kernel/db/provision';
import { runLoad, send } from './load';
import { startBenchApi, signInBench } from './bench-api';
import { runBench, stopServer, type ServerProcess } from './processes';
import type { Scenario } from './scenarios';
import { APP_URL, BENCH_DATABASE, OWNER_URL } from './settings';

/**
 * `npm run bench:forecast`: `forecast(period, by: OWNER)` for the busiest fiscal quarter of a
 * database seeded by bench/seed.ts (BENCH_DATABASE), under 16 connections; the issue asks for
 * p99 < 50 ms on 300,000 deals. See bench/README.md.
 */

const ROOT = path.resolve(__dirname, '../..');
const log = (line: string) => process.stdout.write(`[bench:forecast] ${line}\n`);

const QUERY = `query Forecast($period: Period!) {
  forecast(period: $period, by: OWNER) {
    currency
    total { pipeline bestCase commit closed omitted weighted deals unconvertedCount quota attainment }
    rows { id name pipeline bestCase commit closed omitted weighted deals unconvertedCount unconverted { currency amount count } quota attainment
      rollup { closed weighted quota attainment } }
  }
}`;

const scenario = (period: string): Scenario => ({
  key: 'forecast',
  title: `forecast of ${period} by owner`,
  operationName: 'Forecast',
  query: QUERY,
  variables: () => ({ period }),
  writes: false,
  target: false,
});

let api: ServerProcess | null = null;

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { duration: { type: 'string', default: '10' }, connections: { type: 'string', default: '16' } } });
  const applied = await migrate(OWNER_URL, APP_URL);
  if (applied) log(`applied ${applied} migration(s) to ${BENCH_DATABASE}`);
  mkdirSync(path.join(ROOT, 'bench/results'), { recursive: true });
  api = await startBenchApi();
  const token = await signInBench(api.url);

  // The quarter with the most deals in it, among those around today.
  const year = new Date().getUTCFullYear();
  const candidates = [year - 1, year, year + 1].flatMap((y) => [1, 2, 3, 4].map((q) => `${y}-Q${q}`));
  let busiest = { period: candidates[0], deals: -1 };
  for (const period of candidates) {
    const body = JSON.stringify({ query: `query($p: Period!) { forecast(period: $p) { total { deals } } }`, variables: { p: period } });
    const deals = (await send<{ forecast: { total: { deals: number } } }>(api.url, body, token)).data.forecast.total.deals;
    if (deals > busiest.deals) busiest = { period, deals };
  }
  log(`busiest quarter ${busiest.period}: ${busiest.deals} deals; load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);

  const load = { url: api.url, token, duration: Number(values.duration), connections: Number(values.connections) };
  await runLoad(scenario(busiest.period), 'api', { ...load, duration: 2 }); // warm-up
  const result = await runLoad(scenario(busiest.period), 'api', load);
  log(`${load.connections} connections, ${load.duration} s: ${result.rps.toFixed(0)} req/s, p50 ${result.p50} ms, p99 ${result.p99} ms, ${result.failures} failed`);
}

runBench('bench:forecast', main, async () => {
  if (api) await stopServer(api);
});
