import { Client } from 'pg';
import { parsePeriod, periodLabelSql, periodOf, type PeriodUnit } from '../src/kernel/time/periods';
import { ADMIN_URL } from './support/databases';

test('fiscal years and quarters start in the fiscal start month and are named by the year they start in', () => {
  expect(parsePeriod('2026', 1)).toMatchObject({ unit: 'YEAR', start: '2026-01-01', end: '2027-01-01' });
  expect(parsePeriod('2026', 4)).toMatchObject({ start: '2026-04-01', end: '2027-04-01' });
  expect(parsePeriod('2026-Q1', 4)).toMatchObject({ unit: 'QUARTER', start: '2026-04-01', end: '2026-07-01' });
  expect(parsePeriod('2026-Q4', 4)).toMatchObject({ start: '2027-01-01', end: '2027-04-01' });
  expect(parsePeriod('2026-Q3', 1)).toMatchObject({ start: '2026-07-01', end: '2026-10-01' });
  expect(parsePeriod('2026-12', 4)).toMatchObject({ unit: 'MONTH', start: '2026-12-01', end: '2027-01-01' });
  expect(parsePeriod('2026-W01', 1)).toMatchObject({ unit: 'WEEK', start: '2025-12-29', end: '2026-01-05' });
  expect(parsePeriod('2026-W53', 1)).toMatchObject({ start: '2026-12-28', end: '2027-01-04' });
});

test('{ from, to } dates are a range with both days included', () => {
  expect(parsePeriod({ from: '2026-01-15', to: '2026-02-28' }, 4)).toEqual({ label: '2026-01-15..2026-02-28', unit: 'RANGE', start: '2026-01-15', end: '2026-03-01' });
  expect(parsePeriod({ from: '2026-12-31', to: '2026-12-31' }, 1).end).toBe('2027-01-01');
  const refused = (value: any) => {
    try {
      parsePeriod(value, 1, 'period');
    } catch (error: any) {
      return error.extensions.fields[0].field;
    }
    return null;
  };
  expect(refused({ from: '2026-02-30', to: '2026-03-01' })).toBe('period.from');
  expect(refused({ from: '2026-02-01', to: 'soon' })).toBe('period.to');
  expect(refused({ from: '2026-02-01', to: '2026-01-31' })).toBe('period.to');
});

test('a period that does not parse is BAD_USER_INPUT naming the field', () => {
  for (const text of ['2026-Q5', '2026-13', '26', '2025-W53', 'last quarter', '2026-00']) {
    let caught: any;
    try {
      parsePeriod(text, 1, 'forecast.period');
    } catch (error) {
      caught = error;
    }
    expect(caught?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(caught?.extensions?.fields?.[0]?.field).toBe('forecast.period');
  }
});

test('periodOf and the SQL labels agree on every day of three years, for every fiscal start', async () => {
  const client = new Client({ connectionString: ADMIN_URL });
  await client.connect();
  try {
    const units: PeriodUnit[] = ['WEEK', 'MONTH', 'QUARTER', 'YEAR'];
    for (const fiscal of [1, 2, 4, 7, 10, 12]) {
      const columns = units.map((unit) => `${periodLabelSql('d::date', unit, String(fiscal))} AS "${unit}"`).join(', ');
      const { rows } = await client.query(`SELECT to_char(d, 'YYYY-MM-DD') AS day, ${columns} FROM generate_series('2025-01-01'::date, '2027-12-31'::date, '1 day') d`);
      for (const row of rows) {
        for (const unit of units) {
          const period = periodOf(row.day, unit, fiscal);
          expect(`${row.day} ${unit} ${fiscal} ${row[unit]}`).toBe(`${row.day} ${unit} ${fiscal} ${period.label}`);
          expect(period.start <= row.day && row.day < period.end).toBe(true);
        }
      }
    }
  } finally {
    await client.end();
  }
});
