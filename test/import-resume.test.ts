import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Queue } from 'bullmq';
import { Client } from 'pg';
import { createDataSource } from '../src/kernel/db/data-source';
import { parseId } from '../src/kernel/ids';
import { createLogger } from '../src/kernel/logger';
import { producerConnection, type ImportJobPayload } from '../src/kernel/queue';
import { importQueueJobId, sweepImports } from '../src/modules/imports';
import { startWorkers, type WorkerProcess } from '../workers/start-workers';
import { superuserClient } from './support/databases';
import { spawnWorkerProcess } from './support/processes';
import { TestApp, type Session } from './support/test-app';
import { waitFor } from './support/wait';

/**
 * A worker process killed (SIGKILL) in the middle of an import: another worker takes the job
 * once its lock lapses and goes on from the last committed chunk, so every line is imported and
 * counted exactly once. And an import whose queue job was lost is queued again by the sweep.
 */

const SILENT = createLogger('silent');
const PREFIX = `crm-test-${randomBytes(4).toString('hex')}`;
const LINES = 200;
const CHUNK = 20;

let t: TestApp;
let superuser: Client;
let queue: Queue<ImportJobPayload>;
let workers: WorkerProcess | null = null;
let admin: Session;

beforeAll(async () => {
  t = await TestApp.start('import_resume', { QUEUE_PREFIX: PREFIX, IMPORT_CHUNK_SIZE: String(CHUNK) });
  superuser = await superuserClient(t.database.name);
  queue = new Queue('imports', { connection: producerConnection(t.app.runtime.config.REDIS_URL), prefix: PREFIX });
  admin = await t.signUp('Resume GmbH');
});

afterAll(async () => {
  await workers?.close();
  await queue?.obliterate({ force: true });
  await queue?.close();
  await superuser?.end();
  await t.stop();
});

/** workers/index.ts from source as its own process, taking jobs of this file's queues; stalled jobs recover within a second. */
function workerProcess(): ChildProcess {
  return spawnWorkerProcess(t.app.runtime.config, {
    QUEUE_PREFIX: PREFIX,
    IMPORT_CHUNK_SIZE: String(CHUNK),
    // Its stalled-job check also sets how often any worker of the queue may check: as often as the live one below.
    WORKER_LOCK_DURATION_MS: '1000',
    WORKER_STALLED_INTERVAL_MS: '300',
  });
}

async function upload(tag: string): Promise<string> {
  const body = Array.from({ length: LINES }, (_, i) =>
    JSON.stringify({ externalRef: { system: 'erp', id: `${tag}-${i}` }, lastName: `${tag} ${i}`, email: `${tag}.${i}@example.com` }),
  ).join('\n');
  const response = await fetch(`${t.url}/imports/contacts?system=erp`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-ndjson', authorization: `Bearer ${admin.token}` },
    body,
  });
  expect(response.status).toBe(202);
  return ((await response.json()) as { importJob: { id: string } }).importJob.id;
}

async function jobRow(id: string): Promise<Record<string, any>> {
  const { rows } = await superuser.query(`SELECT * FROM import_jobs WHERE id = $1`, [parseId(id)!.uuid]);
  return rows[0];
}

async function contacts(tag: string): Promise<{ rows: number; distinct: number }> {
  const { rows } = await superuser.query(`SELECT count(*)::int AS rows, count(DISTINCT last_name)::int AS distinct FROM contacts WHERE last_name LIKE $1`, [`${tag} %`]);
  return rows[0];
}

const completed = (id: string) =>
  waitFor(`import ${id} to complete`, async () => {
    const row = await jobRow(id);
    return row.status === 'COMPLETED' ? row : undefined;
  }, 30_000);

/**
 * The live worker: recovers stalled jobs within a second. It tolerates a few recoveries per job,
 * as the child may have lost its lock once already while compiling TypeScript on the fly.
 */
const startWorkersOnce = async () => {
  const config = { ...t.app.runtime.config, WORKER_LOCK_DURATION_MS: 1000, WORKER_STALLED_INTERVAL_MS: 300, WORKER_MAX_STALLED_COUNT: 5 };
  workers ??= await startWorkers(config, SILENT, { prefix: PREFIX, relay: false });
};

test('a worker killed mid-chunk: another resumes from the last committed chunk; no line is imported or counted twice', async () => {
  // Line 151 updates this contact (same email); holding its row stops that chunk inside its upserts.
  const { createContact } = await t.ok(`mutation { createContact(input: { lastName: "Blocker", email: "resumed.150@example.com" }) { id } }`, {}, admin);
  const blocker = await superuserClient(t.database.name);
  let child: ChildProcess | undefined;
  let id: string;
  try {
    await blocker.query('BEGIN');
    await blocker.query(`SELECT id FROM contacts WHERE id = $1 FOR UPDATE`, [parseId(createContact.id)!.uuid]);
    id = await upload('resumed');
    child = workerProcess();
    await waitFor('a chunk to wait inside its upserts', async () => {
      const { rows } = await superuser.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = $1`, [t.database.name]);
      return rows[0].n > 0 && (await jobRow(id)).processed_rows >= CHUNK ? true : undefined;
    }, 45_000);
    const exited = new Promise((resolve) => child!.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
    await blocker.query('COMMIT');
  } finally {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await blocker.end();
  }
  const uuid = parseId(id)!.uuid;
  const atDeath = await jobRow(id);
  expect(atDeath.status).toBe('RUNNING');
  expect(atDeath.processed_rows % CHUNK).toBe(0);
  expect(atDeath.processed_rows).toBeLessThan(LINES);
  expect((await contacts('resumed')).rows).toBe(atDeath.processed_rows);
  expect(await queue.getJobState(importQueueJobId(uuid))).toBe('active'); // held by the dead worker's lapsing lock

  await startWorkersOnce();
  const done = await completed(id);
  expect(done).toMatchObject({ processed_rows: LINES, created_count: LINES - 1, updated_count: 1, unchanged_count: 0, failed_count: 0 });
  expect(await contacts('resumed')).toEqual({ rows: LINES, distinct: LINES });
  const { rows } = await superuser.query(`SELECT count(*)::int AS n FROM import_rows WHERE job_id = $1`, [uuid]);
  expect(rows[0].n).toBe(0);
  await workers!.close();
  workers = null;
});

test('an open import whose queue job was lost is queued again by the sweep, and ended imports’ staged lines are purged', async () => {
  const id = await upload('lost');
  const uuid = parseId(id)!.uuid;
  await queue.remove(importQueueJobId(uuid)); // as if Redis lost it
  await superuser.query(`UPDATE import_jobs SET updated_at = now() - interval '2 minutes' WHERE id = $1`, [uuid]);
  // Staged lines left by an ended import (the worker never reached them).
  const left = await upload('left');
  await queue.remove(importQueueJobId(parseId(left)!.uuid));
  await superuser.query(`UPDATE import_jobs SET status = 'FAILED' WHERE id = $1`, [parseId(left)!.uuid]);

  const dataSource = createDataSource({ url: t.app.runtime.config.WORKER_DATABASE_URL, poolSize: 1, applicationName: 'crm-test-sweep' });
  await dataSource.initialize();
  try {
    const runtime = { config: t.app.runtime.config, dataSource, logger: SILENT };
    expect(await sweepImports(runtime, queue)).toEqual({ requeued: 1, purged: LINES });
    expect(await sweepImports(runtime, queue)).toEqual({ requeued: 0, purged: 0 }); // queued now: waiting, not lost
  } finally {
    await dataSource.destroy();
  }
  await startWorkersOnce();
  expect(await completed(id)).toMatchObject({ created_count: LINES });
});
