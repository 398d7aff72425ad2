import { add, decimal, format, integerDigits, minorUnits, multiply, roundHalfUp, shift, subtract, ZERO } from '../../kernel/decimal';

/** What a line is computed from (decimal strings as the API takes them). */
export interface LinePricing {
  quantity: string;
  unitPrice: string;
  discountPercent: string;
}

export interface LineAmounts {
  subtotal: string;
  discountAmount: string;
  total: string;
}

export interface OrderTotals {
  subtotal: string;
  discountTotal: string;
  total: string;
}

/** The most integer digits an amount may have (the Decimal scalar's limit). */
export const MAX_INTEGER_DIGITS = 15;

/**
 * A line's amounts, exact: subtotal = round(q × p), total = round(q × p × (100 − d) / 100),
 * discount = subtotal − total, each rounded half up to the currency's minor units. Rounding the
 * two products and taking the difference keeps subtotal − discount = total on every line and so
 * in every sum.
 */
export function lineAmounts(line: LinePricing, currency: string): LineAmounts {
  const digits = minorUnits(currency);
  const gross = multiply(decimal(line.quantity), decimal(line.unitPrice));
  const subtotal = roundHalfUp(gross, digits);
  const total = roundHalfUp(shift(multiply(gross, subtract(decimal('100'), decimal(line.discountPercent))), 2), digits);
  return { subtotal: format(subtotal), discountAmount: format(subtract(subtotal, total)), total: format(total) };
}

/** The order's totals: sums of its lines' (already rounded) amounts; no lines sum to 0. */
export function orderTotals(lines: LineAmounts[], currency: string): OrderTotals {
  const digits = minorUnits(currency);
  const sum = (pick: (line: LineAmounts) => string) => format(roundHalfUp(lines.reduce((acc, line) => add(acc, decimal(pick(line))), ZERO), digits));
  return { subtotal: sum((l) => l.subtotal), discountTotal: sum((l) => l.discountAmount), total: sum((l) => l.total) };
}

/** True when an amount is too large to store and show (more than 15 integer digits). */
export const tooLarge = (amount: string): boolean => integerDigits(decimal(amount)) > MAX_INTEGER_DIGITS;
