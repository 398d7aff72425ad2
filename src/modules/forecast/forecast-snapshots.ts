import type { EntityManager } from 'typeorm';
import type { AppRuntime, RequestContext } from '../../kernel/context';
import { inEveryWorkspace } from '../../kernel/db/every-workspace';
import { periodOf, type Period } from '../../kernel/time/periods';
import { forecastGroups, groupOfRow, readForecastSettings, rowOfGroup, type ForecastGroup, type ForecastGroupRow } from './forecast-groups';

/** One week's snapshot of a period's forecast, at the grain of its groups. */
export interface StoredSnapshot {
  week: string;
  weekStart: string;
  takenAt: Date;
  currency: string;
  groups: ForecastGroup[];
}


/** The local date (YYYY-MM-DD) of `now` in the time zone. */
const localDate = (now: Date, timeZone: string) => new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(now);

/**
 * Stores the forecast (all owners) of the current and the next fiscal quarter as it stands at
 * `now`, as the snapshot of `now`'s ISO week (workspace time zone). Taking the same week again
 * replaces that week's snapshot: the header row is upserted first, so a concurrent taker of the
 * same week waits for this one and then replaces its rows. Returns the periods snapshotted.
 */
export async function takeSnapshots(ctx: RequestContext, now: Date): Promise<string[]> {
  const settings = await readForecastSettings(ctx);
  return ctx.db.write(async (em) => {
    const today = localDate(now, settings.timeZone);
    const week = periodOf(today, 'WEEK', settings.fiscalStartMonth);
    const current = periodOf(today, 'QUARTER', settings.fiscalStartMonth);
    const next = periodOf(current.end, 'QUARTER', settings.fiscalStartMonth);
    for (const period of [current, next]) {
      await em.query(
        `INSERT INTO forecast_snapshots (workspace_id, period, week_start, currency, taken_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (workspace_id, period, week_start) DO UPDATE SET currency = EXCLUDED.currency, taken_at = EXCLUDED.taken_at`,
        [ctx.workspaceId, period.label, week.start, settings.currency, now],
      );
      await em.query(`DELETE FROM forecast_snapshot_rows WHERE workspace_id = $1 AND period = $2 AND week_start = $3`, [ctx.workspaceId, period.label, week.start]);
      const groups = await forecastGroups(em, ctx.workspaceId, settings, period, now, null);
      await em.query(
        `INSERT INTO forecast_snapshot_rows (workspace_id, period, week_start, owner_id, pipeline_id, category, currency, amount, converted, weighted, deals)
         SELECT $1, $2, $3, g.owner_id, g.pipeline_id, g.category, g.currency, g.amount, g.converted, g.weighted, g.deals
           FROM jsonb_to_recordset($4::jsonb) AS g(owner_id uuid, pipeline_id uuid, category varchar, currency char(3), amount numeric, converted numeric, weighted numeric, deals int)`,
        [ctx.workspaceId, period.label, week.start, JSON.stringify(groups.map(rowOfGroup))],
      );
    }
    return [current.label, next.label];
  });
}


/** The period's snapshots, oldest week first; `owners` limits their groups to those owners' deals (null: all). */
export async function readSnapshots(em: EntityManager, workspaceId: string, period: Period, owners: string[] | null): Promise<StoredSnapshot[]> {
  const headers = (await em.query(
    `SELECT to_char(week_start, 'YYYY-MM-DD') AS week_start, to_char(week_start, 'IYYY-"W"IW') AS week, currency, taken_at
       FROM forecast_snapshots WHERE workspace_id = $1 AND period = $2 ORDER BY week_start`,
    [workspaceId, period.label],
  )) as Array<{ week_start: string; week: string; currency: string; taken_at: Date }>;
  const rows = (await em.query(
    `SELECT to_char(week_start, 'YYYY-MM-DD') AS week_start, owner_id, pipeline_id, category, currency,
            amount::text, converted::text, weighted::text, deals
       FROM forecast_snapshot_rows
      WHERE workspace_id = $1 AND period = $2 AND ($3::uuid[] IS NULL OR owner_id = ANY ($3::uuid[]))`,
    [workspaceId, period.label, owners],
  )) as Array<ForecastGroupRow & { week_start: string }>;
  return headers.map((header) => ({
    week: header.week,
    weekStart: header.week_start,
    takenAt: header.taken_at,
    currency: header.currency.trim(),
    groups: rows
      .filter((row) => row.week_start === header.week_start)
      .map(groupOfRow),
  }));
}

export interface SnapshotSweepResult {
  workspaces: number;
  failedWorkspaces: number;
}

/**
 * Takes the week's snapshots in every workspace (inEveryWorkspace); a failed workspace fails the
 * job after the others ran, so BullMQ retries it (taking a week again replaces it). `now` is
 * injectable for tests.
 */
export async function snapshotAllWorkspaces(runtime: AppRuntime, now: Date = new Date()): Promise<SnapshotSweepResult> {
  const sweep = await inEveryWorkspace(runtime, 'forecast snapshot', (ctx) => takeSnapshots(ctx, now));
  const result = { workspaces: sweep.workspaces, failedWorkspaces: sweep.failedWorkspaces };
  runtime.logger.info(result, 'forecast snapshots done');
  if (sweep.firstError) throw sweep.firstError;
  return result;
}
