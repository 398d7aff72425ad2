import { randomBytes, randomUUID } from 'node:crypto';
import { Queue, Worker, type Job } from 'bullmq';
import { Client } from 'pg';
import { parseId } from '../src/kernel/ids';
import { createLogger } from '../src/kernel/logger';
import { DEFAULT_JOB_OPTIONS, producerConnection, workerConnection, type RecordEventPayload } from '../src/kernel/queue';
import { eventPayload } from '../workers/event-relay';
import { dispatchRecordEvent, handlersOf } from '../workers/record-events';
import { startWorkers, type WorkerProcess } from '../workers/start-workers';
import { superuserClient } from './support/databases';
import { TestApp, type Session } from './support/test-app';
import { waitFor } from './support/wait';

/**
 * What keeps the worker side honest when things go wrong: a worker that dies holding a job,
 * failures that retrying cannot mend, retries with backoff on every job the code adds, and the
 * retention of the handlers' ledger.
 */

const PREFIX = `crm-test-${randomBytes(4).toString('hex')}`;
const SILENT = createLogger('silent');
const DAY_MS = 24 * 60 * 60 * 1000;

let t: TestApp;
let superuser: Client;
let events: Queue<RecordEventPayload>;
let maintenance: Queue;
let admin: Session;
let other: Session;

beforeAll(async () => {
  t = await TestApp.start('worker_robustness');
  superuser = await superuserClient(t.database.name);
  const connection = producerConnection(t.app.runtime.config.REDIS_URL);
  events = new Queue('record-events', { connection, prefix: PREFIX });
  maintenance = new Queue('maintenance', { connection, prefix: PREFIX });
  admin = await t.signUp('Robust A');
  other = await t.signUp('Robust B');
});

afterAll(async () => {
  for (const queue of [events, maintenance]) {
    await queue?.obliterate({ force: true });
    await queue?.close();
  }
  await superuser?.end();
  await t.stop();
});

/** A worker process that recovers stalled jobs within a second; no relay (the tests add jobs themselves). */
const start = (): Promise<WorkerProcess> =>
  startWorkers({ ...t.app.runtime.config, WORKER_LOCK_DURATION_MS: 1000, WORKER_STALLED_INTERVAL_MS: 300 }, SILENT, { prefix: PREFIX, relay: false });

/** The record event of a new account, as the relay would put it in a job. */
async function accountEvent(who: Session = admin): Promise<RecordEventPayload> {
  const { createAccount } = await t.ok(`mutation { createAccount(input: { name: "Evented" }) { id } }`, {}, who);
  const { rows } = await superuser.query(`SELECT * FROM record_events WHERE record_id = $1`, [parseId(createAccount.id)!.uuid]);
  return eventPayload(rows[0]);
}

async function ledger(eventId: string): Promise<number> {
  const { rows } = await superuser.query(`SELECT count(*)::int AS n FROM processed_events WHERE event_id = $1`, [eventId]);
  return rows[0].n;
}

async function settled(queue: Queue, id: string): Promise<Job> {
  await waitFor(`job ${id} to settle`, async () => {
    const state = await queue.getJobState(id);
    return state === 'completed' || state === 'failed' ? state : undefined;
  });
  return (await queue.getJob(id))!; // read once settled, so its result and reason are there
}

/** The handlers an `account.created` event runs: each claims its ledger row once. */
const ACCOUNT_HANDLERS = handlersOf('account.created').map((handler) => handler.name);

describe('a worker that dies holding a job', () => {
  test('the job is recovered once its lock lapses and run again by a live worker; its effect happened once', async () => {
    const event = await accountEvent();
    await events.add('record-event', event, { ...DEFAULT_JOB_OPTIONS, jobId: event.eventId });

    // The dying worker takes the job, does its work, and never completes it nor renews its lock.
    const dying = new Worker('record-events', null, { connection: workerConnection(t.app.runtime.config.REDIS_URL), prefix: PREFIX, lockDuration: 1000 });
    try {
      const taken = await dying.getNextJob('dying-token');
      expect(taken?.id).toBe(event.eventId);
      expect(await dispatchRecordEvent(taken!, t.app.runtime)).toEqual({ ran: ACCOUNT_HANDLERS, skipped: [] });
    } finally {
      await dying.close(true);
    }
    expect(await (await events.getJob(event.eventId))!.getState()).toBe('active');

    const worker = await start();
    try {
      const job = await settled(events, event.eventId);
      expect(await job.getState()).toBe('completed');
      expect(job.stalledCounter).toBe(1);
      expect(job.returnvalue).toEqual({ ran: [], skipped: ACCOUNT_HANDLERS });
      expect(await ledger(event.eventId)).toBe(ACCOUNT_HANDLERS.length);
    } finally {
      await worker.close();
    }
  });
});

describe('a failing handler', () => {
  /** The `activity.created` event of a new task (its reminders need a queue the API's runtime lacks). */
  async function taskCreated(accountName: string): Promise<RecordEventPayload> {
    const account = (await t.ok(`mutation($n: String!) { createAccount(input: { name: $n }) { id } }`, { n: accountName }, admin)).createAccount;
    const task = (await t.ok(
      `mutation($account: ID!) { createActivity(input: { type: TASK, subject: "Due", dueAt: "2030-01-01T09:00:00Z", accountId: $account, ownerId: "${admin.userId}" }) { id } }`,
      { account: account.id },
      admin,
    )).createActivity;
    const { rows } = await superuser.query(`SELECT * FROM record_events WHERE record_id = $1`, [parseId(task.id)!.uuid]);
    return eventPayload(rows[0]);
  }

  test('fails the job after the other handlers of the event committed; a retry runs only the one that failed', async () => {
    const event = await taskCreated('Tasked');
    const claims = async () =>
      (await superuser.query(`SELECT handler FROM processed_events WHERE event_id = $1 ORDER BY handler`, [event.eventId])).rows.map((row) => row.handler);
    // The API's runtime has no queue producers, so `task-reminders` (it schedules jobs) fails here.
    const job = { id: event.eventId, data: event, attemptsMade: 0, opts: { attempts: 5 } } as Job<RecordEventPayload>;
    const others = handlersOf(event.type).map((handler) => handler.name).filter((name) => name !== 'task-reminders').sort();
    expect(others.length).toBeGreaterThan(0);
    await expect(dispatchRecordEvent(job, t.app.runtime)).rejects.toThrow(/reminders queue/);
    expect(await claims()).toEqual(others);
    await expect(dispatchRecordEvent(job, t.app.runtime)).rejects.toThrow(/reminders queue/);
    expect(await claims()).toEqual(others);

    const worker = await start();
    try {
      expect(await dispatchRecordEvent(job, { ...t.app.runtime, producers: worker.producers })).toEqual({ ran: ['task-reminders'], skipped: expect.arrayContaining(others) });
      expect(await claims()).toEqual([...others, 'task-reminders'].sort());
    } finally {
      await worker.close();
    }
  });

  test('on its last attempt a failing handler is written to the ledger with its error: the event is settled, its effect not made', async () => {
    const event = await taskCreated('Given up');
    const last = { id: event.eventId, data: event, attemptsMade: 4, opts: { attempts: 5 } } as Job<RecordEventPayload>;
    await expect(dispatchRecordEvent(last, t.app.runtime)).rejects.toThrow(/reminders queue/);
    const ledger = await superuser.query(`SELECT handler, error FROM processed_events WHERE event_id = $1 AND error IS NOT NULL`, [event.eventId]);
    expect(ledger.rows).toEqual([{ handler: 'task-reminders', error: expect.stringMatching(/reminders queue/) }]);
    expect(await dispatchRecordEvent({ ...last, attemptsMade: 0 } as Job<RecordEventPayload>, t.app.runtime)).toMatchObject({ ran: [] });
  });
});

describe('failures that retrying cannot mend', () => {
  const cases: Array<[string, (event: RecordEventPayload) => Record<string, unknown>, RegExp]> = [
    ['a payload without an event id', ({ eventId: _, ...rest }) => rest, /^Malformed record-event payload: eventId$/],
    ['a payload with a malformed type', (event) => ({ ...event, type: 'DROP TABLE' }), /^Malformed record-event payload: type$/],
    ['an event of a workspace that no longer exists', (event) => ({ ...event, workspaceId: randomUUID(), actorUserId: null }), /no longer exists$/],
    ['an event older than the ledger keeps', (event) => ({ ...event, occurredAt: new Date(Date.now() - 31 * DAY_MS).toISOString() }), /older than the ledger keeps \(30 days\)/],
  ];

  test.each(cases)('%s fails at its first attempt, with no ledger row', async (_name, payload, reason) => {
    const event = await accountEvent(other);
    const jobId = randomUUID();
    await events.add('record-event', payload(event) as unknown as RecordEventPayload, { ...DEFAULT_JOB_OPTIONS, jobId });
    const worker = await start();
    try {
      const job = await settled(events, jobId);
      expect(await job.getState()).toBe('failed');
      expect({ attempts: job.attemptsMade, reason: job.failedReason }).toEqual({ attempts: 1, reason: expect.stringMatching(reason) });
      expect(await ledger(event.eventId)).toBe(0);
    } finally {
      await worker.close();
    }
  });
});

describe('a malformed reminder', () => {
  test('a payload PostgreSQL cannot read (a task id that is no uuid) fails at its first attempt', async () => {
    const reminders = new Queue('reminders', { connection: producerConnection(t.app.runtime.config.REDIS_URL), prefix: PREFIX });
    const worker = await start();
    try {
      const data = { workspaceId: parseId(admin.workspaceId)!.uuid, taskId: 'not-a-uuid', dueAt: new Date().toISOString(), kind: 'TASK_DUE' };
      const added = await reminders.add('task-reminder', data, { attempts: 3, backoff: { type: 'exponential', delay: 5000 } });
      const job = await settled(reminders, added.id!);
      expect({ state: await job.getState(), attempts: job.attemptsMade }).toEqual({ state: 'failed', attempts: 1 });
      expect(job.failedReason).toMatch(/invalid input syntax for type uuid.*not retried/);
    } finally {
      await worker.close();
      await reminders.obliterate({ force: true });
      await reminders.close();
    }
  });
});

describe('retries', () => {
  test('every job the code adds retries with exponential backoff: relayed events, reminders, schedules, and anything added through the producers', async () => {
    const worker = await startWorkers(t.app.runtime.config, SILENT, { prefix: PREFIX });
    try {
      const due = new Date(Date.now() + 3 * 60 * 60 * 1000).toISOString();
      const { createActivity } = await t.ok(
        `mutation($due: DateTimeISO!, $owner: ID!, $account: ID!) { createActivity(input: { type: TASK, subject: "Call back", dueAt: $due, ownerId: $owner, accountId: $account }) { id } }`,
        { due, owner: admin.userId, account: (await t.ok(`mutation { createAccount(input: { name: "Callee" }) { id } }`, {}, admin)).createAccount.id },
        admin,
      );
      const { rows } = await superuser.query(`SELECT id FROM record_events WHERE record_id = $1`, [parseId(createActivity.id)!.uuid]);
      const relayed = await waitFor('the relayed event', async () => (await events.getJob(rows[0].id)) ?? undefined);
      const reminders = new Queue('reminders', { connection: producerConnection(t.app.runtime.config.REDIS_URL), prefix: PREFIX });
      try {
        const [reminder] = await waitFor('a reminder job', async () => {
          const delayed = await reminders.getJobs(['delayed']);
          return delayed.length > 0 ? delayed : undefined;
        });
        const scheduled = await waitFor('a scheduled purge', async () => (await maintenance.getJobs(['delayed', 'waiting', 'active', 'completed']))[0]);
        const added = await worker.producers.maintenance.add('purge-processed-events', {});
        for (const job of [relayed, reminder, scheduled, added]) {
          expect({ name: job.name, attempts: job.opts.attempts! > 1, backoff: job.opts.backoff }).toEqual({
            name: job.name,
            attempts: true,
            backoff: expect.objectContaining({ type: 'exponential' }),
          });
        }
      } finally {
        await reminders.obliterate({ force: true });
        await reminders.close();
      }
    } finally {
      await worker.close();
    }
  });
});

describe('ledger retention', () => {
  test('purge-processed-events deletes claims older than PROCESSED_EVENTS_RETENTION_DAYS in every workspace and keeps younger ones', async () => {
    const aged = async (session: Session, days: number) => {
      const event = await accountEvent(session);
      await superuser.query(`INSERT INTO processed_events (handler, event_id, workspace_id, processed_at) VALUES ('processed-log', $1, $2, now() - $3::interval)`, [
        event.eventId,
        event.workspaceId,
        `${days} days`,
      ]);
      return event.eventId;
    };
    const old = [await aged(admin, 31), await aged(other, 45)];
    const young = [await aged(admin, 29), await aged(other, 0)];

    const worker = await start();
    try {
      const job = await maintenance.add('purge-processed-events', {});
      expect(await (await settled(maintenance, job.id!)).getState()).toBe('completed');
    } finally {
      await worker.close();
    }
    for (const id of old) expect(await ledger(id)).toBe(0);
    for (const id of young) expect(await ledger(id)).toBe(1);
  });

  test('the purge keeps at least a day whatever it is asked; the owner sees only claims older than a day; only the app role may call it', async () => {
    await expect(t.app.runtime.dataSource.query(`SELECT crm_purge_processed_events('23 hours', 10)`)).rejects.toThrow(/kept at least a day/);
    const event = await accountEvent();
    await superuser.query(`INSERT INTO processed_events (handler, event_id, workspace_id) VALUES ('processed-log', $1, $2)`, [event.eventId, event.workspaceId]);
    const owner = new Client({ connectionString: t.database.ownerUrl });
    await owner.connect();
    try {
      expect((await owner.query(`SELECT count(*)::int AS n FROM processed_events WHERE event_id = $1`, [event.eventId])).rows[0].n).toBe(0);
      expect((await owner.query(`DELETE FROM processed_events WHERE event_id = $1`, [event.eventId])).rowCount).toBe(0);
    } finally {
      await owner.end();
    }
    expect(await ledger(event.eventId)).toBe(1);
    const appRole = new URL(t.database.appUrl).username;
    const { rows } = await superuser.query(
      `SELECT has_function_privilege('public', $2, 'EXECUTE') AS public, has_function_privilege($1, $2, 'EXECUTE') AS app`,
      [appRole, 'crm_purge_processed_events(interval, integer)'],
    );
    expect(rows[0]).toEqual({ public: false, app: true });
  });
});

describe('the worker role', () => {
  test('is bound by row-level security like the application role, and cannot touch the relay positions except through the relay functions', async () => {
    await accountEvent();
    const worker = new Client({ connectionString: t.database.workerUrl });
    await worker.connect();
    try {
      expect((await worker.query('SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user')).rows).toEqual([{ rolsuper: false, rolbypassrls: false }]);
      expect((await worker.query('SELECT count(*)::int AS n FROM record_events')).rows[0].n).toBe(0);
      await expect(worker.query('SELECT * FROM event_relay_positions')).rejects.toThrow(/permission denied/);
      await worker.query('SELECT crm_sequence_events(1000)');
      expect((await worker.query(`SELECT count(*)::int AS n FROM crm_relay_batch('robustness-probe', 1000)`)).rows[0].n).toBeGreaterThan(0);
    } finally {
      await worker.end();
    }
  });
});
