/**
 * Exact decimal arithmetic on strings for money, with BigInt underneath: a value is an integer
 * of `scale` fraction digits. Never a JS float, so 3 × 19.99 is 59.97 and a thousand lines sum
 * without drift.
 */
export interface Decimal {
  units: bigint;
  scale: number;
}

const DECIMAL_TEXT = /^(-?)(\d+)(?:\.(\d+))?$/;

export function decimal(text: string): Decimal {
  const match = DECIMAL_TEXT.exec(text);
  if (!match) throw new Error(`not a decimal: ${text}`);
  const fraction = match[3] ?? '';
  const units = BigInt(`${match[2]}${fraction}`);
  return { units: match[1] ? -units : units, scale: fraction.length };
}

const TEN = 10n;
const pow10 = (n: number): bigint => TEN ** BigInt(n);

function rescale(value: Decimal, scale: number): Decimal {
  return { units: value.units * pow10(scale - value.scale), scale };
}

export function add(a: Decimal, b: Decimal): Decimal {
  const scale = Math.max(a.scale, b.scale);
  return { units: rescale(a, scale).units + rescale(b, scale).units, scale };
}

export function subtract(a: Decimal, b: Decimal): Decimal {
  return add(a, { units: -b.units, scale: b.scale });
}

/** Whether two decimal texts are the same number (`1.50` and `1.5`). */
export function equalDecimals(a: string, b: string): boolean {
  return subtract(decimal(a), decimal(b)).units === 0n;
}

export function multiply(a: Decimal, b: Decimal): Decimal {
  return { units: a.units * b.units, scale: a.scale + b.scale };
}

/** Divides by 10^digits exactly (e.g. a percentage by 100). */
export function shift(value: Decimal, digits: number): Decimal {
  return { units: value.units, scale: value.scale + digits };
}

/** Rounds to `digits` fraction digits, half away from zero (commercial rounding: 0.005 → 0.01). */
export function roundHalfUp(value: Decimal, digits: number): Decimal {
  if (value.scale <= digits) return rescale(value, digits);
  const divisor = pow10(value.scale - digits);
  const magnitude = value.units < 0n ? -value.units : value.units;
  let quotient = magnitude / divisor;
  if ((magnitude % divisor) * 2n >= divisor) quotient += 1n;
  return { units: value.units < 0n ? -quotient : quotient, scale: digits };
}

/** a / b rounded half away from zero to `digits` fraction digits (a ratio such as attainment); b must not be zero. */
export function divide(a: Decimal, b: Decimal, digits: number): Decimal {
  if (b.units === 0n) throw new Error('division by zero');
  // a/b = (a.units / 10^a.scale) / (b.units / 10^b.scale); one extra digit decides the rounding.
  const numerator = a.units * pow10(b.scale + digits + 1);
  const denominator = b.units * pow10(a.scale);
  return roundHalfUp({ units: numerator / denominator, scale: digits + 1 }, digits);
}

/** Digits before the decimal point (0.5 has 1). */
export function integerDigits(value: Decimal): number {
  const magnitude = value.units < 0n ? -value.units : value.units;
  return Math.max(1, (magnitude / pow10(value.scale)).toString().length);
}

/** The exact text, with exactly `scale` fraction digits. */
export function format(value: Decimal): string {
  const negative = value.units < 0n;
  const digits = (negative ? -value.units : value.units).toString().padStart(value.scale + 1, '0');
  const cut = digits.length - value.scale;
  const text = value.scale > 0 ? `${digits.slice(0, cut)}.${digits.slice(cut)}` : digits;
  return negative ? `-${text}` : text;
}

export const ZERO: Decimal = { units: 0n, scale: 0 };

const minorUnitsByCurrency = new Map<string, number>();

/** How many fraction digits the currency's minor unit has (EUR 2, JPY 0, KWD 3), per ICU; asked once per currency (every order line needs it). */
export function minorUnits(currency: string): number {
  let digits = minorUnitsByCurrency.get(currency);
  if (digits === undefined) {
    digits = new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
    minorUnitsByCurrency.set(currency, digits);
  }
  return digits;
}
