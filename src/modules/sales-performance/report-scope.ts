import type { EntityManager } from 'typeorm';
import type { RequestContext } from '../../kernel/context';
import { parsePeriod, type Period, type PeriodValue } from '../../kernel/time/periods';

/** What every sales report reads of its workspace: the time zone, fiscal year start and reporting currency. */
export interface ReportWorkspace {
  timeZone: string;
  fiscalStartMonth: number;
  currency: string;
}

/** A period as the timestamps that bound it in the workspace's time zone, [from, to): index range scans, no per-row conversion. */
export interface ReportWindow {
  period: Period;
  from: Date;
  to: Date;
}

/**
 * Reads the workspace's report settings and sets the request's read transaction up for a report
 * (in the same statement): a report aggregates up to millions of rows in one statement, where
 * compiling it with JIT costs seconds and gains nothing, and sorts and hashes that fit in 32 MB
 * stay off the disk (the median of a million stays, 300,000 deals' paths; bench/README.md).
 */
export async function reportWorkspace(ctx: RequestContext, em: EntityManager): Promise<ReportWorkspace> {
  const [row] = (await em.query(
    `SELECT time_zone, fiscal_year_start_month, default_currency, set_config('jit', 'off', true), set_config('work_mem', '32MB', true)
       FROM workspaces WHERE id = $1`,
    [ctx.workspaceId],
  )) as Array<{ time_zone: string; fiscal_year_start_month: number; default_currency: string }>;
  return { timeZone: row.time_zone, fiscalStartMonth: row.fiscal_year_start_month, currency: row.default_currency };
}

/** Parses `value` (BAD_USER_INPUT naming `field`) and finds the instants its first and last local midnight are. */
export async function reportWindow(em: EntityManager, workspace: ReportWorkspace, value: PeriodValue, field = 'period'): Promise<ReportWindow> {
  const period = parsePeriod(value, workspace.fiscalStartMonth, field);
  return { period, ...(await localMidnights(em, workspace.timeZone, period.start, period.end)) };
}

/** The instants local days `start` and `end` begin in `timeZone`, as PostgreSQL's zone rules say. */
export async function localMidnights(em: EntityManager, timeZone: string, start: string, end: string): Promise<{ from: Date; to: Date }> {
  const [row] = (await em.query(`SELECT ($1::date::timestamp AT TIME ZONE $3) AS from, ($2::date::timestamp AT TIME ZONE $3) AS to`, [
    start,
    end,
    timeZone,
  ])) as Array<{ from: Date; to: Date }>;
  return row;
}
