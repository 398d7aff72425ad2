import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { Queue } from 'bullmq';
import { Client } from 'pg';
import { parseId } from '../src/kernel/ids';
import { producerConnection } from '../src/kernel/queue';
import { reminderJobId } from '../src/modules/notifications';
import { ADMIN_URL } from './support/databases';
import { collectJsonLines } from './support/processes';
import { TestApp, type Session } from './support/test-app';
import { waitFor } from './support/wait';

/**
 * `npm run worker` as a real process: SIGTERM lets the job in hand finish, then the process
 * exits 0. The job is a task reminder held up by a row lock the test takes on its task (the
 * reminder reads the task FOR SHARE), so it is surely running when the signal arrives.
 */

const PREFIX = `crm-test-${randomBytes(4).toString('hex')}`;
const ROOT = path.join(__dirname, '..');

let t: TestApp;
let superuserUrl: string;
let superuser: Client;
let reminders: Queue;
let admin: Session;

beforeAll(async () => {
  t = await TestApp.start('worker_shutdown');
  const url = new URL(ADMIN_URL);
  url.pathname = `/${t.database.name}`;
  superuserUrl = url.toString();
  superuser = new Client({ connectionString: superuserUrl });
  await superuser.connect();
  reminders = new Queue('reminders', { connection: producerConnection(t.app.runtime.config.REDIS_URL), prefix: PREFIX });
  admin = await t.signUp('Shutdown GmbH');
});

afterAll(async () => {
  await reminders?.obliterate({ force: true });
  await reminders?.close();
  await superuser?.end();
  await t.stop();
});

/** workers/index.ts from source, on this file's database and queue prefix; its JSON log lines land in `lines`. */
function workerProcess(lines: Array<Record<string, unknown>>): ChildProcess {
  const config = t.app.runtime.config;
  const child = spawn(process.execPath, ['-r', './test/support/ts-register.js', 'workers/index.ts'], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      PATH: process.env.PATH,
      NODE_ENV: 'test',
      LOG_LEVEL: 'info',
      DATABASE_URL: config.DATABASE_URL,
      WORKER_DATABASE_URL: config.WORKER_DATABASE_URL,
      REDIS_URL: config.REDIS_URL,
      JWT_SECRET: config.JWT_SECRET,
      QUEUE_PREFIX: PREFIX,
      SHUTDOWN_GRACE_MS: '30000',
    },
  });
  collectJsonLines(child, lines);
  return child;
}

test('SIGTERM: the worker process finishes the job in hand, then exits 0', async () => {
  const { createAccount } = await t.ok(`mutation { createAccount(input: { name: "Shutdown customer" }) { id } }`, {}, admin);
  const due = new Date(Date.now() - 60_000);
  const { createActivity } = await t.ok(
    `mutation($due: DateTimeISO!, $owner: ID!, $account: ID!) { createActivity(input: { type: TASK, subject: "Ring back", dueAt: $due, ownerId: $owner, accountId: $account }) { id dueAt } }`,
    { due: due.toISOString(), owner: admin.userId, account: createAccount.id },
    admin,
  );
  const taskId = parseId(createActivity.id)!.uuid;
  const jobId = reminderJobId(taskId, new Date(createActivity.dueAt), 'TASK_DUE');

  const blocker = new Client({ connectionString: superuserUrl });
  await blocker.connect();
  const lines: Array<Record<string, unknown>> = [];
  let child: ChildProcess | undefined;
  try {
    await blocker.query('BEGIN');
    await blocker.query('SELECT id FROM activities WHERE id = $1 FOR UPDATE', [taskId]);
    child = workerProcess(lines);
    const exited = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));

    // The relay delivers the task's event, its handler adds the reminder (due already), and the reminder waits on our lock.
    await waitFor('the reminder to be running', async () => ((await reminders.getJobState(jobId)) === 'active' ? true : undefined), 45_000);
    child.kill('SIGTERM');
    await waitFor('the worker to begin shutting down', async () => (lines.some((line) => String(line.msg).startsWith('shutting down')) ? true : undefined));
    expect(child.exitCode).toBeNull(); // still waiting for the job in hand
    await blocker.query('COMMIT');

    expect(await exited).toBe(0);
    const job = (await reminders.getJob(jobId))!;
    expect(await job.getState()).toBe('completed');
    expect(job.returnvalue).toEqual({ notified: true, stale: false });
    const { rows } = await superuser.query(`SELECT kind FROM notifications WHERE record_id = $1`, [taskId]);
    expect(rows).toEqual([{ kind: 'TASK_DUE' }]);
    expect(lines.map((line) => line.msg)).toEqual(expect.arrayContaining(['job completed', 'stopped']));
  } finally {
    if (child && child.exitCode === null && child.pid) process.kill(child.pid, 'SIGKILL');
    await blocker.end();
  }
});
