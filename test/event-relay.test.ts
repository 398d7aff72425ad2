import { randomBytes } from 'node:crypto';
import { Queue } from 'bullmq';
import { Client } from 'pg';
import type { DataSource } from 'typeorm';
import { createDataSource } from '../src/kernel/db/data-source';
import { encodeId, parseId } from '../src/kernel/ids';
import { createLogger } from '../src/kernel/logger';
import { producerConnection, type RecordEventPayload } from '../src/kernel/queue';
import { EventRelay, RELAY_NAME } from '../workers/event-relay';
import { eventContext, handlersOf } from '../workers/record-events';
import { startWorkers, type WorkerProcess } from '../workers/start-workers';
import { superuserClient } from './support/databases';
import { freePort, redisServer, redisShutdown, redisUp } from './support/redis-server';
import { TestApp, type Session } from './support/test-app';
import { waitFor } from './support/wait';

/**
 * The relay from the outbox to BullMQ, against real PostgreSQL and Redis: delivery end to end,
 * a Redis outage at commit time, and a relay that dies between enqueueing and advancing.
 */

const PREFIX = `crm-test-${randomBytes(4).toString('hex')}`;
const SILENT = createLogger('silent');

let t: TestApp;
let superuser: Client;
/** The worker's login: the relay's functions are its alone. */
let workerDb: DataSource;
let queue: Queue<RecordEventPayload>;
let admin: Session;
let other: Session;

beforeAll(async () => {
  t = await TestApp.start('event_relay');
  superuser = await superuserClient(t.database.name);
  queue = new Queue('record-events', { connection: producerConnection(t.app.runtime.config.REDIS_URL), prefix: PREFIX });
  workerDb = createDataSource({ url: t.database.workerUrl, poolSize: 2 });
  await workerDb.initialize();
  admin = await t.signUp('Relay A');
  other = await t.signUp('Relay B');
});

afterAll(async () => {
  await queue?.obliterate({ force: true });
  await queue?.close();
  await superuser?.end();
  await workerDb?.destroy();
  await t.stop();
});

const start = (overrides: Record<string, unknown> = {}, relay = true): Promise<WorkerProcess> =>
  startWorkers({ ...t.app.runtime.config, ...overrides }, SILENT, { prefix: PREFIX, relay });

const createAccount = async (name: string, who: Session = admin): Promise<string> =>
  (await t.ok(`mutation($n: String!) { createAccount(input: { name: $n }) { id } }`, { n: name }, who)).createAccount.id;

/** The outbox events of a record (public id), oldest first. */
async function eventIds(recordId: string): Promise<string[]> {
  const { rows } = await superuser.query(`SELECT id FROM record_events WHERE record_id = $1 ORDER BY occurred_at, id`, [parseId(recordId)!.uuid]);
  return rows.map((row) => row.id);
}

/** Every handler subscribed to the account events these tests make: each runs once per event. */
const ACCOUNT_HANDLERS = handlersOf('account.created').map((handler) => handler.name);

async function ledger(eventId: string): Promise<number> {
  const { rows } = await superuser.query(`SELECT count(*)::int AS n FROM processed_events WHERE event_id = $1`, [eventId]);
  return rows[0].n;
}

async function position(): Promise<string> {
  const { rows } = await superuser.query(`SELECT last_seq FROM event_relay_positions WHERE relay = $1`, [RELAY_NAME]);
  return rows[0]?.last_seq ?? '0';
}

/** The job once completed: its state first, then the job, whose return value is stored by the same step that completes it. */
const completed = (q: Queue, id: string) =>
  waitFor(`job ${id} to complete`, async () => ((await q.getJobState(id)) === 'completed' ? q.getJob(id) : undefined));

describe('event relay', () => {
  test('a mutation through the API reaches the worker, and its handler runs exactly once', async () => {
    const worker = await start();
    try {
      const account = await createAccount('Delivered');
      const [eventId] = await eventIds(account);
      const job = await completed(queue, eventId);
      expect(job.data).toMatchObject({ eventId, workspaceId: parseId(admin.workspaceId)!.uuid, type: 'account.created', recordType: 'Account', actorUserId: parseId(admin.userId)!.uuid });
      expect(job.data).not.toHaveProperty('after');
      expect(job.returnvalue).toEqual({ ran: ACCOUNT_HANDLERS, skipped: [] });
      expect(await ledger(eventId)).toBe(ACCOUNT_HANDLERS.length);
      const { rows } = await superuser.query(`SELECT workspace_id FROM processed_events WHERE event_id = $1`, [eventId]);
      expect(rows[0].workspace_id).toBe(parseId(admin.workspaceId)!.uuid);
    } finally {
      await worker.close();
    }
  });

  test('Redis down at commit: the write succeeds, nothing moves, and the event is delivered once Redis is back', async () => {
    const port = await freePort();
    redisServer(port);
    await redisUp(port);
    const redisUrl = `redis://127.0.0.1:${port}`;
    const deadQueue = new Queue<RecordEventPayload>('record-events', { connection: producerConnection(redisUrl), prefix: PREFIX });
    deadQueue.on('error', () => undefined);
    const relay = new EventRelay(workerDb, deadQueue, SILENT, 50);
    try {
      await deadQueue.waitUntilReady();
      while ((await relay.tick()) > 0); // everything older is relayed
      const before = await position();

      redisShutdown(port);
      const account = await createAccount('Written while Redis is down', other);
      const [eventId] = await eventIds(account);
      await expect(relay.tick()).rejects.toThrow();
      await expect(relay.tick()).rejects.toThrow();
      expect(await position()).toBe(before);

      redisServer(port);
      await redisUp(port);
      const moved = await waitFor('the relay to reach Redis again', () => relay.tick().then((n) => n, () => undefined));
      expect(moved).toBe(1);
      expect(await relay.tick()).toBe(0);
      expect(BigInt(await position())).toBeGreaterThan(BigInt(before));

      const worker = await start({ REDIS_URL: redisUrl }, false);
      try {
        const job = await completed(deadQueue, eventId);
        expect(job.returnvalue).toEqual({ ran: ACCOUNT_HANDLERS, skipped: [] });
      } finally {
        await worker.close();
      }
      expect(await deadQueue.getJobCountByTypes('completed', 'waiting', 'active', 'delayed', 'failed')).toBe(1);
      expect(await ledger(eventId)).toBe(ACCOUNT_HANDLERS.length);
    } finally {
      await relay.close();
      await deadQueue.close();
      redisShutdown(port);
    }
  });

  test('a relay dying between enqueue and advance: a fresh relay re-adds the same job ids without duplicates; a job run twice has one effect', async () => {
    const ids = [...(await eventIds(await createAccount('Crash one'))), ...(await eventIds(await createAccount('Crash two', other)))];
    const dying = new EventRelay(workerDb, queue, SILENT, 50);
    const batch = await dying.nextBatch();
    expect(batch.map((event) => event.eventId)).toEqual(ids);
    const before = await position();
    await dying.enqueue(batch); // …and dies before advancing
    expect(await position()).toBe(before);

    const worker = await start();
    try {
      await waitFor('the fresh relay to advance', async () => ((await position()) === batch[1].seq ? true : undefined));
      for (const id of ids) {
        const job = await completed(queue, id);
        expect(job.returnvalue).toEqual({ ran: ACCOUNT_HANDLERS, skipped: [] });
        expect(await ledger(id)).toBe(ACCOUNT_HANDLERS.length);
      }
      const all = await queue.getJobs(['completed', 'waiting', 'active', 'delayed', 'failed']);
      expect(all.filter((job) => ids.includes(job.id!))).toHaveLength(2);

      // Once the job is gone (removeOnComplete), the same event can be added and run again: its effect is not repeated.
      await (await queue.getJob(ids[0]))!.remove();
      await dying.enqueue([batch[0]]);
      expect((await completed(queue, ids[0])).returnvalue).toEqual({ ran: [], skipped: ACCOUNT_HANDLERS });
      expect(await ledger(ids[0])).toBe(ACCOUNT_HANDLERS.length);
    } finally {
      await worker.close();
    }
  });
});

describe('the context a handler runs in', () => {
  test('the actor with their live role; the system in that workspace once the actor has left', async () => {
    const seller = await t.member(admin, 'SALES');
    const account = await createAccount('Left behind', seller);
    const [eventId] = await eventIds(account);
    const { rows } = await superuser.query(`SELECT id FROM memberships WHERE user_id = $1`, [parseId(seller.userId)!.uuid]);
    const event: RecordEventPayload = {
      eventId,
      workspaceId: parseId(admin.workspaceId)!.uuid,
      type: 'account.created',
      recordType: 'Account',
      recordId: parseId(account)!.uuid,
      actorUserId: parseId(seller.userId)!.uuid,
      seq: '0',
      occurredAt: new Date().toISOString(),
    };
    const runtime = t.app.runtime;
    const asSeller = await eventContext(runtime, event);
    expect(asSeller.actor).toEqual({ userId: event.actorUserId, workspaceId: event.workspaceId, role: 'SALES' });
    await asSeller.close();

    await t.ok(`mutation($id: ID!) { removeMember(id: $id) { id } }`, { id: encodeId('Member', rows[0].id) }, admin);
    for (const actorUserId of [event.actorUserId, null]) {
      const system = await eventContext(runtime, { ...event, actorUserId });
      expect(system.actor).toBeNull();
      expect(system.workspaceId).toBe(event.workspaceId);
      // Row-level security scopes it to the event's workspace.
      expect(await system.db.read((em) => em.query(`SELECT count(*)::int AS n FROM record_events WHERE id = $1`, [eventId]))).toEqual([{ n: 1 }]);
      await system.close();
    }

    // The job of an event whose actor has left still runs its handlers, as the system.
    const worker = await start();
    try {
      const job = await completed(queue, eventId);
      expect(job.returnvalue).toEqual({ ran: ACCOUNT_HANDLERS, skipped: [] });
    } finally {
      await worker.close();
    }
  });
});

describe('database rights', () => {
  test('the relay position only moves forward', async () => {
    const current = await position();
    const [row] = (await workerDb.query(`SELECT crm_relay_advance($1, 1) AS position`, [RELAY_NAME])) as Array<{ position: string }>;
    expect(row.position).toBe(current);
  });

  test('the application role cannot touch the positions table nor call the relay functions, which are the worker role\'s alone; the owner sees no history beyond the relay', async () => {
    const app = new Client({ connectionString: t.database.appUrl });
    await app.connect();
    try {
      await expect(app.query('SELECT * FROM event_relay_positions')).rejects.toThrow(/permission denied/);
      await expect(app.query(`UPDATE event_relay_positions SET last_seq = 0`)).rejects.toThrow(/permission denied/);
      // Without a workspace in scope the application role sees no events and no ledger rows.
      expect((await app.query('SELECT count(*)::int AS n FROM record_events')).rows[0].n).toBe(0);
      expect((await app.query('SELECT count(*)::int AS n FROM processed_events')).rows[0].n).toBe(0);
    } finally {
      await app.end();
    }
    const owner = new Client({ connectionString: t.database.ownerUrl });
    await owner.connect();
    try {
      expect((await owner.query('SELECT count(*)::int AS n FROM record_events WHERE seq IS NOT NULL')).rows[0].n).toBe(0);
    } finally {
      await owner.end();
    }
    const appRole = new URL(t.database.appUrl).username;
    const workerRole = new URL(t.database.workerUrl).username;
    for (const fn of ['crm_relay_batch(text, integer)', 'crm_relay_advance(text, bigint)']) {
      const { rows } = await superuser.query(
        `SELECT has_function_privilege('public', $3, 'EXECUTE') AS public, has_function_privilege($1, $3, 'EXECUTE') AS app,
                has_function_privilege($2, $3, 'EXECUTE') AS worker`,
        [appRole, workerRole, fn],
      );
      expect(rows[0]).toEqual({ public: false, app: false, worker: true });
    }
    await expect(t.app.runtime.dataSource.query(`SELECT * FROM crm_relay_batch('bullmq', 10)`)).rejects.toThrow(/permission denied/);
  });
});
