import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import path from 'node:path';
import type { Client as WsClient } from 'graphql-ws';
import type { Client } from 'pg';
import { createLogger } from '../src/kernel/logger';
import { startWorkers, type WorkerProcess } from '../workers/start-workers';
import { superuserClient } from './support/databases';
import { collectJsonLines, freePort } from './support/processes';
import { TestApp, type Session } from './support/test-app';
import { waitFor } from './support/wait';
import { wsSubscribe } from './support/ws-subscription';

/**
 * Scale-out: `npm run start:cluster` as a real process with two API workers behind one port
 * (Node's cluster module hands connections out round-robin), over one database and one Redis.
 * Every request opens a connection of its own and the workers' request log lines tell which
 * process (pid) served it. A rate limit spent through one worker is spent for the other, a
 * subscription held by one receives changes made through the other, an Idempotency-Key replays
 * across them and runs once when sent to both at once, and SIGTERM stops the cluster cleanly.
 */

const ROOT = path.join(__dirname, '..');
const PREFIX = `crm-test-${randomBytes(4).toString('hex')}`;
const MEMBER_CAPACITY = 20;

let t: TestApp;
let superuser: Client;
let workers: WorkerProcess;
let cluster: ChildProcess;
let exited: Promise<number | null>;
let port: number;
let metricsPort: number;
let alice: Session;
let bob: Session;
const lines: Array<Record<string, any>> = [];
const clients: WsClient[] = [];

beforeAll(async () => {
  t = await TestApp.start('scale_out');
  superuser = await superuserClient(t.database.name);
  [port, metricsPort] = [await freePort(), await freePort()];
  const config = t.app.runtime.config;
  cluster = spawn(process.execPath, ['-r', './test/support/ts-register.js', 'src/cluster.ts'], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      PATH: process.env.PATH,
      NODE_ENV: 'test',
      LOG_LEVEL: 'info',
      HOST: '127.0.0.1',
      PORT: String(port),
      CLUSTER_WORKERS: '2',
      METRICS_PORT: String(metricsPort),
      DATABASE_URL: config.DATABASE_URL,
      WORKER_DATABASE_URL: config.WORKER_DATABASE_URL,
      REDIS_URL: config.REDIS_URL,
      JWT_SECRET: config.JWT_SECRET,
      DATA_ENCRYPTION_KEY: config.DATA_ENCRYPTION_KEY,
      QUEUE_PREFIX: PREFIX,
      RATE_LIMIT_KEY_PREFIX: `${PREFIX}:rate`,
      RATE_LIMIT_CAPACITY: String(MEMBER_CAPACITY),
      RATE_LIMIT_REFILL_PER_SECOND: '0.001',
      GRAPHQL_DATABASE_MS_PER_POINT: '1000000',
      SHUTDOWN_GRACE_MS: '20000',
    },
  });
  exited = new Promise((resolve) => cluster.once('exit', (code) => resolve(code)));
  collectJsonLines(cluster, lines);
  workers = await startWorkers({ ...config, QUEUE_PREFIX: PREFIX, EVENT_RELAY_INTERVAL_MS: 50 }, createLogger('silent'), { prefix: PREFIX });
  // Sessions are made through the in-process server (another bucket prefix): the cluster's buckets stay untouched.
  alice = await t.signUp('Cluster A');
  bob = await t.signUp('Cluster B');
  await waitFor('two listening workers', async () => (lines.filter((line) => line.msg === 'CRM API listening').length >= 2 ? true : undefined), 150_000);
}, 180_000); // two processes building the schema on a loaded 2-core machine can take a minute

afterAll(async () => {
  await Promise.all(clients.map((client) => client.dispose()));
  if (cluster && cluster.exitCode === null) cluster.kill('SIGKILL');
  await Promise.all(Object.values(workers?.producers ?? {}).map((queue) => queue.obliterate({ force: true })));
  await workers?.close();
  await superuser?.end();
  await t?.stop();
});

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: any;
  /** The worker process that served it. */
  pid: number;
}

let requests = 0;

/** POST /graphql on a connection of its own (so the primary hands it to the next worker), with a request id to find its log line. */
async function post(body: unknown, session?: Session, headers: Record<string, string> = {}): Promise<Reply> {
  const requestId = `scale-${++requests}-${randomBytes(3).toString('hex')}`;
  const text = JSON.stringify(body);
  const reply = await new Promise<Omit<Reply, 'pid'>>((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: '/graphql',
        method: 'POST',
        agent: false,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(text),
          'x-request-id': requestId,
          ...(session ? { authorization: `Bearer ${session.token}` } : {}),
          ...headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: JSON.parse(Buffer.concat(chunks).toString()) }));
      },
    );
    req.on('error', reject);
    req.end(text);
  });
  const line = await waitFor(`the log line of ${requestId}`, async () => lines.find((l) => l.msg === 'request' && l.requestId === requestId));
  return { ...reply, pid: line.pid };
}

const CREATE = `mutation($name: String!) { createAccount(input: { name: $name }) { id name } }`;

test('both workers serve, and a rate limit spent through one is spent for the other', async () => {
  const replies: Reply[] = [];
  for (let i = 0; i < MEMBER_CAPACITY + 4; i += 1) replies.push(await post({ query: `{ me { id } }` }, alice));
  expect(new Set(replies.map((reply) => reply.pid)).size).toBe(2);
  // `me` costs 1 point: exactly the capacity passes, whichever worker counted it.
  expect(replies.filter((reply) => reply.status === 200)).toHaveLength(MEMBER_CAPACITY);
  expect(replies.slice(MEMBER_CAPACITY).map((reply) => reply.body.errors[0].extensions.code)).toEqual(Array(4).fill('RATE_LIMITED'));
});

test('an Idempotency-Key replays through the other worker, and runs once when sent to both at once', async () => {
  const first = await post({ query: CREATE, variables: { name: 'Replayed AG' } }, bob, { 'idempotency-key': 'replay-1' });
  expect(first.status).toBe(200);
  let replay = first;
  while (replay.pid === first.pid) replay = await post({ query: CREATE, variables: { name: 'Replayed AG' } }, bob, { 'idempotency-key': 'replay-1' });
  expect(replay.headers['idempotent-replayed']).toBe('true');
  expect(replay.body).toEqual(first.body);

  for (let attempt = 0; ; attempt += 1) {
    const key = `both-${attempt}`;
    const name = `Concurrent ${attempt}`;
    const pair = await Promise.all([0, 1].map(() => post({ query: CREATE, variables: { name } }, bob, { 'idempotency-key': key })));
    const { rows } = await superuser.query('SELECT count(*)::int AS n FROM accounts WHERE name = $1', [name]);
    expect(rows[0].n).toBe(1);
    // One ran; the other was told it is in progress (409) or got the stored answer.
    expect(pair.map((reply) => reply.status).sort()).toEqual(expect.arrayContaining([200]));
    for (const reply of pair) expect([200, 409]).toContain(reply.status);
    if (pair[0].pid !== pair[1].pid) break;
    expect(attempt).toBeLessThan(5); // round-robin gives two connections at once to two workers
  }
});

test('a subscription held by one worker receives the changes made through the other', async () => {
  const sub = wsSubscribe<{ recordId: string; after: { name?: string } | null }>(
    { url: `http://127.0.0.1:${port}` } as TestApp,
    clients,
    bob.token,
    `subscription { recordChanged(types: ["account.created"]) { recordId after } }`,
    'recordChanged',
  );
  // Probe until the subscription is live, then send changes until two workers made them.
  await waitFor('the subscription to be live', async () => {
    await post({ query: CREATE, variables: { name: `Probe ${randomBytes(2).toString('hex')}` } }, bob);
    await new Promise((resolve) => setTimeout(resolve, 150));
    return sub.received.length > 0 ? true : undefined;
  }, 30_000);
  const made: Reply[] = [];
  for (let i = 0; i < 4; i += 1) made.push(await post({ query: CREATE, variables: { name: `Pushed ${i}` } }, bob));
  expect(new Set(made.map((reply) => reply.pid)).size).toBe(2);
  for (const reply of made) {
    await waitFor(`${reply.body.data.createAccount.name} to arrive`, async () => (sub.received.some((change) => change.recordId === reply.body.data.createAccount.id) ? true : undefined), 20_000);
  }
});

test('the primary serves both workers’ metrics summed up on METRICS_PORT', async () => {
  const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  const served = lines.filter((line) => line.msg === 'request' && line.route === '/graphql' && line.status === 200).length;
  const counted = [...text.matchAll(/crm_http_request_duration_seconds_count\{route="\/graphql",status="200"\} (\d+)/g)].reduce((sum, match) => sum + Number(match[1]), 0);
  expect(counted).toBe(served);
});

test('SIGTERM: the workers finish the request in flight, then the cluster exits 0', async () => {
  const carol = await t.signUp('Cluster C');
  const { createAccount } = await t.ok(`mutation { createAccount(input: { name: "Held AG" }) { id } }`, {}, carol);
  // The update waits for a row lock the test holds, so it is surely in flight when the signal arrives.
  await superuser.query('BEGIN');
  await superuser.query(`SELECT 1 FROM accounts WHERE name = 'Held AG' FOR UPDATE`);
  const inFlight = post({ query: `mutation($id: ID!) { updateAccount(id: $id, input: { name: "Finished AG" }) { name } }`, variables: { id: createAccount.id } }, carol);
  await new Promise((resolve) => setTimeout(resolve, 300));
  cluster.kill('SIGTERM');
  await waitFor('the workers to begin stopping', async () => (lines.filter((line) => line.signal === 'SIGTERM').length >= 2 ? true : undefined));
  await superuser.query('COMMIT');
  const finished = await inFlight;
  expect(finished.status).toBe(200);
  expect(finished.body.data.updateAccount.name).toBe('Finished AG');
  expect(await exited).toBe(0);
  expect(lines.filter((line) => line.msg === 'stopped')).toHaveLength(3); // two workers, then the primary
});
