import type { Client } from 'pg';
import { parseId } from '../src/kernel/ids';
import { superuserClient } from './support/databases';
import { errorCode, errorFields, TestApp, type Session } from './support/test-app';

/**
 * dealFunnel against hand-computed figures. A pipeline A, B, C, Won, Lost and six deals whose
 * histories are written with exact times (day 0 = 2026-03-02T00:00Z):
 *   d1 A[0,2) B[2,5) C[5,6) Won[6,…)                 straight win
 *   d2 A[0,1.5) C[1.5,4.5) Lost[4.5,…)               skips B, lost
 *   d3 A[0,3) B[3,4) Won[4,10) B[10,12) Lost[12,…)  won, reopened, lost
 *   d4 A[0,1) B[1,2) C[2,6) B[6,…)                   moved back, open
 *   d5 B[0,4) C[4,…)                                 created in B (skips A), open
 *   d6 A[0,5) Lost[5,…)                              lost at once
 * Owners: admin d1–d3, the sales member d4–d6. Besides: d7 created 2026-03-31T22:30Z (April 1 in
 * Berlin, the workspace's zone) in A, open; a trashed deal created in March that never counts.
 */
let t: TestApp;
let admin: Session;
let sales: Session;
let superuser: Client;
let pipelineId: string;
const stage: Record<string, string> = {};
const uuid = (id: string) => parseId(id)!.uuid;
const DAY0 = Date.parse('2026-03-02T00:00:00Z');
const at = (day: number) => new Date(DAY0 + day * 86_400_000);

const FUNNEL = `query($p: ID, $period: Period, $by: FunnelGrouping, $cohort: Boolean) {
  dealFunnel(pipelineId: $p, period: $period, by: $by, cohort: $cohort) {
    pipelineId pipelineName period periodStart periodEnd by
    groups { key label owner { id name } deals open won lost stages { name entered reached convertedToNext conversionToNext reachedFromFirst conversionFromFirst completedStays averageDays medianDays } cohorts { key deals } }
    total { key label deals open won lost
      stages { stageId name kind entered reached convertedToNext conversionToNext reachedFromFirst conversionFromFirst completedStays averageDays medianDays }
      cohorts { key label deals open won lost stages { name entered reached } } }
  }
}`;

async function deal(name: string, owner: Session, history: Array<[string, number, number | null]>, createdAt: Date): Promise<string> {
  const first = history[0][0];
  const id = (await t.ok(`mutation($p: ID!, $s: ID!, $n: String!, $o: ID!) { createDeal(input: { name: $n, pipelineId: $p, stageId: $s, ownerId: $o }) { id } }`, { p: pipelineId, s: stage[first], n: name, o: owner.userId }, owner)).createDeal.id;
  const last = history[history.length - 1][0];
  if (last === 'Won') await t.ok(`mutation($id: ID!) { winDeal(id: $id) { id } }`, { id }, owner);
  else if (last === 'Lost') await t.ok(`mutation($id: ID!) { loseDeal(id: $id, reason: "price") { id } }`, { id }, owner);
  else if (last !== first) await t.ok(`mutation($id: ID!, $s: ID!) { moveDeal(id: $id, stageId: $s) { id } }`, { id, s: stage[last] }, owner);
  await superuser.query(`DELETE FROM deal_stage_history WHERE deal_id = $1`, [uuid(id)]);
  for (const [name, from, to] of history) {
    await superuser.query(
      `INSERT INTO deal_stage_history (workspace_id, deal_id, pipeline_id, stage_id, entered_at, left_at) VALUES ($1, $2, $3, $4, $5, $6)`,
      [uuid(admin.workspaceId), uuid(id), uuid(pipelineId), uuid(stage[name]), at(from), to === null ? null : at(to)],
    );
  }
  await superuser.query(`UPDATE deals SET created_at = $2 WHERE id = $1`, [uuid(id), createdAt]);
  return id;
}

beforeAll(async () => {
  t = await TestApp.start('sales_funnel');
  admin = await t.signUp();
  sales = await t.member(admin, 'SALES');
  superuser = await superuserClient(t.database.name);
  await t.ok(`mutation { updateWorkspaceSettings(input: { timeZone: "Europe/Berlin" }) { id } }`, {}, admin);
  const created = (
    await t.ok(
      `mutation { createPipeline(input: { name: "Funnel", stages: [
        { name: "A", probability: 10, kind: OPEN }, { name: "B", probability: 30, kind: OPEN }, { name: "Won", probability: 100, kind: WON },
        { name: "C", probability: 60, kind: OPEN }, { name: "Lost", probability: 0, kind: LOST }] }) { id stages { id name } } }`,
      {},
      admin,
    )
  ).createPipeline;
  pipelineId = created.id;
  for (const s of created.stages) stage[s.name] = s.id;
  const march = at(0);
  await deal('d1', admin, [['A', 0, 2], ['B', 2, 5], ['C', 5, 6], ['Won', 6, null]], march);
  await deal('d2', admin, [['A', 0, 1.5], ['C', 1.5, 4.5], ['Lost', 4.5, null]], march);
  await deal('d3', admin, [['A', 0, 3], ['B', 3, 4], ['Won', 4, 10], ['B', 10, 12], ['Lost', 12, null]], march);
  await deal('d4', sales, [['A', 0, 1], ['B', 1, 2], ['C', 2, 6], ['B', 6, null]], march);
  await deal('d5', sales, [['B', 0, 4], ['C', 4, null]], march);
  await deal('d6', sales, [['A', 0, 5], ['Lost', 5, null]], march);
  await deal('d7', sales, [['A', 30, null]], new Date('2026-03-31T22:30:00Z'));
  const trashed = await deal('trashed', admin, [['A', 0, 1], ['B', 1, null]], march);
  await t.ok(`mutation($id: ID!) { deleteDeal(id: $id) { id } }`, { id: trashed }, admin);
});
afterAll(async () => {
  await superuser.end();
  await t.stop();
});

const row = (name: string, entered: number, reached: number, convertedToNext: number | null, conversionToNext: number | null, reachedFromFirst: number, conversionFromFirst: number | null, completedStays: number, averageDays: number | null, medianDays: number | null) => ({
  name, entered, reached, convertedToNext, conversionToNext, reachedFromFirst, conversionFromFirst, completedStays, averageDays, medianDays,
});

test('March in Berlin: entries once per deal and stage, conversions, time in completed stays, outcomes', async () => {
  const { dealFunnel } = await t.ok(FUNNEL, { p: pipelineId, period: '2026-03' }, admin);
  expect(dealFunnel).toMatchObject({ pipelineId, pipelineName: 'Funnel', period: '2026-03', periodStart: '2026-03-01', periodEnd: '2026-04-01', by: null, groups: [] });
  expect(dealFunnel.total).toMatchObject({ key: null, label: 'Total', deals: 6, open: 2, won: 1, lost: 3, cohorts: null });
  // Funnel order: the OPEN stages by position (A, B, C), then Won; Lost is no step.
  expect(dealFunnel.total.stages.map((s: { stageId: string }) => s.stageId)).toEqual([stage.A, stage.B, stage.C, stage.Won]);
  expect(dealFunnel.total.stages.map(({ stageId, kind, ...rest }: Record<string, unknown>) => rest)).toEqual([
    // A: entered by d1 d2 d3 d4 d6; all but d6 got further. Stays 2, 1.5, 3, 1, 5.
    row('A', 5, 6, 4, 0.8, 5, 1, 5, 2.5, 2),
    // B: d1 d3 d4 d5 (d3 and d4 twice, counted once); each got to C or Won. Stays 3, 1, 2, 1, 4 (d4's second is open).
    row('B', 4, 5, 4, 1, 4, 0.8, 5, 2.2, 2),
    // C: d1 d2 d4 d5; only d1 went on to Won. Stays 1, 3, 4 (d5 is still there).
    row('C', 4, 5, 1, 0.25, 4, 0.8, 3, 2.67, 3),
    // Won: d1 and d3 (reopened since: reached stays history). d3's 6 days there ended with the reopening.
    row('Won', 2, 2, null, null, 2, 0.4, 1, 6, 6),
  ]);
});

test('grouped by owner: each owner’s own figures, by name; the median of an even count lies between', async () => {
  const { dealFunnel } = await t.ok(FUNNEL, { p: pipelineId, period: '2026-03', by: 'OWNER' }, admin);
  expect(dealFunnel.groups.map((g: { label: string; key: string; owner: { id: string } }) => [g.label, g.key, g.owner.id])).toEqual([
    ['Ada Admin', admin.userId, admin.userId],
    ['SALES person', sales.userId, sales.userId],
  ]);
  const [mine, theirs] = dealFunnel.groups;
  expect(mine).toMatchObject({ deals: 3, open: 0, won: 1, lost: 2, cohorts: null });
  expect(theirs).toMatchObject({ deals: 3, open: 2, won: 0, lost: 1 });
  // The sales member's B: d4 and d5 entered it (d5 skipped A, so of A's d4 and d6 only d4 reached B); stays 1 and 4 days → median 2.5.
  expect(theirs.stages[1]).toEqual(row('B', 2, 2, 2, 1, 1, 0.5, 2, 2.5, 2.5));
  expect(mine.stages[0]).toEqual(row('A', 3, 3, 3, 1, 3, 1, 3, 2.17, 2));
  expect(dealFunnel.total.deals).toBe(6);
});

test('cohorts by creation month in the workspace’s zone; a trashed deal never counts', async () => {
  const { dealFunnel } = await t.ok(FUNNEL, { p: pipelineId, cohort: true }, admin);
  expect(dealFunnel.period).toBeNull();
  expect(dealFunnel.total.deals).toBe(7);
  expect(dealFunnel.total.cohorts.map((c: { key: string; deals: number; stages: Array<{ reached: number }> }) => [c.key, c.deals, c.stages.map((s) => s.reached)])).toEqual([
    ['2026-03', 6, [6, 5, 5, 2]],
    ['2026-04', 1, [1, 0, 0, 0]],
  ]);
  const byQuarter = (await t.ok(FUNNEL, { p: pipelineId, by: 'CREATED_QUARTER', cohort: true }, admin)).dealFunnel;
  expect(byQuarter.groups.map((g: { key: string; deals: number; cohorts: Array<{ key: string; deals: number }> }) => [g.key, g.deals, g.cohorts])).toEqual([
    ['2026-Q1', 6, [{ key: '2026-03', deals: 6 }]],
    ['2026-Q2', 1, [{ key: '2026-04', deals: 1 }]],
  ]);
  // With the fiscal year starting in April, March is the last quarter of fiscal 2025 and April opens fiscal 2026.
  await superuser.query(`UPDATE workspaces SET fiscal_year_start_month = 4 WHERE id = $1`, [uuid(admin.workspaceId)]);
  const fiscal = (await t.ok(FUNNEL, { p: pipelineId, by: 'CREATED_QUARTER' }, admin)).dealFunnel;
  await superuser.query(`UPDATE workspaces SET fiscal_year_start_month = 1 WHERE id = $1`, [uuid(admin.workspaceId)]);
  expect(fiscal.groups.map((g: { key: string; deals: number }) => [g.key, g.deals])).toEqual([['2025-Q4', 6], ['2026-Q1', 1]]);
});

test('the default pipeline without pipelineId; bad input names its field', async () => {
  const { dealFunnel } = await t.ok(FUNNEL, {}, admin);
  expect(dealFunnel.pipelineName).toBe('Sales');
  expect(dealFunnel.total.deals).toBe(0);
  const cases: Array<[Record<string, unknown>, string, string | null]> = [
    [{ period: '2026-13' }, 'BAD_USER_INPUT', 'period'],
    [{ period: 'last year' }, 'BAD_USER_INPUT', 'period'],
    [{ p: 'pip_0123456789abcdef0123456789abcdef' }, 'NOT_FOUND', null],
    [{ p: stage.A }, 'BAD_USER_INPUT', 'pipelineId'],
    [{ p: pipelineId, period: '2026-03', by: 'CREATED_QUARTER' }, 'BAD_USER_INPUT', 'by'],
    [{ p: pipelineId, by: 'CREATED_MONTH', cohort: true }, 'BAD_USER_INPUT', 'cohort'],
  ];
  for (const [variables, code, field] of cases) {
    const result = await t.gql(FUNNEL, variables, admin);
    expect([errorCode(result), field && errorFields(result)]).toEqual([code, field && [field]]);
  }
});

test('an API key needs reports:read, and with it alone reads stages and owners by name', async () => {
  const key = async (scopes: string[]) => (await t.ok(`mutation($s: [String!]!) { createApiKey(input: { name: "BI", scopes: $s }) { token } }`, { s: scopes }, admin)).createApiKey.token;
  const { dealFunnel } = await t.ok(FUNNEL, { p: pipelineId, period: '2026-03', by: 'OWNER' }, await key(['reports:read']));
  expect(dealFunnel.groups.map((g: { owner: { name: string } }) => g.owner.name)).toEqual(['Ada Admin', 'SALES person']);
  expect(dealFunnel.total.stages.map((s: { name: string }) => s.name)).toEqual(['A', 'B', 'C', 'Won']);
  expect(errorCode(await t.gql(FUNNEL, { p: pipelineId }, await key(['deals:write'])))).toBe('FORBIDDEN');
});

test('history written live by the API (skip, win, reopen backwards, lose) feeds the funnel as it is', async () => {
  const sales = (await t.ok(`{ pipelines(filter: { isDefault: { eq: true } }) { edges { node { id stages { id name } } } } }`, {}, admin)).pipelines.edges[0].node;
  const id = (await t.ok(`mutation { createDeal(input: { name: "live" }) { id } }`, {}, admin)).createDeal.id;
  const move = (name: string) => t.ok(`mutation($id: ID!, $s: ID!) { moveDeal(id: $id, stageId: $s) { id } }`, { id, s: sales.stages.find((s: { name: string }) => s.name === name).id }, admin);
  await move('Needs analysis');
  await t.ok(`mutation($id: ID!) { winDeal(id: $id) { id } }`, { id }, admin);
  await move('Qualification');
  await t.ok(`mutation($id: ID!) { loseDeal(id: $id, reason: "budget") { id } }`, { id }, admin);
  const { total } = (await t.ok(FUNNEL, { p: sales.id }, admin)).dealFunnel;
  expect(total).toMatchObject({ deals: 1, open: 0, won: 0, lost: 1 });
  expect(total.stages.map((s: { name: string; entered: number; reached: number; completedStays: number }) => [s.name, s.entered, s.reached, s.completedStays])).toEqual([
    ['Research', 1, 1, 1],
    ['Qualification', 1, 1, 1],
    ['Needs analysis', 1, 1, 1],
    ['Proposal', 0, 1, 0],
    ['Negotiation / contract', 0, 1, 0],
    ['Won', 1, 1, 1],
  ]);
});
