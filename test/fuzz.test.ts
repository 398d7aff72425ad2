import { createHash } from 'node:crypto';
import { TestApp, type Session } from './support/test-app';

/**
 * A seeded fuzz of GraphQL over HTTP: a few hundred requests mutated from a corpus of valid ones
 * (broken query text, wrong or poisoned variables, NUL characters, deep nesting, bad operation
 * names and persisted-query extensions, odd bodies, headers and credentials). Every answer must
 * be a 2xx or 4xx with a code from the contract, never a 5xx or INTERNAL_SERVER_ERROR. The seed
 * makes a failure reproducible: the failing requests are printed.
 */

const SEED = 20261207;
const REQUESTS = 400;

let t: TestApp;
let admin: Session;
let accountId: string;

beforeAll(async () => {
  t = await TestApp.start('fuzz');
  admin = await t.signUp('Fuzz GmbH');
  accountId = (await t.ok(`mutation { createAccount(input: { name: "Seed AG" }) { id } }`, {}, admin)).createAccount.id;
});
afterAll(() => t?.stop());

/** mulberry32: small, fast and the same on every machine. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let x = state;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

interface Request {
  method: 'GET' | 'POST';
  body: unknown;
  headers: Record<string, string>;
  anonymous?: boolean;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const ACCOUNTS = `query List($f: AccountFilter, $n: Int) { accounts(first: $n, filter: $f) { totalCount edges { node { id name domain } } } }`;

function corpus(): Array<Record<string, unknown>> {
  return [
    { query: ACCOUNTS, variables: { n: 5, f: { name: { startsWith: 'Se' } } } },
    { query: `mutation Create($input: CreateAccountInput!) { createAccount(input: $input) { id name } }`, variables: { input: { name: 'Acme', domain: 'acme.example' } } },
    { query: `mutation In($input: SignInInput!) { signIn(input: $input) { token } }`, variables: { input: { email: admin.email, password: 'wrong password 1' } } },
    { query: `mutation Person($input: CreateContactInput!) { createContact(input: $input) { id email } }`, variables: { input: { lastName: 'Lovelace', email: 'ada@example.com', tags: ['vip'] } } },
    { query: `query A { me { id } } query B { workspace { id name } }`, operationName: 'A' },
    { query: `query One($id: ID!) { node(id: $id) { id ... on Account { name } } }`, variables: { id: accountId } },
    { query: `query People($f: ContactFilter) { contacts(filter: $f, first: 3) { edges { node { id } } } }`, variables: { f: { or: [{ lastName: { eq: 'x' } }, { and: [{ city: { contains: 'Ber' } }] }] } } },
    { query: `mutation Change($id: ID!, $input: AccountInput!) { updateAccount(id: $id, input: $input, expectedVersion: 1) { id version } }`, variables: { id: accountId, input: { name: 'Seed AG 2' } } },
    { query: ACCOUNTS, variables: { n: 2 }, extensions: { persistedQuery: { version: 1, sha256Hash: sha256(ACCOUNTS) } } },
    { query: `mutation Renew($t: String!) { refreshToken(refreshToken: $t) { token } }`, variables: { t: admin.refreshToken } },
    { query: `{ accounts(first: 2, filter: { name: { eq: "Seed" } }, orderBy: [{ field: NAME, direction: ASC }]) { edges { cursor } } }` },
  ];
}

const ODD_VALUES: unknown[] = [
  null, 0, -1, 2 ** 53, 1e308, 3.5, '', 'x'.repeat(5000), '\u0000', 'a\u0000b', [], {}, true, 'acc_zzz', 'con_00000000000000000000000000000000',
  '2026-13-45', '../../etc/passwd', "'; DROP TABLE accounts; --", '\ud800', '🙂'.repeat(50), { eq: '\u0000' },
];

function deep(levels: number): unknown {
  let value: unknown = { lastName: { eq: 'x' } };
  for (let i = 0; i < levels; i++) value = { and: [value] };
  return value;
}

function mutate(random: () => number, base: Record<string, unknown>): Request {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
  const body: Record<string, unknown> = structuredClone(base);
  const request: Request = { method: 'POST', body, headers: { 'content-type': 'application/json' } };
  const query = String(body.query ?? '');
  const kinds = 1 + Math.floor(random() * 2);
  for (let k = 0; k < kinds; k++) {
    switch (Math.floor(random() * 12)) {
      case 0: {
        const at = Math.floor(random() * query.length);
        body.query = query.slice(0, at) + pick(['\u0000', '{', '}', '$', '"', '\\', '(', '@', '...', '#', '\n', 'é']) + query.slice(at);
        break;
      }
      case 1: {
        const at = Math.floor(random() * query.length);
        body.query = query.slice(0, at) + query.slice(at + 1 + Math.floor(random() * 10));
        break;
      }
      case 2:
      case 3: {
        const variables = (body.variables ?? {}) as Record<string, unknown>;
        const names = Object.keys(variables);
        if (names.length === 0) {
          body.variables = { [pick(['n', 'id', 'input', 'f'])]: pick(ODD_VALUES) };
          break;
        }
        const name = pick(names);
        const value = variables[name];
        if (value && typeof value === 'object' && !Array.isArray(value) && random() < 0.6) {
          const keys = Object.keys(value);
          (value as Record<string, unknown>)[keys.length && random() < 0.7 ? pick(keys) : 'unknownField'] = pick(ODD_VALUES);
        } else variables[name] = pick(ODD_VALUES);
        body.variables = variables;
        break;
      }
      case 4:
        body.operationName = pick([undefined, '', 'Nope', 42, null, 'B', '\u0000']);
        break;
      case 5:
        body.extensions = pick([
          { persistedQuery: { version: 1, sha256Hash: sha256(String(random())) } },
          { persistedQuery: { version: 1, sha256Hash: 'not-a-hash' } },
          { persistedQuery: { version: 1, sha256Hash: 12345 } },
          { persistedQuery: { version: 2, sha256Hash: sha256(query) } },
          { persistedQuery: 'yes' },
          { persistedQuery: { version: 1 } },
        ]);
        if (random() < 0.5) delete body.query;
        break;
      case 6:
        body.variables = { f: deep(pick([40, 300, 1000])), n: 1 };
        body.query = `query People($f: ContactFilter, $n: Int) { contacts(filter: $f, first: $n) { edges { node { id } } } }`;
        break;
      case 7:
        request.body = pick([[], 'x', {}, { query: 5 }, { query: '{ me { id } }', variables: 'str' }, { query: '{ me { id } }', variables: [1] }, null, [{ query: '{ me { id } }' }]]);
        return request;
      case 8:
        request.method = 'GET';
        request.headers = { 'apollo-require-preflight': 'true' };
        break;
      case 9:
        request.headers['content-type'] = pick(['text/plain', 'application/graphql', 'application/json; charset=latin1', 'multipart/form-data']);
        break;
      case 10:
        request.headers.authorization = pick(['Bearer xyz', 'Basic abc', 'Bearer crm_0123456789abcdef_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx', 'Bearer', 'Bearer a.b.c']);
        break;
      default:
        request.headers['idempotency-key'] = pick(['', ' ', 'k'.repeat(300), 'k\u00e9y', 'ok-key-' + Math.floor(random() * 1e6)]);
        if (random() < 0.5) request.anonymous = true;
    }
  }
  return request;
}

async function send(request: Request): Promise<{ status: number; codes: string[]; raw: string }> {
  const headers = { ...request.headers };
  if (!request.anonymous && !headers.authorization) headers.authorization = `Bearer ${admin.token}`;
  let response: Response;
  if (request.method === 'GET') {
    const params = new URLSearchParams();
    for (const [name, value] of Object.entries((request.body ?? {}) as Record<string, unknown>)) {
      if (value !== undefined) params.set(name, typeof value === 'string' ? value : JSON.stringify(value));
    }
    response = await fetch(`${t.url}/graphql?${params}`, { headers });
  } else {
    response = await fetch(`${t.url}/graphql`, { method: 'POST', headers, body: JSON.stringify(request.body) });
  }
  const raw = await response.text();
  let codes: string[] = [];
  try {
    const parsed = JSON.parse(raw) as { errors?: Array<{ extensions?: { code?: string } }> };
    codes = (parsed.errors ?? []).map((error) => error.extensions?.code ?? 'NO_CODE');
  } catch {
    codes = ['NOT_JSON'];
  }
  return { status: response.status, codes, raw };
}

test(`${REQUESTS} mutated requests (seed ${SEED}): no 5xx, no internal error, every error with a code`, async () => {
  const random = prng(SEED);
  const bases = corpus();
  const failures: string[] = [];
  const statuses = new Map<number, number>();
  for (let i = 0; i < REQUESTS; i++) {
    const request = mutate(random, bases[i % bases.length]);
    const answer = await send(request);
    statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
    const bad = answer.status >= 500 || answer.codes.some((code) => code === 'INTERNAL_SERVER_ERROR' || code === 'NO_CODE' || code === 'NOT_JSON');
    if (bad) failures.push(`#${i} ${answer.status} ${JSON.stringify(request).slice(0, 300)} → ${answer.raw.slice(0, 300)}`);
  }
  expect(failures).toEqual([]);
  // The corpus keeps the fuzz honest: most requests reach the resolvers or their input checks.
  expect(statuses.get(200) ?? 0).toBeGreaterThan(REQUESTS / 4);
});
