import { createHash } from 'node:crypto';
import { TestApp, type Session } from './support/test-app';

/**
 * Every bad input is a 4xx with a code from the contract and names what is wrong, never an
 * internal error: operation names, persisted-query extensions, NUL characters, deeply nested
 * inputs, oversized bodies.
 */

let t: TestApp;
let alice: Session;

beforeAll(async () => {
  t = await TestApp.start('bad_input');
  alice = await t.signUp('Input GmbH');
});
afterAll(() => t?.stop());

interface Answer {
  status: number;
  headers: Headers;
  data?: Record<string, any> | null;
  errors?: Array<{ message: string; extensions?: Record<string, any> }>;
}

async function post(body: unknown, session: Session | null = alice): Promise<Answer> {
  const response = await fetch(`${t.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(session ? { authorization: `Bearer ${session.token}` } : {}) },
    body: JSON.stringify(body),
  });
  return { status: response.status, headers: response.headers, ...((await response.json()) as object) };
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const fields = (answer: Answer) => answer.errors?.[0].extensions?.fields?.map((f: { field: string }) => f.field);

describe('operation names', () => {
  const TWO = `query A { me { id } } query B { workspace { id } }`;

  it('asks for operationName when a document holds several operations', async () => {
    const answer = await post({ query: TWO });
    expect(answer.status).toBe(400);
    expect(answer.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect(fields(answer)).toEqual(['operationName']);
    expect(answer.errors?.[0].message).toBe('Name the operation to run in operationName: the document holds "A", "B"');
  });

  it('refuses an operation name the document does not hold', async () => {
    const answer = await post({ query: TWO, operationName: 'C' });
    expect(answer.status).toBe(400);
    expect(fields(answer)).toEqual(['operationName']);
    expect(answer.errors?.[0].message).toBe('No operation named "C": the document holds "A", "B"');
    expect((await post({ query: TWO, operationName: 'B' })).data?.workspace.id).toBe(alice.workspaceId);
  });
});

describe('automatic persisted queries', () => {
  const QUERY = `query Persisted { me { id } }`;

  it('answers an unknown hash PERSISTED_QUERY_NOT_FOUND, as APQ clients expect, then runs the registered text by hash', async () => {
    const extensions = { persistedQuery: { version: 1, sha256Hash: sha256(QUERY) } };
    const unknown = await post({ extensions });
    expect(unknown.errors?.[0].extensions?.code).toBe('PERSISTED_QUERY_NOT_FOUND');
    expect(unknown.errors?.[0].message).toBe('PersistedQueryNotFound');
    expect((await post({ query: QUERY, extensions })).data?.me.id).toBe(alice.userId);
    expect((await post({ extensions })).data?.me.id).toBe(alice.userId);
  });

  it.each([
    [{ persistedQuery: { version: 1, sha256Hash: 'not-a-hash' } }, 'extensions.persistedQuery.sha256Hash'],
    [{ persistedQuery: { version: 1, sha256Hash: 12345 } }, 'extensions.persistedQuery.sha256Hash'],
    [{ persistedQuery: { version: 1 } }, 'extensions.persistedQuery.sha256Hash'],
    [{ persistedQuery: { version: 2, sha256Hash: sha256(QUERY) } }, 'extensions.persistedQuery.version'],
    [{ persistedQuery: 'yes' }, 'extensions.persistedQuery'],
  ])('refuses the malformed extension %j naming %s', async (extensions, field) => {
    const answer = await post({ extensions });
    expect(answer.status).toBe(400);
    expect(answer.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect(fields(answer)).toEqual([field]);
  });

  it('refuses a hash that does not match the text it came with', async () => {
    const answer = await post({ query: QUERY, extensions: { persistedQuery: { version: 1, sha256Hash: sha256('something else') } } });
    expect(answer.status).toBe(400);
    expect(answer.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
  });
});

describe('NUL characters', () => {
  it('are refused in variables, naming the field, before anything reaches SQL', async () => {
    const answer = await post({
      query: `query($f: AccountFilter) { accounts(filter: $f) { totalCount } }`,
      variables: { f: { or: [{ name: { eq: 'ok' } }, { name: { eq: 'a\u0000b' } }] } },
    });
    expect(answer.status).toBe(400);
    expect(answer.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect(fields(answer)).toEqual(['f.or[1].name.eq']);
  });

  it('are refused in literals and in anonymous sign-ins', async () => {
    const literal = await post({ query: `mutation { createAccount(input: { name: "x\\u0000y" }) { id } }` });
    expect(literal.status).toBe(400);
    expect(fields(literal)).toEqual(['input.name']);
    const signIn = await post(
      { query: `mutation($input: SignInInput!) { signIn(input: $input) { token } }`, variables: { input: { email: 'a\u0000@example.com', password: 'x' } } },
      null,
    );
    expect(signIn.status).toBe(400);
    expect(fields(signIn)).toEqual(['input.email']);
    const nothing = await t.ok(`{ accounts { totalCount } }`, {}, alice);
    expect(nothing.accounts.totalCount).toBe(0);
  });
});

describe('nesting', () => {
  function nested(levels: number): unknown {
    let filter: unknown = { lastName: { eq: 'x' } };
    for (let i = 0; i < levels; i++) filter = { and: [filter] };
    return filter;
  }
  const CONTACTS = `query($f: ContactFilter) { contacts(filter: $f) { totalCount } }`;

  it('refuses filters nested 1,000 deep in variables (they overflowed the stack), and runs those within the limit', async () => {
    const answer = await post({ query: CONTACTS, variables: { f: nested(1000) } });
    expect(answer.status).toBe(400);
    expect(answer.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', limit: 'inputDepth', maximum: 32 });
    expect(fields(answer)?.[0]).toMatch(/^f(\.and\[0\])+$/);
    const within = await post({ query: CONTACTS, variables: { f: nested(12) } });
    expect(within.errors).toBeUndefined();
    expect(within.data?.contacts.totalCount).toBe(0);
  });
});

describe('request bodies', () => {
  it('answers an oversized body with 413 and a JSON error the client can read', async () => {
    const body = JSON.stringify({ query: `{ me { id } }`, variables: { padding: 'x'.repeat(2 * 1024 * 1024) } });
    const response = await fetch(`${t.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect(response.status).toBe(413);
    const answer = (await response.json()) as Answer;
    expect(answer.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', fields: [{ field: 'body' }] });
    // The connection survives: the next request is served.
    expect((await post({ query: `{ me { id } }` })).data?.me.id).toBe(alice.userId);
  });
});
