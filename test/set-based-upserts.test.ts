import { GraphQLError } from 'graphql';
import type { Client } from 'pg';
import { RequestContext } from '../src/kernel/context';
import { parseId } from '../src/kernel/ids';
import { contactService } from '../src/modules/contacts';
import { superuserClient } from './support/databases';
import { recordEvents } from './support/sync';
import { TestApp, errorCode, errorFields, type Session } from './support/test-app';

/**
 * Set-based writes in bulk upserts: a call's matched records change in ONE UPDATE with their
 * events (before, after, changed as the item-by-item path writes them), its new deals, tickets
 * and orders are inserted together, and still every item gets its own outcome: a refused item
 * fails alone, a statement that fails falls back to one savepoint per item, atomic undoes all.
 */
let t: TestApp;
let admin: Session;
let superuser: Client;
const uuid = (id: string) => parseId(id)!.uuid;

const BULK_CONTACTS = `mutation($inputs: [UpsertContactInput!]!, $atomic: Boolean) {
  upsertContacts(inputs: $inputs, atomic: $atomic) {
    created updated unchanged failed
    items { index status skippedFields contact { id email jobTitle city version } error { code message fields { field message } } }
  }
}`;

const contact = (i: number, extra: Record<string, unknown> = {}) => ({ lastName: `Set ${i}`, email: `set${i}@example.com`, externalRef: { system: 'erp', id: `S${i}` }, ...extra });
const upsert = async (inputs: unknown[], atomic = false) => (await t.ok(BULK_CONTACTS, { inputs, atomic }, admin)).upsertContacts;
const statuses = (data: any) => data.items.map((i: any) => i.status);

/** Events with what differs between twin records (ids, emails, refs, times) taken out. */
const comparable = (events: Array<{ type: string; before: any; after: any; changed: string[] }>) =>
  events.map(({ type, before, after, changed }) => {
    const strip = (s: any) => s && { ...s, id: undefined, email: undefined, lastName: undefined, externalRefs: s.externalRefs.length, createdAt: undefined, updatedAt: undefined };
    return { type, before: strip(before), after: strip(after), changed };
  });

beforeAll(async () => {
  t = await TestApp.start('set_based');
  admin = await t.signUp();
  superuser = await superuserClient(t.database.name);
});
afterAll(async () => {
  await superuser?.end();
  await t.stop();
});

test('a mixed call takes a bounded number of statements: unchanged items cost nothing, changed ones one UPDATE for all', async () => {
  await upsert(Array.from({ length: 300 }, (_, i) => contact(i)));
  const inputs = [
    ...Array.from({ length: 200 }, (_, i) => contact(i, { jobTitle: 'Buyer' })),
    ...Array.from({ length: 100 }, (_, i) => contact(200 + i)),
    ...Array.from({ length: 100 }, (_, i) => contact(300 + i)),
  ];
  const before = t.statements;
  const data = await upsert(inputs);
  expect(data).toMatchObject({ created: 100, updated: 200, unchanged: 100, failed: 0 });
  // Item by item this was about 8 statements per update and 2 per unchanged item.
  expect(t.statements - before).toBeLessThan(25);
  const events = await recordEvents(t, data.items[0].contact.id);
  expect(events.map((e) => [e.type, e.changed, e.before?.version, e.after.version])).toEqual([
    ['contact.created', expect.any(Array), undefined, 1],
    ['contact.updated', ['jobTitle'], 1, 2],
  ]);
});

test('the events of a set-based update equal those of the single mutation', async () => {
  const twins = (await upsert([contact(500, { city: 'Köln' }), contact(501, { city: 'Köln' })])).items.map((i: any) => i.contact.id);
  // One through updateContact (one record, its own transaction), its twin through a bulk call.
  await t.ok(`mutation($id: ID!) { updateContact(id: $id, input: { jobTitle: "CFO", city: null, tags: ["a"] }) { id } }`, { id: twins[0] }, admin);
  const data = await upsert([contact(501, { jobTitle: 'CFO', city: null, tags: ['a'] }), contact(502)]);
  expect(statuses(data)).toEqual(['UPDATED', 'CREATED']);
  const [single, bulk] = await Promise.all(twins.map((id: string) => recordEvents(t, id)));
  expect(bulk[1].changed).toEqual(['jobTitle', 'city', 'tags']);
  expect(comparable(bulk)).toEqual(comparable(single));
});

test('a refused item in the middle fails alone; the others are written together', async () => {
  await upsert([contact(600), contact(601), contact(602)]);
  const data = await upsert([contact(600, { jobTitle: 'A' }), contact(601, { accountRef: { system: 'erp', id: 'missing' } }), contact(602, { jobTitle: 'C' }), contact(603)]);
  expect(statuses(data)).toEqual(['UPDATED', 'FAILED', 'UPDATED', 'CREATED']);
  expect(data.items[1].error.fields).toEqual([{ field: 'inputs[1].accountRef', message: 'no Account with this id in erp' }]);
  expect((await recordEvents(t, data.items[2].contact.id)).map((e) => e.type)).toEqual(['contact.created', 'contact.updated']);
});

test('an UPDATE that fails (a taken email) falls back to one savepoint per item: the item fails alone, the others are written', async () => {
  await upsert([contact(700), contact(701), contact(702)]);
  const data = await upsert([contact(700, { jobTitle: 'X' }), contact(701, { email: 'set702@example.com' }), contact(702, { jobTitle: 'Z' })]);
  expect(statuses(data)).toEqual(['UPDATED', 'FAILED', 'UPDATED']);
  expect(data.items[1].error).toMatchObject({ code: 'CONFLICT', fields: [{ field: 'inputs[1].email' }] });
  expect(data.items.map((i: any) => i.contact?.jobTitle ?? null)).toEqual(['X', null, 'Z']);
  const failedId = (await t.ok(`{ contact(externalRef: { system: "erp", id: "S701" }) { id email version } }`, {}, admin)).contact;
  expect(failedId).toMatchObject({ email: 'set701@example.com', version: 1 });
  expect((await recordEvents(t, failedId.id)).map((e) => e.type)).toEqual(['contact.created']);
});

test('atomic: the same failure fails the call naming inputs[1].email, and nothing is written', async () => {
  await upsert([contact(800), contact(801), contact(802)]);
  const result = await t.gql(BULK_CONTACTS, { inputs: [contact(800, { jobTitle: 'X' }), contact(801, { email: 'set802@example.com' }), contact(803)], atomic: true }, admin);
  expect(errorCode(result)).toBe('BAD_USER_INPUT');
  expect(errorFields(result)).toEqual(['inputs[1].email']);
  const first = (await t.ok(`{ contact(externalRef: { system: "erp", id: "S800" }) { id jobTitle version } }`, {}, admin)).contact;
  expect(first).toMatchObject({ jobTitle: null, version: 1 });
  expect((await recordEvents(t, first.id)).length).toBe(1);
  expect((await t.ok(`{ contacts(filter: { email: { eq: "set803@example.com" } }) { totalCount } }`, {}, admin)).contacts.totalCount).toBe(0);
});

test('field ownership applies in set-based updates: an owned field is skipped and named, the rest written', async () => {
  await upsert([contact(900, { jobTitle: 'Owned', city: 'Bonn' })]);
  await t.ok(`mutation { setFieldOwner(input: { object: CONTACT, field: "jobTitle", system: "erp" }) { field } }`, {}, admin);
  try {
    const data = await upsert([contact(900, { jobTitle: 'Overwritten', city: 'Berlin', syncSource: 'shop' })]);
    expect(data.items[0]).toMatchObject({ status: 'UPDATED', skippedFields: ['jobTitle'], contact: { jobTitle: 'Owned', city: 'Berlin' } });
    const own = await upsert([contact(900, { jobTitle: 'By the owner' })]);
    expect(own.items[0]).toMatchObject({ status: 'UPDATED', skippedFields: [], contact: { jobTitle: 'By the owner' } });
  } finally {
    await t.ok(`mutation { setFieldOwner(input: { object: CONTACT, field: "jobTitle", system: null }) { field } }`, {}, admin);
  }
});

test('RecordStore.updateMany: per record a version conflict, a missing and a trashed record answer alone; the rest change with their events', async () => {
  const made = (await upsert([contact(1000), contact(1001), contact(1002)])).items.map((i: any) => uuid(i.contact.id));
  await t.ok(`mutation($id: ID!) { deleteContact(id: $id) { id } }`, { id: `con_${made[2].replace(/-/g, '')}` }, admin);
  const ctx = await RequestContext.forLiveMember(t.app.runtime, uuid(admin.workspaceId), uuid(admin.userId));
  try {
    const outcomes = await ctx!.db.write((em) =>
      contactService.records.updateMany(ctx!, em, [
        { id: made[0], patch: { jobTitle: 'Kept' }, expectedVersion: 1 },
        { id: made[1], patch: { jobTitle: 'Stale' }, expectedVersion: 7 },
        { id: made[2], patch: { jobTitle: 'Trashed' } },
        { id: '00000000-0000-4000-8000-000000000000', patch: { jobTitle: 'Missing' } },
      ]),
    );
    expect(outcomes[0]).toMatchObject({ id: made[0], jobTitle: 'Kept', version: 2 });
    // One statement may mix SQL values (raw) and plain ones for the same column.
    const mixed = await ctx!.db.write((em) =>
      contactService.records.updateMany(ctx!, em, [
        { id: made[0], patch: { jobTitle: () => `upper('raw')` } },
        { id: made[1], patch: { jobTitle: 'Plain' } },
      ]),
    );
    expect(mixed.map((o) => (o as { jobTitle: string }).jobTitle)).toEqual(['RAW', 'Plain']);
    expect(outcomes.slice(1).map((o) => (o as GraphQLError).extensions)).toEqual([
      { code: 'CONFLICT', currentVersion: 1 },
      { code: 'NOT_FOUND' },
      { code: 'NOT_FOUND' },
    ]);
  } finally {
    await ctx!.close();
  }
  const { rows } = await superuser.query(`SELECT record_id, changed FROM record_events WHERE type = 'contact.updated' AND record_id = ANY($1) ORDER BY occurred_at, record_id`, [made]);
  expect(rows).toHaveLength(3);
  expect(rows.filter((row) => row.record_id === made[2])).toEqual([]);
  expect(rows.every((row) => row.changed.join() === 'jobTitle')).toBe(true);
});

test('deals, tickets and orders created together: one insert each, with stage, SLA times, lines and their events', async () => {
  await t.ok(`mutation { createSlaPolicy(input: { priority: NORMAL, firstResponseMinutes: 60, resolutionMinutes: 480 }) { id } }`, {}, admin);
  await t.ok(`mutation { upsertAccounts(inputs: [{ name: "Buyer", externalRef: { system: "erp", id: "B" } }]) { created } }`, {}, admin);
  const people = (await upsert([contact(1100), contact(1101)])).items.map((i: any) => i.contact.id);
  const product = (await t.ok(`mutation { createProduct(input: { sku: "W-1", name: "Widget", price: "2.50" }) { id } }`, {}, admin)).createProduct.id;

  let before = t.statements;
  const deals = (
    await t.ok(
      `mutation($inputs: [UpsertDealInput!]!) { upsertDeals(inputs: $inputs) { created failed items { status deal { id currency status stage { kind } contacts { contact { id } role } } } } }`,
      {
        inputs: Array.from({ length: 40 }, (_, i) => ({
          name: `Bulk deal ${i}`,
          amount: '100',
          externalRef: { system: 'erp', id: `D${i}` },
          accountRef: { system: 'erp', id: 'B' },
          contacts: i === 0 ? [{ contactId: people[0], role: 'CHAMPION' }, { contactId: people[1] }] : undefined,
        })),
      },
      admin,
    )
  ).upsertDeals;
  expect(t.statements - before).toBeLessThan(25);
  expect(deals).toMatchObject({ created: 40, failed: 0 });
  expect(deals.items[0].deal).toMatchObject({ currency: 'EUR', status: 'OPEN', stage: { kind: 'OPEN' } });
  expect(deals.items[0].deal.contacts.map((c: any) => [c.contact.id, c.role])).toEqual(
    expect.arrayContaining([
      [people[0], 'CHAMPION'],
      [people[1], 'OTHER'],
    ]),
  );
  const dealEvents = await recordEvents(t, deals.items[39].deal.id);
  expect(dealEvents.map((e) => e.type)).toEqual(['deal.created']);
  expect(dealEvents[0].after).toMatchObject({ name: 'Bulk deal 39', externalRefs: [{ system: 'erp', id: 'D39' }] });

  before = t.statements;
  const tickets = (
    await t.ok(
      `mutation($inputs: [UpsertTicketInput!]!) { upsertTickets(inputs: $inputs) { created items { ticket { id status priority category sla { firstResponse { dueAt } resolution { dueAt } } } } } }`,
      { inputs: Array.from({ length: 40 }, (_, i) => ({ subject: `Bulk ticket ${i}`, externalRef: { system: 'erp', id: `T${i}` } })) },
      admin,
    )
  ).upsertTickets;
  expect(t.statements - before).toBeLessThan(25);
  expect(tickets.created).toBe(40);
  expect(tickets.items[5].ticket).toMatchObject({ status: 'NEW', priority: 'NORMAL', category: 'QUESTION' });
  expect(tickets.items[5].ticket.sla).toMatchObject({ firstResponse: { dueAt: expect.any(String) }, resolution: { dueAt: expect.any(String) } });

  before = t.statements;
  const orders = (
    await t.ok(
      `mutation($inputs: [UpsertOrderInput!]!) { upsertOrders(inputs: $inputs) { created items { order { id total lines { quantity total } } } } }`,
      {
        inputs: Array.from({ length: 40 }, (_, i) => ({
          number: `SO-${i}`,
          accountRef: { system: 'erp', id: 'B' },
          externalRef: { system: 'erp', id: `O${i}` },
          lines: [{ productSku: 'W-1', quantity: String(i + 1) }],
        })),
      },
      admin,
    )
  ).upsertOrders;
  expect(t.statements - before).toBeLessThan(25);
  expect(orders.created).toBe(40);
  expect(orders.items[3].order).toMatchObject({ total: '10.00', lines: [{ quantity: '4.0000', total: '10.00' }] });
  const orderEvents = await recordEvents(t, orders.items[3].order.id);
  expect(orderEvents[0].after).toMatchObject({ total: '10.00', lines: [{ quantity: '4.0000', productId: product }], externalRefs: [{ system: 'erp', id: 'O3' }] });
});

test('a bulk item naming another workspace’s or a trashed account fails alone, naming the field as sent', async () => {
  const other = await t.signUp('Elsewhere');
  const foreign = (await t.ok(`mutation { createAccount(input: { name: "Theirs" }) { id } }`, {}, other)).createAccount.id;
  const trashed = (await t.ok(`mutation { upsertAccounts(inputs: [{ name: "Gone", externalRef: { system: "erp", id: "G" } }]) { items { account { id } } } }`, {}, admin))
    .upsertAccounts.items[0].account.id;
  await t.ok(`mutation($id: ID!) { deleteAccount(id: $id) { id } }`, { id: trashed }, admin);
  await upsert([contact(1200)]);
  const data = await upsert([contact(1200, { accountId: foreign }), contact(1201, { accountId: trashed }), contact(1202, { accountRef: { system: 'erp', id: 'G' } }), contact(1203)]);
  expect(statuses(data)).toEqual(['FAILED', 'FAILED', 'FAILED', 'CREATED']);
  expect(data.items.slice(0, 3).map((i: any) => [i.error.code, i.error.fields.map((f: any) => f.field)])).toEqual([
    ['BAD_USER_INPUT', ['inputs[0].accountId']],
    ['BAD_USER_INPUT', ['inputs[1].accountId']],
    ['BAD_USER_INPUT', ['inputs[2].accountRef']],
  ]);
});
