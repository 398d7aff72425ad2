import type { RequestContext } from '../../kernel/context';
import { encodeId } from '../../kernel/ids';
import { roundedSql } from '../../kernel/money/report-money';
import { SqlParams } from '../../kernel/sql';
import { localDateSql, type PeriodValue } from '../../kernel/time/periods';
import { pipelineService } from '../pipelines';
import { reportWindow, reportWorkspace } from './report-scope';
import { checkGrouping, groupingSets, groupKeySql, LEVEL, resolveKeys, TOTAL_KEY, type SalesDimension, type SalesGroupKey } from './sales-grouping';
import { DealVelocity, VelocityGroup, VelocityGrouping } from './velocity.model';

const DIMENSION: Record<VelocityGrouping, SalesDimension> = {
  [VelocityGrouping.OWNER]: 'OWNER',
  [VelocityGrouping.SOURCE]: 'SOURCE',
  [VelocityGrouping.CLOSED_MONTH]: 'MONTH',
  [VelocityGrouping.CLOSED_QUARTER]: 'QUARTER',
};

export interface VelocityArgs {
  period: PeriodValue;
  by: VelocityGrouping | null;
  pipelineId: string | null;
}

/** A row of the velocity statement: a group's figures, or one currency's unconverted won amounts (their count in `won`, exact sum in `won_amount`). */
interface VelocityRow {
  kind: 'figures' | 'unconverted';
  level: number;
  g: string | null;
  currency: string | null;
  won: number;
  lost: number;
  won_amount: string | null;
  average_deal_size: string | null;
  converted: number;
  cycle_days: string | null;
}

/**
 * `closed`: the live deals closed in the window (closed_at, which reopening clears), with their
 * local close date. `rates`: the rate of each currency on each close date of a won deal, looked up
 * once per pair (crm_exchange_rate, null without one) rather than once per deal. Then per level:
 * counts, the converted sum and average rounded for display, the average days from creation to
 * close of won deals; and, apart, the won amounts without a rate per currency.
 */
function velocitySql(p: Record<'workspace' | 'from' | 'to' | 'pipeline' | 'zone', string>, groupSql: string, currency: string, { sets, level, keys }: ReturnType<typeof groupingSets>): string {
  return `WITH closed AS MATERIALIZED (
      SELECT d.status, d.amount, d.currency, d.created_at, d.closed_at, ${groupSql} AS g, ${localDateSql('d.closed_at', p.zone)} AS close_date
        FROM deals d
       WHERE d.workspace_id = ${p.workspace} AND d.deleted_at IS NULL AND d.status IN ('WON', 'LOST')
         AND d.closed_at >= ${p.from} AND d.closed_at < ${p.to}
         AND (${p.pipeline}::uuid IS NULL OR d.pipeline_id = ${p.pipeline}::uuid)
    ), rates AS (
      SELECT currency, close_date, crm_exchange_rate(${p.workspace}, currency, close_date) AS rate
        FROM (SELECT DISTINCT currency, close_date FROM closed WHERE status = 'WON') won_on
    ), valued AS (
      SELECT c.*, CASE WHEN c.status = 'WON' THEN c.amount * r.rate END AS converted
        FROM closed c LEFT JOIN rates r USING (currency, close_date)
    )
    SELECT 'figures' AS kind, ${level} AS level, ${keys}, NULL::text AS currency,
           (count(*) FILTER (WHERE status = 'WON'))::int AS won, (count(*) FILTER (WHERE status = 'LOST'))::int AS lost,
           ${roundedSql('COALESCE(sum(converted), 0)', currency)} AS won_amount,
           ${roundedSql('avg(converted)', currency)} AS average_deal_size,
           count(converted)::int AS converted,
           round(avg(extract(epoch FROM closed_at - created_at) / 86400) FILTER (WHERE status = 'WON'), 2) AS cycle_days
      FROM valued GROUP BY ${sets}
    UNION ALL
    SELECT 'unconverted', ${level}, ${keys}, currency, count(*)::int, 0, sum(amount), NULL, 0, NULL
      FROM valued WHERE status = 'WON' AND converted IS NULL GROUP BY currency, ${sets}`;
}

function group(key: SalesGroupKey, rows: VelocityRow[]): VelocityGroup {
  const figures = rows.find((row) => row.kind === 'figures');
  const unconverted = rows
    .filter((row) => row.kind === 'unconverted')
    .map((row) => ({ currency: row.currency!.trim(), amount: row.won_amount!, count: row.won }))
    .sort((a, b) => a.currency.localeCompare(b.currency));
  const won = figures?.won ?? 0;
  const lost = figures?.lost ?? 0;
  return Object.assign(new VelocityGroup(), key, {
    won,
    lost,
    winRate: won + lost === 0 ? null : Math.round((won / (won + lost)) * 10_000) / 10_000,
    wonAmount: figures?.won_amount ?? '0',
    averageDealSize: figures?.average_deal_size ?? null,
    convertedCount: figures?.converted ?? 0,
    unconvertedCount: unconverted.reduce((total, entry) => total + entry.count, 0),
    unconverted,
    averageSalesCycleDays: figures?.cycle_days == null ? null : Number(figures.cycle_days),
  });
}

export const velocityService = {
  /** Win rate, deal size and sales cycle of the deals closed in `period`, per group of `by`. */
  async velocity(ctx: RequestContext, args: VelocityArgs): Promise<DealVelocity> {
    const pipeline = args.pipelineId ? await pipelineService.get(ctx, args.pipelineId) : null;
    const dimension = args.by ? DIMENSION[args.by] : null;
    const { workspace, window, rows } = await ctx.db.read(async (em) => {
      const workspace = await reportWorkspace(ctx, em);
      const window = await reportWindow(em, workspace, args.period);
      checkGrouping(dimension, window.period);
      const sql = new SqlParams();
      const zone = sql.add(workspace.timeZone);
      const fiscalStart = `${sql.add(workspace.fiscalStartMonth)}::int`;
      const text = velocitySql(
        { workspace: sql.add(ctx.workspaceId), from: sql.add(window.from), to: sql.add(window.to), pipeline: sql.add(pipeline?.id ?? null), zone },
        groupKeySql(dimension, 'd.closed_at', zone, fiscalStart),
        workspace.currency,
        groupingSets(dimension !== null, false),
      );
      return { workspace, window, rows: (await em.query(...sql.bind(text))) as VelocityRow[] };
    });
    const at = (level: number, g?: string | null) => rows.filter((row) => row.level === level && (g === undefined || row.g === g));
    const keys = dimension ? await resolveKeys(ctx, dimension, [...new Set(at(LEVEL.GROUP).map((row) => row.g))]) : [];
    return Object.assign(new DealVelocity(), {
      period: window.period.label,
      periodStart: window.period.start,
      periodEnd: window.period.end,
      currency: workspace.currency,
      pipelineId: pipeline ? encodeId('Pipeline', pipeline.id) : null,
      by: args.by,
      groups: keys.map(({ raw, group: key }) => group(key, at(LEVEL.GROUP, raw))),
      total: group(TOTAL_KEY, at(LEVEL.TOTAL)),
    });
  },
};
