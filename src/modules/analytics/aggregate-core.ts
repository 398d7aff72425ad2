import type { RequestContext } from '../../kernel/context';
import { badField } from '../../kernel/errors';
import { compileFilter } from '../../kernel/filtering/compile-filter';
import { preparedStatement, SqlParams } from '../../kernel/sql';
import { accumulate, compareKeys, figures, keyOf, resolveKeys, type GroupRow, type RequestedMeasure } from './aggregate-result';
import type { AggregateSpec } from './aggregate-spec';
import { aggregateStatement, groupsSql, scanFacts, settingsCte, type FactShape } from './aggregate-sql';
import type { AggregateGroupValue, AggregateValue } from './aggregate.types';

export const MAX_DIMENSIONS = 3;

/** The total of no records. */
const NOTHING: GroupRow = { unconvertedCurrency: null, count: '0', convertedCount: '0', sum: null, min: null, max: null, weighted: null, unconvertedAmount: null };

export interface AggregateRequest<D extends string, M extends string> {
  filter?: unknown;
  groupBy: D[];
  measures: M[];
}

/** Where the rows matching the filter are: `workspace` and `filter` are SQL over `r` (filter null: every row). */
export interface FactScope {
  workspace: string;
  filter: string | null;
}

/** Facts (see aggregate-sql.ts) for a shape, with the CTEs they read; `withFanOut` false for the total. */
export type FactSource = (shape: FactShape, scope: FactScope, withFanOut: boolean) => { ctes: string[]; facts: string };

/** The exact path: every matching live record, read from its table. */
export const scanSource =
  (spec: AggregateSpec): FactSource =>
  (shape, scope, withFanOut) => ({
    ctes: [],
    facts: scanFacts(spec, shape, scope.workspace, [`r.workspace_id = ${scope.workspace}`, 'r.deleted_at IS NULL', ...(scope.filter ? [scope.filter] : [])], withFanOut),
  });

/** groupBy and measures as given: at most 3 distinct dimensions, at least one measure, none twice. */
export function checkRequest(request: AggregateRequest<string, string>): void {
  if (request.groupBy.length > MAX_DIMENSIONS) throw badField('groupBy', `takes at most ${MAX_DIMENSIONS} dimensions`);
  const twice = request.groupBy.find((d, i) => request.groupBy.indexOf(d) !== i);
  if (twice) throw badField('groupBy', `names ${twice} twice`);
  if (request.measures.length === 0) throw badField('measures', 'must name at least one measure');
  const measureTwice = request.measures.find((m, i) => request.measures.indexOf(m) !== i);
  if (measureTwice) throw badField('measures', `names ${measureTwice} twice`);
}

/**
 * One aggregate, for any object: the filter compiled by the list's own spec, facts from `source`
 * (a scan unless the caller chose maintained totals), grouped and summed exactly in SQL, then
 * merged, labelled, ordered and rounded here. `fields` names each measure's GraphQL field.
 */
export async function runAggregate<D extends string, M extends string>(
  ctx: RequestContext,
  spec: AggregateSpec<D, M>,
  fields: Record<M, string>,
  request: AggregateRequest<D, M>,
  source: FactSource = scanSource(spec),
): Promise<AggregateValue> {
  checkRequest(request);
  const params = new SqlParams();
  const scope: FactScope = { workspace: params.add(ctx.workspaceId), filter: compileFilter(request.filter, spec.filter, 'r', params) };
  let averages = 0;
  const measures: RequestedMeasure[] = request.measures.map((m) => {
    const measure = spec.measures[m];
    return { field: fields[m], spec: measure, average: measure.kind === 'average' ? averages++ : undefined };
  });
  const dimensions = request.groupBy.map((name) => ({ name, spec: spec.dimensions[name] }));
  const shape: FactShape = {
    keys: dimensions.map((d) => d.spec),
    averages: measures.flatMap((m) => (m.spec.kind === 'average' ? [m.spec.sql] : [])),
  };
  const grouped = source(shape, scope, true);
  const fanOut = shape.keys.some((key) => key.fanOut);
  const whole = fanOut ? source({ keys: [], averages: shape.averages }, scope, false) : null;
  const ctes = [...new Set([settingsCte(scope.workspace), ...grouped.ctes, ...(whole?.ctes ?? [])])];
  const sql = aggregateStatement(ctes, groupsSql(shape.keys.length, averages, grouped.facts), whole && groupsSql(0, averages, whole.facts));
  const [text, values] = params.bind(sql);
  const [row] = await ctx.db.read((em) => em.query(preparedStatement(text), values));
  const groupRows = row.groups as GroupRow[];

  const groups = accumulate(groupRows, shape.keys.length, averages);
  const totalRows = (row.total as GroupRow[] | null) ?? groupRows;
  const [total] = accumulate(totalRows.length ? totalRows : [NOTHING], 0, averages);
  const labels = await resolveKeys(ctx, dimensions, groups.map((g) => g.keys));
  groups.sort((a, b) => compareKeys(shape.keys, labels)(a.keys, b.keys));
  const currency = row.currency as string;
  return {
    currency,
    groups: dimensions.length === 0 ? [] : groups.map(
      (group): AggregateGroupValue => ({
        keys: dimensions.map((d, i) => keyOf(d.name, d.spec, group.keys[i], labels[i])),
        ...figures(group, measures, currency),
      }),
    ),
    total: { keys: [], ...figures(total, measures, currency) },
  };
}
