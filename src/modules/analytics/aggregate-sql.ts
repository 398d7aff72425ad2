import type { AggregateSpec, DimensionSpec } from './aggregate-spec';

/**
 * The SQL of an aggregate, in two layers. *Facts* are rows with the group's keys `k0…`, the
 * number of records `n` the row stands for, their amounts' sum `amt`, smallest `amin` and
 * largest `amax` in the currency `cur`, the rate converting them (`rate`, null without one),
 * the weighting percentage `weight` and the sums and counts `xs0`, `xn0`… of the averages'
 * inputs. Facts are grouped per currency and conversion date before the rate is looked up, so a
 * rate is read once per (currency, date), not once per record. The *groups* sum the facts per
 * keys and per unconverted currency, so that every path (a scan of the records, maintained
 * totals, or both) ends in the same arithmetic (rates are positive, so min(amount) × rate is the
 * smallest converted amount).
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

/** crm_exchange_rate, skipped for the reporting currency itself (its rate is 1): most amounts are in it, and each call is a function run. */
export const rateSql = (workspace: string, currencySql: string, dateSql: string) =>
  `CASE WHEN ${currencySql} = (SELECT base FROM w) THEN 1::numeric ELSE crm_exchange_rate(${workspace}, ${currencySql}, ${dateSql}) END`;

const keyNames = (shape: FactShape) => shape.keys.map((_, i) => `k${i}`);

/** Facts read from the records themselves, one row per keys, currency, conversion date and weight. */
export function scanFacts(spec: AggregateSpec, shape: FactShape, workspace: string, where: string[], withFanOut = true): string {
  const money = spec.money;
  const grouped = [
    ...shape.keys.map((key, i) => `(${key.sql})::text AS k${i}`),
    `${money ? money.currency : 'NULL'}::text AS cur`,
    `${money ? money.date : 'NULL'}::date AS on_date`,
    `${money?.weightPercent ?? 'NULL'}::numeric AS weight`,
    'count(*)::numeric AS n',
    `sum(${money?.amount ?? 'NULL::numeric'}) AS amt`,
    `min(${money?.amount ?? 'NULL::numeric'}) AS amin`,
    `max(${money?.amount ?? 'NULL::numeric'}) AS amax`,
    ...shape.averages.map((sql, i) => `sum(${sql})::numeric AS xs${i}, count(${sql})::numeric AS xn${i}`),
  ];
  const fanOuts = withFanOut ? shape.keys.map((key) => key.fanOut ?? '').join(' ') : '';
  const inner = `SELECT ${grouped.join(', ')} FROM ${spec.table} r CROSS JOIN w ${spec.joins ?? ''} ${fanOuts}
    WHERE ${where.map((c) => `(${c})`).join(' AND ')}
    GROUP BY ${Array.from({ length: shape.keys.length + 3 }, (_, i) => i + 1).join(', ')}`;
  const rate = money ? rateSql(workspace, 'g.cur', 'g.on_date') : 'NULL::numeric';
  return factsOf(shape, 'g', rate, inner);
}

/** The fact columns, in order, from the grouped rows `alias` of `source`. */
export function factsOf(shape: FactShape, alias: string, rateSql: string, source: string, where = ''): string {
  const columns = [
    ...keyNames(shape).map((k) => `${alias}.${k}`),
    ...['n', 'cur', 'amt', 'amin', 'amax'].map((c) => `${alias}.${c}`),
    `${rateSql} AS rate`,
    `${alias}.weight`,
    ...shape.averages.map((_, i) => `${alias}.xs${i}, ${alias}.xn${i}`),
  ];
  return `SELECT ${columns.join(', ')} FROM (${source}) ${alias} ${where}`;
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
    'min(f.amin * f.rate)::text AS "min"',
    'max(f.amax * f.rate)::text AS "max"',
    'sum(f.amt * f.rate * f.weight / 100)::text AS "weighted"',
    'sum(f.amt) FILTER (WHERE f.rate IS NULL)::text AS "unconvertedAmount"',
    ...Array.from({ length: averageCount }, (_, i) => `sum(f.xs${i})::text AS "xs${i}", sum(f.xn${i})::text AS "xn${i}"`),
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
