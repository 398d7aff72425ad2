import { randomBytes } from 'node:crypto';
import { Queue } from 'bullmq';
import type { Client } from 'pg';
import { createLogger } from '../src/kernel/logger';
import { producerConnection, type Producers } from '../src/kernel/queue';
import { startWorkers, type WorkerProcess } from '../workers/start-workers';
import { schedulerId, sweepTimedAutomations } from '../src/modules/automations';
import { automationClient, triggersHandled, uuid, WebhookReceiver } from './support/automations';
import { superuserClient } from './support/databases';
import { errorCode, errorFields, TestApp, type Session } from './support/test-app';
import { waitFor } from './support/wait';

/**
 * Automations end to end against real PostgreSQL and Redis: API → outbox → relay → trigger
 * handler → `automations` queue → run → effects through the same services as the API.
 * Each automation's condition names its own deal-name prefix, so tests do not trigger each other.
 */

const PREFIX = `crm-test-${randomBytes(4).toString('hex')}`;
const SILENT = createLogger('silent');
const MAX_DEPTH = 3;

let t: TestApp;
let superuser: Client;
let worker: WorkerProcess;
let queue: Queue;
let hooks: WebhookReceiver;
let admin: Session;
let a: ReturnType<typeof automationClient>;

beforeAll(async () => {
  t = await TestApp.start('automations');
  superuser = await superuserClient(t.database.name);
  hooks = await WebhookReceiver.start();
  queue = new Queue('automations', { connection: producerConnection(t.app.runtime.config.REDIS_URL), prefix: PREFIX });
  admin = await t.signUp('Automations GmbH');
  a = automationClient(t, admin);
  worker = await startWorkers({ ...t.app.runtime.config, AUTOMATION_MAX_DEPTH: MAX_DEPTH }, SILENT, { prefix: PREFIX });
});

afterAll(async () => {
  await worker?.close();
  await queue?.obliterate({ force: true });
  await queue?.close();
  await hooks?.close();
  await superuser?.end();
  await t.stop();
});

const startsWith = (prefix: string) => ({ deal: { name: { startsWith: prefix } } });
const onDealCreated = { type: 'RECORD_CREATED', objectType: 'DEAL' };
const count = async (sql: string, params: unknown[]) => (await superuser.query(sql, params)).rows[0].n as number;

describe('record triggers', () => {
  test('a created deal matching the condition runs the automation: tag and task visible; a deal not matching runs nothing', async () => {
    const automation = await a.createOk({
      name: 'Big deals',
      trigger: onDealCreated,
      condition: { deal: { and: [{ name: { startsWith: 'E2E' } }, { amount: { gt: '1000' } }] } },
      actions: [
        { type: 'ADD_TAG', tag: 'big' },
        { type: 'CREATE_TASK', title: 'Call the buyer', dueInHours: 2 },
      ],
    });
    expect(automation).toMatchObject({ enabled: true, version: 1, id: expect.stringMatching(/^aut_/) });

    const big = await a.createDeal('E2E big', { amount: '5000' });
    const run = await a.runFor(automation.id, big.id);
    expect(run).toMatchObject({ status: 'SUCCEEDED', version: 1, depth: 1, attempts: 1, id: expect.stringMatching(/^arun_/) });
    expect(run.triggerEventId).toMatch(/^evt_/);
    const nodes = await t.ok(`query($a: ID!, $r: ID!) { a: node(id: $a) { ... on Automation { name } } r: node(id: $r) { ... on AutomationRun { status } } }`, { a: automation.id, r: run.id }, admin);
    expect(nodes).toEqual({ a: { name: 'Big deals' }, r: { status: 'SUCCEEDED' } });
    expect(run.actionResults.map((r: any) => [r.type, r.status])).toEqual([['ADD_TAG', 'SUCCEEDED'], ['CREATE_TASK', 'SUCCEEDED']]);
    const after = await a.deal(big.id);
    expect(after.tags).toEqual(['big']);
    const tasks = after.activities.edges.map((edge: any) => edge.node);
    expect(tasks).toEqual([expect.objectContaining({ type: 'TASK', subject: 'Call the buyer', owner: { id: admin.userId } })]);
    expect(new Date(tasks[0].dueAt).getTime()).toBeGreaterThan(Date.now() + 60 * 60_000);

    const small = await a.createDeal('E2E small', { amount: '10' });
    await triggersHandled(superuser, small.id);
    expect((await a.runs(automation.id)).map((r) => r.recordId)).toEqual([big.id]);
    // The tag filter of the list query finds it.
    const tagged = await t.ok(`{ deals(filter: { tags: { has: "big" } }) { edges { node { id } } } b: deals(filter: { tags: { hasAny: ["x", "big"] }, name: { startsWith: "E2E" } }) { totalCount } }`, {}, admin);
    expect(tagged.deals.edges.map((edge: any) => edge.node.id)).toEqual([big.id]);
    expect(tagged.b.totalCount).toBe(1);
  });

  test('watched fields: an update runs it only when a watched field changed', async () => {
    const automation = await a.createOk({
      name: 'Amount watch',
      trigger: { type: 'RECORD_UPDATED', objectType: 'DEAL', watchedFields: ['amount'] },
      condition: startsWith('Watch'),
      actions: [{ type: 'CREATE_NOTE', title: 'Amount changed' }],
    });
    const deal = await a.createDeal('Watch me', { amount: '100' });
    await a.updateDeal(deal.id, { name: 'Watch me too' });
    await triggersHandled(superuser, deal.id);
    expect(await a.runs(automation.id)).toEqual([]);

    await a.updateDeal(deal.id, { amount: '200' });
    expect(await a.runFor(automation.id, deal.id)).toMatchObject({ status: 'SUCCEEDED' });
    await triggersHandled(superuser, deal.id);
    expect(await a.runs(automation.id)).toHaveLength(1);
    expect((await a.deal(deal.id)).activities.edges.map((edge: any) => edge.node.subject)).toEqual(['Amount changed']);
  });

  test('versions: each update is a new version, a run records the one it used; disabling stops triggering', async () => {
    const automation = await a.createOk({ name: 'Versioned', trigger: onDealCreated, condition: startsWith('Ver'), actions: [{ type: 'ADD_TAG', tag: 'v1' }] });
    const first = await a.createDeal('Ver one');
    expect(await a.runFor(automation.id, first.id)).toMatchObject({ status: 'SUCCEEDED', version: 1 });

    const stale = await t.gql(`mutation($id: ID!) { updateAutomation(id: $id, expectedVersion: 7, input: { name: "x" }) { id } }`, { id: automation.id }, admin);
    expect(errorCode(stale)).toBe('CONFLICT');
    const updated = (await t.ok(
      `mutation($id: ID!, $input: AutomationInput!) { updateAutomation(id: $id, input: $input, expectedVersion: 1) { version actions { settings } } }`,
      { id: automation.id, input: { actions: [{ type: 'ADD_TAG', tag: 'v2' }] } },
      admin,
    )).updateAutomation;
    expect(updated).toEqual({ version: 2, actions: [{ settings: { tag: 'v2' } }] });
    const second = await a.createDeal('Ver two');
    expect(await a.runFor(automation.id, second.id)).toMatchObject({ status: 'SUCCEEDED', version: 2 });
    expect((await a.deal(second.id)).tags).toEqual(['v2']);
    const { rows } = await superuser.query(`SELECT version, definition->'actions'->0->'settings'->>'tag' AS tag FROM automation_versions WHERE automation_id = $1 ORDER BY version`, [uuid(automation.id)]);
    expect(rows).toEqual([{ version: 1, tag: 'v1' }, { version: 2, tag: 'v2' }]);
    const v1 = await t.ok(`query($id: ID!) { automationVersion(id: $id, version: 1) { version actions { type settings } } }`, { id: automation.id }, admin);
    expect(v1.automationVersion).toEqual({ version: 1, actions: [{ type: 'ADD_TAG', settings: { tag: 'v1' } }] });

    expect((await t.ok(`mutation($id: ID!) { disableAutomation(id: $id) { enabled version } }`, { id: automation.id }, admin)).disableAutomation).toEqual({ enabled: false, version: 2 });
    const third = await a.createDeal('Ver three');
    await triggersHandled(superuser, third.id);
    expect((await a.runs(automation.id)).map((run) => run.recordId)).not.toContain(third.id);
    await t.ok(`mutation($id: ID!) { enableAutomation(id: $id) { enabled } }`, { id: automation.id }, admin);
    expect(await a.runFor(automation.id, (await a.createDeal('Ver four')).id)).toMatchObject({ status: 'SUCCEEDED' });
  });
});

describe('actions', () => {
  test('UPDATE_FIELDS, NOTIFY_USER and CALL_WEBHOOK: the deal changes through the service, the owner is notified, the webhook gets the run and the record', async () => {
    const seller = await t.member(admin, 'SALES');
    const automation = await a.createOk({
      name: 'All in',
      trigger: onDealCreated,
      condition: startsWith('Act'),
      actions: [
        { type: 'UPDATE_FIELDS', fields: { amount: '42.50', ownerId: seller.userId } },
        { type: 'NOTIFY_USER', title: 'A new deal is yours' },
        { type: 'NOTIFY_USER', title: 'FYI', assignee: 'MEMBER', userId: admin.userId },
        { type: 'CALL_WEBHOOK', url: hooks.url('/all-in') },
      ],
    });
    const deal = await a.createDeal('Act now');
    const run = await a.runFor(automation.id, deal.id);
    expect(run.status).toBe('SUCCEEDED');
    expect(run.actionResults[3].output).toEqual({ status: 200 });
    expect((await a.deal(deal.id)).amount).toBe('42.5000');
    const events = (await superuser.query(`SELECT changed, automation_depth, caused_by_run_id FROM record_events WHERE record_id = $1 AND type = 'deal.updated'`, [uuid(deal.id)])).rows;
    expect(events).toEqual([{ changed: ['amount', 'ownerId'], automation_depth: 1, caused_by_run_id: uuid(run.id) }]);
    const history = await t.ok(`query($id: ID!) { recordEvents(recordId: $id) { edges { node { type automationDepth causedByRunId } } } }`, { id: deal.id }, admin);
    expect(history.recordEvents.edges.map((edge: any) => edge.node)).toEqual([
      { type: 'deal.created', automationDepth: 0, causedByRunId: null },
      { type: 'deal.updated', automationDepth: 1, causedByRunId: run.id },
    ]);

    const inbox = async (who: Session) => (await t.ok(`{ notifications(first: 50) { edges { node { kind subject } } } }`, {}, who)).notifications.edges.map((e: any) => e.node);
    // The owner is read when the action runs: the seller, set by the action before it.
    expect(await inbox(seller)).toEqual([{ kind: 'AUTOMATION', subject: 'A new deal is yours' }]);
    expect(await inbox(admin)).toContainEqual({ kind: 'AUTOMATION', subject: 'FYI' });

    const [hit] = hooks.hits('/all-in');
    expect(hit.body).toMatchObject({
      automation: { id: automation.id, name: 'All in', version: 1 },
      run: { id: run.id, trigger: run.trigger },
      record: { type: 'DEAL', id: deal.id, data: { id: deal.id, name: 'Act now' } },
    });
  });

  test('a failing action: the others still run (PARTIALLY_FAILED) unless the automation stops on error (FAILED, rest SKIPPED); retryAutomationRun succeeds once fixed', async () => {
    hooks.statuses.set('/gone', 410);
    const actions = [
      { type: 'CALL_WEBHOOK', url: hooks.url('/gone') },
      { type: 'ADD_TAG', tag: 'after-hook' },
    ];
    const lenient = await a.createOk({ name: 'Lenient', trigger: onDealCreated, condition: startsWith('Fail lenient'), actions });
    const strict = await a.createOk({ name: 'Strict', trigger: onDealCreated, condition: startsWith('Fail strict'), actions, stopOnError: true });

    const lenientDeal = await a.createDeal('Fail lenient');
    const partial = await a.runFor(lenient.id, lenientDeal.id);
    expect(partial).toMatchObject({ status: 'PARTIALLY_FAILED', errorCode: 'WEBHOOK_HTTP_STATUS', attempts: 1 });
    expect(partial.actionResults.map((r: any) => [r.status, r.errorCode])).toEqual([['FAILED', 'WEBHOOK_HTTP_STATUS'], ['SUCCEEDED', null]]);
    expect(partial.actionResults[0].errorMessage).toBe('answered 410');
    expect((await a.deal(lenientDeal.id)).tags).toEqual(['after-hook']);

    const strictDeal = await a.createDeal('Fail strict');
    const failed = await a.runFor(strict.id, strictDeal.id);
    expect(failed).toMatchObject({ status: 'FAILED', attempts: 1 }); // 4xx is permanent: no retries
    expect(failed.actionResults.map((r: any) => r.status)).toEqual(['FAILED', 'SKIPPED']);
    expect((await a.deal(strictDeal.id)).tags).toEqual([]);
    expect((await a.runs(strict.id, 'FAILED')).map((run) => run.id)).toEqual([failed.id]);
    const allFailed = (await t.ok(`{ automationRuns(status: FAILED) { edges { node { id } } } }`, {}, admin)).automationRuns.edges.map((e: any) => e.node.id);
    expect(allFailed).toContain(failed.id);

    const notYet = await t.gql(`mutation($id: ID!) { retryAutomationRun(id: $id) { id } }`, { id: failed.id }, await t.member(admin, 'SALES'));
    expect(errorCode(notYet)).toBe('FORBIDDEN');
    hooks.statuses.set('/gone', 200);
    const queued = (await t.ok(`mutation($id: ID!) { retryAutomationRun(id: $id) { status retries } }`, { id: failed.id }, admin)).retryAutomationRun;
    expect(queued).toEqual({ status: 'QUEUED', retries: 1 });
    const retried = await waitFor('the retried run', async () => {
      const run = (await a.runs(strict.id)).find((r) => r.id === failed.id);
      return run.status === 'SUCCEEDED' ? run : undefined;
    });
    expect(retried).toMatchObject({ attempts: 2, retries: 1, errorCode: null });
    expect((await a.deal(strictDeal.id)).tags).toEqual(['after-hook']);
    const succeeded = await t.gql(`mutation($id: ID!) { retryAutomationRun(id: $id) { id } }`, { id: failed.id }, admin);
    expect(errorFields(succeeded)).toEqual(['id']);
  });

  test('a transient failure (503) is retried with backoff; actions that succeeded are not repeated', async () => {
    hooks.statuses.set('/flaky', [503, 200]);
    const automation = await a.createOk({
      name: 'Flaky',
      trigger: onDealCreated,
      condition: startsWith('Flaky'),
      actions: [{ type: 'CREATE_NOTE', title: 'Once only' }, { type: 'CALL_WEBHOOK', url: hooks.url('/flaky') }],
    });
    const deal = await a.createDeal('Flaky one');
    const run = await a.runFor(automation.id, deal.id, ['SUCCEEDED', 'FAILED', 'PARTIALLY_FAILED']);
    expect(run).toMatchObject({ status: 'SUCCEEDED', attempts: 2 });
    expect(hooks.hits('/flaky')).toHaveLength(2);
    expect((await a.deal(deal.id)).activities.edges).toHaveLength(1);
  });

  test('a run whose record was deleted fails for good (RECORD_DELETED)', async () => {
    hooks.statuses.set('/slow-delete', 200);
    const automation = await a.createOk({ name: 'Late', trigger: { type: 'RECORD_UPDATED', objectType: 'DEAL' }, condition: startsWith('Late'), actions: [{ type: 'ADD_TAG', tag: 'late' }] });
    const deal = await a.createDeal('Late one');
    await worker.workers.find((w) => w.name === 'automations')!.pause();
    try {
      await a.updateDeal(deal.id, { amount: '5' });
      await waitFor('the queued run', async () => (await a.runs(automation.id)).find((r) => r.status === 'QUEUED'));
      await t.ok(`mutation($id: ID!) { deleteDeal(id: $id) { id } }`, { id: deal.id }, admin);
    } finally {
      worker.workers.find((w) => w.name === 'automations')!.resume();
    }
    expect(await a.runFor(automation.id, deal.id)).toMatchObject({ status: 'FAILED', errorCode: 'RECORD_DELETED', attempts: 1 });
  });
});

describe('other objects', () => {
  test('tickets and contacts: a condition on an enum, a note on the ticket, a member notified, a contact tagged', async () => {
    const support = await t.member(admin, 'SUPPORT');
    const urgent = await a.createOk({
      name: 'Urgent tickets',
      trigger: { type: 'RECORD_CREATED', objectType: 'TICKET' },
      condition: { ticket: { priority: { eq: 'URGENT' }, subject: { startsWith: 'Obj' } } },
      actions: [
        { type: 'CREATE_NOTE', title: 'Escalated', body: 'by automation' },
        { type: 'NOTIFY_USER', title: 'Urgent ticket', assignee: 'MEMBER', userId: support.userId },
      ],
    });
    const contacts = await a.createOk({ name: 'New contacts', trigger: { type: 'RECORD_CREATED', objectType: 'CONTACT' }, condition: { contact: { lastName: { eq: 'Objectson' } } }, actions: [{ type: 'ADD_TAG', tag: 'lead' }] });
    const ticket = (await t.ok(`mutation { createTicket(input: { subject: "Obj down", priority: URGENT }) { id } }`, {}, admin)).createTicket.id;
    const calm = (await t.ok(`mutation { createTicket(input: { subject: "Obj fine", priority: LOW }) { id } }`, {}, admin)).createTicket.id;
    const contact = (await t.ok(`mutation { createContact(input: { lastName: "Objectson" }) { id } }`, {}, admin)).createContact.id;
    expect(await a.runFor(urgent.id, ticket)).toMatchObject({ status: 'SUCCEEDED' });
    expect(await a.runFor(contacts.id, contact)).toMatchObject({ status: 'SUCCEEDED' });
    await triggersHandled(superuser, calm);
    expect((await a.runs(urgent.id)).map((run) => run.recordId)).toEqual([ticket]);
    const notes = await t.ok(`query($id: ID!) { ticket(id: $id) { activities { edges { node { type subject body } } } } }`, { id: ticket }, admin);
    expect(notes.ticket.activities.edges.map((edge: any) => edge.node)).toEqual([{ type: 'NOTE', subject: 'Escalated', body: 'by automation' }]);
    const inbox = await t.ok(`{ notifications { edges { node { kind subject } } } }`, {}, support);
    expect(inbox.notifications.edges.map((edge: any) => edge.node)).toEqual([{ kind: 'AUTOMATION', subject: 'Urgent ticket' }]);
    expect((await t.ok(`query($id: ID!) { contact(id: $id) { tags } }`, { id: contact }, admin)).contact.tags).toEqual(['lead']);
  });
  test('ASSIGN_VIA_ROUTING: an unowned contact gets its owner from the routing rules (decision stored); the dry run shows it first; tickets are refused', async () => {
    const seller = await t.member(admin, 'SALES');
    await t.ok(
      `mutation($input: CreateRoutingRuleInput!) { createRoutingRule(input: $input) { id } }`,
      { input: { name: 'Webinar leads', objectType: 'CONTACT', condition: { source: { eq: 'webinar' } }, strategy: 'FIXED_USER', userId: seller.userId } },
      admin,
    );
    const automation = await a.createOk({
      name: 'Route when updated',
      enabled: false,
      trigger: { type: 'RECORD_UPDATED', objectType: 'CONTACT' },
      condition: { contact: { lastName: { eq: 'Routeson' }, ownerId: { isNull: true } } },
      actions: [{ type: 'ASSIGN_VIA_ROUTING' }],
    });
    const contact = (await t.ok(`mutation { createContact(input: { lastName: "Routeson" }) { id } }`, {}, admin)).createContact.id;
    await triggersHandled(superuser, contact);
    const owner = async () => (await t.ok(`query($id: ID!) { contact(id: $id) { owner { id } } }`, { id: contact }, admin)).contact.owner;
    expect(await owner()).toBeNull(); // created without a source: no rule matched when it was routed as a new lead
    await t.ok(`mutation($id: ID!) { updateContact(id: $id, input: { source: "webinar" }) { id } }`, { id: contact }, admin);
    await triggersHandled(superuser, contact);

    const dry = (await t.ok(`query($id: ID!, $r: ID!) { dryRunAutomation(id: $id, recordId: $r) { conditionMatched actions { type wouldDo } } }`, { id: automation.id, r: contact }, admin)).dryRunAutomation;
    expect(dry).toMatchObject({ conditionMatched: true, actions: [{ type: 'ASSIGN_VIA_ROUTING', wouldDo: { assigned: true, ownerId: seller.userId, outcome: 'ASSIGNED', rule: 'Webinar leads' } }] });
    expect(await owner()).toBeNull();

    await t.ok(`mutation($id: ID!) { enableAutomation(id: $id) { enabled } }`, { id: automation.id }, admin);
    await t.ok(`mutation($id: ID!) { updateContact(id: $id, input: { jobTitle: "Buyer" }) { id } }`, { id: contact }, admin);
    const run = await a.runFor(automation.id, contact);
    expect(run).toMatchObject({ status: 'SUCCEEDED', actionResults: [{ type: 'ASSIGN_VIA_ROUTING', status: 'SUCCEEDED', output: { assigned: true, ownerId: seller.userId } }] });
    expect(await owner()).toEqual({ id: seller.userId });
    const decision = (await t.ok(`query($id: ID!) { routingDecision(recordId: $id) { id outcome ruleName owner { id } } }`, { id: contact }, admin)).routingDecision;
    expect(decision).toEqual({ id: run.actionResults[0].output.decisionId, outcome: 'ASSIGNED', ruleName: 'Webinar leads', owner: { id: seller.userId } });

    const onTickets = await a.create({ name: 'No', trigger: { type: 'RECORD_CREATED', objectType: 'TICKET' }, actions: [{ type: 'ASSIGN_VIA_ROUTING' }] });
    expect(errorCode(onTickets)).toBe('BAD_USER_INPUT');
    expect(errorFields(onTickets)).toEqual(['input.actions[0].type']);
  });
});

describe('loop guard', () => {
  test('two automations that each update the field they watch stop at AUTOMATION_MAX_DEPTH with a SKIPPED "loop guard" run', async () => {
    const pingPong = (amount: string) => ({
      name: `Set ${amount}`,
      trigger: { type: 'RECORD_UPDATED', objectType: 'DEAL', watchedFields: ['amount'] },
      condition: startsWith('Loop'),
      actions: [{ type: 'UPDATE_FIELDS', fields: { amount } }],
    });
    const ping = await a.createOk(pingPong('1'));
    const pong = await a.createOk(pingPong('2'));
    const deal = await a.createDeal('Loop forever', { amount: '50' });
    await a.updateDeal(deal.id, { amount: '60' });
    const all = async () => [...(await a.runs(ping.id)), ...(await a.runs(pong.id))];
    await waitFor('a loop guard run', async () => ((await all()).some((run) => run.status === 'SKIPPED') ? true : undefined), 30_000);
    await waitFor('the chain to settle', async () => {
      await triggersHandled(superuser, deal.id);
      return (await all()).every((run) => !['QUEUED', 'RUNNING'].includes(run.status)) ? true : undefined;
    }, 30_000);
    await triggersHandled(superuser, deal.id);
    const runs = await all();
    const skipped = runs.filter((run) => run.status === 'SKIPPED');
    expect(skipped.length).toBeGreaterThan(0);
    expect(skipped.every((run) => run.reason === 'loop guard' && run.depth === MAX_DEPTH + 1 && run.actionResults.length === 0)).toBe(true);
    expect(runs.filter((run) => run.status !== 'SKIPPED').every((run) => run.status === 'SUCCEEDED' && run.depth <= MAX_DEPTH)).toBe(true);
    expect(await count(`SELECT max(automation_depth)::int AS n FROM record_events WHERE record_id = $1`, [uuid(deal.id)])).toBe(MAX_DEPTH);
  });
});

describe('dry run', () => {
  test('shows the condition, each action’s effect and the webhook request, writing and calling nothing', async () => {
    const automation = await a.createOk({
      name: 'Dry',
      enabled: false,
      trigger: onDealCreated,
      condition: { deal: { amount: { gte: '100' } } },
      actions: [
        { type: 'UPDATE_FIELDS', fields: { amount: '999' } },
        { type: 'CREATE_TASK', title: 'Follow up', dueInHours: 24 },
        { type: 'CALL_WEBHOOK', url: hooks.url('/dry') },
        { type: 'NOTIFY_USER', title: 'Hi' },
      ],
    });
    const deal = await a.createDeal('Dry deal', { amount: '150' });
    await triggersHandled(superuser, deal.id);
    const state = async () => [
      await count(`SELECT count(*)::int AS n FROM record_events WHERE record_id = $1`, [uuid(deal.id)]),
      await count(`SELECT count(*)::int AS n FROM activities WHERE deal_id = $1`, [uuid(deal.id)]),
      await count(`SELECT count(*)::int AS n FROM notifications WHERE record_id = $1`, [uuid(deal.id)]),
      await count(`SELECT count(*)::int AS n FROM automation_runs WHERE record_id = $1`, [uuid(deal.id)]),
      hooks.hits('/dry').length,
    ];
    const before = await state();
    const dry = (await t.ok(
      `query($id: ID!, $r: ID!) { dryRunAutomation(id: $id, recordId: $r) { version conditionMatched actions { index type wouldDo errorCode } } }`,
      { id: automation.id, r: deal.id },
      admin,
    )).dryRunAutomation;
    expect(dry.conditionMatched).toBe(true);
    expect(dry.actions[0].wouldDo.changes).toEqual([{ field: 'amount', before: '150.0000', after: '999' }]);
    expect(dry.actions[1].wouldDo.activity).toMatchObject({ type: 'TASK', subject: 'Follow up', ownerId: admin.userId, dealId: deal.id });
    expect(dry.actions[2].wouldDo.request).toMatchObject({ method: 'POST', url: hooks.url('/dry'), body: { run: null, record: { id: deal.id } } });
    expect(dry.actions[3].wouldDo).toEqual({ userId: admin.userId, kind: 'AUTOMATION', subject: 'Hi' });
    expect(await state()).toEqual(before);

    const cheap = await a.createDeal('Dry cheap', { amount: '5' });
    const notMatched = await t.ok(`query($id: ID!, $r: ID!) { dryRunAutomation(id: $id, recordId: $r) { conditionMatched } }`, { id: automation.id, r: cheap.id }, admin);
    expect(notMatched.dryRunAutomation.conditionMatched).toBe(false);
    const account = (await t.ok(`mutation { createAccount(input: { name: "Wrong type" }) { id } }`, {}, admin)).createAccount.id;
    const wrong = await t.gql(`query($id: ID!, $r: ID!) { dryRunAutomation(id: $id, recordId: $r) { version } }`, { id: automation.id, r: account }, admin);
    expect(errorFields(wrong)).toEqual(['recordId']);
  });
});

describe('validation', () => {
  const problems = async (input: Record<string, unknown>) => {
    const result = await a.create({ name: 'Bad', ...input });
    expect(errorCode(result)).toBe('BAD_USER_INPUT');
    return errorFields(result);
  };

  test.each([
    ['unknown watched field', { trigger: { type: 'RECORD_UPDATED', objectType: 'DEAL', watchedFields: ['amount', 'amout'] }, actions: [{ type: 'ADD_TAG', tag: 'x' }] }, ['input.trigger.watchedFields[1]']],
    ['a deal field on a contact', { trigger: { type: 'RECORD_CREATED', objectType: 'CONTACT' }, actions: [{ type: 'ADD_TAG', tag: 'x' }, { type: 'UPDATE_FIELDS', fields: { amount: '5' } }] }, ['input.actions[1].fields.amount']],
    ['a wrong type in a field', { trigger: onDealCreated, actions: [{ type: 'UPDATE_FIELDS', fields: { amount: 12, name: '' } }] }, ['input.actions[0].fields.amount']],
    ['a rule of the input type', { trigger: onDealCreated, actions: [{ type: 'UPDATE_FIELDS', fields: { name: ' ' } }] }, ['input.actions[0].fields.name']],
    ['a condition for another object', { trigger: onDealCreated, condition: { contact: { lastName: { eq: 'x' } } }, actions: [{ type: 'ADD_TAG', tag: 'x' }] }, ['input.condition.contact']],
    ['an id of the wrong type in a condition', { trigger: onDealCreated, condition: { deal: { accountId: { eq: 'con_00000000000000000000000000000000' } } }, actions: [{ type: 'ADD_TAG', tag: 'x' }] }, ['input.condition.deal.accountId.eq']],
    ['a cron that never fires', { trigger: { type: 'SCHEDULE', objectType: 'DEAL', cron: '0 0 30 2 *' }, actions: [{ type: 'ADD_TAG', tag: 'x' }] }, ['input.trigger.cron']],
    ['an invalid cron', { trigger: { type: 'SCHEDULE', objectType: 'DEAL', cron: 'every monday' }, actions: [{ type: 'ADD_TAG', tag: 'x' }] }, ['input.trigger.cron']],
    ['a bad time zone', { trigger: { type: 'SCHEDULE', objectType: 'DEAL', cron: '0 9 * * 1', timeZone: 'Mars/Olympus' }, actions: [{ type: 'ADD_TAG', tag: 'x' }] }, ['input.trigger.timeZone']],
    ['a date field that is not a date', { trigger: { type: 'DATE_RELATIVE', objectType: 'DEAL', dateField: 'name' }, actions: [{ type: 'ADD_TAG', tag: 'x' }] }, ['input.trigger.dateField']],
    ['a task on an activity', { trigger: { type: 'RECORD_CREATED', objectType: 'ACTIVITY' }, actions: [{ type: 'CREATE_TASK', title: 'x' }, { type: 'ADD_TAG', tag: 'x' }] }, ['input.actions[0].type', 'input.actions[1].type']],
    ['an unknown member', { trigger: onDealCreated, actions: [{ type: 'NOTIFY_USER', title: 'x', assignee: 'MEMBER', userId: 'usr_00000000000000000000000000000000' }] }, ['input.actions[0].userId']],
    ['an unknown owner in fields', { trigger: onDealCreated, actions: [{ type: 'UPDATE_FIELDS', fields: { ownerId: 'usr_00000000000000000000000000000000' } }] }, ['input.actions[0].fields.ownerId']],
    ['a webhook that is not http(s)', { trigger: onDealCreated, actions: [{ type: 'CALL_WEBHOOK', url: 'ftp://example.com/x' }] }, ['input.actions[0].url']],
    ['no actions', { trigger: onDealCreated, actions: [] }, ['input.actions']],
  ])('%s is refused naming the path', async (_, input, fields) => {
    expect(await problems(input)).toEqual(fields);
  });

  test('a wrong type in a condition is refused by the filter input type itself', async () => {
    const result = await a.create({ name: 'Bad', trigger: onDealCreated, condition: { deal: { amount: { gt: 5 } } }, actions: [{ type: 'ADD_TAG', tag: 'x' }] });
    expect(errorCode(result)).toBe('BAD_USER_INPUT');
    expect(errorFields(result)[0]).toContain('condition.deal.amount.gt');
  });
});

describe('timed triggers', () => {
  const runtime = () => ({ ...t.app.runtime, producers: { automations: queue } as unknown as Producers });
  const sweep = () => sweepTimedAutomations(runtime());
  const utcDay = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);

  test('DATE_RELATIVE: 3 days before the expected close date, the sweep fires once per deal and date', async () => {
    const automation = await a.createOk({
      name: 'Closing soon',
      trigger: { type: 'DATE_RELATIVE', objectType: 'DEAL', dateField: 'expectedCloseDate', offsetMinutes: -3 * 24 * 60 },
      condition: startsWith('Date'),
      actions: [{ type: 'ADD_TAG', tag: 'closing-soon' }],
    });
    const due = await a.createDeal('Date due', { expectedCloseDate: utcDay(3) });
    const later = await a.createDeal('Date later', { expectedCloseDate: utcDay(10) });
    await sweep();
    await sweep();
    const run = await a.runFor(automation.id, due.id);
    expect(run).toMatchObject({ status: 'SUCCEEDED', trigger: `date:${uuid(due.id)}:${utcDay(3)}`, triggerEventId: null });
    await sweep();
    expect((await a.runs(automation.id)).map((r) => r.recordId)).toEqual([due.id]);
    expect((await a.deal(due.id)).tags).toEqual(['closing-soon']);
    expect((await a.deal(later.id)).tags).toEqual([]);
  });

  test('a run left QUEUED without a job (Redis lost it after commit) is enqueued again by the reconciler', async () => {
    const automation = await a.createOk({ name: 'Lost', trigger: onDealCreated, condition: startsWith('Lost'), actions: [{ type: 'ADD_TAG', tag: 'found' }] });
    const runs = worker.workers.find((w) => w.name === 'automations')!;
    await runs.pause();
    let deal: any;
    try {
      deal = await a.createDeal('Lost run');
      const queued = await waitFor('the queued run', async () => (await a.runs(automation.id)).find((run) => run.status === 'QUEUED'));
      await waitFor('its job', async () => (await queue.getJob(`run-${uuid(queued.id)}-0`)) ?? undefined);
      await queue.remove(`run-${uuid(queued.id)}-0`);
      await superuser.query(`UPDATE automation_runs SET updated_at = now() - interval '2 minutes' WHERE id = $1`, [uuid(queued.id)]);
      expect(await worker.reconciler.pass()).toMatchObject({ runs: 1 });
    } finally {
      runs.resume();
    }
    expect(await a.runFor(automation.id, deal.id)).toMatchObject({ status: 'SUCCEEDED', attempts: 1 });
    expect((await a.deal(deal.id)).tags).toEqual(['found']);
  });

  test('SCHEDULE: registers a job scheduler, its job runs the automation for matching records; disabling removes it; the sweep reconciles', async () => {
    const automation = await a.createOk({
      name: 'Weekly',
      trigger: { type: 'SCHEDULE', objectType: 'DEAL', cron: '0 9 * * 1', timeZone: 'Europe/Berlin' },
      condition: startsWith('Sched'),
      actions: [{ type: 'ADD_TAG', tag: 'weekly' }],
    });
    const deal = await a.createDeal('Sched me');
    const id = schedulerId(uuid(automation.id));
    const scheduler = await waitFor('the job scheduler', async () => (await queue.getJobScheduler(id)) ?? undefined);
    expect(scheduler).toMatchObject({ pattern: '0 9 * * 1', tz: 'Europe/Berlin' });
    const next = await waitFor('the next scheduled job', async () => (await queue.getDelayed()).find((job) => job.data.automationId === uuid(automation.id)));
    await next.promote();
    expect(await a.runFor(automation.id, deal.id)).toMatchObject({ status: 'SUCCEEDED', trigger: expect.stringMatching(/^schedule:repeat:/) });
    expect((await a.deal(deal.id)).tags).toEqual(['weekly']);

    await t.ok(`mutation($id: ID!, $input: AutomationInput!) { updateAutomation(id: $id, input: $input) { version } }`, {
      id: automation.id,
      input: { trigger: { type: 'SCHEDULE', objectType: 'DEAL', cron: '30 8 * * *', timeZone: 'America/New_York' } },
    }, admin);
    await waitFor('the changed scheduler', async () => ((await queue.getJobScheduler(id))?.pattern === '30 8 * * *' ? true : undefined));
    expect(await queue.getJobScheduler(id)).toMatchObject({ tz: 'America/New_York' });

    await t.ok(`mutation($id: ID!) { disableAutomation(id: $id) { id } }`, { id: automation.id }, admin);
    await waitFor('the scheduler to be removed', async () => ((await queue.getJobScheduler(id)) ? undefined : true));
    // The database is the one truth: a scheduler Redis lost is registered again, a stray one removed.
    await t.ok(`mutation($id: ID!) { enableAutomation(id: $id) { id } }`, { id: automation.id }, admin);
    await waitFor('the scheduler again', async () => (await queue.getJobScheduler(id)) ?? undefined);
    await queue.removeJobScheduler(id);
    await queue.upsertJobScheduler(schedulerId('00000000-0000-0000-0000-000000000000'), { pattern: '0 9 * * 1' }, { name: 'automation-schedule', data: { workspaceId: uuid(admin.workspaceId), automationId: '00000000-0000-0000-0000-000000000000' } });
    await sweep();
    expect(await queue.getJobScheduler(id)).toMatchObject({ pattern: '30 8 * * *' });
    expect(await queue.getJobScheduler(schedulerId('00000000-0000-0000-0000-000000000000'))).toBeFalsy();

    await t.ok(`mutation($id: ID!) { deleteAutomation(id: $id) { id } }`, { id: automation.id }, admin);
    await waitFor('the scheduler to be removed on delete', async () => ((await queue.getJobScheduler(id)) ? undefined : true));
    expect(errorCode(await t.gql(`query($id: ID!) { automation(id: $id) { id } }`, { id: automation.id }, admin))).toBe('NOT_FOUND');
  });
});

describe('tenancy', () => {
  test('another workspace sees none of the automations or runs, and its records trigger none', async () => {
    const other = await t.signUp('Other GmbH');
    const automationId = (await a.createOk({ name: 'Mine', trigger: onDealCreated, condition: startsWith('Tenant'), actions: [{ type: 'ADD_TAG', tag: 'mine' }] })).id;
    const mine = await a.runFor(automationId, (await a.createDeal('Tenant deal')).id);
    expect((await t.ok(`{ automations { totalCount } automationRuns { totalCount } }`, {}, other))).toEqual({ automations: { totalCount: 0 }, automationRuns: { totalCount: 0 } });
    expect(errorCode(await t.gql(`query($id: ID!) { automation(id: $id) { id } }`, { id: automationId }, other))).toBe('NOT_FOUND');
    expect(errorCode(await t.gql(`query($id: ID!) { automationRun(id: $id) { id } }`, { id: mine.id }, other))).toBe('NOT_FOUND');
    expect(errorCode(await t.gql(`mutation($id: ID!) { retryAutomationRun(id: $id) { id } }`, { id: mine.id }, other))).toBe('NOT_FOUND');
    expect(errorCode(await t.gql(`mutation($id: ID!) { disableAutomation(id: $id) { id } }`, { id: automationId }, other))).toBe('NOT_FOUND');

    const foreign = (await t.ok(`mutation { createDeal(input: { name: "Tenant foreign" }) { id } }`, {}, other)).createDeal.id;
    await triggersHandled(superuser, foreign);
    expect(await count(`SELECT count(*)::int AS n FROM automation_runs WHERE record_id = $1`, [uuid(foreign)])).toBe(0);
  });
});
