import { TestApp, errorCode, errorFields, type GraphQLResult, type Session } from './support/test-app';

/** Keyset pagination, ordering and filters, exercised on accounts (every list shares the same store). */

interface Row {
  id: string;
  name: string;
  annualRevenue: string | null;
}

interface Page {
  totalCount: number;
  edges: Array<{ cursor: string; node: Row }>;
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
}

type Order = Array<{ field: string; direction: 'ASC' | 'DESC' }>;

const PAGE = `query($first: Int, $after: String, $last: Int, $before: String, $orderBy: [AccountOrder!], $filter: AccountFilter, $search: String) {
  accounts(first: $first, after: $after, last: $last, before: $before, orderBy: $orderBy, filter: $filter, search: $search) {
    totalCount
    edges { cursor node { id name annualRevenue } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}`;

let t: TestApp;

beforeAll(async () => {
  t = await TestApp.start('pagination');
});
afterAll(() => t.stop());

async function createAccounts(who: Session, inputs: Array<Record<string, unknown>>): Promise<Row[]> {
  const rows: Row[] = [];
  for (const input of inputs) {
    const data = await t.ok(`mutation($input: CreateAccountInput!) { createAccount(input: $input) { id name annualRevenue } }`, { input }, who);
    rows.push(data.createAccount);
  }
  return rows;
}

const fetchPage = (who: Session, args: Record<string, unknown>): Promise<GraphQLResult<{ accounts: Page }>> => t.gql(PAGE, args, who);

async function page(who: Session, args: Record<string, unknown>): Promise<Page> {
  return (await t.ok<{ accounts: Page }>(PAGE, args, who)).accounts;
}

/** Follows endCursor with `first` until hasNextPage is false; returns every page. */
async function pageForward(who: Session, first: number, extra: Record<string, unknown> = {}, from: string | null = null): Promise<Page[]> {
  const pages: Page[] = [];
  let after = from;
  for (;;) {
    const current = await page(who, { ...extra, first, after });
    pages.push(current);
    if (!current.pageInfo.hasNextPage) return pages;
    after = current.pageInfo.endCursor;
    if (pages.length > 100) throw new Error('paging does not end');
  }
}

/** Follows startCursor with `last` until hasPreviousPage is false; returns pages from the end backwards. */
async function pageBackward(who: Session, last: number, extra: Record<string, unknown> = {}): Promise<Page[]> {
  const pages: Page[] = [];
  let before: string | null = null;
  for (;;) {
    const current = await page(who, { ...extra, last, before });
    pages.push(current);
    if (!current.pageInfo.hasPreviousPage) return pages;
    before = current.pageInfo.startCursor;
    if (pages.length > 100) throw new Error('paging does not end');
  }
}

const ids = (pages: Page[]) => pages.flatMap((p) => p.edges.map((e) => e.node.id));

/** PostgreSQL orders uuids like their hex text, and public ids of one type share a prefix. */
const byId = (a: Row, b: Row) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/** NULL sorts as the largest value, as in PostgreSQL. */
function byRevenue(direction: 'ASC' | 'DESC') {
  const sign = direction === 'ASC' ? 1 : -1;
  return (a: Row, b: Row): number => {
    const x = a.annualRevenue === null ? Infinity : Number(a.annualRevenue);
    const y = b.annualRevenue === null ? Infinity : Number(b.annualRevenue);
    return x === y ? 0 : sign * (x < y ? -1 : 1);
  };
}

/** Ties by id, in the direction of the last order key. */
const revenueOrder = (direction: 'ASC' | 'DESC') => (a: Row, b: Row) =>
  byRevenue(direction)(a, b) || (direction === 'ASC' ? 1 : -1) * byId(a, b);

describe('paging through a list', () => {
  let who: Session;
  let rows: Row[];

  beforeAll(async () => {
    who = await t.signUp('Paging');
    const revenues = [null, '100', '250.5', null, '100', '9999', '0', '100', null, '42'];
    rows = await createAccounts(
      who,
      Array.from({ length: 25 }, (_, i) => ({ name: `Account ${String(i).padStart(2, '0')}`, annualRevenue: revenues[i % revenues.length] })),
    );
  });

  test('forward with first=7 visits every row exactly once, in order, for each ordering', async () => {
    const orderings: Array<[Order | undefined, Row[]]> = [
      [undefined, [...rows].reverse()],
      [[{ field: 'CREATED_AT', direction: 'ASC' }], rows],
      [[{ field: 'NAME', direction: 'ASC' }], rows],
      [[{ field: 'NAME', direction: 'DESC' }], [...rows].reverse()],
      [[{ field: 'UPDATED_AT', direction: 'ASC' }], rows],
    ];
    for (const [orderBy, expected] of orderings) {
      const pages = await pageForward(who, 7, { orderBy });
      expect({ orderBy, ids: ids(pages) }).toEqual({ orderBy, ids: expected.map((r) => r.id) });
      expect(pages.map((p) => p.edges.length)).toEqual([7, 7, 7, 4]);
    }
  });

  test('backward with last=7 and before visits every row exactly once, in order', async () => {
    for (const [orderBy, expected] of [
      [[{ field: 'CREATED_AT', direction: 'ASC' }], rows],
      [undefined, [...rows].reverse()],
    ] as Array<[Order | undefined, Row[]]>) {
      const pages = await pageBackward(who, 7, { orderBy });
      expect(pages.map((p) => p.edges.length)).toEqual([7, 7, 7, 4]);
      expect(ids([...pages].reverse())).toEqual(expected.map((r) => r.id));
    }
  });

  test('pageInfo is right at both ends and in the middle, in both directions', async () => {
    const orderBy = [{ field: 'NAME', direction: 'ASC' }];
    const [first, middle, , last] = await pageForward(who, 7, { orderBy });
    const info = (p: Page) => ({
      hasNextPage: p.pageInfo.hasNextPage,
      hasPreviousPage: p.pageInfo.hasPreviousPage,
      startIsFirstEdge: p.pageInfo.startCursor === p.edges[0].cursor,
      endIsLastEdge: p.pageInfo.endCursor === p.edges[p.edges.length - 1].cursor,
    });
    expect(info(first)).toEqual({ hasNextPage: true, hasPreviousPage: false, startIsFirstEdge: true, endIsLastEdge: true });
    expect(info(middle)).toEqual({ hasNextPage: true, hasPreviousPage: true, startIsFirstEdge: true, endIsLastEdge: true });
    expect(info(last)).toEqual({ hasNextPage: false, hasPreviousPage: true, startIsFirstEdge: true, endIsLastEdge: true });

    const [end, backMiddle, , start] = await pageBackward(who, 7, { orderBy });
    expect(info(end)).toEqual({ hasNextPage: false, hasPreviousPage: true, startIsFirstEdge: true, endIsLastEdge: true });
    expect(info(backMiddle)).toEqual({ hasNextPage: true, hasPreviousPage: true, startIsFirstEdge: true, endIsLastEdge: true });
    expect(info(start)).toEqual({ hasNextPage: true, hasPreviousPage: false, startIsFirstEdge: true, endIsLastEdge: true });

    const exact = await page(who, { orderBy, first: 25 });
    expect(exact.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: false });
    const empty = await page(who, { orderBy, first: 0 });
    expect(empty).toMatchObject({ edges: [], totalCount: 25, pageInfo: { hasNextPage: true, startCursor: null, endCursor: null } });
    const afterLast = await page(who, { orderBy, first: 7, after: last.pageInfo.endCursor });
    expect(afterLast.edges).toEqual([]);
    expect(afterLast.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: true });
  });

  test('ordering by a nullable column pages correctly in both directions', async () => {
    for (const direction of ['ASC', 'DESC'] as const) {
      const orderBy = [{ field: 'ANNUAL_REVENUE', direction }];
      const expected = [...rows].sort(revenueOrder(direction)).map((r) => r.id);
      expect({ direction, forward: ids(await pageForward(who, 4, { orderBy })) }).toEqual({ direction, forward: expected });
      expect({ direction, backward: ids((await pageBackward(who, 4, { orderBy })).reverse()) }).toEqual({ direction, backward: expected });
    }
  });

  test('ordering by several keys combines them, ties broken by id', async () => {
    const orderBy = [
      { field: 'ANNUAL_REVENUE', direction: 'DESC' },
      { field: 'NAME', direction: 'ASC' },
    ];
    const expected = [...rows].sort((a, b) => byRevenue('DESC')(a, b) || (a.name < b.name ? -1 : 1)).map((r) => r.id);
    expect(ids(await pageForward(who, 3, { orderBy }))).toEqual(expected);
    expect(ids((await pageBackward(who, 3, { orderBy })).reverse())).toEqual(expected);
  });
});

describe('paging while others write', () => {
  test('a row inserted and one deleted between two pages neither skips nor repeats the others', async () => {
    const who = await t.signUp('Writers');
    const rows = await createAccounts(who, Array.from({ length: 20 }, (_, i) => ({ name: `Row ${String(i * 2).padStart(2, '0')}` })));
    const orderBy = [{ field: 'NAME', direction: 'ASC' }];
    const first = await page(who, { orderBy, first: 7 });
    const seen = first.edges.map((e) => e.node.id);
    expect(seen).toEqual(rows.slice(0, 7).map((r) => r.id));

    // One new row lands among the rows still to come, one of those rows goes away, and the row at the cursor changes too.
    const [inserted] = await createAccounts(who, [{ name: 'Row 21' }]);
    const deleted = rows[12];
    await t.ok(`mutation($id: ID!) { deleteAccount(id: $id) { id } }`, { id: deleted.id }, who);
    await t.ok(`mutation($id: ID!) { updateAccount(id: $id, input: { industry: "Moved" }) { id } }`, { id: rows[6].id }, who);

    const rest = await pageForward(who, 7, { orderBy }, first.pageInfo.endCursor);
    const all = [...seen, ...ids(rest)];
    expect(new Set(all).size).toBe(all.length);
    const expected = [...rows.slice(0, 11), inserted, ...rows.slice(11)].filter((r) => r.id !== deleted.id).map((r) => r.id);
    expect(all).toEqual(expected);
  });
});

describe('ties', () => {
  test('rows with the same sort value are ordered by id and paged without loss', async () => {
    const who = await t.signUp('Ties');
    const rows = await createAccounts(who, Array.from({ length: 17 }, (_, i) => ({ name: i % 5 === 0 ? 'Zeta' : 'Same Name' })));
    for (const direction of ['ASC', 'DESC'] as const) {
      const orderBy = [{ field: 'NAME', direction }];
      const sign = direction === 'ASC' ? 1 : -1;
      const expected = [...rows].sort((a, b) => sign * (a.name === b.name ? byId(a, b) : a.name < b.name ? -1 : 1)).map((r) => r.id);
      expect(ids(await pageForward(who, 3, { orderBy }))).toEqual(expected);
      expect(ids((await pageBackward(who, 3, { orderBy })).reverse())).toEqual(expected);
    }
  });
});

describe('nested connections', () => {
  test("an account's contacts page like a top-level list, for every account of the page at once", async () => {
    const who = await t.signUp('Nested');
    const parents = await createAccounts(who, [{ name: 'Parent A' }, { name: 'Parent B' }, { name: 'Parent C' }]);
    const children = new Map<string, string[]>(parents.map((p) => [p.id, []]));
    for (let i = 0; i < 5; i++) {
      for (const parent of parents.slice(0, 2)) {
        const data = await t.ok(`mutation($input: CreateContactInput!) { createContact(input: $input) { id } }`, { input: { lastName: `Child ${i}`, accountId: parent.id } }, who);
        children.get(parent.id)!.push(data.createContact.id);
      }
    }
    const NESTED = `query($after: String) { accounts(orderBy: [{ field: NAME, direction: ASC }]) { edges { node { id
      contacts(first: 2, after: $after, orderBy: [{ field: CREATED_AT, direction: ASC }]) {
        totalCount edges { node { id } } pageInfo { hasNextPage hasPreviousPage endCursor }
      } } } } }`;
    const first = (await t.ok(NESTED, {}, who)).accounts.edges.map((e: { node: Record<string, any> }) => e.node);
    expect(first.map((n: { contacts: { totalCount: number } }) => n.contacts.totalCount)).toEqual([5, 5, 0]);
    expect(first[2].contacts).toMatchObject({ edges: [], pageInfo: { hasNextPage: false, hasPreviousPage: false, endCursor: null } });

    for (const [index, parent] of parents.slice(0, 2).entries()) {
      const seen: string[] = first[index].contacts.edges.map((e: { node: { id: string } }) => e.node.id);
      let pageInfo = first[index].contacts.pageInfo;
      expect(pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false });
      while (pageInfo.hasNextPage) {
        const next = await t.ok(
          `query($id: ID!, $after: String) { account(id: $id) { contacts(first: 2, after: $after, orderBy: [{ field: CREATED_AT, direction: ASC }]) {
            edges { node { id } } pageInfo { hasNextPage hasPreviousPage endCursor } } } }`,
          { id: parent.id, after: pageInfo.endCursor },
          who,
        );
        seen.push(...next.account.contacts.edges.map((e: { node: { id: string } }) => e.node.id));
        pageInfo = next.account.contacts.pageInfo;
        expect(pageInfo.hasPreviousPage).toBe(true);
      }
      expect(seen).toEqual(children.get(parent.id));
    }
  });
});

describe('refused page arguments', () => {
  let who: Session;
  let cursor: string;

  beforeAll(async () => {
    who = await t.signUp('Refusals');
    await createAccounts(who, [{ name: 'One' }, { name: 'Two' }, { name: 'Three' }]);
    cursor = (await page(who, { first: 1, orderBy: [{ field: 'NAME', direction: 'ASC' }] })).pageInfo.endCursor!;
  });

  test.each([
    ['first above the maximum', { first: 201 }, 'first'],
    ['negative first', { first: -1 }, 'first'],
    ['negative last', { last: -1 }, 'last'],
    ['last above the maximum', { last: 201 }, 'last'],
    ['garbage after', { first: 2, after: 'not-a-cursor' }, 'after'],
    ['garbage before', { last: 2, before: '!!!' }, 'before'],
    ['base64 of something else', { first: 2, after: Buffer.from('{"a":1}').toString('base64url') }, 'after'],
  ])('%s is BAD_USER_INPUT on the argument', async (_label, args, field) => {
    const result = await fetchPage(who, args);
    expect(errorCode(result)).toBe('BAD_USER_INPUT');
    expect(errorFields(result)).toEqual([field]);
    expect(result.data?.accounts ?? null).toBeNull();
  });

  test('first and last together are refused', async () => {
    const result = await fetchPage(who, { first: 2, last: 2 });
    expect(errorCode(result)).toBe('BAD_USER_INPUT');
    expect(errorFields(result).some((f) => f === 'first' || f === 'last')).toBe(true);
  });

  test('a cursor from another ordering is refused on after and before', async () => {
    const other = await fetchPage(who, { first: 2, after: cursor, orderBy: [{ field: 'NAME', direction: 'DESC' }] });
    expect(errorCode(other)).toBe('BAD_USER_INPUT');
    expect(errorFields(other)).toEqual(['after']);
    const byDefault = await fetchPage(who, { last: 2, before: cursor });
    expect(errorCode(byDefault)).toBe('BAD_USER_INPUT');
    expect(errorFields(byDefault)).toEqual(['before']);
    const same = await fetchPage(who, { first: 2, after: cursor, orderBy: [{ field: 'NAME', direction: 'ASC' }] });
    expect(same.errors).toBeUndefined();
    expect(same.data!.accounts.edges.map((e) => e.node.name)).toEqual(['Three', 'Two']);
  });
});

describe('filters and search', () => {
  let who: Session;
  const names = ['Alpha Foods', 'alpine Tools', 'Beta Labs', '100% Organic', '100 Percent', 'snake_case Ltd', 'snakeXcase Ltd', 'Back\\slash Inc'];

  beforeAll(async () => {
    who = await t.signUp('Filters');
    await createAccounts(who, [
      { name: 'Alpha Foods', country: 'DE', employeeCount: 500, annualRevenue: '1000' },
      { name: 'alpine Tools', country: 'AT', employeeCount: 20 },
      { name: 'Beta Labs', country: 'DE', employeeCount: 50, annualRevenue: '10' },
      { name: '100% Organic', country: 'FR', employeeCount: 150 },
      { name: '100 Percent', country: 'DE', employeeCount: 300 },
      { name: 'snake_case Ltd', country: 'DE' },
      { name: 'snakeXcase Ltd', country: 'US' },
      { name: 'Back\\slash Inc', country: 'US' },
    ]);
  });

  const matching = async (args: Record<string, unknown>) => {
    const result = await page(who, { first: 50, orderBy: [{ field: 'NAME', direction: 'ASC' }], ...args });
    return { totalCount: result.totalCount, names: result.edges.map((e) => e.node.name).sort() };
  };

  test('contains and startsWith ignore case and take % and _ literally', async () => {
    expect(await matching({ filter: { name: { contains: 'ALP' } } })).toEqual({ totalCount: 2, names: ['Alpha Foods', 'alpine Tools'] });
    expect(await matching({ filter: { name: { startsWith: 'ALPINE' } } })).toEqual({ totalCount: 1, names: ['alpine Tools'] });
    expect(await matching({ filter: { name: { contains: '0%' } } })).toEqual({ totalCount: 1, names: ['100% Organic'] });
    expect(await matching({ filter: { name: { startsWith: '100%' } } })).toEqual({ totalCount: 1, names: ['100% Organic'] });
    expect(await matching({ filter: { name: { contains: '%' } } })).toEqual({ totalCount: 1, names: ['100% Organic'] });
    expect(await matching({ filter: { name: { contains: 'e_c' } } })).toEqual({ totalCount: 1, names: ['snake_case Ltd'] });
    expect(await matching({ filter: { name: { startsWith: 'SNAKE_' } } })).toEqual({ totalCount: 1, names: ['snake_case Ltd'] });
    expect(await matching({ filter: { name: { contains: 'k\\s' } } })).toEqual({ totalCount: 1, names: ['Back\\slash Inc'] });
    expect(await matching({ search: '100%' })).toEqual({ totalCount: 1, names: ['100% Organic'] });
    expect(await matching({ search: 'Snake_' })).toEqual({ totalCount: 1, names: ['snake_case Ltd'] });
  });

  test('totalCount counts every row matching the filter, not just the page', async () => {
    const result = await page(who, { first: 1, filter: { country: { eq: 'DE' } } });
    expect(result.edges).toHaveLength(1);
    expect(result.totalCount).toBe(4);
    expect(result.pageInfo.hasNextPage).toBe(true);
    expect((await page(who, { first: 1 })).totalCount).toBe(names.length);
  });

  test('and, or and not nest', async () => {
    const filter = {
      or: [
        { name: { startsWith: 'alp' }, not: { country: { eq: 'AT' } } },
        { and: [{ country: { eq: 'DE' } }, { not: { or: [{ employeeCount: { lt: 100 } }, { employeeCount: { isNull: true } }] } }] },
      ],
    };
    expect(await matching({ filter })).toEqual({ totalCount: 2, names: ['100 Percent', 'Alpha Foods'] });
    expect(await matching({ filter: { not: filter } })).toEqual({
      totalCount: 6,
      names: ['100% Organic', 'Back\\slash Inc', 'Beta Labs', 'alpine Tools', 'snakeXcase Ltd', 'snake_case Ltd'],
    });
  });

  test('the other operators, on text, numbers and decimals', async () => {
    expect(await matching({ filter: { country: { in: ['AT', 'FR'] } } })).toEqual({ totalCount: 2, names: ['100% Organic', 'alpine Tools'] });
    expect((await matching({ filter: { country: { notIn: ['DE', 'US'] } } })).totalCount).toBe(2);
    expect((await matching({ filter: { country: { ne: 'DE' } } })).totalCount).toBe(4);
    expect(await matching({ filter: { employeeCount: { gte: 150, lte: 300 } } })).toEqual({ totalCount: 2, names: ['100 Percent', '100% Organic'] });
    expect(await matching({ filter: { employeeCount: { gt: 300 } } })).toEqual({ totalCount: 1, names: ['Alpha Foods'] });
    expect(await matching({ filter: { annualRevenue: { gt: '9.99' } } })).toEqual({ totalCount: 2, names: ['Alpha Foods', 'Beta Labs'] });
    expect((await matching({ filter: { annualRevenue: { isNull: true } } })).totalCount).toBe(6);
    expect((await matching({ filter: { employeeCount: { isNull: false } } })).totalCount).toBe(5);
  });

  test('filters and search narrow paging too', async () => {
    const pages = await pageForward(who, 1, { filter: { country: { eq: 'DE' } }, search: 'b', orderBy: [{ field: 'NAME', direction: 'ASC' }] });
    expect(pages.flatMap((p) => p.edges.map((e) => e.node.name))).toEqual(['Beta Labs']);
    expect(pages[0].totalCount).toBe(1);
  });
});
