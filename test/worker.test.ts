import { randomBytes } from 'node:crypto';
import { Queue, type Job } from 'bullmq';
import { Client } from 'pg';
import { parseId } from '../src/kernel/ids';
import { createLogger } from '../src/kernel/logger';
import { producerConnection } from '../src/kernel/queue';
import { SCHEDULES } from '../workers/jobs';
import { startWorkers, type WorkerProcess } from '../workers/start-workers';
import { ADMIN_URL } from './support/databases';
import { TestApp, type Session } from './support/test-app';
import { waitFor } from './support/wait';

// Its own key prefix keeps this file's jobs apart from every other process using the Redis.
const PREFIX = `crm-test-${randomBytes(4).toString('hex')}`;
const SILENT = createLogger('silent');

let t: TestApp;
let superuser: Client;
let queue: Queue;
let first: Session;
let second: Session;

const asSuperuser = (database: string) => {
  const url = new URL(ADMIN_URL);
  url.pathname = `/${database}`;
  return new Client({ connectionString: url.toString() });
};

const start = (): Promise<WorkerProcess> => startWorkers(t.app.runtime.config, SILENT, { prefix: PREFIX });

beforeAll(async () => {
  t = await TestApp.start('worker');
  superuser = asSuperuser(t.database.name);
  await superuser.connect();
  queue = new Queue('maintenance', { connection: producerConnection(t.app.runtime.config.REDIS_URL), prefix: PREFIX });
  first = await t.signUp('First GmbH');
  second = await t.signUp('Second AG');
});

afterAll(async () => {
  await queue.obliterate({ force: true });
  await queue.close();
  await superuser.end();
  await t.stop();
});

/** Inserts a refresh token (bypassing row-level security); times are intervals from now, e.g. '-25 hours'. */
async function insertToken(session: Session, times: { expires: string; used?: string; revoked?: string }): Promise<string> {
  const { rows } = await superuser.query(
    `INSERT INTO refresh_tokens (workspace_id, user_id, expires_at, used_at, revoked_at)
     VALUES ($1, $2, now() + $3::interval, now() + $4::interval, now() + $5::interval) RETURNING id`,
    [parseId(session.workspaceId)!.uuid, parseId(session.userId)!.uuid, times.expires, times.used ?? null, times.revoked ?? null],
  );
  return rows[0].id;
}

async function tokenIds(): Promise<string[]> {
  const { rows } = await superuser.query('SELECT id FROM refresh_tokens ORDER BY id');
  return rows.map((row) => row.id);
}

async function finished(job: Job): Promise<string> {
  return waitFor(`job ${job.id}`, async () => {
    const state = await job.getState();
    return state === 'completed' || state === 'failed' ? state : undefined;
  });
}

describe('purge-refresh-tokens', () => {
  test('deletes tokens dead for over a day in every workspace and keeps the rest', async () => {
    const survivors = await tokenIds(); // the live tokens signUp issued
    const purged: string[] = [];
    for (const session of [first, second]) {
      survivors.push(
        await insertToken(session, { expires: '30 days' }),
        await insertToken(session, { expires: '-1 hour' }),
        await insertToken(session, { expires: '30 days', used: '-1 hour' }),
        await insertToken(session, { expires: '30 days', revoked: '-1 hour' }),
      );
      purged.push(
        await insertToken(session, { expires: '-2 days' }),
        await insertToken(session, { expires: '30 days', used: '-25 hours' }),
        await insertToken(session, { expires: '30 days', revoked: '-25 hours', used: '-26 hours' }),
      );
    }

    const worker = await start();
    try {
      const job = await queue.add('purge-refresh-tokens', {});
      expect(await finished(job)).toBe('completed');
      // The scheduler's first run may have purged before (or alongside) this job; together they purged exactly the dead ones.
      await waitFor('the queue to be idle', async () => {
        const counts = await queue.getJobCounts('waiting', 'active');
        return counts.waiting + counts.active === 0 ? true : undefined;
      });
      const completed = await queue.getJobs(['completed']);
      const purges = completed.filter((done) => done.name === 'purge-refresh-tokens');
      expect(purges.map((done) => done.returnvalue.purged).reduce((a, b) => a + b, 0)).toBe(purged.length);
    } finally {
      await worker.close();
    }
    expect(await tokenIds()).toEqual([...survivors].sort());
  });

  test('the owner role sees dead tokens of all workspaces and no live one; only the app role may call the purge', async () => {
    const live = await insertToken(first, { expires: '30 days' });
    const dead = await insertToken(second, { expires: '-1 minute' });
    const owner = new Client({ connectionString: t.database.ownerUrl });
    await owner.connect();
    try {
      const { rows } = await owner.query('SELECT id FROM refresh_tokens');
      const visible = rows.map((row) => row.id);
      expect(visible).toContain(dead);
      expect(visible).not.toContain(live);
    } finally {
      await owner.end();
    }
    const appRole = new URL(t.database.appUrl).username;
    const { rows } = await superuser.query(
      `SELECT has_function_privilege('public', 'crm_purge_refresh_tokens(interval)', 'EXECUTE') AS public,
              has_function_privilege($1, 'crm_purge_refresh_tokens(interval)', 'EXECUTE') AS app`,
      [appRole],
    );
    expect(rows[0]).toEqual({ public: false, app: true });
  });
});

describe('worker process', () => {
  test('registering the schedules again, even from two processes, leaves one scheduler each', async () => {
    const [a, b] = await Promise.all([start(), start()]);
    await Promise.all([a.close(), b.close()]);
    const again = await start();
    await again.close();
    expect(await queue.getJobSchedulersCount()).toBe(SCHEDULES.filter((schedule) => schedule.queue === 'maintenance').length);
    expect(await queue.getJobScheduler('purge-refresh-tokens')).toMatchObject({ name: 'purge-refresh-tokens', every: 3_600_000 });
  });

  test('a job name without a handler fails at once instead of being retried', async () => {
    const worker = await start();
    try {
      const job = await queue.add('no-such-job', {}, { attempts: 3 });
      expect(await finished(job)).toBe('failed');
      const failed = (await queue.getJob(job.id!))!;
      expect(failed.attemptsMade).toBe(1);
      expect(failed.failedReason).toBe('No handler for job "no-such-job" on queue "maintenance"');
    } finally {
      await worker.close();
    }
  });

  test('close() lets the job in hand finish before it resolves', async () => {
    const token = await insertToken(first, { expires: '-3 days' });
    // A row lock makes the purge wait until we let it go, so the job is surely mid-flight.
    const blocker = asSuperuser(t.database.name);
    await blocker.connect();
    await blocker.query('BEGIN');
    await blocker.query('SELECT id FROM refresh_tokens WHERE id = $1 FOR UPDATE', [token]);
    const worker = await start();
    try {
      const job = await queue.add('purge-refresh-tokens', {});
      await waitFor('the job to start', async () => ((await job.getState()) === 'active' ? true : undefined));

      let closedAt = 0;
      const closing = worker.close().then(() => (closedAt = Date.now()));
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(closedAt).toBe(0);
      const releasedAt = Date.now();
      await blocker.query('COMMIT');
      await closing;

      const done = (await queue.getJob(job.id!))!;
      expect(await done.getState()).toBe('completed');
      expect(done.finishedOn).toBeGreaterThanOrEqual(releasedAt);
      expect(closedAt).toBeGreaterThanOrEqual(done.finishedOn!);
      expect(await tokenIds()).not.toContain(token);
    } finally {
      await blocker.end(); // also releases the lock when an expectation failed first
      await worker.close();
    }
  });
});
