import type { LoadResult } from './load';
import type { ProfileSummary } from './profile';
import type { Scenario } from './scenarios';

export const TARGET_RATIO = 0.4;

export interface ScenarioResult {
  scenario: Scenario;
  api: LoadResult;
  bare: LoadResult;
  statements: { api: number; bare: number };
  /** How the two sample answers compared. */
  check: string;
}

export interface RunInfo {
  startedAt: Date;
  duration: number;
  connections: number;
  poolSize: number;
  environment: string;
  rows: Record<string, number>;
}

const ratio = (r: ScenarioResult) => (r.bare.rps > 0 ? r.api.rps / r.bare.rps : 0);
const num = (value: number, digits = 0) => value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const latency = (l: LoadResult) => `${num(l.p50)} / ${num(l.p99)}`;
const cpu = (l: LoadResult, part: 'server' | 'database') => (l.cpu ? num(l.cpu[part], 2) : 'n/a');

function resultsTable(results: ScenarioResult[]): string[] {
  return [
    '| Scenario | API req/s | bare req/s | API/bare | API p50 / p99 ms | bare p50 / p99 ms | SQL per request API / bare | ' +
      'server CPU ms per request API / bare | PostgreSQL CPU ms per request API / bare | failures API / bare | answers |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|',
    ...results.map(
      (r) =>
        `| (${r.scenario.key}) ${r.scenario.title} | ${num(r.api.rps)} | ${num(r.bare.rps)} | ${num(ratio(r), 2)}x | ${latency(r.api)} | ${latency(r.bare)} | ` +
        `${num(r.statements.api, 1)} / ${num(r.statements.bare, 1)} | ${cpu(r.api, 'server')} / ${cpu(r.bare, 'server')} | ` +
        `${cpu(r.api, 'database')} / ${cpu(r.bare, 'database')} | ${r.api.failures} / ${r.bare.failures} | ${r.check} |`,
    ),
  ];
}

function profileSection(profile: ProfileSummary | null, scenario: Scenario): string[] {
  if (!profile) return ['Profile skipped (--no-profile).'];
  return [
    `CPU profile of the API process (node --cpu-prof) while scenario (${scenario.key}) ran; self time over ` +
      `${num(profile.totalMs)} ms of samples${profile.windowed ? ' inside the load window' : ' (whole process: the load window could not be matched)'}, ` +
      `${num(profile.idlePercent, 1)}% of it idle (waiting for PostgreSQL or the client). Flame chart: open \`${profile.file}\` in Chrome DevTools.`,
    '',
    '| Component | self ms | share |',
    '|---|---:|---:|',
    ...profile.byComponent.map((c) => `| ${c.name} | ${num(c.ms)} | ${num(c.percent, 1)}% |`),
    '',
    `Top ${profile.topFunctions.length} functions by self time (idle excluded):`,
    '',
    '| # | Function | Where | self ms | share |',
    '|---:|---|---|---:|---:|',
    ...profile.topFunctions.map((f, i) => `| ${i + 1} | \`${f.name}\` | ${f.location} | ${num(f.ms)} | ${num(f.percent, 1)}% |`),
  ];
}

export function summaryLine(results: ScenarioResult[]): string {
  const ratios = results.map((r) => `(${r.scenario.key}) ${num(ratio(r), 2)}x`).join(', ');
  const targeted = results.filter((r) => r.scenario.target);
  if (targeted.length === 0) return `bench: API throughput vs bare handler ${ratios}`;
  const met = targeted.every((r) => ratio(r) >= TARGET_RATIO);
  const keys = targeted.map((r) => r.scenario.key).join(',');
  return `bench: API throughput vs bare handler ${ratios}; target ${TARGET_RATIO}x on (${keys}) ${met ? 'met' : 'NOT met'}`;
}

export function renderReport(info: RunInfo, results: ScenarioResult[], profile: ProfileSummary | null, profiled: Scenario): string {
  const rows = Object.entries(info.rows)
    .map(([table, count]) => `${num(count)} ${table}`)
    .join(', ');
  return [
    `# CRM API benchmark — ${info.startedAt.toISOString()}`,
    '',
    `Workspace: ${rows}. Load: autocannon on loopback, ${info.connections} connections, ${info.duration} s per server and ` +
      `scenario after a warm-up; API first, then the bare handler. Both use ${info.poolSize} PostgreSQL connections. ${info.environment}`,
    '',
    ...resultsTable(results),
    '',
    `Target: the API reaches at least ${TARGET_RATIO}x the bare handler's throughput on the three reads, (a) to (c). ` +
      'SQL per request counts every statement, BEGIN/COMMIT and set_config included (API: crm_sql_statements_total on /metrics; ' +
      'bare: its own counter), averaged over 20 sequential requests. CPU per request is user + system time during the ' +
      'measured run (from /proc) of the server process and of the PostgreSQL backends of its pool, divided by the requests ' +
      'answered; it is less sensitive than req/s to other work on the machine.',
    '',
    '## Where the time goes',
    '',
    ...profileSection(profile, profiled),
    '',
    summaryLine(results),
    '',
  ].join('\n');
}
