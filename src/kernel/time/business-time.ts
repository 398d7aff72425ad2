/**
 * Business-hours arithmetic in a calendar's IANA time zone, with Intl only. Opening hours are
 * wall-clock intervals per weekday; each day's intervals are turned into UTC instants for that
 * date, so a DST change simply makes the day's open time longer or shorter. A business minute
 * is a real minute that falls inside an open interval on a day that is not a holiday.
 */

/** ISO weekday numbers: 1 Monday … 7 Sunday. */
export type IsoWeekday = 1 | 2 | 3 | 4 | 5 | 6 | 7;

/** Open from `start` to `end`, in minutes after local midnight (end may be 1440, midnight after). */
export interface OpenInterval {
  weekday: IsoWeekday;
  start: number;
  end: number;
}

export interface BusinessHours {
  timeZone: string;
  intervals: readonly OpenInterval[];
  /** Whole local days closed, `YYYY-MM-DD`. */
  holidays: readonly string[];
}

const MINUTE_MS = 60_000;
const DAY_MS = 24 * 60 * MINUTE_MS;
/** How far ahead a search for open time goes before the calendar counts as never open. */
const MAX_DAYS = 3 * 366;

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let format = formatters.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, format);
  }
  return format;
}

/** The canonical spelling of a time zone Intl knows (IANA names such as `Europe/Berlin`, and `UTC`), or null. */
export function canonicalTimeZone(timeZone: string): string | null {
  try {
    return timeZone ? formatter(timeZone).resolvedOptions().timeZone : null;
  } catch {
    return null;
  }
}

export const isValidTimeZone = (timeZone: string): boolean => canonicalTimeZone(timeZone) !== null;

/** The wall clock at `ms` in the zone, as if it were a UTC time (ms since epoch). */
function wallClock(timeZone: string, ms: number): number {
  const parts = Object.fromEntries(formatter(timeZone).formatToParts(new Date(ms)).map((p) => [p.type, p.value]));
  const wall = Date.UTC(+parts.year, +parts.month - 1, +parts.day, +parts.hour, +parts.minute, +parts.second);
  return wall + (ms - Math.floor(ms / 1000) * 1000);
}

const offsetAt = (timeZone: string, ms: number) => wallClock(timeZone, ms) - ms;

/**
 * The instant a wall-clock time (given as UTC ms) happens in the zone. A time skipped by a DST
 * change (02:30 on a spring-forward night) moves forward by the gap; a repeated one (fall-back
 * night) takes the earlier of its two instants.
 */
function instantOf(timeZone: string, wall: number): number {
  const before = wall - offsetAt(timeZone, wall - DAY_MS / 2);
  if (wallClock(timeZone, before) === wall) return before;
  const after = wall - offsetAt(timeZone, wall + DAY_MS / 2);
  return wallClock(timeZone, after) === wall ? after : before;
}

/** Local midnight (as UTC ms of the wall date) of the day holding `ms`. */
function localDay(timeZone: string, ms: number): number {
  const wall = wallClock(timeZone, ms);
  return wall - (((wall % DAY_MS) + DAY_MS) % DAY_MS);
}

function isoWeekday(day: number): IsoWeekday {
  return (((new Date(day).getUTCDay() + 6) % 7) + 1) as IsoWeekday;
}

/** The open intervals of one local day (given as its wall midnight) as [from, to) instants, in order. */
function openSpans(hours: BusinessHours, day: number): Array<[number, number]> {
  if (hours.holidays.includes(new Date(day).toISOString().slice(0, 10))) return [];
  const weekday = isoWeekday(day);
  return hours.intervals
    .filter((interval) => interval.weekday === weekday)
    .sort((a, b) => a.start - b.start)
    .map((interval) => [instantOf(hours.timeZone, day + interval.start * MINUTE_MS), instantOf(hours.timeZone, day + interval.end * MINUTE_MS)]);
}

/**
 * The instant `minutes` business minutes after `start` (fractions allowed). From a closed
 * moment the count begins at the next opening; a sum that ends exactly at a closing time
 * returns that closing time.
 */
export function addBusinessMinutes(hours: BusinessHours, start: Date, minutes: number): Date {
  let remaining = minutes * MINUTE_MS;
  const from = start.getTime();
  let day = localDay(hours.timeZone, from);
  for (let i = 0; i < MAX_DAYS; i++, day += DAY_MS) {
    for (const [open, close] of openSpans(hours, day)) {
      if (close <= from) continue;
      const begin = Math.max(open, from);
      if (remaining <= close - begin) return new Date(begin + remaining);
      remaining -= close - begin;
    }
  }
  throw new Error(`calendar in ${hours.timeZone} has no open time within ${MAX_DAYS} days`);
}

/** Business minutes between two instants (0 when `to` is not after `from`). */
export function businessMinutesBetween(hours: BusinessHours, from: Date, to: Date): number {
  const start = from.getTime();
  const end = to.getTime();
  let total = 0;
  for (let day = localDay(hours.timeZone, start); day <= localDay(hours.timeZone, end) && end > start; day += DAY_MS) {
    for (const [open, close] of openSpans(hours, day)) {
      total += Math.max(0, Math.min(close, end) - Math.max(open, start));
    }
  }
  return total / MINUTE_MS;
}
