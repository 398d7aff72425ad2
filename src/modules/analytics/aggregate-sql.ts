import type { AggregateSpec, DimensionSpec } from './aggregate-spec';

/**
 * The SQL of an aggregate, in two layers. *Facts* are rows with the group's keys `k0…`, the
 * amount `amt` in its currency `cur`, the rate converting it (`rate`, null without one), the
 * weighting percentage `weight`, the number of records `n` the row stands for (1 for a record,
 * more for a row of maintained totals) and the inputs `x0…` of the averages. The *groups* sum
 * the facts per keys and per unconverted currency, so that every path (a scan of the records,
 * maintained totals, or both) ends in the same arithmetic.
 */

/** The workspace's report settings, as `w`. */
export const settingsCte = (workspaceParam: string) =>
  `w AS (SELECT ws.default_currency::text AS base, ws.time_zone AS tz, ws.fiscal_year_start_month AS fs,
                (now() AT TIME ZONE ws.time_zone)::date AS today
           FROM workspaces ws WHERE ws.id = ${workspaceParam})`;

export interface FactShape {
  keys: DimensionSpec[];
  /** SQL of each average's input. */
  averages: string[];
}

/** Facts read from the records themselves: one row per record (and per partner of a fan-out key). */
export function scanFacts(spec: AggregateSpec, shape: FactShape, where: string[], withFanOut = true): string {
  const money = spec.money;
  const moneyColumns = money
    ? [
        `${money.currency}::text AS cur`,
        `${money.amount}::numeric AS amt`,
        `crm_exchange_rate(r.workspace_id, ${money.currency}, ${money.date}) AS rate`,
        `${money.weightPercent ?? 'NULL'}::numeric AS weight`,
      ]
    : ['NULL::text AS cur', 'NULL::numeric AS amt', 'NULL::numeric AS rate', 'NULL::numeric AS weight'];
  const columns = [
    ...shape.keys.map((key, i) => `(${key.sql})::text AS k${i}`),
    '1::numeric AS n',
    ...moneyColumns,
    ...shape.averages.map((sql, i) => `(${sql})::numeric AS x${i}`),
  ];
  const fanOuts = withFanOut ? shape.keys.map((key) => key.fanOut ?? '').join(' ') : '';
  return `SELECT ${columns.join(', ')} FROM ${spec.table} r CROSS JOIN w ${spec.joins ?? ''} ${fanOuts}
    WHERE ${where.map((c) => `(${c})`).join(' AND ')}`;
}

/** The groups of `facts`: one row per keys and unconverted currency (null: the converted part), every figure as exact text. */
export function groupsSql(keyCount: number, averageCount: number, facts: string): string {
  const keys = Array.from({ length: keyCount }, (_, i) => `f.k${i}`);
  const columns = [
    ...keys.map((k, i) => `${k} AS k${i}`),
    'CASE WHEN f.rate IS NULL THEN f.cur END AS "unconvertedCurrency"',
    'sum(f.n)::text AS "count"',
    'coalesce(sum(f.n) FILTER (WHERE f.rate IS NOT NULL), 0)::text AS "convertedCount"',
    'sum(f.amt * f.rate)::text AS "sum"',
    'min(f.amt * f.rate)::text AS "min"',
    'max(f.amt * f.rate)::text AS "max"',
    'sum(f.amt * f.rate * f.weight / 100)::text AS "weighted"',
    'sum(f.amt) FILTER (WHERE f.rate IS NULL)::text AS "unconvertedAmount"',
    ...Array.from({ length: averageCount }, (_, i) => `sum(f.x${i})::text AS "xs${i}", count(f.x${i})::text AS "xn${i}"`),
  ];
  return `SELECT ${columns.join(', ')} FROM (${facts}) f GROUP BY ${[...keys, '"unconvertedCurrency"'].join(', ')}`;
}

/**
 * One statement answering one aggregate: the reporting currency, the groups' rows and (for a
 * fan-out key, where a record sits in several groups) the total's rows over the records once.
 */
export function aggregateStatement(ctes: string[], groups: string, total: string | null): string {
  const json = (sql: string) => `(SELECT coalesce(json_agg(g), '[]'::json) FROM (${sql}) g)`;
  return `WITH ${ctes.join(',\n')}
    SELECT w.base AS "currency", ${json(groups)} AS "groups", ${total ? json(total) : 'NULL::json'} AS "total" FROM w`;
}
