import { badField } from '../../kernel/errors';
import { WEEKDAY_NUMBER, type BusinessCalendar, type OpeningInterval } from './business-calendar.entity';
import { canonicalTimeZone, type BusinessHours } from '../../kernel/time/business-time';

const START = /^([01]\d|2[0-3]):[0-5]\d$/;
const END = /^(([01]\d|2[0-3]):[0-5]\d|24:00)$/;

const minutesOf = (time: string) => Number(time.slice(0, 2)) * 60 + Number(time.slice(3, 5));

/** The zone in its canonical spelling (`europe/berlin` → `Europe/Berlin`), or bad input on `timeZone`. */
export function checkTimeZone(timeZone: string): string {
  const zone = canonicalTimeZone(timeZone.trim());
  if (!zone) throw badField('timeZone', `"${timeZone}" is not an IANA time zone such as Europe/Berlin`);
  return zone;
}

/**
 * Opening hours as stored: times well-formed, each interval ending after it starts, no two of
 * one weekday overlapping (touching is fine); sorted by weekday and start. Problems name the
 * interval, e.g. `openingHours.2.end`.
 */
export function checkOpeningHours(intervals: OpeningInterval[]): OpeningInterval[] {
  intervals.forEach((interval, i) => {
    if (!START.test(interval.start)) throw badField(`openingHours.${i}.start`, 'must be a time HH:MM from 00:00 to 23:59');
    if (!END.test(interval.end)) throw badField(`openingHours.${i}.end`, 'must be a time HH:MM from 00:01 to 24:00');
    if (minutesOf(interval.end) <= minutesOf(interval.start)) throw badField(`openingHours.${i}.end`, 'must be after start');
  });
  const indexed = intervals.map((interval, i) => ({ interval, i }));
  const sorted = indexed.sort(
    (a, b) => WEEKDAY_NUMBER[a.interval.weekday] - WEEKDAY_NUMBER[b.interval.weekday] || minutesOf(a.interval.start) - minutesOf(b.interval.start),
  );
  sorted.forEach(({ interval, i }, k) => {
    const previous = sorted[k - 1]?.interval;
    if (previous && previous.weekday === interval.weekday && minutesOf(interval.start) < minutesOf(previous.end)) {
      throw badField(`openingHours.${i}`, `overlaps ${previous.weekday} ${previous.start}–${previous.end}`);
    }
  });
  return sorted.map(({ interval }) => ({ weekday: interval.weekday, start: interval.start, end: interval.end }));
}

/** Distinct and ascending. */
export const normalizeHolidays = (dates: string[]): string[] => [...new Set(dates)].sort();

/** The arithmetic's view of a calendar. */
export function businessHoursOf(calendar: Pick<BusinessCalendar, 'timeZone' | 'openingHours' | 'holidays'>): BusinessHours {
  return {
    timeZone: calendar.timeZone,
    intervals: calendar.openingHours.map((interval) => ({
      weekday: WEEKDAY_NUMBER[interval.weekday],
      start: minutesOf(interval.start),
      end: minutesOf(interval.end),
    })),
    holidays: calendar.holidays,
  };
}

/** The clock of a policy without a calendar while the workspace has no default: every minute counts. */
export const ROUND_THE_CLOCK: BusinessHours = {
  timeZone: 'UTC',
  intervals: ([1, 2, 3, 4, 5, 6, 7] as const).map((weekday) => ({ weekday, start: 0, end: 24 * 60 })),
  holidays: [],
};
