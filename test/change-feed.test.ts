import type { Job } from 'bullmq';
import type { Client } from 'pg';
import type { DataSource } from 'typeorm';
import { createDataSource } from '../src/kernel/db/data-source';
import { sequenceEvents } from '../src/kernel/events/record-events';
import { parseId } from '../src/kernel/ids';
import { RELAY_NAME } from '../workers/event-relay';
import { purgeRecordEvents } from '../workers/purge-record-events';
import { superuserClient } from './support/databases';
import { TestApp, errorCode, errorFields, type Session } from './support/test-app';
import { waitFor } from './support/wait';

/**
 * The change feed (`changes`): every record event of a workspace in commit order, paged by an
 * opaque cursor; exactly once under concurrent writers that commit out of order; and its
 * retention (the purge, unrelayed events kept, expired cursors refused).
 */

let t: TestApp;
let superuser: Client;
let a: Session;
let b: Session;

beforeAll(async () => {
  t = await TestApp.start('change_feed');
  superuser = await superuserClient(t.database.name);
  a = await t.signUp('Feed A');
  b = await t.signUp('Feed B');
});

afterAll(async () => {
  await superuser?.end();
  await t?.stop();
});

interface Change {
  id: string;
  type: string;
  recordType: string;
  recordId: string;
  changed: string[];
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
  sequence: string;
  occurredAt: string;
  actor: { id: string } | null;
}

interface Page {
  changes: Change[];
  endCursor: string | null;
  hasNextPage: boolean;
}

const FEED = `query($after: String, $types: [String!], $first: Int) {
  changes(after: $after, types: $types, first: $first) {
    edges { cursor node { id type recordType recordId changed before after sequence occurredAt actor { id } } }
    pageInfo { hasNextPage endCursor }
  }
}`;

async function page(who: Session, args: { after?: string | null; types?: string[]; first?: number } = {}): Promise<Page> {
  const { changes } = await t.ok(FEED, args, who);
  return { changes: changes.edges.map((edge: { node: Change }) => edge.node), endCursor: changes.pageInfo.endCursor, hasNextPage: changes.pageInfo.hasNextPage };
}

/** Reads the feed to its current end from `after`; returns what it read and the cursor to go on from. */
async function drain(who: Session, after: string | null = null, args: { types?: string[]; first?: number } = {}): Promise<{ changes: Change[]; cursor: string | null }> {
  const changes: Change[] = [];
  let cursor = after;
  for (;;) {
    const next = await page(who, { ...args, after: cursor });
    changes.push(...next.changes);
    cursor = next.endCursor ?? cursor;
    if (!next.hasNextPage) return { changes, cursor };
  }
}

const uuid = (id: string) => parseId(id)!.uuid;
const createAccount = async (name: string, who: Session = a): Promise<string> =>
  (await t.ok(`mutation($n: String!) { createAccount(input: { name: $n }) { id } }`, { n: name }, who)).createAccount.id;

/** The workspace's event ids in the database, as the superuser sees them. */
async function storedEventIds(who: Session): Promise<string[]> {
  const { rows } = await superuser.query(`SELECT id FROM record_events WHERE workspace_id = $1`, [uuid(who.workspaceId)]);
  return rows.map((row) => row.id);
}

/**
 * Waits until every committed event of the workspace has its number: a transaction open in this
 * database (or one in another whose database the owner role cannot see) holds numbering back for
 * a while; the feed rightly shows nothing unnumbered.
 */
const settled = (who: Session) =>
  waitFor('every event to be numbered', async () => {
    await sequenceEvents(t.app.runtime.dataSource);
    const { rows } = await superuser.query(`SELECT count(*)::int AS n FROM record_events WHERE workspace_id = $1 AND seq IS NULL`, [uuid(who.workspaceId)]);
    return rows[0].n === 0 ? true : undefined;
  }, 30_000);

const increasing = (changes: Change[]) => changes.every((change, i) => i === 0 || BigInt(change.sequence) > BigInt(changes[i - 1].sequence));

describe('reading', () => {
  test('every change in commit order, deletions and restores included, the same however it is paged', async () => {
    await settled(a);
    const { cursor: start } = await drain(a);
    const account = await createAccount('Feed Corp');
    await t.ok(`mutation($id: ID!) { updateAccount(id: $id, input: { industry: "Retail" }) { id } }`, { id: account }, a);
    await t.ok(`mutation($id: ID!) { deleteAccount(id: $id) { id } }`, { id: account }, a);
    await t.ok(`mutation($id: ID!) { restoreAccount(id: $id) { id } }`, { id: account }, a);

    await settled(a);
    const { changes, cursor } = await drain(a, start);
    expect(changes.map((change) => change.type)).toEqual(['account.created', 'account.updated', 'account.deleted', 'account.restored']);
    expect(increasing(changes)).toBe(true);
    const [created, updated, deleted] = changes;
    expect(created).toMatchObject({ recordType: 'Account', recordId: account, before: null, actor: { id: a.userId } });
    expect(created.id).toMatch(/^evt_/);
    expect(created.after).toMatchObject({ id: account, name: 'Feed Corp' });
    expect(updated).toMatchObject({ changed: ['industry'], before: { industry: null }, after: { industry: 'Retail' } });
    expect(deleted.changed).toContain('deletedAt');

    // Nothing new: an empty page, and the cursor stays where it was.
    expect(await page(a, { after: cursor })).toEqual({ changes: [], endCursor: null, hasNextPage: false });

    const everything = await drain(a, null, { first: 200 });
    const byTwos = await drain(a, null, { first: 2 });
    expect(byTwos.changes.map((change) => change.id)).toEqual(everything.changes.map((change) => change.id));
    expect(new Set(everything.changes.map((change) => uuid(change.id)))).toEqual(new Set(await storedEventIds(a)));
  });

  test('types filter: exact types and every action of a record type; an unknown type is bad input naming it', async () => {
    const account = await createAccount('Typed Corp');
    await t.ok(`mutation($id: ID!) { updateAccount(id: $id, input: { industry: "Mining" }) { id } }`, { id: account }, a);
    const contact = (await t.ok(`mutation { createContact(input: { firstName: "Tia", lastName: "Typed" }) { id } }`, {}, a)).createContact.id;
    await settled(a);

    const updates = await drain(a, null, { types: ['account.updated'] });
    expect(new Set(updates.changes.map((change) => change.type))).toEqual(new Set(['account.updated']));
    expect(updates.changes.map((change) => change.recordId)).toContain(account);

    const contacts = await drain(a, null, { types: ['contact.*', 'account.created'] });
    expect(new Set(contacts.changes.map((change) => change.type))).toEqual(new Set(['contact.created', 'account.created']));
    expect(contacts.changes.map((change) => change.recordId)).toEqual(expect.arrayContaining([contact, account]));
    expect(increasing(contacts.changes)).toBe(true);

    for (const types of [['deal.exploded'], ['account.updated', 'dael.*'], ['*'], ['account.created.x']]) {
      const result = await t.gql(FEED, { types }, a);
      expect(errorCode(result)).toBe('BAD_USER_INPUT');
      expect(errorFields(result)).toEqual([`types.${types.length - 1}`]);
    }
  });

  test('a workspace sees only its own changes', async () => {
    await createAccount('Only B', b);
    await settled(b);
    const seenByB = (await drain(b)).changes;
    expect(new Set(seenByB.map((change) => uuid(change.id)))).toEqual(new Set(await storedEventIds(b)));
    const ofA = new Set(await storedEventIds(a));
    expect(seenByB.some((change) => ofA.has(uuid(change.id)))).toBe(false);
  });

  test('the page size is capped at 200 and a cursor must be one of the feed', async () => {
    const tooLarge = await t.gql(FEED, { first: 201 }, a);
    expect([errorCode(tooLarge), errorFields(tooLarge)]).toEqual(['BAD_USER_INPUT', ['first']]);
    const garbage = await t.gql(FEED, { after: 'not-a-cursor' }, a);
    expect([errorCode(garbage), errorFields(garbage)]).toEqual(['BAD_USER_INPUT', ['after']]);
    const listCursor = (await t.ok(`{ accounts(first: 1) { pageInfo { endCursor } } }`, {}, a)).accounts.pageInfo.endCursor;
    const foreign = await t.gql(FEED, { after: listCursor }, a);
    expect([errorCode(foreign), errorFields(foreign)]).toEqual(['BAD_USER_INPUT', ['after']]);
    expect(errorCode(await t.gql(FEED, {}))).toBe('UNAUTHENTICATED');
  });
});

describe('concurrent writers', () => {
  test('a consumer polling throughout sees every change exactly once, also when transactions commit out of the order they started', async () => {
    const w = await t.signUp('Feed Concurrency');
    const seen: Change[] = [];
    let cursor: string | null = null;
    let polls = 0;
    let polling = true;
    const poller = (async () => {
      while (polling) {
        const next = await page(w, { after: cursor, first: 7 });
        seen.push(...next.changes);
        cursor = next.endCursor ?? cursor;
        polls += 1;
      }
    })();
    const pollsFromNow = async (n: number) => {
      const target = polls + n;
      while (polls < target) await new Promise((resolve) => setTimeout(resolve, 20));
    };
    const writers = (round: string) =>
      Promise.all(
        [1, 2, 3].map(async (writer) => {
          for (let i = 0; i < 6; i++) {
            const id = await createAccount(`${round} ${writer}.${i}`, w);
            if (i % 2 === 0) await t.ok(`mutation($id: ID!) { updateAccount(id: $id, input: { industry: "Round ${round}" }) { id } }`, { id }, w);
          }
        }),
      );
    /** A transaction that writes an event now and commits only when told: a slow writer. */
    const openWriter = async () => {
      const client = await superuserClient(t.database.name);
      await client.query('BEGIN');
      await client.query(
        `INSERT INTO record_events (workspace_id, type, record_type, record_id, after, changed) VALUES ($1, 'account.created', 'Account', gen_random_uuid(), '{}', '{}')`,
        [uuid(w.workspaceId)],
      );
      return { commit: async () => (await client.query('COMMIT'), await client.end()) };
    };
    const heldBack = async () =>
      (await superuser.query(`SELECT count(*)::int AS n FROM record_events WHERE workspace_id = $1 AND seq IS NULL`, [uuid(w.workspaceId)])).rows[0].n as number;

    try {
      await pollsFromNow(2);
      const slow = await openWriter(); // starts first, commits last
      const writing = writers('one');
      const alsoSlow = await openWriter(); // starts after some writers, commits before `slow`
      await writing;
      await alsoSlow.commit();
      await pollsFromNow(3);
      // Everything that committed after `slow` started waits for it: handing it out now could
      // let `slow`'s event appear behind a position the consumer has already passed.
      expect(await heldBack()).toBeGreaterThanOrEqual(28);
      const seenWhileHeld = seen.length;
      await slow.commit();
      await Promise.all([writers('two'), pollsFromNow(2)]);
      await pollsFromNow(2);
      expect(seen.length).toBeGreaterThan(seenWhileHeld);
    } finally {
      polling = false;
      await poller;
    }
    // Once every event is numbered, one more pass reads the rest.
    await settled(w);
    seen.push(...(await drain(w, cursor)).changes);

    const ids = seen.map((change) => uuid(change.id));
    expect(new Set(ids).size).toBe(ids.length);
    expect(new Set(ids)).toEqual(new Set(await storedEventIds(w)));
    expect(increasing(seen)).toBe(true);
  }, 60_000);
});

describe('the numbering horizon', () => {
  test('a transaction held open in another database of the server does not hold back this one’s feed', async () => {
    const elsewhere = await superuserClient('postgres');
    try {
      await elsewhere.query('BEGIN');
      await elsewhere.query('SELECT pg_current_xact_id()');
      const { cursor } = await drain(a);
      const id = await createAccount('Past the other database');
      const { changes } = await page(a, { after: cursor });
      expect(changes.map((change) => [change.type, change.recordId])).toEqual([['account.created', id]]);
    } finally {
      await elsewhere.query('ROLLBACK');
      await elsewhere.end();
    }
  });

  test('a transaction held open in this database does hold it back, until it ends', async () => {
    const { cursor } = await drain(a);
    const here = await superuserClient(t.database.name);
    try {
      await here.query('BEGIN');
      await here.query('SELECT pg_current_xact_id()');
      const id = await createAccount('Behind the open transaction');
      expect((await page(a, { after: cursor })).changes).toEqual([]);
      await here.query('COMMIT');
      const { changes } = await page(a, { after: cursor });
      expect(changes.map((change) => change.recordId)).toEqual([id]);
    } finally {
      await here.end();
    }
  });
});

describe('retention', () => {
  let workerDb: DataSource;

  beforeAll(async () => {
    workerDb = createDataSource({ url: t.database.workerUrl, poolSize: 1 });
    await workerDb.initialize();
  });

  afterAll(() => workerDb?.destroy());

  const purge = () => purgeRecordEvents({} as Job<Record<string, never>>, { ...t.app.runtime, dataSource: workerDb }) as Promise<{ purged: number }>;
  const exists = async (id: string) => (await superuser.query(`SELECT 1 FROM record_events WHERE id = $1`, [uuid(id)])).rowCount === 1;
  const setRelayPosition = (seq: string) =>
    superuser.query(`INSERT INTO event_relay_positions (relay, last_seq) VALUES ($1, $2) ON CONFLICT (relay) DO UPDATE SET last_seq = $2`, [RELAY_NAME, seq]);

  test('the purge deletes relayed events older than the retention, keeps unrelayed and young ones, and an expired cursor is refused', async () => {
    const r = await t.signUp('Feed Retention');
    await settled(r);
    const { cursor: start } = await drain(r);
    for (const name of ['Old 1', 'Old 2', 'Old 3', 'Young']) await createAccount(name, r);
    await settled(r);
    const first = await page(r, { after: start, first: 1 });
    const second = await page(r, { after: first.endCursor, first: 1 });
    const { changes: rest } = await drain(r, second.endCursor);
    const [old1, old2, old3, young] = [first.changes[0], second.changes[0], ...rest];
    const unrelated = (await drain(a)).changes.at(-1)!;
    await superuser.query(`UPDATE record_events SET occurred_at = now() - interval '40 days' WHERE id = ANY($1)`, [[old1, old2, old3].map((e) => uuid(e.id))]);
    // The relay has passed old2 but not old3: old3 is still owed to the queue and stays, however old.
    await setRelayPosition(old2.sequence);

    expect(await purge()).toEqual({ purged: 2 });
    expect([await exists(old1.id), await exists(old2.id), await exists(old3.id), await exists(young.id), await exists(unrelated.id)]).toEqual([false, false, true, true, true]);

    for (const after of [start, first.endCursor]) {
      const expired = await t.gql(FEED, { after }, r);
      expect([errorCode(expired), errorFields(expired)]).toEqual(['BAD_USER_INPUT', ['after']]);
      expect(expired.errors![0].message).toMatch(/expired.*Resync/);
    }
    // From the deleted events on, nothing was lost.
    expect((await drain(r, second.endCursor)).changes.map((change) => change.id)).toEqual([old3.id, young.id]);
    const fromStart = (await drain(r)).changes.map((change) => change.id);
    expect(fromStart.slice(-2)).toEqual([old3.id, young.id]);
    expect(fromStart).not.toContain(old1.id);
    // Other workspaces' cursors are untouched by this workspace's purge.
    expect((await t.gql(FEED, { after: start }, a)).errors).toBeUndefined();

    await setRelayPosition(young.sequence);
    expect(await purge()).toEqual({ purged: 1 });
    expect(await exists(old3.id)).toBe(false);
  });

  test('only the worker may purge, and never younger than a day', async () => {
    await expect(t.app.runtime.dataSource.query(`SELECT crm_purge_record_events('30 days'::interval, 10)`)).rejects.toThrow(/permission denied/);
    await expect(workerDb.query(`SELECT crm_purge_record_events('1 hour'::interval, 10)`)).rejects.toThrow(/kept at least a day/);
  });
});
