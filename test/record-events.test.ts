import { Client } from 'pg';
import { sequenceEvents } from '../src/kernel/events/record-events';
import { parseId } from '../src/kernel/ids';
import { superuserClient } from './support/databases';
import { TestApp, errorCode, type Session } from './support/test-app';

/** The transactional outbox: one event per committed change, none for a rolled-back one, numbered in a commit-safe order. */

const EVENT = `id type recordId recordType actor { id } before after changed occurredAt sequence`;

let t: TestApp;
let admin: Session;
let seller: Session;
let other: Session;
let superuser: Client;

const history = async (recordId: string, who: Session = admin) =>
  (await t.ok(`query($r: ID!) { recordEvents(recordId: $r, first: 200) { totalCount edges { node { ${EVENT} } } } }`, { r: recordId }, who))
    .recordEvents;

const events = async (recordId: string, who: Session = admin) => (await history(recordId, who)).edges.map((e: any) => e.node);

beforeAll(async () => {
  t = await TestApp.start('record_events');
  admin = await t.signUp('Events A');
  seller = await t.member(admin, 'SALES');
  other = await t.signUp('Events B');
  superuser = await superuserClient(t.database.name);
});
afterAll(async () => {
  await superuser?.end();
  await t.stop();
});

describe('writes', () => {
  test('create, update, delete and restore of an account each write one event with before, after, changed and actor', async () => {
    const created = (await t.ok(`mutation { createAccount(input: { name: "Acme", industry: "Tools" }) { id } }`, {}, seller)).createAccount;
    await t.ok(`mutation($id: ID!) { updateAccount(id: $id, input: { name: "Acme AG" }, expectedVersion: 1) { id } }`, { id: created.id }, admin);
    await t.ok(`mutation($id: ID!) { deleteAccount(id: $id) { id } }`, { id: created.id }, admin);
    await t.ok(`mutation($id: ID!) { restoreAccount(id: $id) { id } }`, { id: created.id }, admin);

    const list = await events(created.id);
    expect(list.map((e: any) => e.type)).toEqual(['account.created', 'account.updated', 'account.deleted', 'account.restored']);
    const [create, update, remove, restore] = list;
    expect(create).toMatchObject({ recordId: created.id, recordType: 'Account', actor: { id: seller.userId }, before: null, sequence: null });
    expect(create.id).toMatch(/^evt_/);
    expect(create.after).toMatchObject({ id: created.id, name: 'Acme', industry: 'Tools', version: 1, deletedAt: null });
    expect(create.after).not.toHaveProperty('workspaceId');
    expect(create.changed).toEqual(expect.arrayContaining(['id', 'name', 'industry', 'createdAt']));
    expect(create.changed).not.toContain('version');

    expect(update).toMatchObject({ actor: { id: admin.userId }, changed: ['name'], before: { name: 'Acme', version: 1 }, after: { name: 'Acme AG', version: 2 } });
    expect(remove.changed).toEqual(['deletedAt']);
    expect(remove.before.deletedAt).toBeNull();
    expect(remove.after.deletedAt).toEqual(expect.any(String));
    expect(restore).toMatchObject({ changed: ['deletedAt'], after: { deletedAt: null, version: 4 } });
  });

  test('a deal: created with public ids for its references, then every domain verb writes an updated event', async () => {
    const pipeline = (await t.ok(`{ pipelines { edges { node { id stages { id name kind } } } } }`, {}, admin)).pipelines.edges[0].node;
    const stage = (name: string) => pipeline.stages.find((s: any) => s.name === name).id;
    const account = (await t.ok(`mutation { createAccount(input: { name: "Buyer" }) { id } }`, {}, admin)).createAccount.id;
    const deal = (await t.ok(`mutation($a: ID!) { createDeal(input: { name: "Big", amount: "100.00", accountId: $a }) { id } }`, { a: account }, admin)).createDeal.id;
    await t.ok(`mutation($id: ID!, $s: ID!) { moveDeal(id: $id, stageId: $s) { id } }`, { id: deal, s: stage('Proposal') }, admin);
    await t.ok(`mutation($id: ID!) { winDeal(id: $id) { id } }`, { id: deal }, admin);
    await t.ok(`mutation($id: ID!) { updateDeal(id: $id, input: { amount: "250.00" }) { id } }`, { id: deal }, admin);
    await t.ok(`mutation($id: ID!) { deleteDeal(id: $id) { id } }`, { id: deal }, admin);
    await t.ok(`mutation($id: ID!) { restoreDeal(id: $id) { id } }`, { id: deal }, admin);

    const [created, moved, won, updated, deleted, restored] = await events(deal);
    expect(created).toMatchObject({ type: 'deal.created', after: { id: deal, accountId: account, pipelineId: pipeline.id, stageId: stage('Research'), amount: '100.0000', status: 'OPEN' } });
    expect(moved).toMatchObject({ type: 'deal.updated', changed: ['stageId', 'stageChangedAt'], before: { stageId: stage('Research') }, after: { stageId: stage('Proposal') } });
    expect(won.type).toBe('deal.updated');
    expect(won.changed.sort()).toEqual(['closedAt', 'stageChangedAt', 'stageId', 'status']);
    expect(won.after).toMatchObject({ status: 'WON', stageId: stage('Won'), closedAt: expect.any(String) });
    expect(updated).toMatchObject({ type: 'deal.updated', changed: ['amount'], before: { amount: '100.0000' }, after: { amount: '250.0000' } });
    expect([deleted.type, restored.type]).toEqual(['deal.deleted', 'deal.restored']);
  });

  test('completeTask and changeTicketStatus write updated events with the fields they change', async () => {
    const account = (await t.ok(`mutation { createAccount(input: { name: "Tasked" }) { id } }`, {}, admin)).createAccount.id;
    const task = (await t.ok(`mutation($a: ID!) { createActivity(input: { type: TASK, subject: "Call back", accountId: $a }) { id } }`, { a: account }, admin))
      .createActivity.id;
    await t.ok(`mutation($id: ID!) { completeTask(id: $id) { id } }`, { id: task }, admin);
    const [, completed] = await events(task);
    expect(completed).toMatchObject({ type: 'activity.updated', changed: ['completedAt'], before: { completedAt: null } });

    const ticket = (await t.ok(`mutation { createTicket(input: { subject: "Broken" }) { id } }`, {}, admin)).createTicket.id;
    await t.ok(`mutation($id: ID!) { changeTicketStatus(id: $id, status: OPEN) { id } }`, { id: ticket }, admin);
    const [, opened] = await events(ticket);
    expect(opened).toMatchObject({ type: 'ticket.updated', changed: ['status', 'firstResponseAt'], before: { status: 'NEW' }, after: { status: 'OPEN' } });
  });

  test('stage shifts, the default flag and member seats write events too', async () => {
    const created = (await t.ok(
      `mutation { createPipeline(input: { name: "Partners", isDefault: true, stages: [{ name: "Open", probability: 10, kind: OPEN }, { name: "Won", probability: 100, kind: WON }, { name: "Lost", probability: 0, kind: LOST }] }) { id stages { id } } }`,
      {},
      admin,
    )).createPipeline;
    expect((await events(created.stages[0].id)).map((e: any) => e.type)).toEqual(['stage.created']);
    const previous = (await t.ok(`{ recordEvents(type: "pipeline.updated") { edges { node { changed after } } } }`, {}, admin)).recordEvents.edges;
    expect(previous.map((e: any) => [e.node.changed, e.node.after.isDefault])).toEqual([[['isDefault'], false]]);
    await t.ok(`mutation($p: ID!) { addStage(pipelineId: $p, input: { name: "First", probability: 5, kind: OPEN, position: 0 }) { id } }`, { p: created.id }, admin);
    const [, shifted] = await events(created.stages[0].id);
    expect(shifted).toMatchObject({ type: 'stage.updated', changed: ['position'], before: { position: 0, pipelineId: created.id }, after: { position: 1 } });

    const seats = (await t.ok(`{ recordEvents(type: "member.created") { totalCount } }`, {}, admin)).recordEvents.totalCount;
    expect(seats).toBe(2);
  });

  test('a write that fails after its event was written leaves no event (the transaction rolled back)', async () => {
    const deal = (await t.ok(`mutation { createDeal(input: { name: "Solo" }) { id } }`, {}, admin)).createDeal.id;
    const contact = (await t.ok(`mutation { createContact(input: { lastName: "Stranger" }) { id } }`, {}, admin)).createContact.id;
    // unlink raises the deal's version (writing deal.updated) and only then finds the contact is not on the deal.
    const failed = await t.gql(`mutation($d: ID!, $c: ID!) { removeDealContact(dealId: $d, contactId: $c) { id } }`, { d: deal, c: contact }, admin);
    expect(errorCode(failed)).toBe('BAD_USER_INPUT');
    expect((await events(deal)).map((e: any) => e.type)).toEqual(['deal.created']);
    expect((await t.ok(`query($id: ID!) { deal(id: $id) { version } }`, { id: deal }, admin)).deal.version).toBe(1);
    // A stale expectedVersion writes nothing either.
    const stale = await t.gql(`mutation($id: ID!) { updateDeal(id: $id, input: { name: "x" }, expectedVersion: 7) { id } }`, { id: deal }, admin);
    expect(errorCode(stale)).toBe('CONFLICT');
    expect((await history(deal)).totalCount).toBe(1);
  });
});

describe('reading', () => {
  test('filters by type and since, pages oldest first without skipping or repeating', async () => {
    const since = new Date().toISOString();
    const account = (await t.ok(`mutation { createAccount(input: { name: "Pager" }) { id } }`, {}, admin)).createAccount.id;
    for (const name of ['P1', 'P2', 'P3']) {
      await t.ok(`mutation($id: ID!, $n: String!) { updateAccount(id: $id, input: { name: $n }) { id } }`, { id: account, n: name }, admin);
    }
    const seen: string[] = [];
    let after: string | null = null;
    for (;;) {
      const page: any = (
        await t.ok(
          `query($s: DateTimeISO, $a: String) { recordEvents(type: "account.updated", since: $s, first: 2, after: $a) { edges { node { after } } pageInfo { hasNextPage endCursor } } }`,
          { s: since, a: after },
          admin,
        )
      ).recordEvents;
      seen.push(...page.edges.map((e: any) => e.node.after.name));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(seen).toEqual(['P1', 'P2', 'P3']);
  });

  test("another workspace's events are invisible: an id of theirs answers as unknown", async () => {
    const theirs = (await t.ok(`mutation { createAccount(input: { name: "Hidden" }) { id } }`, {}, other)).createAccount.id;
    expect((await history(theirs, other)).totalCount).toBe(1);
    expect((await history(theirs, admin)).totalCount).toBe(0);
    const everything = (await t.ok(`{ recordEvents(first: 200) { edges { node { recordId } } } }`, {}, admin)).recordEvents.edges;
    expect(everything.map((e: any) => e.node.recordId)).not.toContain(theirs);
  });

  test('a malformed recordId is bad input', async () => {
    expect(errorCode(await t.gql(`{ recordEvents(recordId: "nope") { totalCount } }`, {}, admin))).toBe('BAD_USER_INPUT');
  });
});

describe('sequencing', () => {
  const ws = () => parseId(admin.workspaceId)!.uuid;

  /** A transaction of the application role, scoped to workspace A, that writes one event and stays open. */
  async function openWriter(label: string): Promise<{ client: Client; id: string }> {
    const client = new Client({ connectionString: t.database.appUrl });
    await client.connect();
    await client.query('BEGIN');
    await client.query(`SELECT set_config('app.workspace_id', $1, true)`, [ws()]);
    const { rows } = await client.query(
      `INSERT INTO record_events (workspace_id, type, record_type, record_id) VALUES ($1, $2, 'Account', gen_random_uuid()) RETURNING id`,
      [ws(), `test.${label}`],
    );
    return { client, id: rows[0].id };
  }

  const seqOf = async (id: string): Promise<number | null> => {
    const { rows } = await superuser.query(`SELECT seq FROM record_events WHERE id = $1`, [id]);
    return rows[0]?.seq == null ? null : Number(rows[0].seq);
  };

  test('numbers only finished events, holds back everything newer than a running writer, and never issues a number below one already read', async () => {
    await sequenceEvents(t.app.runtime.dataSource);
    const readUpTo = async () => Number((await superuser.query(`SELECT coalesce(max(seq), 0) AS n FROM record_events`)).rows[0].n);
    let consumed = await readUpTo();

    const t1 = await openWriter('t1');
    const t2 = await openWriter('t2');
    await t2.client.query('COMMIT');
    await sequenceEvents(t.app.runtime.dataSource);
    // T2 committed, but T1 (older) is still running and may yet commit: T2 waits.
    expect(await seqOf(t2.id)).toBeNull();
    expect(await seqOf(t1.id)).toBeNull();

    const t3 = await openWriter('t3');
    await t3.client.query('ROLLBACK');
    await t1.client.query('COMMIT');
    expect(await sequenceEvents(t.app.runtime.dataSource)).toBeGreaterThanOrEqual(2);
    const [s1, s2] = [await seqOf(t1.id), await seqOf(t2.id)];
    expect(s1).not.toBeNull();
    expect(s2).not.toBeNull();
    // Every number issued after the consumer's last read is above it, and each event got exactly one.
    expect(s1!).toBeGreaterThan(consumed);
    expect(s2!).toBeGreaterThan(consumed);
    expect(await seqOf(t3.id)).toBeNull(); // rolled back: the row does not exist
    consumed = await readUpTo();

    // Running again numbers nothing twice and nothing below what was read.
    await t.ok(`mutation { createAccount(input: { name: "Later" }) { id } }`, {}, admin);
    await sequenceEvents(t.app.runtime.dataSource);
    const later = await superuser.query(`SELECT seq FROM record_events WHERE seq IS NOT NULL ORDER BY seq DESC LIMIT 1`);
    expect(Number(later.rows[0].seq)).toBeGreaterThan(consumed);
    const duplicates = await superuser.query(`SELECT seq FROM record_events WHERE seq IS NOT NULL GROUP BY seq HAVING count(*) > 1`);
    expect(duplicates.rows).toEqual([]);
    await Promise.all([t1.client.end(), t2.client.end(), t3.client.end()]);
  });

  test('every committed event is numbered once no writer is running, and the API shows the number', async () => {
    while ((await sequenceEvents(t.app.runtime.dataSource, 50)) > 0);
    const { rows } = await superuser.query(`SELECT count(*)::int AS n FROM record_events WHERE seq IS NULL`);
    expect(rows[0].n).toBe(0);
    const first = (await t.ok(`{ recordEvents(first: 1) { edges { node { sequence } } } }`, {}, admin)).recordEvents.edges[0].node;
    expect(first.sequence).toMatch(/^\d+$/);
  });

  test('the application role cannot number events itself or read them without a workspace', async () => {
    const app = new Client({ connectionString: t.database.appUrl });
    await app.connect();
    try {
      expect((await app.query(`SELECT count(*)::int AS n FROM record_events`)).rows[0].n).toBe(0);
      await expect(app.query(`UPDATE record_events SET seq = 1`)).rejects.toThrow(/permission denied/);
    } finally {
      await app.end();
    }
  });

  test("the log is append-only: the application role cannot rewrite or delete even its own workspace's events", async () => {
    const session = await t.signUp('Tamper Proof');
    await t.ok(`mutation { createAccount(input: { name: "Audited" }) { id } }`, {}, session);
    const app = new Client({ connectionString: t.database.appUrl });
    await app.connect();
    try {
      await app.query('BEGIN');
      await app.query(`SELECT set_config('app.workspace_id', $1, true)`, [parseId(session.workspaceId)!.uuid]);
      expect((await app.query(`SELECT count(*)::int AS n FROM record_events`)).rows[0].n).toBeGreaterThan(0);
      await expect(app.query(`UPDATE record_events SET after = '{}'`)).rejects.toThrow(/permission denied for table record_events/);
      await app.query('ROLLBACK');
      await expect(app.query(`DELETE FROM record_events`)).rejects.toThrow(/permission denied for table record_events/);
    } finally {
      await app.end();
    }
  });
});

