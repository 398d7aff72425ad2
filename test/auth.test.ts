import jwt from 'jsonwebtoken';
import { Client } from 'pg';
import { parseId } from '../src/kernel/ids';
import { superuserClient } from './support/databases';
import { TestApp, errorCode, errorFields, type GraphQLResult, type Session } from './support/test-app';

const SECRET = 'test-secret-0123456789abcdef0123456789abcdef';
const PASSWORD = 'correct horse battery';
const PAYLOAD = 'token refreshToken role user { id email } workspace { id name }';
const SIGN_UP = `mutation($input: SignUpInput!) { signUp(input: $input) { ${PAYLOAD} } }`;
const SIGN_IN = `mutation($input: SignInInput!) { signIn(input: $input) { ${PAYLOAD} } }`;
const REFRESH = `mutation($token: String!) { refreshToken(refreshToken: $token) { ${PAYLOAD} } }`;
const ME = `{ me { id email role workspaces { id name } } }`;

let t: TestApp;
let superuser: Client;
let mailbox = 0;

beforeAll(async () => {
  t = await TestApp.start('auth');
  superuser = await superuserClient(t.database.name);
});
afterAll(async () => {
  await superuser.end();
  await t.stop();
});

const newEmail = () => `person${++mailbox}.${Date.now()}@example.com`;
const uuid = (id: string) => parseId(id)!.uuid;

const signUp = (input: Record<string, unknown>) => t.gql(SIGN_UP, { input: { workspaceName: 'Acme', name: 'Ada', email: newEmail(), password: PASSWORD, ...input } });
const signIn = (input: Record<string, unknown>) => t.gql(SIGN_IN, { input });
const refresh = (token: string) => t.gql(REFRESH, { token });

async function usersWithEmail(email: string): Promise<number> {
  const result = await superuser.query('SELECT count(*)::int AS n FROM users WHERE lower(email) = lower($1)', [email]);
  return result.rows[0].n;
}

/** Posts a protected query with a raw Authorization header (or none). */
async function withHeader(authorization: string | undefined): Promise<GraphQLResult> {
  const response = await fetch(`${t.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(authorization === undefined ? {} : { authorization }) },
    body: JSON.stringify({ query: '{ accounts { totalCount } me { id } }' }),
  });
  return { status: response.status, ...((await response.json()) as object) };
}

describe('signUp', () => {
  test('creates a workspace and its admin, who can use the API at once', async () => {
    const email = newEmail();
    const result = await signUp({ email, workspaceName: '  Globex  ' });
    expect(result.errors).toBeUndefined();
    const payload = result.data!.signUp;
    expect(payload).toMatchObject({ role: 'ADMIN', user: { email }, workspace: { name: 'Globex' } });
    const me = await t.ok(ME, {}, payload.token);
    expect(me.me).toEqual({ id: payload.user.id, email, role: 'ADMIN', workspaces: [{ id: payload.workspace.id, name: 'Globex' }] });
  });

  test.each([
    ['a bad email', { email: 'not-an-email' }, 'email'],
    ['a short password', { password: 'short' }, 'password'],
    ['a blank workspace name', { workspaceName: '   ' }, 'workspaceName'],
    ['an empty workspace name', { workspaceName: '' }, 'workspaceName'],
    ['a blank name', { name: ' ' }, 'name'],
  ])('refuses %s as BAD_USER_INPUT naming the field, and writes nothing', async (_label, input, field) => {
    const email = (input as { email?: string }).email ?? newEmail();
    const result = await signUp({ ...input, email });
    expect(errorCode(result)).toBe('BAD_USER_INPUT');
    expect(errorFields(result)).toContain(field);
    expect(result.data?.signUp ?? null).toBeNull();
    expect(await usersWithEmail(email)).toBe(0);
  });

  test('stores the password hashed with argon2id', async () => {
    const email = newEmail();
    await t.ok(SIGN_UP, { input: { workspaceName: 'Hashing', name: 'Hal', email, password: PASSWORD } });
    const { rows } = await superuser.query('SELECT password_hash FROM users WHERE email = $1', [email]);
    expect(rows).toHaveLength(1);
    expect(rows[0].password_hash).toMatch(/^\$argon2id\$/);
    expect(rows[0].password_hash).not.toContain(PASSWORD);
  });

  test('the same email and password again adds a second workspace for the same user; a wrong password is a CONFLICT on email', async () => {
    const email = newEmail();
    const first = (await t.ok(SIGN_UP, { input: { workspaceName: 'First', name: 'Max', email, password: PASSWORD } })).signUp;
    const second = (await t.ok(SIGN_UP, { input: { workspaceName: 'Second', name: 'Max', email: email.toUpperCase(), password: PASSWORD } })).signUp;
    expect(second.user.id).toBe(first.user.id);
    expect(second.workspace.id).not.toBe(first.workspace.id);
    expect(await usersWithEmail(email)).toBe(1);

    const wrong = await t.gql(SIGN_UP, { input: { workspaceName: 'Third', name: 'Eve', email, password: 'another password 1' } });
    expect(errorCode(wrong)).toBe('CONFLICT');
    expect(errorFields(wrong)).toEqual(['email']);
    const workspaces = await superuser.query('SELECT count(*)::int AS n FROM memberships WHERE user_id = $1', [uuid(first.user.id)]);
    expect(workspaces.rows[0].n).toBe(2);

    const me = await t.ok(ME, {}, second.token);
    expect(me.me.workspaces.map((w: { name: string }) => w.name)).toEqual(['First', 'Second']);
  });
});

describe('signIn', () => {
  let email: string;
  let firstWorkspace: string;
  let secondWorkspace: string;

  beforeAll(async () => {
    email = newEmail();
    firstWorkspace = (await t.ok(SIGN_UP, { input: { workspaceName: 'Older', name: 'Sam', email, password: PASSWORD } })).signUp.workspace.id;
    secondWorkspace = (await t.ok(SIGN_UP, { input: { workspaceName: 'Newer', name: 'Sam', email, password: PASSWORD } })).signUp.workspace.id;
  });

  test('with the right password enters the oldest workspace, or the one asked for', async () => {
    const oldest = await signIn({ email, password: PASSWORD });
    expect(oldest.errors).toBeUndefined();
    expect(oldest.data!.signIn).toMatchObject({ role: 'ADMIN', workspace: { id: firstWorkspace, name: 'Older' } });

    const chosen = (await t.ok(SIGN_IN, { input: { email, password: PASSWORD, workspaceId: secondWorkspace } })).signIn;
    expect(chosen.workspace).toEqual({ id: secondWorkspace, name: 'Newer' });
    const whereAmI = await t.ok(`{ workspace { id name } me { role } }`, {}, chosen.token);
    expect(whereAmI).toEqual({ workspace: { id: secondWorkspace, name: 'Newer' }, me: { role: 'ADMIN' } });
  });

  test('a wrong password and an unknown email get the same UNAUTHENTICATED answer', async () => {
    const wrong = await signIn({ email, password: 'wrong password 123' });
    const unknown = await signIn({ email: newEmail(), password: PASSWORD });
    expect(errorCode(wrong)).toBe('UNAUTHENTICATED');
    expect(errorCode(unknown)).toBe('UNAUTHENTICATED');
    expect(wrong.errors![0].message).toBe(unknown.errors![0].message);
    expect(wrong.data?.signIn ?? null).toBeNull();
  });

  test('a workspace the user does not belong to is refused', async () => {
    const stranger = await t.signUp('Stranger Ltd');
    const result = await signIn({ email, password: PASSWORD, workspaceId: stranger.workspaceId });
    expect(errorCode(result)).toBe('UNAUTHENTICATED');
    expect(result.data?.signIn ?? null).toBeNull();
  });

  test('a malformed workspace id is BAD_USER_INPUT on workspaceId', async () => {
    const result = await signIn({ email, password: PASSWORD, workspaceId: 'acc_00000000000000000000000000000000' });
    expect(errorCode(result)).toBe('BAD_USER_INPUT');
    expect(errorFields(result)).toEqual(['workspaceId']);
  });
});

describe('refresh tokens', () => {
  test('rotation: the new pair works, and reusing the old refresh token is refused and revokes the newer one too', async () => {
    const session = await t.signUp('Rotation');
    const rotated = await refresh(session.refreshToken);
    expect(rotated.errors).toBeUndefined();
    const next = rotated.data!.refreshToken;
    expect(next.refreshToken).not.toBe(session.refreshToken);
    expect((await t.ok(ME, {}, next.token)).me.id).toBe(session.userId);

    const reused = await refresh(session.refreshToken);
    expect(errorCode(reused)).toBe('UNAUTHENTICATED');
    expect(reused.data?.refreshToken ?? null).toBeNull();
    const afterReuse = await refresh(next.refreshToken);
    expect(errorCode(afterReuse)).toBe('UNAUTHENTICATED');
  });

  test('each refresh token works once in a chain of rotations', async () => {
    const session = await t.signUp('Chain');
    let token = session.refreshToken;
    for (let i = 0; i < 3; i++) token = (await t.ok(REFRESH, { token })).refreshToken.refreshToken;
    expect(errorCode(await refresh(session.refreshToken))).toBe('UNAUTHENTICATED');
    expect(errorCode(await refresh(token))).toBe('UNAUTHENTICATED');
  });

  test('the same refresh token presented several times at once rotates only once', async () => {
    const session = await t.signUp('Race');
    const results = await Promise.all(Array.from({ length: 6 }, () => refresh(session.refreshToken)));
    expect(results.map((r) => errorCode(r) ?? 'rotated').sort()).toEqual(['UNAUTHENTICATED', 'UNAUTHENTICATED', 'UNAUTHENTICATED', 'UNAUTHENTICATED', 'UNAUTHENTICATED', 'rotated']);
  });

  test('signOut revokes the refresh token', async () => {
    const session = await t.signUp('Sign out');
    const out = await t.ok(`mutation($token: String!) { signOut(refreshToken: $token) }`, { token: session.refreshToken });
    expect(out.signOut).toBe(true);
    expect(errorCode(await refresh(session.refreshToken))).toBe('UNAUTHENTICATED');
    const again = await t.ok(`mutation($token: String!) { signOut(refreshToken: $token) }`, { token: session.refreshToken });
    expect(again.signOut).toBe(false);
  });

  test('an access token is not a refresh token, and garbage is refused', async () => {
    const session = await t.signUp('Wrong kind');
    expect(errorCode(await refresh(session.token))).toBe('UNAUTHENTICATED');
    expect(errorCode(await refresh('garbage'))).toBe('UNAUTHENTICATED');
    expect((await refresh(session.refreshToken)).errors).toBeUndefined();
  });
});

describe('access-token attacks are UNAUTHENTICATED with no data', () => {
  let session: Session;
  let claims: { sub: string; wsp: string; role: string };

  beforeAll(async () => {
    session = await t.signUp('Fortress');
    claims = { sub: uuid(session.userId), wsp: uuid(session.workspaceId), role: 'ADMIN' };
  });

  const sign = (payload: object, secret: string, options: jwt.SignOptions) =>
    jwt.sign(payload, secret, { algorithm: 'HS256', issuer: 'headless-crm', ...options });
  const base64url = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

  test('the genuine token is accepted (so the refusals below are about the token)', async () => {
    const result = await withHeader(`Bearer ${session.token}`);
    expect(result.errors).toBeUndefined();
    expect(result.data).toEqual({ accounts: { totalCount: 0 }, me: { id: session.userId } });
    const handMade = sign({ wsp: claims.wsp, role: claims.role, typ: 'access' }, SECRET, { subject: claims.sub, expiresIn: 60 });
    expect((await withHeader(`Bearer ${handMade}`)).errors).toBeUndefined();
  });

  const attacks: Array<[string, () => string | undefined]> = [
    ['no Authorization header', () => undefined],
    ['an expired token', () => `Bearer ${sign({ wsp: claims.wsp, role: claims.role, typ: 'access' }, SECRET, { subject: claims.sub, expiresIn: -10 })}`],
    ['a token signed with another secret', () => `Bearer ${sign({ wsp: claims.wsp, role: claims.role, typ: 'access' }, 'another-secret-0123456789abcdef0123456789', { subject: claims.sub, expiresIn: 60 })}`],
    ['a token from another issuer', () => `Bearer ${jwt.sign({ wsp: claims.wsp, role: claims.role, typ: 'access' }, SECRET, { issuer: 'someone-else', subject: claims.sub, expiresIn: 60 })}`],
    [
      'an alg: none token',
      () => {
        const now = Math.floor(Date.now() / 1000);
        const body = { wsp: claims.wsp, role: claims.role, typ: 'access', sub: claims.sub, iss: 'headless-crm', iat: now, exp: now + 600 };
        return `Bearer ${base64url({ alg: 'none', typ: 'JWT' })}.${base64url(body)}.`;
      },
    ],
    ['a refresh token used as access token', () => `Bearer ${session.refreshToken}`],
    ['a token with its payload altered', () => {
      const [header, , signature] = session.token.split('.');
      const forged = { wsp: claims.wsp, role: 'ADMIN', typ: 'access', sub: claims.sub, iss: 'headless-crm', exp: Math.floor(Date.now() / 1000) + 600 };
      return `Bearer ${header}.${base64url(forged)}.${signature}`;
    }],
    ['"Token abc"', () => 'Token abc'],
    ['"Bearer" alone', () => 'Bearer'],
    ['"Bearer a b"', () => 'Bearer a b'],
    ['the token without "Bearer"', () => session.token],
  ];

  test.each(attacks)('%s', async (_label, header) => {
    const result = await withHeader(header());
    expect(result.data ?? null).toBeNull();
    expect(result.errors!.length).toBeGreaterThan(0);
    expect(result.errors!.map((e) => e.extensions?.code)).toEqual(result.errors!.map(() => 'UNAUTHENTICATED'));
  });
});
