import { recordEvents, upsertMutation } from './support/sync';
import { TestApp, errorCode, errorFields, type Session } from './support/test-app';

/**
 * External references: `X.externalRefs` (batched), lookups by ref, add/remove (record events
 * show them), conflicts, validation, permissions and tenant isolation.
 */
let t: TestApp;
let admin: Session;
let support: Session;
let other: Session;

const ADD = `mutation($id: ID!, $ref: ExternalRefInput!) { addExternalRef(recordId: $id, ref: $ref) { id ... on Account { version externalRefs { system id } } } }`;
const REMOVE = `mutation($id: ID!, $system: String!) { removeExternalRef(recordId: $id, system: $system) { id ... on Account { version externalRefs { system id } } } }`;

const newAccount = async (name: string, who: Session = admin) =>
  (await t.ok(`mutation($name: String!) { createAccount(input: { name: $name }) { id } }`, { name }, who)).createAccount.id as string;

beforeAll(async () => {
  t = await TestApp.start('external_refs');
  admin = await t.signUp();
  support = await t.member(admin, 'SUPPORT');
  other = await t.signUp('Other GmbH');
});
afterAll(() => t.stop());

test('add and remove: version + 1 and an updated event whose before/after show externalRefs; several systems per record', async () => {
  const id = await newAccount('Linked');
  const added = await t.ok(ADD, { id, ref: { system: 'erp', id: '1000' } }, admin);
  expect(added.addExternalRef).toEqual({ id, version: 2, externalRefs: [{ system: 'erp', id: '1000' }] });
  const second = await t.ok(ADD, { id, ref: { system: 'shop', id: 'x-1' } }, admin);
  expect(second.addExternalRef.externalRefs).toEqual([{ system: 'erp', id: '1000' }, { system: 'shop', id: 'x-1' }]);
  const removed = await t.ok(REMOVE, { id, system: 'erp' }, admin);
  expect(removed.removeExternalRef).toMatchObject({ version: 4, externalRefs: [{ system: 'shop', id: 'x-1' }] });

  const events = await recordEvents(t, id);
  expect(events.map((e) => e.type)).toEqual(['account.created', 'account.updated', 'account.updated', 'account.updated']);
  expect(events[0].after.externalRefs).toEqual([]);
  expect(events[1]).toMatchObject({ changed: ['externalRefs'], before: { externalRefs: [] }, after: { externalRefs: [{ system: 'erp', id: '1000' }] } });
  expect(events[3].after.externalRefs).toEqual([{ system: 'shop', id: 'x-1' }]);

  const missing = await t.gql(REMOVE, { id, system: 'erp' }, admin);
  expect(errorFields(missing)).toEqual(['system']);
});

test('a ref taken by another record, or a second id in the same system: CONFLICT naming ref; bad refs name their field', async () => {
  const a = await newAccount('Taken A');
  const b = await newAccount('Taken B');
  await t.ok(ADD, { id: a, ref: { system: 'erp', id: 'T-1' } }, admin);
  const taken = await t.gql(ADD, { id: b, ref: { system: 'erp', id: 'T-1' } }, admin);
  expect(errorCode(taken)).toBe('CONFLICT');
  expect(errorFields(taken)).toEqual(['ref']);
  const second = await t.gql(ADD, { id: a, ref: { system: 'erp', id: 'T-2' } }, admin);
  expect(errorCode(second)).toBe('CONFLICT');
  // The same ref again changes nothing but the version.
  expect((await t.ok(ADD, { id: a, ref: { system: 'erp', id: 'T-1' } }, admin)).addExternalRef.externalRefs).toEqual([{ system: 'erp', id: 'T-1' }]);

  const bad = await t.gql(ADD, { id: a, ref: { system: 'ERP!', id: 'x'.repeat(201) } }, admin);
  expect(errorCode(bad)).toBe('BAD_USER_INPUT');
  expect(errorFields(bad).sort()).toEqual(['ref.id', 'ref.system']);
  expect(errorFields(await t.gql(ADD, { id: 'usr_00000000000000000000000000000000', ref: { system: 'erp', id: '1' } }, admin))).toEqual(['recordId']);
});

test('lookups by id or externalRef (exactly one), on all six objects; an unknown ref is NOT_FOUND', async () => {
  const ref = { system: 'erp', id: 'LOOK' };
  const setups: Array<[string, Record<string, unknown>]> = [
    ['Account', { name: 'Look' }],
    ['Contact', { lastName: 'Look' }],
    ['Deal', { name: 'Look' }],
    ['Ticket', { subject: 'Look' }],
    ['Product', { sku: 'LOOK', name: 'Look', price: '1' }],
  ];
  for (const [type, input] of setups) {
    const made = await t.ok(upsertMutation(type, 'id'), { input: { ...input, externalRef: ref } }, admin);
    const field = `${type[0].toLowerCase()}${type.slice(1)}`;
    const found = await t.ok(`query($ref: ExternalRefInput) { ${field}(externalRef: $ref) { id externalRefs { id } } }`, { ref }, admin);
    expect(found[field]).toEqual({ id: made[`upsert${type}`][field].id, externalRefs: [{ id: 'LOOK' }] });
  }
  const account = await t.ok(`{ account(externalRef: { system: "erp", id: "LOOK" }) { id } }`, {}, admin);
  await t.ok(upsertMutation('Order', 'id'), { input: { number: 'LOOK', accountId: account.account.id, externalRef: ref } }, admin);
  expect((await t.ok(`{ order(externalRef: { system: "erp", id: "LOOK" }) { number } }`, {}, admin)).order.number).toBe('LOOK');

  expect(errorCode(await t.gql(`{ account(externalRef: { system: "erp", id: "nope" }) { id } }`, {}, admin))).toBe('NOT_FOUND');
  const both = await t.gql(`query($id: ID) { account(id: $id, externalRef: { system: "erp", id: "LOOK" }) { id } }`, { id: account.account.id }, admin);
  expect(errorCode(both)).toBe('BAD_USER_INPUT');
  expect(errorCode(await t.gql(`{ account { id } }`, {}, admin))).toBe('BAD_USER_INPUT');
});

test('externalRefs resolve in one batch: the same statements for 3 parents as for 30', async () => {
  for (let i = 0; i < 30; i++) {
    await t.ok(upsertMutation('Product', 'id'), { input: { sku: `BATCH-${i}`, name: 'Batch', price: '1', tags: ['batch'], externalRef: { system: 'erp', id: `B-${i}` } } }, admin);
  }
  const page = `query($n: Int) { products(first: $n, filter: { tags: { hasAny: ["batch"] } }) { edges { node { id externalRefs { system id } } } } }`;
  const count = async (n: number) => {
    const before = t.statements;
    const data = await t.ok(page, { n }, admin);
    expect(data.products.edges).toHaveLength(n);
    expect(data.products.edges.every((e: any) => e.node.externalRefs.length === 1)).toBe(true);
    return t.statements - before;
  };
  expect(await count(30)).toBe(await count(3));
});

test('permissions: adding a ref needs the object’s write permission', async () => {
  const deal = await t.ok(upsertMutation('Deal', 'id'), { input: { name: 'Perm', externalRef: { system: 'erp', id: 'PERM' } } }, admin);
  const result = await t.gql(ADD, { id: deal.upsertDeal.deal.id, ref: { system: 'shop', id: '1' } }, support);
  expect(errorCode(result)).toBe('FORBIDDEN');
});

test('tenant isolation: a ref in another workspace is invisible and does not collide', async () => {
  const ref = { system: 'erp', id: 'SHARED' };
  const mine = await t.ok(upsertMutation('Account', 'id'), { input: { name: 'Mine', externalRef: ref } }, admin);
  expect(errorCode(await t.gql(`query($ref: ExternalRefInput) { account(externalRef: $ref) { id } }`, { ref }, other))).toBe('NOT_FOUND');
  const theirs = await t.ok(upsertMutation('Account', 'id name'), { input: { name: 'Theirs', externalRef: ref } }, other);
  expect(theirs.upsertAccount.status).toBe('CREATED');
  expect(theirs.upsertAccount.account.id).not.toBe(mine.upsertAccount.account.id);
  const again = await t.ok(`query($ref: ExternalRefInput) { account(externalRef: $ref) { name } }`, { ref }, admin);
  expect(again.account.name).toBe('Mine');
  expect(errorCode(await t.gql(ADD, { id: mine.upsertAccount.account.id, ref: { system: 'x', id: '1' } }, other))).toBe('NOT_FOUND');
});
