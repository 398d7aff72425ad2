import { randomBytes } from 'node:crypto';
import { Queue } from 'bullmq';
import type { Client } from 'pg';
import { parseId } from '../src/kernel/ids';
import { createLogger } from '../src/kernel/logger';
import { producerConnection } from '../src/kernel/queue';
import { snapshotAllWorkspaces } from '../src/modules/forecast';
import { startWorkers } from '../workers/start-workers';
import { superuserClient } from './support/databases';
import { TestApp, errorCode, errorFields, type Session } from './support/test-app';
import { waitFor } from './support/wait';

/**
 * The forecast, hand-computed to the cent. Workspace: EUR, Europe/Berlin, fiscal year from April
 * (set by SQL), so "2026-Q1" is April to June 2026. Rates (EUR per unit): USD 0.9 from
 * 2026-01-01, 0.8 from 2026-06-15 (open deals convert at today's rate, 0.8); CHF none.
 * Hierarchy: Rolf and Rita report to Mia, Rudi to Rolf; Otto reports to no one.
 */
let t: TestApp;
let admin: Session;
let superuser: Client;
let workspace: string;
const uuid = (id: string) => parseId(id)!.uuid;

interface Person {
  session: Session;
  userId: string;
  memberId: string;
}
const people: Record<string, Person> = {};
const stage: Record<string, string> = {};
const deal: Record<string, string> = {};

const FIGURES = 'pipeline bestCase commit closed omitted weighted deals unconvertedCount unconverted { currency amount count } quota attainment';
const FORECAST = `query($period: Period!, $by: ForecastGrouping) { forecast(period: $period, by: $by) {
  period startDate endDate by currency total { ${FIGURES} } rows { id name ${FIGURES} rollup { ${FIGURES} } } } }`;

const forecast = (who: Session | string, by = 'OWNER', period: unknown = '2026-Q1') => t.gql(FORECAST, { period, by }, who);
const okForecast = async (who: Session | string, by = 'OWNER', period: unknown = '2026-Q1') => {
  const result = await forecast(who, by, period);
  if (result.errors) throw new Error(JSON.stringify(result.errors));
  return result.data!.forecast;
};

/** Figures with the defaults of a row that has none of them. */
const figures = (given: Record<string, unknown>) => ({
  pipeline: '0.00',
  bestCase: '0.00',
  commit: '0.00',
  closed: '0.00',
  omitted: '0.00',
  weighted: '0.00',
  deals: 0,
  unconvertedCount: 0,
  unconverted: [],
  quota: null,
  attainment: null,
  ...given,
});
const CHF_APART = { unconvertedCount: 1, unconverted: [{ currency: 'CHF', amount: '500.0000', count: 1 }] };

// Own figures per owner (see each deal below).
const MIA = figures({ pipeline: '1000.00', commit: '1600.00', weighted: '1250.00', deals: 3, ...CHF_APART, quota: '10000.00', attainment: '0.0000' });
const ROLF = figures({ commit: '3000.00', closed: '1350.00', weighted: '150.00', deals: 2, quota: '5000.00', attainment: '0.2700' });
const RITA = figures({ bestCase: '600.00', closed: '250.50', omitted: '1200.00', weighted: '700.00', deals: 4 });
const RUDI = figures({ pipeline: '987.66', closed: '80.00', weighted: '296.30', deals: 2, quota: '1000.00', attainment: '0.0800' });
const OTTO = figures({ pipeline: '700.00', weighted: '35.00', deals: 1 });
const NOBODY = figures({ pipeline: '100.00', weighted: '5.00', deals: 1 });
// Rolf + Rudi: pipeline 987.656, weighted 150 + 296.2968, attainment 1430 / 6000 = 0.23833…
const ROLF_ROLLUP = figures({ pipeline: '987.66', commit: '3000.00', closed: '1430.00', weighted: '446.30', deals: 4, quota: '6000.00', attainment: '0.2383' });
// Mia + Rolf + Rita + Rudi: weighted 1250 + 150 + 700 + 296.2968, attainment 1680.50 / 16000 = 0.10503…
const MIA_ROLLUP = figures({
  pipeline: '1987.66',
  bestCase: '600.00',
  commit: '4600.00',
  closed: '1680.50',
  omitted: '1200.00',
  weighted: '2396.30',
  deals: 11,
  ...CHF_APART,
  quota: '16000.00',
  attainment: '0.1050',
});
// Everyone: pipeline 2787.656, weighted 2436.2968; quota of every member.
const TOTAL = figures({
  pipeline: '2787.66',
  bestCase: '600.00',
  commit: '4600.00',
  closed: '1680.50',
  omitted: '1200.00',
  weighted: '2436.30',
  deals: 13,
  ...CHF_APART,
  quota: '16000.00',
  attainment: '0.1050',
});

async function addPerson(name: string, role = 'SALES'): Promise<Person> {
  const email = `${name.toLowerCase().replace(/\W/g, '')}.${Date.now()}@example.com`;
  const added = await t.ok(`mutation($input: AddMemberInput!) { addMember(input: $input) { id user { id } } }`, { input: { email, role, name, password: 'correct horse battery' } }, admin);
  const signedIn = await t.ok(
    `mutation($input: SignInInput!) { signIn(input: $input) { token refreshToken } }`,
    { input: { email, password: 'correct horse battery', workspaceId: admin.workspaceId } },
  );
  const userId = added.addMember.user.id;
  return { session: { ...signedIn.signIn, userId, workspaceId: admin.workspaceId, email }, userId, memberId: added.addMember.id };
}

async function createDeal(key: string, input: Record<string, unknown>): Promise<string> {
  const created = await t.ok(`mutation($input: CreateDealInput!) { createDeal(input: $input) { id } }`, { input }, admin);
  return (deal[key] = created.createDeal.id);
}

const closeAt = (id: string, at: string) => superuser.query(`UPDATE deals SET closed_at = $2 WHERE id = $1`, [uuid(id), at]);

beforeAll(async () => {
  t = await TestApp.start('forecast');
  admin = await t.signUp('Forecasting');
  superuser = await superuserClient(t.database.name);
  workspace = uuid(admin.workspaceId);
  await superuser.query(`UPDATE workspaces SET time_zone = 'Europe/Berlin', fiscal_year_start_month = 4 WHERE id = $1`, [workspace]);
  await superuser.query(
    `INSERT INTO exchange_rates (workspace_id, base, currency, valid_from, rate) VALUES ($1, 'EUR', 'USD', '2026-01-01', 0.9), ($1, 'EUR', 'USD', '2026-06-15', 0.8)`,
    [workspace],
  );
  for (const [key, name] of [
    ['mia', 'Mia Manager'],
    ['rolf', 'Rolf Report'],
    ['rita', 'Rita Report'],
    ['rudi', 'Rudi Subreport'],
    ['otto', 'Otto Outsider'],
  ]) {
    people[key] = await addPerson(name);
  }
  const manage = `mutation($m: ID!, $boss: ID) { setMemberManager(memberId: $m, managerId: $boss) { id } }`;
  await t.ok(manage, { m: people.rolf.memberId, boss: people.mia.userId }, admin);
  await t.ok(manage, { m: people.rita.memberId, boss: people.mia.userId }, admin);
  await t.ok(manage, { m: people.rudi.memberId, boss: people.rolf.userId }, admin);

  const stages = (await t.ok(`{ pipelines { edges { node { stages { id name } } } } }`, {}, admin)).pipelines.edges[0].node.stages;
  for (const s of stages) stage[s.name] = s.id;
  const setCategory = `mutation($id: ID!, $c: ForecastCategory) { updateStage(id: $id, input: { forecastCategory: $c }) { id } }`;
  await t.ok(setCategory, { id: stage['Negotiation / contract'], c: 'COMMIT' }, admin);
  await t.ok(setCategory, { id: stage.Proposal, c: 'BEST_CASE' }, admin);

  const inQuarter = (owner: string | null, amount: string, currency: string, stageName: string, extra: Record<string, unknown> = {}) => ({
    name: `${owner ?? 'nobody'} ${amount} ${currency}`,
    ownerId: owner && people[owner].userId,
    amount,
    currency,
    stageId: stage[stageName],
    expectedCloseDate: '2026-05-20',
    ...extra,
  });
  // Mia: pipeline 1000 (5 % → 50); commit 2000 USD × 0.8 = 1600 (75 % → 1200); 500 CHF without a rate.
  await createDeal('d1', inQuarter('mia', '1000.00', 'EUR', 'Research'));
  await createDeal('d2', inQuarter('mia', '2000.00', 'USD', 'Negotiation / contract'));
  await createDeal('d3', inQuarter('mia', '500.00', 'CHF', 'Proposal'));
  // Rolf: commit by override 3000 (5 % → 150); won 1500 USD on 2026-06-10 at 0.9 = 1350.
  await createDeal('d4', inQuarter('rolf', '3000.00', 'EUR', 'Research', { forecastCategory: 'COMMIT' }));
  await createDeal('d5', inQuarter('rolf', '1500.00', 'USD', 'Research'));
  // Rita: omitted by override 800 (50 % → 400), best case 600 (50 % → 300), lost 400; won 250.50 on
  // 2026-03-31 22:30 UTC = 2026-04-01 00:30 in Berlin (in the quarter); won 999.99 on 2026-06-30
  // 23:30 UTC = 2026-07-01 01:30 in Berlin (the next quarter).
  await createDeal('d6', inQuarter('rita', '800.00', 'EUR', 'Proposal', { forecastCategory: 'OMITTED' }));
  await createDeal('d16', inQuarter('rita', '600.00', 'EUR', 'Proposal'));
  await createDeal('d7', inQuarter('rita', '400.00', 'EUR', 'Research'));
  await createDeal('d9', inQuarter('rita', '250.50', 'EUR', 'Research'));
  await createDeal('d8', inQuarter('rita', '999.99', 'EUR', 'Research'));
  // Rudi: 1234.57 USD × 0.8 = 987.656 (30 % → 296.2968); won 100 USD on 2026-06-20 at 0.8 = 80.
  await createDeal('d10', inQuarter('rudi', '1234.57', 'USD', 'Needs analysis'));
  await createDeal('d11', inQuarter('rudi', '100.00', 'USD', 'Research'));
  // Otto 700 (5 % → 35); no owner 100 (5 % → 5).
  await createDeal('d12', inQuarter('otto', '700.00', 'EUR', 'Research'));
  await createDeal('d13', inQuarter(null, '100.00', 'EUR', 'Research'));
  // Not in the quarter: expected after it, and one in the trash.
  await createDeal('d14', inQuarter('mia', '5000.00', 'EUR', 'Research', { expectedCloseDate: '2026-07-01' }));
  await createDeal('d15', inQuarter('mia', '999.00', 'EUR', 'Research'));
  await t.ok(`mutation($id: ID!) { deleteDeal(id: $id) { id } }`, { id: deal.d15 }, admin);

  for (const key of ['d5', 'd9', 'd8', 'd11']) await t.ok(`mutation($id: ID!) { winDeal(id: $id) { id } }`, { id: deal[key] }, admin);
  await t.ok(`mutation($id: ID!) { loseDeal(id: $id, reason: "price") { id } }`, { id: deal.d7 }, admin);
  await closeAt(deal.d5, '2026-06-10T10:00:00Z');
  await closeAt(deal.d9, '2026-03-31T22:30:00Z');
  await closeAt(deal.d8, '2026-06-30T23:30:00Z');
  await closeAt(deal.d11, '2026-06-20T12:00:00Z');
  await closeAt(deal.d7, '2026-05-05T09:00:00Z');

  const quota = `mutation($m: ID!, $a: Decimal!) { setQuota(memberId: $m, period: "2026-Q1", amount: $a) { id } }`;
  await t.ok(quota, { m: people.mia.memberId, a: '9000.00' }, admin);
  await t.ok(quota, { m: people.mia.memberId, a: '10000.00' }, admin);
  await t.ok(quota, { m: people.rolf.memberId, a: '5000.00' }, admin);
  await t.ok(quota, { m: people.rudi.memberId, a: '1000.00' }, admin);
});
afterAll(async () => {
  await superuser.end();
  await t.stop();
});

const row = (key: string | null, own: Record<string, unknown>, rollup: Record<string, unknown> | null = own) =>
  key === null ? { id: null, name: null, ...own, rollup: null } : { id: people[key].userId, name: NAMES[key], ...own, rollup };
const NAMES: Record<string, string> = { mia: 'Mia Manager', rolf: 'Rolf Report', rita: 'Rita Report', rudi: 'Rudi Subreport', otto: 'Otto Outsider' };

describe('forecast by owner', () => {
  test('every owner’s figures, roll-ups and the total, to the cent, in the fiscal quarter of the workspace time zone', async () => {
    const result = await okForecast(admin);
    expect(result).toMatchObject({ period: '2026-Q1', startDate: '2026-04-01', endDate: '2026-06-30', by: 'OWNER', currency: 'EUR' });
    expect(result.rows).toEqual([
      row('mia', MIA, MIA_ROLLUP),
      row('otto', OTTO),
      row('rita', RITA),
      row('rolf', ROLF, ROLF_ROLLUP),
      row('rudi', RUDI),
      row(null, NOBODY),
    ]);
    expect(result.total).toEqual(TOTAL);
  });

  test('a period given as { from, to } dates covers the same days', async () => {
    const range = await okForecast(admin, 'OWNER', { from: '2026-04-01', to: '2026-06-30' });
    expect(range).toMatchObject({ period: '2026-04-01..2026-06-30', startDate: '2026-04-01', endDate: '2026-06-30' });
    // No quota is set for a range of dates.
    expect(range.total).toEqual({ ...TOTAL, quota: null, attainment: null });
  });

  test('the deal won at 23:30 UTC on the quarter’s last day counts in the next quarter (Berlin: 1 July)', async () => {
    const next = await okForecast(admin, 'OWNER', '2026-Q2');
    expect(next.total).toMatchObject({ closed: '999.99', deals: 2 }); // and d14, expected 1 July
    expect(next.rows.find((r: { id: string }) => r.id === people.rita.userId)).toMatchObject({ closed: '999.99', deals: 1 });
  });

  test('a manager who is SALES sees their own row and their reports’ (further down too); a report only theirs and below', async () => {
    const mia = await okForecast(people.mia.session);
    expect(mia.rows).toEqual([row('mia', MIA, MIA_ROLLUP), row('rita', RITA), row('rolf', ROLF, ROLF_ROLLUP), row('rudi', RUDI)]);
    expect(mia.total).toEqual({ ...MIA_ROLLUP });
    const rolf = await okForecast(people.rolf.session);
    expect(rolf.rows).toEqual([row('rolf', ROLF, ROLF_ROLLUP), row('rudi', RUDI)]);
    expect(rolf.total).toEqual(ROLF_ROLLUP);
    expect((await okForecast(people.otto.session)).rows).toEqual([row('otto', OTTO)]);
    const readOnly = await t.member(admin, 'READ_ONLY');
    expect(await okForecast(readOnly)).toMatchObject({ rows: [], total: figures({}) });
  });

  test('MANAGER and an API key with reports:read see every row; a key without it is refused', async () => {
    const manager = await t.member(admin, 'MANAGER');
    expect((await okForecast(manager)).total).toEqual(TOTAL);
    const key = async (scopes: string[]) =>
      (await t.ok(`mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { token } }`, { input: { name: scopes.join(' ') || 'none', scopes } }, admin)).createApiKey.token;
    const reporting = await okForecast(await key(['reports:read']), 'TEAM');
    expect(reporting.total).toEqual(TOTAL);
    expect(errorCode(await forecast(await key(['crm:read'])))).toBe('FORBIDDEN');
  });
});

describe('forecast by team and pipeline', () => {
  beforeAll(async () => {
    const team = async (name: string, members: string[]) => {
      const id = (await t.ok(`mutation($name: String!) { createTeam(input: { name: $name }) { id } }`, { name }, admin)).createTeam.id;
      for (const m of members) await t.ok(`mutation($t: ID!, $u: ID!) { addTeamMember(teamId: $t, userId: $u) { id } }`, { t: id, u: people[m].userId }, admin);
      return id;
    };
    await team('North', ['mia', 'rolf']);
    await team('South', ['rolf', 'rudi']);
  });

  test('a team sums its members’ deals and quotas (Rolf counts in both); owners in no team make the row without id; the total counts each deal once', async () => {
    const result = await okForecast(admin, 'TEAM');
    const [north, south, none] = result.rows;
    expect(north).toMatchObject({ name: 'North', ...figures({ pipeline: '1000.00', commit: '4600.00', closed: '1350.00', weighted: '1400.00', deals: 5, ...CHF_APART, quota: '15000.00', attainment: '0.0900' }), rollup: null });
    expect(north.id).toMatch(/^team_/);
    expect(south).toMatchObject({ name: 'South', ...figures({ pipeline: '987.66', commit: '3000.00', closed: '1430.00', weighted: '446.30', deals: 4, quota: '6000.00', attainment: '0.2383' }) });
    // Rita, Otto and the deal without owner.
    expect(none).toEqual({ id: null, name: null, ...figures({ pipeline: '800.00', bestCase: '600.00', closed: '250.50', omitted: '1200.00', weighted: '740.00', deals: 6 }), rollup: null });
    expect(result.total).toEqual(TOTAL);
  });

  test('by pipeline: one row, no quota', async () => {
    const result = await okForecast(admin, 'PIPELINE');
    expect(result.rows).toEqual([{ id: expect.stringMatching(/^pip_/), name: 'Sales', ...TOTAL, quota: null, attainment: null, rollup: null }]);
  });

  test('only ADMIN, MANAGER and API keys see a team or pipeline whole', async () => {
    for (const by of ['TEAM', 'PIPELINE']) expect(errorCode(await forecast(people.mia.session, by))).toBe('FORBIDDEN');
  });
});

describe('forecast categories', () => {
  const CATEGORY = `query($id: ID!) { deal(id: $id) { forecastCategory stage { forecastCategory } } }`;

  test('a deal shows its effective category: its override, else its stage’s; won CLOSED, lost OMITTED', async () => {
    const of = async (key: string) => (await t.ok(CATEGORY, { id: deal[key] }, admin)).deal;
    expect(await of('d1')).toEqual({ forecastCategory: 'PIPELINE', stage: { forecastCategory: 'PIPELINE' } });
    expect(await of('d2')).toEqual({ forecastCategory: 'COMMIT', stage: { forecastCategory: 'COMMIT' } });
    expect(await of('d6')).toEqual({ forecastCategory: 'OMITTED', stage: { forecastCategory: 'BEST_CASE' } });
    expect(await of('d5')).toEqual({ forecastCategory: 'CLOSED', stage: { forecastCategory: 'CLOSED' } });
    expect(await of('d7')).toEqual({ forecastCategory: 'OMITTED', stage: { forecastCategory: 'OMITTED' } });
  });

  test('setting and clearing the override is in the record events; CLOSED is refused on create, update and upsert', async () => {
    const d = await createDeal('cat', { name: 'Categorised', expectedCloseDate: '2027-01-10' });
    await t.ok(`mutation($id: ID!) { updateDeal(id: $id, input: { forecastCategory: BEST_CASE }) { id } }`, { id: d }, admin);
    await t.ok(`mutation($id: ID!) { updateDeal(id: $id, input: { forecastCategory: null }) { forecastCategory } }`, { id: d }, admin);
    const events = (await t.ok(`query($r: ID!) { recordEvents(recordId: $r, first: 10) { edges { node { type changed after } } } }`, { r: d }, admin)).recordEvents.edges.map(
      (e: any) => e.node,
    );
    const updates = events.filter((e: any) => e.type === 'deal.updated');
    expect(updates.map((e: any) => [e.changed.includes('forecastCategory'), e.after.forecastCategory])).toEqual(
      expect.arrayContaining([
        [true, 'BEST_CASE'],
        [true, null],
      ]),
    );

    const update = await t.gql(`mutation($id: ID!) { updateDeal(id: $id, input: { forecastCategory: CLOSED }) { id } }`, { id: d }, admin);
    expect(errorCode(update)).toBe('BAD_USER_INPUT');
    expect(errorFields(update)).toEqual(['forecastCategory']);
    const create = await t.gql(`mutation { createDeal(input: { name: "X", forecastCategory: CLOSED }) { id } }`, {}, admin);
    expect(errorFields(create)).toEqual(['forecastCategory']);
    const upserted = await t.ok(
      `mutation { upsertDeals(inputs: [{ name: "U1", externalRef: { system: "erp", id: "U1" }, forecastCategory: COMMIT },
        { name: "U2", externalRef: { system: "erp", id: "U2" }, forecastCategory: CLOSED }]) { created failed items { deal { forecastCategory } error { code fields { field } } } } }`,
      {},
      admin,
    );
    expect(upserted.upsertDeals).toMatchObject({ created: 1, failed: 1 });
    expect(upserted.upsertDeals.items[0].deal.forecastCategory).toBe('COMMIT');
    expect(upserted.upsertDeals.items[1].error.code).toBe('BAD_USER_INPUT');
    expect(upserted.upsertDeals.items[1].error.fields[0].field).toMatch(/forecastCategory$/);
  });

  test('a stage’s category must fit its kind: WON only CLOSED, LOST only OMITTED, OPEN never CLOSED; null brings back the default', async () => {
    const update = (name: string, c: string | null) =>
      t.gql(`mutation($id: ID!, $c: ForecastCategory) { updateStage(id: $id, input: { forecastCategory: $c }) { forecastCategory } }`, { id: stage[name], c }, admin);
    for (const [name, c] of [
      ['Won', 'COMMIT'],
      ['Lost', 'PIPELINE'],
      ['Research', 'CLOSED'],
    ]) {
      const refused = await update(name, c);
      expect(errorCode(refused)).toBe('BAD_USER_INPUT');
      expect(errorFields(refused)).toEqual(['forecastCategory']);
    }
    expect((await update('Won', 'CLOSED')).data!.updateStage.forecastCategory).toBe('CLOSED');
    expect((await update('Research', 'OMITTED')).data!.updateStage.forecastCategory).toBe('OMITTED');
    expect((await update('Research', null)).data!.updateStage.forecastCategory).toBe('PIPELINE');
    const created = await t.gql(
      `mutation { createPipeline(input: { name: "P", stages: [{ name: "O", probability: 10, kind: OPEN, forecastCategory: CLOSED },
        { name: "W", probability: 100, kind: WON }, { name: "L", probability: 0, kind: LOST }] }) { id } }`,
      {},
      admin,
    );
    expect(errorFields(created)).toEqual(['stages.0.forecastCategory']);
    const pipelineId = (await t.ok(`{ pipelines { edges { node { id } } } }`, {}, admin)).pipelines.edges[0].node.id;
    const addStage = await t.gql(`mutation($p: ID!) { addStage(pipelineId: $p, input: { name: "Late", probability: 90, kind: OPEN, forecastCategory: CLOSED }) { id } }`, { p: pipelineId }, admin);
    expect(errorFields(addStage)).toEqual(['forecastCategory']);
  });
});

describe('quotas', () => {
  test('setQuota replaces the member’s quota for the period; quotas lists what the caller may see; deleteQuota removes it', async () => {
    const list = async (who: Session, period = '2026-Q1') =>
      (await t.ok(`query($p: Period!) { quotas(period: $p) { period amount currency member { id } } }`, { p: period }, who)).quotas;
    expect(await list(admin)).toEqual([
      { period: '2026-Q1', amount: '10000.00', currency: 'EUR', member: { id: people.mia.memberId } },
      { period: '2026-Q1', amount: '5000.00', currency: 'EUR', member: { id: people.rolf.memberId } },
      { period: '2026-Q1', amount: '1000.00', currency: 'EUR', member: { id: people.rudi.memberId } },
    ]);
    expect((await list(people.rolf.session)).map((q: any) => q.member.id)).toEqual([people.rolf.memberId, people.rudi.memberId]);
    expect(await list(people.otto.session)).toEqual([]);

    const set = `mutation($m: ID!, $p: Period!, $a: Decimal!) { setQuota(memberId: $m, period: $p, amount: $a) { period amount } }`;
    expect((await t.ok(set, { m: people.otto.memberId, p: '2026-07', a: '12.50' }, admin)).setQuota).toEqual({ period: '2026-07', amount: '12.50' });
    const removed = await t.ok(`mutation($m: ID!) { deleteQuota(memberId: $m, period: "2026-07") { amount } }`, { m: people.otto.memberId }, admin);
    expect(removed.deleteQuota.amount).toBe('12.50');
    expect(await list(admin, '2026-07')).toEqual([]);
    expect(errorCode(await t.gql(`mutation($m: ID!) { deleteQuota(memberId: $m, period: "2026-07") { amount } }`, { m: people.otto.memberId }, admin))).toBe('NOT_FOUND');
  });

  test('bad input names the field; SALES may not set quotas', async () => {
    const set = (m: string, p: unknown, a: string, who: Session = admin) =>
      t.gql(`mutation($m: ID!, $period: Period!, $a: Decimal!) { setQuota(memberId: $m, period: $period, amount: $a) { id } }`, { m, period: p, a }, who);
    for (const [result, field] of [
      [await set(people.otto.memberId, '2026-Q5', '1'), 'period'],
      [await set(people.otto.memberId, '2026-W05', '1'), 'period'],
      [await set(people.otto.memberId, { from: '2026-01-01', to: '2026-01-31' }, '1'), 'period'],
      [await set(people.otto.memberId, '2026-Q1', '-1'), 'amount'],
      [await set(people.otto.userId, '2026-Q1', '1'), 'memberId'],
    ] as const) {
      expect(errorCode(result)).toBe('BAD_USER_INPUT');
      expect(errorFields(result)).toEqual([field]);
    }
    expect(errorCode(await set(people.otto.memberId, '2026-Q1', '1', people.mia.session))).toBe('FORBIDDEN');
  });
});

test('a period that does not parse is BAD_USER_INPUT naming period', async () => {
  for (const period of ['2026-Q0', 'next quarter', '2026-13']) {
    const result = await forecast(admin, 'OWNER', period);
    expect(errorCode(result)).toBe('BAD_USER_INPUT');
    expect(errorFields(result)).toEqual(['period']);
  }
  expect(errorFields(await t.gql(`{ forecastHistory(period: "Q1") { period } }`, {}, admin))).toEqual(['period']);
});

describe('weekly snapshots and forecastHistory', () => {
  const HISTORY = `query($by: ForecastGrouping) { forecastHistory(period: "2026-Q1", by: $by) {
    period snapshots { week weekStart takenAt currency total { ${FIGURES} } rows { id closed pipeline } }
    closed { rows { id closed } total { closed pipeline commit deals } } } }`;
  const snapshotCount = async () =>
    (await superuser.query(`SELECT period, count(*)::int AS n FROM forecast_snapshots WHERE workspace_id = $1 GROUP BY period ORDER BY period`, [workspace])).rows;
  const rowCount = async () => (await superuser.query(`SELECT count(*)::int AS n FROM forecast_snapshot_rows WHERE workspace_id = $1`, [workspace])).rows[0].n;

  // A snapshot converts open deals at its day's rate: USD 0.9 in May. Pipeline: 1000 + 1234.57 × 0.9 +
  // 900 (Otto's deal, raised below) + 100 = 3111.113; commit 2000 × 0.9 + 3000 = 4800; weighted
  // 50 + 1350 + 150 + 400 + 300 + 333.3339 + 45 + 5 = 2633.3339.
  const WEEK_20 = figures({ ...TOTAL, pipeline: '3111.11', commit: '4800.00', weighted: '2633.33' });

  test('running twice in one week keeps one snapshot per period, the later one; the next week adds one; history shows both and what closed', async () => {
    const app = t.app.runtime;
    await snapshotAllWorkspaces(app, new Date('2026-05-12T08:00:00Z'));
    const rowsAfterFirst = await rowCount();
    await t.ok(`mutation($id: ID!) { updateDeal(id: $id, input: { amount: "900.00" }) { id } }`, { id: deal.d12 }, admin);
    await snapshotAllWorkspaces(app, new Date('2026-05-12T10:00:00Z'));
    expect(await snapshotCount()).toEqual([
      { period: '2026-Q1', n: 1 },
      { period: '2026-Q2', n: 1 },
    ]);
    expect(await rowCount()).toBe(rowsAfterFirst);

    await t.ok(`mutation($id: ID!) { updateDeal(id: $id, input: { forecastCategory: COMMIT }) { id } }`, { id: deal.d1 }, admin);
    await snapshotAllWorkspaces(app, new Date('2026-05-19T08:00:00Z'));

    const history = (await t.ok(HISTORY, { by: 'OWNER' }, admin)).forecastHistory;
    expect(history.period).toBe('2026-Q1');
    expect(history.snapshots.map((s: any) => [s.week, s.weekStart, s.takenAt, s.currency])).toEqual([
      ['2026-W20', '2026-05-11', '2026-05-12T10:00:00.000Z', 'EUR'],
      ['2026-W21', '2026-05-18', '2026-05-19T08:00:00.000Z', 'EUR'],
    ]);
    expect(history.snapshots[0].total).toEqual(WEEK_20);
    expect(history.snapshots[1].total).toEqual({ ...WEEK_20, pipeline: '2111.11', commit: '5800.00' });
    expect(history.snapshots[0].rows.find((r: any) => r.id === people.otto.userId)).toEqual({ id: people.otto.userId, closed: '0.00', pipeline: '900.00' });
    expect(history.closed.total).toEqual({ closed: '1680.50', pipeline: '0.00', commit: '0.00', deals: 3 });
    expect(history.closed.rows.filter((r: any) => r.closed !== '0.00')).toEqual([
      { id: people.rita.userId, closed: '250.50' },
      { id: people.rolf.userId, closed: '1350.00' },
      { id: people.rudi.userId, closed: '80.00' },
    ]);

    // The same visibility: Rolf sees his and Rudi's figures only, by owner only.
    const rolf = (await t.ok(HISTORY, { by: 'OWNER' }, people.rolf.session)).forecastHistory;
    expect(rolf.snapshots[0].rows.map((r: any) => r.id)).toEqual([people.rolf.userId, people.rudi.userId]);
    expect(rolf.snapshots[0].total).toMatchObject({ closed: '1430.00', pipeline: '1111.11', commit: '3000.00', deals: 4 });
    expect(errorCode(await t.gql(HISTORY, { by: 'TEAM' }, people.rolf.session))).toBe('FORBIDDEN');
    const byPipeline = (await t.ok(HISTORY, { by: 'PIPELINE' }, admin)).forecastHistory;
    expect(byPipeline.snapshots[1].rows).toEqual([{ id: expect.stringMatching(/^pip_/), closed: '1680.50', pipeline: '2111.11' }]);
  });
});

test('a cycle in the reporting lines (Rudi made Mia’s manager) is walked once: every member of the cycle rolls up the same deals, each once', async () => {
  await t.ok(`mutation($m: ID!, $boss: ID) { setMemberManager(memberId: $m, managerId: $boss) { id } }`, { m: people.mia.memberId, boss: people.rudi.userId }, admin);
  const rows = (await okForecast(admin)).rows as Array<{ id: string; rollup: { deals: number; quota: string; closed: string } }>;
  const rollup = (key: string) => rows.find((r) => r.id === people[key].userId)!.rollup;
  for (const key of ['mia', 'rolf', 'rudi']) expect(rollup(key)).toMatchObject({ deals: 11, quota: '16000.00', closed: '1680.50' });
  expect(rollup('rita')).toMatchObject({ deals: 4, quota: null });
  // Rudi, in the cycle, now has everyone in it reporting to him, directly or further down.
  expect((await okForecast(people.rudi.session)).rows.map((r: { id: string }) => r.id).sort()).toEqual(
    [people.mia.userId, people.rita.userId, people.rolf.userId, people.rudi.userId].sort(),
  );
});

test('the worker schedules the snapshots daily; its first run snapshots every workspace as the worker role', async () => {
  const prefix = `crm-test-${randomBytes(4).toString('hex')}`;
  const queue = new Queue('forecasts', { connection: producerConnection(t.app.runtime.config.REDIS_URL), prefix });
  const workers = await startWorkers(t.app.runtime.config, createLogger('silent'), { prefix, relay: false });
  try {
    expect(await queue.getJobScheduler('forecast-snapshots')).toMatchObject({ name: 'forecast-snapshots', every: 86_400_000 });
    const [run] = await waitFor('the first snapshot run', async () => {
      const done = await queue.getJobs(['completed']);
      return done.length > 0 ? done : undefined;
    });
    const { rows } = await superuser.query(`SELECT count(*)::int AS n FROM workspaces`);
    expect(run.returnvalue).toEqual({ workspaces: rows[0].n, failedWorkspaces: 0 });
    // Today's week, for this fiscal quarter and the next, in this workspace (and every other).
    const { rows: weeks } = await superuser.query(
      `SELECT count(*)::int AS n FROM forecast_snapshots WHERE workspace_id = $1 AND week_start = date_trunc('week', (now() AT TIME ZONE 'Europe/Berlin'))::date`,
      [workspace],
    );
    expect(weeks[0].n).toBe(2);
  } finally {
    await workers.close();
    await queue.obliterate({ force: true });
    await queue.close();
  }
});
