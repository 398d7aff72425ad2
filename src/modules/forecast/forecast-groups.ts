import type { EntityManager } from 'typeorm';
import type { Period } from '../../kernel/time/periods';
import type { RequestContext } from '../../kernel/context';
import { membersService } from '../identity';
import type { ForecastCategory } from '../pipelines';

/**
 * The forecast's raw material: the deals of a period summed per owner, pipeline, forecast
 * category and currency, exact (numeric as text). Open deals count when their expected close
 * date falls in the period and convert at today's rate; won (CLOSED) and lost (OMITTED) deals
 * when their close time's local date does, at that day's rate. `converted` and `weighted` are
 * null where no rate converts the currency (those deals are reported apart).
 */
export interface ForecastGroup {
  ownerId: string | null;
  pipelineId: string;
  category: ForecastCategory;
  currency: string;
  amount: string;
  converted: string | null;
  /** Σ converted amount × stage probability / 100 (open deals; null for closed ones). */
  weighted: string | null;
  deals: number;
}

/** What the forecast needs to know of the workspace. */
export interface ForecastSettings {
  currency: string;
  timeZone: string;
  fiscalStartMonth: number;
}

/** The workspace's reporting currency, time zone and fiscal year start, read once per request (membersService.currentWorkspace). */
export async function readForecastSettings(ctx: RequestContext): Promise<ForecastSettings> {
  const workspace = await membersService.currentWorkspace(ctx);
  return { currency: workspace.defaultCurrency.trim(), timeZone: workspace.timeZone, fiscalStartMonth: workspace.fiscalYearStartMonth };
}

/*
 * Converts sums, not deals: Σ amount × rate equals Σ (amount × rate) exactly in numeric. Both
 * scans read a partial covering index (migration 1763800000060); open deals are summed per stage
 * before their stage's category and probability join in, so the big grouping is over plain
 * columns (hashed, not sorted).
 * Rates: a rate holds from its valid_from until the next, so crm_exchange_rate is asked only at
 * the rate points of each currency the workspace has rates for (the period's first day, today,
 * and every valid_from inside the period, whatever its base: a point too many changes nothing).
 * A closed deal takes the rate of the window between two points its close time falls in (the
 * points' local midnights), an open deal today's; the reporting currency converts at 1 and a
 * currency without rates not at all, as crm_exchange_rate says. So a quarter needs a handful of
 * lookups and no time zone arithmetic per deal.
 */
const GROUPS_SQL = `
  WITH points AS MATERIALIZED (
    SELECT c.currency, p.day, crm_exchange_rate($1, c.currency, p.day) AS rate, (p.day::timestamp AT TIME ZONE $4) AS from_at,
           lead(p.day::timestamp AT TIME ZONE $4) OVER (PARTITION BY c.currency ORDER BY p.day) AS to_at
      FROM (SELECT DISTINCT currency FROM exchange_rates WHERE workspace_id = $1 AND currency <> $7) c
      CROSS JOIN LATERAL (
        SELECT $2::date AS day
        UNION SELECT ($5::timestamptz AT TIME ZONE $4)::date
        UNION SELECT r.valid_from FROM exchange_rates r
               WHERE r.workspace_id = $1 AND r.currency = c.currency AND r.valid_from > $2::date AND r.valid_from < $3::date
      ) p
  ), open_deals AS (
    SELECT d.owner_id, d.pipeline_id, d.stage_id, d.forecast_category, d.currency, sum(d.amount) AS amount, count(*) AS deals
      FROM deals d
     WHERE d.workspace_id = $1 AND d.status = 'OPEN' AND d.deleted_at IS NULL
       AND d.expected_close_date >= $2::date AND d.expected_close_date < $3::date
       AND ($6::uuid[] IS NULL OR d.owner_id = ANY ($6::uuid[]))
     GROUP BY 1, 2, 3, 4, 5
  ), open_groups AS (
    SELECT o.owner_id, o.pipeline_id, crm_forecast_category('OPEN', o.forecast_category, s.forecast_category) AS category, o.currency,
           CASE o.currency WHEN $7 THEN 1 ELSE w.rate END AS rate, sum(o.amount) AS amount, sum(o.amount * s.probability) AS weighted, sum(o.deals) AS deals
      FROM open_deals o JOIN stages s ON s.workspace_id = $1 AND s.id = o.stage_id
      LEFT JOIN points w ON w.currency = o.currency AND w.day = ($5::timestamptz AT TIME ZONE $4)::date
     GROUP BY 1, 2, 3, 4, 5
  ), closed_groups AS (
    SELECT d.owner_id, d.pipeline_id, CASE d.status WHEN 'WON' THEN 'CLOSED' ELSE 'OMITTED' END AS category, d.currency,
           CASE d.currency WHEN $7 THEN 1 ELSE w.rate END AS rate, sum(d.amount) AS amount, NULL::numeric AS weighted, count(*) AS deals
      FROM deals d
      LEFT JOIN points w ON w.currency = d.currency AND d.closed_at >= w.from_at AND (w.to_at IS NULL OR d.closed_at < w.to_at)
     WHERE d.workspace_id = $1 AND d.status <> 'OPEN' AND d.deleted_at IS NULL
       AND d.closed_at >= ($2::date::timestamp AT TIME ZONE $4) AND d.closed_at < ($3::date::timestamp AT TIME ZONE $4)
       AND ($6::uuid[] IS NULL OR d.owner_id = ANY ($6::uuid[]))
     GROUP BY 1, 2, 3, 4, 5
  )
  SELECT g.owner_id, g.pipeline_id, g.category, g.currency, sum(g.amount)::text AS amount,
         sum(g.amount * g.rate)::text AS converted, sum(g.weighted * g.rate * 0.01)::text AS weighted, sum(g.deals)::int AS deals
    FROM (SELECT * FROM open_groups UNION ALL SELECT * FROM closed_groups) g
   GROUP BY g.owner_id, g.pipeline_id, g.category, g.currency, g.rate IS NULL`;

/** The period's groups as of `now`; `owners` (user ids) limits them to those owners' deals, null: all deals. */
export async function forecastGroups(
  em: EntityManager,
  workspaceId: string,
  settings: ForecastSettings,
  period: Period,
  now: Date,
  owners: string[] | null,
): Promise<ForecastGroup[]> {
  const rows = (await em.query(GROUPS_SQL, [workspaceId, period.start, period.end, settings.timeZone, now, owners, settings.currency])) as ForecastGroupRow[];
  return rows.map(groupOfRow);
}

/** A group as SQL returns it (forecast_snapshot_rows has the same columns). */
export interface ForecastGroupRow {
  owner_id: string | null;
  pipeline_id: string;
  category: ForecastCategory;
  currency: string;
  amount: string;
  converted: string | null;
  weighted: string | null;
  deals: number;
}

export const groupOfRow = (row: ForecastGroupRow): ForecastGroup => ({
  ownerId: row.owner_id,
  pipelineId: row.pipeline_id,
  category: row.category,
  currency: row.currency.trim(),
  amount: row.amount,
  converted: row.converted,
  weighted: row.weighted,
  deals: row.deals,
});

/** The row forecast_snapshot_rows stores for a group. */
export const rowOfGroup = (group: ForecastGroup): ForecastGroupRow => ({
  owner_id: group.ownerId,
  pipeline_id: group.pipelineId,
  category: group.category,
  currency: group.currency,
  amount: group.amount,
  converted: group.converted,
  weighted: group.weighted,
  deals: group.deals,
});
