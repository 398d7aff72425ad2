import { recordEvents, upsertMutation } from './support/sync';
import { TestApp, errorCode, errorFields, type Session } from './support/test-app';

/**
 * Single upserts (`upsertX`): matched by external ref, else by natural key; only differing
 * fields are written (one event), nothing differing is UNCHANGED (no write); references by ref;
 * field ownership; concurrent upserts never make twins; API key scopes.
 */
let t: TestApp;
let admin: Session;
let support: Session;

const upsert = async (type: string, selection: string, input: Record<string, unknown>, who: Session | string = admin) =>
  t.gql(upsertMutation(type, selection), { input }, who);

async function upserted(type: string, selection: string, input: Record<string, unknown>, who: Session | string = admin) {
  const result = await upsert(type, selection, input, who);
  expect(result.errors).toBeUndefined();
  const data = result.data![`upsert${type}`];
  return { status: data.status as string, skippedFields: data.skippedFields as string[], record: data[`${type[0].toLowerCase()}${type.slice(1)}`] };
}

beforeAll(async () => {
  t = await TestApp.start('upserts');
  admin = await t.signUp();
  support = await t.member(admin, 'SUPPORT');
});
afterAll(() => t.stop());

describe('each object: created, updated, unchanged by external ref', () => {
  const cases: Array<[string, string, Record<string, unknown>, Record<string, unknown>, string]> = [
    ['Account', 'name city', { name: 'Acme', city: 'Berlin' }, { city: 'Hamburg' }, 'city'],
    ['Contact', 'lastName jobTitle', { lastName: 'Lovelace', jobTitle: 'Engineer' }, { jobTitle: 'CTO' }, 'jobTitle'],
    ['Deal', 'name amount', { name: 'Big deal', amount: '1000' }, { amount: '2500.50' }, 'amount'],
    ['Ticket', 'subject priority', { subject: 'Broken' }, { priority: 'HIGH' }, 'priority'],
    ['Product', 'sku price', { sku: 'SKU-9', name: 'Widget', price: '10' }, { price: '12.5' }, 'price'],
  ];

  test.each(cases)('%s', async (type, selection, create, change, field) => {
    const externalRef = { system: 'erp', id: `${type}-1` };
    const fields = `id version externalRefs { system id } ${selection}`;
    const first = await upserted(type, fields, { ...create, externalRef });
    expect(first).toMatchObject({ status: 'CREATED', record: { version: 1, externalRefs: [externalRef] } });

    const second = await upserted(type, fields, { ...create, ...change, externalRef });
    expect(second).toMatchObject({ status: 'UPDATED', record: { id: first.record.id, version: 2 } });

    // The same values again (a decimal written differently is the same value): no write.
    const again = await upserted(type, fields, { ...create, ...change, externalRef });
    expect(again).toMatchObject({ status: 'UNCHANGED', record: { id: first.record.id, version: 2 } });

    const events = await recordEvents(t, first.record.id);
    expect(events.map((e) => e.type.split('.')[1])).toEqual(['created', 'updated']);
    expect(events[0].after.externalRefs).toEqual([externalRef]);
    expect(events[1].changed).toContain(field);
    expect(events[1].changed.filter((f) => f !== 'priorityRank')).toEqual([field]);
  });

  test('Order, with lines by productSku and productRef; a changed line is an update, the same lines are not', async () => {
    await upserted('Product', 'id', { sku: 'LINE-1', name: 'Bolt', price: '2', externalRef: { system: 'erp', id: 'P-LINE-1' } });
    await upserted('Account', 'id', { name: 'Buyer', externalRef: { system: 'erp', id: 'BUYER' } });
    const order = (lines: unknown[]) => ({ number: 'SO-1', accountRef: { system: 'erp', id: 'BUYER' }, lines, externalRef: { system: 'erp', id: 'O-1' } });
    const fields = 'id version total lines { quantity product { sku } }';
    const first = await upserted('Order', fields, order([{ productSku: 'line-1', quantity: '3' }]));
    expect(first).toMatchObject({ status: 'CREATED', record: { total: '6.00', lines: [{ quantity: '3.0000', product: { sku: 'LINE-1' } }] } });
    const same = await upserted('Order', fields, order([{ productRef: { system: 'erp', id: 'P-LINE-1' }, quantity: '3.0' }]));
    expect(same.status).toBe('UNCHANGED');
    const more = await upserted('Order', fields, order([{ productSku: 'LINE-1', quantity: '4' }]));
    expect(more).toMatchObject({ status: 'UPDATED', record: { version: 2, total: '8.00' } });
    const paid = await upserted('Order', 'status version', { ...order([{ productSku: 'LINE-1', quantity: '4' }]), status: 'PAID' });
    expect(paid.record).toMatchObject({ status: 'PAID', version: 3 });
  });
});

describe('matching', () => {
  test('natural keys, ignoring case: account domain, contact email, product sku, order number; the ref is attached', async () => {
    const account = await t.ok(`mutation { createAccount(input: { name: "Keyed", domain: "keyed.com" }) { id } }`, {}, admin);
    const byDomain = await upserted('Account', 'id version externalRefs { id }', { name: 'Keyed', domain: 'KEYED.com', externalRef: { system: 'crm2', id: 'k' } });
    expect(byDomain).toMatchObject({ status: 'UPDATED', record: { id: account.createAccount.id, version: 2, externalRefs: [{ id: 'k' }] } });
    // Matched by the ref now, even with another domain.
    const byRef = await upserted('Account', 'id domain', { name: 'Keyed', domain: 'keyed.de', externalRef: { system: 'crm2', id: 'k' } });
    expect(byRef.record).toEqual({ id: account.createAccount.id, domain: 'keyed.de' });

    const contact = await t.ok(`mutation { createContact(input: { lastName: "Key", email: "key@example.com" }) { id } }`, {}, admin);
    expect((await upserted('Contact', 'id', { lastName: 'Key', email: ' KEY@example.com' })).record.id).toBe(contact.createContact.id);

    const product = await t.ok(`mutation { createProduct(input: { sku: "Nat-1", name: "N", price: "1" }) { id } }`, {}, admin);
    const bySku = await upserted('Product', 'id sku', { sku: 'NAT-1', name: 'N', price: '1.00' });
    expect(bySku).toMatchObject({ status: 'UPDATED', record: { id: product.createProduct.id, sku: 'NAT-1' } });

    const buyer = await t.ok(`mutation { createAccount(input: { name: "Orderer" }) { id } }`, {}, admin);
    const made = await t.ok(`mutation($a: ID!) { createOrder(input: { number: "Nat-42", accountId: $a }) { id } }`, { a: buyer.createAccount.id }, admin);
    const byNumber = await upserted('Order', 'id', { number: 'nat-42', accountId: buyer.createAccount.id });
    expect(byNumber.record.id).toBe(made.createOrder.id);
  });

  test('deals and tickets have no natural key: externalRef is required, as is a way to match accounts', async () => {
    for (const [type, input] of [['Deal', { name: 'No ref' }], ['Ticket', { subject: 'No ref' }], ['Account', { name: 'No key' }]] as const) {
      const result = await upsert(type, 'id', input);
      expect(errorCode(result)).toBe('BAD_USER_INPUT');
      expect(errorFields(result)).toEqual(['input.externalRef']);
    }
  });

  test('a trashed record its ref names is restored and updated (UPDATED), keeping its refs', async () => {
    const first = await upserted('Account', 'id', { name: 'Trash', externalRef: { system: 'erp', id: 'TRASH' } });
    await t.ok(`mutation($id: ID!) { deleteAccount(id: $id) { id } }`, { id: first.record.id }, admin);
    const back = await upserted('Account', 'id deletedAt name externalRefs { id }', { name: 'Trash 2', externalRef: { system: 'erp', id: 'TRASH' } });
    expect(back).toMatchObject({ status: 'UPDATED', record: { id: first.record.id, deletedAt: null, name: 'Trash 2', externalRefs: [{ id: 'TRASH' }] } });
  });

  test('a record already known by another id in the system: CONFLICT naming input.externalRef', async () => {
    await upserted('Contact', 'id', { lastName: 'Twice', email: 'twice@example.com', externalRef: { system: 'shop', id: '1' } });
    const result = await upsert('Contact', 'id', { lastName: 'Twice', email: 'twice@example.com', externalRef: { system: 'shop', id: '2' } });
    expect(errorCode(result)).toBe('CONFLICT');
    expect(errorFields(result)).toEqual(['input.externalRef']);
  });

  test('bad refs and bad fields are named by path', async () => {
    const result = await upsert('Contact', 'id', { lastName: 'X', email: 'not-an-email', externalRef: { system: 'Bad System', id: '' } });
    expect(errorCode(result)).toBe('BAD_USER_INPUT');
    expect(errorFields(result).sort()).toEqual(['input.email', 'input.externalRef.id', 'input.externalRef.system']);
  });
});

describe('references given by external ref', () => {
  test('contact, deal, ticket and order name their account and contact by ref; unknown refs name their field', async () => {
    const account = await upserted('Account', 'id', { name: 'Ref Co', externalRef: { system: 'erp', id: 'REF-CO' } });
    const contact = await upserted('Contact', 'id account { id }', { lastName: 'Refd', email: 'refd@example.com', accountRef: { system: 'erp', id: 'REF-CO' }, externalRef: { system: 'erp', id: 'C-REF' } });
    expect(contact.record.account.id).toBe(account.record.id);
    const refs = { accountRef: { system: 'erp', id: 'REF-CO' }, contactRef: { system: 'erp', id: 'C-REF' } };
    const deal = await upserted('Deal', 'account { id } primaryContact { id }', { name: 'D', ...refs, externalRef: { system: 'erp', id: 'D-REF' } });
    expect(deal.record).toEqual({ account: { id: account.record.id }, primaryContact: { id: contact.record.id } });
    const ticket = await upserted('Ticket', 'account { id } contact { id }', { subject: 'T', ...refs, externalRef: { system: 'erp', id: 'T-REF' } });
    expect(ticket.record).toEqual({ account: { id: account.record.id }, contact: { id: contact.record.id } });

    const unknown = await upsert('Deal', 'id', { name: 'D', accountRef: { system: 'erp', id: 'nope' }, externalRef: { system: 'erp', id: 'D-2' } });
    expect(errorFields(unknown)).toEqual(['input.accountRef']);
    await upserted('Product', 'id', { sku: 'REF-P', name: 'P', price: '1' });
    const lines = [{ productSku: 'REF-P', quantity: '1' }, { productSku: 'REF-P', quantity: '1' }, { productRef: { system: 'erp', id: 'nope' }, quantity: '1' }];
    const order = await upsert('Order', 'id', { number: 'SO-REF', ...refs, lines, externalRef: { system: 'erp', id: 'O-REF' } });
    expect(errorCode(order)).toBe('BAD_USER_INPUT');
    expect(errorFields(order)).toEqual(['input.lines[2].productRef']);
  });
});

describe('field ownership', () => {
  const SET = `mutation($input: SetFieldOwnerInput!) { setFieldOwner(input: $input) { object field system } }`;

  test('an upsert from a source that does not own a field leaves it and reports it; the owner changes it', async () => {
    await t.ok(SET, { input: { object: 'ACCOUNT', field: 'phone', system: 'erp' } }, admin);
    await t.ok(SET, { input: { object: 'ACCOUNT', field: 'ownerId', system: 'crm' } }, admin);
    const owners = await t.ok(`{ fieldOwners { object field system } }`, {}, admin);
    expect(owners.fieldOwners).toEqual([
      { object: 'ACCOUNT', field: 'ownerId', system: 'crm' },
      { object: 'ACCOUNT', field: 'phone', system: 'erp' },
    ]);

    const created = await upserted('Account', 'id phone industry owner { id }', { name: 'Owned', phone: '+49 1', externalRef: { system: 'shop', id: 'OWNED' } });
    expect(created.record.phone).toBe('+49 1');
    const fromShop = await upserted('Account', 'phone industry owner { id }', {
      name: 'Owned',
      phone: '+49 2',
      industry: 'Retail',
      ownerId: admin.userId,
      externalRef: { system: 'shop', id: 'OWNED' },
    });
    expect(fromShop).toMatchObject({ status: 'UPDATED', skippedFields: ['phone', 'ownerId'], record: { phone: '+49 1', industry: 'Retail', owner: null } });
    const fromErp = await upserted('Account', 'phone', { name: 'Owned', phone: '+49 3', externalRef: { system: 'shop', id: 'OWNED' }, syncSource: 'erp' });
    expect(fromErp).toMatchObject({ status: 'UPDATED', skippedFields: [], record: { phone: '+49 3' } });
    // People's plain updates are not restricted.
    const byPerson = await t.ok(`mutation($id: ID!) { updateAccount(id: $id, input: { phone: "+49 4" }) { phone } }`, { id: created.record.id }, admin);
    expect(byPerson.updateAccount.phone).toBe('+49 4');

    await t.ok(SET, { input: { object: 'ACCOUNT', field: 'phone', system: null } }, admin);
    expect((await t.ok(`{ fieldOwners { field } }`, {}, admin)).fieldOwners).toEqual([{ field: 'ownerId' }]);
  });

  test('unknown fields are bad input naming input.field; only admins set owners', async () => {
    const unknown = await t.gql(SET, { input: { object: 'CONTACT', field: 'shoeSize', system: 'erp' } }, admin);
    expect(errorCode(unknown)).toBe('BAD_USER_INPUT');
    expect(errorFields(unknown)).toEqual(['input.field']);
    expect(errorCode(await t.gql(SET, { input: { object: 'CONTACT', field: 'email', system: 'erp' } }, support))).toBe('FORBIDDEN');
  });
});

describe('concurrency and permissions', () => {
  test('20 concurrent identical upserts (by ref, by natural key) make exactly one record', async () => {
    const byRef = await Promise.all(
      Array.from({ length: 20 }, () => upsert('Account', 'id', { name: 'Race', city: 'Rome', externalRef: { system: 'erp', id: 'RACE' } })),
    );
    const byKey = await Promise.all(Array.from({ length: 20 }, () => upsert('Contact', 'id', { lastName: 'Race', email: 'race@example.com' })));
    for (const results of [byRef, byKey]) {
      expect(results.every((r) => !r.errors)).toBe(true);
      const statuses = results.map((r) => Object.values(r.data!)[0].status as string);
      expect(statuses.filter((s) => s === 'CREATED')).toHaveLength(1);
      expect(new Set(results.map((r) => JSON.stringify(Object.values(r.data!)[0])).values()).size).toBeLessThanOrEqual(2);
    }
    const accounts = await t.ok(`{ accounts(filter: { name: { eq: "Race" } }) { totalCount } contacts(filter: { lastName: { eq: "Race" } }) { totalCount } }`, {}, admin);
    expect(accounts).toEqual({ accounts: { totalCount: 1 }, contacts: { totalCount: 1 } });
  });

  test('upserts need the object’s write permission; an API key its write scope', async () => {
    expect(errorCode(await upsert('Deal', 'id', { name: 'No', externalRef: { system: 'erp', id: 'PERM' } }, support))).toBe('FORBIDDEN');
    const key = await t.ok(`mutation { createApiKey(input: { name: "shop", scopes: ["contacts:write", "crm:read"] }) { token } }`, {}, admin);
    const token = key.createApiKey.token as string;
    const contact = await upserted('Contact', 'id', { lastName: 'Keyed', email: 'keyed@example.com', externalRef: { system: 'shop', id: 'K1' } }, token);
    expect(contact.status).toBe('CREATED');
    expect(errorCode(await upsert('Account', 'id', { name: 'No', externalRef: { system: 'shop', id: 'K1' } }, token))).toBe('FORBIDDEN');
    const bulk = await t.gql(`mutation { upsertAccounts(inputs: [{ name: "No", domain: "no.com" }]) { created } }`, {}, token);
    expect(errorCode(bulk)).toBe('FORBIDDEN');
  });
});
