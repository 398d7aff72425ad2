import { spawn } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createLogger } from '../src/kernel/logger';
import { verifyWebhook } from '../examples/erp-sync/verify-webhook';
import { startWorkers, type WorkerProcess } from '../workers/start-workers';
import { TestApp, type Session } from './support/test-app';
import { waitFor } from './support/wait';

/**
 * examples/erp-sync as an ERP team would run it: its commands as child processes, with an API
 * key, against a live API server and worker.
 */

const ROOT = path.join(__dirname, '..');
const EXAMPLE = path.join(ROOT, 'examples/erp-sync');
const PREFIX = `crm-test-${randomBytes(4).toString('hex')}`;
const SCOPES = ['crm:read', 'accounts:write', 'contacts:write', 'products:write', 'orders:write', 'webhooks:manage'];

let t: TestApp;
let workers: WorkerProcess;
let admin: Session;
let apiKey: string;
let scratch: string;

beforeAll(async () => {
  t = await TestApp.start('erp_sync_example', { WEBHOOK_ALLOW_PRIVATE_TARGETS: 'loopback' });
  workers = await startWorkers(t.app.runtime.config, createLogger('silent'), { prefix: PREFIX });
  admin = await t.signUp('ERP Sync GmbH');
  const { createApiKey } = await t.ok(`mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { token } }`, { input: { name: 'SAP prod', scopes: SCOPES } }, admin);
  apiKey = createApiKey.token;
  scratch = mkdtempSync(path.join(tmpdir(), 'erp-sync-'));
});

afterAll(async () => {
  await workers?.close();
  await t?.stop();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

type Line = Record<string, any>;

/** Runs `sync.ts <args>` to its end; resolves with its JSON output lines, rejects on a non-zero exit. */
function sync(...args: string[]): Promise<Line[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-r', path.join(ROOT, 'test/support/ts-register.js'), 'sync.ts', ...args], {
      cwd: EXAMPLE,
      env: { PATH: process.env.PATH, CRM_URL: t.url, CRM_API_KEY: apiKey, ERP_SYSTEM: 'sap' },
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('exit', (code) => {
      const lines = out.split('\n').filter(Boolean).map((line) => JSON.parse(line) as Line);
      code === 0 ? resolve(lines) : reject(new Error(`sync ${args.join(' ')} exited ${code}: ${out}${err}`));
    });
  });
}

const freePort = (): Promise<number> =>
  new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });

const counts = (lines: Line[]) => Object.fromEntries(lines.filter((l) => l.object).map((l) => [l.object, [l.created, l.updated, l.unchanged, l.failed]]));

test('push: the ERP export lands with its numbers as external references; pushing it again changes nothing', async () => {
  const first = await sync('push', 'sample-export.json');
  expect(counts(first)).toEqual({ Account: [3, 0, 0, 0], Contact: [4, 0, 0, 0], Product: [3, 0, 0, 0], Order: [2, 0, 0, 0] });

  const { account, order } = await t.ok(
    `{ account(externalRef: { system: "sap", id: "100042" }) { name domain externalRefs { system id } }
       order(externalRef: { system: "sap", id: "SO-2026-0001" }) { number total currency account { name } contact { email } lines { product { sku } quantity } } }`,
    {},
    admin,
  );
  expect(account).toEqual({ name: 'Müller Maschinenbau GmbH', domain: 'mueller-maschinenbau.de', externalRefs: [{ system: 'sap', id: '100042' }] });
  expect(order).toMatchObject({ number: 'SO-2026-0001', total: '2551.97', currency: 'EUR', account: { name: 'Müller Maschinenbau GmbH' }, contact: { email: 'anna.mueller@mueller-maschinenbau.de' } });
  expect(order.lines.map((l: any) => l.product.sku)).toEqual(['PUMP-200', 'SEAL-KIT']);

  const again = await sync('push', 'sample-export.json');
  expect(counts(again)).toEqual({ Account: [0, 0, 3, 0], Contact: [0, 0, 4, 0], Product: [0, 0, 3, 0], Order: [0, 0, 2, 0] });
});

test('follow: the change feed is read once from the saved cursor; a later run reads only what is new', async () => {
  const cursor = path.join(scratch, 'cursor');
  const first = await sync('follow', '--cursor', cursor);
  const changes = first.filter((l) => l.change).map((l) => l.change);
  expect(first.at(-1)).toEqual({ done: 'follow', read: changes.length });
  expect(changes.filter((c) => c.type === 'account.created')).toHaveLength(3);
  expect(changes.filter((c) => c.type === 'order.created')).toHaveLength(2);
  expect(await sync('follow', '--cursor', cursor)).toEqual([{ done: 'follow', read: 0 }]);

  const { account } = await t.ok(`{ account(externalRef: { system: "sap", id: "100044" }) { id } }`, {}, admin);
  await t.ok(`mutation($id: ID!) { updateAccount(id: $id, input: { industry: "Logistics" }) { id } }`, { id: account.id }, admin);
  const next = await sync('follow', '--cursor', cursor);
  expect(next.filter((l) => l.change).map((l) => [l.change.type, l.change.recordId, l.change.changed])).toEqual([['account.updated', account.id, ['industry']]]);
});

test('webhooks: the receiver verifies each delivery; a forged one is refused', async () => {
  const port = await freePort();
  const [registered] = await sync('register-webhook', '--url', `http://127.0.0.1:${port}/crm`, '--events', 'account.updated');
  expect(registered.secret).toEqual(expect.any(String));

  const lines: Line[] = [];
  const receiver = spawn(process.execPath, ['-r', path.join(ROOT, 'test/support/ts-register.js'), 'sync.ts', 'receive', '--port', String(port), '--secret', registered.secret], {
    cwd: EXAMPLE,
    env: { PATH: process.env.PATH },
  });
  receiver.stdout.on('data', (chunk: Buffer) => lines.push(...chunk.toString().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Line)));
  try {
    await waitFor('the receiver to listen', async () => lines.find((l) => l.listening));
    const { account } = await t.ok(`{ account(externalRef: { system: "sap", id: "100043" }) { id } }`, {}, admin);
    await t.ok(`mutation($id: ID!) { updateAccount(id: $id, input: { city: "Lübeck" }) { id } }`, { id: account.id }, admin);
    const verified = await waitFor('a verified delivery', async () => lines.find((l) => l.verified), 30_000);
    expect(verified).toMatchObject({ type: 'account.updated', record: { type: 'Account', id: account.id } });

    // A delivery signed with another secret, as an attacker would send it.
    const body = JSON.stringify({ id: 'evt_forged', type: 'account.deleted' });
    const timestamp = String(Math.floor(Date.now() / 1000));
    const signature = createHmac('sha256', 'not-the-secret').update(`evt_forged.${timestamp}.${body}`).digest('base64');
    const response = await fetch(`http://127.0.0.1:${port}/crm`, {
      method: 'POST',
      headers: { 'webhook-id': 'evt_forged', 'webhook-timestamp': timestamp, 'webhook-signature': `v1,${signature}` },
      body,
    });
    expect(response.status).toBe(401);
    await waitFor('the rejection', async () => lines.find((l) => l.rejected));
    expect(lines.filter((l) => l.verified).map((l) => l.verified)).not.toContain('evt_forged');
  } finally {
    receiver.kill('SIGTERM');
  }
});

test('verifyWebhook: a correctly signed delivery replayed after the tolerance is refused; a fresh one passes', () => {
  const secret = `whsec_${randomBytes(32).toString('base64')}`;
  const body = JSON.stringify({ id: 'evt_1', type: 'deal.updated' });
  const signed = (at: number) => ({
    'webhook-id': 'evt_1',
    'webhook-timestamp': String(at),
    'webhook-signature': `v1,${createHmac('sha256', Buffer.from(secret.slice(6), 'base64')).update(`evt_1.${at}.${body}`).digest('base64')}`,
  });
  const now = Math.floor(Date.now() / 1000);
  expect(verifyWebhook(secret, signed(now), body, now)).toEqual({ ok: true, eventId: 'evt_1' });
  expect(verifyWebhook(secret, signed(now - 600), body, now)).toEqual({ ok: false, reason: 'timestamp outside the tolerance' });
  expect(verifyWebhook(secret, signed(now), `${body} `, now)).toEqual({ ok: false, reason: 'signature does not match' });
});
