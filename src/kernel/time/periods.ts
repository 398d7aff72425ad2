import { badField } from '../errors';

/**
 * Reporting periods: local-date ranges [start, end) in the workspace's time zone. Quarters and
 * years are fiscal: they start in the workspace's fiscal_year_start_month, and a fiscal year is
 * named by the calendar year it starts in (start month April: "2026" is 2026-04-01..2027-03-31,
 * "2026-Q1" is April to June 2026). With start month 1 they are calendar quarters and years.
 */
export interface Period {
  /** As parsed and as reports name it: `2026`, `2026-Q3`, `2026-07`, `2026-W05`. */
  label: string;
  unit: PeriodUnit;
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

/**
 * Parses `YYYY` (fiscal year), `YYYY-Qn` (fiscal quarter), `YYYY-MM` (month) or `YYYY-Www` (ISO
 * week); anything else is BAD_USER_INPUT naming `field`.
 */
export function parsePeriod(text: string, fiscalStartMonth: number, field = 'period'): Period {
  const fail = () => badField(field, `${field} must be a year (2026), fiscal quarter (2026-Q3), month (2026-07) or ISO week (2026-W05), not "${text}"`);
  const m = /^(\d{4})(?:-(Q[1-4]|W\d{2}|\d{2}))?$/.exec(text.trim());
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
