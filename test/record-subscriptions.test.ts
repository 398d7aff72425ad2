import { randomBytes } from 'node:crypto';
import type { Client as WsClient } from 'graphql-ws';
import type { Client } from 'pg';
import { parseId } from '../src/kernel/ids';
import { createLogger } from '../src/kernel/logger';
import { startWorkers, type WorkerProcess } from '../workers/start-workers';
import { superuserClient } from './support/databases';
import { TestApp, type Session } from './support/test-app';
import { waitFor } from './support/wait';
import { wsSubscribe, type WsSubscription } from './support/ws-subscription';

/**
 * `recordChanged` over graphql-ws: API writes go through the outbox, the relay and the worker's
 * `record-changed-push` handler, which publishes through Redis to whichever API process holds
 * the subscription. One worker job at a time here, so changes arrive in the order they were
 * handled and a marker that arrived means everything handled before it was delivered or filtered.
 */

const SILENT = createLogger('silent');
const PREFIX = `crm-test-${randomBytes(4).toString('hex')}`;
const FIELDS = 'id type recordType recordId changed before after sequence occurredAt actor { id }';
const SUBSCRIPTION = `subscription($types: [String!], $recordIds: [ID!], $fields: [String!]) { recordChanged(types: $types, recordIds: $recordIds, fields: $fields) { ${FIELDS} } }`;

let t: TestApp;
let superuser: Client;
let workers: WorkerProcess;
let alice: Session;
let reader: Session;
let carol: Session;
const clients: WsClient[] = [];

beforeAll(async () => {
  t = await TestApp.start('record_subscriptions');
  superuser = await superuserClient(t.database.name);
  workers = await startWorkers({ ...t.app.runtime.config, WORKER_CONCURRENCY: 1, EVENT_RELAY_INTERVAL_MS: 50 }, SILENT, { prefix: PREFIX });
  alice = await t.signUp('Subscriptions A');
  reader = await t.member(alice, 'READ_ONLY');
  carol = await t.signUp('Subscriptions B');
});

afterAll(async () => {
  await Promise.all(clients.map((client) => client.dispose()));
  await Promise.all(Object.values(workers?.producers ?? {}).map((queue) => queue.obliterate({ force: true })));
  await workers?.close();
  await superuser?.end();
  await t?.stop();
});

interface Change {
  id: string;
  type: string;
  recordId: string;
  [field: string]: unknown;
}

type Subscription = WsSubscription<Change>;

type Filter = { types?: readonly string[]; recordIds?: readonly string[]; fields?: readonly string[] };

const subscribe = (token: string | null, variables: Filter = {}): Subscription =>
  wsSubscribe<Change>(t, clients, token, SUBSCRIPTION, 'recordChanged', variables);

const createAccount = async (name: string, who: Session = alice): Promise<string> =>
  (await t.ok(`mutation($n: String!) { createAccount(input: { name: $n }) { id } }`, { n: name }, who)).createAccount.id;
const renameAccount = (id: string, name: string, who: Session = alice) =>
  t.ok(`mutation($id: ID!, $n: String!) { updateAccount(id: $id, input: { name: $n }) { id } }`, { id, n: name }, who);

/** Waits until a change of `recordId` arrived whose `after.name` is `name`. */
const arrived = (sub: Subscription, recordId: string, name: string) =>
  waitFor(`${name} to arrive`, async () => sub.received.find((c) => c.recordId === recordId && (c.after as { name?: string } | null)?.name === name), 20_000);

/**
 * A subscription once it is live: the probe account (which the subscription must let through) is
 * renamed until a change arrives; then its changes are forgotten.
 */
async function live(token: string, probe: string, who: Session, variables: Filter = {}): Promise<Subscription> {
  const sub = subscribe(token, variables);
  let n = 0;
  await waitFor(
    'the subscription to be live',
    async () => {
      await renameAccount(probe, `probe ${++n}`, who);
      await new Promise((resolve) => setTimeout(resolve, 100));
      return sub.received.length > 0 ? true : undefined;
    },
    20_000,
  );
  await renameAccount(probe, 'probe ready', who);
  await arrived(sub, probe, 'probe ready');
  sub.received.length = 0;
  return sub;
}

/** The feed's entry for each change, with the same fields: a subscription carries exactly that. */
async function feedEntries(who: Session): Promise<Map<string, Change>> {
  const entries = new Map<string, Change>();
  let after: string | null = null;
  for (;;) {
    const { changes }: { changes: { edges: Array<{ node: Change }>; pageInfo: { hasNextPage: boolean; endCursor: string } } } = await t.ok(`query($after: String) { changes(after: $after, first: 200) { edges { node { ${FIELDS} } } pageInfo { hasNextPage endCursor } } }`, { after }, who);
    for (const edge of changes.edges) entries.set(edge.node.id, edge.node);
    if (!changes.pageInfo.hasNextPage) return entries;
    after = changes.pageInfo.endCursor;
  }
}

test('a subscriber gets every change of their workspace through the worker, as the feed has it; another workspace’s never', async () => {
  const probeA = await createAccount('Probe A');
  const probeB = await createAccount('Probe B', carol);
  const aliceSub = await live(alice.token, probeA, alice);
  const carolSub = await live(carol.token, probeB, carol);

  const account = await createAccount('Pushed Corp');
  await renameAccount(account, 'Pushed Corp II');
  await t.ok(`mutation($id: ID!) { deleteAccount(id: $id) { id } }`, { id: account }, alice);
  const theirs = await createAccount('Carol Corp', carol);
  await renameAccount(probeA, 'marker A');
  await renameAccount(theirs, 'marker B', carol);
  await arrived(aliceSub, probeA, 'marker A');
  await arrived(carolSub, theirs, 'marker B');

  const ofAccount = aliceSub.received.filter((change) => change.recordId === account);
  expect(ofAccount.map((change) => change.type)).toEqual(['account.created', 'account.updated', 'account.deleted']);
  const feed = await feedEntries(alice);
  for (const change of aliceSub.received) expect(change).toEqual(feed.get(change.id));
  expect(ofAccount[0]).toMatchObject({ recordType: 'Account', before: null, actor: { id: alice.userId }, after: expect.objectContaining({ name: 'Pushed Corp' }) });

  const aliceIds = new Set(aliceSub.received.map((change) => change.id));
  expect(carolSub.received.some((change) => aliceIds.has(change.id))).toBe(false);
  expect(aliceSub.received.some((change) => change.recordId === theirs)).toBe(false);
  expect(carolSub.received.map((change) => change.type)).toEqual(['account.created', 'account.updated']);
});

test('types and recordIds choose what is delivered; bad ones are refused when subscribing', async () => {
  const probe = await createAccount('Probe filtered');
  const watched = await createAccount('Watched');
  const sub = await live(reader.token, probe, alice, { types: ['account.updated', 'deal.*'], recordIds: [watched, probe] });

  await renameAccount(watched, 'Watched II'); // delivered
  const other = await createAccount('Unwatched'); // neither type nor record
  await renameAccount(other, 'Unwatched II'); // the type, another record
  await t.ok(`mutation($id: ID!) { deleteAccount(id: $id) { id } }`, { id: watched }, alice); // the record, another type
  await renameAccount(probe, 'marker');
  await arrived(sub, probe, 'marker');

  expect(sub.received.filter((change) => change.recordId !== probe)).toEqual([expect.objectContaining({ type: 'account.updated', recordId: watched })]);

  for (const [variables, field] of [
    [{ types: ['account.updated', 'acount.*'] }, 'types.1'],
    [{ recordIds: [watched, 'nope'] }, 'recordIds.1'],
  ] as const) {
    const refused = subscribe(reader.token, variables);
    expect(await refused.ended).toEqual([expect.objectContaining({ extensions: expect.objectContaining({ code: 'BAD_USER_INPUT', fields: [expect.objectContaining({ field })] }) })]);
  }
});

test('fields: only updates that changed one of them (creates still come); a field the record types lack is refused', async () => {
  const probe = await createAccount('Probe fields');
  const sub = await live(reader.token, probe, alice, { types: ['account.*'], fields: ['name'] });

  const account = await createAccount('Field Corp'); // delivered: a create
  await t.ok(`mutation($id: ID!) { updateAccount(id: $id, input: { industry: "Steel" }) { id } }`, { id: account }, alice); // not: name unchanged
  await renameAccount(account, 'Field Corp II'); // delivered
  await renameAccount(probe, 'marker');
  await arrived(sub, probe, 'marker');
  const ofAccount = sub.received.filter((change) => change.recordId === account);
  expect(ofAccount.map((change) => change.type)).toEqual(['account.created', 'account.updated']);
  expect(ofAccount[1].changed).toEqual(['name']);

  const refused = subscribe(reader.token, { types: ['account.*'], fields: ['name', 'stageId'] });
  expect(await refused.ended).toEqual([expect.objectContaining({ extensions: expect.objectContaining({ code: 'BAD_USER_INPUT', fields: [expect.objectContaining({ field: 'fields.1' })] }) })]);
});

test('an API key subscribes too: it gets only the record types it may read, and its subscription ends once it is revoked', async () => {
  const { createApiKey } = await t.ok(`mutation { createApiKey(input: { name: "Contacts feed", scopes: ["contacts:read"] }) { token apiKey { id } } }`, {}, alice);
  const sub = subscribe(createApiKey.token, {});
  const createContact = async (lastName: string): Promise<string> =>
    (await t.ok(`mutation($n: String!) { createContact(input: { lastName: $n }) { id } }`, { n: lastName }, alice)).createContact.id;
  const probes: string[] = [];
  await waitFor('the key’s subscription to be live', async () => {
    probes.push(await createContact(`Probe ${probes.length + 1}`));
    await new Promise((resolve) => setTimeout(resolve, 100));
    return sub.received.length > 0 ? true : undefined;
  }, 20_000);
  sub.received.length = 0;

  await createAccount('Unreadable Corp');
  const marker = await createContact('Marker');
  await waitFor('the marker', async () => sub.received.find((change) => change.recordId === marker), 20_000);
  // A probe created before the first one arrived may still come in after it: only the rest counts.
  expect(sub.received.filter((change) => !probes.includes(change.recordId)).map((change) => change.type)).toEqual(['contact.created']);

  await t.ok(`mutation($id: ID!) { revokeApiKey(id: $id) { id } }`, { id: createApiKey.apiKey.id }, alice);
  await createContact('After revocation');
  expect(await sub.ended).toEqual([expect.objectContaining({ extensions: expect.objectContaining({ code: 'UNAUTHENTICATED' }) })]);
  expect(sub.received.some((change) => (change.after as { lastName?: string } | null)?.lastName === 'After revocation')).toBe(false);
});

test('a member removed from the workspace stops receiving: the subscription ends at the next change', async () => {
  const probe = await createAccount('Probe removal');
  const eve = await t.member(alice, 'SALES');
  const sub = await live(eve.token, probe, alice);
  const { rows } = await superuser.query(`SELECT id FROM memberships WHERE user_id = $1`, [parseId(eve.userId)!.uuid]);
  await t.ok(`mutation($id: ID!) { removeMember(id: $id) { id } }`, { id: `mem_${rows[0].id.replace(/-/g, '')}` }, alice);
  await renameAccount(probe, 'after removal');
  expect(await sub.ended).toEqual([expect.objectContaining({ extensions: expect.objectContaining({ code: 'UNAUTHENTICATED' }) })]);
  expect(sub.received.filter((change) => (change.after as { name?: string }).name === 'after removal')).toEqual([]);
});

test('a subscription without a valid token is refused', async () => {
  for (const token of [null, 'not-a-jwt']) {
    const sub = subscribe(token);
    expect(((await sub.ended) as { code?: number } | null)?.code).toBe(4403);
    expect(sub.received).toEqual([]);
  }
});
