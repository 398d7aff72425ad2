import { TestApp, type Session } from './support/test-app';

/**
 * Text ordering, startsWith and search share one sort key per text field (migration
 * 1763800000030): case and accents are ignored, ä ö ü ß read as ae oe ue ss, ties go by id.
 */

/** The sort key for the letters these tests use, written independently of the SQL function. */
const key = (text: string): string =>
  text
    .normalize('NFKD')
    .toLowerCase()
    .replace(/([aou])\u0308/g, '$1e')
    .replace(/ß/g, 'ss')
    .replace(/[\u0300-\u036f]/g, '');

interface Named {
  id: string;
  text: string;
}

/** PostgreSQL orders uuids like their hex text, and public ids of one type share a prefix. */
const compareIds = (a: Named, b: Named) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
const byKey = (a: Named, b: Named) => (key(a.text) < key(b.text) ? -1 : key(a.text) > key(b.text) ? 1 : compareIds(a, b));
const sorted = (rows: Named[], direction: 'ASC' | 'DESC' = 'ASC') => {
  const ascending = [...rows].sort(byKey);
  return direction === 'ASC' ? ascending : ascending.reverse();
};

let t: TestApp;

beforeAll(async () => {
  t = await TestApp.start('text_search');
});
afterAll(() => t.stop());

async function createContacts(who: Session, lastNames: string[], extra: Record<string, unknown> = {}): Promise<Named[]> {
  const rows: Named[] = [];
  for (const lastName of lastNames) {
    const data = await t.ok(`mutation($input: CreateContactInput!) { createContact(input: $input) { id } }`, { input: { lastName, ...extra } }, who);
    rows.push({ id: data.createContact.id, text: lastName });
  }
  return rows;
}

interface Page {
  totalCount: number;
  edges: Array<{ cursor: string; node: { id: string; lastName: string } }>;
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
}

const CONTACTS = `query($filter: ContactFilter, $search: String, $orderBy: [ContactOrder!], $first: Int, $after: String, $last: Int, $before: String) {
  contacts(filter: $filter, search: $search, orderBy: $orderBy, first: $first, after: $after, last: $last, before: $before) {
    totalCount
    edges { cursor node { id lastName } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}`;

const contactPage = async (who: Session, args: Record<string, unknown>): Promise<Page> => (await t.ok<{ contacts: Page }>(CONTACTS, args, who)).contacts;
const namesOf = (page: Page) => page.edges.map((e) => e.node.lastName);
const idsOf = (pages: Page[]) => pages.flatMap((p) => p.edges.map((e) => e.node.id));
const byLastName = (direction: 'ASC' | 'DESC' = 'ASC') => [{ field: 'LAST_NAME', direction }];

describe('ordering, startsWith and search agree on case, umlauts and accents', () => {
  let who: Session;
  let rows: Named[];
  const names = ['Müller', 'mueller', 'MÜLLER', 'Muller', 'Muff', 'Zimmer', 'Ärger', 'Ångström', 'Öztürk', 'Oz', 'van Dijk', 'Vogel', 'Weiß', 'Weiss', 'Élodie'];

  beforeAll(async () => {
    who = await t.signUp('Ordering GmbH');
    rows = await createContacts(who, names);
  });

  test('ordering by last name ignores case, spells umlauts out and drops accents; equal keys go by id', async () => {
    for (const direction of ['ASC', 'DESC'] as const) {
      const page = await contactPage(who, { orderBy: byLastName(direction), first: 50 });
      expect(page.edges.map((e) => e.node.id)).toEqual(sorted(rows, direction).map((r) => r.id));
    }
    const ascending = namesOf(await contactPage(who, { orderBy: byLastName(), first: 50 }));
    // What a German reader expects: Ärger among the A's, the three spellings of Müller together before Muff, Zimmer last.
    expect(ascending.slice(0, 2)).toEqual(['Ärger', 'Ångström']);
    expect(new Set(ascending.slice(3, 6))).toEqual(new Set(['Müller', 'mueller', 'MÜLLER']));
    expect(ascending.slice(6, 8)).toEqual(['Muff', 'Muller']);
    expect(ascending[ascending.length - 1]).toBe('Zimmer');
  });

  test.each([
    ['mü', ['Müller', 'mueller', 'MÜLLER']],
    ['MUE', ['Müller', 'mueller', 'MÜLLER']],
    ['Mu', ['Müller', 'mueller', 'MÜLLER', 'Muff', 'Muller']],
    ['mul', ['Muller']],
    ['ö', ['Öztürk']],
    ['O', ['Öztürk', 'Oz']],
    ['weiß', ['Weiß', 'Weiss']],
    ['WEISS', ['Weiß', 'Weiss']],
    ['å', ['Ärger', 'Ångström']],
    ['ANG', ['Ångström']],
    ['e', ['Élodie']],
    ['van ', ['van Dijk']],
    ['v', ['van Dijk', 'Vogel']],
    ['zz', []],
  ])('startsWith %p matches %p, in key order, and search does the same', async (prefix, expected) => {
    const matching = sorted(rows.filter((r) => expected.includes(r.text)));
    const filtered = await contactPage(who, { filter: { lastName: { startsWith: prefix } }, orderBy: byLastName(), first: 50 });
    expect(filtered.edges.map((e) => e.node.id)).toEqual(matching.map((r) => r.id));
    expect(filtered.totalCount).toBe(expected.length);
    const searched = await contactPage(who, { search: prefix, orderBy: byLastName(), first: 50 });
    expect(searched.edges.map((e) => e.node.id)).toEqual(matching.map((r) => r.id));
  });

  test('an empty prefix matches every value that is set', async () => {
    expect((await contactPage(who, { filter: { lastName: { startsWith: '' } } })).totalCount).toBe(names.length);
    expect((await contactPage(who, { filter: { firstName: { startsWith: '' } } })).totalCount).toBe(0);
  });

  test('exact comparisons keep comparing the exact text', async () => {
    expect(namesOf(await contactPage(who, { filter: { lastName: { eq: 'Müller' } } }))).toEqual(['Müller']);
    expect(namesOf(await contactPage(who, { filter: { lastName: { in: ['mueller', 'Weiss'] } }, orderBy: byLastName() }))).toEqual(['mueller', 'Weiss']);
  });
});

describe('% _ and \\ in a prefix are plain characters', () => {
  test.each([
    ['100%', ['100% Bio']],
    ['snake_', ['snake_case']],
    ['back\\', ['Back\\slash']],
    ['%', []],
    ['_', []],
  ])('startsWith %p', async (prefix, expected) => {
    const who = await t.signUp(`Wildcards ${prefix}`);
    await createContacts(who, ['100% Bio', '100 Bio', 'snake_case', 'snakeXcase', 'Back\\slash', 'Backslash']);
    expect(namesOf(await contactPage(who, { filter: { lastName: { startsWith: prefix } }, orderBy: byLastName() }))).toEqual(expected);
    expect(namesOf(await contactPage(who, { search: prefix, orderBy: byLastName() }))).toEqual(expected);
  });
});

describe('paging through a prefix across ties and mixed case', () => {
  let who: Session;
  let matching: Named[];
  const filter = { lastName: { startsWith: 'Mü' } };

  beforeAll(async () => {
    who = await t.signUp('Paging Müller');
    const spellings = ['Müller', 'mueller', 'MÜLLER', 'Mueller', 'Müller', 'müller', 'Müller-Lüdenscheidt', 'MUELLER', 'Müller', 'mueller', 'Müllerin'];
    matching = await createContacts(who, [...spellings, ...spellings.slice(0, 6)]);
    await createContacts(who, ['Muff', 'Meyer', 'Muller', 'Zimmer', 'Mu']);
    matching.push(...(await createContacts(who, ['MÜ', 'Mü'])));
  });

  async function forward(direction: 'ASC' | 'DESC', first: number): Promise<Page[]> {
    const pages: Page[] = [];
    let after: string | null = null;
    do {
      pages.push(await contactPage(who, { filter, orderBy: byLastName(direction), first, after }));
      after = pages[pages.length - 1].pageInfo.endCursor;
    } while (pages[pages.length - 1].pageInfo.hasNextPage && pages.length < 50);
    return pages;
  }

  async function backward(direction: 'ASC' | 'DESC', last: number): Promise<Page[]> {
    const pages: Page[] = [];
    let before: string | null = null;
    do {
      pages.push(await contactPage(who, { filter, orderBy: byLastName(direction), last, before }));
      before = pages[pages.length - 1].pageInfo.startCursor;
    } while (pages[pages.length - 1].pageInfo.hasPreviousPage && pages.length < 50);
    return pages.reverse();
  }

  test.each(['ASC', 'DESC'] as const)('%s: forward and backward visit every match once, in order, with the right flags', async (direction) => {
    const expected = sorted(matching, direction).map((r) => r.id);
    expect(expected).toHaveLength(19);
    for (const size of [4, 5]) {
      const pages = await forward(direction, size);
      expect({ size, ids: idsOf(pages) }).toEqual({ size, ids: expected });
      expect(pages.map((p) => [p.pageInfo.hasPreviousPage, p.pageInfo.hasNextPage])).toEqual(
        pages.map((_, i) => [i > 0, i < pages.length - 1]),
      );
      expect(pages.every((p) => p.totalCount === 19)).toBe(true);

      const back = await backward(direction, size);
      expect({ size, ids: idsOf(back) }).toEqual({ size, ids: expected });
      expect(back.map((p) => [p.pageInfo.hasPreviousPage, p.pageInfo.hasNextPage])).toEqual(back.map((_, i) => [i > 0, i < back.length - 1]));
    }
  });

  test('after and before together select the rows between two cursors, ties included', async () => {
    const all = (await contactPage(who, { filter, orderBy: byLastName(), first: 50 })).edges;
    const [from, to] = [all[2].cursor, all[12].cursor];
    const between = await contactPage(who, { filter, orderBy: byLastName(), first: 50, after: from, before: to });
    expect(between.edges.map((e) => e.node.id)).toEqual(all.slice(3, 12).map((e) => e.node.id));
    expect(between.pageInfo).toMatchObject({ hasPreviousPage: true, hasNextPage: true });
    const lastThree = await contactPage(who, { filter, orderBy: byLastName(), last: 3, before: to });
    expect(lastThree.edges.map((e) => e.node.id)).toEqual(all.slice(9, 12).map((e) => e.node.id));
  });

  test("an account's contacts page through a prefix the same way", async () => {
    const account = (await t.ok(`mutation { createAccount(input: { name: "Müller Holding" }) { id } }`, {}, who)).createAccount.id;
    const own = await createContacts(who, ['Müller', 'mueller', 'MÜLLER', 'Mueller', 'Muff'], { accountId: account });
    const expected = sorted(own.slice(0, 4)).map((r) => r.id);
    const seen: string[] = [];
    let after: string | null = null;
    for (;;) {
      const data: { account: { contacts: Page } } = await t.ok(
        `query($id: ID!, $after: String) { account(id: $id) { contacts(filter: { lastName: { startsWith: "mü" } }, orderBy: [{ field: LAST_NAME, direction: ASC }], first: 3, after: $after) {
          totalCount edges { node { id } } pageInfo { hasNextPage endCursor } } } }`,
        { id: account, after },
        who,
      );
      const page = data.account.contacts;
      expect(page.totalCount).toBe(4);
      seen.push(...page.edges.map((e) => e.node.id));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(seen).toEqual(expected);
  });
});

describe('search over several fields pages like a filter', () => {
  let who: Session;
  let matching: Named[];
  const people = [
    { lastName: 'Müller', firstName: 'Anna' },
    { lastName: 'Schmidt', firstName: 'Mücke' },
    { lastName: 'Zander', email: 'muench@example.com' },
    { lastName: 'mueller', firstName: 'Müsli', email: 'mue@example.com' },
    { lastName: 'Abel', firstName: 'Mueller' },
    { lastName: 'MÜLLER', firstName: 'Mübeccel' },
    { lastName: 'Zander', firstName: 'MUEZ' },
    { lastName: 'Muff', firstName: 'Otto' },
    { lastName: 'Meyer', email: 'meyer@example.com' },
    { lastName: 'Mu', firstName: 'Mu' },
  ];

  beforeAll(async () => {
    who = await t.signUp('Search Paging');
    const created: Array<Named & { fields: string[] }> = [];
    for (const person of people) {
      const data = await t.ok(`mutation($input: CreateContactInput!) { createContact(input: $input) { id } }`, { input: person }, who);
      created.push({ id: data.createContact.id, text: person.lastName, fields: Object.values(person) });
    }
    matching = created.filter((row) => row.fields.some((value) => key(value).startsWith('mue')));
    expect(matching).toHaveLength(7);
  });

  const pageThrough = async (orderBy: unknown, size: number, backward: boolean): Promise<Page[]> => {
    const pages: Page[] = [];
    let cursor: string | null = null;
    do {
      const args = backward ? { last: size, before: cursor } : { first: size, after: cursor };
      pages.push(await contactPage(who, { search: 'MÜ', orderBy, ...args }));
      const info = pages[pages.length - 1].pageInfo;
      cursor = backward ? (info.hasPreviousPage ? info.startCursor : null) : info.hasNextPage ? info.endCursor : null;
    } while (cursor && pages.length < 20);
    return backward ? pages.reverse() : pages;
  };

  test.each([
    ['last name ascending', byLastName('ASC')],
    ['last name descending', byLastName('DESC')],
    ['newest first (default)', undefined],
  ])('by %s, forward and backward, each match once with the right flags', async (_label, orderBy) => {
    const expected = orderBy ? sorted(matching, orderBy[0].direction as 'ASC' | 'DESC').map((r) => r.id) : [...matching].reverse().map((r) => r.id);
    for (const backward of [false, true]) {
      const pages = await pageThrough(orderBy, 2, backward);
      expect({ backward, ids: idsOf(pages) }).toEqual({ backward, ids: expected });
      expect(pages.map((p) => [p.pageInfo.hasPreviousPage, p.pageInfo.hasNextPage])).toEqual(pages.map((_, i) => [i > 0, i < pages.length - 1]));
      expect(pages.every((p) => p.totalCount === 7)).toBe(true);
    }
  });
});

describe("every record type's indexed text fields", () => {
  let who: Session;
  let accountId: string;
  const spellings = ['Müller1', 'mueller2', 'MÜLLER3', 'Muff', 'Zimmer', 'Ärger'];

  beforeAll(async () => {
    who = await t.signUp('Every Type');
    accountId = (await t.ok(`mutation { createAccount(input: { name: "Buyer" }) { id } }`, {}, who)).createAccount.id;
  });

  const stages = [
    { name: 'Open', probability: 10, kind: 'OPEN' },
    { name: 'Won', probability: 100, kind: 'WON' },
    { name: 'Lost', probability: 0, kind: 'LOST' },
  ];
  const hours = [{ weekday: 'MONDAY', start: '09:00', end: '17:00' }];

  /** list, filter field, order field (null: none), mutation and its input for one value. */
  const types: Array<[string, string, string | null, string, (value: string) => Record<string, unknown>]> = [
    ['accounts', 'name', 'NAME', 'createAccount', (v) => ({ name: v })],
    ['accounts', 'domain', null, 'createAccount', (v) => ({ name: `Domain ${v}`, domain: `${v}.example` })],
    ['contacts', 'firstName', 'FIRST_NAME', 'createContact', (v) => ({ firstName: v, lastName: 'Person' })],
    ['contacts', 'email', null, 'createContact', (v) => ({ lastName: 'Mail', email: `${v}@example.com` })],
    ['contacts', 'postalCode', null, 'createContact', (v) => ({ lastName: 'Post', postalCode: v })],
    ['deals', 'name', 'NAME', 'createDeal', (v) => ({ name: v })],
    ['tickets', 'subject', null, 'createTicket', (v) => ({ subject: v })],
    ['products', 'sku', 'SKU', 'createProduct', (v) => ({ sku: v, name: `Product ${v}`, price: '1' })],
    ['products', 'name', 'NAME', 'createProduct', (v) => ({ sku: `N-${v}`, name: v, price: '1' })],
    ['orders', 'number', 'NUMBER', 'createOrder', (v) => ({ number: v, accountId })],
    ['pipelines', 'name', 'NAME', 'createPipeline', (v) => ({ name: v, stages })],
    ['businessCalendars', 'name', 'NAME', 'createBusinessCalendar', (v) => ({ name: v, timeZone: 'Europe/Berlin', openingHours: hours })],
  ];

  test.each(types)('%s.%s: startsWith ignores case and umlaut spelling, and orders by the same key', async (list, field, orderField, mutation, input) => {
    const inputType = `${mutation.slice(0, 1).toUpperCase()}${mutation.slice(1)}Input`;
    const created: Named[] = [];
    for (const value of spellings) {
      const data = await t.ok(`mutation($input: ${inputType}!) { ${mutation}(input: $input) { id ${field} } }`, { input: input(value) }, who);
      created.push({ id: data[mutation].id, text: data[mutation][field] });
    }
    const order = orderField ? `, orderBy: [{ field: ${orderField}, direction: ASC }]` : '';
    const read = async (args: string): Promise<Named[]> =>
      (await t.ok(`{ ${list}(first: 200${args}${order}) { edges { node { id ${field} } } } }`, {}, who))[list].edges.map(
        (e: { node: Record<string, string> }) => ({ id: e.node.id, text: e.node[field] }),
      );

    const expected = sorted(created.slice(0, 3));
    const found = await read(`, filter: { ${field}: { startsWith: "MÜ" } }`);
    if (orderField) expect(found).toEqual(expected);
    else expect(sorted(found)).toEqual(expected);
    if (orderField) {
      const everything = await read('');
      expect(everything).toEqual(sorted(everything));
      expect(everything.filter((row) => created.some((c) => c.id === row.id))).toEqual(sorted(created));
    }
  });

  test.each([
    ['accounts', ['name', 'domain'], 'mue'],
    ['accounts', ['name', 'domain'], 'MÜLLER3.EX'],
    ['contacts', ['firstName', 'lastName', 'email'], 'mueller2'],
    ['deals', ['name'], 'Mü'],
    ['tickets', ['subject'], 'mü'],
    ['products', ['sku', 'name'], 'müller'],
    ['orders', ['number'], 'MUELLER'],
    ['pipelines', ['name'], 'mü'],
    ['businessCalendars', ['name'], 'mü'],
  ])('%s search over %p finds a prefix in any spelling (%p)', async (list, fields, prefix) => {
    const rows = async (search: string | null): Promise<Array<Record<string, string | null>>> =>
      (await t.ok(`query($s: String) { ${list}(first: 200, search: $s) { edges { node { id ${fields.join(' ')} } } } }`, { s: search }, who))[list].edges.map(
        (e: { node: Record<string, string | null> }) => e.node,
      );
    const matches = (row: Record<string, string | null>) => fields.some((field) => row[field] !== null && key(row[field]!).startsWith(key(prefix)));
    const expected = (await rows(null)).filter(matches).map((row) => row.id);
    expect(expected.length).toBeGreaterThan(0);
    expect((await rows(prefix)).map((row) => row.id).sort()).toEqual(expected.sort());
  });
});
