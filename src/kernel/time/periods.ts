import { GraphQLScalarType, valueFromASTUntyped } from 'graphql';
import { badField } from '../errors';

/**
 * Reporting periods: local-date ranges [start, end) in the workspace's time zone. Quarters and
 * years are fiscal: they start in the workspace's fiscal_year_start_month, and a fiscal year is
 * named by the calendar year it starts in (start month April: "2026" is 2026-04-01..2027-03-31,
 * "2026-Q1" is April to June 2026). With start month 1 they are calendar quarters and years.
 */
export interface Period {
  /** As parsed and as reports name it: `2026`, `2026-Q3`, `2026-07`, `2026-W05`, `2026-01-15..2026-02-14`. */
  label: string;
  /** RANGE: given as `{ from, to }` dates. */
  unit: PeriodUnit | 'RANGE';
  /** First local day (YYYY-MM-DD). */
  start: string;
  /** First local day after the period (exclusive). */
  end: string;
}

export type PeriodUnit = 'WEEK' | 'MONTH' | 'QUARTER' | 'YEAR';

const pad = (n: number, width = 2) => String(n).padStart(width, '0');
const ymd = (d: Date) => `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
const monthStart = (year: number, month0: number) => ymd(new Date(Date.UTC(year, month0, 1)));

/** The ISO week's Monday: week 1 holds the year's first Thursday. */
function isoWeekMonday(year: number, week: number): Date {
  const jan4 = new Date(Date.UTC(year, 0, 4));
  const monday = new Date(jan4.getTime() - ((jan4.getUTCDay() + 6) % 7) * 86_400_000);
  return new Date(monday.getTime() + (week - 1) * 7 * 86_400_000);
}

const isoWeeksIn = (year: number) => (isoWeekMonday(year + 1, 1).getTime() - isoWeekMonday(year, 1).getTime()) / (7 * 86_400_000);

/** A period as a client gives it: a label, or `{ from, to }` local dates, both included. */
export type PeriodValue = string | { from: string; to: string };

const LABEL = /^(\d{4})(?:-(Q[1-4]|W\d{2}|\d{2}))?$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const EXPECTED = 'a year (2026), fiscal quarter (2026-Q3), month (2026-07), ISO week (2026-W05) or { from, to } dates';

const isDate = (text: unknown): text is string => typeof text === 'string' && DATE.test(text) && ymd(new Date(`${text}T00:00:00Z`)) === text;

/**
 * Parses a period: `YYYY` (fiscal year), `YYYY-Qn` (fiscal quarter), `YYYY-MM` (month),
 * `YYYY-Www` (ISO week) or `{ from, to }` (local dates, both included); anything else is
 * BAD_USER_INPUT naming `field`.
 */
export function parsePeriod(value: PeriodValue, fiscalStartMonth: number, field = 'period'): Period {
  if (typeof value !== 'string') return parseRange(value, field);
  const fail = () => badField(field, `${field} must be ${EXPECTED}, not "${value}"`);
  const m = LABEL.exec(value.trim());
  if (!m) throw fail();
  const year = Number(m[1]);
  const part = m[2];
  const fs0 = fiscalStartMonth - 1;
  if (part === undefined) return { label: m[1], unit: 'YEAR', start: monthStart(year, fs0), end: monthStart(year + 1, fs0) };
  if (part.startsWith('Q')) {
    const q = Number(part[1]) - 1;
    return { label: `${year}-${part}`, unit: 'QUARTER', start: monthStart(year, fs0 + 3 * q), end: monthStart(year, fs0 + 3 * q + 3) };
  }
  if (part.startsWith('W')) {
    const week = Number(part.slice(1));
    if (week < 1 || week > isoWeeksIn(year)) throw fail();
    const monday = isoWeekMonday(year, week);
    return { label: `${year}-${part}`, unit: 'WEEK', start: ymd(monday), end: ymd(new Date(monday.getTime() + 7 * 86_400_000)) };
  }
  const month = Number(part);
  if (month < 1 || month > 12) throw fail();
  return { label: `${year}-${part}`, unit: 'MONTH', start: monthStart(year, month - 1), end: monthStart(year, month) };
}

function parseRange(value: { from: unknown; to: unknown }, field: string): Period {
  if (!isDate(value?.from)) throw badField(`${field}.from`, `${field}.from must be a date (YYYY-MM-DD)`);
  if (!isDate(value.to)) throw badField(`${field}.to`, `${field}.to must be a date (YYYY-MM-DD)`);
  if (value.to < value.from) throw badField(`${field}.to`, `${field}.to must not be before ${field}.from`);
  const end = ymd(new Date(Date.parse(`${value.to}T00:00:00Z`) + 86_400_000));
  return { label: `${value.from}..${value.to}`, unit: 'RANGE', start: value.from, end };
}

/** Checks a period's form (the fiscal start is applied later, by parsePeriod); the message names `period`. */
function checkedPeriod(value: unknown): PeriodValue {
  const period = typeof value === 'string' ? value : (value as { from: string; to: string });
  if (typeof period === 'string' ? LABEL.test(period.trim()) : period && typeof period === 'object') {
    parsePeriod(period, 1);
    return period;
  }
  throw new TypeError(`Period must be ${EXPECTED}; got ${JSON.stringify(value)}`);
}

/** `period` arguments: a label string or a `{ from, to }` object, as API.md's reports section has it. */
export const PeriodScalar = new GraphQLScalarType<PeriodValue, PeriodValue>({
  name: 'Period',
  description: `A reporting period in the workspace's time zone: ${EXPECTED} (both included). Quarters and years are fiscal (the workspace's fiscalYearStartMonth; a fiscal year is named by the calendar year it starts in).`,
  serialize: (value) => value as PeriodValue,
  parseValue: checkedPeriod,
  parseLiteral: (ast, variables) => checkedPeriod(valueFromASTUntyped(ast, variables)),
});

/** The period of `unit` holding the local date `date` (YYYY-MM-DD). */
export function periodOf(date: string, unit: PeriodUnit, fiscalStartMonth: number): Period {
  const [year, month] = date.split('-').map(Number);
  if (unit === 'MONTH') return parsePeriod(`${year}-${pad(month)}`, fiscalStartMonth);
  if (unit === 'WEEK') {
    const d = new Date(`${date}T00:00:00Z`);
    const thursday = new Date(d.getTime() + (3 - ((d.getUTCDay() + 6) % 7)) * 86_400_000);
    const weekYear = thursday.getUTCFullYear();
    const week = Math.floor((thursday.getTime() - isoWeekMonday(weekYear, 1).getTime()) / (7 * 86_400_000)) + 1;
    return parsePeriod(`${weekYear}-W${pad(week)}`, fiscalStartMonth);
  }
  const monthsIn = (month - fiscalStartMonth + 12) % 12;
  const fiscalYear = month >= fiscalStartMonth ? year : year - 1;
  if (unit === 'YEAR') return parsePeriod(String(fiscalYear), fiscalStartMonth);
  return parsePeriod(`${fiscalYear}-Q${Math.floor(monthsIn / 3) + 1}`, fiscalStartMonth);
}

/**
 * SQL for the label of the period of `unit` holding the local date `dateSql` (an SQL date
 * expression), matching parsePeriod's labels; `fiscalStartSql` is an SQL integer 1..12.
 */
export function periodLabelSql(dateSql: string, unit: PeriodUnit, fiscalStartSql: string): string {
  const shifted = `(${dateSql} - make_interval(months => ${fiscalStartSql} - 1))`;
  switch (unit) {
    case 'MONTH':
      return `to_char(${dateSql}, 'YYYY-MM')`;
    case 'WEEK':
      return `to_char(${dateSql}, 'IYYY-"W"IW')`;
    case 'QUARTER':
      return `to_char(${shifted}, 'YYYY-"Q"Q')`;
    case 'YEAR':
      return `to_char(${shifted}, 'YYYY')`;
  }
}

/** SQL for the local date of a timestamptz expression in the time zone `timeZoneSql`. */
export const localDateSql = (timestampSql: string, timeZoneSql: string) => `(${timestampSql} AT TIME ZONE ${timeZoneSql})::date`;
