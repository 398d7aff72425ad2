import { execFileSync } from 'node:child_process';
import { Queue } from 'bullmq';
import { Client } from 'pg';
import type { Config } from '../src/config/config';
import { encodeId } from '../src/kernel/ids';
import { createLogger } from '../src/kernel/logger';
import { producerConnection } from '../src/kernel/queue';
import { handlersOf } from '../workers/record-events';
import { startWorkers, type WorkerProcess } from '../workers/start-workers';
import { SCHEDULES } from '../workers/jobs';
import { automationClient, uuid } from './support/automations';
import { ADMIN_URL, superuserClient } from './support/databases';
import { spawnWorkerProcess } from './support/processes';
import { redisServer, redisShutdown, redisUp, startRedisServer } from './support/redis-server';
import { TestApp, type Session } from './support/test-app';
import { waitFor } from './support/wait';
import { WebhookReceiver } from './support/webhook-receiver';

/**
 * The faults a worker meets in production, each ending with every record event's handlers run
 * exactly once, checked on the rows: one automation run and one tag per deal, one delivery with
 * one attempt per event and one request at the receiver, a full ledger without errors.
 * Redis is a private redis-server (restarted, paused); PostgreSQL is shared, so its outage is
 * the worker's alone: its backends terminated and new connections to this database refused.
 */

const PREFIX = 'crm-faults';
const SILENT = createLogger('silent');
const DEAL_HANDLERS = handlersOf('deal.created').map((handler) => handler.name);

let t: TestApp;
let superuser: Client;
let hooks: WebhookReceiver;
let admin: Session;
let redisPort: number;
let a: ReturnType<typeof automationClient>;

/** Fast enough for a test: stalled jobs recover within a second, the reconciler looks every 300 ms at work older than a second. */
const workerRedisUrl = () => `redis://127.0.0.1:${redisPort}`;

const FAST = {
  EVENT_RECONCILE_INTERVAL_MS: 300,
  EVENT_RECONCILE_AFTER_MS: 1000,
  WORKER_LOCK_DURATION_MS: 1000,
  WORKER_STALLED_INTERVAL_MS: 300,
};

beforeAll(async () => {
  redisPort = await startRedisServer();
  // The API keeps the shared Redis (its rate limits); the worker gets the private one.
  t = await TestApp.start('event_faults');
  superuser = await superuserClient(t.database.name);
  hooks = await WebhookReceiver.start();
  admin = await t.signUp('Faults GmbH');
  a = automationClient(t, admin);
  await a.createOk({ name: 'Seen', trigger: { type: 'RECORD_CREATED', objectType: 'DEAL' }, condition: { deal: { name: { startsWith: 'F' } } }, actions: [{ type: 'ADD_TAG', tag: 'seen' }] });
  await t.ok(`mutation($input: CreateWebhookInput!) { createWebhook(input: $input) { webhook { id } } }`, { input: { url: hooks.url('/faults'), events: ['deal.created'] } }, admin);
});

afterAll(async () => {
  await hooks?.close();
  await superuser?.end();
  await t?.stop();
  redisShutdown(redisPort);
});

const start = (overrides: Partial<Config> = {}): Promise<WorkerProcess> => startWorkers({ ...t.app.runtime.config, ...FAST, REDIS_URL: workerRedisUrl(), ...overrides }, SILENT, { prefix: PREFIX });

const redis = (...args: string[]) => execFileSync('redis-cli', ['-p', String(redisPort), ...args]).toString().trim();

async function createDeals(label: string, n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) ids.push(uuid((await a.createDeal(`F ${label} ${i}`)).id));
  return ids;
}

/** A paused worker may still take the one job its last fetch was waiting for: tests queue one more than they count on. */
const pause = (worker: WorkerProcess, ...queues: string[]) => Promise.all(worker.workers.filter((w) => queues.includes(w.name)).map((w) => w.pause(true)));
const resume = (worker: WorkerProcess) => worker.workers.forEach((w) => w.resume());

/**
 * Waits until every deal has its run and its delivery done, then checks that each effect happened
 * once. `receipts: 'at least once'`: the receiver may have seen a delivery twice, as the webhook
 * contract allows — an attempt is recorded after its POST, and a database lost in between makes
 * the recording fail and the attempt run again (the delivery row still shows one attempt).
 */
async function handledExactlyOnce(deals: string[], receipts: 'once' | 'at least once' = 'once'): Promise<void> {
  await waitFor(
    `the handlers of ${deals.length} deals`,
    async () => {
      const { rows } = await superuser.query(
        `SELECT count(*)::int AS n FROM deals d WHERE d.id = ANY($1)
           AND EXISTS (SELECT 1 FROM automation_runs r WHERE r.record_id = d.id AND r.status = 'SUCCEEDED')
           AND EXISTS (SELECT 1 FROM webhook_deliveries w JOIN record_events e ON e.id = w.event_id WHERE e.record_id = d.id AND w.status = 'SUCCEEDED')`,
        [deals],
      );
      return rows[0].n === deals.length ? true : undefined;
    },
    30_000,
  );
  const runs = await superuser.query(
    `SELECT d.tags, (SELECT count(*)::int FROM automation_runs r WHERE r.record_id = d.id) AS runs FROM deals d WHERE d.id = ANY($1)`,
    [deals],
  );
  expect(runs.rows).toEqual(deals.map(() => ({ tags: ['seen'], runs: 1 })));
  const events = await superuser.query(
    `SELECT e.id,
            (SELECT count(*)::int FROM webhook_deliveries w WHERE w.event_id = e.id) AS deliveries,
            (SELECT sum(w.attempts)::int FROM webhook_deliveries w WHERE w.event_id = e.id) AS attempts,
            (SELECT array_agg(p.handler ORDER BY p.handler) FROM processed_events p WHERE p.event_id = e.id AND p.error IS NULL) AS handlers
     FROM record_events e WHERE e.record_id = ANY($1) AND e.type = 'deal.created'`,
    [deals],
  );
  expect(events.rows).toHaveLength(deals.length);
  for (const event of events.rows) {
    expect(event).toEqual({ id: event.id, deliveries: 1, attempts: 1, handlers: [...DEAL_HANDLERS].sort() });
    const received = hooks.hits('/faults').filter((hit) => hit.headers['webhook-id'] === encodeId('RecordEvent', event.id)).length;
    if (receipts === 'once') expect(received).toBe(1);
    else expect(received).toBeGreaterThanOrEqual(1);
  }
}

test('Redis restarts without its data: queued events, deliveries and runs, and the schedulers, all come back; each effect happens once', async () => {
  const worker = await start();
  try {
    // Events handled, but their deliveries and runs still waiting in Redis…
    await pause(worker, 'webhook-deliveries', 'automations');
    const fannedOut = await createDeals('fanned out', 3);
    await waitFor('the deliveries', async () =>
      (await superuser.query(`SELECT count(*)::int AS n FROM webhook_deliveries d JOIN record_events e ON e.id = d.event_id WHERE e.record_id = ANY($1)`, [fannedOut])).rows[0].n === 3 ? true : undefined,
    );
    // …and events queued by the relay but not yet handled.
    await pause(worker, 'record-events');
    const queued = await createDeals('queued', 4);
    await waitFor('the relay to queue them', async () => ((await worker.producers['record-events'].getWaitingCount()) >= 3 ? true : undefined));

    redisShutdown(redisPort);
    const duringOutage = await createDeals('during outage', 2);
    redisServer(redisPort);
    await redisUp(redisPort);
    resume(worker);

    await handledExactlyOnce([...fannedOut, ...queued, ...duringOutage]);
    const schedulers = await worker.producers.maintenance.getJobSchedulers();
    expect(schedulers.map((s) => s.key).sort()).toEqual(SCHEDULES.filter((s) => s.queue === 'maintenance').map((s) => s.job).sort());
  } finally {
    await worker.close();
  }
});

test('kill -9 of the worker after its fan-out committed and before it queued the jobs: the delivery and the run are still made, once', async () => {
  const child = spawnWorkerProcess(t.app.runtime.config, {
    REDIS_URL: workerRedisUrl(),
    QUEUE_PREFIX: PREFIX,
    ...Object.fromEntries(Object.entries(FAST).map(([key, value]) => [key, String(value)])),
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const lock = await superuserClient(t.database.name);
  try {
    // Started (compiling the sources takes a while on a busy machine) once its relay is connected.
    await waitFor(
      'the worker process to start',
      async () => ((await superuser.query(`SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'crm-event-relay'`)).rowCount ? true : undefined),
      90_000,
    );
    // Idle: everything numbered is relayed and no event job waits or runs, so the one that waits on the lock below is the new deal's.
    const events = new Queue('record-events', { connection: producerConnection(workerRedisUrl()), prefix: PREFIX });
    await waitFor(
      'the worker to be idle',
      async () => {
        const { rows } = await superuser.query(`SELECT (SELECT max(seq) FROM record_events) <= (SELECT last_seq FROM event_relay_positions) AS relayed`);
        const jobs = await events.getJobCounts('waiting', 'active');
        return rows[0].relayed && jobs.waiting + jobs.active === 0 ? true : undefined;
      },
      30_000,
    ).finally(() => events.close());
    // Hold the deliveries table: the fan-out's insert waits, inside the event's transaction. (A table
    // lock takes no transaction id, so the sequencer still numbers the deal's event meanwhile.)
    await lock.query('BEGIN');
    await lock.query(`LOCK TABLE webhook_deliveries IN SHARE MODE`);
    const [deal] = await createDeals('killed', 1);
    await waitFor(
      'the fan-out to wait on the lock',
      async () => ((await superuser.query(`SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%INSERT INTO webhook_deliveries%'`)).rowCount ? true : undefined),
      30_000,
    );
    // Redis takes no more writes: the jobs the commit would queue wait, and so does the event job's completion.
    redis('CLIENT', 'PAUSE', '60000', 'WRITE');
    await lock.query('COMMIT');
    await waitFor('the fan-out to commit', async () => ((await superuser.query(`SELECT 1 FROM webhook_deliveries d JOIN record_events e ON e.id = d.event_id WHERE e.record_id = $1`, [deal])).rowCount ? true : undefined));
    child.kill('SIGKILL');
    await exited;
    redis('CLIENT', 'UNPAUSE');
    const worker = await start();
    try {
      await handledExactlyOnce([deal]);
    } finally {
      await worker.close();
    }
  } finally {
    redis('CLIENT', 'UNPAUSE');
    child.kill('SIGKILL');
    await lock.end();
  }
}, 180_000);

test('the worker loses PostgreSQL for longer than its jobs retry: what failed meanwhile runs again once it is back', async () => {
  const worker = await start();
  // A database's connections are switched off from another database.
  const cluster = new Client({ connectionString: ADMIN_URL });
  await cluster.connect();
  const allowConnections = (allow: boolean) => cluster.query(`ALTER DATABASE ${t.database.name} ALLOW_CONNECTIONS ${allow}`);
  try {
    await pause(worker, 'record-events');
    const deals = await createDeals('outage', 4);
    await waitFor('the relay to queue them', async () => ((await worker.producers['record-events'].getWaitingCount()) >= 3 ? true : undefined));
    // The worker's connections end and new ones are refused: every attempt of those jobs fails (1 + 2 + 4 + 8 s of backoff).
    await allowConnections(false);
    await superuser.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND usename = $1`, [new URL(t.database.workerUrl).username]);
    resume(worker);
    const { rows } = await superuser.query(`SELECT id FROM record_events WHERE record_id = ANY($1)`, [deals]);
    const failed = async () => (await Promise.all(rows.map((row) => worker.producers['record-events'].getJobState(row.id)))).filter((state) => state === 'failed').length;
    await waitFor('their jobs to fail for good', async () => ((await failed()) >= 3 ? true : undefined), 30_000);
    await allowConnections(true);
    await handledExactlyOnce(deals, 'at least once');
  } finally {
    await allowConnections(true);
    await cluster.end();
    await worker.close();
  }
}, 60_000);

test('Redis restarts without its data while task reminders wait as delayed jobs: each owner is still notified, once', async () => {
  // Due soon: the TASK_DUE job waits in Redis (the lead time is past, so no TASK_DUE_SOON).
  const worker = await start({ TASK_REMINDER_LEAD_MINUTES: 60 });
  try {
    const { createAccount } = await t.ok(`mutation { createAccount(input: { name: "Reminded AG" }) { id } }`, {}, admin);
    const dueAt = new Date(Date.now() + 2_000);
    const tasks: string[] = [];
    for (const subject of ['Call Ada', 'Mail Grace']) {
      const { createActivity } = await t.ok(
        `mutation($input: CreateActivityInput!) { createActivity(input: $input) { id } }`,
        { input: { type: 'TASK', subject, accountId: createAccount.id, dueAt: dueAt.toISOString(), ownerId: admin.userId } },
        admin,
      );
      tasks.push(uuid(createActivity.id));
    }
    await waitFor('the reminder jobs', async () => ((await worker.producers.reminders.getDelayedCount()) >= 2 ? true : undefined));

    redisShutdown(redisPort);
    redisServer(redisPort);
    await redisUp(redisPort);

    const notified = async () =>
      (await superuser.query(`SELECT record_id, kind FROM notifications WHERE record_id = ANY($1) ORDER BY subject`, [tasks])).rows as Array<{ record_id: string; kind: string }>;
    await waitFor('both reminders', async () => ((await notified()).length >= 2 ? true : undefined), 20_000);
    // Several reconciler passes later still one each (the dedupe key; the passes find nothing owed).
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(await notified()).toEqual(tasks.map((id) => ({ record_id: id, kind: 'TASK_DUE' })));
  } finally {
    await worker.close();
  }
});
