import type { Client } from 'pg';
import { DbSession } from '../src/kernel/db/session';
import { parseId } from '../src/kernel/ids';
import { claimKey, fence, type KeyRef } from '../src/server/idempotency/key-ledger';
import { fingerprint } from '../src/server/idempotency/idempotent-request';
import { purgeIdempotencyKeys } from '../workers/purge-idempotency-keys';
import { superuserClient } from './support/databases';
import { TestApp, type Session } from './support/test-app';
import { waitFor } from './support/wait';

/**
 * `Idempotency-Key` on mutations, over real HTTP: a retry replays the stored response without
 * running the mutation again; the key is per workspace and user; queries ignore it.
 */

let t: TestApp;
let superuser: Client;
let admin: Session;
let sales: Session;
let other: Session;

const CREATE = `mutation($input: CreateAccountInput!) { createAccount(input: $input) { id name version } }`;
const uuid = (id: string) => parseId(id)!.uuid;

interface Reply {
  status: number;
  replayed: string | null;
  retryAfter: string | null;
  text: string;
  body: { data?: any; errors?: Array<{ message: string; extensions?: { code?: string; fields?: Array<{ field: string }> } }> };
}

async function post(app: TestApp, who: Session, key: string | undefined, query: string, variables: Record<string, unknown> = {}): Promise<Reply> {
  const response = await fetch(`${app.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${who.token}`, ...(key === undefined ? {} : { 'idempotency-key': key }) },
    body: JSON.stringify({ query, variables }),
  });
  const text = await response.text();
  return { status: response.status, replayed: response.headers.get('idempotent-replayed'), retryAfter: response.headers.get('retry-after'), text, body: JSON.parse(text) };
}

const create = (who: Session, key: string | undefined, name: string, app = t) => post(app, who, key, CREATE, { input: { name } });

async function accountsNamed(name: string): Promise<number> {
  return (await superuser.query(`SELECT count(*)::int AS n FROM accounts WHERE name = $1`, [name])).rows[0].n;
}

async function keyRows(key: string): Promise<number> {
  return (await superuser.query(`SELECT count(*)::int AS n FROM idempotency_keys WHERE key = $1`, [key])).rows[0].n;
}

const problem = (reply: Reply) => ({
  status: reply.status,
  code: reply.body.errors?.[0]?.extensions?.code,
  fields: reply.body.errors?.[0]?.extensions?.fields?.map((f) => f.field),
});

beforeAll(async () => {
  t = await TestApp.start('idempotency');
  admin = await t.signUp('Keys A');
  sales = await t.member(admin, 'SALES');
  other = await t.signUp('Keys B');
  superuser = await superuserClient(t.database.name);
});
afterAll(async () => {
  await superuser?.end();
  await t?.stop();
});

describe('a mutation with Idempotency-Key', () => {
  test('a retry returns the identical response, marked replayed, and creates one record and one event', async () => {
    const first = await create(admin, 'retry-1', 'Retry GmbH');
    const second = await create(admin, 'retry-1', 'Retry GmbH');
    expect(first).toMatchObject({ status: 200, replayed: null });
    expect(first.body.data.createAccount.name).toBe('Retry GmbH');
    expect(second).toEqual({ ...first, replayed: 'true' });
    expect(await accountsNamed('Retry GmbH')).toBe(1);
    const events = await superuser.query(`SELECT count(*)::int AS n FROM record_events WHERE record_id = $1`, [uuid(first.body.data.createAccount.id)]);
    expect(events.rows[0].n).toBe(1);
  });

  test('variables in another key order are the same request', async () => {
    const first = await post(t, admin, 'order-1', CREATE, { input: { name: 'Order AG', city: 'Bern' } });
    const second = await post(t, admin, 'order-1', CREATE, { input: { city: 'Bern', name: 'Order AG' } });
    expect(second.replayed).toBe('true');
    expect(second.text).toBe(first.text);
    expect(await accountsNamed('Order AG')).toBe(1);
  });

  test('the same key with a different body is refused with CONFLICT naming the header, and nothing runs', async () => {
    await create(admin, 'diff-1', 'First Body');
    const other = await create(admin, 'diff-1', 'Second Body');
    expect(problem(other)).toEqual({ status: 409, code: 'CONFLICT', fields: ['Idempotency-Key'] });
    expect(other.body.errors![0].message).toMatch(/Idempotency-Key was already used for a different request/);
    expect(await accountsNamed('Second Body')).toBe(0);
    // Another operation name is another request too.
    const named = await post(t, admin, 'diff-1', CREATE.replace('mutation(', 'mutation Named('), { input: { name: 'First Body' } });
    expect(problem(named).code).toBe('CONFLICT');
  });

  test('concurrent duplicates do the work once: one record; the others are replays or CONFLICT "in progress"', async () => {
    const replies = await Promise.all(Array.from({ length: 6 }, () => create(admin, 'race-1', 'Race Ltd')));
    expect(await accountsNamed('Race Ltd')).toBe(1);
    const originals = replies.filter((r) => r.status === 200 && r.replayed === null);
    expect(originals).toHaveLength(1);
    for (const reply of replies.filter((r) => r !== originals[0])) {
      if (reply.status === 200) expect(reply).toEqual({ ...originals[0], replayed: 'true' });
      else {
        expect(problem(reply)).toEqual({ status: 409, code: 'CONFLICT', fields: ['Idempotency-Key'] });
        expect(reply.body.errors![0].message).toMatch(/still in progress/);
        expect(reply.retryAfter).toBe('1');
      }
    }
    expect(await keyRows('race-1')).toBe(1);
  });

  test('keys belong to one user in one workspace: the same key elsewhere is independent', async () => {
    const mine = await create(admin, 'shared-key', 'Shared Key Co');
    const colleague = await create(sales, 'shared-key', 'Shared Key Co');
    const stranger = await create(other, 'shared-key', 'Shared Key Co');
    for (const reply of [mine, colleague, stranger]) expect(reply).toMatchObject({ status: 200, replayed: null });
    expect(new Set([mine, colleague, stranger].map((r) => r.body.data.createAccount.id)).size).toBe(3);
    expect(await accountsNamed('Shared Key Co')).toBe(3);
    expect(await keyRows('shared-key')).toBe(3);
  });

  test('a validation error is stored like a success: the retry replays it and the key stays bound to that body', async () => {
    const first = await create(admin, 'invalid-1', '');
    expect(problem(first)).toMatchObject({ code: 'BAD_USER_INPUT' });
    const again = await create(admin, 'invalid-1', '');
    expect(again).toEqual({ ...first, replayed: 'true' });
    expect(problem(await create(admin, 'invalid-1', 'Fixed Name')).code).toBe('CONFLICT');
  });

  test('an answer that may pass on retry (a stale expectedVersion) is not stored when nothing was written', async () => {
    const { id } = (await create(admin, undefined, 'Versioned')).body.data.createAccount;
    const UPDATE = `mutation($id: ID!, $v: Int) { updateAccount(id: $id, expectedVersion: $v, input: { city: "Basel" }) { version city } }`;
    const stale = await post(t, admin, 'version-1', UPDATE, { id, v: 7 });
    expect(problem(stale).code).toBe('CONFLICT');
    expect(await keyRows('version-1')).toBe(0);
    const fixed = await post(t, admin, 'version-1', UPDATE, { id, v: 1 });
    expect(fixed.body.data.updateAccount).toEqual({ version: 2, city: 'Basel' });
    expect((await post(t, admin, 'version-1', UPDATE, { id, v: 1 })).replayed).toBe('true');
  });

  test('a request that committed a change is stored whatever it answered: one field written, another refused', async () => {
    const { id } = (await create(admin, undefined, 'Half Done Target')).body.data.createAccount;
    const BOTH = `mutation($id: ID!) { made: createAccount(input: { name: "Half Done" }) { id } stale: updateAccount(id: $id, expectedVersion: 9, input: { city: "Zug" }) { id } }`;
    const first = await post(t, admin, 'half-1', BOTH, { id });
    // The refused non-null field nulls `data`, but the first field's account was committed.
    expect(problem(first).code).toBe('CONFLICT');
    expect(await accountsNamed('Half Done')).toBe(1);
    const retry = await post(t, admin, 'half-1', BOTH, { id });
    expect(retry).toEqual({ ...first, replayed: 'true' });
    expect(await accountsNamed('Half Done')).toBe(1);
  });

  test('writes made through a derived session (addMember) are fenced too: a retry adds the member once', async () => {
    const ADD = `mutation($input: AddMemberInput!) { addMember(input: $input) { id } }`;
    const input = { email: 'fenced.member@example.com', role: 'SUPPORT', name: 'Fenced', password: 'correct horse battery' };
    const first = await post(t, admin, 'member-1', ADD, { input });
    expect(first.body.data.addMember.id).toBeTruthy();
    const [row] = (await superuser.query(`SELECT work_committed FROM idempotency_keys WHERE key = 'member-1'`)).rows;
    expect(row.work_committed).toBe(true);
    expect((await post(t, admin, 'member-1', ADD, { input })).replayed).toBe('true');
  });
});

describe('the header is refused or ignored', () => {
  test.each([
    ['empty', ''],
    ['too long', 'k'.repeat(256)],
    ['with a space', 'two words'],
    ['not ASCII', 'cl\u00e9'],
  ])('a malformed key (%s) is refused with 400 BAD_USER_INPUT naming the header, and nothing runs', async (_label, key) => {
    const reply = await create(admin, key, `Malformed ${_label}`);
    expect(problem(reply)).toEqual({ status: 400, code: 'BAD_USER_INPUT', fields: ['Idempotency-Key'] });
    expect(await accountsNamed(`Malformed ${_label}`)).toBe(0);
  });

  test('a key of 255 visible characters is accepted', async () => {
    const key = '!~'.repeat(127) + 'k';
    expect((await create(admin, key, 'Long Key')).status).toBe(200);
    expect((await create(admin, key, 'Long Key')).replayed).toBe('true');
  });

  test('a query ignores the header, even a malformed one or one used by a mutation', async () => {
    await create(admin, 'query-1', 'Query Key');
    for (const key of ['query-1', 'not valid here']) {
      const reply = await post(t, admin, key, `query { accounts(first: 1) { totalCount } }`);
      expect(reply).toMatchObject({ status: 200, replayed: null });
      expect(reply.body.data.accounts.totalCount).toBeGreaterThan(0);
    }
    expect(await keyRows('not valid here')).toBe(0);
    // The mutation's stored response is untouched by the query.
    expect((await create(admin, 'query-1', 'Query Key')).replayed).toBe('true');
  });

  test('without a sign-in the header is ignored (there is no caller to scope the key to)', async () => {
    const response = await fetch(`${t.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': 'anon-1' },
      body: JSON.stringify({ query: CREATE, variables: { input: { name: 'Anon' } } }),
    });
    expect(response.headers.get('idempotent-replayed')).toBeNull();
    expect(((await response.json()) as Reply['body']).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(await keyRows('anon-1')).toBe(0);
  });
});

describe('the key ledger', () => {
  const refOf = (who: Session, key: string): KeyRef => ({ workspaceId: uuid(who.workspaceId), principal: `user:${uuid(who.userId)}`, key });
  const bodyOf = (name: string) => ({ query: CREATE, variables: { input: { name } } });

  async function plant(ref: KeyRef, name: string, state: { workCommitted: boolean; lockedFor: string }): Promise<void> {
    await superuser.query(
      `INSERT INTO idempotency_keys (workspace_id, principal, key, fingerprint, lock_token, locked_until, work_committed, expires_at)
       VALUES ($1, $2, $3, $4, gen_random_uuid(), now() + $5::interval, $6, now() + interval '1 day')`,
      [ref.workspaceId, ref.principal, ref.key, fingerprint(bodyOf(name)), state.lockedFor, state.workCommitted],
    );
  }

  test('a request that vanished before writing anything (lease over) is taken over by its retry', async () => {
    await plant(refOf(admin, 'crashed-1'), 'Crashed Early', { workCommitted: false, lockedFor: '-1 second' });
    const retry = await create(admin, 'crashed-1', 'Crashed Early');
    expect(retry).toMatchObject({ status: 200, replayed: null });
    expect(await accountsNamed('Crashed Early')).toBe(1);
  });

  test('a request still holding its lease answers CONFLICT "in progress" with Retry-After', async () => {
    await plant(refOf(admin, 'busy-1'), 'Busy', { workCommitted: false, lockedFor: '1 minute' });
    const reply = await create(admin, 'busy-1', 'Busy');
    expect(problem(reply)).toEqual({ status: 409, code: 'CONFLICT', fields: ['Idempotency-Key'] });
    expect(reply.retryAfter).toBe('1');
    expect(await accountsNamed('Busy')).toBe(0);
  });

  test('a request that wrote but lost its response is never run again: CONFLICT says so', async () => {
    await plant(refOf(admin, 'lost-1'), 'Lost Response', { workCommitted: true, lockedFor: '-1 second' });
    const reply = await create(admin, 'lost-1', 'Lost Response');
    expect(problem(reply)).toEqual({ status: 409, code: 'CONFLICT', fields: ['Idempotency-Key'] });
    expect(reply.body.errors![0].message).toMatch(/carried out but whose response was not recorded/);
    expect(await accountsNamed('Lost Response')).toBe(0);
  });

  test('the fence rolls back the write of a request whose key was taken over by a retry', async () => {
    const ref = refOf(admin, 'overtaken-1');
    const scope = { workspaceId: ref.workspaceId, userId: uuid(admin.userId) };
    const session = new DbSession(t.app.runtime.dataSource, scope);
    try {
      const claim = await claimKey(session, ref, 'f'.repeat(64), 1);
      if (claim.kind !== 'acquired') throw new Error(`expected to acquire, got ${claim.kind}`);
      await superuser.query(`UPDATE idempotency_keys SET lock_token = gen_random_uuid() WHERE key = 'overtaken-1'`);
      session.checkBeforeCommit(fence(ref, claim.lockToken));
      const write = session.write((em) => em.query(`INSERT INTO accounts (workspace_id, name) VALUES ($1, 'Overtaken')`, [ref.workspaceId]));
      await expect(write).rejects.toMatchObject({ extensions: { code: 'CONFLICT' } });
    } finally {
      await session.close();
    }
    expect(await accountsNamed('Overtaken')).toBe(0);
  });

  test('purge-idempotency-keys deletes expired keys of every workspace and keeps live ones', async () => {
    for (const [who, key, expires] of [
      [admin, 'purge-old', '-1 minute'],
      [other, 'purge-old', '-2 hours'],
      [admin, 'purge-live', '1 hour'],
    ] as const) {
      const ref = refOf(who, key);
      await superuser.query(
        `INSERT INTO idempotency_keys (workspace_id, principal, key, fingerprint, lock_token, locked_until, expires_at)
         VALUES ($1, $2, $3, $4, gen_random_uuid(), now(), now() + $5::interval)`,
        [ref.workspaceId, ref.principal, key, 'f'.repeat(64), expires],
      );
    }
    const result = await purgeIdempotencyKeys({} as never, t.app.runtime);
    expect(result).toEqual({ purged: expect.any(Number) });
    expect(await keyRows('purge-old')).toBe(0);
    expect(await keyRows('purge-live')).toBe(1);
  });
});

describe('a server with a one-second TTL and two pooled connections', () => {
  let short: TestApp;
  let someone: Session;
  beforeAll(async () => {
    // Every request of the burst below goes to the pool (the per-workspace gate would otherwise let 1 of 2 connections run).
    short = await TestApp.start('idempotency_ttl', { IDEMPOTENCY_TTL_HOURS: String(1 / 3600), DATABASE_POOL_SIZE: '2', WORKSPACE_MAX_CONCURRENT_REQUESTS: '6' });
    someone = await short.signUp('Short Memory');
  });
  afterAll(async () => {
    await short?.stop();
  });

  test('after IDEMPOTENCY_TTL_HOURS the key is forgotten and the same request runs again', async () => {
    const db = await superuserClient(short.database.name);
    try {
      const first = await create(someone, 'ttl-1', 'Expiring', short);
      const [row] = (await db.query(`SELECT extract(epoch FROM expires_at - created_at)::float AS ttl FROM idempotency_keys WHERE key = 'ttl-1'`)).rows;
      expect(row.ttl).toBeCloseTo(1, 3);
      await waitFor('the key to expire', async () => ((await db.query(`SELECT expires_at < now() AS gone FROM idempotency_keys`)).rows[0].gone ? true : undefined));
      const again = await create(someone, 'ttl-1', 'Expiring', short);
      expect(again).toMatchObject({ status: 200, replayed: null });
      expect(again.body.data.createAccount.id).not.toBe(first.body.data.createAccount.id);
      expect((await db.query(`SELECT count(*)::int AS n FROM accounts WHERE name = 'Expiring'`)).rows[0].n).toBe(2);
    } finally {
      await db.end();
    }
  });

  test('requests with keys never hold two connections: more of them than the pool holds all complete', async () => {
    const replies = await Promise.all(Array.from({ length: 6 }, (_, i) => create(someone, `pool-${i}`, `Pooled ${i}`, short)));
    expect(replies.map((reply) => reply.status)).toEqual(Array(6).fill(200));
  });
});
