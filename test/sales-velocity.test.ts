import type { Client } from 'pg';
import { parseId } from '../src/kernel/ids';
import { superuserClient } from './support/databases';
import { errorCode, errorFields, TestApp, type Session } from './support/test-app';

/**
 * dealVelocity to the cent. Workspace in Europe/Berlin, reporting currency EUR; USD has a rate
 * (0.9 from 2026-01-01, 0.8 from 2026-05-01), GBP none. Deals (created → closed, UTC):
 *   v1 WON  1000.00 EUR  03-01T10:00 → 04-10T10:00   40 days
 *   v2 WON   500.00 USD  05-05T12:00 → 05-15T12:00   10 days, 0.8 → 400.00
 *   v3 WON   300.00 GBP  05-01T00:00 → 06-01T00:00   31 days, no rate: apart
 *   v4 LOST  999.00 EUR  04-01T00:00 → 04-20T00:00
 *   v5 WON     1.01 EUR  closed 06-30T22:30Z: July 1 in Berlin, outside Q2
 *   v6 WON  2000.00 EUR  03-21T22:30 → 03-31T22:30Z: April 1 in Berlin, inside Q2; 10 days
 *   v7 WON  5000.00 EUR  closed in April, trashed: never counts
 *   v8 WON   333.35 USD  04-05T00:00 → 04-15T00:00   10 days, 0.9 → 300.015
 * Q2: won v1 v2 v3 v6 v8, lost v4. Converted 1000 + 400 + 2000 + 300.015 = 3700.015 → 3700.02;
 * average 3700.015 / 4 = 925.00375 → 925.00; cycle (40 + 10 + 31 + 10 + 10) / 5 = 20.2 days.
 */
let t: TestApp;
let admin: Session;
let sales: Session;
let superuser: Client;
const uuid = (id: string) => parseId(id)!.uuid;

const VELOCITY = `query($period: Period!, $by: VelocityGrouping, $p: ID) {
  dealVelocity(period: $period, by: $by, pipelineId: $p) {
    period periodStart periodEnd currency pipelineId by
    groups { key label owner { id } won lost winRate wonAmount averageDealSize convertedCount unconvertedCount unconverted { currency amount count } averageSalesCycleDays }
    total { key label won lost winRate wonAmount averageDealSize convertedCount unconvertedCount unconverted { currency amount count } averageSalesCycleDays }
  }
}`;

async function closedDeal(name: string, owner: Session, amount: string, currency: string, outcome: 'WON' | 'LOST', createdAt: string, closedAt: string, source: string | null = null): Promise<string> {
  const id = (
    await t.ok(
      `mutation($input: CreateDealInput!) { createDeal(input: $input) { id } }`,
      { input: { name, amount, currency, ownerId: owner.userId, source } },
      admin,
    )
  ).createDeal.id;
  if (outcome === 'WON') await t.ok(`mutation($id: ID!) { winDeal(id: $id) { id } }`, { id }, admin);
  else await t.ok(`mutation($id: ID!) { loseDeal(id: $id, reason: "price") { id } }`, { id }, admin);
  await superuser.query(`UPDATE deals SET created_at = $2, closed_at = $3 WHERE id = $1`, [uuid(id), createdAt, closedAt]);
  return id;
}

beforeAll(async () => {
  t = await TestApp.start('sales_velocity');
  admin = await t.signUp();
  sales = await t.member(admin, 'SALES');
  superuser = await superuserClient(t.database.name);
  await t.ok(`mutation { updateWorkspaceSettings(input: { timeZone: "Europe/Berlin" }) { id } }`, {}, admin);
  await superuser.query(
    `INSERT INTO exchange_rates (workspace_id, base, currency, valid_from, rate) VALUES ($1, 'EUR', 'USD', '2026-01-01', 0.9), ($1, 'EUR', 'USD', '2026-05-01', 0.8)`,
    [uuid(admin.workspaceId)],
  );
  await closedDeal('v1', admin, '1000.00', 'EUR', 'WON', '2026-03-01T10:00:00Z', '2026-04-10T10:00:00Z', 'webinar');
  await closedDeal('v2', sales, '500.00', 'USD', 'WON', '2026-05-05T12:00:00Z', '2026-05-15T12:00:00Z', 'referral');
  await closedDeal('v3', sales, '300.00', 'GBP', 'WON', '2026-05-01T00:00:00Z', '2026-06-01T00:00:00Z', 'referral');
  await closedDeal('v4', admin, '999.00', 'EUR', 'LOST', '2026-04-01T00:00:00Z', '2026-04-20T00:00:00Z');
  await closedDeal('v5', admin, '1.01', 'EUR', 'WON', '2026-06-01T00:00:00Z', '2026-06-30T22:30:00Z');
  await closedDeal('v6', admin, '2000.00', 'EUR', 'WON', '2026-03-21T22:30:00Z', '2026-03-31T22:30:00Z', 'webinar');
  const trashed = await closedDeal('v7', admin, '5000.00', 'EUR', 'WON', '2026-04-01T00:00:00Z', '2026-04-02T00:00:00Z');
  await t.ok(`mutation($id: ID!) { deleteDeal(id: $id) { id } }`, { id: trashed }, admin);
  await closedDeal('v8', sales, '333.35', 'USD', 'WON', '2026-04-05T00:00:00Z', '2026-04-15T00:00:00Z');
  // Open deals never count, whatever their amount.
  await t.ok(`mutation { createDeal(input: { name: "open", amount: "777" }) { id } }`, {}, admin);
});
afterAll(async () => {
  await superuser.end();
  await t.stop();
});

test('Q2 in Berlin: win rate, converted sum and average to the cent, the missing rate apart, sales cycle', async () => {
  const { dealVelocity } = await t.ok(VELOCITY, { period: '2026-Q2' }, sales);
  expect(dealVelocity).toMatchObject({ period: '2026-Q2', periodStart: '2026-04-01', periodEnd: '2026-07-01', currency: 'EUR', pipelineId: null, by: null, groups: [] });
  expect(dealVelocity.total).toEqual({
    key: null,
    label: 'Total',
    won: 5,
    lost: 1,
    winRate: 0.8333,
    wonAmount: '3700.02',
    averageDealSize: '925.00',
    convertedCount: 4,
    unconvertedCount: 1,
    unconverted: [{ currency: 'GBP', amount: '300.0000', count: 1 }],
    averageSalesCycleDays: 20.2,
  });
});

test('by close month, owner and source', async () => {
  const byMonth = (await t.ok(VELOCITY, { period: '2026-Q2', by: 'CLOSED_MONTH' }, admin)).dealVelocity;
  expect(byMonth.groups.map((g: Record<string, unknown>) => [g.key, g.won, g.lost, g.wonAmount, g.averageDealSize, g.unconvertedCount, g.averageSalesCycleDays])).toEqual([
    // April: v1 1000, v6 2000, v8 300.015 won, v4 lost.
    ['2026-04', 3, 1, '3300.02', '1100.01', 0, 20],
    ['2026-05', 1, 0, '400.00', '400.00', 0, 10],
    // June: only GBP, nothing converted.
    ['2026-06', 1, 0, '0.00', null, 1, 31],
  ]);
  const byOwner = (await t.ok(VELOCITY, { period: '2026-Q2', by: 'OWNER' }, admin)).dealVelocity;
  expect(byOwner.groups.map((g: Record<string, any>) => [g.label, g.owner.id, g.won, g.lost, g.winRate, g.wonAmount, g.unconverted])).toEqual([
    ['Ada Admin', admin.userId, 2, 1, 0.6667, '3000.00', []],
    ['SALES person', sales.userId, 3, 0, 1, '700.02', [{ currency: 'GBP', amount: '300.0000', count: 1 }]],
  ]);
  const bySource = (await t.ok(VELOCITY, { period: '2026-Q2', by: 'SOURCE' }, admin)).dealVelocity;
  expect(bySource.groups.map((g: Record<string, unknown>) => [g.key, g.label, g.won, g.lost])).toEqual([
    ['referral', 'referral', 2, 0],
    ['webinar', 'webinar', 2, 0],
    [null, 'No source', 1, 1],
  ]);
});

test('a month, a pipeline filter, and bad input naming its field', async () => {
  const july = (await t.ok(VELOCITY, { period: '2026-07' }, admin)).dealVelocity.total;
  expect([july.won, july.wonAmount, july.averageDealSize]).toEqual([1, '1.01', '1.01']);
  const april = (await t.ok(VELOCITY, { period: { from: '2026-04-01', to: '2026-04-30' } }, admin)).dealVelocity;
  expect([april.period, april.periodEnd, april.total.won, april.total.lost, april.total.wonAmount]).toEqual(['2026-04-01..2026-04-30', '2026-05-01', 3, 1, '3300.02']);
  const empty = (await t.ok(VELOCITY, { period: '2025' }, admin)).dealVelocity.total;
  expect(empty).toMatchObject({ won: 0, lost: 0, winRate: null, wonAmount: '0.00', averageDealSize: null, averageSalesCycleDays: null, unconverted: [] });
  const pipelineId = (await t.ok(`{ pipelines { edges { node { id } } } }`, {}, admin)).pipelines.edges[0].node.id;
  expect((await t.ok(VELOCITY, { period: '2026-Q2', p: pipelineId }, admin)).dealVelocity).toMatchObject({ pipelineId, total: { won: 5 } });
  const cases: Array<[Record<string, unknown>, string, string | null]> = [
    [{ period: '2026-Q5' }, 'BAD_USER_INPUT', 'period'],
    [{ period: { from: '2026-05-01', to: '2026-04-01' } }, 'BAD_USER_INPUT', 'period.to'],
    [{ period: '2026-04', by: 'CLOSED_QUARTER' }, 'BAD_USER_INPUT', 'by'],
    [{ period: '2026', p: 'pip_0123456789abcdef0123456789abcdef' }, 'NOT_FOUND', null],
    [{ period: '2026', p: admin.userId }, 'BAD_USER_INPUT', 'pipelineId'],
  ];
  for (const [variables, code, field] of cases) {
    const result = await t.gql(VELOCITY, variables, admin);
    expect([errorCode(result), field && errorFields(result)]).toEqual([code, field && [field]]);
  }
});
