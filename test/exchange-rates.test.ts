import { TestApp, errorCode, errorFields, type Session } from './support/test-app';

let t: TestApp;
let admin: Session;
let manager: Session;

beforeAll(async () => {
  t = await TestApp.start('exchange_rates');
  admin = await t.signUp();
  manager = await t.member(admin, 'MANAGER');
});
afterAll(() => t.stop());

const SET = `mutation($c: CurrencyCode!, $r: ExchangeRateValue!, $d: LocalDate!) { setExchangeRate(currency: $c, rate: $r, validFrom: $d) { currency baseCurrency rate validFrom } }`;
const rates = async (currency?: string) => (await t.ok(`query($c: CurrencyCode) { exchangeRates(currency: $c) { currency baseCurrency rate validFrom } }`, { c: currency }, manager)).exchangeRates;

test('rates are set per currency and date into the reporting currency, replaced for the same day, listed newest first', async () => {
  const base = (await t.ok(`{ workspace { defaultCurrency } }`, {}, admin)).workspace.defaultCurrency;
  await t.ok(SET, { c: 'USD', r: '0.9', d: '2026-01-01' }, admin);
  await t.ok(SET, { c: 'USD', r: '0.85', d: '2026-07-01' }, admin);
  const replaced = (await t.ok(SET, { c: 'USD', r: '0.851234567891', d: '2026-07-01' }, admin)).setExchangeRate;
  expect(replaced).toEqual({ currency: 'USD', baseCurrency: base, rate: '0.851234567891', validFrom: '2026-07-01' });
  await t.ok(SET, { c: 'JPY', r: '0.006123', d: '2026-03-01' }, admin);
  expect((await rates()).map((r: any) => `${r.currency} ${r.validFrom} ${r.rate}`)).toEqual([
    'JPY 2026-03-01 0.006123000000',
    'USD 2026-07-01 0.851234567891',
    'USD 2026-01-01 0.900000000000',
  ]);
  expect(await rates('JPY')).toHaveLength(1);
  expect((await t.ok(`mutation { deleteExchangeRate(currency: "USD", validFrom: "2026-07-01") }`, {}, admin)).deleteExchangeRate).toBe(true);
  expect((await rates('USD')).map((r: any) => r.validFrom)).toEqual(['2026-01-01']);
});

test('bad rates, the reporting currency itself and missing rates are refused naming the field; only admins set rates', async () => {
  const base = (await t.ok(`{ workspace { defaultCurrency } }`, {}, admin)).workspace.defaultCurrency;
  const zero = await t.gql(SET, { c: 'CHF', r: '0.000', d: '2026-01-01' }, admin);
  expect([errorCode(zero), errorFields(zero)]).toEqual(['BAD_USER_INPUT', ['rate']]);
  const negative = await t.gql(SET, { c: 'CHF', r: '-1', d: '2026-01-01' }, admin);
  expect(errorCode(negative)).toBe('BAD_USER_INPUT');
  const itself = await t.gql(SET, { c: base, r: '1', d: '2026-01-01' }, admin);
  expect([errorCode(itself), errorFields(itself)]).toEqual(['BAD_USER_INPUT', ['currency']]);
  const gone = await t.gql(`mutation { deleteExchangeRate(currency: "CHF", validFrom: "2020-01-01") }`, {}, admin);
  expect(errorCode(gone)).toBe('NOT_FOUND');
  expect(errorCode(await t.gql(SET, { c: 'CHF', r: '1.1', d: '2026-01-01' }, manager))).toBe('FORBIDDEN');
  expect(await rates('CHF')).toEqual([]);
});

test('the fiscal year start is a workspace setting between 1 and 12', async () => {
  const SETTINGS = `mutation($m: Int) { updateWorkspaceSettings(input: { fiscalYearStartMonth: $m }) { fiscalYearStartMonth } }`;
  expect((await t.ok(SETTINGS, { m: 4 }, admin)).updateWorkspaceSettings.fiscalYearStartMonth).toBe(4);
  const bad = await t.gql(SETTINGS, { m: 13 }, admin);
  expect([errorCode(bad), errorFields(bad)]).toEqual(['BAD_USER_INPUT', ['fiscalYearStartMonth']]);
  expect((await t.ok(`{ workspace { fiscalYearStartMonth } }`, {}, admin)).workspace.fiscalYearStartMonth).toBe(4);
});
