import type { RequestContext } from '../../kernel/context';
import { badField } from '../../kernel/errors';
import { encodeId } from '../../kernel/ids';
import { SqlParams } from '../../kernel/sql';
import { localDateSql, periodLabelSql, type PeriodValue } from '../../kernel/time/periods';
import { pipelineService, StageKind, type Stage } from '../pipelines';
import { DealFunnel, FunnelGroup, FunnelGrouping, type FunnelStage } from './funnel.model';
import { reportWindow, reportWorkspace, type ReportWindow } from './report-scope';
import { checkGrouping, groupingSets, groupKeySql, LEVEL, resolveKeys, TOTAL_KEY, type SalesDimension, type SalesGroupKey } from './sales-grouping';

const DIMENSION: Record<FunnelGrouping, SalesDimension> = {
  [FunnelGrouping.OWNER]: 'OWNER',
  [FunnelGrouping.SOURCE]: 'SOURCE',
  [FunnelGrouping.CREATED_MONTH]: 'MONTH',
  [FunnelGrouping.CREATED_QUARTER]: 'QUARTER',
};

export interface FunnelArgs {
  pipelineId: string | null;
  period: PeriodValue | null;
  by: FunnelGrouping | null;
  cohort: boolean;
}

/**
 * A row of the funnel statement for one level, group and cohort: `paths`, how many deals (`n`)
 * have one status, furthest step and set of entered steps (`entered`, bit s for step s); or
 * `stays`, one step's completed stays (count, average and median days).
 */
interface FunnelRow {
  kind: 'paths' | 'stays';
  level: number;
  g: string | null;
  c: string | null;
  status: string | null;
  furthest: number | null;
  entered: string | null;
  step: number | null;
  n: number;
  average_days: string | null;
  median_days: string | null;
}

interface FunnelParams {
  workspace: string;
  pipeline: string;
  /** uuid[] of the funnel's stages in order. */
  stages: string;
  from: string;
  to: string;
}

/**
 * One statement for every figure. `deal_set`: the pipeline's live deals created in the window,
 * with group key g and cohort c (inlined, so the planner hashes the deals of a short period and
 * probes the history with them rather than hashing the whole history). `stays`: their rows of deal_stage_history in funnel stages, a
 * stage's place in the funnel being `step` (1…n). Per deal, its path: the furthest step it ever
 * entered and the set of steps it entered (a bit each). Then, per level, deals by (status,
 * furthest, entered), few combinations whatever the number of deals; and the completed stays'
 * days per step.
 */
function funnelSql(p: FunnelParams, groupSql: string, cohortSql: string, { sets, level, keys }: ReturnType<typeof groupingSets>): string {
  return `WITH deal_set AS NOT MATERIALIZED (
      SELECT d.id, d.status, ${groupSql} AS g, ${cohortSql} AS c
        FROM deals d
       WHERE d.workspace_id = ${p.workspace} AND d.pipeline_id = ${p.pipeline} AND d.deleted_at IS NULL
         AND d.created_at >= COALESCE(${p.from}::timestamptz, '-infinity') AND d.created_at < COALESCE(${p.to}::timestamptz, 'infinity')
    ), stays AS MATERIALIZED (
      SELECT s.id, s.g, s.c, array_position(${p.stages}::uuid[], h.stage_id) AS step, h.entered_at, h.left_at
        FROM deal_set s JOIN deal_stage_history h ON h.workspace_id = ${p.workspace} AND h.deal_id = s.id
       WHERE h.stage_id = ANY (${p.stages}::uuid[])
    ), paths AS (
      SELECT s.g, s.c, s.status, p.furthest, p.entered
        FROM deal_set s
        LEFT JOIN (SELECT id, max(step) AS furthest, bit_or(1::bigint << step) AS entered FROM stays GROUP BY id) p USING (id)
    )
    SELECT 'paths' AS kind, ${level} AS level, ${keys}, status, furthest, entered, NULL::int AS step, count(*)::int AS n,
           NULL::numeric AS average_days, NULL::numeric AS median_days
      FROM paths GROUP BY status, furthest, entered, ${sets}
    UNION ALL
    SELECT 'stays', ${level}, ${keys}, NULL, NULL, NULL, step, count(*)::int,
           round(avg(days), 2), round(percentile_cont(0.5) WITHIN GROUP (ORDER BY days::float8)::numeric, 2)
      FROM (SELECT g, c, step, extract(epoch FROM left_at - entered_at) / 86400 AS days FROM stays WHERE left_at IS NOT NULL) completed
     GROUP BY step, ${sets}`;
}

const ratio = (part: number | null, whole: number): number | null => (part === null || whole === 0 ? null : Math.round((part / whole) * 10_000) / 10_000);
const days = (text: string | null): number | null => (text === null ? null : Number(text));

/** The funnel's stages: the OPEN stages by position, then the WON stage (the LOST stage is no step forward). */
function funnelStages(stages: Stage[]): Stage[] {
  return [...stages.filter((s) => s.kind === StageKind.OPEN), ...stages.filter((s) => s.kind === StageKind.WON)];
}

/** The figures of one level, group and cohort from its rows (see funnelSql). */
function figures(key: SalesGroupKey, stages: Stage[], rows: FunnelRow[]): FunnelGroup {
  const paths = rows.filter((row) => row.kind === 'paths').map((row) => ({ ...row, furthest: row.furthest ?? 0, entered: BigInt(row.entered ?? 0) }));
  const deals = (match: (path: (typeof paths)[number]) => boolean) => paths.filter(match).reduce((total, path) => total + path.n, 0);
  const enteredStep = (path: (typeof paths)[number], step: number) => (path.entered >> BigInt(step)) % 2n === 1n;
  const firstEntered = deals((path) => enteredStep(path, 1));
  const stageRows = stages.map((stage, index): FunnelStage => {
    const step = index + 1;
    const entered = deals((path) => enteredStep(path, step));
    const convertedToNext = step < stages.length ? deals((path) => enteredStep(path, step) && path.furthest > step) : null;
    const reachedFromFirst = deals((path) => enteredStep(path, 1) && path.furthest >= step);
    const stays = rows.find((row) => row.kind === 'stays' && row.step === step);
    return {
      stageId: encodeId('Stage', stage.id),
      name: stage.name,
      kind: stage.kind,
      entered,
      reached: deals((path) => path.furthest >= step),
      convertedToNext,
      conversionToNext: ratio(convertedToNext, entered),
      reachedFromFirst,
      conversionFromFirst: ratio(reachedFromFirst, firstEntered),
      completedStays: stays?.n ?? 0,
      averageDays: days(stays?.average_days ?? null),
      medianDays: days(stays?.median_days ?? null),
    };
  });
  return Object.assign(new FunnelGroup(), key, {
    deals: deals(() => true),
    open: deals((path) => path.status === 'OPEN'),
    won: deals((path) => path.status === 'WON'),
    lost: deals((path) => path.status === 'LOST'),
    stages: stageRows,
    cohorts: null,
  });
}

const distinct = <T>(values: T[]): T[] => [...new Set(values)];

export const funnelService = {
  /**
   * The funnel of `pipelineId` (null: the default pipeline) over its live deals created in
   * `period` (null: all), per group of `by` and, with `cohort`, per creation month.
   */
  async funnel(ctx: RequestContext, args: FunnelArgs): Promise<DealFunnel> {
    const pipeline = args.pipelineId ? await pipelineService.get(ctx, args.pipelineId) : await pipelineService.defaultPipeline(ctx);
    const dimension = args.by ? DIMENSION[args.by] : null;
    if (args.cohort && dimension === 'MONTH') throw badField('cohort', 'the groups of CREATED_MONTH already are the cohorts; group by something else or leave cohort out');
    const stages = funnelStages(await pipelineService.stagesOf(ctx, pipeline.id));
    const { window, rows } = await ctx.db.read(async (em) => {
      const workspace = await reportWorkspace(ctx, em);
      const window: ReportWindow | null = args.period === null ? null : await reportWindow(em, workspace, args.period);
      checkGrouping(dimension, window?.period ?? null);
      const sql = new SqlParams();
      const zone = sql.add(workspace.timeZone);
      const fiscalStart = sql.add(workspace.fiscalStartMonth);
      const params: FunnelParams = {
        workspace: sql.add(ctx.workspaceId),
        pipeline: sql.add(pipeline.id),
        stages: sql.add(stages.map((s) => s.id)),
        from: sql.add(window?.from ?? null),
        to: sql.add(window?.to ?? null),
      };
      const cohortSql = args.cohort ? periodLabelSql(localDateSql('d.created_at', zone), 'MONTH', fiscalStart) : 'NULL::text';
      const text = funnelSql(params, groupKeySql(dimension, 'd.created_at', zone, `${fiscalStart}::int`), cohortSql, groupingSets(dimension !== null, args.cohort));
      return { window, rows: (await em.query(...sql.bind(text))) as FunnelRow[] };
    });
    return assemble(ctx, { pipelineId: encodeId('Pipeline', pipeline.id), pipelineName: pipeline.name, by: args.by }, stages, window, rows, dimension, args.cohort);
  },
};

async function assemble(
  ctx: RequestContext,
  head: Pick<DealFunnel, 'pipelineId' | 'pipelineName' | 'by'>,
  stages: Stage[],
  window: ReportWindow | null,
  rows: FunnelRow[],
  dimension: SalesDimension | null,
  cohort: boolean,
): Promise<DealFunnel> {
  /** Rows of `level`; of group `g` and cohort `c` where given (undefined: any). */
  const at = (level: number, g?: string | null, c?: string | null) =>
    rows.filter((row) => row.level === level && (g === undefined || row.g === g) && (c === undefined || row.c === c));
  const cohortsOf = (level: number, g?: string | null): FunnelGroup[] | null =>
    cohort
      ? distinct(at(level, g).map((row) => row.c!))
          .sort()
          .map((month) => figures({ key: month, label: month, owner: null }, stages, at(level, g, month)))
      : null;
  const total = figures(TOTAL_KEY, stages, at(LEVEL.TOTAL));
  total.cohorts = cohortsOf(LEVEL.COHORT);
  const keys = dimension ? await resolveKeys(ctx, dimension, distinct(at(LEVEL.GROUP).map((row) => row.g))) : [];
  const groups = keys.map(({ raw, group }) => Object.assign(figures(group, stages, at(LEVEL.GROUP, raw)), { cohorts: cohortsOf(LEVEL.GROUP_COHORT, raw) }));
  return Object.assign(new DealFunnel(), head, {
    period: window?.period.label ?? null,
    periodStart: window?.period.start ?? null,
    periodEnd: window?.period.end ?? null,
    groups,
    total,
  });
}
