import { TestApp, errorCode, errorFields, type GraphQLResult, type Session } from './support/test-app';

const FIELDS = 'id name firstName lastName email phone jobTitle city country version deletedAt createdAt updatedAt account { id name } owner { id }';
const MISSING_DEAL = 'deal_00000000000000000000000000000000';

let t: TestApp;
let admin: Session;

beforeAll(async () => {
  t = await TestApp.start('contacts');
  admin = await t.signUp();
});
afterAll(() => t.stop());

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const create = (input: Record<string, unknown>, who: Session = admin) =>
  t.gql(`mutation($input: CreateContactInput!) { createContact(input: $input) { ${FIELDS} } }`, { input }, who);

async function createOk(input: Record<string, unknown>, who: Session = admin) {
  const result = await create(input, who);
  if (result.errors) throw new Error(`createContact failed: ${JSON.stringify(result.errors)}`);
  return result.data!.createContact;
}

const update = (id: string, input: Record<string, unknown>, who: Session = admin, expectedVersion?: number) =>
  t.gql(
    `mutation($id: ID!, $input: ContactInput!, $v: Int) { updateContact(id: $id, input: $input, expectedVersion: $v) { ${FIELDS} } }`,
    { id, input, v: expectedVersion },
    who,
  );

async function createAccount(name: string, who: Session = admin): Promise<string> {
  const data = await t.ok(`mutation($name: String!) { createAccount(input: { name: $name }) { id } }`, { name }, who);
  return data.createAccount.id;
}

/** The distinct input fields an error names (one field may break several rules). */
const fieldsOf = (result: GraphQLResult): string[] => [...new Set(errorFields(result))];

const countAll = async (who: Session = admin): Promise<number> =>
  (await t.ok(`{ contacts(withDeleted: true) { totalCount } }`, {}, who)).contacts.totalCount;

describe('contacts: writing', () => {
  test('create, read (also via node), update, delete and restore', async () => {
    const contact = await createOk({
      firstName: ' Ada ',
      lastName: ' Lovelace ',
      email: ' Ada@Example.com ',
      phone: '+44 20 7946 0000',
      jobTitle: 'Analyst',
      city: 'London',
      country: 'gb',
      ownerId: admin.userId,
    });
    expect(contact).toMatchObject({
      name: 'Ada Lovelace',
      firstName: 'Ada',
      lastName: 'Lovelace',
      email: 'Ada@Example.com',
      country: 'GB',
      version: 1,
      deletedAt: null,
      account: null,
      owner: { id: admin.userId },
    });
    expect(contact.id).toMatch(/^con_[0-9a-f]{32}$/);

    const read = await t.ok(`query($id: ID!) { contact(id: $id) { ${FIELDS} } node(id: $id) { id ... on Contact { name email } } }`, { id: contact.id }, admin);
    expect(read.contact).toEqual(contact);
    expect(read.node).toEqual({ id: contact.id, name: 'Ada Lovelace', email: 'Ada@Example.com' });

    const updated = await update(contact.id, { firstName: null, jobTitle: 'Countess', ownerId: null }, admin, 1);
    expect(updated.errors).toBeUndefined();
    expect(updated.data!.updateContact).toMatchObject({ name: 'Lovelace', firstName: null, jobTitle: 'Countess', owner: null, city: 'London', version: 2 });

    const stale = await update(contact.id, { city: 'Paris' }, admin, 1);
    expect(errorCode(stale)).toBe('CONFLICT');
    expect(stale.errors![0].extensions!.currentVersion).toBe(2);

    const deleted = await t.ok(`mutation($id: ID!) { deleteContact(id: $id, expectedVersion: 2) { version deletedAt } }`, { id: contact.id }, admin);
    expect(deleted.deleteContact.version).toBe(3);
    expect(deleted.deleteContact.deletedAt).not.toBeNull();
    const listed = await t.ok(`{ live: contacts(search: "lovelace") { totalCount } all: contacts(search: "lovelace", withDeleted: true) { totalCount } }`, {}, admin);
    expect(listed).toEqual({ live: { totalCount: 0 }, all: { totalCount: 1 } });
    const trashed = await t.ok(`query($id: ID!) { contact(id: $id) { city deletedAt } }`, { id: contact.id }, admin);
    expect(trashed.contact).toEqual({ city: 'London', deletedAt: deleted.deleteContact.deletedAt });
    expect(errorCode(await update(contact.id, { city: 'Paris' }))).toBe('NOT_FOUND');

    const restored = await t.ok(`mutation($id: ID!) { restoreContact(id: $id) { version deletedAt city name } }`, { id: contact.id }, admin);
    expect(restored.restoreContact).toEqual({ version: 4, deletedAt: null, city: 'London', name: 'Lovelace' });
  });

  test('link to an account and read it back from both sides', async () => {
    const accountId = await createAccount('Linked AG');
    const contact = await createOk({ lastName: 'Linked', accountId });
    expect(contact.account).toEqual({ id: accountId, name: 'Linked AG' });

    const query = `query($id: ID!) { account(id: $id) { contacts { totalCount edges { node { id account { id } } } } trash: contacts(withDeleted: true) { totalCount } } }`;
    const fromAccount = await t.ok(query, { id: accountId }, admin);
    expect(fromAccount.account.contacts).toEqual({ totalCount: 1, edges: [{ node: { id: contact.id, account: { id: accountId } } }] });

    const filtered = await t.ok(`query($a: ID!) { contacts(filter: { accountId: { eq: $a } }) { edges { node { id } } } }`, { a: accountId }, admin);
    expect(filtered.contacts.edges).toEqual([{ node: { id: contact.id } }]);

    await t.ok(`mutation($id: ID!) { deleteContact(id: $id) { id } }`, { id: contact.id }, admin);
    const afterDelete = await t.ok(query, { id: accountId }, admin);
    expect(afterDelete.account.contacts.totalCount).toBe(0);
    expect(afterDelete.account.trash.totalCount).toBe(1);

    await t.ok(`mutation($id: ID!) { restoreContact(id: $id) { id } }`, { id: contact.id }, admin);
    const unlinked = await update(contact.id, { accountId: null });
    expect(unlinked.data!.updateContact.account).toBeNull();
    expect((await t.ok(query, { id: accountId }, admin)).account.trash.totalCount).toBe(0);
  });

  test('a duplicate email among live contacts is a CONFLICT on email; a trashed contact’s email may be reused', async () => {
    const first = await createOk({ lastName: 'First', email: 'dup@example.com' });
    const duplicate = await create({ lastName: 'Second', email: ' DUP@example.com' });
    expect(errorCode(duplicate)).toBe('CONFLICT');
    expect(errorFields(duplicate)).toEqual(['email']);

    await t.ok(`mutation($id: ID!) { deleteContact(id: $id) { id } }`, { id: first.id }, admin);
    const reused = await createOk({ lastName: 'Second', email: 'dup@example.com' });
    expect(reused.email).toBe('dup@example.com');

    const restoreClash = await t.gql(`mutation($id: ID!) { restoreContact(id: $id) { id } }`, { id: first.id }, admin);
    expect(errorCode(restoreClash)).toBe('CONFLICT');
    expect(errorFields(restoreClash)).toEqual(['email']);
    const still = await t.ok(`query($id: ID!) { contact(id: $id) { deletedAt version } }`, { id: first.id }, admin);
    expect(still.contact.deletedAt).not.toBeNull();
    expect(still.contact.version).toBe(2);
  });

  test('bad input names the field and writes nothing', async () => {
    const trashedAccount = await createAccount('Trashed Ltd');
    await t.ok(`mutation($id: ID!) { deleteAccount(id: $id) { id } }`, { id: trashedAccount }, admin);
    const foreignAccount = await createAccount('Foreign Inc', await t.signUp('Other workspace'));
    const before = await countAll();
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ lastName: 'X', email: 'not-an-email' }, 'email'],
      [{ lastName: 'X', email: `${'a'.repeat(320)}@example.com` }, 'email'],
      [{ lastName: 'x'.repeat(101) }, 'lastName'],
      [{ lastName: '   ' }, 'lastName'],
      [{ lastName: 'X', firstName: '' }, 'firstName'],
      [{ lastName: 'X', country: 'Germany' }, 'country'],
      [{ lastName: 'X', phone: 'call me' }, 'phone'],
      [{ lastName: 'X', jobTitle: 'j'.repeat(151) }, 'jobTitle'],
      [{ lastName: 'X', city: 'c'.repeat(101) }, 'city'],
      [{ lastName: 'X', accountId: MISSING_DEAL }, 'accountId'],
      [{ lastName: 'X', accountId: 'acc_not-an-id' }, 'accountId'],
      [{ lastName: 'X', accountId: trashedAccount }, 'accountId'],
      [{ lastName: 'X', accountId: foreignAccount }, 'accountId'],
      [{ lastName: 'X', ownerId: 'con_00000000000000000000000000000000' }, 'ownerId'],
      [{ firstName: 'No last name' }, 'lastName'],
    ];
    for (const [input, field] of cases) {
      const result = await create(input);
      expect({ input, code: errorCode(result), fields: fieldsOf(result) }).toEqual({ input, code: 'BAD_USER_INPUT', fields: [field] });
    }
    expect(await countAll()).toBe(before);

    const contact = await createOk({ lastName: 'Steady', email: 'steady@example.com' });
    for (const [input, field] of [[{ lastName: null }, 'lastName'], [{ email: 'nope' }, 'email'], [{ accountId: trashedAccount }, 'accountId']] as const) {
      const result = await update(contact.id, input);
      expect({ input, code: errorCode(result), fields: fieldsOf(result) }).toEqual({ input, code: 'BAD_USER_INPUT', fields: [field] });
    }
    const unchanged = await t.ok(`query($id: ID!) { contact(id: $id) { lastName email account { id } version } }`, { id: contact.id }, admin);
    expect(unchanged.contact).toEqual({ lastName: 'Steady', email: 'steady@example.com', account: null, version: 1 });

    const wrongId = await t.gql(`query($id: ID!) { contact(id: $id) { id } }`, { id: trashedAccount }, admin);
    expect(errorCode(wrongId)).toBe('BAD_USER_INPUT');
    expect(errorFields(wrongId)).toEqual(['id']);
  });

  test('roles: read-only members cannot write, support cannot delete, other workspaces see nothing', async () => {
    const readOnly = await t.member(admin, 'READ_ONLY');
    const support = await t.member(admin, 'SUPPORT');
    expect(errorCode(await create({ lastName: 'Nope' }, readOnly))).toBe('FORBIDDEN');
    const contact = await createOk({ lastName: 'Supported' }, support);
    const del = await t.gql(`mutation($id: ID!) { deleteContact(id: $id) { id } }`, { id: contact.id }, support);
    expect(errorCode(del)).toBe('FORBIDDEN');

    const stranger = await t.signUp('Stranger GmbH');
    const foreign = await t.gql(`query($id: ID!) { contact(id: $id) { id } node(id: $id) { id } }`, { id: contact.id }, stranger);
    expect(errorCode(foreign)).toBe('NOT_FOUND');
    expect(errorCode(await update(contact.id, { lastName: 'Hijacked' }, stranger))).toBe('NOT_FOUND');
    expect((await t.ok(`query($id: ID!) { node(id: $id) { id } }`, { id: contact.id }, stranger)).node).toBeNull();
    expect((await t.ok(`{ contacts { totalCount } }`, {}, stranger)).contacts.totalCount).toBe(0);
  });
});

describe('contacts: filtering and search', () => {
  let owner: Session;
  let seller: Session;
  let acme: string;
  let beta: string;
  const created: Record<string, { id: string; createdAt: string }> = {};

  /** Last names of the contacts matching `filter`, sorted. */
  async function match(filter: Record<string, unknown>): Promise<string[]> {
    const result = await t.gql(`query($f: ContactFilter) { contacts(filter: $f, first: 200) { edges { node { lastName } } } }`, { f: filter }, owner);
    if (result.errors) throw new Error(JSON.stringify(result.errors));
    return result.data!.contacts.edges.map((e: { node: { lastName: string } }) => e.node.lastName).sort();
  }

  const searchFor = async (search: string): Promise<string[]> =>
    (await t.ok(`query($s: String) { contacts(search: $s) { edges { node { lastName } } } }`, { s: search }, owner)).contacts.edges
      .map((e: { node: { lastName: string } }) => e.node.lastName)
      .sort();

  /** Strictly after the record's stored time (stored with microseconds, returned with milliseconds). */
  const justAfter = (iso: string) => new Date(Date.parse(iso) + 1).toISOString();

  beforeAll(async () => {
    owner = await t.signUp('Filter GmbH');
    seller = await t.member(owner, 'SALES');
    acme = await createAccount('Acme', owner);
    beta = await createAccount('Beta', owner);
    const rows: Array<Record<string, unknown>> = [
      { firstName: 'Anna', lastName: 'Schmidt', email: 'anna@alpha.de', jobTitle: 'CEO', city: 'Berlin', country: 'DE', accountId: acme, ownerId: owner.userId },
      { firstName: 'Bernd', lastName: 'Schulz', email: 'bernd@beta.de', jobTitle: 'CTO', city: 'Hamburg', country: 'DE', accountId: beta, ownerId: seller.userId },
      { lastName: 'Meyer', city: 'Vienna', country: 'AT' },
      { firstName: 'Claire', lastName: 'Dubois', email: 'cd@gamma.fr', jobTitle: 'Head of Sales', city: 'Paris', country: 'FR', accountId: acme, ownerId: seller.userId },
      { firstName: 'anton', lastName: 'schmitz', email: 'anton@alpha.de', jobTitle: 'Sales Manager', ownerId: owner.userId },
    ];
    for (const row of rows) {
      const contact = await createOk(row, owner);
      created[contact.lastName] = contact;
      await sleep(3);
    }
    await update(created.Schulz.id, { jobTitle: 'CTO & Founder' }, owner);
  });

  test('text fields: eq, ne, in, notIn, contains, startsWith (ignoring case), isNull', async () => {
    expect(await match({ firstName: { eq: 'Anna' } })).toEqual(['Schmidt']);
    expect(await match({ firstName: { startsWith: 'AN' } })).toEqual(['Schmidt', 'schmitz']);
    expect(await match({ firstName: { isNull: true } })).toEqual(['Meyer']);
    expect(await match({ lastName: { ne: 'Schmidt' } })).toEqual(['Dubois', 'Meyer', 'Schulz', 'schmitz']);
    expect(await match({ lastName: { in: ['Meyer', 'Dubois', 'Nobody'] } })).toEqual(['Dubois', 'Meyer']);
    expect(await match({ lastName: { notIn: ['Meyer', 'Dubois'] } })).toEqual(['Schmidt', 'Schulz', 'schmitz']);
    expect(await match({ lastName: { contains: 'CHM' } })).toEqual(['Schmidt', 'schmitz']);
    expect(await match({ email: { contains: '@ALPHA.' } })).toEqual(['Schmidt', 'schmitz']);
    expect(await match({ email: { isNull: false } })).toEqual(['Dubois', 'Schmidt', 'Schulz', 'schmitz']);
    expect(await match({ jobTitle: { contains: 'sales' } })).toEqual(['Dubois', 'schmitz']);
    expect(await match({ jobTitle: { startsWith: 'cto' } })).toEqual(['Schulz']);
    expect(await match({ city: { in: ['Berlin', 'Paris'] } })).toEqual(['Dubois', 'Schmidt']);
    expect(await match({ city: { notIn: ['Berlin'] } })).toEqual(['Dubois', 'Meyer', 'Schulz', 'schmitz']);
    expect(await match({ country: { eq: 'DE' } })).toEqual(['Schmidt', 'Schulz']);
    expect(await match({ country: { ne: 'DE' } })).toEqual(['Dubois', 'Meyer', 'schmitz']);
    expect(await match({ country: { isNull: true } })).toEqual(['schmitz']);
  });

  test('reference fields take ids of their type', async () => {
    expect(await match({ accountId: { eq: acme } })).toEqual(['Dubois', 'Schmidt']);
    expect(await match({ accountId: { in: [beta] } })).toEqual(['Schulz']);
    expect(await match({ accountId: { notIn: [acme] } })).toEqual(['Meyer', 'Schulz', 'schmitz']);
    expect(await match({ accountId: { isNull: true } })).toEqual(['Meyer', 'schmitz']);
    expect(await match({ ownerId: { eq: seller.userId } })).toEqual(['Dubois', 'Schulz']);
    expect(await match({ ownerId: { ne: seller.userId } })).toEqual(['Meyer', 'Schmidt', 'schmitz']);
    expect(await match({ ownerId: { isNull: true } })).toEqual(['Meyer']);

    const wrongType = await t.gql(`{ contacts(filter: { accountId: { eq: "${MISSING_DEAL}" } }) { totalCount } }`, {}, owner);
    expect(errorCode(wrongType)).toBe('BAD_USER_INPUT');
    expect(errorFields(wrongType)).toEqual(['filter.accountId.eq']);
    const wrongOwner = await t.gql(`query($a: ID!) { contacts(filter: { ownerId: { in: [$a] } }) { totalCount } }`, { a: acme }, owner);
    expect(errorFields(wrongOwner)).toEqual(['filter.ownerId.in[0]']);
  });

  test('date-time fields: lt, lte, gt, gte', async () => {
    const { Schulz, Meyer, Dubois, schmitz } = created;
    expect(await match({ createdAt: { lt: Meyer.createdAt } })).toEqual(['Schmidt', 'Schulz']);
    expect(await match({ createdAt: { lte: justAfter(Schulz.createdAt) } })).toEqual(['Schmidt', 'Schulz']);
    expect(await match({ createdAt: { gt: justAfter(Meyer.createdAt) } })).toEqual(['Dubois', 'schmitz']);
    expect(await match({ createdAt: { gte: Meyer.createdAt, lt: Dubois.createdAt } })).toEqual(['Meyer']);
    expect(await match({ updatedAt: { gt: justAfter(schmitz.createdAt) } })).toEqual(['Schulz']);
    expect(await match({ updatedAt: { lte: justAfter(schmitz.createdAt) } })).toEqual(['Dubois', 'Meyer', 'Schmidt', 'schmitz']);
  });

  test('and, or and not combine conditions', async () => {
    expect(await match({ and: [{ country: { eq: 'DE' } }, { firstName: { startsWith: 'an' } }] })).toEqual(['Schmidt']);
    expect(await match({ or: [{ city: { eq: 'Paris' } }, { jobTitle: { isNull: true } }] })).toEqual(['Dubois', 'Meyer']);
    expect(await match({ not: { lastName: { startsWith: 'sch' } } })).toEqual(['Dubois', 'Meyer']);
    expect(
      await match({
        ownerId: { isNull: false },
        or: [{ accountId: { eq: acme } }, { email: { startsWith: 'anton@' } }],
        not: { or: [{ jobTitle: { contains: 'head' } }] },
      }),
    ).toEqual(['Schmidt', 'schmitz']);
  });

  test('search matches a case-insensitive prefix of first name, last name or email', async () => {
    expect(await searchFor('an')).toEqual(['Schmidt', 'schmitz']);
    expect(await searchFor('SCHU')).toEqual(['Schulz']);
    expect(await searchFor('cd@g')).toEqual(['Dubois']);
    expect(await searchFor('meyer')).toEqual(['Meyer']);
    expect(await searchFor('midt')).toEqual([]);
    expect(await searchFor('%')).toEqual([]);
  });
});

describe('contacts: ordering', () => {
  let owner: Session;
  type Row = { id: string; firstName: string | null; lastName: string };
  const rows: Row[] = [];

  beforeAll(async () => {
    owner = await t.signUp('Order GmbH');
    const inputs = [
      { firstName: 'Bea', lastName: 'Zimmer' },
      { firstName: null, lastName: 'Adler' },
      { firstName: 'Bea', lastName: 'Adler' },
      { firstName: 'Carl', lastName: 'Meyer' },
      { firstName: null, lastName: 'Meyer' },
      { firstName: 'Anton', lastName: 'Meyer' },
    ];
    for (const input of inputs) {
      rows.push(await createOk(input, owner));
      await sleep(3);
    }
    // Updated later, in this order: the second contact, then the first.
    for (const row of [rows[1], rows[0]]) {
      await update(row.id, { city: 'Bonn' }, owner);
      await sleep(3);
    }
  });

  /** Every contact in `orderBy`, fetched two at a time through the cursors. */
  async function pagedIds(orderBy: Record<string, string>[]): Promise<string[]> {
    const ids: string[] = [];
    let after: string | null = null;
    for (let pages = 0; pages <= rows.length; pages++) {
      const page: GraphQLResult = await t.gql(
        `query($o: [ContactOrder!], $after: String) { contacts(orderBy: $o, first: 2, after: $after) { edges { node { id } } pageInfo { hasNextPage endCursor } } }`,
        { o: orderBy, after },
        owner,
      );
      if (page.errors) throw new Error(JSON.stringify(page.errors));
      const { edges, pageInfo } = page.data!.contacts;
      ids.push(...edges.map((e: { node: { id: string } }) => e.node.id));
      if (!pageInfo.hasNextPage) return ids;
      after = pageInfo.endCursor;
    }
    throw new Error(`paging did not end: ${ids.join(', ')}`);
  }

  async function allIds(orderBy: Record<string, string>[]): Promise<string[]> {
    const data = await t.ok(`query($o: [ContactOrder!]) { contacts(orderBy: $o) { edges { node { id } } } }`, { o: orderBy }, owner);
    return data.contacts.edges.map((e: { node: { id: string } }) => e.node.id);
  }

  /** PostgreSQL's order: NULLs last ascending (first descending); ties by id in the same direction. */
  function sortedBy(key: (row: Row) => string | null, direction: 'ASC' | 'DESC'): string[] {
    const compare = (a: string | null, b: string | null) => (a === b ? 0 : a === null ? 1 : b === null ? -1 : a < b ? -1 : 1);
    const sign = direction === 'ASC' ? 1 : -1;
    return [...rows].sort((a, b) => sign * (compare(key(a), key(b)) || compare(a.id, b.id))).map((r) => r.id);
  }

  const byIndex = (indexes: number[]) => indexes.map((i) => rows[i].id);

  test.each([
    ['LAST_NAME', 'ASC'],
    ['LAST_NAME', 'DESC'],
    ['FIRST_NAME', 'ASC'],
    ['FIRST_NAME', 'DESC'],
  ] as const)('%s %s breaks ties by id, and paging keeps the order', async (field, direction) => {
    const key = field === 'LAST_NAME' ? (r: Row) => r.lastName : (r: Row) => r.firstName;
    const expected = sortedBy(key, direction);
    expect(await allIds([{ field, direction }])).toEqual(expected);
    expect(await pagedIds([{ field, direction }])).toEqual(expected);
  });

  test.each([
    ['CREATED_AT', 'ASC', [0, 1, 2, 3, 4, 5]],
    ['CREATED_AT', 'DESC', [5, 4, 3, 2, 1, 0]],
    ['UPDATED_AT', 'ASC', [2, 3, 4, 5, 1, 0]],
    ['UPDATED_AT', 'DESC', [0, 1, 5, 4, 3, 2]],
  ] as const)('%s %s', async (field, direction, indexes) => {
    expect(await allIds([{ field, direction }])).toEqual(byIndex([...indexes]));
    expect(await pagedIds([{ field, direction }])).toEqual(byIndex([...indexes]));
  });

  test('default is newest first; several fields combine', async () => {
    expect(await allIds([])).toEqual(byIndex([5, 4, 3, 2, 1, 0]));
    const combined = [{ field: 'LAST_NAME', direction: 'ASC' }, { field: 'FIRST_NAME', direction: 'DESC' }];
    expect(await allIds(combined)).toEqual(byIndex([1, 2, 4, 3, 5, 0]));
    expect(await pagedIds(combined)).toEqual(byIndex([1, 2, 4, 3, 5, 0]));
  });

  test('an unknown order field is bad input naming it', async () => {
    const literal = await t.gql(`{ contacts(orderBy: [{ field: AGE, direction: ASC }]) { totalCount } }`, {}, owner);
    expect(errorCode(literal)).toBe('BAD_USER_INPUT');
    expect(errorFields(literal)).toEqual(['field']);
    const variable = await t.gql(`query($o: [ContactOrder!]) { contacts(orderBy: $o) { totalCount } }`, { o: [{ field: 'AGE', direction: 'ASC' }] }, owner);
    expect(errorCode(variable)).toBe('BAD_USER_INPUT');
    expect(errorFields(variable)).toEqual(['field']);
  });
});

describe('Account.contacts', () => {
  test('a page of 5 accounts and a page of 40 run the same number of SQL statements, with the right contacts each', async () => {
    const owner = await t.signUp('Nested GmbH');
    const accountIds: string[] = [];
    for (let i = 0; i < 40; i++) accountIds.push(await createAccount(`Account ${String(i).padStart(2, '0')}`, owner));
    // Account i gets i % 5 contacts, created one after the other so "newest first" is known.
    const expected = new Map<string, string[]>();
    await Promise.all(
      accountIds.map(async (accountId, i) => {
        const names: string[] = [];
        for (let j = 0; j < i % 5; j++) {
          await createOk({ lastName: `C${i}-${j}`, accountId }, owner);
          names.push(`C${i}-${j}`);
          await sleep(2);
        }
        expected.set(accountId, names.reverse());
      }),
    );

    const query = `query($n: Int!) {
      accounts(first: $n, orderBy: [{ field: NAME, direction: ASC }]) {
        edges { node { id contacts(first: 3) { totalCount pageInfo { hasNextPage } edges { node { lastName account { id } } } } } }
      }
    }`;
    const run = async (n: number) => {
      const before = t.statements;
      const data = await t.ok(query, { n }, owner);
      return { statements: t.statements - before, accounts: data.accounts.edges.map((e: { node: unknown }) => e.node) };
    };
    const small = await run(5);
    const large = await run(40);
    expect(large.accounts).toHaveLength(40);
    expect(large.statements).toBe(small.statements);

    for (const account of [...small.accounts, ...large.accounts]) {
      const names = expected.get(account.id)!;
      expect(account.contacts).toEqual({
        totalCount: names.length,
        pageInfo: { hasNextPage: names.length > 3 },
        edges: names.slice(0, 3).map((lastName) => ({ node: { lastName, account: { id: account.id } } })),
      });
    }
  });
});
