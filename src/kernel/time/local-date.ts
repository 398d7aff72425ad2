/** Calendar dates as `YYYY-MM-DD` strings (the LocalDate scalar's form), computed without a library. */

const pad = (value: number, width = 2) => String(value).padStart(width, '0');

/** The date it is at `now` in `timeZone` (an IANA name the runtime knows). */
export function localDate(now: Date, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).formatToParts(now);
  const part = (type: string) => Number(parts.find((p) => p.type === type)!.value);
  return `${pad(part('year'), 4)}-${pad(part('month'))}-${pad(part('day'))}`;
}

export function addDays(date: string, days: number): string {
  const [year, month, day] = date.split('-').map(Number);
  const shifted = new Date(Date.UTC(year, month - 1, day + days));
  return `${pad(shifted.getUTCFullYear(), 4)}-${pad(shifted.getUTCMonth() + 1)}-${pad(shifted.getUTCDate())}`;
}

export function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

/**
 * The birthdays (month, day) celebrated on `date`: its own month and day, and on Feb 28 of a
 * year without Feb 29 also the birthdays of Feb 29.
 */
export function birthdaysCelebratedOn(date: string): Array<{ month: number; day: number }> {
  const [year, month, day] = date.split('-').map(Number);
  const days = [{ month, day }];
  if (month === 2 && day === 28 && !isLeapYear(year)) days.push({ month: 2, day: 29 });
  return days;
}
