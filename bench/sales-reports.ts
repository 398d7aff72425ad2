import 'reflect-metadata';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Client } from 'pg';
import { migrate } from '../src/kernel/db/provision';
import { send } from './load';
import { startBenchApi, signInBench } from './bench-api';
import { runBench, stopServer, type ServerProcess } from './processes';
import { ADMIN_URL, APP_URL, BENCH_DATABASE, OWNER_URL, WORKSPACE_NAME } from './settings';

/**
 * `npm run bench:sales`: the sales reports (dealFunnel, dealVelocity, activityMetrics) over a
 * database seeded by bench/seed.ts (BENCH_DATABASE), one request at a time: the latency of one
 * report alone. The seed gives each deal one history row; this script first gives the bench
 * pipeline's deals a path through the stages (open deals up to their stage, won deals through
 * every open stage, lost ones through a few), about three days a stage, and monthly exchange
 * rates for the deals' other currencies. See bench/README.md.
 */

const ROOT = path.resolve(__dirname, '../..');
const log = (line: string) => process.stdout.write(`[bench:sales] ${line}\n`);

const REPORTS: Array<[string, string]> = [
  ['funnel, all deals', '{ dealFunnel { total { deals stages { entered conversionToNext medianDays } } } }'],
  ['funnel, a quarter by owner with cohorts', '{ dealFunnel(period: "2026-Q3", by: OWNER, cohort: true) { groups { label cohorts { key deals } stages { entered averageDays } } } }'],
  ['funnel, a month', '{ dealFunnel(period: "2026-09") { total { deals stages { entered medianDays } } } }'],
  ['velocity, a year by close month', '{ dealVelocity(period: "2026", by: CLOSED_MONTH) { groups { key winRate averageDealSize unconvertedCount averageSalesCycleDays } } }'],
  ['velocity, a quarter by owner', '{ dealVelocity(period: "2026-Q3", by: OWNER) { groups { label winRate wonAmount averageDealSize } } }'],
  ['activity metrics, a month', '{ activityMetrics(period: "2026-09") { members { overdueTasks weeks { calls meetings emails notes completedTasks } } } }'],
  ['activity metrics, a year', '{ activityMetrics(period: "2026") { members { overdueTasks total { calls completedTasks } } } }'],
];

/** Paths through the stages for the seeded deals (only while each deal has its one seeded row). */
const HISTORY_SQL = `
  WITH opens AS (
    SELECT s.pipeline_id, array_agg(s.id ORDER BY s.position) AS ids FROM stages s
     WHERE s.workspace_id = $1 AND s.kind = 'OPEN' AND s.deleted_at IS NULL GROUP BY s.pipeline_id
  ), plan AS (
    SELECT d.id, d.workspace_id, d.pipeline_id, d.stage_id, d.created_at, o.ids,
      CASE d.status WHEN 'OPEN' THEN array_position(o.ids, d.stage_id) WHEN 'WON' THEN cardinality(o.ids)
        ELSE 1 + abs(hashtext(d.id::text)) % cardinality(o.ids) END AS reach,
      CASE d.status WHEN 'OPEN' THEN 0 ELSE 1 END AS closing
    FROM deals d JOIN opens o USING (pipeline_id) WHERE d.workspace_id = $1
  ), steps AS (
    SELECT p.*, i, p.reach - 1 + p.closing AS last,
      p.created_at + i * interval '3 days' + (abs(hashtext(p.id::text || i)) % 172800) * interval '1 second' AS entered,
      p.created_at + (i + 1) * interval '3 days' + (abs(hashtext(p.id::text || (i + 1))) % 172800) * interval '1 second' AS next_entered
    FROM plan p CROSS JOIN LATERAL generate_series(0, p.reach - 1 + p.closing) i
  )
  INSERT INTO deal_stage_history (workspace_id, deal_id, pipeline_id, stage_id, entered_at, left_at)
  SELECT workspace_id, id, pipeline_id, CASE WHEN i < reach THEN ids[i + 1] ELSE stage_id END, entered, CASE WHEN i < last THEN next_entered END
  FROM steps`;

/** A rate per month over three years for every other currency the deals use, so conversion looks rates up as it would. */
const RATES_SQL = `
  INSERT INTO exchange_rates (workspace_id, base, currency, valid_from, rate)
  SELECT w.id, w.default_currency, c.currency, m::date, 0.5 + (abs(hashtext(c.currency || m::text)) % 1000) / 1000.0
    FROM workspaces w
    CROSS JOIN (SELECT DISTINCT currency FROM deals WHERE workspace_id = $1) c
    CROSS JOIN generate_series(date_trunc('month', now()) - interval '3 years', now(), interval '1 month') m
   WHERE w.id = $1 AND c.currency <> w.default_currency
  ON CONFLICT DO NOTHING`;

async function seedHistory(): Promise<void> {
  const db = new Client({ connectionString: ADMIN_URL.replace(/\/[^/]*$/, `/${BENCH_DATABASE}`) });
  await db.connect();
  try {
    const [{ id }] = (await db.query(`SELECT id FROM workspaces WHERE name = $1`, [WORKSPACE_NAME])).rows;
    const [{ rows, deals }] = (await db.query(`SELECT (SELECT count(*) FROM deal_stage_history WHERE workspace_id = $1)::int AS rows, (SELECT count(*) FROM deals WHERE workspace_id = $1)::int AS deals`, [id])).rows;
    if (rows > deals) {
      log(`history already has ${rows} rows for ${deals} deals`);
      return;
    }
    const started = performance.now();
    await db.query('BEGIN');
    await db.query(`DELETE FROM deal_stage_history WHERE workspace_id = $1`, [id]);
    const { rowCount } = await db.query(HISTORY_SQL, [id]);
    await db.query(RATES_SQL, [id]);
    await db.query('COMMIT');
    await db.query('VACUUM (ANALYZE) deal_stage_history');
    log(`history: ${rowCount} rows for ${deals} deals (${((performance.now() - started) / 1000).toFixed(1)} s)`);
  } finally {
    await db.end();
  }
}

let api: ServerProcess | null = null;

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { runs: { type: 'string', default: '10' } } });
  const runs = Number(values.runs);
  const applied = await migrate(OWNER_URL, APP_URL);
  if (applied) log(`applied ${applied} migration(s) to ${BENCH_DATABASE}`);
  await seedHistory();
  mkdirSync(path.join(ROOT, 'bench/results'), { recursive: true });
  api = await startBenchApi();
  const token = await signInBench(api.url);
  const rows = ['| Report | p50 ms | max ms | failed |', '|---|---:|---:|---:|'];
  for (const [title, query] of REPORTS) {
    const body = JSON.stringify({ query });
    const times: number[] = [];
    let failed = 0;
    // The first request warms the caches and is not counted; a failure (the statement timeout) is counted, not fatal.
    for (let i = 0; i <= runs; i++) {
      const started = performance.now();
      const answered = await send(api.url, body, token).then(
        () => true,
        () => false,
      );
      if (i === 0) continue;
      if (answered) times.push(performance.now() - started);
      else failed++;
    }
    times.sort((a, b) => a - b);
    const at = (q: number) => (times.length ? String(Math.round(times[Math.min(times.length - 1, Math.floor(times.length * q))])) : '–');
    rows.push(`| ${title} | ${at(0.5)} | ${at(1)} | ${failed} |`);
    log(rows[rows.length - 1]);
  }
  process.stdout.write(`\n${rows.join('\n')}\n\n`);
}

runBench('bench:sales', main, async () => {
  if (api) await stopServer(api);
});
