import { randomBytes } from 'node:crypto';
import { Queue } from 'bullmq';
import type { Client } from 'pg';
import { parseId } from '../src/kernel/ids';
import { createLogger } from '../src/kernel/logger';
import { producerConnection } from '../src/kernel/queue';
import { startWorkers, type WorkerProcess } from '../workers/start-workers';
import { waitFor } from './support/wait';
import { checkTicketSla, sweepSla } from '../src/modules/sla';
import { superuserClient } from './support/databases';
import { errorCode, errorFields, TestApp, type Session } from './support/test-app';

/**
 * History on import (docs/sync.md#history-on-import): upserts and imports set createdAt, a deal's
 * close time and stage history, a ticket's times, under history:write; refused without it naming
 * the field. The key check: a history imported equals the same history made live, row for row.
 */
let t: TestApp;
let superuser: Client;
let admin: Session;
let manager: Session;
let stages: Array<{ id: string; name: string; kind: string }>;
let workers: WorkerProcess | null = null;
const PREFIX = `crm-test-${randomBytes(4).toString('hex')}`;

const uuid = (id: string) => parseId(id)!.uuid;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
let refs = 0;
const ref = () => ({ system: 'old-crm', id: `D${++refs}` });

const UPSERT_DEAL = `mutation($input: UpsertDealInput!) { upsertDeal(input: $input) { status deal { id status createdAt closedAt stageChangedAt stage { name } } } }`;
const UPSERT_DEALS = `mutation($inputs: [UpsertDealInput!]!, $atomic: Boolean) {
  upsertDeals(inputs: $inputs, atomic: $atomic) {
    created updated unchanged failed
    items { index status deal { id name status createdAt closedAt stageChangedAt lostReason } error { code message fields { field message } } }
  }
}`;

beforeAll(async () => {
  t = await TestApp.start('history_import', { QUEUE_PREFIX: PREFIX, IMPORT_CHUNK_SIZE: '2', IMPORT_PARALLEL_CHUNKS: '1' });
  superuser = await superuserClient(t.database.name);
  admin = await t.signUp('History A');
  manager = await t.member(admin, 'MANAGER');
  stages = await stagesOf(admin);
});
afterAll(async () => {
  await workers?.close();
  const queue = new Queue('imports', { connection: producerConnection(t.app.runtime.config.REDIS_URL), prefix: PREFIX });
  await queue.obliterate({ force: true });
  await queue.close();
  await superuser.end();
  await t.stop();
});

async function stagesOf(who: Session): Promise<Array<{ id: string; name: string; kind: string }>> {
  return (await t.ok(`{ pipelines { edges { node { isDefault stages { id name kind } } } } }`, {}, who)).pipelines.edges.find((e: any) => e.node.isDefault).node.stages;
}

const stage = (name: string, of = stages) => of.find((s) => s.name === name)!.id;

/** The rows the reports read of a deal's stage history: stage name, entered, left. */
async function historyRows(dealId: string) {
  const { rows } = await superuser.query(
    `SELECT s.name AS stage, h.entered_at, h.left_at FROM deal_stage_history h JOIN stages s ON s.id = h.stage_id
      WHERE h.deal_id = $1 ORDER BY h.entered_at, h.left_at NULLS LAST`,
    [dealId],
  );
  return rows.map((r) => ({ stage: r.stage as string, enteredAt: (r.entered_at as Date).toISOString(), leftAt: (r.left_at as Date | null)?.toISOString() ?? null }));
}

/**
 * The API carries times to the millisecond, the database keeps microseconds: rows made live are
 * cut to what any export through the API holds, so two workspaces compare exactly.
 */
async function toMilliseconds(table: string, columns: string[], workspace: Session): Promise<void> {
  const set = columns.map((c) => `${c} = date_trunc('milliseconds', ${c})`).join(', ');
  await superuser.query(`UPDATE ${table} SET ${set} WHERE workspace_id = $1`, [uuid(workspace.workspaceId)]);
}

describe('who may set history', () => {
  test('without history:write (a manager) a single upsert setting createdAt is FORBIDDEN naming the field, and nothing is written', async () => {
    const before = (await superuser.query(`SELECT count(*)::int AS n FROM deals`)).rows[0].n;
    const result = await t.gql(UPSERT_DEAL, { input: { name: 'Old', externalRef: ref(), createdAt: '2024-01-02T03:04:05.000Z' } }, manager);
    expect(errorCode(result)).toBe('FORBIDDEN');
    expect(errorFields(result)).toEqual(['input.createdAt']);
    expect(result.errors![0].message).toContain('history:write');
    expect((await superuser.query(`SELECT count(*)::int AS n FROM deals`)).rows[0].n).toBe(before);
    // The same upsert without history is the manager's to make.
    expect((await t.ok(UPSERT_DEAL, { input: { name: 'Now', externalRef: ref() } }, manager)).upsertDeal.status).toBe('CREATED');
  });

  test('in a bulk call the item setting history fails alone, naming each history field; atomic: the call fails and writes nothing', async () => {
    const inputs = [
      { name: 'Plain', externalRef: ref() },
      { name: 'Backdated', externalRef: ref(), closedAt: '2024-02-01T00:00:00.000Z', stageHistory: [{ stageId: stage('Won'), enteredAt: '2024-02-01T00:00:00.000Z' }] },
    ];
    const data = (await t.ok(UPSERT_DEALS, { inputs }, manager)).upsertDeals;
    expect(data).toMatchObject({ created: 1, failed: 1 });
    expect(data.items[1].error).toMatchObject({ code: 'FORBIDDEN' });
    expect(data.items[1].error.fields.map((f: any) => f.field)).toEqual(['inputs[1].closedAt', 'inputs[1].stageHistory']);
    const atomic = await t.gql(UPSERT_DEALS, { inputs: [{ name: 'A1', externalRef: ref() }, { ...inputs[1], externalRef: ref() }], atomic: true }, manager);
    expect(errorCode(atomic)).toBe('BAD_USER_INPUT');
    expect(errorFields(atomic)).toEqual(['inputs[1].closedAt', 'inputs[1].stageHistory']);
    expect((await superuser.query(`SELECT count(*)::int AS n FROM deals WHERE name = 'A1'`)).rows[0].n).toBe(0);
  });

  test('an API key needs the history:write scope beside the object’s write scope', async () => {
    const key = async (scopes: string[]) =>
      (await t.ok(`mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { token } }`, { input: { name: scopes.join(' '), scopes } }, admin)).createApiKey.token;
    const input = { name: 'By key', externalRef: ref(), createdAt: '2023-05-06T07:08:09.000Z' };
    const refused = await t.gql(UPSERT_DEAL, { input }, await key(['deals:write']));
    expect(errorCode(refused)).toBe('FORBIDDEN');
    expect(errorFields(refused)).toEqual(['input.createdAt']);
    const done = (await t.ok(UPSERT_DEAL, { input }, await key(['deals:write', 'history:write']))).upsertDeal;
    expect(done).toMatchObject({ status: 'CREATED', deal: { createdAt: '2023-05-06T07:08:09.000Z', stageChangedAt: '2023-05-06T07:08:09.000Z' } });
  });

  test('times in the future are refused naming the field', async () => {
    const future = new Date(Date.now() + 3_600_000).toISOString();
    const created = await t.gql(UPSERT_DEAL, { input: { name: 'Later', externalRef: ref(), createdAt: future } }, admin);
    expect(errorCode(created)).toBe('BAD_USER_INPUT');
    expect(errorFields(created)).toEqual(['input.createdAt']);
    const history = [
      { stageId: stage('Research'), enteredAt: '2024-01-01T00:00:00.000Z' },
      { stageId: stage('Proposal'), enteredAt: future },
    ];
    const entered = await t.gql(UPSERT_DEAL, { input: { name: 'Later', externalRef: ref(), stageHistory: history } }, admin);
    expect(errorFields(entered)).toEqual(['input.stageHistory[1].enteredAt']);
  });
});

describe('a deal’s stage history', () => {
  test('bad histories are BAD_USER_INPUT naming the entry: out of order, a stage of another pipeline, a last entry that is not the deal’s stage, an entry before createdAt', async () => {
    const other = (
      await t.ok(
        `mutation { createPipeline(input: { name: "Other", stages: [{ name: "X", probability: 10, kind: OPEN }, { name: "W", probability: 100, kind: WON }, { name: "L", probability: 0, kind: LOST }] }) { stages { id } } }`,
        {},
        admin,
      )
    ).createPipeline.stages;
    const at = (day: number) => `2024-03-0${day}T10:00:00.000Z`;
    const cases: Array<[Record<string, unknown>, string[]]> = [
      [{ stageHistory: [{ stageId: stage('Research'), enteredAt: at(1) }, { stageId: stage('Proposal'), enteredAt: at(3) }, { stageId: stage('Won'), enteredAt: at(2) }] }, ['input.stageHistory[2].enteredAt']],
      [{ stageHistory: [{ stageId: stage('Research'), enteredAt: at(1) }, { stageId: other[0].id, enteredAt: at(2) }] }, ['input.stageHistory[1].stageId']],
      [{ stageId: stage('Proposal'), stageHistory: [{ stageId: stage('Research'), enteredAt: at(1) }] }, ['input.stageHistory[0].stageId']],
      [{ createdAt: at(2), stageHistory: [{ stageId: stage('Research'), enteredAt: at(1) }] }, ['input.stageHistory[0].enteredAt']],
      [{ stageHistory: [{ stageId: stage('Research'), enteredAt: at(1) }, { stageId: stage('Research'), enteredAt: at(2) }] }, ['input.stageHistory[1].stageId']],
      [{ closedAt: at(3), stageHistory: [{ stageId: stage('Research'), enteredAt: at(1) }] }, ['input.closedAt']],
      [{ closedAt: at(3) }, ['input.closedAt']],
      [{ lostReason: 'Price', stageHistory: [{ stageId: stage('Won'), enteredAt: at(1) }] }, ['input.lostReason']],
    ];
    for (const [fields, named] of cases) {
      const result = await t.gql(UPSERT_DEAL, { input: { name: 'Bad', externalRef: ref(), ...fields } }, admin);
      expect([errorCode(result), errorFields(result)]).toEqual(['BAD_USER_INPUT', named]);
    }
    expect((await superuser.query(`SELECT count(*)::int AS n FROM deals WHERE name = 'Bad'`)).rows[0].n).toBe(0);
  });

  test('bulk: each deal’s history rows are exactly its list, the last one open and its stage; sent again, UNCHANGED; a new list replaces the rows', async () => {
    const won = [
      { stageId: stage('Research'), enteredAt: '2024-04-01T08:00:00.000Z' },
      { stageId: stage('Proposal'), enteredAt: '2024-04-03T08:00:00.000Z' },
      { stageId: stage('Won'), enteredAt: '2024-04-10T08:00:00.000Z' },
    ];
    const lost = [
      { stageId: stage('Qualification'), enteredAt: '2024-05-01T08:00:00.000Z' },
      { stageId: stage('Lost'), enteredAt: '2024-05-02T08:00:00.000Z' },
    ];
    const open = [
      { stageId: stage('Research'), enteredAt: '2024-06-01T08:00:00.000Z' },
      { stageId: stage('Needs analysis'), enteredAt: '2024-06-05T08:00:00.000Z' },
    ];
    const inputs = [
      { name: 'Won deal', amount: '1200.50', externalRef: { system: 'old', id: 'W' }, createdAt: '2024-03-30T08:00:00.000Z', stageHistory: won },
      { name: 'Lost deal', externalRef: { system: 'old', id: 'L' }, closedAt: '2024-05-03T09:00:00.000Z', lostReason: ' Budget ', stageHistory: lost },
      { name: 'Open deal', externalRef: { system: 'old', id: 'O' }, stageHistory: open },
    ];
    const data = (await t.ok(UPSERT_DEALS, { inputs }, admin)).upsertDeals;
    expect(data).toMatchObject({ created: 3, failed: 0 });
    const [w, l, o] = data.items.map((i: any) => i.deal);
    expect(w).toMatchObject({ status: 'WON', createdAt: '2024-03-30T08:00:00.000Z', closedAt: '2024-04-10T08:00:00.000Z', stageChangedAt: '2024-04-10T08:00:00.000Z' });
    expect(l).toMatchObject({ status: 'LOST', createdAt: '2024-05-01T08:00:00.000Z', closedAt: '2024-05-03T09:00:00.000Z', lostReason: 'Budget' });
    expect(o).toMatchObject({ status: 'OPEN', closedAt: null, stageChangedAt: '2024-06-05T08:00:00.000Z' });
    expect(await historyRows(uuid(w.id))).toEqual([
      { stage: 'Research', enteredAt: '2024-04-01T08:00:00.000Z', leftAt: '2024-04-03T08:00:00.000Z' },
      { stage: 'Proposal', enteredAt: '2024-04-03T08:00:00.000Z', leftAt: '2024-04-10T08:00:00.000Z' },
      { stage: 'Won', enteredAt: '2024-04-10T08:00:00.000Z', leftAt: null },
    ]);
    expect(await historyRows(uuid(l.id))).toEqual([
      { stage: 'Qualification', enteredAt: '2024-05-01T08:00:00.000Z', leftAt: '2024-05-02T08:00:00.000Z' },
      { stage: 'Lost', enteredAt: '2024-05-02T08:00:00.000Z', leftAt: null },
    ]);
    // The created event carries the historic values.
    const { rows: events } = await superuser.query(`SELECT after FROM record_events WHERE record_id = $1 AND type = 'deal.created'`, [uuid(w.id)]);
    expect(events[0].after).toMatchObject({ createdAt: '2024-03-30T08:00:00.000Z', closedAt: '2024-04-10T08:00:00.000Z', status: 'WON' });

    expect((await t.ok(UPSERT_DEALS, { inputs }, admin)).upsertDeals).toMatchObject({ unchanged: 3 });

    const rewritten = [{ stageId: stage('Qualification'), enteredAt: '2024-06-02T08:00:00.000Z' }, open[1]];
    const again = (await t.ok(UPSERT_DEALS, { inputs: [{ ...inputs[2], stageHistory: rewritten }, { ...inputs[0], createdAt: '2024-03-29T08:00:00.000Z' }] }, admin)).upsertDeals;
    expect(again).toMatchObject({ updated: 2 });
    expect(await historyRows(uuid(o.id))).toEqual([
      { stage: 'Qualification', enteredAt: '2024-06-02T08:00:00.000Z', leftAt: '2024-06-05T08:00:00.000Z' },
      { stage: 'Needs analysis', enteredAt: '2024-06-05T08:00:00.000Z', leftAt: null },
    ]);
    expect(again.items[1].deal.createdAt).toBe('2024-03-29T08:00:00.000Z');
    const { rows: updates } = await superuser.query(`SELECT changed FROM record_events WHERE record_id = $1 AND type = 'deal.updated'`, [uuid(w.id)]);
    expect(updates.map((u) => u.changed)).toEqual([['createdAt']]);

    // An update's history must end in the deal's current stage, and createdAt alone may not pass its first stage.
    const moved = await t.gql(UPSERT_DEAL, { input: { ...inputs[2], stageHistory: [open[0]] } }, admin);
    expect(errorFields(moved)).toEqual(['input.stageHistory[0].stageId']);
    const late = await t.gql(UPSERT_DEAL, { input: { name: 'Won deal', externalRef: { system: 'old', id: 'W' }, createdAt: '2024-04-02T00:00:00.000Z' } }, admin);
    expect(errorFields(late)).toEqual(['input.createdAt']);
  });
});

test('1,000 new deals with their histories in one call take a bounded number of statements (set-based, history rows in one insert)', async () => {
  const inputs = Array.from({ length: 1000 }, (_, i) => {
    const day = new Date(Date.UTC(2022, 0, 1) + i * 3_600_000);
    const later = (hours: number) => new Date(day.getTime() + hours * 3_600_000).toISOString();
    return {
      name: `Mass ${i}`,
      amount: `${i}.50`,
      externalRef: { system: 'mass', id: `M${i}` },
      stageHistory: [
        { stageId: stage('Research'), enteredAt: later(0) },
        { stageId: stage('Proposal'), enteredAt: later(5) },
        { stageId: stage(i % 2 ? 'Won' : 'Lost'), enteredAt: later(9) },
      ],
    };
  });
  const before = t.statements;
  const data = (await t.ok(`mutation($inputs: [UpsertDealInput!]!) { upsertDeals(inputs: $inputs) { created failed } }`, { inputs }, admin)).upsertDeals;
  expect(t.statements - before).toBeLessThan(25);
  expect(data).toEqual({ created: 1000, failed: 0 });
  const { rows } = await superuser.query(
    `SELECT count(*)::int AS n, count(*) FILTER (WHERE left_at IS NULL)::int AS open FROM deal_stage_history h JOIN deals d ON d.id = h.deal_id WHERE d.name LIKE 'Mass %'`,
  );
  expect(rows[0]).toEqual({ n: 3000, open: 1000 });
});

describe('reports over imported history equal reports over the same history made live', () => {
  let b: Session;
  const names = ['Alpha', 'Beta', 'Gamma', 'Delta', 'Epsilon', 'Zeta'];

  /** What the reports read of a workspace's deals, by deal name, ids left out. */
  async function reportRows(workspaceId: string) {
    const { rows } = await superuser.query(
      `SELECT d.id, d.name, d.status, d.amount::text, d.currency, d.created_at, d.closed_at, d.stage_changed_at, d.lost_reason, s.name AS stage
         FROM deals d JOIN stages s ON s.id = d.stage_id WHERE d.workspace_id = $1 AND d.name = ANY($2) ORDER BY d.name`,
      [workspaceId, names],
    );
    const deals = [];
    for (const r of rows) {
      deals.push({
        name: r.name,
        status: r.status,
        amount: r.amount,
        currency: r.currency,
        stage: r.stage,
        createdAt: r.created_at.toISOString(),
        closedAt: r.closed_at?.toISOString() ?? null,
        lostReason: r.lost_reason,
        stageChangedAt: r.stage_changed_at.toISOString(),
        history: await historyRows(r.id),
      });
    }
    return deals;
  }

  test('six deals moved, won, lost and reopened live in A, imported into B with their history: the same rows', async () => {
    const a = await t.signUp('Live A');
    b = await t.signUp('Imported B');
    const live = await stagesOf(a);
    const ids: Record<string, string> = {};
    const step = async (query: string, vars: Record<string, unknown>) => {
      await t.ok(query, vars, a);
      await sleep(120);
    };
    const move = (name: string, to: string) => step(`mutation($id: ID!, $s: ID!) { moveDeal(id: $id, stageId: $s) { id } }`, { id: ids[name], s: stage(to, live) });
    const win = (name: string) => step(`mutation($id: ID!) { winDeal(id: $id) { id } }`, { id: ids[name] });
    const lose = (name: string) => step(`mutation($id: ID!) { loseDeal(id: $id, reason: "Price") { id } }`, { id: ids[name] });
    for (const [i, name] of names.entries()) {
      ids[name] = (await t.ok(`mutation($input: CreateDealInput!) { createDeal(input: $input) { id } }`, { input: { name, amount: `${1000 + i * 250}.25` } }, a)).createDeal.id;
      await sleep(120);
    }
    await move('Alpha', 'Qualification');
    await move('Beta', 'Proposal');
    await move('Alpha', 'Proposal');
    await win('Alpha');
    await lose('Beta');
    await move('Gamma', 'Needs analysis');
    await win('Delta');
    await move('Delta', 'Negotiation / contract'); // reopened
    await win('Delta');
    await lose('Epsilon');
    await move('Epsilon', 'Qualification'); // reopened, still open
    await move('Gamma', 'Negotiation / contract');

    await toMilliseconds('deals', ['created_at', 'closed_at', 'stage_changed_at'], a);
    await toMilliseconds('deal_stage_history', ['entered_at', 'left_at'], a);
    const made = await reportRows(uuid(a.workspaceId));
    expect(made.map((d) => [d.name, d.status, d.stage])).toEqual([
      ['Alpha', 'WON', 'Won'],
      ['Beta', 'LOST', 'Lost'],
      ['Delta', 'WON', 'Won'],
      ['Epsilon', 'OPEN', 'Qualification'],
      ['Gamma', 'OPEN', 'Negotiation / contract'],
      ['Zeta', 'OPEN', 'Research'],
    ]);

    const target = await stagesOf(b);
    const inputs = made.map((d) => ({
      name: d.name,
      amount: d.amount,
      currency: d.currency,
      externalRef: { system: 'live-a', id: d.name },
      createdAt: d.createdAt,
      ...(d.closedAt && { closedAt: d.closedAt }),
      ...(d.lostReason && { lostReason: d.lostReason }),
      stageHistory: d.history.map((h) => ({ stageId: stage(h.stage, target), enteredAt: h.enteredAt })),
    }));
    expect((await t.ok(UPSERT_DEALS, { inputs, atomic: true }, b)).upsertDeals).toMatchObject({ created: 6, failed: 0 });
    expect(await reportRows(uuid(b.workspaceId))).toEqual(made);

    // And so the reports over them: each asked in A and in B, ids left out (they differ by workspace).
    // The live moves are a tenth of a second apart, so the day-based figures (time in stage, sales
    // cycle) are 0.00 on both sides here; the rows above are what they are computed from.
    const year = String(new Date().getUTCFullYear());
    const REPORTS = `query($year: Period!) {
      dealAggregate(groupBy: [STAGE, STATUS, CLOSE_MONTH], measures: [COUNT, SUM_AMOUNT, AVG_AMOUNT, MIN_AMOUNT, MAX_AMOUNT, WEIGHTED_AMOUNT]) {
        currency groups { keys { dimension label } count sumAmount avgAmount minAmount maxAmount weightedAmount unconvertedCount }
        total { count sumAmount avgAmount weightedAmount }
      }
      dealFunnel(by: SOURCE, cohort: true) {
        total { deals open won lost stages { name kind entered reached reachedFromFirst convertedToNext conversionToNext conversionFromFirst completedStays averageDays medianDays } }
        groups { label deals won lost cohorts { label deals } stages { name entered reached completedStays averageDays medianDays } }
      }
      dealVelocity(period: $year) { total { label won lost averageDealSize averageSalesCycleDays convertedCount unconvertedCount } }
      forecast(period: $year, by: OWNER) { total { deals pipeline bestCase commit closed omitted weighted } rows { name deals closed omitted pipeline weighted } }
    }`;
    const reportsOf = async (who: Session) => (await t.ok(REPORTS, { year }, who));
    const madeReports = await reportsOf(a);
    expect(madeReports.dealAggregate.total.count).toBe(6);
    expect(madeReports.dealFunnel.total).toMatchObject({ deals: 6, won: 2, lost: 1 });
    expect(await reportsOf(b)).toEqual(madeReports);
  });
});

describe('ticket figures over imported times equal those over the same times made live', () => {
  test('answered, resolved and untouched tickets live in A, imported into B: the same SLA columns', async () => {
    const a = await t.signUp('Desk live');
    const b = await t.signUp('Desk imported');
    const policy = `mutation { createSlaPolicy(input: { priority: NORMAL, firstResponseMinutes: 60, resolutionMinutes: 480 }) { id } }`;
    await t.ok(policy, {}, a);
    await t.ok(policy, {}, b);
    const create = async (subject: string) =>
      (await t.ok(`mutation($input: CreateTicketInput!) { createTicket(input: $input) { id } }`, { input: { subject } }, a)).createTicket.id;
    const status = (id: string, to: string) => t.ok(`mutation($id: ID!, $s: TicketStatus!) { changeTicketStatus(id: $id, status: $s) { id } }`, { id, s: to }, a);
    const resolved = await create('Resolved');
    const answered = await create('Answered');
    await create('Untouched');
    await sleep(150);
    await status(resolved, 'OPEN');
    await sleep(150);
    await status(answered, 'OPEN');
    await sleep(150);
    await status(resolved, 'RESOLVED');
    // A ticket's createdAt is in milliseconds already (so its due times stay exact); its other times are the database's.
    await toMilliseconds('tickets', ['created_at', 'first_response_at', 'resolved_at'], a);
    // What SLA figures read: the lifecycle times, the due and warn times, the escalation markers.
    const rows = async (workspace: Session) =>
      (
        await superuser.query(
          `SELECT subject, status, priority, created_at, first_response_at, resolved_at, first_response_due_at, first_response_warn_at,
                  resolution_due_at, resolution_warn_at, first_response_warned_at, first_response_breached_at, resolution_warned_at, resolution_breached_at
             FROM tickets WHERE workspace_id = $1 ORDER BY subject`,
          [uuid(workspace.workspaceId)],
        )
      ).rows;
    const made = await rows(a);
    expect(made.map((r) => [r.subject, r.status])).toEqual([['Answered', 'OPEN'], ['Resolved', 'RESOLVED'], ['Untouched', 'NEW']]);
    const inputs = made.map((r) => ({
      subject: r.subject,
      externalRef: { system: 'desk-a', id: r.subject },
      createdAt: r.created_at.toISOString(),
      ...(r.first_response_at && { firstResponseAt: r.first_response_at.toISOString() }),
      ...(r.resolved_at && { resolvedAt: r.resolved_at.toISOString() }),
    }));
    expect((await t.ok(`mutation($inputs: [UpsertTicketInput!]!) { upsertTickets(inputs: $inputs, atomic: true) { created } }`, { inputs }, b)).upsertTickets.created).toBe(3);
    expect(await rows(b)).toEqual(made);
  });
});

describe('diary figures over imported times equal those over the same times made live', () => {
  test('a call, a meeting and a task completed live in A, created with their times in B: the same rows', async () => {
    const a = await t.signUp('Diary live');
    const b = await t.signUp('Diary imported');
    const accountOf = async (who: Session) => (await t.ok(`mutation { createAccount(input: { name: "Kunde" }) { id } }`, {}, who)).createAccount.id;
    const CREATE = `mutation($input: CreateActivityInput!) { createActivity(input: $input) { id } }`;
    const accountA = await accountOf(a);
    await t.ok(CREATE, { input: { type: 'CALL', subject: 'Call', accountId: accountA, durationMinutes: 5 } }, a);
    await sleep(120);
    await t.ok(CREATE, { input: { type: 'MEETING', subject: 'Meeting', accountId: accountA, occurredAt: '2026-01-05T10:00:00.000Z' } }, a);
    const task = (await t.ok(CREATE, { input: { type: 'TASK', subject: 'Task', accountId: accountA, dueAt: '2026-01-06T10:00:00.000Z' } }, a)).createActivity.id;
    await sleep(120);
    await t.ok(`mutation($id: ID!) { completeTask(id: $id) { id } }`, { id: task }, a);
    await toMilliseconds('activities', ['created_at', 'occurred_at', 'completed_at'], a);
    // What the activity metrics read: type, when it happened, when it was completed, when it was made, its due time.
    const rows = async (who: Session) =>
      (
        await superuser.query(
          `SELECT type, subject, created_at, occurred_at, duration_minutes, due_at, completed_at FROM activities WHERE workspace_id = $1 ORDER BY subject`,
          [uuid(who.workspaceId)],
        )
      ).rows;
    const made = await rows(a);
    expect(made.map((r) => [r.subject, r.completed_at !== null])).toEqual([['Call', false], ['Meeting', false], ['Task', true]]);
    const accountB = await accountOf(b);
    for (const r of made) {
      const at = (d: Date | null) => d?.toISOString();
      const input = { type: r.type, subject: r.subject, accountId: accountB, createdAt: at(r.created_at), occurredAt: at(r.occurred_at), durationMinutes: r.duration_minutes, dueAt: at(r.due_at), completedAt: at(r.completed_at) };
      await t.ok(CREATE, { input }, b);
    }
    expect(await rows(b)).toEqual(made);
  });
});

describe('tickets taken over with their times', () => {
  const SLA = 'status dueAt breachedAt metAt';
  const UPSERT_TICKETS = `mutation($inputs: [UpsertTicketInput!]!) {
    upsertTickets(inputs: $inputs) {
      failed items { outcome: status ticket { id status priority createdAt firstResponseAt resolvedAt sla { pausedAt firstResponse { ${SLA} } resolution { ${SLA} } } }
        error { code fields { field } } }
    }
  }`;
  const at = (iso: string) => new Date(iso);

  test('status follows the times; due times count from createdAt; moments already past escalate nothing, later ones as usual', async () => {
    const sla = await t.signUp('Helpdesk history');
    await t.ok(`mutation { createSlaPolicy(input: { priority: NORMAL, firstResponseMinutes: 60, resolutionMinutes: 480 }) { id } }`, {}, sla);
    const recent = new Date(Date.now() - 30 * 60_000);
    recent.setMilliseconds(0);
    const inputs = [
      // Answered in time, resolved after its due time (16:00).
      { subject: 'Resolved late', externalRef: { system: 'desk', id: '1' }, createdAt: '2024-01-01T08:00:00.000Z', firstResponseAt: '2024-01-01T08:30:00.000Z', resolvedAt: '2024-01-01T20:00:00.000Z' },
      // Never answered: both targets breached long ago, in the old system.
      { subject: 'Forgotten', externalRef: { system: 'desk', id: '2' }, createdAt: '2024-01-02T08:00:00.000Z' },
      // Opened half an hour ago: its warnings and due times are still ahead.
      { subject: 'Fresh', externalRef: { system: 'desk', id: '3' }, createdAt: recent.toISOString() },
    ];
    const data = (await t.ok(UPSERT_TICKETS, { inputs }, sla)).upsertTickets;
    expect(data.failed).toBe(0);
    const [resolved, forgotten, fresh] = data.items.map((i: any) => i.ticket);
    expect(resolved).toMatchObject({
      status: 'RESOLVED',
      createdAt: '2024-01-01T08:00:00.000Z',
      sla: {
        pausedAt: '2024-01-01T20:00:00.000Z',
        firstResponse: { status: 'MET', dueAt: '2024-01-01T09:00:00.000Z', metAt: '2024-01-01T08:30:00.000Z', breachedAt: null },
        resolution: { status: 'BREACHED', dueAt: '2024-01-01T16:00:00.000Z', breachedAt: '2024-01-01T16:00:00.000Z' },
      },
    });
    expect(forgotten).toMatchObject({
      status: 'NEW',
      sla: { firstResponse: { status: 'BREACHED', breachedAt: '2024-01-02T09:00:00.000Z' }, resolution: { status: 'BREACHED', breachedAt: '2024-01-02T16:00:00.000Z' } },
    });
    expect(fresh).toMatchObject({ status: 'NEW', sla: { firstResponse: { status: 'ON_TRACK' } } });

    const check = (ticket: any, now: Date) => checkTicketSla(t.app.runtime, uuid(sla.workspaceId), uuid(ticket.id), now);
    expect(await check(forgotten, new Date())).toEqual([]);
    expect(await check(resolved, new Date())).toEqual([]);
    await sweepSla(t.app.runtime, new Date());
    const { rows: notes } = await superuser.query(`SELECT count(*)::int AS n FROM notifications WHERE workspace_id = $1`, [uuid(sla.workspaceId)]);
    expect(notes[0].n).toBe(0);
    // The fresh ticket's first response is due at createdAt + 60 min and escalates then, as any ticket does.
    const due = at(fresh.sla.firstResponse.dueAt);
    expect(due.getTime()).toBe(recent.getTime() + 60 * 60_000);
    expect((await check(fresh, due)).map((e) => `${e.target} ${e.level}`)).toEqual(['FIRST_RESPONSE WARNING', 'FIRST_RESPONSE BREACH']);
    const tickets = (await t.ok(`{ tickets(first: 10) { edges { node { subject priority } } } }`, {}, sla)).tickets.edges.map((e: any) => e.node);
    expect(Object.fromEntries(tickets.map((n: any) => [n.subject, n.priority]))).toEqual({ 'Resolved late': 'NORMAL', Forgotten: 'NORMAL', Fresh: 'URGENT' });
  });

  test('times out of order are refused naming the field; corrected later, they must fit the status and move the due times', async () => {
    const bad = (await t.ok(UPSERT_TICKETS, {
      inputs: [
        { subject: 'B1', externalRef: { system: 'desk', id: 'b1' }, createdAt: '2024-02-02T00:00:00.000Z', firstResponseAt: '2024-02-01T00:00:00.000Z' },
        { subject: 'B2', externalRef: { system: 'desk', id: 'b2' }, createdAt: '2024-02-01T00:00:00.000Z', resolvedAt: '2024-02-02T00:00:00.000Z' },
        { subject: 'B3', externalRef: { system: 'desk', id: 'b3' }, createdAt: '2024-02-01T00:00:00.000Z', firstResponseAt: '2024-02-03T00:00:00.000Z', resolvedAt: '2024-02-02T00:00:00.000Z' },
      ],
    }, admin)).upsertTickets;
    expect(bad.items.map((i: any) => i.error.fields.map((f: any) => f.field))).toEqual([['inputs[0].firstResponseAt'], ['inputs[1].firstResponseAt'], ['inputs[2].resolvedAt']]);

    const desk = await t.signUp('Helpdesk corrections');
    await t.ok(`mutation { createSlaPolicy(input: { priority: NORMAL, firstResponseMinutes: 60, resolutionMinutes: 480 }) { id } }`, {}, desk);
    const resolved = { subject: 'Resolved', externalRef: { system: 'desk', id: 'r' }, createdAt: '2024-03-01T08:00:00.000Z', firstResponseAt: '2024-03-01T08:30:00.000Z', resolvedAt: '2024-03-01T20:00:00.000Z' };
    const unanswered = { subject: 'Unanswered', externalRef: { system: 'desk', id: 'u' }, createdAt: '2024-03-02T08:00:00.000Z' };
    await t.ok(UPSERT_TICKETS, { inputs: [resolved, unanswered] }, desk);
    const fixed = (await t.ok(UPSERT_TICKETS, { inputs: [{ ...resolved, resolvedAt: '2024-03-01T15:00:00.000Z' }, { ...unanswered, createdAt: '2024-03-02T07:00:00.000Z' }] }, desk)).upsertTickets;
    expect(fixed.failed).toBe(0);
    expect(fixed.items[0].ticket).toMatchObject({
      status: 'RESOLVED',
      resolvedAt: '2024-03-01T15:00:00.000Z',
      sla: { pausedAt: '2024-03-01T15:00:00.000Z', resolution: { status: 'MET', dueAt: '2024-03-01T16:00:00.000Z', breachedAt: null } },
    });
    expect(fixed.items[1].ticket).toMatchObject({
      status: 'NEW',
      createdAt: '2024-03-02T07:00:00.000Z',
      sla: { firstResponse: { status: 'BREACHED', dueAt: '2024-03-02T08:00:00.000Z' }, resolution: { status: 'BREACHED', dueAt: '2024-03-02T15:00:00.000Z' } },
    });
    expect(await checkTicketSla(t.app.runtime, uuid(desk.workspaceId), uuid(fixed.items[1].ticket.id), new Date())).toEqual([]);
    // A first response for a ticket still NEW does not fit its status: it is answered by changing the status.
    const unfit = await t.gql(`mutation($input: UpsertTicketInput!) { upsertTicket(input: $input) { status } }`, { input: { ...unanswered, firstResponseAt: '2024-03-02T09:00:00.000Z' } }, desk);
    expect([errorCode(unfit), errorFields(unfit)]).toEqual(['BAD_USER_INPUT', ['input.firstResponseAt']]);
    // Sent again as it is: nothing to do.
    expect((await t.ok(UPSERT_TICKETS, { inputs: [{ ...unanswered, createdAt: '2024-03-02T07:00:00.000Z' }] }, desk)).upsertTickets.items[0].outcome).toBe('UNCHANGED');
    expect(fixed.items.map((i: any) => i.outcome)).toEqual(['UPDATED', 'UPDATED']);
  });
});

describe('createdAt of the other objects', () => {
  test('accounts, contacts, products and orders take it on create and update; an order without orderDate is dated by it', async () => {
    const createdAt = '2022-11-30T23:30:00.000Z';
    await t.ok(`mutation { updateWorkspaceSettings(input: { timeZone: "Europe/Berlin" }) { timeZone } }`, {}, admin);
    const account = (await t.ok(`mutation($input: UpsertAccountInput!) { upsertAccount(input: $input) { account { id createdAt } } }`, { input: { name: 'Old GmbH', domain: 'old.example', createdAt } }, admin)).upsertAccount.account;
    expect(account.createdAt).toBe(createdAt);
    const contact = (await t.ok(`mutation($input: UpsertContactInput!) { upsertContact(input: $input) { contact { createdAt } } }`, { input: { lastName: 'Alt', email: 'alt@old.example', createdAt } }, admin)).upsertContact.contact;
    expect(contact.createdAt).toBe(createdAt);
    const product = (await t.ok(`mutation($input: UpsertProductInput!) { upsertProduct(input: $input) { product { id createdAt } } }`, { input: { sku: 'OLD-1', name: 'Old thing', price: '10.00', createdAt } }, admin)).upsertProduct.product;
    expect(product.createdAt).toBe(createdAt);
    const order = (
      await t.ok(
        `mutation($input: UpsertOrderInput!) { upsertOrder(input: $input) { order { createdAt orderDate } } }`,
        { input: { number: 'SO-OLD-1', accountId: account.id, lines: [{ productId: product.id, quantity: '1' }], createdAt } },
        admin,
      )
    ).upsertOrder.order;
    // 23:30 UTC on 30 November is 1 December in the workspace's zone (Europe/Berlin).
    expect(order).toEqual({ createdAt, orderDate: '2022-12-01' });
    const moved = (await t.ok(`mutation($input: UpsertAccountInput!) { upsertAccount(input: $input) { status account { createdAt } } }`, { input: { name: 'Old GmbH', domain: 'old.example', createdAt: '2021-01-01T00:00:00.000Z' } }, admin)).upsertAccount;
    expect(moved).toEqual({ status: 'UPDATED', account: { createdAt: '2021-01-01T00:00:00.000Z' } });
    const refused = await t.gql(`mutation($input: UpsertAccountInput!) { upsertAccount(input: $input) { status } }`, { input: { name: 'Old GmbH', domain: 'old.example', createdAt: null } }, admin);
    expect([errorCode(refused), errorFields(refused)]).toEqual(['BAD_USER_INPUT', ['input.createdAt']]);
  });
});

describe('streamed imports carry history through the same engine', () => {
  async function imported(object: string, contentType: string, body: string, who: Session, query = ''): Promise<Record<string, any>> {
    const response = await fetch(`${t.url}/imports/${object}${query}`, { method: 'POST', headers: { 'content-type': contentType, authorization: `Bearer ${who.token}` }, body });
    expect(response.status).toBe(202);
    const { importJob } = (await response.json()) as { importJob: { id: string } };
    workers ??= await startWorkers({ ...t.app.runtime.config, WORKER_CONCURRENCY: 1 }, createLogger('silent'), { prefix: PREFIX, relay: false });
    const JOB = `query($id: ID!) { importJob(id: $id) { status created failed errors(first: 10) { edges { node { line code fields { field } } } } } }`;
    return waitFor('the import to end', async () => {
      const job = (await t.ok(JOB, { id: importJob.id }, who)).importJob;
      return ['COMPLETED', 'FAILED'].includes(job.status) ? job : undefined;
    }, 20_000);
  }

  test('NDJSON deals with stage histories; CSV accounts with createdAt, refused line by line for a manager', async () => {
    const lines = [
      { name: 'Imported won', externalRef: { system: 'legacy', id: 'iw' }, amount: '500', stageHistory: [{ stageId: stage('Research'), enteredAt: '2023-01-02T09:00:00.000Z' }, { stageId: stage('Won'), enteredAt: '2023-02-02T09:00:00.000Z' }] },
      { name: 'Imported open', externalRef: { system: 'legacy', id: 'io' }, createdAt: '2023-03-01T09:00:00.000Z', stageHistory: [{ stageId: stage('Proposal'), enteredAt: '2023-03-05T09:00:00.000Z' }] },
      { name: 'Imported bad', externalRef: { system: 'legacy', id: 'ib' }, stageHistory: [{ stageId: stage('Won'), enteredAt: '2023-03-05T09:00:00.000Z' }, { stageId: stage('Research'), enteredAt: '2023-03-04T09:00:00.000Z' }] },
    ];
    const job = await imported('deals', 'application/x-ndjson', lines.map((line) => JSON.stringify(line)).join('\n'), admin, '?system=legacy');
    expect(job).toMatchObject({ status: 'COMPLETED', created: 2, failed: 1 });
    expect(job.errors.edges.map((e: any) => e.node)).toEqual([{ line: 3, code: 'BAD_USER_INPUT', fields: [{ field: 'stageHistory[1].enteredAt' }] }]);
    const { rows } = await superuser.query(`SELECT id, status, created_at, closed_at FROM deals WHERE name = 'Imported won'`);
    expect(rows[0]).toMatchObject({ status: 'WON', created_at: new Date('2023-01-02T09:00:00.000Z'), closed_at: new Date('2023-02-02T09:00:00.000Z') });
    expect(await historyRows(rows[0].id)).toEqual([
      { stage: 'Research', enteredAt: '2023-01-02T09:00:00.000Z', leftAt: '2023-02-02T09:00:00.000Z' },
      { stage: 'Won', enteredAt: '2023-02-02T09:00:00.000Z', leftAt: null },
    ]);

    const csv = 'externalId,name,createdAt\nA1,Legacy One,2020-05-01T10:00:00Z\nA2,Legacy Two,\n';
    const refused = await imported('accounts', 'text/csv', csv, manager, '?system=legacy');
    expect(refused).toMatchObject({ status: 'COMPLETED', created: 1, failed: 1 });
    expect(refused.errors.edges.map((e: any) => e.node)).toEqual([{ line: 2, code: 'FORBIDDEN', fields: [{ field: 'createdAt' }] }]);
    const done = await imported('accounts', 'text/csv', csv, admin, '?system=legacy');
    expect(done).toMatchObject({ status: 'COMPLETED', created: 1, failed: 0 });
    const { rows: accounts } = await superuser.query(`SELECT created_at FROM accounts WHERE name = 'Legacy One'`);
    expect(accounts[0].created_at).toEqual(new Date('2020-05-01T10:00:00.000Z'));
  });
});

describe('activities', () => {
  const CREATE = `mutation($input: CreateActivityInput!) { createActivity(input: $input) { type createdAt occurredAt completedAt done } }`;

  test('createActivity takes createdAt and a task’s completedAt under history:write; occurredAt stays everyone’s', async () => {
    const account = (await t.ok(`mutation { createAccount(input: { name: "Diary GmbH" }) { id } }`, {}, admin)).createAccount.id;
    const task = { type: 'TASK', subject: 'Send offer', accountId: account, dueAt: '2023-06-01T12:00:00.000Z', createdAt: '2023-05-30T08:00:00.000Z', completedAt: '2023-05-31T16:00:00.000Z' };
    expect((await t.ok(CREATE, { input: task }, admin)).createActivity).toEqual({
      type: 'TASK',
      createdAt: '2023-05-30T08:00:00.000Z',
      occurredAt: null,
      completedAt: '2023-05-31T16:00:00.000Z',
      done: true,
    });
    const sales = await t.member(admin, 'SALES');
    const refused = await t.gql(CREATE, { input: task }, sales);
    expect([errorCode(refused), errorFields(refused)]).toEqual(['FORBIDDEN', ['createdAt', 'completedAt']]);
    const call = { type: 'CALL', subject: 'Called', accountId: account, occurredAt: '2023-05-30T09:00:00.000Z' };
    expect((await t.ok(CREATE, { input: call }, sales)).createActivity.occurredAt).toBe('2023-05-30T09:00:00.000Z');
    const note = await t.gql(CREATE, { input: { ...call, type: 'NOTE', completedAt: '2023-05-30T09:00:00.000Z' } }, admin);
    expect([errorCode(note), errorFields(note)]).toEqual(['BAD_USER_INPUT', ['completedAt']]);
  });
});
