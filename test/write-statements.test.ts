import { newRecordId } from '../src/kernel/ids';
import { TestApp, errorCode, errorFields, type Session } from './support/test-app';

/**
 * How many SQL statements a mutation sends, as the benchmark counts them (round trips: BEGIN with
 * the tenant scope's crm_enter, which go in one message, and COMMIT included): a regression guard
 * for the one-transaction writes. A count is deterministic where time is not. Before this work
 * createDeal sent 20 statements in three transactions, updateDeal and deleteDeal 12, createContact 10.
 */
let t: TestApp;
let admin: Session;
let accountId: string;

const statementsOf = async (query: string, variables: Record<string, unknown> = {}, who: Session = admin) => {
  const before = t.statements;
  const result = await t.gql(query, variables, who);
  if (result.errors) throw new Error(JSON.stringify(result.errors));
  return { statements: t.statements - before, data: result.data! };
};

const CREATE_DEAL = `mutation($input: CreateDealInput!) {
  createDeal(input: $input) { id name amount currency status createdAt account { id name } stage { id name } }
}`;

beforeAll(async () => {
  t = await TestApp.start('write_statements');
  admin = await t.signUp();
  accountId = (await t.ok(`mutation { createAccount(input: { name: "Acme" }) { id } }`, {}, admin)).createAccount.id;
});
afterAll(() => t.stop());

test('createDeal as the benchmark sends it (account and stage in the answer): 5 statements in one transaction', async () => {
  const { statements, data } = await statementsOf(CREATE_DEAL, { input: { name: 'Counted', amount: '10.50', accountId, expectedCloseDate: '2027-03-31' } });
  // BEGIN with crm_enter (the role check), the account, the default pipeline with its stages (locked), the insert with its event, COMMIT.
  expect(statements).toBe(5);
  expect(data.createDeal).toMatchObject({ name: 'Counted', currency: 'EUR', status: 'OPEN', account: { id: accountId, name: 'Acme' }, stage: { name: expect.any(String) } });
});

test('updateDeal, deleteDeal, restoreDeal, createContact, updateContact: 3 statements each', async () => {
  const deal = (await t.ok(CREATE_DEAL, { input: { name: 'Changed', amount: '1' } }, admin)).createDeal;
  const counts = [
    (await statementsOf(`mutation($id: ID!) { updateDeal(id: $id, input: { name: "Renamed" }, expectedVersion: 1) { id name version } }`, { id: deal.id })).statements,
    (await statementsOf(`mutation($id: ID!) { deleteDeal(id: $id) { id deletedAt } }`, { id: deal.id })).statements,
    (await statementsOf(`mutation { createContact(input: { firstName: "Ada", lastName: "Lovelace", email: "ada@example.com" }) { id name } }`)).statements,
  ];
  const contactId = (await t.ok(`{ contacts(first: 1) { edges { node { id } } } }`, {}, admin)).contacts.edges[0].node.id;
  counts.push((await statementsOf(`mutation($id: ID!) { updateContact(id: $id, input: { jobTitle: "CTO" }) { id jobTitle } }`, { id: contactId })).statements);
  expect(counts).toEqual([3, 3, 3, 3]);
});

test('a stale expectedVersion is CONFLICT with the current version, and nothing changes', async () => {
  const deal = (await t.ok(CREATE_DEAL, { input: { name: 'Versioned', amount: '1' } }, admin)).createDeal;
  await t.ok(`mutation($id: ID!) { updateDeal(id: $id, input: { name: "Second" }) { id } }`, { id: deal.id }, admin);
  const stale = await t.gql(`mutation($id: ID!) { updateDeal(id: $id, input: { name: "Lost" }, expectedVersion: 1) { id } }`, { id: deal.id }, admin);
  expect(errorCode(stale)).toBe('CONFLICT');
  expect(stale.errors![0].extensions!.currentVersion).toBe(2);
  expect((await t.ok(`query($id: ID!) { deal(id: $id) { name version } }`, { id: deal.id }, admin)).deal).toEqual({ name: 'Second', version: 2 });
});

test('a reference to another workspace’s or a trashed record answers like a missing one, naming the field', async () => {
  const other = await t.signUp('Other GmbH');
  const foreign = (await t.ok(`mutation { createAccount(input: { name: "Theirs" }) { id } }`, {}, other)).createAccount.id;
  const trashed = (await t.ok(`mutation { createAccount(input: { name: "Gone" }) { id } }`, {}, admin)).createAccount.id;
  await t.ok(`mutation($id: ID!) { deleteAccount(id: $id) { id } }`, { id: trashed }, admin);
  const missing = foreign.replace(/.$/, (c: string) => (c === '0' ? '1' : '0'));
  const answers = [];
  for (const id of [foreign, trashed, missing]) {
    const result = await t.gql(CREATE_DEAL, { input: { name: 'Refused', amount: '1', accountId: id } }, admin);
    answers.push({ code: errorCode(result), fields: errorFields(result), message: result.errors![0].message });
  }
  expect(answers[0]).toEqual({ code: 'BAD_USER_INPUT', fields: ['accountId'], message: expect.stringContaining('no Account with this id') });
  expect(answers[1]).toEqual(answers[0]);
  expect(answers[2]).toEqual(answers[0]);
  const update = await t.gql(`mutation($c: ID!) { createContact(input: { lastName: "X", accountId: $c }) { id } }`, { c: foreign }, admin);
  expect([errorCode(update), errorFields(update)]).toEqual(['BAD_USER_INPUT', ['accountId']]);
  expect((await t.ok(`{ deals(filter: { name: { eq: "Refused" } }) { totalCount } }`, {}, admin)).deals.totalCount).toBe(0);
});

test('new records get time-ordered ids (UUID version 7): created later sorts later', async () => {
  const first = newRecordId(Date.UTC(2026, 0, 1));
  const later = newRecordId(Date.UTC(2026, 0, 1, 0, 0, 0, 1));
  expect(first).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  expect(first < later).toBe(true);
  expect(new Set(Array.from({ length: 1000 }, () => newRecordId())).size).toBe(1000);
  const id = (await t.ok(`mutation { createContact(input: { lastName: "Seven" }) { id } }`, {}, admin)).createContact.id as string;
  expect(id.split('_')[1][12]).toBe('7');
});
