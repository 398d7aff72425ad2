import type { RequestContext } from '../../kernel/context';
import type { Decimal } from '../../kernel/decimal';
import { forbidden } from '../../kernel/errors';
import { parsePeriod, type Period } from '../../kernel/time/periods';
import { figureVisibility, type FigureVisibility } from '../identity';
import { ForecastCategory } from '../pipelines';
import { forecastGroups, readForecastSettings, type ForecastGroup, type ForecastSettings } from './forecast-groups';
import { forecastRows } from './forecast-rows';
import { readSnapshots } from './forecast-snapshots';
import { ForecastGrouping, type Forecast, type ForecastArgs, type ForecastHistory } from './forecast.types';
import { quotasOf } from './quota.service';

/** Shifts a period's exclusive end to its last day. */
const lastDay = (period: Period) => new Date(Date.parse(`${period.end}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10);

interface Prepared {
  settings: ForecastSettings;
  period: Period;
  scope: FigureVisibility;
  /** The owners whose deals the caller may see; null: all. */
  owners: string[] | null;
}

/** The period parsed, and whose figures the caller may see: only ADMIN, MANAGER and API keys see a team's or pipeline's whole. */
async function prepare(ctx: RequestContext, args: ForecastArgs): Promise<Prepared> {
  const settings = await readForecastSettings(ctx);
  const period = parsePeriod(args.period, settings.fiscalStartMonth, 'period');
  const scope = await figureVisibility(ctx);
  if (scope.visible && args.by !== ForecastGrouping.OWNER) throw forbidden(`Only ADMIN and MANAGER see the forecast by ${args.by}; ask for it by OWNER`);
  return { settings, period, scope, owners: scope.visible && [...scope.visible] };
}

async function build(
  ctx: RequestContext,
  args: ForecastArgs,
  { period, scope }: Prepared,
  groups: ForecastGroup[],
  quotas: ReadonlyMap<string, Decimal>,
  currency: string,
): Promise<Forecast> {
  const { rows, total } = await forecastRows(ctx, args.by, { groups, quotas, scope, currency });
  return { period: period.label, startDate: period.start, endDate: lastDay(period), by: args.by, currency, rows, total };
}

export const forecastService = {
  /** The forecast of the period as of `now` (docs/analytics.md, "Forecast"). */
  async forecast(ctx: RequestContext, args: ForecastArgs, now: Date = new Date()): Promise<Forecast> {
    const prepared = await prepare(ctx, args);
    const { settings, period, owners } = prepared;
    const [groups, quotas] = await ctx.db.read(async (em) => [
      await forecastGroups(em, ctx.workspaceId, settings, period, now, owners),
      await quotasOf(em, ctx.workspaceId, period),
    ] as const);
    return build(ctx, args, prepared, groups, quotas, settings.currency);
  },

  /** The weekly snapshots of the period's forecast, oldest first, beside what actually closed in it (won deals, as of `now`). */
  async history(ctx: RequestContext, args: ForecastArgs, now: Date = new Date()): Promise<ForecastHistory> {
    const prepared = await prepare(ctx, args);
    const { settings, period, owners } = prepared;
    const [snapshots, groups, quotas] = await ctx.db.read(async (em) => [
      await readSnapshots(em, ctx.workspaceId, period, owners),
      await forecastGroups(em, ctx.workspaceId, settings, period, now, owners),
      await quotasOf(em, ctx.workspaceId, period),
    ] as const);
    const won = groups.filter((group) => group.category === ForecastCategory.CLOSED);
    return {
      period: period.label,
      by: args.by,
      snapshots: await Promise.all(
        snapshots.map(async (snapshot) => {
          const { rows, total } = await build(ctx, args, prepared, snapshot.groups, quotas, snapshot.currency);
          return { week: snapshot.week, weekStart: snapshot.weekStart, takenAt: snapshot.takenAt, currency: snapshot.currency, rows, total };
        }),
      ),
      closed: await build(ctx, args, prepared, won, quotas, settings.currency),
    };
  },
};
