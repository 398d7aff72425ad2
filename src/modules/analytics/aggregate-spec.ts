import type { RequestContext } from '../../kernel/context';
import type { FilterSpec } from '../../kernel/filtering/compile-filter';
import type { NodeType } from '../../kernel/ids';

/**
 * What the aggregation core needs to know about one object (deals, tickets, activities, orders).
 * SQL fragments read the row as `r`, the workspace's report settings as `w` (`w.base` the
 * reporting currency, `w.tz` the time zone, `w.fs` the fiscal year start month, `w.today` the
 * local date) and whatever `joins` adds.
 */
export interface AggregateSpec<D extends string = string, M extends string = string> {
  /** The object's name in messages, e.g. "deal". */
  object: string;
  table: string;
  /** The list's own filter spec (from the owning module's face), so the filter means what it means on the list. */
  filter: FilterSpec<unknown>;
  /** Joins every row has exactly one partner in (e.g. a deal's stage `s`). */
  joins?: string;
  dimensions: Record<D, DimensionSpec>;
  measures: Record<M, MeasureSpec>;
  /** The money the money measures sum, converted into the reporting currency on `date`. */
  money?: MoneySpec;
}

export interface MoneySpec {
  amount: string;
  currency: string;
  /** The conversion date (an SQL date). */
  date: string;
  /** WEIGHTED: the percentage each converted amount is weighted by. */
  weightPercent?: string;
}

export interface DimensionSpec {
  /** SQL of the key's raw value (text, or null for "none"). */
  sql: string;
  /** A join that gives a row one partner per key (a deal in each of its owner's teams, one per tag): the total then counts each row once. */
  fanOut?: string;
  /** The key is a record of this type: its global id is shown, its label resolved by `labels`. */
  record?: NodeType;
  /** Labels (and sort keys) of record keys, read through the owning module's face. */
  labels?: (ctx: RequestContext, ids: string[]) => Promise<Map<string, KeyLabel>>;
  /** The values in their meaningful order (enums); otherwise keys sort by label. */
  order?: readonly string[];
}

export interface KeyLabel {
  label: string;
  /** Sorts before the label (a stage's position). */
  rank?: number;
}

/** How a measure is computed from the rows of a group. */
export type MeasureSpec =
  | { kind: 'count' }
  | { kind: 'sum' | 'avg' | 'min' | 'max' | 'weighted' }
  /** The average of an SQL number over the rows where it is not null, with `digits` fraction digits shown. */
  | { kind: 'average'; sql: string; digits: number };

export const isMoneyMeasure = (measure: MeasureSpec) => measure.kind !== 'count' && measure.kind !== 'average';
