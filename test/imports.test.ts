import { randomBytes } from 'node:crypto';
import { Queue } from 'bullmq';
import type { Client as WsClient } from 'graphql-ws';
import type { Client } from 'pg';
import { parseId } from '../src/kernel/ids';
import { createLogger } from '../src/kernel/logger';
import { producerConnection } from '../src/kernel/queue';
import { startWorkers, type WorkerProcess } from '../workers/start-workers';
import { superuserClient } from './support/databases';
import { errorCode, TestApp, type Session } from './support/test-app';
import { waitFor } from './support/wait';
import { wsSubscribe } from './support/ws-subscription';

/**
 * Bulk imports end to end: uploads over HTTP into staging, the worker's chunks through
 * upsertBatch, progress over GraphQL and graphql-ws, cancel, caps, auth and tenancy. A worker
 * that dies mid-import is in test/import-resume.test.ts.
 */

const SILENT = createLogger('silent');
const PREFIX = `crm-test-${randomBytes(4).toString('hex')}`;
const JOB_FIELDS = 'id object format source status totalRows processedRows created updated unchanged failed failureReason startedAt finishedAt';

let t: TestApp;
let superuser: Client;
let workers: WorkerProcess | null = null;
let admin: Session;
let reader: Session;
let other: Session;
const clients: WsClient[] = [];

beforeAll(async () => {
  t = await TestApp.start('imports', { QUEUE_PREFIX: PREFIX, IMPORT_MAX_BYTES: '100000', IMPORT_MAX_ROWS: '1000', IMPORT_CHUNK_SIZE: '40', IMPORT_PARALLEL_CHUNKS: '1' });
  superuser = await superuserClient(t.database.name);
  admin = await t.signUp('Imports A');
  reader = await t.member(admin, 'READ_ONLY');
  other = await t.signUp('Imports B');
});

afterAll(async () => {
  for (const client of clients) await client.dispose();
  await workers?.close();
  const queue = new Queue('imports', { connection: producerConnection(t.app.runtime.config.REDIS_URL), prefix: PREFIX });
  await queue.obliterate({ force: true });
  await queue.close();
  await superuser?.end();
  await t.stop();
});

async function startWorkersOnce(): Promise<WorkerProcess> {
  workers ??= await startWorkers({ ...t.app.runtime.config, WORKER_CONCURRENCY: 1 }, SILENT, { prefix: PREFIX, relay: false });
  return workers;
}

interface Upload {
  status: number;
  body: { importJob?: { id: string; status: string; totalRows: number }; errors?: Array<{ message: string; extensions: { code: string; fields?: Array<{ field: string }> } }> };
}

async function upload(object: string, contentType: string, body: string, token?: string, query = ''): Promise<Upload> {
  const response = await fetch(`${t.url}/imports/${object}${query}`, {
    method: 'POST',
    headers: { 'content-type': contentType, ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body,
  });
  return { status: response.status, body: (await response.json()) as Upload['body'] };
}

function contactLines(count: number, tag: string, from = 1): string {
  return Array.from({ length: count }, (_, i) => {
    const n = from + i;
    return JSON.stringify({ externalRef: { system: 'sap', id: `${tag}-${n}` }, firstName: 'Imported', lastName: `${tag} ${n}`, email: `${tag}.${n}@example.com` });
  }).join('\n');
}

async function job(id: string, who: Session | string = admin): Promise<Record<string, any>> {
  const data = await t.ok(`query($id: ID!) { importJob(id: $id) { ${JOB_FIELDS} } }`, { id }, who);
  return data.importJob;
}

const ended = (id: string) => waitFor(`import ${id} to end`, async () => {
  const current = await job(id);
  return ['COMPLETED', 'FAILED', 'CANCELLED'].includes(current.status) ? current : undefined;
}, 20_000);

async function staged(id: string): Promise<number> {
  const { rows } = await superuser.query(`SELECT count(*)::int AS n FROM import_rows WHERE job_id = $1`, [parseId(id)!.uuid]);
  return rows[0].n;
}

async function apiKey(scopes: string[]): Promise<string> {
  const data = await t.ok(`mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { token } }`, { input: { name: `imports ${scopes.join(' ')}`, scopes } }, admin);
  return data.createApiKey.token;
}

describe('uploads (no worker running yet)', () => {
  test('NDJSON is staged line by line; a malformed line is staged as a line error, not a failed upload', async () => {
    const body = `${contactLines(2, 'staged')}\n{not json\n\n[1,2]\n`;
    const { status, body: answer } = await upload('contacts', 'application/x-ndjson', body, admin.token, '?system=sap');
    expect(status).toBe(202);
    expect(answer.importJob).toMatchObject({ status: 'QUEUED', totalRows: 4 });
    const { rows } = await superuser.query(`SELECT line, payload IS NOT NULL AS readable, problem FROM import_rows WHERE job_id = $1 ORDER BY line`, [
      parseId(answer.importJob!.id)!.uuid,
    ]);
    expect(rows.map((r) => [r.line, r.readable])).toEqual([[1, true], [2, true], [3, false], [5, false]]);
    expect(rows[2].problem).toMatch(/not valid JSON/);
    expect(rows[3].problem).toBe('must be a JSON object');
    expect(await job(answer.importJob!.id)).toMatchObject({ object: 'CONTACT', format: 'ndjson', source: 'sap', processedRows: 0 });
  });

  test('a bad object, content type or system is refused with a code; nothing is stored', async () => {
    expect((await upload('planets', 'application/x-ndjson', '{}', admin.token)).status).toBe(404);
    const wrongType = await upload('contacts', 'application/json', '{}', admin.token);
    expect([wrongType.status, wrongType.body.errors?.[0].extensions.code]).toEqual([415, 'BAD_USER_INPUT']);
    const badSystem = await upload('contacts', 'application/x-ndjson', '{}', admin.token, '?system=no%20spaces');
    expect([badSystem.status, badSystem.body.errors?.[0].extensions.fields?.[0].field]).toEqual([400, 'system']);
    // The slug rule of external refs' `system`: an upper-case source would fail every line later.
    const upperSystem = await upload('contacts', 'application/x-ndjson', '{}', admin.token, '?system=SAP');
    expect([upperSystem.status, upperSystem.body.errors?.[0].extensions.fields?.[0].field]).toEqual([400, 'system']);
  });

  test('auth: none is 401, a reader or a key without the object’s write scope 403; a key with it uploads', async () => {
    const body = contactLines(1, 'auth');
    expect((await upload('contacts', 'application/x-ndjson', body)).body.errors?.[0].extensions.code).toBe('UNAUTHENTICATED');
    expect((await upload('contacts', 'application/x-ndjson', body, 'not-a-token')).status).toBe(401);
    const asReader = await upload('contacts', 'application/x-ndjson', body, reader.token);
    expect([asReader.status, asReader.body.errors?.[0].extensions.code]).toEqual([403, 'FORBIDDEN']);
    const accountsKey = await apiKey(['accounts:write', 'crm:read']);
    expect((await upload('contacts', 'application/x-ndjson', body, accountsKey)).status).toBe(403);
    const contactsKey = await apiKey(['contacts:write', 'crm:read']);
    const asKey = await upload('contacts', 'application/x-ndjson', body, contactsKey, '?system=sap');
    expect(asKey.status).toBe(202);
    const data = await t.ok(`query($id: ID!) { importJob(id: $id) { createdBy { id } createdByApiKey { name } } }`, { id: asKey.body.importJob!.id }, admin);
    expect(data.importJob).toEqual({ createdBy: null, createdByApiKey: { name: 'imports contacts:write crm:read' } });
  });

  test('an upload over the byte or line cap is 413 and stores no job', async () => {
    const before = await superuser.query(`SELECT count(*)::int AS n FROM import_jobs`);
    const tooBig = await upload('contacts', 'application/x-ndjson', contactLines(1200, 'big'), admin.token);
    expect([tooBig.status, tooBig.body.errors?.[0].extensions.code]).toEqual([413, 'BAD_USER_INPUT']);
    const tooMany = await upload('contacts', 'application/x-ndjson', '{}\n'.repeat(1001), admin.token);
    expect(tooMany.status).toBe(413);
    expect(tooMany.body.errors?.[0].message).toMatch(/more than 1000 lines/);
    const after = await superuser.query(`SELECT count(*)::int AS n FROM import_jobs`);
    expect(after.rows[0].n).toBe(before.rows[0].n);
    const { rows } = await superuser.query(`SELECT count(*)::int AS n FROM import_rows r WHERE NOT EXISTS (SELECT 1 FROM import_jobs j WHERE j.id = r.job_id)`);
    expect(rows[0].n).toBe(0);
  });

  test('jobs are the workspace’s own: another workspace’s id is NOT_FOUND and its lists do not show them', async () => {
    const { body } = await upload('contacts', 'application/x-ndjson', contactLines(1, 'mine'), admin.token);
    const id = body.importJob!.id;
    const foreign = await t.gql(`query($id: ID!) { importJob(id: $id) { id } }`, { id }, other);
    expect(errorCode(foreign)).toBe('NOT_FOUND');
    expect(errorCode(await t.gql(`mutation($id: ID!) { cancelImportJob(id: $id) { id } }`, { id }, other))).toBe('NOT_FOUND');
    const theirs = await t.ok(`{ importJobs(first: 50) { totalCount edges { node { id } } } }`, {}, other);
    expect(theirs.importJobs.totalCount).toBe(0);
    const ours = await t.ok(`{ importJobs(first: 2) { totalCount edges { node { id } } pageInfo { hasNextPage endCursor } } }`, {}, admin);
    expect(ours.importJobs.edges[0].node.id).toBe(id);
    expect(ours.importJobs.pageInfo.hasNextPage).toBe(true);
  });

  test('cancel: a queued import ends CANCELLED, its staged lines go; cancelling again changes nothing; readers may not', async () => {
    const { body } = await upload('contacts', 'application/x-ndjson', contactLines(5, 'cancelled'), admin.token);
    const id = body.importJob!.id;
    expect(await staged(id)).toBe(5);
    expect(errorCode(await t.gql(`mutation($id: ID!) { cancelImportJob(id: $id) { id } }`, { id }, reader))).toBe('FORBIDDEN');
    const data = await t.ok(`mutation($id: ID!) { cancelImportJob(id: $id) { status finishedAt processedRows } }`, { id }, admin);
    expect(data.cancelImportJob).toMatchObject({ status: 'CANCELLED', processedRows: 0 });
    expect(await staged(id)).toBe(0);
    const again = await t.ok(`mutation($id: ID!) { cancelImportJob(id: $id) { status finishedAt } }`, { id }, admin);
    expect(again.cancelImportJob).toEqual(data.cancelImportJob && { status: 'CANCELLED', finishedAt: data.cancelImportJob.finishedAt });
  });
});

describe('the worker imports', () => {
  const ERRORS = `errors(first: 10) { totalCount edges { node { line code message fields { field message } } } }`;

  test('progress reaches a subscriber after each chunk, through Redis, until COMPLETED', async () => {
    const { body } = await upload('contacts', 'application/x-ndjson', contactLines(100, 'pushed'), admin.token, '?system=sap');
    const id = body.importJob!.id;
    const subscription = wsSubscribe<Record<string, any>>(t, clients, admin.token, `subscription($id: ID!) { importJobProgress(id: $id) { id status processedRows created } }`, 'importJobProgress', { id });
    const foreign = wsSubscribe(t, clients, other.token, `subscription($id: ID!) { importJobProgress(id: $id) { id } }`, 'importJobProgress', { id });
    expect(JSON.stringify(await foreign.ended)).toMatch(/NOT_FOUND/);
    await new Promise((resolve) => setTimeout(resolve, 200)); // the subscription is registered in Redis
    await startWorkersOnce();
    await ended(id);
    const updates = await waitFor('the last progress message', async () => (subscription.received.at(-1)?.status === 'COMPLETED' ? subscription.received : undefined));
    // 100 lines in chunks of 40: 40, 80, then 100 with COMPLETED.
    expect(updates.map((u) => [u.status, u.processedRows])).toEqual([['RUNNING', 40], ['RUNNING', 80], ['COMPLETED', 100]]);
    expect(updates.at(-1)).toMatchObject({ id, created: 100 });
  });

  test('NDJSON: created counts, per-line errors with line numbers; the same file again is all UNCHANGED', async () => {
    const lines = contactLines(50, 'ndjson').split('\n');
    lines[2] = '{"externalRef": {"system": "sap", "id": "broken"'; // line 3: bad JSON
    lines[6] = JSON.stringify({ externalRef: { system: 'sap', id: 'ndjson-7' }, firstName: 'No last name' }); // line 7: invalid input
    const file = lines.join('\n');
    const first = await upload('contacts', 'application/x-ndjson', file, admin.token, '?system=sap');
    await startWorkersOnce();
    const done = await ended(first.body.importJob!.id);
    expect(done).toMatchObject({ status: 'COMPLETED', totalRows: 50, processedRows: 50, created: 48, updated: 0, unchanged: 0, failed: 2 });
    expect(await staged(first.body.importJob!.id)).toBe(0);
    const { importJob } = await t.ok(`query($id: ID!) { importJob(id: $id) { ${ERRORS} } }`, { id: first.body.importJob!.id }, admin);
    expect(importJob.errors.totalCount).toBe(2);
    const [bad, invalid] = importJob.errors.edges.map((e: any) => e.node);
    expect(bad).toMatchObject({ line: 3, code: 'BAD_USER_INPUT' });
    expect(invalid).toMatchObject({ line: 7, code: 'BAD_USER_INPUT' });
    expect(JSON.stringify(invalid)).toMatch(/lastName/);

    const again = await upload('contacts', 'application/x-ndjson', file, admin.token, '?system=sap');
    expect(await ended(again.body.importJob!.id)).toMatchObject({ status: 'COMPLETED', created: 0, updated: 0, unchanged: 48, failed: 2 });
  });

  test('CSV: header names the input fields, externalId with ?system= is the external reference; quoted fields, wrong column counts', async () => {
    const csv = [
      'externalId,firstName,lastName,email,jobTitle',
      'csv-1,Ada,"Lovelace, Countess",csv.1@example.com,"Analyst ""first"""',
      'csv-2,Bob,"Multi',
      'line",csv.2@example.com,',
      'csv-3,Cy,Too,many,columns,here',
      '',
      'csv-4,Di,Four,csv.4@example.com,',
    ].join('\r\n');
    const { status, body } = await upload('contacts', 'text/csv; charset=utf-8', csv, admin.token, '?system=sap');
    expect(status).toBe(202);
    await startWorkersOnce();
    const done = await ended(body.importJob!.id);
    expect(done).toMatchObject({ status: 'COMPLETED', totalRows: 4, created: 3, failed: 1 });
    const { importJob } = await t.ok(`query($id: ID!) { importJob(id: $id) { ${ERRORS} } }`, { id: body.importJob!.id }, admin);
    expect(importJob.errors.edges.map((e: any) => [e.node.line, e.node.message])).toEqual([[5, 'Line 5: has 6 columns, the header 5']]);
    const { contacts } = await t.ok(`{ contacts(first: 10, filter: { email: { startsWith: "csv." } }) { edges { node { email lastName jobTitle } } } }`, {}, admin);
    const byEmail = contacts.edges.map((e: any) => e.node).sort((a: any, b: any) => a.email.localeCompare(b.email));
    expect(byEmail.map(({ lastName, jobTitle }: any) => ({ lastName, jobTitle }))).toEqual([
      { lastName: 'Lovelace, Countess', jobTitle: 'Analyst "first"' },
      { lastName: 'Multi\r\nline', jobTitle: null },
      { lastName: 'Four', jobTitle: null },
    ]);
    // A changed cell updates the record it names by its external id.
    const changed = await upload('contacts', 'text/csv', 'externalId,lastName\ncsv-4,Fourth', admin.token, '?system=sap');
    expect(await ended(changed.body.importJob!.id)).toMatchObject({ updated: 1, created: 0 });
  });

  test('a CSV header that names no input field, or externalId without ?system=, refuses the upload', async () => {
    const unknown = await upload('contacts', 'text/csv', 'lastName,shoeSize\nX,42', admin.token);
    expect([unknown.status, unknown.body.errors?.[0].extensions.fields?.map((f) => f.field)]).toEqual([400, ['header[1]']]);
    const noSystem = await upload('contacts', 'text/csv', 'externalId,lastName\nx,X', admin.token);
    expect(noSystem.body.errors?.[0].extensions.fields?.map((f) => f.field)).toEqual(['system']);
  });
});
