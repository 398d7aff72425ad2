import { addBusinessMinutes, businessMinutesBetween, isValidTimeZone, type BusinessHours, type IsoWeekday, type OpenInterval } from '../src/kernel/time/business-time';

const HOUR = 60;
const hm = (text: string) => Number(text.slice(0, 2)) * 60 + Number(text.slice(3, 5));

/** The same hours on each of `weekdays`. */
function week(weekdays: IsoWeekday[], ...spans: Array<[string, string]>): OpenInterval[] {
  return weekdays.flatMap((weekday) => spans.map(([start, end]) => ({ weekday, start: hm(start), end: hm(end) })));
}

const WORKDAYS: IsoWeekday[] = [1, 2, 3, 4, 5];
const ALL_DAYS: IsoWeekday[] = [1, 2, 3, 4, 5, 6, 7];

const berlin: BusinessHours = { timeZone: 'Europe/Berlin', intervals: week(WORKDAYS, ['09:00', '17:00']), holidays: [] };
const newYork: BusinessHours = { timeZone: 'America/New_York', intervals: week(WORKDAYS, ['09:00', '17:00']), holidays: [] };
const berlinAllDay: BusinessHours = { timeZone: 'Europe/Berlin', intervals: week(ALL_DAYS, ['00:00', '24:00']), holidays: [] };

const at = (iso: string) => new Date(iso);
const add = (hours: BusinessHours, start: string, minutes: number) => addBusinessMinutes(hours, at(start), minutes).toISOString();

describe('addBusinessMinutes', () => {
  it('adds within one open interval', () => {
    expect(add(berlin, '2024-03-04T09:00:00Z', 60)).toBe('2024-03-04T10:00:00.000Z'); // Mon 10:00 → 11:00 CET
  });

  it('carries over night to the next opening', () => {
    expect(add(berlin, '2024-03-04T15:00:00Z', 2 * HOUR)).toBe('2024-03-05T09:00:00.000Z'); // Mon 16:00 → Tue 10:00
  });

  it('counts straight through midnight across a night shift split at 24:00', () => {
    const nights = { ...berlin, intervals: [...week([1], ['22:00', '24:00']), ...week([2], ['00:00', '06:00'])] };
    expect(add(nights, '2024-03-04T22:00:00Z', 2 * HOUR)).toBe('2024-03-05T00:00:00.000Z'); // Mon 23:00 CET → Tue 01:00
    expect(businessMinutesBetween(nights, at('2024-03-04T20:00:00Z'), at('2024-03-05T06:00:00Z'))).toBe(8 * HOUR); // the whole shift
  });

  it('skips the weekend', () => {
    expect(add(berlin, '2024-03-08T15:30:00Z', HOUR)).toBe('2024-03-11T08:30:00.000Z'); // Fri 16:30 → Mon 09:30
  });

  it('skips holidays, as whole local days', () => {
    const easter = { ...berlin, holidays: ['2024-03-29', '2024-04-01'] };
    // Thu 16:00 CET + 2 h: Good Friday, the weekend and Easter Monday are closed → Tue 10:00 CEST.
    expect(add(easter, '2024-03-28T15:00:00Z', 2 * HOUR)).toBe('2024-04-02T08:00:00.000Z');
  });

  it('keeps wall-clock hours across the Berlin DST changes', () => {
    expect(add(berlin, '2024-03-29T15:00:00Z', 2 * HOUR)).toBe('2024-04-01T08:00:00.000Z'); // Fri 16:00 CET → Mon 10:00 CEST
    expect(add(berlin, '2024-10-25T14:00:00Z', 2 * HOUR)).toBe('2024-10-28T09:00:00.000Z'); // Fri 16:00 CEST → Mon 10:00 CET
  });

  it('keeps wall-clock hours across the New York DST changes', () => {
    expect(add(newYork, '2024-03-08T21:00:00Z', 2 * HOUR)).toBe('2024-03-11T14:00:00.000Z'); // Fri 16:00 EST → Mon 10:00 EDT
    expect(add(newYork, '2024-11-01T20:00:00Z', 2 * HOUR)).toBe('2024-11-04T15:00:00.000Z'); // Fri 16:00 EDT → Mon 10:00 EST
  });

  it('counts real minutes on a round-the-clock calendar: a spring day has 23 h, an autumn day 25 h', () => {
    expect(add(berlinAllDay, '2024-03-30T11:00:00Z', 24 * HOUR)).toBe('2024-03-31T11:00:00.000Z'); // 12:00 CET → 13:00 CEST
    expect(businessMinutesBetween(berlinAllDay, at('2024-03-30T23:00:00Z'), at('2024-03-31T22:00:00Z'))).toBe(23 * HOUR);
    expect(businessMinutesBetween(berlinAllDay, at('2024-10-26T22:00:00Z'), at('2024-10-27T23:00:00Z'))).toBe(25 * HOUR);
  });

  it('starts counting at the next opening when it starts outside opening hours', () => {
    expect(add(berlin, '2024-03-04T06:00:00Z', 30)).toBe('2024-03-04T08:30:00.000Z'); // Mon 07:00 → 09:30
    expect(add(berlin, '2024-03-04T17:00:00Z', HOUR)).toBe('2024-03-05T09:00:00.000Z'); // Mon 18:00 → Tue 10:00
    expect(add(berlin, '2024-03-09T11:00:00Z', 0)).toBe('2024-03-11T08:00:00.000Z'); // Sat + 0 → Mon 09:00
  });

  it('ends exactly at a closing time rather than at the next opening', () => {
    expect(add(berlin, '2024-03-04T15:00:00Z', HOUR)).toBe('2024-03-04T16:00:00.000Z'); // Mon 16:00 + 1 h → 17:00
  });

  it('uses every interval of a day with a lunch break', () => {
    const lunch = { ...berlin, intervals: week(WORKDAYS, ['09:00', '12:00'], ['13:00', '17:00']) };
    expect(add(lunch, '2024-03-04T10:30:00Z', HOUR)).toBe('2024-03-04T12:30:00.000Z'); // 11:30 → 13:30
    expect(add(lunch, '2024-03-04T10:00:00Z', HOUR)).toBe('2024-03-04T11:00:00.000Z'); // 11:00 → 12:00 exactly
    expect(add(lunch, '2024-03-04T15:00:00Z', 5 * HOUR)).toBe('2024-03-05T13:00:00.000Z'); // Mon 16:00 + 1 h + Tue 3 h + 1 h → Tue 14:00
  });

  it('takes fractions of a minute', () => {
    expect(add(berlin, '2024-03-04T09:00:00Z', 0.5)).toBe('2024-03-04T09:00:30.000Z');
  });

  it('refuses a calendar that is never open', () => {
    const closed = { ...berlin, intervals: [] };
    expect(() => addBusinessMinutes(closed, at('2024-03-04T09:00:00Z'), 1)).toThrow(/no open time/);
  });

  it('moves an opening that falls into the spring-forward gap to after it', () => {
    const night = { timeZone: 'America/New_York', intervals: week([7], ['02:30', '04:00']), holidays: [] };
    // Sunday 2024-03-10: 02:30 does not exist in New York; the day opens at 03:30 EDT (07:30Z), closing 04:00 EDT.
    expect(add(night, '2024-03-10T05:00:00Z', 10)).toBe('2024-03-10T07:40:00.000Z');
  });
});

describe('businessMinutesBetween', () => {
  it('counts only open time', () => {
    expect(businessMinutesBetween(berlin, at('2024-03-08T15:00:00Z'), at('2024-03-11T09:00:00Z'))).toBe(2 * HOUR); // Fri 16:00 → Mon 10:00
    const lunch = { ...berlin, intervals: week(WORKDAYS, ['09:00', '12:00'], ['13:00', '17:00']) };
    expect(businessMinutesBetween(lunch, at('2024-03-04T10:00:00Z'), at('2024-03-04T13:00:00Z'))).toBe(2 * HOUR); // 11:00 → 14:00
  });

  it('is zero for an empty or reversed span and for closed time', () => {
    expect(businessMinutesBetween(berlin, at('2024-03-11T09:00:00Z'), at('2024-03-08T15:00:00Z'))).toBe(0);
    expect(businessMinutesBetween(berlin, at('2024-03-09T09:00:00Z'), at('2024-03-10T20:00:00Z'))).toBe(0); // weekend
    expect(businessMinutesBetween({ ...berlin, holidays: ['2024-03-04'] }, at('2024-03-04T08:00:00Z'), at('2024-03-04T16:00:00Z'))).toBe(0);
  });

  it('undoes addBusinessMinutes from any start, across weekends, holidays and DST', () => {
    const calendars = [berlin, newYork, { ...berlin, holidays: ['2024-03-29', '2024-04-01'] }];
    const starts = ['2024-03-08T12:34:00Z', '2024-03-09T03:00:00Z', '2024-03-29T15:00:00Z', '2024-10-25T18:00:00Z', '2024-11-01T20:00:00Z'];
    for (const hours of calendars) {
      for (const start of starts) {
        for (const minutes of [1, 75, 8 * HOUR, 3 * 8 * HOUR + 7]) {
          const due = addBusinessMinutes(hours, at(start), minutes);
          expect(businessMinutesBetween(hours, at(start), due)).toBeCloseTo(minutes, 6);
        }
      }
    }
  });
});

describe('isValidTimeZone', () => {
  it('knows IANA zones and refuses made-up ones', () => {
    expect(isValidTimeZone('Europe/Berlin')).toBe(true);
    expect(isValidTimeZone('America/New_York')).toBe(true);
    expect(isValidTimeZone('Mars/Olympus_Mons')).toBe(false);
    expect(isValidTimeZone('')).toBe(false);
  });
});
