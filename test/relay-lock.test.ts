import { randomBytes } from 'node:crypto';
import { Queue } from 'bullmq';
import { Client } from 'pg';
import type { DataSource } from 'typeorm';
import { createDataSource } from '../src/kernel/db/data-source';
import { parseId } from '../src/kernel/ids';
import { producerConnection, type RecordEventPayload } from '../src/kernel/queue';
import { EventRelay } from '../workers/event-relay';
import { backoffDelay, MAX_BACKOFF_MS } from '../workers/relay-outage';
import { capturedLogger, type LogLine } from './support/captured-logger';
import { superuserClient } from './support/databases';
import { redisServer, redisShutdown, redisUp, startRedisServer } from './support/redis-server';
import { TestApp, type Session } from './support/test-app';
import { waitFor } from './support/wait';

/**
 * The relay across processes and outages: one relay active at a time (a session advisory lock
 * on the relay's own connection), the others taking over when it goes; and a Redis outage told
 * in two log lines while the relay backs off.
 */

const PREFIX = `crm-test-${randomBytes(4).toString('hex')}`;

let t: TestApp;
let superuser: Client;
let queue: Queue<RecordEventPayload>;
let admin: Session;
const opened: DataSource[] = [];

beforeAll(async () => {
  t = await TestApp.start('relay_lock');
  superuser = await superuserClient(t.database.name);
  queue = new Queue('record-events', { connection: producerConnection(t.app.runtime.config.REDIS_URL), prefix: PREFIX });
  admin = await t.signUp('Lock GmbH');
});

afterAll(async () => {
  await Promise.all(opened.map((dataSource) => dataSource.destroy()));
  await queue?.obliterate({ force: true });
  await queue?.close();
  await superuser?.end();
  await t.stop();
});

/** A relay as another worker process would run it: its own data source and logger. */
async function relayProcess(into: Queue<RecordEventPayload> = queue) {
  const dataSource = createDataSource({ url: t.database.workerUrl, poolSize: 2 });
  await dataSource.initialize();
  opened.push(dataSource);
  const { logger, lines } = capturedLogger();
  const relay = new EventRelay(dataSource, into, logger, 20);
  relay.start();
  return { relay, lines };
}

const createAccount = async (name: string): Promise<string> =>
  (await t.ok(`mutation($n: String!) { createAccount(input: { name: $n }) { id } }`, { n: name }, admin)).createAccount.id;

async function eventOf(accountId: string): Promise<string> {
  const { rows } = await superuser.query(`SELECT id FROM record_events WHERE record_id = $1`, [parseId(accountId)!.uuid]);
  return rows[0].id;
}

const queued = (q: Queue, eventId: string) => waitFor(`event ${eventId} to be queued`, async () => (await q.getJob(eventId)) ?? undefined);

/** Sessions holding the relay's advisory lock in this database. */
async function lockHolders(): Promise<number[]> {
  const { rows } = await superuser.query(
    `SELECT l.pid FROM pg_locks l JOIN pg_database d ON d.oid = l.database
     WHERE l.locktype = 'advisory' AND l.granted AND l.classid = 7638011 AND d.datname = current_database()`,
  );
  return rows.map((row) => row.pid);
}

const said = (lines: LogLine[], msg: RegExp) => lines.filter((line) => msg.test(line.msg));

describe('one relay at a time', () => {
  test('two relays: every event is queued, one relay moves them, the other stands by and takes over when the first closes or loses its connection', async () => {
    const a = await relayProcess();
    const b = await relayProcess();
    try {
      await waitFor('one relay to take the lock', async () => (a.relay.active || b.relay.active ? true : undefined));
      const [holder, standby] = a.relay.active ? [a, b] : [b, a];
      await waitFor('the other to stand by', async () => (said(standby.lines, /standing by/).length ? true : undefined));

      const events = [];
      for (const name of ['One', 'Two', 'Three']) events.push(await eventOf(await createAccount(name)));
      for (const id of events) await queued(queue, id);
      expect(standby.relay.active).toBe(false);
      expect(await lockHolders()).toHaveLength(1);
      expect(said(holder.lines, /events relayed/).length).toBeGreaterThan(0);
      expect(said(standby.lines, /events relayed/)).toHaveLength(0);

      // The holder goes away (a closed process ends its connection, like a dead one): the other takes over.
      await holder.relay.close();
      await waitFor('the standby to take over', async () => (standby.relay.active ? true : undefined));
      const afterClose = await eventOf(await createAccount('After the holder closed'));
      await queued(queue, afterClose);
      expect(said(standby.lines, /event relay active/)).toHaveLength(1);

      // The new holder's connection is cut (as when its process dies): the lock is free again and taken again.
      const [pid] = await lockHolders();
      await superuser.query('SELECT pg_terminate_backend($1)', [pid]);
      const afterCut = await eventOf(await createAccount('After the connection was cut'));
      await queued(queue, afterCut);
      await waitFor('a relay to hold the lock again', async () => ((await lockHolders()).length === 1 && standby.relay.active ? true : undefined));
      expect((await lockHolders())[0]).not.toBe(pid);
    } finally {
      await a.relay.close();
      await b.relay.close();
    }
    expect(await lockHolders()).toHaveLength(0);
  });
});

describe('a Redis outage', () => {
  test('backs off and is logged twice: once when it begins (with the error), once when the waiting events are queued', async () => {
    const port = await startRedisServer();
    const redisUrl = `redis://127.0.0.1:${port}`;
    const ownQueue = new Queue<RecordEventPayload>('record-events', { connection: producerConnection(redisUrl), prefix: PREFIX });
    ownQueue.on('error', () => undefined);
    const { relay, lines } = await relayProcess(ownQueue);
    try {
      await queued(ownQueue, await eventOf(await createAccount('Before the outage')));
      redisShutdown(port);
      const waiting = [await eventOf(await createAccount('During the outage 1')), await eventOf(await createAccount('During the outage 2'))];
      await waitFor('a few failed passes', async () => (relay.failing >= 4 ? true : undefined));
      redisServer(port);
      await redisUp(port);
      const [recovered] = await waitFor('the recovery line', async () => {
        const found = said(lines, /recovered/);
        return found.length ? found : undefined;
      });
      for (const id of waiting) await queued(ownQueue, id);

      const began = said(lines, /cannot move events/);
      expect(began).toHaveLength(1);
      expect(began[0]).toMatchObject({ level: 40, err: expect.objectContaining({ message: expect.any(String) }) });
      expect(said(lines, /recovered/)).toHaveLength(1);
      expect(recovered).toMatchObject({ level: 30, eventsWaited: 2, downMs: expect.any(Number) });
      expect(recovered.failedTries).toBeGreaterThanOrEqual(4);
      expect(lines.filter((line) => line.level >= 40)).toHaveLength(1);
    } finally {
      await relay.close();
      await ownQueue.close();
      redisShutdown(port);
    }
  });

  test('the pause doubles from the poll interval with each failure and stops growing at MAX_BACKOFF_MS (5 s)', () => {
    expect([1, 2, 3, 4].map((failures) => backoffDelay(200, failures))).toEqual([400, 800, 1600, 3200]);
    expect(backoffDelay(200, 9)).toBe(MAX_BACKOFF_MS);
    expect(backoffDelay(200, 1000)).toBe(MAX_BACKOFF_MS);
  });
});
