import type { RequestContext } from '../../kernel/context';
import { add, decimal, format, minorUnits, roundHalfUp, subtract, ZERO, type Decimal } from '../../kernel/decimal';
import { encodeId } from '../../kernel/ids';
import type { CurrencyAmount } from '../../kernel/money/report-money';
import type { DimensionSpec, KeyLabel, MeasureSpec } from './aggregate-spec';
import type { AggregateGroupValue, AggregateKey } from './aggregate.types';

/** One row of groupsSql: a group's converted part (unconvertedCurrency null) or its amounts in one unconverted currency. */
export interface GroupRow {
  unconvertedCurrency: string | null;
  count: string;
  convertedCount: string;
  sum: string | null;
  min: string | null;
  max: string | null;
  weighted: string | null;
  unconvertedAmount: string | null;
  [column: string]: string | null;
}

interface Accumulator {
  keys: Array<string | null>;
  count: bigint;
  converted: bigint;
  sum: Decimal;
  min: Decimal | null;
  max: Decimal | null;
  weighted: Decimal;
  unconverted: Map<string, { amount: Decimal; count: bigint }>;
  averages: Array<{ sum: Decimal; count: bigint }>;
}

const orNull = (text: string | null | undefined) => (text == null ? null : decimal(text));
const lower = (a: Decimal | null, b: Decimal | null, sign: 1 | -1) =>
  a === null ? b : b === null ? a : subtract(b, a).units * BigInt(sign) < 0n ? b : a;

/** Sums group rows (exactly) per keys; with `keyCount` 0, everything into one total. */
export function accumulate(rows: GroupRow[], keyCount: number, averageCount: number): Accumulator[] {
  const groups = new Map<string, Accumulator>();
  for (const row of rows) {
    const keys = Array.from({ length: keyCount }, (_, i) => row[`k${i}`] ?? null);
    const id = JSON.stringify(keys);
    let group = groups.get(id);
    if (!group) {
      group = {
        keys,
        count: 0n,
        converted: 0n,
        sum: ZERO,
        min: null,
        max: null,
        weighted: ZERO,
        unconverted: new Map(),
        averages: Array.from({ length: averageCount }, () => ({ sum: ZERO, count: 0n })),
      };
      groups.set(id, group);
    }
    group.count += BigInt(row.count);
    group.converted += BigInt(row.convertedCount);
    group.sum = add(group.sum, orNull(row.sum) ?? ZERO);
    group.weighted = add(group.weighted, orNull(row.weighted) ?? ZERO);
    group.min = lower(group.min, orNull(row.min), 1);
    group.max = lower(group.max, orNull(row.max), -1);
    if (row.unconvertedCurrency !== null) {
      const part = group.unconverted.get(row.unconvertedCurrency) ?? { amount: ZERO, count: 0n };
      const count = BigInt(row.count);
      group.unconverted.set(row.unconvertedCurrency, { amount: add(part.amount, decimal(row.unconvertedAmount ?? '0')), count: part.count + count });
    }
    group.averages.forEach((average, i) => {
      average.sum = add(average.sum, orNull(row[`xs${i}`]) ?? ZERO);
      average.count += BigInt(row[`xn${i}`] ?? '0');
    });
  }
  return [...groups.values()];
}

/** `value` / `divisor`, rounded half up to `digits` fraction digits. */
export function quotient(value: Decimal, divisor: bigint, digits: number): Decimal {
  const numerator = value.units * 10n ** BigInt(digits);
  const denominator = divisor * 10n ** BigInt(value.scale);
  const magnitude = numerator < 0n ? -numerator : numerator;
  let q = magnitude / denominator;
  if ((magnitude % denominator) * 2n >= denominator) q += 1n;
  return { units: numerator < 0n ? -q : q, scale: digits };
}

/** The same value with trailing zeros cut down to `digits` fraction digits (50.0000 → 50.00; 50.1234 stays). */
function exact(value: Decimal, digits: number): Decimal {
  let { units, scale } = value;
  while (scale > digits && units % 10n === 0n) [units, scale] = [units / 10n, scale - 1];
  return scale < digits ? roundHalfUp({ units, scale }, digits) : { units, scale };
}

/** A requested measure: the group's field and how it is computed. */
export interface RequestedMeasure {
  field: string;
  spec: MeasureSpec;
  /** Index among the requested averages (kind 'average'). */
  average?: number;
}

/** The figures a group shows: requested measures set, the others null; amounts rounded to the reporting currency's minor units. */
export function figures(group: Accumulator, measures: RequestedMeasure[], currency: string): Pick<AggregateGroupValue, 'unconvertedCount' | 'unconverted'> & Record<string, unknown> {
  const digits = minorUnits(currency);
  const shown = (value: Decimal | null) => (value === null ? null : format(roundHalfUp(value, digits)));
  const values: Record<string, unknown> = {};
  for (const measure of measures) {
    const { spec } = measure;
    if (spec.kind === 'count') values[measure.field] = Number(group.count);
    else if (spec.kind === 'sum') values[measure.field] = shown(group.sum);
    else if (spec.kind === 'weighted') values[measure.field] = shown(group.weighted);
    else if (spec.kind === 'min') values[measure.field] = shown(group.min);
    else if (spec.kind === 'max') values[measure.field] = shown(group.max);
    else if (spec.kind === 'avg') values[measure.field] = group.converted === 0n ? null : format(quotient(group.sum, group.converted, digits));
    else if (spec.kind === 'average') {
      const average = group.averages[measure.average!];
      values[measure.field] = average.count === 0n ? null : format(quotient(average.sum, average.count, spec.digits));
    }
  }
  const unconverted: CurrencyAmount[] = [...group.unconverted.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([currency, part]) => ({ currency, amount: format(exact(part.amount, minorUnits(currency))), count: Number(part.count) }));
  return { ...values, unconvertedCount: unconverted.reduce((n, part) => n + part.count, 0), unconverted };
}

const NONE = '(none)';

/** Each key's id and label, record labels read through their modules' faces (one batch per dimension). */
export async function resolveKeys(
  ctx: RequestContext,
  dimensions: Array<{ name: string; spec: DimensionSpec }>,
  groups: Array<Array<string | null>>,
): Promise<Array<Map<string, KeyLabel>>> {
  return Promise.all(
    dimensions.map(({ spec }, i) => {
      const values = [...new Set(groups.map((keys) => keys[i]).filter((v): v is string => v !== null))];
      return spec.labels ? spec.labels(ctx, values) : Promise.resolve(new Map(values.map((v) => [v, { label: v }])));
    }),
  );
}

export function keyOf(name: string, spec: DimensionSpec, value: string | null, labels: Map<string, KeyLabel>): AggregateKey {
  return {
    dimension: name,
    value,
    id: value !== null && spec.record ? encodeId(spec.record, value) : null,
    label: value === null ? NONE : labels.get(value)?.label ?? value,
  };
}

const compareText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The group order: by the first key, then the next; per key: none last, enums in their order,
 * records by rank (a stage's position) then label, everything else by label; ties by raw value.
 */
export function compareKeys(specs: DimensionSpec[], labels: Array<Map<string, KeyLabel>>) {
  return (a: Array<string | null>, b: Array<string | null>): number => {
    for (let i = 0; i < specs.length; i++) {
      const [x, y] = [a[i], b[i]];
      if (x === y) continue;
      if (x === null) return 1;
      if (y === null) return -1;
      const order = specs[i].order;
      if (order && order.indexOf(x) !== order.indexOf(y)) return order.indexOf(x) - order.indexOf(y);
      const [lx, ly] = [labels[i].get(x), labels[i].get(y)];
      const rank = (lx?.rank ?? 0) - (ly?.rank ?? 0);
      if (rank !== 0) return rank;
      const byLabel = compareText(lx?.label ?? x, ly?.label ?? y);
      if (byLabel !== 0) return byLabel;
      return compareText(x, y);
    }
    return 0;
  };
}
