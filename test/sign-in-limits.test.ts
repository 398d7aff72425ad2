import type { Client as WsClient } from 'graphql-ws';
import type { Config } from '../src/config/config';
import { wsSubscribe } from './support/ws-subscription';
import { TestApp, type Session } from './support/test-app';

/**
 * Password guessing is limited wherever it comes from: per client address (whatever token is
 * attached) and per account (failures only), without letting a stranger lock the real user out;
 * and one anonymous request cannot put an address hours into debt.
 */

const SIGN_IN = `mutation($input: SignInInput!) { signIn(input: $input) { token } }`;
const PASSWORD = 'correct horse battery';

let t: TestApp;
let victim: Session;
let attacker: Session;
const servers: TestApp[] = [];
const clients: WsClient[] = [];

beforeAll(async () => {
  t = await TestApp.start('sign_in_limits');
  victim = await t.signUp('Victim GmbH');
  attacker = await t.signUp('Attacker Ltd');
});
afterAll(async () => {
  await Promise.all(clients.map((client) => client.dispose()));
  await Promise.all(servers.map((server) => server.stop()));
  await t?.stop();
});

/** A server over the same database with buckets of its own. */
async function server(name: string, overrides: Partial<Config>): Promise<TestApp> {
  const app = await TestApp.alongside(t, undefined, { RATE_LIMIT_KEY_PREFIX: `${t.app.runtime.config.RATE_LIMIT_KEY_PREFIX}:${name}`, ...overrides });
  servers.push(app);
  return app;
}

async function post(app: TestApp, body: unknown, options: { token?: string; from?: string } = {}) {
  const response = await fetch(`${app.url}/graphql`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      ...(options.from ? { 'x-forwarded-for': options.from } : {}),
    },
    body: JSON.stringify(body),
  });
  const answer = (await response.json()) as { data?: Record<string, any> | null; errors?: Array<{ message: string; extensions?: Record<string, any> }> };
  return { status: response.status, headers: response.headers, ...answer };
}

const signIn = (app: TestApp, email: string, password: string, options: { token?: string; from?: string } = {}) =>
  post(app, { query: SIGN_IN, variables: { input: { email, password } } }, options);
const code = (answer: { errors?: Array<{ extensions?: Record<string, any> }> }) => answer.errors?.[0].extensions?.code;

describe('per client address', () => {
  it('charges every sign-in to the address, with or without a token, and whatever it selects', async () => {
    const app = await server('address', { RATE_LIMIT_SIGN_IN_CAPACITY: 10, RATE_LIMIT_SIGN_IN_REFILL_PER_SECOND: 0.001 });
    for (let guess = 0; guess < 10; guess += 1) {
      // Half of them with a valid access token attached (a free signUp gives one); distinct accounts, so only the address counts.
      const answer = await signIn(app, `nobody${guess}@example.com`, 'guess', { token: guess % 2 ? attacker.token : undefined });
      expect(code(answer)).toBe('UNAUTHENTICATED');
    }
    for (const token of [attacker.token, undefined]) {
      const refused = await signIn(app, 'nobody@example.com', 'guess', { token });
      expect(refused.status).toBe(429);
      expect(refused.errors?.[0].extensions).toMatchObject({ code: 'RATE_LIMITED', limit: 'address' });
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    }
    // The same address's other requests are not sign-ins and go on.
    expect((await post(app, { query: `{ me { id } }` }, { token: attacker.token })).status).toBe(200);
  });

  it('also charges refreshToken and signUp, the other fields that take credentials', async () => {
    const app = await server('others', { RATE_LIMIT_SIGN_IN_CAPACITY: 2, RATE_LIMIT_SIGN_IN_REFILL_PER_SECOND: 0.001 });
    const refresh = { query: `mutation($t: String!) { refreshToken(refreshToken: $t) { token } }`, variables: { t: 'not-a-token' } };
    expect(code(await post(app, refresh))).toBe('UNAUTHENTICATED');
    expect(code(await post(app, refresh))).toBe('UNAUTHENTICATED');
    const signUp = { query: `mutation($input: SignUpInput!) { signUp(input: $input) { token } }`, variables: { input: { workspaceName: 'X', name: 'X', email: victim.email, password: 'wrong password!' } } };
    expect((await post(app, signUp)).status).toBe(429);
  });
});

describe('per account', () => {
  it('refuses a stranger after the account’s failed attempts are used up, but not the real user at an address they signed in from', async () => {
    const app = await server('account', { RATE_LIMIT_SIGN_IN_ACCOUNT_CAPACITY: 3, TRUST_PROXY_HOPS: 1 });
    const home = '198.51.100.1';
    // Successful sign-ins are given back: they use up nothing, and make `home` an address of this account.
    for (let i = 0; i < 4; i += 1) expect((await signIn(app, victim.email, PASSWORD, { from: home })).data?.signIn.token).toEqual(expect.any(String));

    // A stranger guesses, with a token of their own, once through signUp (which checks an existing account's password too).
    expect(code(await signIn(app, victim.email, 'guess one', { from: '203.0.113.5', token: attacker.token }))).toBe('UNAUTHENTICATED');
    expect(code(await signIn(app, victim.email.toUpperCase(), 'guess two', { from: '203.0.113.5' }))).toBe('UNAUTHENTICATED');
    const signUp = { query: `mutation($input: SignUpInput!) { signUp(input: $input) { token } }`, variables: { input: { workspaceName: 'X', name: 'X', email: victim.email, password: 'guess three!' } } };
    expect(code(await post(app, signUp, { from: '203.0.113.5' }))).toBe('CONFLICT');

    const locked = await signIn(app, victim.email, PASSWORD, { from: '203.0.113.6' });
    expect(locked.status).toBe(429);
    expect(locked.errors?.[0].extensions).toMatchObject({ code: 'RATE_LIMITED', limit: 'account' });
    expect(locked.errors?.[0].extensions?.retryAfterSeconds).toBeLessThanOrEqual(3600 / 3);

    // The real user at home is not locked out, and has attempts of their own there, also limited.
    expect((await signIn(app, victim.email, PASSWORD, { from: home })).data?.signIn.token).toEqual(expect.any(String));
    for (let i = 0; i < 3; i += 1) expect(code(await signIn(app, victim.email, `typo ${i}`, { from: home }))).toBe('UNAUTHENTICATED');
    expect((await signIn(app, victim.email, PASSWORD, { from: home })).status).toBe(429);
  });

  it('allows one field that takes credentials per request', async () => {
    const query = `mutation($a: SignInInput!, $b: SignInInput!) { a: signIn(input: $a) { token } b: signIn(input: $b) { token } }`;
    const input = { email: attacker.email, password: 'guess' };
    const answer = await post(t, { query, variables: { a: input, b: input } });
    expect(answer.status).toBe(400);
    expect(answer.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', fields: [{ field: 'query' }] });
  });

  it('serves no credentials over graphql-ws, where the outcome of an attempt is not followed', async () => {
    const sub = wsSubscribe(t, clients, attacker.token, `mutation { signIn(input: { email: "${victim.email}", password: "guess" }) { token } }`, 'signIn');
    expect(await sub.ended).toEqual([expect.objectContaining({ extensions: expect.objectContaining({ code: 'BAD_USER_INPUT' }) })]);
  });
});

describe('anonymous debt', () => {
  it('is capped at one bucket: a huge anonymous request leaves the address full again within minutes', async () => {
    const app = await server('debt', { RATE_LIMIT_ANONYMOUS_CAPACITY: 60, RATE_LIMIT_ANONYMOUS_REFILL_PER_SECOND: 1 });
    // 1 + 200 × (1 + 1 + 20) = 4,401 points, refused by the resolvers (no sign-in) but measured and charged first.
    const answer = await post(app, { query: `{ accounts(first: 200) { edges { node { contacts(first: 20) { edges { node { id } } } } } } }` });
    expect(code(answer)).toBe('UNAUTHENTICATED');
    expect(Number(answer.headers.get('ratelimit-reset'))).toBeLessThanOrEqual(120);
    const next = await post(app, { query: `{ __typename }` });
    expect(next.status).toBe(429);
    expect(Number(next.headers.get('retry-after'))).toBeLessThanOrEqual(61);
  });
});
