import { TestApp, errorCode, errorFields, type Session } from './support/test-app';

const FIELDS = 'id name domain country employeeCount annualRevenue version deletedAt createdAt updatedAt owner { id }';

let t: TestApp;
let admin: Session;

beforeAll(async () => {
  t = await TestApp.start('accounts');
  admin = await t.signUp();
});
afterAll(() => t.stop());

const create = (input: Record<string, unknown>, who: Session = admin) =>
  t.gql(`mutation($input: CreateAccountInput!) { createAccount(input: $input) { ${FIELDS} } }`, { input }, who);

describe('accounts', () => {
  test('create, read, update, delete and restore', async () => {
    const created = await create({ name: 'Acme GmbH', domain: 'Acme.com', country: 'de', annualRevenue: '1250000.50', ownerId: admin.userId });
    expect(created.errors).toBeUndefined();
    const account = created.data!.createAccount;
    expect(account).toMatchObject({ name: 'Acme GmbH', domain: 'acme.com', country: 'DE', annualRevenue: '1250000.5000', version: 1, deletedAt: null, owner: { id: admin.userId } });
    expect(account.id).toMatch(/^acc_[0-9a-f]{32}$/);

    const read = await t.ok(`query($id: ID!) { account(id: $id) { ${FIELDS} } node(id: $id) { id ... on Account { name } } }`, { id: account.id }, admin);
    expect(read.account.name).toBe('Acme GmbH');
    expect(read.node).toEqual({ id: account.id, name: 'Acme GmbH' });

    const updated = await t.ok(
      `mutation($id: ID!, $input: AccountInput!) { updateAccount(id: $id, input: $input, expectedVersion: 1) { ${FIELDS} } }`,
      { id: account.id, input: { name: 'Acme AG', domain: null } },
      admin,
    );
    expect(updated.updateAccount).toMatchObject({ name: 'Acme AG', domain: null, version: 2, country: 'DE' });

    const deleted = await t.ok(`mutation($id: ID!) { deleteAccount(id: $id) { version deletedAt } }`, { id: account.id }, admin);
    expect(deleted.deleteAccount.deletedAt).not.toBeNull();
    const listed = await t.ok(`{ accounts(search: "acme") { totalCount } trash: accounts(search: "acme", withDeleted: true) { totalCount } }`, {}, admin);
    expect(listed).toEqual({ accounts: { totalCount: 0 }, trash: { totalCount: 1 } });

    const again = await t.gql(`mutation($id: ID!) { updateAccount(id: $id, input: { name: "x" }) { id } }`, { id: account.id }, admin);
    expect(errorCode(again)).toBe('NOT_FOUND');

    const restored = await t.ok(`mutation($id: ID!) { restoreAccount(id: $id) { version deletedAt name } }`, { id: account.id }, admin);
    expect(restored.restoreAccount).toEqual({ version: 4, deletedAt: null, name: 'Acme AG' });
  });

  test('stale expectedVersion is a CONFLICT carrying the current version, and changes nothing', async () => {
    const { createAccount: a } = (await create({ name: 'Versioned' })).data!;
    await t.ok(`mutation($id: ID!) { updateAccount(id: $id, input: { industry: "Retail" }) { version } }`, { id: a.id }, admin);
    const stale = await t.gql(`mutation($id: ID!) { updateAccount(id: $id, input: { name: "Lost" }, expectedVersion: 1) { id } }`, { id: a.id }, admin);
    expect(errorCode(stale)).toBe('CONFLICT');
    expect(stale.errors![0].extensions!.currentVersion).toBe(2);
    const now = await t.ok(`query($id: ID!) { account(id: $id) { name version } }`, { id: a.id }, admin);
    expect(now.account).toEqual({ name: 'Versioned', version: 2 });
  });

  test('bad input names the field and writes nothing', async () => {
    const before = (await t.ok(`{ accounts(withDeleted: true) { totalCount } }`, {}, admin)).accounts.totalCount;
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ name: '' }, 'name'],
      [{ name: 'x'.repeat(201) }, 'name'],
      [{ name: 'A', country: 'Germany' }, 'country'],
      [{ name: 'A', annualRevenue: '-5' }, 'annualRevenue'],
      [{ name: 'A', annualRevenue: 'lots' }, 'annualRevenue'],
      [{ name: 'A', employeeCount: 'many' }, 'employeeCount'],
      [{ name: 'A', ownerId: 'con_00000000000000000000000000000000' }, 'ownerId'],
      [{ name: 'A', domain: 'not a domain' }, 'domain'],
    ];
    for (const [input, field] of cases) {
      const result = await create(input);
      expect({ input, code: errorCode(result) }).toEqual({ input, code: 'BAD_USER_INPUT' });
      expect(errorFields(result).join(',')).toContain(field);
    }
    const literal = await t.gql(`mutation { createAccount(input: { name: "A", employeeCount: "x" }) { id } }`, {}, admin);
    expect(errorCode(literal)).toBe('BAD_USER_INPUT');
    expect(errorFields(literal)).toEqual(['employeeCount']);
    const after = (await t.ok(`{ accounts(withDeleted: true) { totalCount } }`, {}, admin)).accounts.totalCount;
    expect(after).toBe(before);
  });

  test('a duplicate domain among live accounts is a CONFLICT on domain', async () => {
    await create({ name: 'One', domain: 'dup.example' });
    const second = await create({ name: 'Two', domain: 'DUP.example' });
    expect(errorCode(second)).toBe('CONFLICT');
    expect(errorFields(second)).toEqual(['domain']);
  });

  test('`not` is the complement of its filter, including rows where the field is empty', async () => {
    await create({ name: 'Not Test DE', country: 'DE', industry: 'nottest' });
    await create({ name: 'Not Test FR', country: 'FR', industry: 'nottest' });
    await create({ name: 'Not Test none', industry: 'nottest' });
    const { accounts } = await t.ok(
      `{ accounts(filter: { industry: { eq: "nottest" }, not: { country: { eq: "DE" } } }, orderBy: [{ field: NAME }]) { edges { node { name } } } }`,
      {},
      admin,
    );
    expect(accounts.edges.map((e: { node: { name: string } }) => e.node.name)).toEqual(['Not Test FR', 'Not Test none']);
  });
});
