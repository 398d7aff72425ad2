import { request, type ClientRequest } from 'node:http';
import type { Client } from 'pg';
import { decodeId } from '../src/kernel/ids';
import { WorkspaceGate } from '../src/server/limits/workspace-gate';
import { superuserClient } from './support/databases';
import { TestApp, type Session } from './support/test-app';

/**
 * Honest cost and a fair share of the pool: a totalCount pays for the rows it scans (up front a
 * fixed price per place it is asked for, afterwards the database time its statements took), and
 * one workspace's slow requests cannot hold every pooled connection while another's wait.
 */

const ROWS = 50_000;
let t: TestApp;
let metered: TestApp;
let small: TestApp;
let alice: Session;
let bob: Session;
let superuser: Client;

beforeAll(async () => {
  t = await TestApp.start('fair_share');
  const prefix = t.app.runtime.config.RATE_LIMIT_KEY_PREFIX;
  metered = await TestApp.alongside(t, undefined, {
    RATE_LIMIT_KEY_PREFIX: `${prefix}:metered`,
    RATE_LIMIT_CAPACITY: 1000,
    RATE_LIMIT_REFILL_PER_SECOND: 0.001,
    GRAPHQL_DATABASE_MS_PER_POINT: 0.01,
  });
  // A pool of 4: each workspace may run 2 requests at once; more wait up to 300 ms.
  small = await TestApp.alongside(t, undefined, { DATABASE_POOL_SIZE: 4, WORKSPACE_QUEUE_TIMEOUT_MS: 300 });
  alice = await t.signUp('Big Tenant GmbH');
  bob = await t.signUp('Small Tenant AG');
  superuser = await superuserClient(t.database.name);
  await superuser.query(`INSERT INTO contacts (workspace_id, last_name) SELECT $1, 'Seed ' || g FROM generate_series(1, $2::int) AS g`, [
    decodeId('Workspace', alice.workspaceId, 'workspaceId'),
    ROWS,
  ]);
  await superuser.query('ANALYZE contacts');
}, 120_000);
afterAll(async () => {
  await superuser?.end();
  await Promise.all([metered, small].map((app) => app?.stop()));
  await t?.stop();
});

async function post(app: TestApp, query: string, session: Session, variables: Record<string, unknown> = {}) {
  const response = await fetch(`${app.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${session.token}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: Record<string, any>; errors?: Array<{ message: string; extensions?: Record<string, any> }> };
  return { status: response.status, headers: response.headers, ...body };
}

describe('totalCount', () => {
  it('costs its price up front and its database time afterwards, whatever the page size', async () => {
    const counted = await post(metered, `{ contacts(first: 1) { totalCount } }`, alice);
    expect(counted.data?.contacts.totalCount).toBe(ROWS);
    // Up front: the connection 1 + its page 1 × 0 + totalCount 25 = 26 points; afterwards the time the
    // count of 50,000 rows took beyond that, 100 points a millisecond here (GRAPHQL_DATABASE_MS_PER_POINT=0.01).
    expect(Number(counted.headers.get('ratelimit-remaining'))).toBeLessThan(1000 - 26 - 2);
  });

  it('makes many counts in one request expensive: 50 aliases cost 50 × 26 up front', async () => {
    const query = `{ ${Array.from({ length: 50 }, (_, i) => `c${i}: contacts(first: 1) { totalCount }`).join(' ')} }`;
    const answer = await post(t, query, bob);
    expect(answer.status).toBe(200);
    const refused = await post(t, `{ ${Array.from({ length: 50 }, (_, i) => `c${i}: contacts(first: 100) { totalCount edges { node { id } } }`).join(' ')} }`, bob);
    expect(refused.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', limit: 'complexity', measured: 50 * (1 + 100 + 25) });
  });
});

describe('a fair share of the pool', () => {
  it('lets a burst wait in line, turns away what finds the line full, and hands places on in order', async () => {
    const gate = new WorkspaceGate(1, 1000);
    const first = await gate.enter('w');
    const line = Array.from({ length: 16 }, () => gate.enter('w'));
    expect(await gate.enter('w')).toBeNull();
    expect(await gate.enter('another workspace')).toEqual(expect.any(Function));
    first!();
    for (const waiting of line) (await waiting)!();
  });

  it('keeps another workspace answering while one workspace’s requests are stuck, and turns the surplus away with 429', async () => {
    const { createAccount } = await t.ok(`mutation { createAccount(input: { name: "Contended" }) { id } }`, {}, alice);
    // Stuck requests: updates waiting for a row lock held outside the API, each holding a pooled connection.
    await superuser.query('BEGIN');
    await superuser.query('SELECT 1 FROM accounts WHERE id = $1 FOR UPDATE', [decodeId('Account', createAccount.id, 'id')]);
    const update = `mutation($id: ID!, $n: String!) { updateAccount(id: $id, input: { name: $n }) { version } }`;
    const stuck = Array.from({ length: 6 }, (_, i) => post(small, update, alice, { id: createAccount.id, n: `Name ${i}` }));
    await new Promise((resolve) => setTimeout(resolve, 150));

    // Answered while Alice's requests still hold the row lock (released only below): without the
    // gate they would hold all four connections and this request would wait for one until the end.
    const other = await post(small, `{ accounts { totalCount } me { id } }`, bob);
    expect(other.status).toBe(200);

    // Two run (stuck), four wait 300 ms in line in vain: four are answered while the lock is still held.
    let settled = 0;
    for (const request of stuck) void request.then(() => (settled += 1));
    const deadline = Date.now() + 3000;
    while (settled < 4 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(settled).toBe(4);
    await superuser.query('ROLLBACK');
    const answers = await Promise.all(stuck);
    const refused = answers.filter((answer) => answer.status === 429);
    expect(refused).toHaveLength(4);
    for (const answer of refused) {
      expect(answer.errors?.[0].extensions).toMatchObject({ code: 'RATE_LIMITED', limit: 'concurrency', maximum: 2, retryAfterSeconds: 1 });
      expect(answer.headers.get('retry-after')).toBe('1');
    }
    expect(answers.filter((answer) => answer.status === 200)).toHaveLength(2);
  });

  it('counts an import upload as one of the workspace’s places while its body streams in', async () => {
    // Two uploads whose bodies never finish: each holds a place (and a pooled connection) of Alice's workspace.
    const uploads: ClientRequest[] = [];
    const answered: Array<Promise<number>> = [];
    const upload = () => {
      const req = request(`${small.url}/imports/contacts`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-ndjson', authorization: `Bearer ${alice.token}` },
      });
      answered.push(new Promise((resolve) => req.on('response', (res) => (res.resume(), resolve(res.statusCode ?? 0)))));
      req.on('error', () => undefined);
      req.write('{"lastName":"Trickle"}\n');
      uploads.push(req);
    };
    try {
      upload();
      upload();
      await new Promise((resolve) => setTimeout(resolve, 200));
      const third = await post(small, `{ me { id } }`, alice);
      expect(third.status).toBe(429);
      expect(third.errors?.[0].extensions).toMatchObject({ code: 'RATE_LIMITED', limit: 'concurrency' });
      upload();
      expect(await answered[2]).toBe(429);
      const other = await post(small, `{ accounts { totalCount } }`, bob);
      expect(other.status).toBe(200);
    } finally {
      for (const req of uploads) req.destroy();
    }
    // The places come back when the uploads end.
    const deadline = Date.now() + 3000;
    let after = await post(small, `{ me { id } }`, alice);
    while (after.status !== 200 && Date.now() < deadline) after = await post(small, `{ me { id } }`, alice);
    expect(after.status).toBe(200);
  });
});
