import type { Client } from 'pg';
import { parseId } from '../src/kernel/ids';
import { superuserClient } from './support/databases';
import { TestApp, type Session } from './support/test-app';

/** ticketAggregate, activityAggregate and orderAggregate: the deal aggregate's core with each list's filter. */
let t: TestApp;
let admin: Session;
let superuser: Client;
let account: string;
const uuid = (id: string) => parseId(id)!.uuid;
const labels = (groups: Array<{ keys: Array<{ label: string }> }>) => groups.map((g) => g.keys.map((k) => k.label).join(' / '));

beforeAll(async () => {
  t = await TestApp.start('record_aggregates');
  admin = await t.signUp();
  superuser = await superuserClient(t.database.name);
  account = (await t.ok(`mutation { createAccount(input: { name: "Acme" }) { id } }`, {}, admin)).createAccount.id;
});
afterAll(async () => {
  await superuser.end();
  await t.stop();
});

test('orders: totals converted at the order date’s rate, one without a rate apart; by month and quarter', async () => {
  await superuser.query(`INSERT INTO exchange_rates (workspace_id, base, currency, valid_from, rate) VALUES ($1, 'EUR', 'USD', '2026-01-01', 0.9)`, [uuid(admin.workspaceId)]);
  const product = async (sku: string, price: string, currency: string) =>
    (await t.ok(`mutation($input: CreateProductInput!) { createProduct(input: $input) { id } }`, { input: { sku, name: sku, price, currency } }, admin)).createProduct.id;
  const eur = await product('P-EUR', '100.00', 'EUR');
  const usd = await product('P-USD', '10.00', 'USD');
  const order = (number: string, currency: string, orderDate: string, productId: string, quantity: string) =>
    t.ok(`mutation($input: CreateOrderInput!) { createOrder(input: $input) { id total } }`, { input: { number, accountId: account, currency, orderDate, lines: [{ productId, quantity }] } }, admin);
  await order('O1', 'EUR', '2026-02-10', eur, '2');
  await order('O2', 'USD', '2026-03-05', usd, '5');
  await order('O3', 'USD', '2025-12-20', usd, '1');
  const query = `query($groupBy: [OrderDimension!]) { orderAggregate(groupBy: $groupBy, measures: [COUNT, SUM_TOTAL, AVG_TOTAL, MAX_TOTAL]) {
    currency groups { keys { label } count sumTotal unconvertedCount unconverted { currency amount count } }
    total { count sumTotal avgTotal maxTotal unconvertedCount unconverted { currency amount count } } } }`;
  const byMonth = (await t.ok(query, { groupBy: ['MONTH'] }, admin)).orderAggregate;
  expect(byMonth.currency).toBe('EUR');
  expect(byMonth.groups.map((g: any) => [g.keys[0].label, g.count, g.sumTotal, g.unconvertedCount])).toEqual([
    ['2025-12', 1, '0.00', 1],
    ['2026-02', 1, '200.00', 0],
    ['2026-03', 1, '45.00', 0],
  ]);
  expect(byMonth.total).toEqual({ count: 3, sumTotal: '245.00', avgTotal: '122.50', maxTotal: '200.00', unconvertedCount: 1, unconverted: [{ currency: 'USD', amount: '10.00', count: 1 }] });
  const byQuarter = (await t.ok(query, { groupBy: ['QUARTER', 'ACCOUNT'] }, admin)).orderAggregate;
  expect(labels(byQuarter.groups)).toEqual(['2025-Q4 / Acme', '2026-Q1 / Acme']);
  const usdOnly = await t.ok(`{ orderAggregate(filter: { currency: { eq: "USD" } }, measures: [SUM_TOTAL]) { total { count sumTotal } } }`, {}, admin);
  expect(usdOnly.orderAggregate.total).toEqual({ count: null, sumTotal: '45.00' });
});

test('tickets: average first-response and resolution hours per priority, urgent first', async () => {
  const ticket = async (subject: string, priority: string, category: string) =>
    (await t.ok(`mutation($input: CreateTicketInput!) { createTicket(input: $input) { id } }`, { input: { subject, priority, category } }, admin)).createTicket.id;
  const times: Array<[string, string | null, string | null]> = [
    [await ticket('T1', 'URGENT', 'PROBLEM'), '2026-05-01T10:00:00Z', '2026-05-01T18:00:00Z'],
    [await ticket('T2', 'NORMAL', 'QUESTION'), null, null],
    [await ticket('T3', 'URGENT', 'QUESTION'), '2026-05-01T12:30:00Z', null],
  ];
  for (const [id, responded, resolved] of times) {
    await superuser.query(`UPDATE tickets SET created_at = '2026-05-01T08:00:00Z', first_response_at = $2, resolved_at = $3 WHERE id = $1`, [uuid(id), responded, resolved]);
  }
  const result = await t.ok(
    `{ ticketAggregate(groupBy: [PRIORITY], measures: [COUNT, AVG_FIRST_RESPONSE_HOURS, AVG_RESOLUTION_HOURS]) {
      groups { keys { label } count avgFirstResponseHours avgResolutionHours } total { count avgFirstResponseHours } } }`,
    {},
    admin,
  );
  expect(result.ticketAggregate.groups.map((g: any) => [g.keys[0].label, g.count, g.avgFirstResponseHours, g.avgResolutionHours])).toEqual([
    ['URGENT', 2, '3.25', '10.00'],
    ['NORMAL', 1, null, null],
  ]);
  expect(result.ticketAggregate.total).toEqual({ count: 3, avgFirstResponseHours: '3.25' });
  const byMonth = await t.ok(`{ ticketAggregate(groupBy: [CREATED_MONTH, CATEGORY], measures: [COUNT], filter: { priority: { eq: URGENT } }) { groups { keys { label } count } } }`, {}, admin);
  expect(byMonth.ticketAggregate.groups.map((g: any) => [labels([g])[0], g.count])).toEqual([
    ['2026-05 / QUESTION', 1],
    ['2026-05 / PROBLEM', 1],
  ]);
});

test('activities: count and average duration per type and owner', async () => {
  const activity = (input: Record<string, unknown>) =>
    t.ok(`mutation($input: CreateActivityInput!) { createActivity(input: $input) { id } }`, { input: { accountId: account, subject: 'x', ...input } }, admin);
  await activity({ type: 'CALL', durationMinutes: 30 });
  await activity({ type: 'CALL', durationMinutes: 15 });
  await activity({ type: 'NOTE' });
  await activity({ type: 'TASK', dueAt: '2026-06-01T09:00:00Z' });
  const result = await t.ok(
    `{ activityAggregate(groupBy: [TYPE, OWNER], measures: [COUNT, AVG_DURATION_MINUTES]) { groups { keys { dimension label } count avgDurationMinutes } total { count avgDurationMinutes } } }`,
    {},
    admin,
  );
  expect(result.activityAggregate.groups.map((g: any) => [labels([g])[0], g.count, g.avgDurationMinutes])).toEqual([
    ['CALL / Ada Admin', 2, '22.50'],
    ['NOTE / Ada Admin', 1, null],
    ['TASK / Ada Admin', 1, null],
  ]);
  expect(result.activityAggregate.total).toEqual({ count: 4, avgDurationMinutes: '22.50' });
  const bad = await t.gql(`{ activityAggregate(groupBy: [TYPE, TYPE], measures: [COUNT]) { total { count } } }`, {}, admin);
  expect(bad.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
});
