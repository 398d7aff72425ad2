import { createClient, type Client as WsClient } from 'graphql-ws';
import { Redis } from 'ioredis';
import type { Client } from 'pg';
import WebSocket from 'ws';
import { RECORDS_COMMITTED } from '../src/kernel/events/records-committed';
import { parseId } from '../src/kernel/ids';
import { createLogger } from '../src/kernel/logger';
import { PUBSUB_PREFIX } from '../src/kernel/pubsub';
import { superuserClient } from './support/databases';
import { TestApp, type Session } from './support/test-app';
import { waitFor } from './support/wait';

/**
 * `dashboardUpdated` over graphql-ws. Writes go to process `t`; subscriptions live on process
 * `other` (a second API process over the same database, at most 3 subscriptions per
 * connection), so every push crossed processes: `t` announces each committed write on the
 * workspace's Redis channel, `other` recomputes. The test listens on that channel too, to know
 * when everything written so far has been announced.
 */

const SILENT = createLogger('silent');
const TOTAL = 'total { count sumAmount }';
const DASHBOARD = `subscription($deals: DealAggregateInput) { dashboardUpdated(dealAggregate: $deals) { computedAt dealAggregate { ${TOTAL} } } }`;
const ALL_DEALS = { deals: { measures: ['COUNT', 'SUM_AMOUNT'] } };

let t: TestApp;
let other: TestApp;
let superuser: Client;
let listener: Redis;
/** What `t` announced on each workspace's channel, in order: `<workspace uuid> <record type>`, and when it arrived. */
const announced: string[] = [];
const announcedAt: number[] = [];
let alice: Session;
let carol: Session;
const clients: WsClient[] = [];

beforeAll(async () => {
  t = await TestApp.start('dashboard_live');
  other = await TestApp.alongside(t, SILENT, { GRAPHQL_WS_MAX_SUBSCRIPTIONS: 3 });
  superuser = await superuserClient(t.database.name);
  listener = new Redis(t.app.runtime.config.REDIS_URL);
  listener.on('pmessage', (_pattern, channel: string, message: string) => {
    announced.push(`${channel.split(':').at(-1)} ${JSON.parse(message).recordType}`);
    announcedAt.push(Date.now());
  });
  await listener.psubscribe(`${PUBSUB_PREFIX}:${RECORDS_COMMITTED}:*`);
  alice = await t.signUp('Dashboards A');
  carol = await t.signUp('Dashboards B');
});

afterAll(async () => {
  await Promise.all(clients.map((client) => client.dispose()));
  await listener?.quit();
  await superuser?.end();
  await other?.stop();
  await t?.stop();
});

interface Total {
  count: number;
  sumAmount: string;
}

interface Figures {
  computedAt: string;
  dealAggregate: { total: Total };
}

interface Live {
  pushes: Figures[];
  /** Settles when the subscription ends: its errors, a close event, or null on completion. */
  ended: Promise<unknown>;
  stop(): void;
}

const connect = (token: string) => {
  const client = createClient({ url: `${other.url.replace('http', 'ws')}/graphql`, webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${token}` }, retryAttempts: 0 });
  clients.push(client);
  return client;
};

/** A dashboard subscription on `client` (a connection of its own unless given). */
function subscribe(token: string, variables: Record<string, unknown> = ALL_DEALS, client = connect(token), query = DASHBOARD): Live {
  const pushes: Figures[] = [];
  let stop = () => undefined as void;
  const ended = new Promise((resolve) => {
    stop = client.subscribe<{ dashboardUpdated: Figures }>(
      { query, variables },
      { next: (result) => (result.errors ? resolve(result.errors) : pushes.push(result.data!.dashboardUpdated)), error: resolve, complete: () => resolve(null) },
    );
  });
  return { pushes, ended, stop: () => stop() };
}

const pushed = (live: Live, what: string, test: (figures: Figures) => boolean) =>
  waitFor(what, async () => live.pushes.find(test), 20_000);

const createDeal = async (name: string, who: Session = alice, amount = '100.00'): Promise<string> =>
  (await t.ok(`mutation($n: String!, $a: Decimal) { createDeal(input: { name: $n, amount: $a }) { id } }`, { n: name, a: amount }, who)).createDeal.id;

/** What the query answers now: a push must show exactly this. */
const totalNow = async (who: Session): Promise<Total> => (await t.ok(`{ dealAggregate(measures: [COUNT, SUM_AMOUNT]) { ${TOTAL} } }`, {}, who)).dealAggregate.total;
const dealCount = async (who: Session): Promise<number> => (await totalNow(who)).count;
const countOf = (figures: Figures) => figures.dealAggregate.total.count;

const workspaceOf = (who: Session) => parseId(who.workspaceId)!.uuid;

/**
 * Waits until everything `who` wrote so far was announced (they come in order over `t`'s one
 * Redis connection): a contact written now, which moves no deal report, is announced last.
 * Returns what was announced for their workspace meanwhile, from `since` (an index into
 * `announced`).
 */
async function announcedUpTo(who: Session, since: number): Promise<string[]> {
  await t.ok(`mutation { createContact(input: { lastName: "Marker" }) { id } }`, {}, who);
  const mine = () => announced.slice(since).filter((line) => line.startsWith(workspaceOf(who))).map((line) => line.split(' ')[1]);
  await waitFor('the marker’s announcement', async () => (mine().at(-1) === 'Contact' ? true : undefined));
  return mine().slice(0, -1);
}

test('the first push brings the current figures at once, as the query answers them', async () => {
  await createDeal('First 1');
  await createDeal('First 2');
  const live = subscribe(alice.token);
  const [first] = await waitFor('the first push', async () => (live.pushes.length > 0 ? live.pushes : undefined));
  expect(first.dealAggregate.total).toEqual(await totalNow(alice));
  expect(first.dealAggregate.total.count).toBeGreaterThanOrEqual(2);
  live.stop();
});

test('a write committed on one API process reaches a subscriber on another; a rolled-back write pushes nothing', async () => {
  const live = subscribe(alice.token);
  await pushed(live, 'the first push', () => true);
  const before = countOf(live.pushes[0]);

  // unlinking a contact that is not on the deal raises the deal's version (writing deal.updated), then fails: rolled back.
  const deal = await createDeal('Rolled back');
  await pushed(live, 'the created deal', (figures) => countOf(figures) === before + 1);
  const contact = (await t.ok(`mutation { createContact(input: { lastName: "Stranger" }) { id } }`, {}, alice)).createContact.id;
  await announcedUpTo(alice, announced.length); // the contact's and the deal's, before the failing write
  const since = announced.length;
  const failed = await t.gql(`mutation($d: ID!, $c: ID!) { removeDealContact(dealId: $d, contactId: $c) { id } }`, { d: deal, c: contact }, alice);
  expect(failed.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  expect(await announcedUpTo(alice, since)).toEqual([]);
  const afterRollback = live.pushes.length;
  expect(countOf(live.pushes.at(-1)!)).toBe(before + 1);

  await createDeal('Committed');
  await pushed(live, 'the committed deal', (figures) => countOf(figures) === before + 2);
  expect(live.pushes.length).toBe(afterRollback + 1);
  live.stop();
});

test('a burst of 50 writes: a push at most once a second, the last with the final figures (one or two pushes when the burst commits within a second)', async () => {
  const live = subscribe(alice.token);
  await pushed(live, 'the first push', () => true);
  const start = live.pushes.length;
  const before = await dealCount(alice);
  const since = announced.length;

  await Promise.all(Array.from({ length: 50 }, (_, i) => createDeal(`Burst ${i}`)));
  await pushed(live, 'the final figures', (figures) => countOf(figures) === before + 50);
  // A push still due would come within the interval: wait it out once, then count.
  await new Promise((resolve) => setTimeout(resolve, 1500));
  const burst = live.pushes.slice(start);
  expect(burst.at(-1)!.dealAggregate.total).toEqual(await totalNow(alice));
  expect(countOf(burst.at(-1)!)).toBe(before + 50);
  const times = live.pushes.slice(start - 1).map((figures) => Date.parse(figures.computedAt));
  for (let i = 1; i < times.length; i++) expect(times[i] - times[i - 1]).toBeGreaterThanOrEqual(1000);
  // The commits' announcements spread over `span` ms (this machine may be slow): a push at the
  // first, then one per second while they come, and one after the last.
  const span = announcedAt.at(-1)! - announcedAt[since];
  expect(burst.length).toBeGreaterThanOrEqual(1);
  expect(burst.length).toBeLessThanOrEqual(Math.floor(span / 1000) + 2);
  if (span < 1000) expect(burst.length).toBeLessThanOrEqual(2);
  live.stop();
});

test('only the subscriber’s workspace: another workspace’s writes neither push nor count', async () => {
  const mine = subscribe(alice.token);
  const theirs = subscribe(carol.token);
  await pushed(mine, 'alice’s first push', () => true);
  await pushed(theirs, 'carol’s first push', () => true);
  const minePushes = mine.pushes.length;
  const theirCount = countOf(theirs.pushes[0]);

  for (let i = 0; i < 3; i++) await createDeal(`Carol ${i}`, carol);
  await pushed(theirs, 'carol’s deals', (figures) => countOf(figures) === theirCount + 3);
  expect(mine.pushes.length).toBe(minePushes);

  await createDeal('Alice after Carol');
  const count = await dealCount(alice);
  await pushed(mine, 'alice’s deal', (figures) => countOf(figures) === count);
  expect(theirs.pushes.at(-1)!.dealAggregate.total).toEqual(await totalNow(carol));
  mine.stop();
  theirs.stop();
});

test('a subscription recomputes only for what moves its reports: tickets move a ticket aggregate, not a deal aggregate', async () => {
  const query = `subscription($t: TicketAggregateInput) { dashboardUpdated(ticketAggregate: $t) { computedAt ticketAggregate { total { count } } } }`;
  type Tickets = { ticketAggregate: { total: { count: number } } };
  const tickets = subscribe(alice.token, { t: { measures: ['COUNT'] } }, connect(alice.token), query) as unknown as Omit<Live, 'pushes'> & { pushes: Tickets[] };
  const deals = subscribe(alice.token);
  await waitFor('the ticket dashboard', async () => (tickets.pushes.length > 0 ? true : undefined));
  await pushed(deals, 'the deal dashboard', () => true);
  const [ticketsBefore, dealPushes] = [tickets.pushes[0].ticketAggregate.total.count, deals.pushes.length];

  await t.ok(`mutation { createTicket(input: { subject: "Printer on fire" }) { id } }`, {}, alice);
  await waitFor('the new ticket', async () => (tickets.pushes.at(-1)!.ticketAggregate.total.count === ticketsBefore + 1 ? true : undefined));
  // Everything written so far was announced: the deal dashboard heard the ticket and stayed still.
  await announcedUpTo(alice, announced.length);
  expect(deals.pushes.length).toBe(dealPushes);
  tickets.stop();
  deals.stop();
});

test('reports:read is required: a key without it is refused; a revoked key’s and a removed member’s subscriptions end at the next change', async () => {
  const key = async (scopes: string[]) =>
    (await t.ok(`mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { token apiKey { id } } }`, { input: { name: scopes.join(' '), scopes } }, alice)).createApiKey;
  const unscoped = await key(['deals:read']);
  expect(await subscribe(unscoped.token).ended).toEqual([expect.objectContaining({ extensions: expect.objectContaining({ code: 'FORBIDDEN' }) })]);

  const scoped = await key(['reports:read']);
  const eve = await t.member(alice, 'SALES');
  const keyLive = subscribe(scoped.token);
  const eveLive = subscribe(eve.token);
  await pushed(keyLive, 'the key’s first push', () => true);
  await pushed(eveLive, 'eve’s first push', () => true);
  expect(keyLive.pushes[0].dealAggregate.total).toEqual(await totalNow(alice));
  const [keyPushes, evePushes] = [keyLive.pushes.length, eveLive.pushes.length];

  await t.ok(`mutation($id: ID!) { revokeApiKey(id: $id) { id } }`, { id: scoped.apiKey.id }, alice);
  const { rows } = await superuser.query(`SELECT id FROM memberships WHERE user_id = $1`, [parseId(eve.userId)!.uuid]);
  await t.ok(`mutation($id: ID!) { removeMember(id: $id) { id } }`, { id: `mem_${rows[0].id.replace(/-/g, '')}` }, alice);
  await createDeal('After revocation and removal');
  expect(await keyLive.ended).toEqual([expect.objectContaining({ extensions: expect.objectContaining({ code: 'UNAUTHENTICATED' }) })]);
  expect(await eveLive.ended).toEqual([expect.objectContaining({ extensions: expect.objectContaining({ code: 'UNAUTHENTICATED' }) })]);
  expect(keyLive.pushes).toHaveLength(keyPushes);
  expect(eveLive.pushes).toHaveLength(evePushes);
});

test('a demoted member sees what the new role shows: a manager’s forecast of every owner narrows to their own row at the next push', async () => {
  const mia = await t.member(alice, 'MANAGER');
  const today = new Date().toISOString().slice(0, 10);
  const period = `${today.slice(0, 4)}-Q${Math.floor(Number(today.slice(5, 7)) / 3.01) + 1}`;
  const createDue = (name: string, who: Session) =>
    t.ok(`mutation($n: String!, $d: LocalDate!, $o: ID!) { createDeal(input: { name: $n, amount: "50.00", expectedCloseDate: $d, ownerId: $o }) { id } }`, { n: name, d: today, o: who.userId }, alice);
  await createDue('Alice’s forecast deal', alice);
  await createDue('Mia’s forecast deal', mia);
  const query = `subscription($f: ForecastInput) { dashboardUpdated(forecast: $f) { computedAt forecast { rows { id name deals } } } }`;
  type Rows = { forecast: { rows: Array<{ id: string | null; deals: number }> } };
  const live = subscribe(mia.token, { f: { period, by: 'OWNER' } }, connect(mia.token), query) as unknown as Omit<Live, 'pushes'> & { pushes: Rows[] };
  const owners = (figures: Rows) => figures.forecast.rows.map((row) => row.id).sort();
  await waitFor('the first push', async () => (live.pushes.length > 0 ? true : undefined));
  expect(owners(live.pushes[0])).toEqual([alice.userId, mia.userId].sort());

  const { rows } = await superuser.query(`SELECT id FROM memberships WHERE user_id = $1`, [parseId(mia.userId)!.uuid]);
  await t.ok(`mutation($id: ID!) { changeMemberRole(id: $id, role: SALES) { id } }`, { id: `mem_${rows[0].id.replace(/-/g, '')}` }, alice);
  await createDue('After the demotion', alice);
  await waitFor('a push after the demotion', async () => (live.pushes.length > 1 ? true : undefined));
  expect(owners(live.pushes.at(-1)!)).toEqual([mia.userId]);
  live.stop();
});

test('a connection holds at most GRAPHQL_WS_MAX_SUBSCRIPTIONS subscriptions; one more is refused until one ends', async () => {
  const client = connect(alice.token);
  const open = [0, 1, 2].map(() => subscribe(alice.token, ALL_DEALS, client));
  for (const live of open) await pushed(live, 'a first push', () => true);
  const refused = subscribe(alice.token, ALL_DEALS, client);
  expect(await refused.ended).toEqual([
    expect.objectContaining({ extensions: expect.objectContaining({ code: 'RATE_LIMITED', limit: 'subscriptions', maximum: 3 }) }),
  ]);
  open[0].stop();
  // The server frees the place when it has seen the client's complete: until then, refused.
  await waitFor('a subscription in the freed place', async () => {
    const next = subscribe(alice.token, ALL_DEALS, client);
    const outcome = await new Promise<string>((resolve) => {
      const poll = setInterval(() => next.pushes.length > 0 && (clearInterval(poll), resolve('pushed')), 20);
      void next.ended.then(() => (clearInterval(poll), resolve('ended')));
    });
    return outcome === 'pushed' ? true : undefined;
  });
});

test('bad arguments are refused when subscribing: no report named, or a report’s own bad input under its name', async () => {
  const none = subscribe(alice.token, {});
  expect(await none.ended).toEqual([
    expect.objectContaining({ extensions: expect.objectContaining({ code: 'BAD_USER_INPUT', fields: [expect.objectContaining({ field: 'dealAggregate' })] }) }),
  ]);
  const noMeasure = subscribe(alice.token, { deals: { measures: [] } });
  expect(await noMeasure.ended).toEqual([
    expect.objectContaining({ extensions: expect.objectContaining({ code: 'BAD_USER_INPUT', fields: [expect.objectContaining({ field: 'dealAggregate.measures' })] }) }),
  ]);
});
