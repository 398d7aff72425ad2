import { QueryFailedError } from 'typeorm';
import { formatError } from '../src/kernel/format-error';
import { capturedLogger } from './support/captured-logger';
import { superuserClient } from './support/databases';
import { TestApp, type Session } from './support/test-app';

/**
 * The database going away under load (a restart, a failover: here pg_terminate_backend on this
 * file's own database) must not crash the API or drop a client's connection: a mutation that
 * loses its connection is answered 503 SERVICE_UNAVAILABLE with Retry-After, logged with its
 * request id, and the pool recovers. A statement past DATABASE_STATEMENT_TIMEOUT_MS is cancelled.
 */

const { logger, lines } = capturedLogger('info');
let t: TestApp;
let alice: Session;

beforeAll(async () => {
  t = await TestApp.start('db_outage', { DATABASE_STATEMENT_TIMEOUT_MS: '300' }, logger);
  alice = await t.signUp('Outage GmbH');
});
afterAll(() => t?.stop());

type Answer = { status: number; requestId: string | null; retryAfter: string | null; body: any };

async function post(query: string, variables: Record<string, unknown> = {}): Promise<Answer> {
  const response = await fetch(`${t.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${alice.token}` },
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.status, requestId: response.headers.get('x-request-id'), retryAfter: response.headers.get('retry-after'), body: await response.json() };
}

const createAccount = (name: string) => post(`mutation($name: String!) { createAccount(input: { name: $name }) { id } }`, { name });

/** Runs `work` while this file's API connections are terminated every 40 ms. */
async function whileTerminating<T>(work: () => Promise<T>): Promise<T> {
  const superuser = await superuserClient(t.database.name);
  let terminating = true;
  const terminator = (async () => {
    while (terminating) {
      await superuser.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND application_name = 'crm-api'`, [t.database.name]);
      await new Promise((resolve) => setTimeout(resolve, 40));
    }
  })();
  try {
    return await work();
  } finally {
    terminating = false;
    await terminator;
    await superuser.end();
  }
}

/** Four clients sending `send(i)` until 80 answers are in. */
async function fourClients<T>(send: (i: number) => Promise<T>): Promise<T[]> {
  const answers: T[] = [];
  let next = 0;
  const client = async () => {
    while (next < 80) answers.push(await send(next++));
  };
  await Promise.all([client(), client(), client(), client()]);
  return answers;
}

function expectUnavailableAnswered(unavailable: Answer[]) {
  for (const answer of unavailable) {
    expect(answer.body.errors[0].extensions).toMatchObject({ code: 'SERVICE_UNAVAILABLE', reason: 'DATABASE_UNAVAILABLE', retryAfterSeconds: 1 });
    expect(answer.retryAfter).toBe('1');
    // One line, not one per failed step (the answer and then the session that could not end).
    expect(lines.filter((line) => line.level >= 40 && line.requestId === answer.requestId)).toHaveLength(1);
  }
}

test('mutations while connections are terminated: 200 or 503 SERVICE_UNAVAILABLE, each failure logged, no crash, the pool recovers', async () => {
  const answers = await whileTerminating(() => fourClients((i) => createAccount(`During outage ${i}`)));

  const unavailable = answers.filter((answer) => answer.status === 503);
  expect(answers.every((answer) => answer.status === 200 || answer.status === 503)).toBe(true);
  expect(unavailable.length).toBeGreaterThan(0);
  expectUnavailableAnswered(unavailable);
  for (const answer of answers.filter((a) => a.status === 200)) expect(answer.body.data.createAccount.id).toMatch(/^acc_/);

  // Afterwards every pooled connection works again (the pool holds 10).
  const after = await Promise.all(Array.from({ length: 12 }, (_, i) => createAccount(`After outage ${i}`)));
  expect(after.map((answer) => answer.status)).toEqual(Array(12).fill(200));
});

test('reads whose connection is terminated between their statements: a full answer or 503, never an internal error', async () => {
  // Several statements per read (the page, its count, each account's contacts and deals through loaders).
  const query = `{ accounts(first: 20) { totalCount edges { node { id name contacts(first: 5) { edges { node { id } } } deals(first: 5) { edges { node { id } } } } } } }`;
  expect((await createAccount('Read while terminated')).status).toBe(200);
  const answers = await whileTerminating(() => fourClients(() => post(query)));

  const codes = answers.flatMap((answer) => (answer.body.errors ?? []).map((error: { extensions?: { code?: string } }) => `${answer.status} ${error.extensions?.code}`));
  expect(codes.filter((code) => code !== '503 SERVICE_UNAVAILABLE')).toEqual([]);
  expectUnavailableAnswered(answers.filter((answer) => answer.status === 503));
  for (const answer of answers.filter((a) => a.status === 200)) expect(answer.body.data.accounts.edges.length).toBeGreaterThan(0);
});

test('a statement running past DATABASE_STATEMENT_TIMEOUT_MS is cancelled and answered SERVICE_UNAVAILABLE', async () => {
  const error = await t.app.runtime.dataSource.query('SELECT pg_sleep(2)').catch((failure: unknown) => failure);
  expect(error).toBeInstanceOf(QueryFailedError);
  expect(formatError({ message: 'x', path: ['accounts'] }, error, false)).toMatchObject({
    path: ['accounts'],
    extensions: { code: 'SERVICE_UNAVAILABLE', reason: 'STATEMENT_TIMEOUT' },
  });
});
