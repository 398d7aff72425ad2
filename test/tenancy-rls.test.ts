import { Client } from 'pg';
import { parseId } from '../src/kernel/ids';
import { superuserClient } from './support/databases';
import { TestApp, type Session } from './support/test-app';

/**
 * The database wall: whatever the application code does, the role it connects as sees and
 * writes only the rows of the workspace set for the transaction (row-level security).
 */

/** Tables the core creates rows in for every workspace; each must hold rows of both A and B here. */
const SEEDED = ['memberships', 'refresh_tokens', 'accounts', 'contacts', 'pipelines', 'stages', 'deals', 'deal_contacts', 'tickets', 'activities'];
const RLS_ERROR = /new row violates row-level security policy/;

let t: TestApp;
let superuser: Client;
let app: Client;
let tenantTables: string[];
let a: Session;
let b: Session;
let wsA: string;
let wsB: string;

const uuid = (id: string) => parseId(id)!.uuid;

async function seed(who: Session): Promise<void> {
  const account = (await t.ok(`mutation { createAccount(input: { name: "Acme" }) { id } }`, {}, who)).createAccount.id;
  const contact = (await t.ok(`mutation($a: ID!) { createContact(input: { lastName: "Doe", accountId: $a }) { id } }`, { a: account }, who)).createContact.id;
  const deal = (
    await t.ok(
      `mutation($a: ID!, $c: ID!) { createDeal(input: { name: "Big", accountId: $a, contacts: [{ contactId: $c, role: CHAMPION }] }) { id } }`,
      { a: account, c: contact },
      who,
    )
  ).createDeal.id;
  const ticket = (await t.ok(`mutation($a: ID!, $c: ID!) { createTicket(input: { subject: "Help", accountId: $a, contactId: $c }) { id } }`, { a: account, c: contact }, who)).createTicket.id;
  await t.ok(`mutation($d: ID!) { createActivity(input: { type: CALL, subject: "Call", dealId: $d }) { id } }`, { d: deal }, who);
  await t.ok(`mutation($k: ID!) { createActivity(input: { type: NOTE, subject: "Note", ticketId: $k }) { id } }`, { k: ticket }, who);
}

beforeAll(async () => {
  t = await TestApp.start('tenancy_rls');
  a = await t.signUp('Workspace A');
  b = await t.signUp('Workspace B');
  await t.member(a, 'SALES');
  await seed(a);
  await seed(b);
  wsA = uuid(a.workspaceId);
  wsB = uuid(b.workspaceId);

  superuser = await superuserClient(t.database.name);
  app = new Client({ connectionString: t.database.appUrl });
  await app.connect();
  const { rows } = await superuser.query(
    `SELECT c.table_name FROM information_schema.columns c JOIN information_schema.tables tb USING (table_schema, table_name)
     WHERE c.table_schema = 'public' AND c.column_name = 'workspace_id' AND tb.table_type = 'BASE TABLE' ORDER BY 1`,
  );
  tenantTables = rows.map((r) => r.table_name);
});
afterAll(async () => {
  await app?.end();
  await superuser?.end();
  await t.stop();
});

/** Runs `work` in a transaction of the application role, scoped as given, and rolls it back. */
async function asApp<T>(scope: { workspaceId?: string; userId?: string }, work: () => Promise<T>): Promise<T> {
  await app.query('BEGIN');
  try {
    if (scope.workspaceId) await app.query(`SELECT set_config('app.workspace_id', $1, true)`, [scope.workspaceId]);
    if (scope.userId) await app.query(`SELECT set_config('app.user_id', $1, true)`, [scope.userId]);
    return await work();
  } finally {
    await app.query('ROLLBACK');
  }
}

/** The error a statement fails with, in a transaction of its own (a failed statement aborts it). */
async function refusal(scope: { workspaceId?: string }, sql: string, params: unknown[] = []): Promise<Error | null> {
  return asApp(scope, () => app.query(sql, params).then(() => null, (error: Error) => error));
}

/** Rows a write touched; an append-only table (the event log) refuses the write outright, which counts as none. */
async function rowsOrRefusal(sql: string, params: unknown[] = []): Promise<number> {
  await app.query('SAVEPOINT probe');
  try {
    const result = await app.query(sql, params);
    await app.query('RELEASE SAVEPOINT probe');
    return result.rowCount ?? 0;
  } catch (error) {
    await app.query('ROLLBACK TO SAVEPOINT probe');
    if (/permission denied for table record_events/.test((error as Error).message)) return 0;
    throw error;
  }
}

const count = async (client: Client, sql: string, params: unknown[] = []): Promise<number> => (await client.query(sql, params)).rows[0].n;

describe('the application role', () => {
  test('is neither superuser nor BYPASSRLS, and neither owns nor can become the owner of any table', async () => {
    const { rows } = await app.query(`SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user`);
    expect(rows).toEqual([{ rolsuper: false, rolbypassrls: false }]);
    const owned = await app.query(
      `SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND pg_has_role(current_user, c.relowner, 'MEMBER')`,
    );
    expect(owned.rows).toEqual([]);
  });

  test('finds the tenant tables (the list below is the core, new tables join it automatically)', () => {
    expect(tenantTables).toEqual(expect.arrayContaining(SEEDED));
  });

  test('every tenant table, workspaces and users have row-level security enabled and forced, with a policy', async () => {
    const tables = [...tenantTables, 'workspaces', 'users'];
    const { rows } = await superuser.query(
      `SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity,
         EXISTS (SELECT 1 FROM pg_policies p WHERE p.schemaname = 'public' AND p.tablename = c.relname) AS has_policy
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relname = ANY($1) ORDER BY 1`,
      [tables],
    );
    expect(rows).toHaveLength(tables.length);
    for (const row of rows) expect(row).toEqual({ relname: row.relname, relrowsecurity: true, relforcerowsecurity: true, has_policy: true });
  });

  test('the seed put rows of both workspaces into every core table (so the checks below are not vacuous)', async () => {
    for (const table of SEEDED) {
      const perWorkspace = await superuser.query(`SELECT workspace_id, count(*)::int AS n FROM ${table} WHERE workspace_id = ANY($1) GROUP BY 1`, [[wsA, wsB]]);
      expect({ table, workspaces: perWorkspace.rows.length }).toEqual({ table, workspaces: 2 });
    }
  });
});

describe('with no workspace set', () => {
  test('every tenant table, workspaces and users read empty', async () => {
    for (const table of [...tenantTables, 'workspaces', 'users']) {
      expect({ table, rows: await count(app, `SELECT count(*)::int AS n FROM ${table}`) }).toEqual({ table, rows: 0 });
      const scoped = await asApp({}, () => count(app, `SELECT count(*)::int AS n FROM ${table}`));
      expect({ table, rows: scoped }).toEqual({ table, rows: 0 });
    }
  });

  test('every tenant table refuses an INSERT', async () => {
    for (const table of tenantTables) {
      const error = await refusal({}, `INSERT INTO ${table} (workspace_id) VALUES ($1)`, [wsA]);
      expect({ table, error: error?.message }).toEqual({ table, error: expect.stringMatching(RLS_ERROR) });
    }
  });

  test('workspaces and users refuse an INSERT', async () => {
    expect((await refusal({}, `INSERT INTO workspaces (name) VALUES ('Intruder')`))?.message).toMatch(RLS_ERROR);
    expect((await refusal({}, `INSERT INTO users (email, name, password_hash) VALUES ('x@example.com', 'X', 'h')`))?.message).toMatch(RLS_ERROR);
  });

  test('updates and deletes touch nothing', async () => {
    for (const table of tenantTables) {
      const touched = await asApp({}, async () => ({
        updated: await rowsOrRefusal(`UPDATE ${table} SET workspace_id = workspace_id`),
        deleted: await rowsOrRefusal(`DELETE FROM ${table}`),
      }));
      expect({ table, ...touched }).toEqual({ table, updated: 0, deleted: 0 });
    }
  });

  test('a signed-in user without a workspace sees only their own memberships and workspaces', async () => {
    const userA = uuid(a.userId);
    await asApp({ userId: userA }, async () => {
      const memberships = await app.query(`SELECT user_id FROM memberships`);
      expect(memberships.rows).toEqual([{ user_id: userA }]);
      expect((await app.query(`SELECT id FROM workspaces`)).rows).toEqual([{ id: wsA }]);
      expect((await app.query(`SELECT id FROM users`)).rows).toEqual([{ id: userA }]);
      for (const table of tenantTables.filter((name) => name !== 'memberships')) {
        expect({ table, rows: await count(app, `SELECT count(*)::int AS n FROM ${table}`) }).toEqual({ table, rows: 0 });
      }
    });
  });
});

describe('with workspace A set', () => {
  test("every tenant table shows exactly A's rows", async () => {
    for (const table of tenantTables) {
      const expected = await count(superuser, `SELECT count(*)::int AS n FROM ${table} WHERE workspace_id = $1`, [wsA]);
      const seen = await asApp({ workspaceId: wsA }, async () => ({
        all: await count(app, `SELECT count(*)::int AS n FROM ${table}`),
        foreign: await count(app, `SELECT count(*)::int AS n FROM ${table} WHERE workspace_id <> $1`, [wsA]),
      }));
      expect({ table, ...seen }).toEqual({ table, all: expected, foreign: 0 });
    }
  });

  test("workspaces and users show only A and A's members", async () => {
    const members = await superuser.query(`SELECT user_id AS id FROM memberships WHERE workspace_id = $1 ORDER BY 1`, [wsA]);
    expect(members.rows.length).toBe(2);
    await asApp({ workspaceId: wsA }, async () => {
      expect((await app.query(`SELECT id FROM workspaces`)).rows).toEqual([{ id: wsA }]);
      expect((await app.query(`SELECT id FROM users ORDER BY 1`)).rows).toEqual(members.rows);
    });
  });

  test("inserting a row for B is refused in every tenant table, and in workspaces", async () => {
    for (const table of tenantTables) {
      const error = await refusal({ workspaceId: wsA }, `INSERT INTO ${table} (workspace_id) VALUES ($1)`, [wsB]);
      expect({ table, error: error?.message }).toEqual({ table, error: expect.stringMatching(RLS_ERROR) });
    }
    expect((await refusal({ workspaceId: wsA }, `INSERT INTO workspaces (id, name) VALUES ($1, 'Clone')`, [wsB]))?.message).toMatch(RLS_ERROR);
    expect((await refusal({ workspaceId: wsA }, `INSERT INTO workspaces (name) VALUES ('Another')`))?.message).toMatch(RLS_ERROR);
  });

  test("B's rows cannot be changed or deleted, and A's rows cannot be moved to B", async () => {
    for (const table of tenantTables) {
      const touched = await asApp({ workspaceId: wsA }, async () => ({
        updated: await rowsOrRefusal(`UPDATE ${table} SET workspace_id = workspace_id WHERE workspace_id = $1`, [wsB]),
        deleted: await rowsOrRefusal(`DELETE FROM ${table} WHERE workspace_id = $1`, [wsB]),
      }));
      expect({ table, ...touched }).toEqual({ table, updated: 0, deleted: 0 });
    }
    const moved = await refusal({ workspaceId: wsA }, `UPDATE accounts SET workspace_id = $1`, [wsB]);
    expect(moved?.message).toMatch(RLS_ERROR);
    const renamed = await asApp({ workspaceId: wsA }, () => app.query(`UPDATE workspaces SET name = 'Hijacked' WHERE id = $1`, [wsB]));
    expect(renamed.rowCount).toBe(0);
  });

  test('the scope lasts one transaction: the next one on the same connection sees nothing', async () => {
    expect(await asApp({ workspaceId: wsA }, () => count(app, `SELECT count(*)::int AS n FROM accounts`))).toBeGreaterThan(0);
    expect(await count(app, `SELECT count(*)::int AS n FROM accounts`)).toBe(0);
  });
});
