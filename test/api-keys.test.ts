import { readFileSync } from 'node:fs';
import type { Client } from 'pg';
import { API_KEY_SCOPES, SCOPE_OF_PERMISSION } from '../src/kernel/auth/api-key-scopes';
import { sequenceEvents } from '../src/kernel/events/record-events';
import { superuserClient } from './support/databases';
import { errorCode, errorFields, TestApp, type Session } from './support/test-app';

/**
 * API keys: created by admins, shown once, stored hashed, scoped, revocable, expiring; a key
 * acts in its workspace as its own principal (events, rate limits), never as a person.
 */
let t: TestApp;
let admin: Session;
let other: Session;
let superuser: Client;

const CREATE = `mutation($input: CreateApiKeyInput!) {
  createApiKey(input: $input) { token apiKey { id name scopes expiresAt lastUsedAt revokedAt createdBy { id } } }
}`;
const CREATE_ACCOUNT = `mutation($input: CreateAccountInput!) { createAccount(input: $input) { id name } }`;
const ACCOUNTS = `{ accounts(first: 50) { edges { node { id name } } } }`;

async function createKey(scopes: string[], who: Session = admin, extra: Record<string, unknown> = {}) {
  const data = await t.ok(CREATE, { input: { name: `key ${scopes.join(' ')}`, scopes, ...extra } }, who);
  return data.createApiKey as { token: string; apiKey: { id: string; name: string } };
}

const names = (data: any): string[] => data.accounts.edges.map((e: any) => e.node.name);

async function rateRemaining(token: string): Promise<number> {
  const response = await fetch(`${t.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query: ACCOUNTS }),
  });
  return Number(response.headers.get('ratelimit-remaining'));
}

beforeAll(async () => {
  t = await TestApp.start('api_keys', { RATE_LIMIT_KEY_PREFIX: `apikeys-test-${Date.now()}`, RATE_LIMIT_API_KEY_CAPACITY: '100000', RATE_LIMIT_API_KEY_REFILL_PER_SECOND: '0.001' });
  admin = await t.signUp('Keys A');
  other = await t.signUp('Keys B');
  superuser = await superuserClient(t.database.name);
});
afterAll(async () => {
  await superuser?.end();
  await t?.stop();
});

describe('creating keys', () => {
  test('the secret is shown once, stored only as a hash, and never listed', async () => {
    const { token, apiKey } = await createKey(['crm:read', 'accounts:write']);
    expect(token).toMatch(/^crm_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    expect(apiKey).toMatchObject({ scopes: ['crm:read', 'accounts:write'], revokedAt: null, lastUsedAt: null, createdBy: { id: admin.userId } });
    const rows = (await superuser.query(`SELECT * FROM api_keys`)).rows;
    expect(JSON.stringify(rows)).not.toContain(token);
    expect(JSON.stringify(rows)).not.toContain(token.slice(22));
    const listed = await t.gql(`{ apiKeys { id name scopes } }`, {}, admin);
    expect(listed.data!.apiKeys.map((k: any) => k.id)).toContain(apiKey.id);
    expect(JSON.stringify(listed)).not.toContain(token.slice(22));
  });

  test('the scope table in docs/api-keys.md is the scope map', () => {
    const doc = readFileSync(`${__dirname}/../docs/api-keys.md`, 'utf8');
    const table = doc.slice(doc.indexOf('| Covers | Scope | Permission |')).split('\n\n')[0].split('\n').slice(2);
    const rows = table.map((line) => line.split('|').slice(2, 4).map((cell) => cell.trim().replace(/`/g, '')));
    // Per-object read scopes stand for the read permission (crm:read).
    const permissionOf = (scope: string) => Object.entries(SCOPE_OF_PERMISSION).find(([, granted]) => granted === scope)?.[0] ?? 'crm:read';
    expect(rows).toEqual(API_KEY_SCOPES.map((scope) => [scope, permissionOf(scope)]));
  });

  test('only admins create keys; unknown scopes are refused by path', async () => {
    const sales = await t.member(admin, 'SALES');
    const manager = await t.member(admin, 'MANAGER');
    for (const who of [sales, manager]) {
      expect(errorCode(await t.gql(CREATE, { input: { name: 'x', scopes: ['crm:read'] } }, who))).toBe('FORBIDDEN');
    }
    const bad = await t.gql(CREATE, { input: { name: 'x', scopes: ['crm:read', 'everything'] } }, admin);
    expect(errorCode(bad)).toBe('BAD_USER_INPUT');
    expect(errorFields(bad)).toEqual(['input.scopes[1]']);
  });

  test('a key cannot manage keys, nor use what needs a person', async () => {
    const { token } = await createKey(['crm:read', 'accounts:write', 'deals:write']);
    expect(errorCode(await t.gql(CREATE, { input: { name: 'x', scopes: ['crm:read'] } }, token))).toBe('FORBIDDEN');
    const me = await t.gql(`{ me { id } }`, {}, token);
    expect(errorCode(me)).toBe('FORBIDDEN');
    expect(me.errors![0].message).toMatch(/API key/);
  });
});

describe('using keys', () => {
  test('a key creates and reads records in its workspace only, and its last use is kept', async () => {
    const { token, apiKey } = await createKey(['crm:read', 'accounts:write']);
    await t.ok(CREATE_ACCOUNT, { input: { name: 'Made By Key GmbH' } }, token);
    await t.ok(CREATE_ACCOUNT, { input: { name: 'Other Workspace AG' } }, other);
    const seen = names(await t.ok(ACCOUNTS, {}, token));
    expect(seen).toContain('Made By Key GmbH');
    expect(seen).not.toContain('Other Workspace AG');
    const otherKey = await createKey(['crm:read'], other);
    expect(names(await t.ok(ACCOUNTS, {}, otherKey.token))).not.toContain('Made By Key GmbH');
    const listed = await t.ok(`{ apiKeys { id lastUsedAt } }`, {}, admin);
    expect(listed.apiKeys.find((k: any) => k.id === apiKey.id).lastUsedAt).not.toBeNull();
  });

  test('scopes are enforced: a read-only key cannot write, an accounts key cannot touch deals', async () => {
    const readOnly = await createKey(['crm:read']);
    expect(errorCode(await t.gql(CREATE_ACCOUNT, { input: { name: 'Nope' } }, readOnly.token))).toBe('FORBIDDEN');
    const accountsOnly = await createKey(['accounts:write']);
    const deal = await t.gql(`mutation($input: CreateDealInput!) { createDeal(input: $input) { id } }`, { input: { name: 'Nope' } }, accountsOnly.token);
    expect(errorCode(deal)).toBe('FORBIDDEN');
    // accounts:write implies accounts:read, and nothing else.
    await t.ok(ACCOUNTS, {}, accountsOnly.token);
    expect(errorCode(await t.gql(`{ deals(first: 5) { edges { node { id } } } }`, {}, accountsOnly.token))).toBe('FORBIDDEN');
    expect(await superuser.query(`SELECT 1 FROM accounts WHERE name = 'Nope'`)).toMatchObject({ rowCount: 0 });
  });

  test('a revoked key is refused on the next request, like an unknown one', async () => {
    const { token, apiKey } = await createKey(['crm:read']);
    await t.ok(ACCOUNTS, {}, token);
    const revoked = await t.ok(`mutation($id: ID!) { revokeApiKey(id: $id) { revokedAt } }`, { id: apiKey.id }, admin);
    expect(revoked.revokeApiKey.revokedAt).not.toBeNull();
    const refused = await t.gql(ACCOUNTS, {}, token);
    expect(errorCode(refused)).toBe('UNAUTHENTICATED');
    const unknown = await t.gql(ACCOUNTS, {}, `${token.slice(0, -4)}AAAA`);
    expect(errorCode(unknown)).toBe('UNAUTHENTICATED');
    expect(unknown.errors![0].message).toBe(refused.errors![0].message);
  });

  test('an activity a key logs has no owner unless it names one', async () => {
    const { token } = await createKey(['crm:read', 'activities:write']);
    const account = await t.ok(CREATE_ACCOUNT, { input: { name: 'Has Notes' } }, admin);
    const input = { type: 'NOTE', subject: 'From ERP', accountId: account.createAccount.id };
    const data = await t.ok(`mutation($input: CreateActivityInput!) { createActivity(input: $input) { owner { id } } }`, { input }, token);
    expect(data.createActivity.owner).toBeNull();
  });

  test('Idempotency-Key replays are kept per key', async () => {
    const { token } = await createKey(['crm:read', 'accounts:write']);
    const send = () =>
      fetch(`${t.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'idempotency-key': 'erp-1' },
        body: JSON.stringify({ query: CREATE_ACCOUNT, variables: { input: { name: 'Once Per Key' } } }),
      });
    await send();
    const second = await send();
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    expect((await superuser.query(`SELECT principal FROM idempotency_keys WHERE key = 'erp-1'`)).rows).toEqual([{ principal: expect.stringMatching(/^key:/) }]);
    expect((await superuser.query(`SELECT 1 FROM accounts WHERE name = 'Once Per Key'`)).rowCount).toBe(1);
  });

  test('an expired key is refused', async () => {
    const { token, apiKey } = await createKey(['crm:read'], admin, { expiresAt: new Date(Date.now() + 60_000).toISOString() });
    await t.ok(ACCOUNTS, {}, token);
    await superuser.query(`UPDATE api_keys SET expires_at = now() - interval '1 second' WHERE id = $1`, [apiKey.id.slice(4)]);
    expect(errorCode(await t.gql(ACCOUNTS, {}, token))).toBe('UNAUTHENTICATED');
  });

  test('each key has its own rate-limit bucket', async () => {
    const a = await createKey(['crm:read']);
    const b = await createKey(['crm:read']);
    const firstOfA = await rateRemaining(a.token);
    await rateRemaining(a.token);
    const thirdOfA = await rateRemaining(a.token);
    const firstOfB = await rateRemaining(b.token);
    expect(thirdOfA).toBeLessThan(firstOfA);
    expect(firstOfB).toBe(firstOfA);
  });
});

describe('audit', () => {
  test('record events and the change feed name the key as actor, not a person', async () => {
    const { token, apiKey } = await createKey(['crm:read', 'accounts:write']);
    const created = await t.ok(CREATE_ACCOUNT, { input: { name: 'Audited By Key' } }, token);
    const row = (await superuser.query(`SELECT actor_user_id, actor_api_key_id FROM record_events WHERE type = 'account.created' AND after->>'name' = 'Audited By Key'`)).rows[0];
    expect(row).toEqual({ actor_user_id: null, actor_api_key_id: apiKey.id.slice(4).replace(/^(.{8})(.{4})(.{4})(.{4})/, '$1-$2-$3-$4-') });
    const events = await t.ok(`{ recordEvents(first: 100) { edges { node { recordId actor { id } actorApiKey { id name } } } } }`, {}, admin);
    const event = events.recordEvents.edges.map((e: any) => e.node).find((n: any) => n.recordId === created.createAccount.id);
    expect(event).toEqual({ recordId: created.createAccount.id, actor: null, actorApiKey: { id: apiKey.id, name: apiKey.name } });
    await sequenceEvents(t.app.runtime.dataSource);
    const feed = await t.ok(`{ changes(first: 100) { edges { node { recordId actor { id } actorApiKey { name } } } } }`, {}, token);
    const change = feed.changes.edges.map((e: any) => e.node).find((n: any) => n.recordId === created.createAccount.id);
    expect(change).toEqual({ recordId: created.createAccount.id, actor: null, actorApiKey: { name: apiKey.name } });
  });
});
