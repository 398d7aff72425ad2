import { errorCode, errorFields, TestApp, type Session } from './support/test-app';

/** Tags on accounts, contacts, deals and tickets: set on create and update, filtered with has / hasAny / hasAll. */

let t: TestApp;
let admin: Session;

beforeAll(async () => {
  t = await TestApp.start('tags');
  admin = await t.signUp('Tags GmbH');
});
afterAll(() => t.stop());

const CREATE: Record<string, [string, Record<string, unknown>]> = {
  account: ['createAccount(input: { name: "A", tags: $tags })', {}],
  contact: ['createContact(input: { lastName: "C", tags: $tags })', {}],
  deal: ['createDeal(input: { name: "D", tags: $tags })', {}],
  ticket: ['createTicket(input: { subject: "T", tags: $tags })', {}],
};

test.each(Object.keys(CREATE))('%s: tags are trimmed and kept once; the list filter finds them by has, hasAny and hasAll', async (type) => {
  const [create] = CREATE[type];
  const plural = `${type}s`;
  const vip = (await t.ok(`mutation($tags: [String!]) { r: ${create} { id tags } }`, { tags: [' vip ', 'emea', 'vip'] }, admin)).r;
  expect(vip.tags).toEqual(['vip', 'emea']);
  const plain = (await t.ok(`mutation($tags: [String!]) { r: ${create} { id tags } }`, { tags: undefined }, admin)).r;
  expect(plain.tags).toEqual([]);
  const ids = async (filter: Record<string, unknown>) =>
    (await t.ok(`query($f: ${type[0].toUpperCase()}${type.slice(1)}Filter) { ${plural}(filter: $f) { edges { node { id } } } }`, { f: filter }, admin))[plural].edges.map((e: any) => e.node.id);
  expect(await ids({ tags: { has: 'vip' } })).toEqual([vip.id]);
  expect(await ids({ tags: { hasAny: ['nope', 'emea'] } })).toEqual([vip.id]);
  expect(await ids({ tags: { hasAll: ['vip', 'nope'] } })).toEqual([]);
  expect(await ids({ not: { tags: { has: 'vip' } } })).toEqual([plain.id]);
});

test('an update replaces the tags; a blank tag is BAD_USER_INPUT on tags', async () => {
  const deal = (await t.ok(`mutation { createDeal(input: { name: "Tagged", tags: ["a"] }) { id } }`, {}, admin)).createDeal;
  const updated = await t.ok(`mutation($id: ID!) { updateDeal(id: $id, input: { tags: ["b", "c"] }) { tags } }`, { id: deal.id }, admin);
  expect(updated.updateDeal.tags).toEqual(['b', 'c']);
  const blank = await t.gql(`mutation($id: ID!) { updateDeal(id: $id, input: { tags: ["ok", " "] }) { tags } }`, { id: deal.id }, admin);
  expect(errorCode(blank)).toBe('BAD_USER_INPUT');
  expect(errorFields(blank)).toEqual(['tags']);
});
