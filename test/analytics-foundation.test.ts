import type { Client } from 'pg';
import { parseId } from '../src/kernel/ids';
import { superuserClient } from './support/databases';
import { TestApp, type Session } from './support/test-app';

/** The tables and functions the reports stand on (migration 1763800000042). */
let t: TestApp;
let admin: Session;
let superuser: Client;
let stages: Array<{ id: string; name: string; kind: string }>;
const uuid = (id: string) => parseId(id)!.uuid;

beforeAll(async () => {
  t = await TestApp.start('analytics_foundation');
  admin = await t.signUp();
  superuser = await superuserClient(t.database.name);
  stages = (await t.ok(`{ pipelines { edges { node { stages { id name kind } } } } }`, {}, admin)).pipelines.edges[0].node.stages;
});
afterAll(async () => {
  await superuser.end();
  await t.stop();
});

const history = async (dealId: string) =>
  (
    await superuser.query(
      `SELECT stage_id, entered_at, left_at FROM deal_stage_history WHERE deal_id = $1 ORDER BY entered_at, left_at NULLS LAST`,
      [uuid(dealId)],
    )
  ).rows as Array<{ stage_id: string; entered_at: Date; left_at: Date | null }>;

test('every stage a deal enters is recorded with the change, the open row being its current stage', async () => {
  const open = stages.filter((s) => s.kind === 'OPEN');
  const deal = (await t.ok(`mutation { createDeal(input: { name: "H" }) { id } }`, {}, admin)).createDeal;
  await t.ok(`mutation($id: ID!, $s: ID!) { moveDeal(id: $id, stageId: $s) { id } }`, { id: deal.id, s: open[1].id }, admin);
  await t.ok(`mutation($id: ID!) { winDeal(id: $id) { id } }`, { id: deal.id }, admin);
  await t.ok(`mutation($id: ID!, $s: ID!) { moveDeal(id: $id, stageId: $s) { id } }`, { id: deal.id, s: open[0].id }, admin);
  const won = stages.find((s) => s.kind === 'WON')!;
  const rows = await history(deal.id);
  expect(rows.map((r) => r.stage_id)).toEqual([open[0], open[1], won, open[0]].map((s) => uuid(s.id)));
  expect(rows.map((r) => r.left_at === null)).toEqual([false, false, false, true]);
  for (let i = 1; i < rows.length; i++) expect(rows[i - 1].left_at!.getTime()).toBe(rows[i].entered_at.getTime());
  const { rows: stored } = await superuser.query(`SELECT stage_changed_at FROM deals WHERE id = $1`, [uuid(deal.id)]);
  expect(rows[3].entered_at.getTime()).toBe(stored[0].stage_changed_at.getTime());
});

test('an update that leaves the stage alone writes no history; a rolled-back move leaves none', async () => {
  const deal = (await t.ok(`mutation { createDeal(input: { name: "Still" }) { id } }`, {}, admin)).createDeal;
  await t.ok(`mutation($id: ID!) { updateDeal(id: $id, input: { amount: "10" }) { id } }`, { id: deal.id }, admin);
  const moved = await t.gql(`mutation($id: ID!, $s: ID!) { moveDeal(id: $id, stageId: $s, expectedVersion: 1) { id } }`, { id: deal.id, s: stages[1].id }, admin);
  expect(moved.errors?.[0].extensions?.code).toBe('CONFLICT');
  expect(await history(deal.id)).toHaveLength(1);
});

test('crm_exchange_rate: 1 for the reporting currency, the latest rate from its date on, null without one', async () => {
  const { rows } = await superuser.query(`SELECT id, default_currency FROM workspaces WHERE name = 'Test GmbH' LIMIT 1`);
  const ws = rows[0].id as string;
  const base = rows[0].default_currency as string;
  await superuser.query(
    `INSERT INTO exchange_rates (workspace_id, base, currency, valid_from, rate) VALUES ($1, $2, 'USD', '2026-01-01', 0.9), ($1, $2, 'USD', '2026-07-01', 0.85), ($1, 'CHF', 'USD', '2025-01-01', 5)`,
    [ws, base],
  );
  const rate = async (currency: string, on: string) =>
    (await superuser.query(`SELECT crm_exchange_rate($1, $2, $3::date)::text AS r`, [ws, currency, on])).rows[0].r as string | null;
  expect(await rate(base, '2000-01-01')).toBe('1');
  expect(await rate('USD', '2025-12-31')).toBeNull();
  expect(Number(await rate('USD', '2026-06-30'))).toBe(0.9);
  expect(Number(await rate('USD', '2026-07-01'))).toBe(0.85);
  expect(await rate('GBP', '2026-07-01')).toBeNull();
});
