import os from 'node:os';
import type { Receipt, Tally } from './fault-effects';
import { percentile, statusHistogram, succeeded, type Outcome } from './fault-load';

/** One injected fault: when it began, when the service it took away was back, and what was done. */
export interface FaultWindow {
  name: string;
  what: string;
  start: number;
  restored: number;
}

export interface FaultRecovery {
  fault: FaultWindow;
  /** Requests that ended from the fault's start to the next fault (or the end of the load) without success, by status and code. */
  failed: Map<string, number>;
  /** From the fault's start to the end of the last failed request in its window; 0 when none failed. */
  disruptedMs: number;
  /** From the restore to the end of the first successful request started after it; null when nothing failed (nothing to recover). */
  firstSuccessMs: number | null;
  /** The slowest answer that ended in the window. */
  slowestMs: number;
  /** From the restore to the first webhook receipt of an event committed at or after the fault began. */
  eventsFlowingMs: number | null;
  /** Lost and twice-delivered events committed in the fault's share of the run (see LEAD_MS). */
  lost: number;
  duplicated: number;
}

/**
 * Lost and duplicated events are put down to the fault whose share of the run holds their commit:
 * from LEAD_MS before it (events still on their way when it struck) to LEAD_MS before the next
 * one; the first share starts with the run, the last ends with it, so each event counts once.
 */
const LEAD_MS = 5_000;

/** Reads each fault's effect off the request timeline, the receipts and the final tally. */
export function recoveries(faults: FaultWindow[], outcomes: Outcome[], receipts: Receipt[], tally: Tally, loadEnd: number): FaultRecovery[] {
  return faults.map((fault, i) => {
    const until = faults[i + 1]?.start ?? loadEnd;
    const inWindow = outcomes.filter((o) => o.end >= fault.start && o.end < until);
    const failures = inWindow.filter((o) => !succeeded(o));
    const firstSuccess = Math.min(...outcomes.filter((o) => o.start >= fault.restored && succeeded(o)).map((o) => o.end));
    const flowing = Math.min(...receipts.filter((r) => r.receivedMs >= fault.restored && r.occurredMs >= fault.start).map((r) => r.receivedMs));
    const from = i === 0 ? -Infinity : fault.start - LEAD_MS;
    const to = i === faults.length - 1 ? Infinity : faults[i + 1].start - LEAD_MS;
    const attributed = (times: number[]) => times.filter((t) => t >= from && t < to).length;
    return {
      fault,
      failed: statusHistogram(failures),
      disruptedMs: failures.length ? Math.max(...failures.map((o) => o.end)) - fault.start : 0,
      firstSuccessMs: failures.length && Number.isFinite(firstSuccess) ? firstSuccess - fault.restored : null,
      slowestMs: Math.max(0, ...inWindow.map((o) => o.end - o.start)),
      eventsFlowingMs: Number.isFinite(flowing) ? flowing - fault.restored : null,
      lost: attributed(tally.lostAt),
      duplicated: attributed(tally.duplicatedAt),
    };
  });
}

export interface RunSummary {
  commit: string;
  database: string;
  durationS: number;
  connections: number;
  outcomes: Outcome[];
  recoveries: FaultRecovery[];
  tally: Tally;
  drainS: number;
  settled: boolean;
  /** The machine's 1-minute load average when the load began and when it ended. */
  loadAverage: [number, number];
  /** Worker exits nobody asked for (seconds into the load), each followed by a restart as a supervisor does. */
  workerExits: Array<{ atS: number; code: number | null }>;
}

const num = (value: number, digits = 0) => value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const seconds = (ms: number | null, none = 'never') => (ms === null ? none : `${num(ms / 1000, 1)} s`);
const histogramText = (histogram: Map<string, number>) => [...histogram].map(([key, n]) => `${num(n)} × ${key}`).join(', ') || 'none';
const byStatus = (counts: Record<string, number>) => Object.entries(counts).map(([status, n]) => `${status} ${num(n)}`).join(', ') || 'none';

export function latencies(outcomes: Outcome[]): { p50: number; p99: number; readP99: number; writeP99: number } {
  const sorted = (list: Outcome[]) => list.map((o) => o.end - o.start).sort((a, b) => a - b);
  const all = sorted(outcomes);
  return { p50: percentile(all, 50), p99: percentile(all, 99), readP99: percentile(sorted(outcomes.filter((o) => !o.write)), 99), writeP99: percentile(sorted(outcomes.filter((o) => o.write)), 99) };
}

/** Answers with a 5xx status other than the documented 503 SERVICE_UNAVAILABLE with Retry-After, and answers that never came. */
export function serverErrors(outcomes: Outcome[]): { fiveXx: number; documented503: number; noAnswer: number } {
  const documented = (o: Outcome) => o.status === 503 && o.code === 'SERVICE_UNAVAILABLE' && o.retryAfter;
  return {
    fiveXx: outcomes.filter((o) => o.status >= 500 && !documented(o)).length,
    documented503: outcomes.filter(documented).length,
    noAnswer: outcomes.filter((o) => o.status === 0).length,
  };
}

/** Failed answers that are not the documented SERVICE_UNAVAILABLE, by operation, status and code. */
function unexpectedErrors(outcomes: Outcome[]): Map<string, number> {
  const histogram = new Map<string, number>();
  for (const o of outcomes) {
    if (succeeded(o) || o.code === 'SERVICE_UNAVAILABLE') continue;
    const key = `${o.operation} ${o.status || 'no answer'} ${o.code}`;
    histogram.set(key, (histogram.get(key) ?? 0) + 1);
  }
  return histogram;
}

export function reportMarkdown(run: RunSummary): string {
  const { outcomes, tally } = run;
  const lat = latencies(outcomes);
  const errors = serverErrors(outcomes);
  const { webhook, automation } = tally;
  return [
    `Commit ${run.commit}, ${new Date().toISOString().slice(0, 16)}Z, Node ${process.version}, ${os.cpus().length} × ${os.cpus()[0]?.model.trim()} (API, worker, bench, PostgreSQL and Redis share them; load average ${num(run.loadAverage[0], 1)} at the start of the load, ${num(run.loadAverage[1], 1)} at its end), database \`${run.database}\`.`,
    '',
    `Load: ${run.durationS} s, ${run.connections} connections over 2 workspaces (70 % reads: deals page, account overview; 30 % writes: createDeal, updateDeal): ` +
      `${num(outcomes.length)} requests (${num(outcomes.length / run.durationS)}/s), latency p50 ${num(lat.p50)} ms, p99 ${num(lat.p99)} ms (reads ${num(lat.readP99)}, writes ${num(lat.writeP99)}).`,
    '',
    `Answers: ${histogramText(statusHistogram(outcomes))}. 5xx other than the documented 503: ${errors.fiveXx}; 503 SERVICE_UNAVAILABLE with Retry-After: ${errors.documented503}; no answer: ${errors.noAnswer}. ` +
      `Clients wait the Retry-After (1 s) before their next request.`,
    '',
    `Errors other than SERVICE_UNAVAILABLE, by operation: ${histogramText(unexpectedErrors(outcomes))}.`,
    '',
    '| Fault | What was done | Down for | Failed answers in its window | Clients disrupted for | First success after restore | Slowest answer | Events flowing after restore | Lost / duplicated events committed in its share |',
    '|---|---|---:|---|---:|---:|---:|---:|---:|',
    ...run.recoveries.map(
      (r) =>
        `| ${r.fault.name} | ${r.fault.what} | ${seconds(r.fault.restored - r.fault.start)} | ${histogramText(r.failed)} | ${seconds(r.disruptedMs)} | ${seconds(r.firstSuccessMs, 'nothing failed')} | ${seconds(r.slowestMs)} | ${seconds(r.eventsFlowingMs)} | ${r.lost} / ${r.duplicated} |`,
    ),
    '',
    `Worker exits nobody asked for: ${run.workerExits.map((exit) => `at ${num(exit.atS, 1)} s with code ${exit.code}`).join(', ') || 'none'} (each followed by a new process 1 s later, as \`restart: unless-stopped\` does).`,
    '',
    `Effects after ${num(run.drainS)} s of drain (${run.settled ? 'settled' : 'gave up waiting: no progress'}): ${num(tally.dealEvents)} deal events committed, ${num(tally.createdEvents)} of them deal.created, ${tally.unrelayed} events never relayed.`,
    '',
    '| Effect | Expected | Missing | Twice | Rows not final |',
    '|---|---:|---:|---:|---|',
    `| webhook receipt per deal event (receiver, by \`webhook-id\`) | ${num(tally.dealEvents)} | ${num(webhook.notReceived)} | ${num(webhook.receivedTwice)} (${num(webhook.extraReceipts)} extra) | deliveries: ${byStatus(webhook.rowsByStatus)}; no row ${num(webhook.noDeliveryRow)}; fan-out never claimed ${num(webhook.fanoutNeverRan)} |`,
    `| automation note per deal.created | ${num(tally.createdEvents)} | ${num(automation.noNote)} | ${num(automation.twoNotes)} | runs: ${byStatus(automation.runsByStatus)}; no run ${num(automation.noRun)}; trigger never claimed ${num(automation.triggersNeverRan)} |`,
    `| automation tag per deal.created | ${num(tally.createdEvents)} | ${num(automation.noTag)} | – | |`,
    '',
    `Signatures failing at the receiver: ${webhook.unverified}.`,
  ].join('\n');
}

export function summaryLine(run: RunSummary): string {
  const lat = latencies(run.outcomes);
  const errors = serverErrors(run.outcomes);
  const faults = run.recoveries
    .map((r) => `${r.fault.name}: ${r.lost} lost ${r.duplicated} twice, API back ${seconds(r.firstSuccessMs, 'undisturbed')}, events ${seconds(r.eventsFlowingMs)}`)
    .join('; ');
  return (
    `faults: ${num(run.outcomes.length)} requests, p50 ${num(lat.p50)} ms p99 ${num(lat.p99)} ms, ${errors.fiveXx} 5xx (+${errors.documented503} documented 503, ${errors.noAnswer} unanswered); ` +
    `${num(run.tally.dealEvents)} deal events: ${run.tally.lost} lost, ${run.tally.duplicated} duplicated; ${faults}`
  );
}
