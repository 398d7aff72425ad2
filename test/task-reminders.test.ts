import { randomBytes } from 'node:crypto';
import { Queue, type Job } from 'bullmq';
import { Client } from 'pg';
import { parseId } from '../src/kernel/ids';
import { createLogger } from '../src/kernel/logger';
import { producerConnection, type TaskReminderPayload } from '../src/kernel/queue';
import { startWorkers, type WorkerProcess } from '../workers/start-workers';
import { reminderJobId } from '../src/modules/notifications';
import { sendTaskReminder } from '../workers/task-reminders';
import { superuserClient } from './support/databases';
import { errorCode, TestApp, type Session } from './support/test-app';
import { waitFor } from './support/wait';

/**
 * Task reminders end to end against real PostgreSQL and Redis: the outbox, the relay, the
 * `task-reminders` handler scheduling delayed jobs, and the reminder job writing notifications.
 * Tasks are due a few seconds ahead; the lead time is 3 seconds (0.05 minutes).
 */

const PREFIX = `crm-test-${randomBytes(4).toString('hex')}`;
const SILENT = createLogger('silent');
const LEAD_MS = 3_000;

let t: TestApp;
let superuser: Client;
let reminders: Queue<TaskReminderPayload>;
let worker: WorkerProcess;
let admin: Session;
let seller: Session;
let accountId: string;

beforeAll(async () => {
  t = await TestApp.start('task_reminders');
  superuser = await superuserClient(t.database.name);
  reminders = new Queue('reminders', { connection: producerConnection(t.app.runtime.config.REDIS_URL), prefix: PREFIX });
  admin = await t.signUp('Reminders GmbH');
  seller = await t.member(admin, 'SALES');
  accountId = (await t.ok(`mutation { createAccount(input: { name: "Ada Corp" }) { id } }`, {}, admin)).createAccount.id;
  worker = await startWorkers({ ...t.app.runtime.config, TASK_REMINDER_LEAD_MINUTES: LEAD_MS / 60_000 }, SILENT, { prefix: PREFIX });
});

afterAll(async () => {
  await worker?.close();
  await reminders?.obliterate({ force: true });
  await reminders?.close();
  await superuser?.end();
  await t.stop();
});

const inMs = (ms: number) => new Date(Date.now() + ms);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function createTask(subject: string, dueAt: Date, owner: Session = admin): Promise<string> {
  const data = await t.ok(
    `mutation($input: CreateActivityInput!) { createActivity(input: $input) { id } }`,
    { input: { type: 'TASK', subject, accountId, dueAt: dueAt.toISOString(), ownerId: owner.userId } },
    admin,
  );
  return data.createActivity.id;
}

const uuid = (id: string) => parseId(id)!.uuid;

/** The notifications of a task (public id), oldest first, straight from the table. */
async function notificationsOf(taskId: string): Promise<Array<{ kind: string; user_id: string; created_at: Date }>> {
  const { rows } = await superuser.query(`SELECT kind, user_id, created_at FROM notifications WHERE record_id = $1 ORDER BY created_at, kind`, [uuid(taskId)]);
  return rows;
}

const kinds = async (taskId: string) => (await notificationsOf(taskId)).map((row) => row.kind);

/** The reminder job for a task's due time, once the handler has scheduled it. */
const scheduled = (taskId: string, dueAt: Date, kind: 'TASK_DUE' | 'TASK_DUE_SOON' = 'TASK_DUE') =>
  waitFor(`the ${kind} job of ${taskId}`, async () => (await reminders.getJob(reminderJobId(uuid(taskId), dueAt, kind))) ?? undefined);

const gone = (taskId: string, dueAt: Date) =>
  waitFor(`the jobs of ${taskId} due ${dueAt.toISOString()} to be removed`, async () => {
    const jobs = await Promise.all(
      (['TASK_DUE', 'TASK_DUE_SOON'] as const).map((kind) => reminders.getJob(reminderJobId(uuid(taskId), dueAt, kind))),
    );
    return jobs.every((job) => !job) ? true : undefined;
  });

describe('scheduling from task events', () => {
  test('a task due soon notifies its owner lead time before and at the due time, once each', async () => {
    // Margins for a loaded machine: the event pipeline may take seconds to schedule the jobs.
    const dueAt = inMs(12_000);
    const task = await createTask('Call back Ada', dueAt, seller);
    const job = await scheduled(task, dueAt);
    expect(Math.abs(job.timestamp + (job.opts.delay ?? 0) - dueAt.getTime())).toBeLessThan(1_000); // planned for the due time

    await waitFor('TASK_DUE_SOON', async () => ((await kinds(task)).includes('TASK_DUE_SOON') ? true : undefined));
    expect(Date.now()).toBeLessThan(dueAt.getTime());
    await waitFor('TASK_DUE', async () => ((await kinds(task)).includes('TASK_DUE') ? true : undefined));
    expect(Date.now()).toBeGreaterThanOrEqual(dueAt.getTime());
    await sleep(500);
    const rows = await notificationsOf(task);
    expect(rows.map((row) => row.kind)).toEqual(['TASK_DUE_SOON', 'TASK_DUE']);
    expect(rows.every((row) => row.user_id === uuid(seller.userId))).toBe(true);
  });

  test('moving the due time later: nothing at the old time, one reminder at the new', async () => {
    const oldDue = inMs(2_000);
    const task = await createTask('Send offer', oldDue);
    await scheduled(task, oldDue);
    const newDue = inMs(5_000);
    await t.ok(`mutation($id: ID!, $input: ActivityInput!) { updateActivity(id: $id, input: $input) { id } }`, { id: task, input: { dueAt: newDue.toISOString() } }, admin);
    await gone(task, oldDue);
    await scheduled(task, newDue);

    await sleep(Math.max(0, oldDue.getTime() + 1_000 - Date.now()));
    expect(await kinds(task)).not.toContain('TASK_DUE');
    await waitFor('TASK_DUE at the new time', async () => ((await kinds(task)).includes('TASK_DUE') ? true : undefined));
    expect(Date.now()).toBeGreaterThanOrEqual(newDue.getTime());
    await sleep(500);
    expect((await kinds(task)).filter((kind) => kind === 'TASK_DUE')).toHaveLength(1);
  });

  test.each([
    ['completing', 'completeTask'],
    ['deleting', 'deleteActivity'],
  ])('%s the task before it is due cancels its reminders', async (_, mutation) => {
    const dueAt = inMs(2_500);
    const task = await createTask(`Cancelled by ${mutation}`, dueAt);
    await scheduled(task, dueAt);
    await t.ok(`mutation($id: ID!) { ${mutation}(id: $id) { id } }`, { id: task }, admin);
    await gone(task, dueAt);
    await sleep(Math.max(0, dueAt.getTime() + 1_000 - Date.now()));
    expect(await kinds(task)).toEqual([]);
  });
});

describe('the reminder job', () => {
  const run = (data: TaskReminderPayload) =>
    sendTaskReminder({ id: reminderJobId(data.taskId, new Date(data.dueAt), data.kind), data } as Job<TaskReminderPayload>, t.app.runtime);

  test('running twice for the same job notifies once; a job for a due time the task no longer has notifies nobody', async () => {
    const dueAt = new Date('2031-05-01T09:00:00.000Z');
    const task = await createTask('Renewal', dueAt);
    const data: TaskReminderPayload = { workspaceId: uuid(admin.workspaceId), taskId: uuid(task), dueAt: dueAt.toISOString(), kind: 'TASK_DUE' };
    expect(await run(data)).toEqual({ notified: true, stale: false });
    expect(await run(data)).toEqual({ notified: false, stale: false });
    expect(await run({ ...data, dueAt: '2031-04-01T09:00:00.000Z' })).toEqual({ notified: false, stale: true });
    expect(await kinds(task)).toEqual(['TASK_DUE']);
  });
});

describe('notifications API', () => {
  const LIST = `query($unread: Boolean) { notifications(unreadOnly: $unread, first: 50) { totalCount edges { node { id kind subject readAt record { id subject } } } } }`;
  const list = async (who: Session, unread?: boolean) => (await t.ok(LIST, { unread }, who)).notifications;

  test('members see only their own; marking one or all read; another member’s id is NOT_FOUND', async () => {
    const workspaceId = uuid(admin.workspaceId);
    const ownTask = await createTask('Mine', new Date('2032-01-01T00:00:00.000Z'));
    const theirTask = await createTask('Theirs', new Date('2032-01-01T00:00:00.000Z'), seller);
    for (const [task, kind] of [[ownTask, 'TASK_DUE'], [ownTask, 'TASK_DUE_SOON'], [theirTask, 'TASK_DUE']] as const) {
      await sendTaskReminder({ id: 'x', data: { workspaceId, taskId: uuid(task), dueAt: '2032-01-01T00:00:00.000Z', kind } } as Job<TaskReminderPayload>, t.app.runtime);
    }
    await t.ok(`mutation { markAllNotificationsRead }`, {}, admin); // earlier tests' reminders out of the way
    const before = await list(admin);
    const mine = before.edges.map((edge: any) => edge.node).filter((node: any) => node.record?.id === ownTask);
    expect(mine.map((node: any) => node.kind).sort()).toEqual(['TASK_DUE', 'TASK_DUE_SOON']);
    expect(mine[0].record.subject).toBe('Mine');
    expect(before.edges.some((edge: any) => edge.node.record?.id === theirTask)).toBe(false);

    const theirs = (await list(seller, true)).edges.map((edge: any) => edge.node).filter((node: any) => node.record?.id === theirTask);
    expect(theirs).toHaveLength(1);
    expect(theirs[0].id).toMatch(/^ntf_/);
    const foreign = await t.gql(`mutation($id: ID!) { markNotificationRead(id: $id) { id } }`, { id: theirs[0].id }, admin);
    expect(errorCode(foreign)).toBe('NOT_FOUND');

    const read = (await t.ok(`mutation($id: ID!) { markNotificationRead(id: $id) { id readAt } }`, { id: theirs[0].id }, seller)).markNotificationRead;
    expect(read.readAt).not.toBeNull();
    expect((await list(seller, true)).edges.some((edge: any) => edge.node.id === theirs[0].id)).toBe(false);
    // The seller's two reminders from the first test are still unread.
    expect((await t.ok(`mutation { markAllNotificationsRead }`, {}, seller)).markAllNotificationsRead).toBe(2);
    expect((await list(seller, true)).totalCount).toBe(0);

    const { rows } = await superuser.query(`SELECT count(*)::int AS n FROM notifications WHERE user_id = $1 AND read_at IS NULL`, [uuid(admin.userId)]);
    expect(rows[0].n).toBe(0);
    await t.ok(`mutation { markAllNotificationsRead }`, {}, admin);
    expect((await list(admin, true)).totalCount).toBe(0);
  });
});
