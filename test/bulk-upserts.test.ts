import { parse, getOperationAST } from 'graphql';
import { RequestContext } from '../src/kernel/context';
import { parseId } from '../src/kernel/ids';
import { upsertBatch } from '../src/modules/sync';
import { measureOperation } from '../src/server/limits/operation-cost';
import { buildCrmSchema } from '../src/schema';
import { TestApp, errorCode, errorFields, type Session } from './support/test-app';

/**
 * Bulk upserts (`upsertXs`) and the engine entry point `upsertBatch`: per-item outcomes in input
 * order, a bad item fails alone, atomic calls write all or nothing, at most 1,000 items, batched
 * matching, and a cost that lets a system push continuously under the default limits.
 */
let t: TestApp;
let admin: Session;

const BULK_CONTACTS = `mutation($inputs: [UpsertContactInput!]!, $atomic: Boolean) {
  upsertContacts(inputs: $inputs, atomic: $atomic) {
    created updated unchanged failed
    items { index status skippedFields contact { id email } error { code message fields { field message } } }
  }
}`;

const contact = (i: number, extra: Record<string, unknown> = {}) => ({ lastName: `Bulk ${i}`, email: `bulk${i}@example.com`, externalRef: { system: 'erp', id: `C${i}` }, ...extra });

beforeAll(async () => {
  // The default limits (complexity 5,000; an API key's bucket of 5,000 points refilled at 250 a second).
  t = await TestApp.start('bulk_upserts', { RATE_LIMIT_API_KEY_CAPACITY: '5000', RATE_LIMIT_API_KEY_REFILL_PER_SECOND: '250' });
  admin = await t.signUp();
});
afterAll(() => t.stop());

test('a mixed call: created, updated, unchanged and a bad item that fails alone, in input order', async () => {
  await t.ok(BULK_CONTACTS, { inputs: [contact(1), contact(2)] }, admin);
  const inputs = [contact(1), contact(2, { jobTitle: 'CFO' }), contact(3, { email: 'broken' }), contact(4), contact(5, { accountRef: { system: 'erp', id: 'nope' } })];
  const data = (await t.ok(BULK_CONTACTS, { inputs }, admin)).upsertContacts;
  expect(data).toMatchObject({ created: 1, updated: 1, unchanged: 1, failed: 2 });
  expect(data.items.map((i: any) => [i.index, i.status])).toEqual([
    [0, 'UNCHANGED'],
    [1, 'UPDATED'],
    [2, 'FAILED'],
    [3, 'CREATED'],
    [4, 'FAILED'],
  ]);
  expect(data.items[2]).toMatchObject({ contact: null, error: { code: 'BAD_USER_INPUT', fields: [{ field: 'inputs[2].email' }] } });
  expect(data.items[4].error.fields).toEqual([{ field: 'inputs[4].accountRef', message: 'no Account with this id in erp' }]);
  expect(data.items[3].contact.email).toBe('bulk4@example.com');
});

test('two items with the same ref in one call: the second updates what the first created', async () => {
  const data = (await t.ok(BULK_CONTACTS, { inputs: [contact(10), contact(10, { jobTitle: 'Boss' })] }, admin)).upsertContacts;
  expect(data.items.map((i: any) => i.status)).toEqual(['CREATED', 'UPDATED']);
  expect(data.items[0].contact.id).toBe(data.items[1].contact.id);
});

test('atomic: one bad item fails the call naming every failing inputs[i] field, and nothing is written', async () => {
  const inputs = [contact(20), contact(21, { email: 'nope' }), contact(22, { lastName: '' })];
  const result = await t.gql(BULK_CONTACTS, { inputs, atomic: true }, admin);
  expect(errorCode(result)).toBe('BAD_USER_INPUT');
  expect([...new Set(errorFields(result))]).toEqual(['inputs[1].email', 'inputs[2].lastName']);
  const after = await t.ok(`{ contacts(filter: { email: { eq: "bulk20@example.com" } }) { totalCount } }`, {}, admin);
  expect(after.contacts.totalCount).toBe(0);
  // Without the bad items, atomic writes them all.
  expect((await t.ok(BULK_CONTACTS, { inputs: [contact(20)], atomic: true }, admin)).upsertContacts.created).toBe(1);
});

test('more than 1,000 items are refused naming inputs', async () => {
  const inputs = Array.from({ length: 1001 }, (_, i) => ({ name: `Too many ${i}`, domain: `too${i}.com` }));
  const result = await t.gql(`mutation($inputs: [UpsertAccountInput!]!) { upsertAccounts(inputs: $inputs) { created } }`, { inputs }, admin);
  expect(errorCode(result)).toBe('BAD_USER_INPUT');
  expect(errorFields(result)).toEqual(['inputs']);
});

test('order items name line problems by path: inputs[i].lines[j].productRef', async () => {
  await t.ok(`mutation { upsertAccounts(inputs: [{ name: "Buyer", externalRef: { system: "erp", id: "B" } }]) { created } }`, {}, admin);
  const data = await t.ok(
    `mutation($inputs: [UpsertOrderInput!]!) { upsertOrders(inputs: $inputs) { failed items { status error { fields { field } } } } }`,
    {
      inputs: [
        { number: 'BULK-1', accountRef: { system: 'erp', id: 'B' }, externalRef: { system: 'erp', id: 'O1' } },
        { number: 'BULK-2', accountRef: { system: 'erp', id: 'B' }, lines: [{ productSku: 'nope', quantity: '1' }, { productRef: { system: 'erp', id: 'x' }, quantity: '1' }] },
        { number: 'BULK-3' },
      ],
    },
    admin,
  );
  expect(data.upsertOrders.items[0].status).toBe('CREATED');
  expect(data.upsertOrders.items[1].error.fields).toEqual([{ field: 'inputs[1].lines[0].productSku' }, { field: 'inputs[1].lines[1].productRef' }]);
  expect(data.upsertOrders.items[2].error.fields).toEqual([{ field: 'inputs[2].accountId' }]);
});

test('upsertBatch takes plain JSON (as parsed from NDJSON), checks types itself, and needs the write scope', async () => {
  const key = await t.ok(`mutation { createApiKey(input: { name: "import", scopes: ["accounts:write"] }) { apiKey { id } } }`, {}, admin);
  const apiKey = { apiKeyId: parseId(key.createApiKey.apiKey.id)!.uuid, workspaceId: parseId(admin.workspaceId)!.uuid, scopes: ['accounts:write'] };
  const ctx = RequestContext.forApiKey(t.app.runtime, apiKey);
  try {
    const items = [{ name: 'Plain', domain: 'plain.com' }, { name: 'Typed', domain: 'typed.com', employeeCount: 'many' }, { name: 'Plain', domain: 'PLAIN.com' }, 'junk'];
    const results = await upsertBatch(ctx, 'account', items, { atomic: false, source: 'import' });
    expect(results.map((r) => r.status)).toEqual(['CREATED', 'FAILED', 'UNCHANGED', 'FAILED']);
    expect(results[0].recordId).toMatch(/^acc_/);
    expect(results[1].error).toMatchObject({ code: 'BAD_USER_INPUT', fields: [{ field: 'employeeCount' }] });
    expect(results[3].error!.fields[0].field).toBe('item');
    await expect(upsertBatch(ctx, 'contact', [{ lastName: 'No', email: 'no@example.com' }], { atomic: false })).rejects.toMatchObject({
      extensions: { code: 'FORBIDDEN' },
    });
    // Inside a surrounding write it joins that transaction: undone with it.
    await expect(
      ctx.db.write(async () => {
        await upsertBatch(ctx, 'account', [{ name: 'Joined', domain: 'joined.com' }], { atomic: false });
        throw new Error('the caller fails');
      }),
    ).rejects.toThrow('the caller fails');
    const joined = await t.ok(`{ accounts(filter: { domain: { eq: "joined.com" } }) { totalCount } }`, {}, admin);
    expect(joined.accounts.totalCount).toBe(0);
  } finally {
    await ctx.close();
  }
});

test('matching is batched: statements grow with the writes, not with lookups per item', async () => {
  const inputs = Array.from({ length: 100 }, (_, i) => contact(100 + i));
  await t.ok(BULK_CONTACTS, { inputs }, admin);
  const before = t.statements;
  const data = (await t.ok(BULK_CONTACTS, { inputs }, admin)).upsertContacts;
  expect(data.unchanged).toBe(100);
  // Per unchanged item: its savepoint and release; the matching is a handful of queries for all.
  expect(t.statements - before).toBeLessThan(2 * 100 + 20);
});

test('cost: 1,000 items pass the default complexity limit, and calls keep passing the default rate limit', async () => {
  const schema = await buildCrmSchema();
  const document = parse(BULK_CONTACTS);
  const inputs = Array.from({ length: 1000 }, (_, i) => contact(2000 + i));
  const cost = measureOperation(schema, document, getOperationAST(document)!, { inputs });
  // 1 + 100 (1 point per 10 items) + 100 × the item's selection (contact 1, error 1, its fields 1).
  expect(cost.complexity).toBe(1 + 100 + 100 * 3);
  // An API key has a bucket of its own: twelve such calls back to back fit it (4,812 of 5,000 points); it refills 250 a second.
  const key = await t.ok(`mutation { createApiKey(input: { name: "erp", scopes: ["contacts:write"] }) { token } }`, {}, admin);
  for (let round = 0; round < 2; round++) {
    const response = await fetch(`${t.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key.createApiKey.token}` },
      body: JSON.stringify({ query: BULK_CONTACTS, variables: { inputs } }),
    });
    const body = (await response.json()) as { data: { upsertContacts: { failed: number } } };
    expect(response.status).toBe(200);
    expect(body.data.upsertContacts.failed).toBe(0);
    expect(response.headers.get('ratelimit-limit')).toBe('5000');
    expect(Number(response.headers.get('ratelimit-remaining'))).toBeGreaterThanOrEqual(5000 - (round + 1) * cost.complexity);
  }
}, 60_000);
