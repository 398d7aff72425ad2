import { randomBytes, randomUUID } from 'node:crypto';
import { Queue, type Job } from 'bullmq';
import type { Client as WsClient } from 'graphql-ws';
import { Redis } from 'ioredis';
import type { Client } from 'pg';
import { RequestContext, type AppRuntime } from '../src/kernel/context';
import { parseId } from '../src/kernel/ids';
import { createLogger } from '../src/kernel/logger';
import { PUBSUB_PREFIX, RedisPubSub } from '../src/kernel/pubsub';
import { producerConnection, type TaskReminderPayload } from '../src/kernel/queue';
import { createRedis } from '../src/kernel/redis';
import { NOTIFICATION_ADDED, notificationService, reminderJobId } from '../src/modules/notifications';
import { startWorkers } from '../workers/start-workers';
import { sendTaskReminder } from '../workers/task-reminders';
import { superuserClient } from './support/databases';
import { TestApp, type Session } from './support/test-app';
import { waitFor } from './support/wait';
import { wsSubscribe, type WsSubscription } from './support/ws-subscription';

/**
 * `notificationAdded` over graphql-ws, fed through Redis pub/sub: notifications written on the
 * worker side (a runtime with a pub/sub of its own, or the real worker process) reach the
 * subscribed member through whichever API process holds the subscription.
 */

const SILENT = createLogger('silent');
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const SUBSCRIPTION = `subscription { notificationAdded { id kind subject readAt createdAt record { id subject } } }`;

let t: TestApp;
let superuser: Client;
let redis: Redis;
let publisher: Redis;
/** The worker side: the API's data source, but a pub/sub (and Redis connection) of its own. */
let worker: AppRuntime;
let alice: Session;
let bob: Session;
let carol: Session;
let accountId: string;
let carolAccountId: string;
const clients: WsClient[] = [];

beforeAll(async () => {
  t = await TestApp.start('notification_push');
  superuser = await superuserClient(t.database.name);
  redis = new Redis(REDIS_URL);
  publisher = createRedis(REDIS_URL);
  await publisher.connect();
  worker = { ...t.app.runtime, pubSub: new RedisPubSub(publisher, SILENT) };
  alice = await t.signUp('Push GmbH');
  bob = await t.member(alice, 'SALES');
  carol = await t.signUp('Elsewhere AG');
  accountId = (await t.ok(`mutation { createAccount(input: { name: "Ada Corp" }) { id } }`, {}, alice)).createAccount.id;
  carolAccountId = (await t.ok(`mutation { createAccount(input: { name: "Carol Corp" }) { id } }`, {}, carol)).createAccount.id;
});

afterAll(async () => {
  await Promise.all(clients.map((client) => client.dispose()));
  publisher?.disconnect();
  redis?.disconnect();
  await superuser?.end();
  await t?.stop();
});

const uuid = (id: string) => parseId(id)!.uuid;
const channelOf = (session: Session) => `${PUBSUB_PREFIX}:${NOTIFICATION_ADDED}:${uuid(session.workspaceId)}`;

/** How many Redis connections listen on the workspace's channel (one per API process with subscribers). */
const listeners = async (session: Session) => Number(((await redis.pubsub('NUMSUB', channelOf(session))) as [string, number])[1]);

type Subscription = WsSubscription<{ kind: string; subject: string; id: string; record: { id: string } | null }>;

const subscribe = (app: TestApp, token: string | null): Subscription => wsSubscribe(app, clients, token, SUBSCRIPTION, 'notificationAdded');

/**
 * A subscription once it is live: probe notifications are sent to `session` until one arrives
 * (then forgotten), so nothing published afterwards can be missed.
 */
async function subscribed(app: TestApp, session: Session): Promise<Subscription> {
  const subscription = subscribe(app, session.token);
  await waitFor('the subscription to be live', async () => {
    await notifyDirectly(session, 'probe');
    return subscription.received.length > 0 ? true : undefined;
  });
  // Messages from one publisher arrive in order: once this one is in, every probe is.
  await notifyDirectly(session, 'ready');
  await receivedUpTo(subscription, 'ready');
  subscription.received.length = 0;
  return subscription;
}

/** A task due in 2031 owned by `owner`, on an account of their workspace. */
async function createTask(owner: Session, subject: string): Promise<string> {
  const account = owner === carol ? carolAccountId : accountId;
  const input = { type: 'TASK', subject, dueAt: '2031-05-01T09:00:00.000Z', ownerId: owner.userId, accountId: account };
  return (await t.ok(`mutation($input: CreateActivityInput!) { createActivity(input: $input) { id } }`, { input }, owner === carol ? carol : alice)).createActivity.id;
}

/** Runs the reminder job for a task on the worker side: it notifies the owner and publishes after commit. */
function remind(owner: Session, taskId: string, runtime: AppRuntime = worker) {
  const data: TaskReminderPayload = { workspaceId: uuid(owner.workspaceId), taskId: uuid(taskId), dueAt: '2031-05-01T09:00:00.000Z', kind: 'TASK_DUE' };
  return sendTaskReminder({ id: reminderJobId(data.taskId, new Date(data.dueAt), data.kind), data } as Job<TaskReminderPayload>, runtime);
}

/** Notifies `who` directly inside a system write of the worker side; `rollBack` throws after it. */
async function notifyDirectly(who: Session, subject: string, rollBack = false, runtime: AppRuntime = worker): Promise<void> {
  const ctx = RequestContext.system(runtime, uuid(who.workspaceId));
  try {
    await ctx.db.write(async (em) => {
      await notificationService.notify(ctx, em, { userId: uuid(who.userId), kind: 'TEST', subject, recordType: null, recordId: null, dedupeKey: randomUUID() });
      if (rollBack) throw new Error('rolled back on purpose');
    });
  } catch (error) {
    if (!rollBack) throw error;
  } finally {
    await ctx.close();
  }
}

/** Waits until `subscription` got a notification with `subject`: everything published before it has arrived too. */
const receivedUpTo = (subscription: Subscription, subject: string) =>
  waitFor(`"${subject}" to arrive`, async () => (subscription.received.some((n) => n.subject === subject) ? true : undefined));

test('a member receives their own new notifications once; another member’s or another workspace’s never', async () => {
  const aliceSub = await subscribed(t, alice);
  const bobSub = await subscribed(t, bob);
  const carolSub = await subscribed(t, carol);

  const aliceTask = await createTask(alice, 'Call Ada');
  const bobTask = await createTask(bob, 'Email Ada');
  const carolTask = await createTask(carol, 'Visit Carol Corp');
  expect(await remind(alice, aliceTask)).toEqual({ notified: true, stale: false });
  expect(await remind(alice, aliceTask)).toEqual({ notified: false, stale: false }); // deduplicated: nothing to publish
  await remind(bob, bobTask);
  await remind(carol, carolTask);
  await notifyDirectly(alice, 'last for alice');
  await notifyDirectly(carol, 'last for carol');
  await receivedUpTo(aliceSub, 'last for alice');
  await receivedUpTo(carolSub, 'last for carol');

  expect(aliceSub.received).toEqual([
    { id: expect.stringMatching(/^ntf_/), kind: 'TASK_DUE', subject: 'Call Ada', readAt: null, createdAt: expect.any(String), record: { id: aliceTask, subject: 'Call Ada' } },
    expect.objectContaining({ kind: 'TEST', subject: 'last for alice', record: null }),
  ]);
  const stored = await t.ok(`{ notifications(first: 10) { edges { node { id subject } } } }`, {}, alice);
  expect(stored.notifications.edges.map((edge: any) => edge.node.id)).toContain(aliceSub.received[0].id);
  await waitFor('bob’s reminder', async () => (bobSub.received.some((n) => n.subject === 'Email Ada') ? true : undefined));
  expect(bobSub.received.every((n) => !['Call Ada', 'last for alice', 'Visit Carol Corp'].includes(n.subject))).toBe(true);
  expect(carolSub.received.map((n) => n.subject)).toEqual(['Visit Carol Corp', 'last for carol']);
  // Three subscriptions are open and have delivered; none holds a pooled connection.
  const pool = (t.app.runtime.dataSource.driver as unknown as { master: { totalCount: number; idleCount: number } }).master;
  expect(pool.totalCount - pool.idleCount).toBe(0);
});

test('a member removed from the workspace stops receiving: their subscription ends at the next notification', async () => {
  const eve = await t.member(alice, 'SUPPORT');
  const sub = await subscribed(t, eve);
  const { rows } = await superuser.query(`SELECT id FROM memberships WHERE user_id = $1`, [uuid(eve.userId)]);
  await t.ok(`mutation($id: ID!) { removeMember(id: $id) { id } }`, { id: `mem_${rows[0].id.replace(/-/g, '')}` }, alice);
  await notifyDirectly(eve, 'after removal');
  expect(await sub.ended).toEqual([expect.objectContaining({ extensions: { code: 'UNAUTHENTICATED' } })]);
  expect(sub.received).toEqual([]);
});

test('a rolled-back write publishes nothing', async () => {
  const sub = await subscribed(t, alice);
  await notifyDirectly(alice, 'never committed', true);
  await notifyDirectly(alice, 'committed after');
  await receivedUpTo(sub, 'committed after');
  expect(sub.received.map((n) => n.subject)).toEqual(['committed after']);
  const { rows } = await superuser.query(`SELECT count(*)::int AS n FROM notifications WHERE subject = 'never committed'`);
  expect(rows[0].n).toBe(0);
});

test('a subscription without a valid token is refused', async () => {
  for (const token of [null, 'not-a-jwt']) {
    const sub = subscribe(t, token);
    const ended = (await sub.ended) as { code?: number } | null;
    expect(ended?.code).toBe(4403);
    expect(sub.received).toEqual([]);
  }
});

test('with Redis unreachable the notification still commits; the failure is only logged', async () => {
  const dead = createRedis('redis://127.0.0.1:1');
  dead.on('error', () => undefined);
  const warnings: unknown[] = [];
  const logger = Object.assign(createLogger('silent'), { warn: (...args: unknown[]) => warnings.push(args) });
  const offline = { ...t.app.runtime, pubSub: new RedisPubSub(dead, logger) } as AppRuntime;
  try {
    await notifyDirectly(alice, 'written while Redis is away', false, offline);
  } finally {
    dead.disconnect();
  }
  const { rows } = await superuser.query(`SELECT count(*)::int AS n FROM notifications WHERE subject = 'written while Redis is away'`);
  expect(rows[0].n).toBe(1);
  expect(warnings).toHaveLength(1);
});

test('a second API process serves a subscriber with what the worker process publishes; stopping it ends its Redis subscription', async () => {
  const prefix = `crm-test-${randomBytes(4).toString('hex')}`;
  const second = await TestApp.alongside(t);
  const dave = await second.signUp('Second Process GmbH');
  expect(await listeners(dave)).toBe(0);
  const workers = await startWorkers(t.app.runtime.config, SILENT, { prefix, relay: false });
  const reminders = new Queue('reminders', { connection: producerConnection(REDIS_URL), prefix });
  try {
    const sub = await subscribed(second, dave);
    const account = (await second.ok(`mutation { createAccount(input: { name: "Dave Corp" }) { id } }`, {}, dave)).createAccount.id;
    const task = (
      await second.ok(
        `mutation($input: CreateActivityInput!) { createActivity(input: $input) { id } }`,
        { input: { type: 'TASK', subject: 'Ring Dave', accountId: account, dueAt: '2031-05-01T09:00:00.000Z' } },
        dave,
      )
    ).createActivity.id;
    const data: TaskReminderPayload = { workspaceId: uuid(dave.workspaceId), taskId: uuid(task), dueAt: '2031-05-01T09:00:00.000Z', kind: 'TASK_DUE' };
    await reminders.add('task-reminder', data, { jobId: reminderJobId(data.taskId, new Date(data.dueAt), data.kind) });
    await receivedUpTo(sub, 'Ring Dave');
    expect(sub.received).toEqual([expect.objectContaining({ kind: 'TASK_DUE', record: { id: task, subject: 'Ring Dave' } })]);
  } finally {
    await workers.close();
    await reminders.obliterate({ force: true });
    await reminders.close();
    await second.stop();
  }
  expect(await listeners(dave)).toBe(0);
});
