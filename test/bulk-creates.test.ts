import { superuserClient } from './support/databases';
import { recordEvents } from './support/sync';
import { TestApp, type Session } from './support/test-app';

/**
 * Set-based creates in bulk upserts: a batch's new records are inserted together (a bounded
 * number of statements however many there are), yet every item keeps its own result; a failing
 * insert falls back to per-item writes, and in-batch duplicates update what the first created.
 */
let t: TestApp;
let admin: Session;

const BULK_CONTACTS = `mutation($inputs: [UpsertContactInput!]!) {
  upsertContacts(inputs: $inputs) {
    created updated unchanged failed
    items { index status contact { id email jobTitle account { name } externalRefs { system id } } error { code fields { field } } }
  }
}`;

const contact = (i: number, extra: Record<string, unknown> = {}) => ({ lastName: `New ${i}`, email: `new${i}@example.com`, externalRef: { system: 'erp', id: `N${i}` }, ...extra });
const upsert = async (inputs: unknown[]) => (await t.ok(BULK_CONTACTS, { inputs }, admin)).upsertContacts;

beforeAll(async () => {
  t = await TestApp.start('bulk_creates');
  admin = await t.signUp();
  await t.ok(`mutation { upsertAccounts(inputs: [{ name: "Parent", externalRef: { system: "erp", id: "P" } }]) { created } }`, {}, admin);
});
afterAll(() => t.stop());

test('1,000 new contacts: a bounded number of statements, each created with its ref, account and one created event', async () => {
  const inputs = Array.from({ length: 1000 }, (_, i) => contact(i, { accountRef: { system: 'erp', id: 'P' } }));
  const before = t.statements;
  const data = await upsert(inputs);
  // Item by item this took about 10 statements per contact.
  expect(t.statements - before).toBeLessThan(50);
  expect(data).toMatchObject({ created: 1000, failed: 0 });
  expect(data.items[999].contact).toMatchObject({ email: 'new999@example.com', account: { name: 'Parent' }, externalRefs: [{ system: 'erp', id: 'N999' }] });
  const events = await recordEvents(t, data.items[0].contact.id);
  expect(events.map((e) => e.type)).toEqual(['contact.created']);
  expect(events[0].after).toMatchObject({ email: 'new0@example.com', externalRefs: [{ system: 'erp', id: 'N0' }] });
});

test('a new item that violates a constraint fails alone with its error; the others are created', async () => {
  const db = await superuserClient(t.database.name);
  await db.query(`ALTER TABLE contacts ADD CONSTRAINT test_no_blocked CHECK (last_name <> 'Blocked')`);
  try {
    const data = await upsert([contact(2000), contact(2001, { lastName: 'Blocked' }), contact(2002)]);
    expect(data.items.map((i: any) => i.status)).toEqual(['CREATED', 'FAILED', 'CREATED']);
    expect(data.items[1]).toMatchObject({ contact: null, error: { code: 'BAD_USER_INPUT' } });
    expect(data.items[2].contact.externalRefs).toEqual([{ system: 'erp', id: 'N2002' }]);
    const refs = await db.query(`SELECT count(*)::int AS n FROM external_refs WHERE external_id = ANY($1)`, [['N2000', 'N2001', 'N2002']]);
    expect(refs.rows[0].n).toBe(2);
  } finally {
    await db.query(`ALTER TABLE contacts DROP CONSTRAINT test_no_blocked`);
    await db.end();
  }
});

test('in-batch duplicates: a later item with the same ref or email updates what the first created', async () => {
  const inputs = [
    contact(3000),
    contact(3001),
    contact(3000, { jobTitle: 'CFO' }),
    { lastName: 'Same email', email: 'NEW3001@example.com', jobTitle: 'CTO' },
    contact(3002),
  ];
  const data = await upsert(inputs);
  expect(data.items.map((i: any) => i.status)).toEqual(['CREATED', 'CREATED', 'UPDATED', 'UPDATED', 'CREATED']);
  expect(data.items[2].contact).toMatchObject({ id: data.items[0].contact.id, jobTitle: 'CFO' });
  expect(data.items[3].contact).toMatchObject({ id: data.items[1].contact.id, jobTitle: 'CTO' });
  const events = await recordEvents(t, data.items[0].contact.id);
  expect(events.map((e) => e.type)).toEqual(['contact.created', 'contact.updated']);
  expect(events[0].after).toMatchObject({ jobTitle: null, externalRefs: [{ system: 'erp', id: 'N3000' }] });
});

test('new accounts and products are created together too', async () => {
  const before = t.statements;
  const accounts = Array.from({ length: 200 }, (_, i) => ({ name: `Acme ${i}`, domain: `acme${i}.com` }));
  const created = await t.ok(`mutation($inputs: [UpsertAccountInput!]!) { upsertAccounts(inputs: $inputs) { created } }`, { inputs: accounts }, admin);
  expect(created.upsertAccounts.created).toBe(200);
  // Half without a currency: the workspace's default, read once.
  const products = Array.from({ length: 200 }, (_, i) => ({ sku: `SKU-${i}`, name: `Widget ${i}`, price: '9.50', currency: i % 2 ? 'CHF' : undefined }));
  const made = await t.ok(`mutation($inputs: [UpsertProductInput!]!) { upsertProducts(inputs: $inputs) { created items { product { currency } } } }`, { inputs: products }, admin);
  expect(made.upsertProducts.created).toBe(200);
  expect(made.upsertProducts.items.slice(0, 2).map((i: any) => i.product.currency)).toEqual(['EUR', 'CHF']);
  expect(t.statements - before).toBeLessThan(100);
});

test('updates of matched records: locked and read once for all, each updated event with its own before', async () => {
  const first = await upsert([contact(4000, { jobTitle: 'A' }), contact(4001, { jobTitle: 'A' })]);
  const id = first.items[0].contact.id;
  const data = await upsert([contact(4000, { jobTitle: 'B' }), contact(4001, { jobTitle: 'B' }), contact(4000, { jobTitle: 'C' })]);
  expect(data.items.map((i: any) => i.status)).toEqual(['UPDATED', 'UPDATED', 'UPDATED']);
  const events = await recordEvents(t, id);
  expect(events.map((e) => [e.type, e.before?.jobTitle ?? null, e.after.jobTitle, e.before && e.changed])).toEqual([
    ['contact.created', null, 'A', null],
    ['contact.updated', 'A', 'B', ['jobTitle']],
    ['contact.updated', 'B', 'C', ['jobTitle']],
  ]);
});
