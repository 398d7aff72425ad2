import { TestApp, errorCode, errorFields, type Session } from './support/test-app';

const LINE = 'position quantity unitPrice discountPercent subtotal discountAmount total product { id sku }';
const ORDER = `id number orderDate status currency subtotal discountTotal total tags version deletedAt
  account { id } contact { id } lines { ${LINE} }`;

let t: TestApp;
let admin: Session;
let seller: Session;
let support: Session;
let other: Session;
let accountId: string;
let contactId: string;
let widget: { id: string; price: string };
let gadget: { id: string; price: string };
let dollar: { id: string };
let yen: { id: string };
let number = 0;

const nextNumber = () => `SO-${++number}`;

const createOrder = (input: Record<string, unknown>, who: Session = admin) =>
  t.gql(`mutation($input: CreateOrderInput!) { createOrder(input: $input) { ${ORDER} } }`, { input: { number: nextNumber(), accountId, ...input } }, who);

async function newOrder(input: Record<string, unknown>) {
  const result = await createOrder(input);
  expect(result.errors).toBeUndefined();
  return result.data!.createOrder;
}

const updateOrder = (id: string, input: Record<string, unknown>, v?: number, who: Session = admin) =>
  t.gql(`mutation($id: ID!, $input: OrderInput!, $v: Int) { updateOrder(id: $id, input: $input, expectedVersion: $v) { ${ORDER} } }`, { id, input, v }, who);

const changeStatus = (id: string, status: string, v?: number) =>
  t.gql(`mutation($id: ID!, $status: OrderStatus!, $v: Int) { changeOrderStatus(id: $id, status: $status, expectedVersion: $v) { id status version } }`, { id, status, v }, admin);

const product = async (input: Record<string, unknown>, who: Session = admin) =>
  (await t.ok(`mutation($input: CreateProductInput!) { createProduct(input: $input) { id price } }`, { input }, who)).createProduct;

const eventsOf = async (id: string) =>
  (await t.ok(`query($id: ID!) { recordEvents(recordId: $id) { edges { node { type changed before after } } } }`, { id }, admin)).recordEvents.edges.map(
    (e: any) => e.node,
  );

beforeAll(async () => {
  t = await TestApp.start('orders');
  admin = await t.signUp();
  seller = await t.member(admin, 'SALES');
  support = await t.member(admin, 'SUPPORT');
  other = await t.signUp('Other GmbH');
  accountId = (await t.ok(`mutation { createAccount(input: { name: "Buyer AG" }) { id } }`, {}, admin)).createAccount.id;
  contactId = (await t.ok(`mutation { createContact(input: { lastName: "Käufer" }) { id } }`, {}, admin)).createContact.id;
  widget = await product({ sku: 'W-1', name: 'Widget', price: '19.99' });
  gadget = await product({ sku: 'G-1', name: 'Gadget', price: '0.10' });
  dollar = await product({ sku: 'USD-1', name: 'Import', price: '5', currency: 'USD' });
  yen = await product({ sku: 'JPY-1', name: 'Yen thing', price: '333', currency: 'JPY' });
});
afterAll(() => t.stop());

describe('orders: totals are exact', () => {
  test('3 × 19.99 with 10 % off: 59.97 − 6.00 = 53.97; unit price defaults to the product price', async () => {
    const order = await newOrder({ contactId, orderDate: '2026-03-01', lines: [{ productId: widget.id, quantity: '3', discountPercent: '10' }] });
    expect(order).toMatchObject({ status: 'DRAFT', currency: 'EUR', orderDate: '2026-03-01', subtotal: '59.97', discountTotal: '6.00', total: '53.97', version: 1 });
    expect(order.account.id).toBe(accountId);
    expect(order.contact.id).toBe(contactId);
    expect(order.id).toMatch(/^ord_[0-9a-f]{32}$/);
    expect(order.lines).toEqual([
      { position: 0, quantity: '3.0000', unitPrice: '19.9900', discountPercent: '10.0000', subtotal: '59.97', discountAmount: '6.00', total: '53.97', product: { id: widget.id, sku: 'W-1' } },
    ]);
  });

  test('500 lines of 0.10 sum to exactly 50.00 and 500 mixed ones to 100.00 (no float drift), and a price change later leaves the lines alone', async () => {
    const lines = Array.from({ length: 500 }, () => ({ productId: gadget.id, quantity: '1' }));
    const order = await newOrder({ lines });
    expect(order).toMatchObject({ subtotal: '50.00', total: '50.00', discountTotal: '0.00' });
    const again = await newOrder({ lines: [...lines.slice(0, 250), ...Array.from({ length: 250 }, () => ({ productId: gadget.id, quantity: '3', unitPrice: '0.10' }))] });
    expect(again.total).toBe('100.00');
    await t.ok(`mutation($id: ID!) { updateProduct(id: $id, input: { price: "0.20" }) { id } }`, { id: gadget.id }, admin);
    expect((await t.ok(`query($id: ID!) { order(id: $id) { total lines { unitPrice } } }`, { id: order.id }, admin)).order.lines[0].unitPrice).toBe('0.1000');
    await t.ok(`mutation($id: ID!) { updateProduct(id: $id, input: { price: "0.10" }) { id } }`, { id: gadget.id }, admin);
  });

  test('rounding is half up to the minor unit, per line: 0.005 → 0.01, 1.0049 → 1.00, and yen have none', async () => {
    const half = await newOrder({ lines: [{ productId: widget.id, quantity: '0.5', unitPrice: '0.01' }] });
    expect(half).toMatchObject({ subtotal: '0.01', total: '0.01' });
    const below = await newOrder({ lines: [{ productId: widget.id, quantity: '1', unitPrice: '1.0049' }] });
    expect(below.total).toBe('1.00');
    // 2 × 0.0125 = 0.025 → 0.03; 12.5 % off 0.025 = 0.021875 → 0.02; discount 0.01 keeps subtotal − discount = total.
    const discounted = await newOrder({ lines: [{ productId: widget.id, quantity: '2', unitPrice: '0.0125', discountPercent: '12.5' }] });
    expect(discounted).toMatchObject({ subtotal: '0.03', discountTotal: '0.01', total: '0.02' });
    const japanese = await newOrder({ currency: 'JPY', lines: [{ productId: yen.id, quantity: '1.5', discountPercent: '33.3333' }] });
    // 1.5 × 333 = 499.5 → 500; × 66.6667 % = 333.000166… → 333.
    expect(japanese).toMatchObject({ currency: 'JPY', subtotal: '500', discountTotal: '167', total: '333' });
    const free = await newOrder({ lines: [{ productId: widget.id, quantity: '7', discountPercent: '100' }] });
    expect(free).toMatchObject({ subtotal: '139.93', discountTotal: '139.93', total: '0.00' });
  });

  test('an order without lines totals 0 in the currency’s minor units', async () => {
    expect(await newOrder({})).toMatchObject({ subtotal: '0.00', discountTotal: '0.00', total: '0.00', lines: [] });
  });
});

describe('orders: bad input names the line path', () => {
  test('a product in another currency than the order', async () => {
    const result = await createOrder({ lines: [{ productId: widget.id, quantity: '1' }, { productId: widget.id, quantity: '1' }, { productId: dollar.id, quantity: '1' }] });
    expect(errorCode(result)).toBe('BAD_USER_INPUT');
    expect(errorFields(result)).toEqual(['input.lines[2].productId']);
    expect(JSON.stringify(result.errors![0].extensions)).toContain('priced in USD');
  });

  test('quantity not above 0, negative unit price, discount outside 0–100: each named, all at once', async () => {
    const result = await createOrder({
      lines: [
        { productId: widget.id, quantity: '0' },
        { productId: widget.id, quantity: '-2' },
        { productId: widget.id, quantity: '1', unitPrice: '-1' },
        { productId: widget.id, quantity: '1', discountPercent: '100.01' },
        { productId: widget.id, quantity: '1', discountPercent: '-5' },
        { productId: widget.id, quantity: '1', discountPercent: '100' },
      ],
    });
    expect(errorCode(result)).toBe('BAD_USER_INPUT');
    expect(errorFields(result)).toEqual([
      'input.lines[0].quantity',
      'input.lines[1].quantity',
      'input.lines[2].unitPrice',
      'input.lines[3].discountPercent',
      'input.lines[4].discountPercent',
    ]);
  });

  test('an id of the wrong type, a trashed product, an inactive product for a new line, a too large amount', async () => {
    const trashed = await product({ sku: 'GONE-1', name: 'Gone', price: '1' });
    await t.ok(`mutation($id: ID!) { deleteProduct(id: $id) { id } }`, { id: trashed.id }, admin);
    const inactive = await product({ sku: 'OFF-1', name: 'Off', price: '1', active: false });
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ productId: accountId, quantity: '1' }, 'input.lines[0].productId'],
      [{ productId: trashed.id, quantity: '1' }, 'input.lines[0].productId'],
      [{ productId: inactive.id, quantity: '1' }, 'input.lines[0].productId'],
      [{ productId: widget.id, quantity: '999999999999999', unitPrice: '999999999999999' }, 'input.lines[0].quantity'],
    ];
    for (const [line, field] of cases) {
      const result = await createOrder({ lines: [line] });
      expect({ code: errorCode(result), fields: errorFields(result) }).toEqual({ code: 'BAD_USER_INPUT', fields: [field] });
    }
  });

  test('account required and live; contact live; number unique (CONFLICT naming number); nothing written on failure', async () => {
    const before = (await t.ok(`{ orders(withDeleted: true) { totalCount } }`, {}, admin)).orders.totalCount;
    const noAccount = await t.gql(`mutation { createOrder(input: { number: "X-1" }) { id } }`, {}, admin);
    expect(errorCode(noAccount)).toBe('BAD_USER_INPUT');
    expect(errorFields(await createOrder({ accountId: contactId }))).toEqual(['accountId']);
    expect(errorFields(await createOrder({ contactId: accountId }))).toEqual(['contactId']);
    expect(errorFields(await createOrder({ orderDate: null }))).toEqual(['orderDate']);
    expect(errorFields(await createOrder({ accountId: null }))).toEqual(['accountId']);
    const first = await newOrder({ number: 'DUP-1' });
    const dup = await t.gql(`mutation($a: ID!) { createOrder(input: { number: "dup-1", accountId: $a }) { id } }`, { a: accountId }, admin);
    expect(errorCode(dup)).toBe('CONFLICT');
    expect(errorFields(dup)).toEqual(['number']);
    const after = (await t.ok(`{ orders(withDeleted: true) { totalCount } }`, {}, admin)).orders.totalCount;
    expect(after).toBe(before + 1);
    expect(first.number).toBe('DUP-1');
  });
});

describe('orders: updates, lines and status', () => {
  test('replacing lines recomputes totals in one write; an omitted lines list keeps them; stale version changes nothing', async () => {
    const order = await newOrder({ lines: [{ productId: widget.id, quantity: '1' }] });
    const replaced = await updateOrder(order.id, { lines: [{ productId: gadget.id, quantity: '10' }, { productId: widget.id, quantity: '2', unitPrice: '10' }] }, 1);
    expect(replaced.data!.updateOrder).toMatchObject({ subtotal: '21.00', total: '21.00', version: 2 });
    expect(replaced.data!.updateOrder.lines.map((l: any) => l.product.sku)).toEqual(['G-1', 'W-1']);
    const renamed = await updateOrder(order.id, { number: 'RENAMED-1', tags: ['rush'] });
    expect(renamed.data!.updateOrder).toMatchObject({ number: 'RENAMED-1', total: '21.00', tags: ['rush'], version: 3 });
    expect(renamed.data!.updateOrder.lines).toHaveLength(2);
    const stale = await updateOrder(order.id, { lines: [] }, 2);
    expect(errorCode(stale)).toBe('CONFLICT');
    const read = (await t.ok(`query($id: ID!) { order(id: $id) { total lines { position } } }`, { id: order.id }, admin)).order;
    expect(read).toEqual({ total: '21.00', lines: [{ position: 0 }, { position: 1 }] });
    const invalid = await updateOrder(order.id, { lines: [{ productId: widget.id, quantity: '0' }] });
    expect(errorFields(invalid)).toEqual(['input.lines[0].quantity']);
    expect((await t.ok(`query($id: ID!) { order(id: $id) { total } }`, { id: order.id }, admin)).order.total).toBe('21.00');
  });

  test('a product made inactive stays usable on the orders that have it', async () => {
    const seasonal = await product({ sku: 'SEASON-1', name: 'Seasonal', price: '4' });
    const order = await newOrder({ lines: [{ productId: seasonal.id, quantity: '1' }] });
    await t.ok(`mutation($id: ID!) { updateProduct(id: $id, input: { active: false }) { id } }`, { id: seasonal.id }, admin);
    const kept = await updateOrder(order.id, { lines: [{ productId: seasonal.id, quantity: '2' }] });
    expect(kept.data!.updateOrder.total).toBe('8.00');
  });

  test('changing currency needs lines in it', async () => {
    const order = await newOrder({ lines: [{ productId: widget.id, quantity: '1' }] });
    expect(errorFields(await updateOrder(order.id, { currency: 'USD' }))).toEqual(['currency']);
    const moved = await updateOrder(order.id, { currency: 'USD', lines: [{ productId: dollar.id, quantity: '3' }] });
    expect(moved.data!.updateOrder).toMatchObject({ currency: 'USD', total: '15.00' });
    const mismatch = await updateOrder(order.id, { lines: [{ productId: widget.id, quantity: '1' }] });
    expect(errorFields(mismatch)).toEqual(['input.lines[0].productId']);
  });

  test('status moves forward only, skipping allowed; cancel before shipping; PAID and CANCELLED are final; lines fixed after CONFIRMED', async () => {
    const order = await newOrder({ lines: [{ productId: widget.id, quantity: '1' }] });
    expect((await changeStatus(order.id, 'CONFIRMED', 1)).data!.changeOrderStatus).toMatchObject({ status: 'CONFIRMED', version: 2 });
    expect((await changeStatus(order.id, 'SHIPPED')).data!.changeOrderStatus.status).toBe('SHIPPED');
    const locked = await updateOrder(order.id, { lines: [] });
    expect({ code: errorCode(locked), fields: errorFields(locked) }).toEqual({ code: 'BAD_USER_INPUT', fields: ['input.lines'] });
    expect((await updateOrder(order.id, { tags: ['late'] })).data!.updateOrder.tags).toEqual(['late']);
    for (const refused of ['CONFIRMED', 'CANCELLED', 'DRAFT']) {
      const result = await changeStatus(order.id, refused);
      expect({ code: errorCode(result), fields: errorFields(result) }).toEqual({ code: 'BAD_USER_INPUT', fields: ['status'] });
    }
    expect((await changeStatus(order.id, 'PAID')).data!.changeOrderStatus.status).toBe('PAID');
    expect(errorFields(await changeStatus(order.id, 'INVOICED'))).toEqual(['status']);

    const cancelled = await newOrder({});
    expect((await changeStatus(cancelled.id, 'CANCELLED')).data!.changeOrderStatus.status).toBe('CANCELLED');
    expect(errorFields(await changeStatus(cancelled.id, 'CONFIRMED'))).toEqual(['status']);
    const fresh = await newOrder({});
    const conflict = await changeStatus(fresh.id, 'CONFIRMED', 7);
    expect(errorCode(conflict)).toBe('CONFLICT');
    expect(conflict.errors![0].extensions!.currentVersion).toBe(1);

    const imported = await newOrder({ status: 'INVOICED' });
    expect(imported.status).toBe('INVOICED');
  });

  test('delete and restore; a trashed order cannot be updated or moved', async () => {
    const order = await newOrder({});
    await t.ok(`mutation($id: ID!) { deleteOrder(id: $id) { id } }`, { id: order.id }, admin);
    expect(errorCode(await updateOrder(order.id, { tags: ['x'] }))).toBe('NOT_FOUND');
    expect(errorCode(await changeStatus(order.id, 'CONFIRMED'))).toBe('NOT_FOUND');
    const restored = await t.ok(`mutation($id: ID!) { restoreOrder(id: $id) { deletedAt } }`, { id: order.id }, admin);
    expect(restored.restoreOrder.deletedAt).toBeNull();
  });
});

describe('orders: record events carry lines and totals', () => {
  test('created and updated events hold before/after with lines and totals', async () => {
    const order = await newOrder({ lines: [{ productId: widget.id, quantity: '3', discountPercent: '10' }] });
    await updateOrder(order.id, { lines: [{ productId: gadget.id, quantity: '5' }] });
    await changeStatus(order.id, 'CONFIRMED');
    const [created, replaced, confirmed] = await eventsOf(order.id);
    expect(created.type).toBe('order.created');
    expect(created.after).toMatchObject({ id: order.id, accountId, total: '53.97', subtotal: '59.97', discountTotal: '6.00', status: 'DRAFT' });
    expect(created.after.lines).toEqual([
      { position: 0, productId: widget.id, quantity: '3.0000', unitPrice: '19.9900', discountPercent: '10.0000', subtotal: '59.97', discountAmount: '6.00', total: '53.97' },
    ]);
    expect(replaced.type).toBe('order.updated');
    expect(replaced.changed).toEqual(expect.arrayContaining(['lines', 'total', 'subtotal', 'discountTotal']));
    expect(replaced.before.lines[0].productId).toBe(widget.id);
    expect(replaced.after.lines).toEqual([expect.objectContaining({ productId: gadget.id, total: '0.50' })]);
    expect(replaced.after.total).toBe('0.50');
    expect(confirmed.changed).toEqual(['status']);
    expect(confirmed.after.lines).toEqual(replaced.after.lines);
  });
});

describe('orders: relations, roles and tenancy', () => {
  test('Account.orders is batched: the same statements for 3 accounts and for 30, each with its own orders', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 30; i++) {
      const id = (await t.ok(`mutation($name: String!) { createAccount(input: { name: $name }) { id } }`, { name: `Batch ${String(i).padStart(2, '0')}` }, admin)).createAccount.id;
      ids.push(id);
      await newOrder({ accountId: id, contactId, lines: [{ productId: widget.id, quantity: String(i + 1) }] });
      await newOrder({ accountId: id, lines: [{ productId: gadget.id, quantity: '1' }] });
    }
    const query = `query($first: Int!) { accounts(first: $first, search: "Batch", orderBy: [{ field: NAME, direction: ASC }]) { edges { node {
      id orders(first: 5) { totalCount edges { node { number account { id } contact { id } lines { total product { sku } } } } } } } } }`;
    const measure = async (first: number) => {
      const before = t.statements;
      const data = await t.ok(query, { first }, admin);
      const accounts = data.accounts.edges.map((e: any) => e.node);
      expect(accounts).toHaveLength(first);
      for (const account of accounts) {
        expect(account.orders.totalCount).toBe(2);
        expect(account.orders.edges.every((e: any) => e.node.account.id === account.id && e.node.lines.length === 1)).toBe(true);
      }
      return t.statements - before;
    };
    const small = await measure(3);
    const large = await measure(30);
    expect(large).toBe(small);
    expect(large).toBeLessThanOrEqual(12);
  });

  test('orders list: filters by account, status, total and date; search by number', async () => {
    const list = async (args: string) => (await t.ok(`{ orders(${args}) { totalCount } }`, {}, admin)).orders.totalCount;
    expect(await list(`filter: { accountId: { eq: "${accountId}" }, total: { eq: "53.97" } }`)).toBeGreaterThanOrEqual(1);
    expect(await list(`filter: { status: { eq: INVOICED } }`)).toBeGreaterThanOrEqual(1);
    expect(await list(`filter: { orderDate: { eq: "2026-03-01" } }`)).toBe(1);
    expect(await list(`search: "dup-"`)).toBe(1);
  });

  test('sales write orders; support reads but may not', async () => {
    expect((await createOrder({}, seller)).errors).toBeUndefined();
    expect(errorCode(await createOrder({}, support))).toBe('FORBIDDEN');
    expect((await t.ok(`{ orders { totalCount } }`, {}, support)).orders.totalCount).toBeGreaterThan(0);
  });

  test('a foreign product, account or order id answers like a missing one', async () => {
    const theirProduct = await product({ sku: 'THEIRS', name: 'Theirs', price: '1' }, other);
    const foreignLine = await createOrder({ lines: [{ productId: theirProduct.id, quantity: '1' }] });
    expect({ code: errorCode(foreignLine), fields: errorFields(foreignLine) }).toEqual({ code: 'BAD_USER_INPUT', fields: ['input.lines[0].productId'] });
    const missing = await createOrder({ lines: [{ productId: 'prd_00000000000000000000000000000000', quantity: '1' }] });
    expect(missing.errors![0].extensions!.fields).toEqual(foreignLine.errors![0].extensions!.fields);
    const mine = await newOrder({});
    expect(errorCode(await t.gql(`query($id: ID!) { order(id: $id) { id } }`, { id: mine.id }, other))).toBe('NOT_FOUND');
    expect(errorCode(await updateOrder(mine.id, { tags: ['x'] }, undefined, other))).toBe('NOT_FOUND');
    const theirAccount = (await t.ok(`mutation { createAccount(input: { name: "Theirs" }) { id } }`, {}, other)).createAccount.id;
    expect(errorFields(await createOrder({ accountId: theirAccount }))).toEqual(['accountId']);
  });
});
