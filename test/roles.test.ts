import { Permission, ROLE_PERMISSIONS, Role } from '../src/kernel/auth/roles';
import { TestApp, errorCode, errorFields, type GraphQLResult, type Session } from './support/test-app';

const PASSWORD = 'correct horse battery';

let t: TestApp;
let admin: Session;
let seedAccountId: string;
let mailbox = 0;

beforeAll(async () => {
  t = await TestApp.start('roles');
  admin = await t.signUp('Matrix');
  seedAccountId = (await t.ok(`mutation { createAccount(input: { name: "Seed" }) { id } }`, {}, admin)).createAccount.id;
});
afterAll(() => t.stop());

const newEmail = () => `member${++mailbox}.${Date.now()}@example.com`;

/** Total of a list as the admin sees it, trash included: what a refused write must leave alone. */
const total = (list: string, args = '(withDeleted: true)') => async (): Promise<number> =>
  (await t.ok(`{ ${list}${args} { totalCount } }`, {}, admin))[list].totalCount;

interface Representative {
  name: string;
  run: (who: Session) => Promise<GraphQLResult>;
  /** A snapshot of what the operation changes, taken before and after. */
  state: () => Promise<unknown>;
}

/** One operation per permission; keyed by Permission so a new permission fails to compile until it has one. */
const REPRESENTATIVES: Record<Permission, Representative> = {
  [Permission.READ]: {
    name: 'accounts',
    run: (who) => t.gql(`{ accounts { totalCount } }`, {}, who),
    state: async () => null,
  },
  [Permission.WRITE_ACCOUNTS]: {
    name: 'createAccount',
    run: (who) => t.gql(`mutation { createAccount(input: { name: "By role" }) { id } }`, {}, who),
    state: total('accounts'),
  },
  [Permission.WRITE_CONTACTS]: {
    name: 'createContact',
    run: (who) => t.gql(`mutation { createContact(input: { lastName: "By role" }) { id } }`, {}, who),
    state: total('contacts'),
  },
  [Permission.WRITE_DEALS]: {
    name: 'createDeal',
    run: (who) => t.gql(`mutation { createDeal(input: { name: "By role" }) { id } }`, {}, who),
    state: total('deals'),
  },
  [Permission.WRITE_TICKETS]: {
    name: 'createTicket',
    run: (who) => t.gql(`mutation { createTicket(input: { subject: "By role" }) { id } }`, {}, who),
    state: total('tickets'),
  },
  [Permission.WRITE_ACTIVITIES]: {
    name: 'createActivity',
    run: (who) =>
      t.gql(`mutation($accountId: ID!) { createActivity(input: { type: NOTE, subject: "By role", accountId: $accountId }) { id } }`, { accountId: seedAccountId }, who),
    state: total('activities'),
  },
  [Permission.DELETE_RECORDS]: {
    name: 'deleteAccount',
    run: async (who) => {
      const victim = (await t.ok(`mutation { createAccount(input: { name: "Victim" }) { id } }`, {}, admin)).createAccount.id;
      return t.gql(`mutation($id: ID!) { deleteAccount(id: $id) { id } }`, { id: victim }, who);
    },
    // Every victim is created live; only an allowed delete moves one to the trash.
    state: async () => (await total('accounts', '(withDeleted: true)')()) - (await total('accounts', '')()),
  },
  [Permission.MANAGE_PIPELINES]: {
    name: 'createPipeline',
    run: (who) =>
      t.gql(
        `mutation { createPipeline(input: { name: "By role", stages: [
          { name: "Open", probability: 10, kind: OPEN }, { name: "Won", probability: 100, kind: WON }, { name: "Lost", probability: 0, kind: LOST }
        ] }) { id } }`,
        {},
        who,
      ),
    state: total('pipelines'),
  },
  [Permission.MANAGE_ROUTING]: {
    name: 'createTeam',
    run: (who) => t.gql(`mutation($name: String!) { createTeam(input: { name: $name }) { id } }`, { name: `Team ${newEmail()}` }, who),
    state: async () => (await t.ok(`{ teams { id } }`, {}, admin)).teams.length,
  },
  [Permission.MANAGE_MEMBERS]: {
    name: 'addMember',
    run: (who) =>
      t.gql(`mutation($input: AddMemberInput!) { addMember(input: $input) { id } }`, { input: { email: newEmail(), role: 'READ_ONLY', name: 'New', password: PASSWORD } }, who),
    state: total('members', ''),
  },
  [Permission.MANAGE_SLA]: {
    name: 'createBusinessCalendar',
    run: (who) =>
      t.gql(
        `mutation { createBusinessCalendar(input: { name: "By role", timeZone: "UTC", openingHours: [{ weekday: MONDAY, start: "09:00", end: "17:00" }] }) { id } }`,
        {},
        who,
      ),
    state: total('businessCalendars'),
  },
  [Permission.MANAGE_WORKSPACE]: {
    name: 'updateWorkspaceSettings',
    run: (who) => t.gql(`mutation { updateWorkspaceSettings(input: { renewalTaskDaysBefore: ${++mailbox} }) { id } }`, {}, who),
    state: async () => (await t.ok(`{ workspace { version } }`, {}, admin)).workspace.version,
  },
  [Permission.MANAGE_AUTOMATIONS]: {
    name: 'createAutomation',
    run: (who) =>
      t.gql(
        `mutation { createAutomation(input: { name: "By role", trigger: { type: RECORD_CREATED, objectType: DEAL },
          actions: [{ type: ADD_TAG, tag: "new" }] }) { id } }`,
        {},
        who,
      ),
    state: total('automations', ''),
  },
  [Permission.MANAGE_PRODUCTS]: {
    name: 'createProduct',
    run: (who) => t.gql(`mutation($sku: String!) { createProduct(input: { sku: $sku, name: "By role", price: "1.00" }) { id } }`, { sku: `SKU-${++mailbox}` }, who),
    state: total('products'),
  },
  [Permission.WRITE_ORDERS]: {
    name: 'createOrder',
    run: (who) =>
      t.gql(`mutation($number: String!, $accountId: ID!) { createOrder(input: { number: $number, accountId: $accountId }) { id } }`, { number: `SO-${++mailbox}`, accountId: seedAccountId }, who),
    state: total('orders'),
  },
  [Permission.MANAGE_WEBHOOKS]: {
    name: 'createWebhook',
    run: (who) => t.gql(`mutation { createWebhook(input: { url: "http://127.0.0.1:9/hook", events: ["deal.*"] }) { webhook { id } } }`, {}, who),
    state: async () => (await t.ok(`{ webhooks { id } }`, {}, admin)).webhooks.length,
  },
  [Permission.READ_REPORTS]: {
    name: 'dealAggregate',
    run: (who) => t.gql(`{ dealAggregate(groupBy: [STAGE], measures: [COUNT]) { total { count } } }`, {}, who),
    state: async () => null,
  },
  [Permission.MANAGE_QUOTAS]: {
    name: 'setQuota',
    run: async (who) => {
      const self = (await t.ok(`{ members(filter: { role: { eq: ADMIN } }) { edges { node { id } } } }`, {}, admin)).members.edges[0].node.id;
      return t.gql(`mutation($id: ID!, $amount: Decimal!) { setQuota(memberId: $id, period: "2026-Q1", amount: $amount) { id } }`, { id: self, amount: `${++mailbox}.00` }, who);
    },
    state: async () => (await t.ok(`{ quotas(period: "2026-Q1") { amount } }`, {}, admin)).quotas,
  },
  [Permission.WRITE_HISTORY]: {
    name: 'upsertDeal with createdAt',
    run: (who) =>
      t.gql(
        `mutation($ref: ExternalRefInput!) { upsertDeal(input: { name: "By role", externalRef: $ref, createdAt: "2024-03-01T09:00:00.000Z" }) { deal { id } } }`,
        { ref: { system: 'old-crm', id: newEmail() } },
        who,
      ),
    state: total('deals'),
  },
};

const ROLES = Object.values(Role);
const PERMISSIONS = Object.values(Permission);

describe('the permission matrix, row by row', () => {
  const sessions = new Map<Role, Session>();

  beforeAll(async () => {
    for (const role of ROLES) sessions.set(role, await t.member(admin, role));
  });

  test('every role is signed in with its role', async () => {
    for (const role of ROLES) expect((await t.ok(`{ me { role } }`, {}, sessions.get(role))).me.role).toBe(role);
  });

  const cases = ROLES.flatMap((role) =>
    PERMISSIONS.map((permission) => ({ role, permission, allowed: ROLE_PERMISSIONS[role].has(permission), op: REPRESENTATIVES[permission].name })),
  );

  test.each(cases)('$role → $permission ($op): allowed=$allowed', async ({ role, permission, allowed }) => {
    const representative = REPRESENTATIVES[permission];
    const before = await representative.state();
    const result = await representative.run(sessions.get(role)!);
    const after = await representative.state();
    if (allowed) {
      expect(result.errors).toBeUndefined();
      expect(result.data).not.toBeNull();
    } else {
      expect(errorCode(result)).toBe('FORBIDDEN');
      expect(result.data ?? null).toBeNull();
      expect(after).toEqual(before);
    }
  });

});

describe('member management', () => {
  const ADD = `mutation($input: AddMemberInput!) { addMember(input: $input) { id role user { id email } } }`;
  const CHANGE = `mutation($id: ID!, $role: Role!) { changeMemberRole(id: $id, role: $role) { id role version } }`;
  const REMOVE = `mutation($id: ID!) { removeMember(id: $id) { id deletedAt } }`;
  const SIGN_IN = `mutation($input: SignInInput!) { signIn(input: $input) { token refreshToken role workspace { id } } }`;
  const REFRESH = `mutation($token: String!) { refreshToken(refreshToken: $token) { token refreshToken role } }`;

  const signIn = (email: string, workspaceId: string, password = PASSWORD) => t.gql(SIGN_IN, { input: { email, password, workspaceId } });
  const memberCount = async (owner: Session) => (await t.ok(`{ members { totalCount } }`, {}, owner)).members.totalCount;

  test('adds a new user, who can then sign in with the role given', async () => {
    const owner = await t.signUp('Newcomers');
    const email = newEmail();
    const added = (await t.ok(ADD, { input: { email, role: 'SUPPORT', name: 'Sue', password: PASSWORD } }, owner)).addMember;
    expect(added).toMatchObject({ role: 'SUPPORT', user: { email } });
    expect(added.id).toMatch(/^mem_[0-9a-f]{32}$/);
    const session = await signIn(email, owner.workspaceId);
    expect(session.data!.signIn).toMatchObject({ role: 'SUPPORT', workspace: { id: owner.workspaceId } });
    const listed = await t.ok(`{ members { edges { node { role user { email } } } } }`, {}, owner);
    expect(listed.members.edges.map((e: { node: { user: { email: string } } }) => e.node.user.email)).toContain(email);
  });

  test('adds an existing user of another workspace without touching their password', async () => {
    const elsewhere = await t.signUp('Elsewhere');
    const owner = await t.signUp('Here');
    const added = await t.gql(ADD, { input: { email: elsewhere.email.toUpperCase(), role: 'SALES', name: 'Ignored', password: 'a new password 99' } }, owner);
    expect(added.errors).toBeUndefined();
    expect(added.data!.addMember.user.id).toBe(elsewhere.userId);
    expect(errorCode(await signIn(elsewhere.email, owner.workspaceId, 'a new password 99'))).toBe('UNAUTHENTICATED');
    const entered = await signIn(elsewhere.email, owner.workspaceId);
    expect(entered.data!.signIn).toMatchObject({ role: 'SALES', workspace: { id: owner.workspaceId } });
  });

  test('a new user needs a name and a password; an existing member cannot be added twice', async () => {
    const owner = await t.signUp('Rules');
    const before = await memberCount(owner);
    const noPassword = await t.gql(ADD, { input: { email: newEmail(), role: 'SALES', name: 'Pat' } }, owner);
    expect(errorCode(noPassword)).toBe('BAD_USER_INPUT');
    expect(errorFields(noPassword)).toEqual(['password']);
    const noName = await t.gql(ADD, { input: { email: newEmail(), role: 'SALES', password: PASSWORD } }, owner);
    expect(errorCode(noName)).toBe('BAD_USER_INPUT');
    expect(errorFields(noName)).toEqual(['name']);
    const badEmail = await t.gql(ADD, { input: { email: 'nope', role: 'SALES', name: 'Pat', password: PASSWORD } }, owner);
    expect(errorFields(badEmail)).toEqual(['email']);
    const twice = await t.gql(ADD, { input: { email: owner.email, role: 'SALES' } }, owner);
    expect(errorCode(twice)).toBe('CONFLICT');
    expect(errorFields(twice)).toEqual(['email']);
    expect(await memberCount(owner)).toBe(before);
  });

  test('changeMemberRole takes effect at the next sign-in and the next refresh', async () => {
    const owner = await t.signUp('Promotions');
    const email = newEmail();
    const added = (await t.ok(ADD, { input: { email, role: 'SALES', name: 'Sal', password: PASSWORD } }, owner)).addMember;
    const session = (await t.ok(SIGN_IN, { input: { email, password: PASSWORD, workspaceId: owner.workspaceId } })).signIn;
    expect(errorCode(await t.gql(`mutation { createTicket(input: { subject: "Not yet" }) { id } }`, {}, session.token))).toBe('FORBIDDEN');

    const changed = (await t.ok(CHANGE, { id: added.id, role: 'MANAGER' }, owner)).changeMemberRole;
    expect(changed).toMatchObject({ role: 'MANAGER', version: 2 });
    const refreshed = (await t.ok(REFRESH, { token: session.refreshToken })).refreshToken;
    expect(refreshed.role).toBe('MANAGER');
    expect((await t.gql(`mutation { createTicket(input: { subject: "Now" }) { id } }`, {}, refreshed.token)).errors).toBeUndefined();
    expect((await signIn(email, owner.workspaceId)).data!.signIn.role).toBe('MANAGER');
  });

  test('the last admin can be neither demoted nor removed', async () => {
    const owner = await t.signUp('Lonely');
    const self = (await t.ok(`{ members { edges { node { id role } } } }`, {}, owner)).members.edges[0].node;
    expect(self.role).toBe('ADMIN');
    const demoted = await t.gql(CHANGE, { id: self.id, role: 'MANAGER' }, owner);
    expect(errorCode(demoted)).toBe('CONFLICT');
    const removed = await t.gql(REMOVE, { id: self.id }, owner);
    expect(errorCode(removed)).toBe('CONFLICT');
    expect((await t.ok(`{ members { edges { node { role deletedAt } } } }`, {}, owner)).members.edges).toEqual([{ node: { role: 'ADMIN', deletedAt: null } }]);

    // With a second admin the first may step down; then the second is the last.
    const email = newEmail();
    const second = (await t.ok(ADD, { input: { email, role: 'ADMIN', name: 'Deputy', password: PASSWORD } }, owner)).addMember;
    expect((await t.ok(CHANGE, { id: self.id, role: 'MANAGER' }, owner)).changeMemberRole.role).toBe('MANAGER');
    const deputy = (await t.ok(SIGN_IN, { input: { email, password: PASSWORD, workspaceId: owner.workspaceId } })).signIn;
    expect(errorCode(await t.gql(CHANGE, { id: second.id, role: 'SALES' }, deputy.token))).toBe('CONFLICT');
    expect(errorCode(await t.gql(REMOVE, { id: second.id }, deputy.token))).toBe('CONFLICT');
    const admins = await t.ok(`{ members(filter: { role: { eq: ADMIN } }) { edges { node { id } } } }`, {}, deputy.token);
    expect(admins.members.edges).toEqual([{ node: { id: second.id } }]);
  });

  test('two admins demoting each other at once leave one admin (a few rounds, as races are timing-dependent)', async () => {
    for (let round = 0; round < 4; round++) {
      const owner = await t.signUp('Coup');
      const self = (await t.ok(`{ members { edges { node { id } } } }`, {}, owner)).members.edges[0].node;
      const email = newEmail();
      const other = (await t.ok(ADD, { input: { email, role: 'ADMIN', name: 'Rival', password: PASSWORD } }, owner)).addMember;
      const rival = (await t.ok(SIGN_IN, { input: { email, password: PASSWORD, workspaceId: owner.workspaceId } })).signIn;
      const results = await Promise.all([
        t.gql(CHANGE, { id: other.id, role: 'SALES' }, owner),
        t.gql(CHANGE, { id: self.id, role: 'SALES' }, rival.token),
      ]);
      // The later one is refused: CONFLICT (last admin) or, once its own demotion is seen, FORBIDDEN.
      const outcomes = results.map((r) => errorCode(r) ?? 'changed');
      expect(outcomes.filter((o) => o === 'changed')).toHaveLength(1);
      expect(outcomes.filter((o) => o !== 'changed')).toEqual([expect.stringMatching(/^(CONFLICT|FORBIDDEN)$/)]);
      const admins = await t.ok(`{ members(filter: { role: { eq: ADMIN } }) { totalCount } }`, {}, owner);
      expect(admins.members.totalCount).toBe(1);
    }
  });

  test('a removed member cannot refresh or sign in to the workspace, and can be added back', async () => {
    const owner = await t.signUp('Leavers');
    const email = newEmail();
    const added = (await t.ok(ADD, { input: { email, role: 'SALES', name: 'Leo', password: PASSWORD } }, owner)).addMember;
    const session = (await t.ok(SIGN_IN, { input: { email, password: PASSWORD, workspaceId: owner.workspaceId } })).signIn;

    const removed = (await t.ok(REMOVE, { id: added.id }, owner)).removeMember;
    expect(removed.deletedAt).not.toBeNull();
    expect(errorCode(await t.gql(REFRESH, { token: session.refreshToken }))).toBe('UNAUTHENTICATED');
    expect(errorCode(await signIn(email, owner.workspaceId))).toBe('UNAUTHENTICATED');
    const listed = await t.ok(`{ members { edges { node { id } } } }`, {}, owner);
    expect(listed.members.edges.map((e: { node: { id: string } }) => e.node.id)).not.toContain(added.id);

    const back = (await t.ok(ADD, { input: { email, role: 'READ_ONLY' } }, owner)).addMember;
    expect(back).toMatchObject({ id: added.id, role: 'READ_ONLY' });
    expect((await signIn(email, owner.workspaceId)).data!.signIn.role).toBe('READ_ONLY');
  });

  test("a demoted or removed admin's access token, still unexpired, cannot manage members", async () => {
    const owner = await t.signUp('Mutiny');
    const email = newEmail();
    const deputy = (await t.ok(ADD, { input: { email, role: 'ADMIN', name: 'Deputy', password: PASSWORD } }, owner)).addMember;
    const stale = (await t.ok(SIGN_IN, { input: { email, password: PASSWORD, workspaceId: owner.workspaceId } })).signIn.token;

    await t.ok(CHANGE, { id: deputy.id, role: 'READ_ONLY' }, owner);
    const promoteSelf = await t.gql(CHANGE, { id: deputy.id, role: 'ADMIN' }, stale);
    expect(errorCode(promoteSelf)).toBe('FORBIDDEN');
    const addFriend = await t.gql(ADD, { input: { email: newEmail(), role: 'ADMIN', name: 'Friend', password: PASSWORD } }, stale);
    expect(errorCode(addFriend)).toBe('FORBIDDEN');

    await t.ok(REMOVE, { id: deputy.id }, owner);
    const addSelfBack = await t.gql(ADD, { input: { email, role: 'ADMIN' } }, stale);
    expect(errorCode(addSelfBack)).toBe('UNAUTHENTICATED');

    const seats = await t.ok(`{ members { totalCount edges { node { role } } } }`, {}, owner);
    expect(seats.members).toEqual({ totalCount: 1, edges: [{ node: { role: 'ADMIN' } }] });
  });

  test('a role change or a removal applies to the very next request, whatever the token says', async () => {
    const owner = await t.signUp('Immediate');
    const email = newEmail();
    const seat = (await t.ok(ADD, { input: { email, role: 'SALES', name: 'Ima', password: PASSWORD } }, owner)).addMember;
    const token = (await t.ok(SIGN_IN, { input: { email, password: PASSWORD, workspaceId: owner.workspaceId } })).signIn.token;
    const createAccount = () => t.gql(`mutation { createAccount(input: { name: "Probe" }) { id } }`, {}, token);
    const createTicket = () => t.gql(`mutation { createTicket(input: { subject: "Probe" }) { id } }`, {}, token);

    expect((await createAccount()).errors).toBeUndefined();
    await t.ok(CHANGE, { id: seat.id, role: 'READ_ONLY' }, owner);
    expect(errorCode(await createAccount())).toBe('FORBIDDEN');
    await t.ok(CHANGE, { id: seat.id, role: 'SUPPORT' }, owner);
    expect((await createTicket()).errors).toBeUndefined();
    await t.ok(REMOVE, { id: seat.id }, owner);
    const read = await t.gql(`{ accounts { totalCount } }`, {}, token);
    expect(errorCode(read)).toBe('UNAUTHENTICATED');
    expect(read.data).toBeNull();
    expect(errorCode(await t.gql(`{ me { id } }`, {}, token))).toBe('UNAUTHENTICATED');
  });

  test('members of another workspace cannot be changed or removed', async () => {
    const owner = await t.signUp('Ours');
    const theirs = await t.signUp('Theirs');
    const foreign = (await t.ok(ADD, { input: { email: newEmail(), role: 'SALES', name: 'Far', password: PASSWORD } }, theirs)).addMember;
    expect(errorCode(await t.gql(CHANGE, { id: foreign.id, role: 'ADMIN' }, owner))).toBe('NOT_FOUND');
    expect(errorCode(await t.gql(REMOVE, { id: foreign.id }, owner))).toBe('NOT_FOUND');
    const still = await t.ok(`{ members { edges { node { id role deletedAt } } } }`, {}, theirs);
    expect(still.members.edges.map((e: { node: unknown }) => e.node)).toContainEqual({ id: foreign.id, role: 'SALES', deletedAt: null });
  });
});
