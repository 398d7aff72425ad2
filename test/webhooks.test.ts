import { randomBytes } from 'node:crypto';
import { Queue } from 'bullmq';
import type { Client } from 'pg';
import { RequestContext } from '../src/kernel/context';
import { producerConnection } from '../src/kernel/queue';
import { createLogger } from '../src/kernel/logger';
import { attemptDelivery } from '../src/modules/webhooks';
import { startWorkers, type WorkerProcess } from '../workers/start-workers';
import { fanOutWebhooks } from '../workers/webhook-fanout';
import { uuid } from './support/automations';
import { superuserClient } from './support/databases';
import { errorCode, errorFields, TestApp, type Session } from './support/test-app';
import { verifyWebhook, WebhookReceiver } from './support/webhook-receiver';
import { waitFor } from './support/wait';

/**
 * Webhooks end to end against real PostgreSQL, Redis and HTTP receivers on 127.0.0.1: API →
 * outbox → relay → `webhook-fanout` → `webhook-deliveries` queue → signed POST. Retries wait
 * 50 ms, then 100 ms, then 60 s: long enough that later attempts are made by the test itself,
 * with "now" moved on (the retry window, auto-disable).
 */

const PREFIX = `crm-test-${randomBytes(4).toString('hex')}`;
const HOUR = 3_600_000;
/** The pipeline's waits: generous, as other suites may load the machine. */
const PATIENCE_MS = 30_000;

let t: TestApp;
let superuser: Client;
let worker: WorkerProcess;
let hooks: WebhookReceiver;
let admin: Session;

beforeAll(async () => {
  t = await TestApp.start('webhooks', { WEBHOOK_RETRY_DELAYS_SECONDS: '0.05,0.1,60', WEBHOOK_TIMEOUT_MS: '2000' });
  superuser = await superuserClient(t.database.name);
  hooks = await WebhookReceiver.start();
  admin = await t.signUp('Webhooks GmbH');
  worker = await startWorkers(t.app.runtime.config, createLogger('silent'), { prefix: PREFIX });
});

afterAll(async () => {
  await worker?.close();
  for (const name of ['webhook-deliveries', 'record-events']) {
    const queue = new Queue(name, { connection: producerConnection(t.app.runtime.config.REDIS_URL), prefix: PREFIX });
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
  }
  await hooks?.close();
  await superuser?.end();
  await t?.stop();
});

const WEBHOOK = 'id url events fields description enabled disabledReason disabledAt version';
const DELIVERY = 'id status attempts eventId eventType lastStatusCode lastError durationMs nextAttemptAt firstAttemptAt attemptLog { statusCode error manual durationMs }';

async function createWebhook(path: string, input: Record<string, unknown>, who: Session = admin): Promise<{ webhook: any; secret: string }> {
  const data = await t.ok(`mutation($input: CreateWebhookInput!) { createWebhook(input: $input) { webhook { ${WEBHOOK} } secret } }`, { input: { url: hooks.url(path), ...input } }, who);
  hooks.secrets.set(path, data.createWebhook.secret);
  return data.createWebhook;
}

async function deliveries(webhookId: string, status?: string, who: Session = admin): Promise<any[]> {
  const data = await t.ok(`query($id: ID!, $status: WebhookDeliveryStatus) { webhookDeliveries(webhookId: $id, status: $status, first: 100) { edges { node { ${DELIVERY} } } } }`, { id: webhookId, status }, who);
  return data.webhookDeliveries.edges.map((edge: any) => edge.node);
}

const waitForDelivery = (webhookId: string, done: (delivery: any) => boolean) =>
  waitFor(`a delivery of ${webhookId}`, async () => (await deliveries(webhookId)).find(done), PATIENCE_MS);

async function createDeal(name: string, who: Session = admin): Promise<any> {
  return (await t.ok(`mutation($input: CreateDealInput!) { createDeal(input: $input) { id version } }`, { input: { name } }, who)).createDeal;
}

/** Waits until the fan-out has handled every event of the record so far. */
function fannedOut(recordId: string): Promise<true> {
  return waitFor(`the webhook fan-out of ${recordId}'s events`, async () => {
    const { rows } = await superuser.query(
      `SELECT count(*)::int AS open FROM record_events e
       WHERE e.record_id = $1 AND NOT EXISTS (SELECT 1 FROM processed_events p WHERE p.event_id = e.id AND p.handler = 'webhook-fanout')`,
      [uuid(recordId)],
    );
    return rows[0].open === 0 ? true : undefined;
  }, PATIENCE_MS);
}

/** An attempt made by the test in the delivery's workspace, as the worker would make it, at `now`. */
async function attemptAt(workspaceId: string, deliveryId: string, now: Date, dueAt: Date | null): Promise<boolean> {
  const runtime = { ...t.app.runtime, producers: worker.producers };
  return RequestContext.asSystem(runtime, uuid(workspaceId), 'test', (ctx) => attemptDelivery(ctx, uuid(deliveryId), { dueAt, now }));
}

describe('delivery', () => {
  test('a delivery is signed as Standard Webhooks says: a receiver verifies it with the secret, and the body is the event with public ids', async () => {
    const { webhook, secret } = await createWebhook('/signed', { events: ['deal.created'], description: 'CRM → ERP' });
    expect(webhook).toMatchObject({ id: expect.stringMatching(/^whk_/), enabled: true, events: ['deal.created'], fields: [], description: 'CRM → ERP' });
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);

    const deal = await createDeal('Signed deal');
    const delivery = await waitForDelivery(webhook.id, (d) => d.status === 'SUCCEEDED');
    const [hit] = hooks.hits('/signed');
    expect(hit.verified).toBe(true);
    expect(verifyWebhook(secret, hit.headers, hit.raw)).toBe(true);
    expect(verifyWebhook(secret, hit.headers, hit.raw.replace('Signed deal', 'Forged deal'))).toBe(false);
    expect(verifyWebhook(`whsec_${randomBytes(32).toString('base64')}`, hit.headers, hit.raw)).toBe(false);
    // A replay ten minutes later is refused by the timestamp check.
    expect(verifyWebhook(secret, hit.headers, hit.raw, 300, Date.now() / 1000 + 600)).toBe(false);
    expect(hit.headers['webhook-id']).toBe(delivery.eventId);
    expect(hit.headers['content-type']).toBe('application/json');
    expect(hit.body).toMatchObject({
      id: delivery.eventId,
      type: 'deal.created',
      workspaceId: admin.workspaceId,
      record: { type: 'Deal', id: deal.id },
      actor: { type: 'USER', id: admin.userId },
      before: null,
      after: { id: deal.id, name: 'Signed deal' },
      changedFields: expect.arrayContaining(['name']),
      sequence: expect.stringMatching(/^\d+$/),
    });
    expect(delivery).toMatchObject({ eventType: 'deal.created', attempts: 1, lastStatusCode: 200, lastError: null, nextAttemptAt: null, id: expect.stringMatching(/^whd_/) });
    expect(delivery.attemptLog).toEqual([{ statusCode: 200, error: null, manual: false, durationMs: expect.any(Number) }]);
  });

  test('the secret is returned once: no query reads it, and it is stored encrypted', async () => {
    const { webhook, secret } = await createWebhook('/secretive', { events: ['ticket.created'], secret: 'my-own-secret-of-24-chars' });
    expect(secret).toBe('my-own-secret-of-24-chars');
    const asked = await t.gql(`query($id: ID!) { webhook(id: $id) { secret } }`, { id: webhook.id }, admin);
    expect(asked.errors?.[0]?.message).toMatch(/Cannot query field "secret"/);
    const { rows } = await superuser.query(`SELECT secret_sealed FROM webhooks WHERE id = $1`, [uuid(webhook.id)]);
    expect(rows[0].secret_sealed).toMatch(/^v1:/);
    expect(rows[0].secret_sealed).not.toContain(secret);
    expect(Buffer.from(rows[0].secret_sealed.split(':')[3], 'base64').toString('utf8')).not.toContain('secret');

    const rotated = (await t.ok(`mutation($id: ID!) { rotateWebhookSecret(id: $id) { secret webhook { version } } }`, { id: webhook.id }, admin)).rotateWebhookSecret;
    expect(rotated.secret).toMatch(/^whsec_/);
    expect(rotated.webhook.version).toBe(2);
    hooks.secrets.set('/secretive', rotated.secret);
    await t.ok(`mutation { createTicket(input: { subject: "After rotation" }) { id } }`, {}, admin);
    const hit = await waitFor('the delivery after rotation', async () => hooks.hits('/secretive')[0], PATIENCE_MS);
    expect(hit.verified).toBe(true);
    expect(verifyWebhook(secret, hit.headers, hit.raw)).toBe(false);
  });

  test('a 500 is retried with the same webhook-id until it succeeds; every attempt is logged', async () => {
    hooks.statuses.set('/flaky', [500, 503, 200]);
    const { webhook } = await createWebhook('/flaky', { events: ['account.created'] });
    await t.ok(`mutation { createAccount(input: { name: "Flaky Ltd" }) { id } }`, {}, admin);
    const delivery = await waitForDelivery(webhook.id, (d) => d.status === 'SUCCEEDED');
    expect(delivery.attempts).toBe(3);
    expect(delivery.attemptLog.map((a: any) => a.statusCode)).toEqual([500, 503, 200]);
    expect(delivery.attemptLog[0].error).toMatch(/^answered 500/);
    const hits = hooks.hits('/flaky');
    expect(hits).toHaveLength(3);
    expect(new Set(hits.map((hit) => hit.headers['webhook-id']))).toEqual(new Set([delivery.eventId]));
    expect(hits.every((hit) => hit.verified)).toBe(true);
  });

  test('still failing past the retry window (time moved on), a delivery is DEAD and stays listed; redeliver sends it again with the same id', async () => {
    hooks.statuses.set('/down', 500);
    const { webhook } = await createWebhook('/down', { events: ['contact.created'] });
    await t.ok(`mutation { createContact(input: { lastName: "Down" }) { id } }`, {}, admin);
    const failing = await waitForDelivery(webhook.id, (d) => d.attempts === 3);
    expect(failing).toMatchObject({ status: 'FAILED', lastStatusCode: 500 });
    const due = new Date(failing.nextAttemptAt);
    expect(due.getTime() - Date.now()).toBeGreaterThan(30_000);

    const first = new Date(failing.firstAttemptAt);
    expect(await attemptAt(admin.workspaceId, failing.id, new Date(first.getTime() + 73 * HOUR), due)).toBe(true);
    const [dead] = await deliveries(webhook.id, 'DEAD');
    expect(dead).toMatchObject({ id: failing.id, status: 'DEAD', attempts: 4, nextAttemptAt: null });
    // The job that was scheduled for the attempt just made finds it done.
    expect(await attemptAt(admin.workspaceId, failing.id, new Date(), due)).toBe(false);

    hooks.statuses.set('/down', 200);
    const redelivered = (await t.ok(`mutation($id: ID!) { redeliver(deliveryId: $id) { ${DELIVERY} } }`, { id: dead.id }, admin)).redeliver;
    expect(redelivered).toMatchObject({ status: 'SUCCEEDED', attempts: 5, lastStatusCode: 200 });
    // The log reads by attempt time; the fourth attempt's time was moved three days on.
    expect(redelivered.attemptLog.map((a: any) => [a.statusCode, a.manual])).toEqual([[500, false], [500, false], [500, false], [200, true], [500, false]]);
    const hits = hooks.hits('/down');
    expect(hits).toHaveLength(5);
    expect(hits[4].headers['webhook-id']).toBe(dead.eventId);
    expect(hits[4].verified).toBe(true);
  });
});

describe('what is delivered', () => {
  test('a field filter delivers only updates that change one of the fields; an unknown field is refused by index', async () => {
    const { webhook } = await createWebhook('/amounts', { events: ['deal.updated'], fields: ['amount', 'stageId'] });
    const deal = await createDeal('Filtered');
    await t.ok(`mutation($id: ID!) { updateDeal(id: $id, input: { name: "Renamed" }) { id } }`, { id: deal.id }, admin);
    await t.ok(`mutation($id: ID!) { updateDeal(id: $id, input: { amount: "1200" }) { id } }`, { id: deal.id }, admin);
    await fannedOut(deal.id);
    const delivered = await waitForDelivery(webhook.id, (d) => d.status === 'SUCCEEDED');
    expect(await deliveries(webhook.id)).toHaveLength(1);
    expect(hooks.hits('/amounts').map((hit) => hit.body.changedFields)).toEqual([expect.arrayContaining(['amount'])]);
    expect(delivered.eventType).toBe('deal.updated');

    const bad = await t.gql(`mutation { createWebhook(input: { url: "${hooks.url('/x')}", events: ["deal.updated"], fields: ["amount", "colour"] }) { secret } }`, {}, admin);
    expect(errorCode(bad)).toBe('BAD_USER_INPUT');
    expect(errorFields(bad)).toEqual(['input.fields[1]']);
  });

  test('wildcards: `contact.*` gets every action on contacts and nothing else, `*` gets everything; an unknown type is refused by index', async () => {
    const contacts = await createWebhook('/contacts', { events: ['contact.*'] });
    const all = await createWebhook('/all', { events: ['*'] });
    const contact = (await t.ok(`mutation { createContact(input: { lastName: "Wild" }) { id } }`, {}, admin)).createContact;
    await t.ok(`mutation($id: ID!) { updateContact(id: $id, input: { firstName: "Card" }) { id } }`, { id: contact.id }, admin);
    const deal = await createDeal('Not a contact');
    await fannedOut(contact.id);
    await fannedOut(deal.id);
    await waitFor('all deliveries', async () => ((await deliveries(all.webhook.id, 'SUCCEEDED')).length >= 3 ? true : undefined), PATIENCE_MS);
    expect((await deliveries(contacts.webhook.id)).map((d) => d.eventType).sort()).toEqual(['contact.created', 'contact.updated']);
    expect((await deliveries(all.webhook.id)).map((d) => d.eventType).sort()).toEqual(['contact.created', 'contact.updated', 'deal.created']);
    await t.ok(`mutation($id: ID!) { deleteWebhook(id: $id) }`, { id: all.webhook.id }, admin);

    const bad = await t.gql(`mutation { createWebhook(input: { url: "${hooks.url('/x')}", events: ["deal.created", "deal.exploded", "dael.*"] }) { secret } }`, {}, admin);
    expect(errorFields(bad)).toEqual(['input.events[1]', 'input.events[2]']);
  });

  test('the fan-out run twice for an event makes no second delivery', async () => {
    const { webhook } = await createWebhook('/once', { events: ['deal.created'] });
    const deal = await createDeal('Once only');
    await fannedOut(deal.id);
    const delivery = await waitForDelivery(webhook.id, (d) => d.status === 'SUCCEEDED');
    const { rows } = await superuser.query(
      `SELECT id, workspace_id, type, record_type, record_id, actor_user_id, seq::text, occurred_at FROM record_events WHERE id = $1`,
      [uuid(delivery.eventId)],
    );
    const e = rows[0];
    const event = { eventId: e.id, workspaceId: e.workspace_id, type: e.type, recordType: e.record_type, recordId: e.record_id, actorUserId: e.actor_user_id, seq: e.seq, occurredAt: e.occurred_at.toISOString() };
    const runtime = { ...t.app.runtime, producers: worker.producers };
    for (let i = 0; i < 2; i++) {
      await RequestContext.asSystem(runtime, e.workspace_id, 'test', (ctx) => ctx.db.write((em) => fanOutWebhooks.run(ctx, em, event)));
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await deliveries(webhook.id)).toHaveLength(1);
    expect(hooks.hits('/once')).toHaveLength(1);
  });
});

describe('addresses', () => {
  test.each([
    ['http://169.254.169.254/latest/meta-data', /link-local/],
    ['http://10.0.0.8/hook', /private/],
    ['http://172.20.1.1/hook', /private/],
    ['http://192.168.1.10/hook', /private/],
    ['http://100.64.0.1/hook', /private/],
    ['http://[::ffff:10.0.0.1]/hook', /private/],
    ['http://[fd00::1]/hook', /private/],
    ['http://[fe80::1]/hook', /link-local/],
    ['http://0.0.0.0/hook', /unspecified/],
    ['http://224.0.0.1/hook', /multicast/],
    ['ftp://example.com/hook', /http\(s\)/],
    ['http://no-such-host.invalid/hook', /does not resolve/],
  ])('%s is refused on input.url', async (url, message) => {
    const result = await t.gql(`mutation($url: String!) { createWebhook(input: { url: $url, events: ["*"] }) { secret } }`, { url }, admin);
    expect(errorCode(result)).toBe('BAD_USER_INPUT');
    expect(result.errors![0].extensions!.fields).toEqual([{ field: 'input.url', message: expect.stringMatching(message) }]);
  });

  test('with loopback not allowed, a host name resolving to 127.0.0.1, ::1 and 127.x are refused, at creation and at delivery time', async () => {
    const strict = await TestApp.alongside(t, undefined, { WEBHOOK_ALLOW_PRIVATE_TARGETS: [] });
    try {
      for (const url of ['http://localhost:8080/hook', 'http://[::1]/hook', 'http://127.0.0.2/hook', 'http://[::ffff:127.0.0.1]/hook']) {
        const result = await strict.gql(`mutation($url: String!) { createWebhook(input: { url: $url, events: ["*"] }) { secret } }`, { url }, admin);
        expect({ url, fields: result.errors?.[0]?.extensions?.fields }).toEqual({ url, fields: [{ field: 'input.url', message: expect.stringMatching(/loopback/) }] });
      }
      // Delivery re-checks: a webhook saved while loopback was allowed is refused once it is not, and the receiver hears nothing.
      const { webhook } = await createWebhook('/recheck', { events: ['product.created'] });
      await t.ok(`mutation { createProduct(input: { sku: "RECHECK-1", name: "Recheck", price: "1", currency: "EUR" }) { id } }`, {}, admin);
      const [delivery] = await waitFor('the first attempt', async () => {
        const list = await deliveries(webhook.id);
        return list[0]?.attempts >= 1 ? list : undefined;
      }, PATIENCE_MS);
      const before = hooks.hits('/recheck').length;
      const redelivered = (await strict.ok(`mutation($id: ID!) { redeliver(deliveryId: $id) { lastError lastStatusCode } }`, { id: delivery.id }, admin)).redeliver;
      expect(redelivered).toEqual({ lastStatusCode: null, lastError: expect.stringMatching(/loopback address/) });
      expect(hooks.hits('/recheck')).toHaveLength(before);
    } finally {
      await strict.stop();
    }
  });
});

describe('auto-disable', () => {
  test('a webhook failing for a day is disabled, its open deliveries stop, its creator is told once; enableWebhook turns it on', async () => {
    const owner = await t.signUp('Failing GmbH');
    hooks.statuses.set('/failing', 500);
    const { webhook } = await createWebhook('/failing', { events: ['deal.created'] }, owner);
    await createDeal('Failing one', owner);
    await createDeal('Failing two', owner);
    await waitFor('both deliveries retrying', async () => {
      const list = await deliveries(webhook.id, 'FAILED', owner);
      return list.length === 2 && list.every((d) => d.attempts === 3) ? list : undefined;
    }, PATIENCE_MS);
    const open = await deliveries(webhook.id, 'FAILED', owner);
    const { rows } = await superuser.query(`SELECT failing_since FROM webhooks WHERE id = $1`, [uuid(webhook.id)]);
    const dayLater = new Date(rows[0].failing_since.getTime() + 25 * HOUR);

    expect(await attemptAt(owner.workspaceId, open[0].id, dayLater, new Date(open[0].nextAttemptAt))).toBe(true);
    const disabled = (await t.ok(`query($id: ID!) { webhook(id: $id) { ${WEBHOOK} } }`, { id: webhook.id }, owner)).webhook;
    expect(disabled).toMatchObject({ enabled: false, disabledReason: expect.stringMatching(/failed since/), disabledAt: dayLater.toISOString() });
    expect((await deliveries(webhook.id, undefined, owner)).map((d) => d.status)).toEqual(['DEAD', 'DEAD']);
    // The other delivery's scheduled attempt does nothing now, and tells no one again.
    expect(await attemptAt(owner.workspaceId, open[1].id, dayLater, new Date(open[1].nextAttemptAt))).toBe(false);
    const inbox = (await t.ok(`{ notifications { edges { node { kind subject } } } }`, {}, owner)).notifications.edges.map((e: any) => e.node);
    expect(inbox).toEqual([{ kind: 'WEBHOOK_DISABLED', subject: expect.stringContaining(hooks.url('/failing')) }]);
    await createDeal('While disabled', owner);
    await waitFor('the event handled', async () => {
      const { rows: open } = await superuser.query(`SELECT count(*)::int AS n FROM record_events e WHERE e.workspace_id = $1 AND NOT EXISTS (SELECT 1 FROM processed_events p WHERE p.event_id = e.id AND p.handler = 'webhook-fanout')`, [uuid(owner.workspaceId)]);
      return open[0].n === 0 ? true : undefined;
    }, PATIENCE_MS);
    expect(await deliveries(webhook.id, undefined, owner)).toHaveLength(2);

    const enabled = (await t.ok(`mutation($id: ID!) { enableWebhook(id: $id) { ${WEBHOOK} } }`, { id: webhook.id }, owner)).enableWebhook;
    expect(enabled).toMatchObject({ enabled: true, disabledReason: null, disabledAt: null });
  });
});

describe('access', () => {
  test('only admins and keys with webhooks:manage manage webhooks; another workspace sees none of them', async () => {
    const { webhook } = await createWebhook('/mine', { events: ['*'] });
    const manager = await t.member(admin, 'MANAGER');
    expect(errorCode(await t.gql(`{ webhooks { id } }`, {}, manager))).toBe('FORBIDDEN');

    const key = (await t.ok(`mutation { createApiKey(input: { name: "Hooks", scopes: ["webhooks:manage"] }) { token } }`, {}, admin)).createApiKey.token;
    const viaKey = await t.ok(`{ webhooks { id createdBy { id } } }`, {}, key);
    expect(viaKey.webhooks.map((w: any) => w.id)).toContain(webhook.id);
    const readKey = (await t.ok(`mutation { createApiKey(input: { name: "Reader", scopes: ["crm:read"] }) { token } }`, {}, admin)).createApiKey.token;
    expect(errorCode(await t.gql(`{ webhooks { id } }`, {}, readKey))).toBe('FORBIDDEN');

    const other = await t.signUp('Other GmbH');
    expect((await t.ok(`{ webhooks { id } }`, {}, other)).webhooks).toEqual([]);
    await createDeal('For the isolation test');
    const [mine] = await waitFor('a delivery', async () => {
      const list = await deliveries(webhook.id);
      return list.length ? list : undefined;
    }, PATIENCE_MS);
    for (const [query, variables] of [
      [`query($id: ID!) { webhook(id: $id) { id } }`, { id: webhook.id }],
      [`query($id: ID!) { webhookDeliveries(webhookId: $id) { totalCount } }`, { id: webhook.id }],
      [`mutation($id: ID!) { redeliver(deliveryId: $id) { id } }`, { id: mine.id }],
      [`mutation($id: ID!) { enableWebhook(id: $id) { id } }`, { id: webhook.id }],
      [`mutation($id: ID!) { deleteWebhook(id: $id) }`, { id: webhook.id }],
    ] as const) {
      expect(errorCode(await t.gql(query, variables, other))).toBe('NOT_FOUND');
    }
    // The other workspace's events reach none of this workspace's webhooks.
    const foreign = await createDeal('Foreign deal', other);
    await fannedOut(foreign.id);
    const { rows } = await superuser.query(`SELECT count(*)::int AS n FROM webhook_deliveries d JOIN record_events e ON e.id = d.event_id WHERE e.record_id = $1`, [uuid(foreign.id)]);
    expect(rows[0].n).toBe(0);
    expect(hooks.hits('/mine').some((hit) => hit.body.record.id === foreign.id)).toBe(false);
  });
});
