import type { Client } from 'pg';
import { parseId } from '../src/kernel/ids';
import { superuserClient } from './support/databases';
import { TestApp, type Session } from './support/test-app';

/**
 * dealAggregate over hand-computed figures. Workspace: EUR, Europe/Berlin, fiscal year from
 * April. Rates to EUR: USD 0.9 from 2026-01-01 and 0.8 from 2026-03-15 (a change inside March),
 * none for GBP. Deals (created through the API, close times set by SQL, which the totals
 * triggers see like any write):
 *   D1 EUR 1000.00 open, Research (5 %), expected 2026-07-10, Ada, tags a b, web, account Acme
 *   D2 USD  500.00 open, Qualification (15 %), expected 2026-07-20, Sam, tag b, web, forecast COMMIT → today 0.8 = 400.00
 *   D3 USD  200.00 won 2026-03-10 12:00Z, Ada, fair, Acme, created 9 days before → 0.9 = 180.00
 *   D4 USD  300.00 won 2026-03-20 12:00Z, Sam, created 10 days before → 0.8 = 240.00
 *   D5 EUR   99.99 lost 2026-01-31 23:30Z = 2026-02-01 in Berlin
 *   D6 GBP   50.00 open, Qualification, no close date → unconverted
 *   D8 USD  100.00 won 2025-12-31 10:00Z, created a day before → no rate yet: unconverted
 *   D7 EUR   10.00 in the trash
 * Teams: North (Ada, Sam), South (Sam).
 */
let t: TestApp;
let admin: Session;
let sales: Session;
let superuser: Client;
let workspace: string;
let stages: Array<{ id: string; name: string; kind: string }>;
const ids: Record<string, string> = {};
const uuid = (id: string) => parseId(id)!.uuid;

const AGG = `query($groupBy: [DealDimension!], $measures: [DealMeasure!]!, $filter: DealFilter) {
  dealAggregate(groupBy: $groupBy, measures: $measures, filter: $filter) {
    currency
    groups { keys { dimension value id label } count sumAmount avgAmount minAmount maxAmount weightedAmount avgAgeDays unconvertedCount unconverted { currency amount count } }
    total { count sumAmount avgAmount minAmount maxAmount weightedAmount avgAgeDays unconvertedCount unconverted { currency amount count } }
  } }`;
const aggregate = async (groupBy: string[], measures: string[], filter?: unknown, who = admin) =>
  (await t.ok(AGG, { groupBy, measures, filter }, who)).dealAggregate;
/** The same request answered by a scan: an amount condition every deal meets keeps the planner off the totals. */
const scanned = (groupBy: string[], measures: string[], filter?: object) =>
  aggregate(groupBy, measures, { and: [{ amount: { gte: '0' } }, ...(filter ? [filter] : [])] });

const MONEY = ['COUNT', 'SUM_AMOUNT', 'AVG_AMOUNT', 'WEIGHTED_AMOUNT'];
const summary = (groups: Array<Record<string, any>>, fields = ['count', 'sumAmount']) =>
  groups.map((g) => [g.keys.map((k: { label: string }) => k.label).join(' / '), ...fields.map((f) => g[f])]);

async function deal(key: string, input: Record<string, unknown>) {
  const created = (await t.ok(`mutation($input: CreateDealInput!) { createDeal(input: $input) { id } }`, { input: { name: key, ...input } }, admin)).createDeal;
  ids[key] = created.id;
  return created.id as string;
}
const sql = (text: string, values: unknown[] = []) => superuser.query(text, values);

beforeAll(async () => {
  t = await TestApp.start('aggregates');
  admin = await t.signUp();
  sales = await t.member(admin, 'SALES');
  superuser = await superuserClient(t.database.name);
  workspace = uuid(admin.workspaceId);
  await t.ok(`mutation { updateWorkspaceSettings(input: { timeZone: "Europe/Berlin", fiscalYearStartMonth: 4 }) { id } }`, {}, admin);
  await sql(
    `INSERT INTO exchange_rates (workspace_id, base, currency, valid_from, rate) VALUES ($1, 'EUR', 'USD', '2026-01-01', 0.9), ($1, 'EUR', 'USD', '2026-03-15', 0.8)`,
    [workspace],
  );
  stages = (await t.ok(`{ pipelines { edges { node { stages { id name kind } } } } }`, {}, admin)).pipelines.edges[0].node.stages;
  const [research, qualification] = stages;
  const acme = (await t.ok(`mutation { createAccount(input: { name: "Acme", industry: "Software", country: "DE" }) { id } }`, {}, admin)).createAccount.id;
  const ada = admin.userId;
  const sam = sales.userId;
  await deal('D1', { amount: '1000.00', currency: 'EUR', stageId: research.id, expectedCloseDate: '2026-07-10', ownerId: ada, tags: ['a', 'b'], source: 'web', accountId: acme });
  await deal('D2', { amount: '500.00', currency: 'USD', stageId: qualification.id, expectedCloseDate: '2026-07-20', ownerId: sam, tags: ['b'], source: 'web' });
  await deal('D3', { amount: '200.00', currency: 'USD', ownerId: ada, source: 'fair', accountId: acme });
  await deal('D4', { amount: '300.00', currency: 'USD', ownerId: sam });
  await deal('D5', { amount: '99.99', currency: 'EUR' });
  await deal('D6', { amount: '50.00', currency: 'GBP', stageId: qualification.id });
  await deal('D7', { amount: '10.00', currency: 'EUR' });
  await deal('D8', { amount: '100.00', currency: 'USD' });
  for (const key of ['D3', 'D4', 'D8']) await t.ok(`mutation($id: ID!) { winDeal(id: $id) { id } }`, { id: ids[key] }, admin);
  await t.ok(`mutation($id: ID!) { loseDeal(id: $id, reason: "price") { id } }`, { id: ids.D5 }, admin);
  await t.ok(`mutation($id: ID!) { deleteDeal(id: $id) { id } }`, { id: ids.D7 }, admin);
  const times: Array<[string, string, string]> = [
    ['D3', '2026-03-01T12:00:00Z', '2026-03-10T12:00:00Z'],
    ['D4', '2026-03-10T12:00:00Z', '2026-03-20T12:00:00Z'],
    ['D5', '2026-01-01T00:00:00Z', '2026-01-31T23:30:00Z'],
    ['D8', '2025-12-30T10:00:00Z', '2025-12-31T10:00:00Z'],
  ];
  for (const [key, created, closed] of times) await sql(`UPDATE deals SET created_at = $2, closed_at = $3 WHERE id = $1`, [uuid(ids[key]), created, closed]);
  await sql(`UPDATE deals SET forecast_category = 'COMMIT' WHERE id = $1`, [uuid(ids.D2)]);
  const north = (await t.ok(`mutation { createTeam(input: { name: "North" }) { id } }`, {}, admin)).createTeam.id;
  const south = (await t.ok(`mutation { createTeam(input: { name: "South" }) { id } }`, {}, admin)).createTeam.id;
  for (const [team, user] of [[north, ada], [north, sam], [south, sam]]) {
    await t.ok(`mutation($team: ID!, $user: ID!) { addTeamMember(teamId: $team, userId: $user) { id } }`, { team, user }, admin);
  }
});
afterAll(async () => {
  await superuser.end();
  await t.stop();
});

test('the total: every live deal counted, converted amounts summed to the cent, the unconverted reported apart per currency', async () => {
  const result = await aggregate([], [...MONEY, 'MIN_AMOUNT', 'MAX_AMOUNT']);
  expect(result.currency).toBe('EUR');
  expect(result.groups).toEqual([]);
  expect(result.total).toEqual({
    count: 7,
    sumAmount: '1919.99',
    avgAmount: '384.00',
    minAmount: '99.99',
    maxAmount: '1000.00',
    weightedAmount: '530.00',
    avgAgeDays: null,
    unconvertedCount: 2,
    unconverted: [
      { currency: 'GBP', amount: '50.00', count: 1 },
      { currency: 'USD', amount: '100.00', count: 1 },
    ],
  });
});

test('by stage, in pipeline order, with ids, names and weighted amounts; totals path equals the scan', async () => {
  const result = await aggregate(['STAGE'], MONEY);
  expect(summary(result.groups, ['count', 'sumAmount', 'weightedAmount', 'unconvertedCount'])).toEqual([
    ['Research', 1, '1000.00', '50.00', 0],
    ['Qualification', 2, '400.00', '60.00', 1],
    ['Won', 3, '420.00', '420.00', 1],
    ['Lost', 1, '99.99', '0.00', 0],
  ]);
  expect(result.groups[0].keys[0]).toEqual({ dimension: 'STAGE', value: uuid(stages[0].id), id: stages[0].id, label: 'Research' });
  expect(result.groups[1].unconverted).toEqual([{ currency: 'GBP', amount: '50.00', count: 1 }]);
  expect(await scanned(['STAGE'], MONEY)).toEqual(result);
});

test('close month, fiscal quarter and year in the workspace time zone (a deal closed 23:30 UTC on 31 January is February in Berlin)', async () => {
  expect(summary((await aggregate(['CLOSE_MONTH'], MONEY)).groups)).toEqual([
    ['2025-12', 1, '0.00'],
    ['2026-02', 1, '99.99'],
    ['2026-03', 2, '420.00'],
    ['2026-07', 2, '1400.00'],
    ['(none)', 1, '0.00'],
  ]);
  expect(summary((await aggregate(['CLOSE_QUARTER'], MONEY)).groups)).toEqual([
    ['2025-Q3', 1, '0.00'],
    ['2025-Q4', 3, '519.99'],
    ['2026-Q2', 2, '1400.00'],
    ['(none)', 1, '0.00'],
  ]);
  expect(summary((await aggregate(['CLOSE_YEAR'], MONEY)).groups)).toEqual([
    ['2025', 4, '519.99'],
    ['2026', 2, '1400.00'],
    ['(none)', 1, '0.00'],
  ]);
  for (const d of ['CLOSE_MONTH', 'CLOSE_QUARTER', 'CLOSE_YEAR']) expect(await scanned([d], MONEY)).toEqual(await aggregate([d], MONEY));
});

test('status, forecast category, owner and team (a deal in each of its owner’s teams, the total once)', async () => {
  expect(summary((await aggregate(['STATUS'], MONEY)).groups)).toEqual([
    ['OPEN', 3, '1400.00'],
    ['WON', 3, '420.00'],
    ['LOST', 1, '99.99'],
  ]);
  expect(summary((await aggregate(['FORECAST_CATEGORY'], MONEY)).groups)).toEqual([
    ['PIPELINE', 2, '1000.00'],
    ['COMMIT', 1, '400.00'],
    ['CLOSED', 3, '420.00'],
    ['OMITTED', 1, '99.99'],
  ]);
  const owners = await aggregate(['OWNER'], MONEY);
  expect(summary(owners.groups)).toEqual([
    ['Ada Admin', 2, '1180.00'],
    ['SALES person', 2, '640.00'],
    ['(none)', 3, '99.99'],
  ]);
  expect(owners.groups[0].keys[0].id).toBe(admin.userId);
  const teams = await aggregate(['TEAM'], MONEY);
  expect(summary(teams.groups)).toEqual([
    ['North', 4, '1820.00'],
    ['South', 2, '640.00'],
    ['(none)', 3, '99.99'],
  ]);
  expect(teams.total).toMatchObject({ count: 7, sumAmount: '1919.99' });
  for (const d of [['STATUS'], ['FORECAST_CATEGORY'], ['OWNER'], ['TEAM'], ['TEAM', 'STATUS', 'CLOSE_QUARTER']]) {
    expect(await scanned(d, MONEY)).toEqual(await aggregate(d, MONEY));
  }
});

test('account industry and country, source and tag (one group per tag, the total once)', async () => {
  expect(summary((await aggregate(['ACCOUNT_INDUSTRY', 'ACCOUNT_COUNTRY'], MONEY)).groups)).toEqual([
    ['Software / DE', 2, '1180.00'],
    ['(none) / (none)', 5, '739.99'],
  ]);
  expect(summary((await aggregate(['SOURCE'], MONEY)).groups)).toEqual([
    ['fair', 1, '180.00'],
    ['web', 2, '1400.00'],
    ['(none)', 4, '339.99'],
  ]);
  const tags = await aggregate(['TAG'], MONEY);
  expect(summary(tags.groups)).toEqual([
    ['a', 1, '1000.00'],
    ['b', 2, '1400.00'],
    ['(none)', 5, '519.99'],
  ]);
  expect(tags.total).toMatchObject({ count: 7, sumAmount: '1919.99' });
});

test('min, max and average age (created → closed, or now when open) with the list filter', async () => {
  const won = await aggregate(['OWNER'], ['COUNT', 'MIN_AMOUNT', 'MAX_AMOUNT', 'AVG_AGE_DAYS', 'AVG_AMOUNT'], { status: { eq: 'WON' } });
  expect(summary(won.groups, ['count', 'minAmount', 'maxAmount', 'avgAgeDays', 'avgAmount'])).toEqual([
    ['Ada Admin', 1, '180.00', '180.00', '9.00', '180.00'],
    ['SALES person', 1, '240.00', '240.00', '10.00', '240.00'],
    ['(none)', 1, null, null, '1.00', null],
  ]);
  expect(won.total).toMatchObject({ count: 3, avgAgeDays: '6.67', avgAmount: '210.00', sumAmount: null });
});

test('a filter with the list’s semantics, on both paths; three dimensions at once', async () => {
  const filter = { or: [{ currency: { eq: 'USD' } }, { status: { eq: 'LOST' } }], not: { ownerId: { eq: sales.userId } } };
  const result = await aggregate(['STATUS'], MONEY, filter);
  expect(summary(result.groups)).toEqual([
    ['WON', 2, '180.00'],
    ['LOST', 1, '99.99'],
  ]);
  expect(await scanned(['STATUS'], MONEY, filter)).toEqual(result);
  const three = await aggregate(['PIPELINE', 'STATUS', 'CLOSE_YEAR'], ['COUNT']);
  expect(three.groups.map((g: any) => g.keys.map((k: any) => k.label))).toEqual([
    ['Sales', 'OPEN', '2026'],
    ['Sales', 'OPEN', '(none)'],
    ['Sales', 'WON', '2025'],
    ['Sales', 'LOST', '2025'],
  ]);
});

test('soft-deleted deals never count; restored, they count again', async () => {
  const count = async () => (await aggregate([], ['COUNT', 'SUM_AMOUNT'])).total;
  expect(await count()).toMatchObject({ count: 7, sumAmount: '1919.99' });
  await t.ok(`mutation($id: ID!) { restoreDeal(id: $id) { id } }`, { id: ids.D7 }, admin);
  expect(await count()).toMatchObject({ count: 8, sumAmount: '1929.99' });
  expect((await scanned([], ['COUNT', 'SUM_AMOUNT'])).total).toMatchObject({ count: 8, sumAmount: '1929.99' });
  await t.ok(`mutation($id: ID!) { deleteDeal(id: $id) { id } }`, { id: ids.D7 }, admin);
  expect(await count()).toMatchObject({ count: 7, sumAmount: '1919.99' });
});

test('bad input names the field', async () => {
  const code = async (vars: Record<string, unknown>) => {
    const result = await t.gql(AGG, { measures: ['COUNT'], ...vars }, admin);
    return [result.errors?.[0].extensions?.code, (result.errors?.[0].extensions?.fields as Array<{ field: string }>)?.[0]?.field];
  };
  expect(await code({ groupBy: ['STAGE', 'STAGE'] })).toEqual(['BAD_USER_INPUT', 'groupBy']);
  expect(await code({ groupBy: ['STAGE', 'OWNER', 'STATUS', 'TAG'] })).toEqual(['BAD_USER_INPUT', 'groupBy']);
  expect(await code({ measures: [] })).toEqual(['BAD_USER_INPUT', 'measures']);
  expect(await code({ filter: { ownerId: { eq: 'acc_00000000000000000000000000000000' } } })).toEqual(['BAD_USER_INPUT', 'filter.ownerId.eq']);
});
