import { add, decimal, divide, format, minorUnits, roundHalfUp, ZERO, type Decimal } from '../../kernel/decimal';
import type { CurrencyAmount } from '../../kernel/money/report-money';
import { ForecastCategory } from '../pipelines';
import type { ForecastGroup } from './forecast-groups';
import type { ForecastFigures } from './forecast.types';

/** Digits of an attainment ratio (0.8523 = 85.23 %). */
const ATTAINMENT_DIGITS = 4;

/** Exact running sums of forecast groups; rounded only when turned into figures. */
export class FiguresSum {
  private readonly byCategory = new Map<ForecastCategory, Decimal>();
  private weighted = ZERO;
  private deals = 0;
  private readonly unconverted = new Map<string, { amount: Decimal; count: number }>();

  add(group: ForecastGroup): this {
    this.deals += group.deals;
    if (group.converted === null) {
      const apart = this.unconverted.get(group.currency) ?? { amount: ZERO, count: 0 };
      this.unconverted.set(group.currency, { amount: add(apart.amount, decimal(group.amount)), count: apart.count + group.deals });
      return this;
    }
    this.byCategory.set(group.category, add(this.byCategory.get(group.category) ?? ZERO, decimal(group.converted)));
    if (group.weighted !== null) this.weighted = add(this.weighted, decimal(group.weighted));
    return this;
  }

  addAll(groups: Iterable<ForecastGroup>): this {
    for (const group of groups) this.add(group);
    return this;
  }

  /** The figures in `currency`, with `quota` (exact, or null) and the attainment it gives. */
  figures(currency: string, quota: Decimal | null): ForecastFigures {
    const digits = minorUnits(currency);
    const shown = (value: Decimal) => format(roundHalfUp(value, digits));
    const category = (name: ForecastCategory) => this.byCategory.get(name) ?? ZERO;
    const closed = category(ForecastCategory.CLOSED);
    const unconverted: CurrencyAmount[] = [...this.unconverted.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([code, apart]) => ({ currency: code, amount: format(apart.amount), count: apart.count }));
    return {
      pipeline: shown(category(ForecastCategory.PIPELINE)),
      bestCase: shown(category(ForecastCategory.BEST_CASE)),
      commit: shown(category(ForecastCategory.COMMIT)),
      closed: shown(closed),
      omitted: shown(category(ForecastCategory.OMITTED)),
      weighted: shown(this.weighted),
      deals: this.deals,
      unconvertedCount: unconverted.reduce((n, apart) => n + apart.count, 0),
      unconverted,
      quota: quota === null ? null : shown(quota),
      attainment: quota === null || quota.units === 0n ? null : format(divide(closed, quota, ATTAINMENT_DIGITS)),
    };
  }
}

/** The exact sum of the quotas of `members` that have one; null when none has. */
export function quotaOf(quotas: ReadonlyMap<string, Decimal>, members: Iterable<string>): Decimal | null {
  let sum: Decimal | null = null;
  for (const member of members) {
    const quota = quotas.get(member);
    if (quota) sum = add(sum ?? ZERO, quota);
  }
  return sum;
}
