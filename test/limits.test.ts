import { getIntrospectionQuery } from 'graphql';
import { createClient, type Client as WsClient } from 'graphql-ws';
import WebSocket from 'ws';
import { createLogger } from '../src/kernel/logger';
import { createRedis } from '../src/kernel/redis';
import { RateLimiter } from '../src/server/limits/rate-limiter';
import { TestApp, type Session } from './support/test-app';

/**
 * Depth and complexity limits (checked before anything runs, over HTTP and graphql-ws) and the
 * token buckets per principal in Redis, with their RateLimit-* headers.
 */

const SILENT = createLogger('silent');

let t: TestApp;
/** Servers over the same database with small buckets, each under its own Redis key prefix. */
let tight: TestApp;
let refilling: TestApp;
let guarded: TestApp;
let proxied: TestApp;
let alice: Session;
let bob: Session;
const clients: WsClient[] = [];

beforeAll(async () => {
  t = await TestApp.start('limits', { GRAPHQL_MAX_DEPTH: '12', GRAPHQL_MAX_COMPLEXITY: '5000' });
  const prefix = t.app.runtime.config.RATE_LIMIT_KEY_PREFIX;
  // A refill so slow that nothing comes back during the test.
  tight = await TestApp.alongside(t, SILENT, { RATE_LIMIT_KEY_PREFIX: `${prefix}:tight`, RATE_LIMIT_CAPACITY: 10, RATE_LIMIT_REFILL_PER_SECOND: 0.001 });
  refilling = await TestApp.alongside(t, SILENT, { RATE_LIMIT_KEY_PREFIX: `${prefix}:refill`, RATE_LIMIT_CAPACITY: 10, RATE_LIMIT_REFILL_PER_SECOND: 20 });
  guarded = await TestApp.alongside(t, SILENT, {
    RATE_LIMIT_KEY_PREFIX: `${prefix}:anonymous`,
    RATE_LIMIT_ANONYMOUS_CAPACITY: 6,
    RATE_LIMIT_ANONYMOUS_REFILL_PER_SECOND: 0.001,
  });
  proxied = await TestApp.alongside(t, SILENT, {
    RATE_LIMIT_KEY_PREFIX: `${prefix}:proxied`,
    RATE_LIMIT_ANONYMOUS_CAPACITY: 3,
    RATE_LIMIT_ANONYMOUS_REFILL_PER_SECOND: 0.001,
    TRUST_PROXY_HOPS: 1,
  });
  alice = await t.signUp('Limits GmbH');
  bob = await t.signUp('Other AG');
});

afterAll(async () => {
  await Promise.all(clients.map((client) => client.dispose()));
  await Promise.all([tight, refilling, guarded, proxied].map((app) => app?.stop()));
  await t?.stop();
});

interface Answer {
  status: number;
  headers: Headers;
  data?: Record<string, any>;
  errors?: Array<{ message: string; extensions?: Record<string, any> }>;
}

/** GraphQL over HTTP, keeping the response headers. */
async function post(app: TestApp, query: string, variables: Record<string, unknown> = {}, session?: Session, headers: Record<string, string> = {}): Promise<Answer> {
  const response = await fetch(`${app.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(session ? { authorization: `Bearer ${session.token}` } : {}), ...headers },
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.status, headers: response.headers, ...((await response.json()) as object) };
}

// accounts(1) edges(2) node(3) contacts(4) edges(5) node(6) account(7) contacts(8) edges(9) node(10) account(11) owner(12) id(13)
const DEPTH_13 = `{ accounts { edges { node { contacts { edges { node { account { contacts { edges { node { account { owner { id } } } } } } } } } } } } }`;
// accounts(1) edges(2) node(3) contacts(4) edges(5) node(6) account(7) owner(8) name(9); complexity 1 + 10 × (2 + 10 × 3)
const DEPTH_9 = `{ accounts(first: 10) { edges { node { contacts(first: 10) { edges { node { account { owner { name } } } } } } } } }`;
/** 1 + n × (node 1 + contacts (1 + m × node 1)) */
const NESTED_PAGES = `query($n: Int, $m: Int) { accounts(first: $n) { edges { node { id contacts(first: $m) { edges { node { id } } } } } } }`;

describe('depth and complexity', () => {
  it('refuses an operation deeper than GRAPHQL_MAX_DEPTH before it runs, naming the limit and the depth', async () => {
    const refused = await post(t, DEPTH_13, {}, alice);
    expect(refused.status).toBe(400);
    expect(refused.data).toBeUndefined();
    expect(refused.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', limit: 'depth', measured: 13, maximum: 12, fields: [{ field: 'query' }] });
    expect(refused.errors?.[0].message).toBe('Query depth 13 exceeds the limit of 12');
    const allowed = await post(t, DEPTH_9, {}, alice);
    expect(allowed.errors).toBeUndefined();
    expect(allowed.data?.accounts.edges).toEqual([]);
  });

  it('multiplies a connection by its page size, nested connections by both, also through variables', async () => {
    const big = await post(t, `{ accounts(first: 200) { edges { node { contacts(first: 200) { edges { node { id } } } } } } }`, {}, alice);
    expect(big.status).toBe(400);
    expect(big.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', limit: 'complexity', measured: 1 + 200 * (1 + 1 + 200), maximum: 5000 });
    expect(big.errors?.[0].message).toBe(`Query complexity ${1 + 200 * 202} exceeds the limit of 5000`);

    const viaVariables = await post(t, NESTED_PAGES, { n: 200, m: 30 }, alice);
    expect(viaVariables.errors?.[0].extensions).toMatchObject({ limit: 'complexity', measured: 1 + 200 * (1 + 1 + 30) });
    // The same document with smaller pages is fine: 1 + 100 × 22 = 2201.
    expect((await post(t, NESTED_PAGES, { n: 100, m: 20 }, alice)).errors).toBeUndefined();
    // Without first/last a connection counts its default page of 50: 1 + 50 × (1 + 1 + 50) = 2601.
    expect((await post(t, NESTED_PAGES, {}, alice)).errors).toBeUndefined();
  });

  it('counts fragments like inline selections, and alternatives on different types by the most expensive', async () => {
    const spread = `query { accounts(first: 200) { ...Rows } }
      fragment Rows on AccountConnection { edges { node { ...Deep } } }
      fragment Deep on Account { contacts(first: 100) { edges { node { id } } } }`;
    expect((await post(t, spread, {}, alice)).errors?.[0].extensions).toMatchObject({ limit: 'complexity', measured: 1 + 200 * (1 + 1 + 100) });
    // node(id) is an Account or a Contact: 1 + max(2521, 2581) = 2582 is allowed; their sum (5103) would not be.
    const alternatives = `query($id: ID!) { node(id: $id) {
      ... on Account { contacts(first: 60) { edges { node { activities(first: 40) { edges { node { id } } } } } } }
      ... on Contact { activities(first: 60) { edges { node { contact { activities(first: 40) { edges { node { id } } } } } } } } } }`;
    const answer = await post(t, alternatives, { id: 'acc_00000000000000000000000000000000' }, alice);
    expect(answer.status).toBe(200);
    expect(answer.errors?.find((error) => error.extensions?.limit)).toBeUndefined();
  });

  it('refuses a mutation over the limit without running it: nothing is created', async () => {
    const mutation = `mutation { createAccount(input: { name: "Never Made" }) {
      id contacts(first: 200) { edges { node { activities(first: 200) { edges { node { id } } } } } } } }`;
    const refused = await post(t, mutation, {}, alice);
    expect(refused.status).toBe(400);
    expect(refused.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    const found = await t.ok(`{ accounts(filter: { name: { eq: "Never Made" } }) { totalCount } }`, {}, alice);
    expect(found.accounts.totalCount).toBe(0);
  });

  it('keeps introspection usable: the full introspection query is neither too deep nor too complex', async () => {
    const answer = await post(t, getIntrospectionQuery(), {}, alice);
    expect(answer.errors).toBeUndefined();
    expect(answer.data?.__schema.queryType.name).toBe('Query');
  });
});

describe('rate limits', () => {
  /** 1 + 3 rows = 4 points. */
  const FOUR_POINTS = `{ accounts(first: 3) { edges { node { id name } } } }`;

  it('charges each operation its complexity, reports it in RateLimit-* headers and refuses with 429 when empty', async () => {
    const first = await post(tight, FOUR_POINTS, {}, alice);
    expect(first.status).toBe(200);
    expect(first.headers.get('ratelimit-limit')).toBe('10');
    expect(first.headers.get('ratelimit-remaining')).toBe('6');
    expect(Number(first.headers.get('ratelimit-reset'))).toBeGreaterThan(0);
    expect(first.headers.get('retry-after')).toBeNull();
    expect((await post(tight, FOUR_POINTS, {}, alice)).headers.get('ratelimit-remaining')).toBe('2');

    const refused = await post(tight, FOUR_POINTS, {}, alice);
    expect(refused.status).toBe(429);
    expect(refused.data).toBeUndefined();
    expect(refused.errors?.[0].extensions?.code).toBe('RATE_LIMITED');
    const retryAfter = refused.errors?.[0].extensions?.retryAfterSeconds;
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(refused.headers.get('retry-after')).toBe(String(retryAfter));
    // A refused operation costs nothing: the 2 points are still there for a cheaper one.
    expect(refused.headers.get('ratelimit-remaining')).toBe('2');
    const cheap = await post(tight, `{ me { id } }`, {}, alice);
    expect(cheap.status).toBe(200);
    expect(cheap.headers.get('ratelimit-remaining')).toBe('1');
  });

  it('keeps principals apart: another user still has a full bucket', async () => {
    await drain(tight, alice);
    const other = await post(tight, FOUR_POINTS, {}, bob);
    expect(other.status).toBe(200);
    expect(other.headers.get('ratelimit-remaining')).toBe('6');
  });

  it('charges a request that fails validation 1 point, with the headers', async () => {
    const invalid = await post(tight, `{ noSuchField }`, {}, bob);
    expect(invalid.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect(invalid.headers.get('ratelimit-remaining')).toBe('5');
  });

  it('refills over time: after Retry-After the operation runs', async () => {
    const tenPoints = `{ accounts(first: 9) { edges { node { id } } } }`;
    expect((await post(refilling, tenPoints, {}, alice)).status).toBe(200);
    const refused = await post(refilling, tenPoints, {}, alice);
    expect(refused.status).toBe(429);
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBe(1); // 10 points at 20 a second
    await new Promise((resolve) => setTimeout(resolve, retryAfter * 1000));
    expect((await post(refilling, tenPoints, {}, alice)).status).toBe(200);
  });

  it('limits anonymous calls (signIn) per client address with their own small bucket', async () => {
    const signIn = `mutation($input: SignInInput!) { signIn(input: $input) { token user { id } workspace { id } } }`;
    const wrong = { input: { email: alice.email, password: 'not the password' } };
    for (let attempt = 0; attempt < 2; attempt += 1) {
      expect((await post(guarded, signIn, wrong)).errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    }
    const blocked = await post(guarded, signIn, { input: { email: alice.email, password: 'correct horse battery' } });
    expect(blocked.status).toBe(429);
    expect(blocked.errors?.[0].extensions?.code).toBe('RATE_LIMITED');
    expect(blocked.data).toBeUndefined();
    // Without trusted proxies a client's own X-Forwarded-For changes nothing.
    expect((await post(guarded, signIn, wrong, undefined, { 'x-forwarded-for': '203.0.113.9' })).status).toBe(429);
    // A signed-in member from the same address is charged to their own bucket.
    const member = await post(guarded, `{ me { id } }`, {}, alice);
    expect(member.status).toBe(200);
    expect(member.headers.get('ratelimit-limit')).toBe(String(t.app.runtime.config.RATE_LIMIT_CAPACITY));
  });

  it('behind a trusted proxy, tells clients apart by the address the proxy appended to X-Forwarded-For', async () => {
    const signIn = `mutation($input: SignInInput!) { signIn(input: $input) { token user { id } workspace { id } } }`;
    const wrong = { input: { email: alice.email, password: 'not the password' } };
    const from = (address: string) => post(proxied, signIn, wrong, undefined, { 'x-forwarded-for': `10.9.9.9, ${address}` });
    expect((await from('203.0.113.7')).errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    expect((await from('203.0.113.7')).status).toBe(429);
    // The left entry is the client's own claim: changing it does not escape the bucket.
    expect((await post(proxied, signIn, wrong, undefined, { 'x-forwarded-for': '10.1.1.1, 203.0.113.7' })).status).toBe(429);
    expect((await from('203.0.113.8')).errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('fails open when Redis does not answer', async () => {
    const down = createRedis('redis://127.0.0.1:1');
    const limiter = new RateLimiter(down, 'crm-test:down', SILENT);
    expect(await limiter.take('user:x', { capacity: 1, refillPerSecond: 1 }, 5)).toBeNull();
    down.disconnect();
  });
});

describe('graphql-ws', () => {
  function socket(app: TestApp, session: Session): WsClient {
    const client = createClient({
      url: app.url.replace('http', 'ws') + '/graphql',
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${session.token}` },
      retryAttempts: 0,
    });
    clients.push(client);
    return client;
  }

  /** The first thing the server answers to an operation: a result or the errors it was refused with. */
  function firstAnswer(client: WsClient, query: string): Promise<any> {
    return new Promise((resolve) => {
      const stop = client.subscribe<any>({ query }, { next: (result) => (stop(), resolve(result)), error: resolve, complete: () => undefined });
    });
  }

  it('refuses a subscription over the depth or complexity limit', async () => {
    const client = socket(t, alice);
    const deep = `subscription { notificationAdded { record { account { contacts { edges { node { account { contacts { edges { node { account { owner { id } } } } } } } } } } } } }`;
    const [depthError] = await firstAnswer(client, deep);
    expect(depthError.extensions).toMatchObject({ code: 'BAD_USER_INPUT', limit: 'depth', measured: 13 });
    const wide = `subscription { notificationAdded { record { account { contacts(first: 200) { edges { node { activities(first: 200) { edges { node { id } } } } } } } } } }`;
    const [complexityError] = await firstAnswer(client, wide);
    expect(complexityError.extensions).toMatchObject({ code: 'BAD_USER_INPUT', limit: 'complexity', measured: 3 + 1 + 200 * (1 + 1 + 200) });
  });

  it('charges socket operations to the same bucket: an exhausted user is refused there too', async () => {
    await drain(tight, bob);
    const [error] = await firstAnswer(socket(tight, bob), `query { me { id } }`);
    expect(error.extensions).toMatchObject({ code: 'RATE_LIMITED' });
    expect(error.extensions.retryAfterSeconds).toBeGreaterThanOrEqual(1);
  });

  it('runs an operation within the limits', async () => {
    const answer = await firstAnswer(socket(t, alice), `query { me { id } }`);
    expect(answer.data.me.id).toBe(alice.userId);
  });
});

/** Spends a member's bucket on `app` down to nothing. */
async function drain(app: TestApp, session: Session): Promise<void> {
  for (;;) {
    const answer = await post(app, `{ me { id } }`, {}, session);
    if (answer.status === 429) return;
  }
}
