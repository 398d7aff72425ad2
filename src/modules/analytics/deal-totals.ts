import type { FilterNode } from '../../kernel/filtering/compile-filter';
import type { FactSource } from './aggregate-core';
import type { AggregateSpec } from './aggregate-spec';
import { factsOf, rateSql, scanFacts } from './aggregate-sql';

/**
 * The maintained paths of the deal aggregate (migration 1763800000050), kept by triggers in every
 * writing transaction: deal_totals holds the count and exact sum of amount of the live deals per
 * (pipeline, stage, owner, status, forecast category override, currency, close month, slot);
 * deal_stage_totals the same per (pipeline, stage, status, currency, close month of closed deals,
 * slot), a few rows per stage. A request is answered by the smallest table that has every column
 * its filter and groupBy use; anything else scans the deals.
 */
interface TotalsTable {
  table: string;
  dimensions: Set<string>;
  /** DealFilter fields whose column the table keeps under the same name. */
  filterFields: Set<string>;
}

const TABLES: TotalsTable[] = [
  { table: 'deal_stage_totals', dimensions: new Set(['STAGE', 'PIPELINE', 'STATUS']), filterFields: new Set(['status', 'pipelineId', 'stageId', 'currency']) },
  {
    table: 'deal_totals',
    dimensions: new Set(['STAGE', 'PIPELINE', 'OWNER', 'TEAM', 'STATUS', 'FORECAST_CATEGORY', 'CLOSE_MONTH', 'CLOSE_QUARTER', 'CLOSE_YEAR']),
    filterFields: new Set(['status', 'pipelineId', 'stageId', 'ownerId', 'currency']),
  },
];
const MEASURES = new Set(['COUNT', 'SUM_AMOUNT', 'AVG_AMOUNT', 'WEIGHTED_AMOUNT']);

function filterUses(node: FilterNode | null | undefined, fields: Set<string>): boolean {
  if (!node) return true;
  return Object.entries(node).every(([field, value]) => {
    if (value == null) return true;
    if (field === 'and' || field === 'or') return (value as FilterNode[]).every((child) => filterUses(child, fields));
    if (field === 'not') return filterUses(value as FilterNode, fields);
    return fields.has(field);
  });
}

/** The totals table that can answer the request, or null: it must be scanned. */
export function totalsTableFor(request: { filter?: unknown; groupBy: string[]; measures: string[] }): string | null {
  if (!request.measures.every((m) => MEASURES.has(m))) return null;
  const table = TABLES.find(
    (t) => request.groupBy.every((d) => t.dimensions.has(d)) && filterUses(request.filter as FilterNode | undefined, t.filterFields),
  );
  return table?.table ?? null;
}

/**
 * Facts from the totals, converted per currency and date: an open deal's at today's rate, a
 * closed deal's at the rate of its close month's first day, which is its close date's rate
 * unless a rate of its currency starts inside that month. Such (currency, month) slices
 * (deal_split) are read from the deals instead, so the figures stay exact to the day.
 */
export const dealTotalsSource =
  (spec: AggregateSpec, table: string): FactSource =>
  (shape, scope, withFanOut) => {
    const fanOuts = withFanOut ? shape.keys.map((key) => key.fanOut ?? '').join(' ') : '';
    const keys = shape.keys.map((key, i) => `(${key.sql})::text AS k${i}`);
    const grouped = `SELECT ${[
      ...keys,
      'r.currency::text AS cur',
      `r.status = 'OPEN' AS open`,
      `CASE WHEN r.status = 'OPEN' THEN w.today ELSE cd.close_date END AS on_date`,
      's.probability::numeric AS weight',
      'sum(r.deal_count)::numeric AS n',
      'sum(r.amount) AS amt',
      'NULL::numeric AS amin',
      'NULL::numeric AS amax',
    ].join(', ')}
      FROM ${table} r CROSS JOIN w JOIN stages s ON s.id = r.stage_id
        CROSS JOIN LATERAL (SELECT r.close_month AS close_date) cd ${fanOuts}
      WHERE r.workspace_id = ${scope.workspace}${scope.filter ? ` AND (${scope.filter})` : ''}
      GROUP BY ${Array.from({ length: keys.length + 4 }, (_, i) => i + 1).join(', ')}
      HAVING sum(r.deal_count) <> 0`;
    const rate = rateSql(scope.workspace, 'g.cur', 'g.on_date');
    const fromTotals = factsOf(shape, 'g', rate, grouped, 'WHERE g.open OR NOT EXISTS (SELECT 1 FROM deal_split sp WHERE sp.cur = g.cur AND sp.month = g.on_date)');
    const splitWhere = [
      `r.workspace_id = ${scope.workspace}`,
      'r.deleted_at IS NULL',
      `r.status <> 'OPEN'`,
      'r.currency = sp.cur',
      `date_trunc('month', cd.close_date)::date = sp.month`,
      ...(scope.filter ? [scope.filter] : []),
    ];
    const fromDeals = `SELECT f.* FROM deal_split sp CROSS JOIN LATERAL (${scanFacts(spec, shape, scope.workspace, splitWhere, withFanOut)}) f`;
    const split = `deal_split AS (SELECT DISTINCT e.currency::text AS cur, date_trunc('month', e.valid_from)::date AS month
        FROM exchange_rates e CROSS JOIN w
       WHERE e.workspace_id = ${scope.workspace} AND e.base = w.base AND extract(day FROM e.valid_from) <> 1)`;
    return { ctes: [split], facts: `${fromTotals} UNION ALL ${fromDeals}` };
  };
