import type { Client } from 'pg';
import { RequestContext } from '../src/kernel/context';
import { changedProperties } from '../src/kernel/events/record-events';
import { encodeId, parseId } from '../src/kernel/ids';
import type { TenantRecord } from '../src/kernel/record';
import { externalRefs } from '../src/kernel/records/external-refs';
import type { RecordPort } from '../src/kernel/records/record-port';
import { accountService } from '../src/modules/accounts';
import { activityService } from '../src/modules/activities';
import { contactService } from '../src/modules/contacts';
import { dealService } from '../src/modules/deals';
import { membersService } from '../src/modules/identity';
import { linesOf, orderService } from '../src/modules/orders';
import { pipelineService } from '../src/modules/pipelines';
import { productService } from '../src/modules/products';
import { businessCalendarService, slaPolicyService } from '../src/modules/sla';
import { ticketService } from '../src/modules/tickets';
import { superuserClient } from './support/databases';
import { TestApp, type Session } from './support/test-app';

/**
 * Event snapshots are built by PostgreSQL (SnapshotSql) in the write's own statement; consumers
 * must see exactly what the JavaScript Snapshotter makes of the same row after pg parsed it. This
 * holds the two together for every record store, over awkward values: microsecond timestamps,
 * numerics with trailing zeros, nulls, quotes and emoji, tag arrays, jsonb, dates.
 */

let t: TestApp;
let admin: Session;
let superuser: Client;
const uuid = (id: string) => parseId(id)!.uuid;

const STORES: Array<[string, RecordPort<TenantRecord, unknown, string>]> = Object.entries({
  accounts: accountService.records,
  activities: activityService.records,
  contacts: contactService.records,
  deals: dealService.records,
  members: membersService.records,
  orders: orderService.records,
  pipelines: pipelineService.records,
  stages: pipelineService.stageRecords,
  products: productService.records,
  calendars: businessCalendarService.records,
  slaPolicies: slaPolicyService.records,
  tickets: ticketService.records,
}) as never;

beforeAll(async () => {
  t = await TestApp.start('snapshot_sql');
  admin = await t.signUp('Snapshots GmbH');
  await t.member(admin, 'SALES');
  superuser = await superuserClient(t.database.name);
  const account = (
    await t.ok(
      `mutation { createAccount(input: { name: "O'Brien & \\"Söhne\\" 🚀", domain: "obrien.example", annualRevenue: "1000.50", employeeCount: 0,
        contractRenewalDate: "2027-02-28", tags: ["vip", "a,b", "q\\"uote"], country: "de" }) { id } }`,
      {},
      admin,
    )
  ).createAccount.id;
  await t.ok(`mutation($id: ID!) { addExternalRef(recordId: $id, ref: { system: "zeta", id: "Z-1" }) { id } }`, { id: account }, admin);
  await t.ok(`mutation($id: ID!) { addExternalRef(recordId: $id, ref: { system: "erp", id: "4711" }) { id } }`, { id: account }, admin);
  const contact = (
    await t.ok(`mutation($a: ID!) { createContact(input: { lastName: "Ünal", email: "u@x.example", birthday: "1990-01-31", accountId: $a }) { id } }`, { a: account }, admin)
  ).createContact.id;
  const deal = (await t.ok(`mutation($a: ID!, $c: ID!) { createDeal(input: { name: "Big", amount: "12.00", accountId: $a, primaryContactId: $c }) { id } }`, { a: account, c: contact }, admin))
    .createDeal.id;
  await t.ok(`mutation($id: ID!) { loseDeal(id: $id, reason: "price") { id } }`, { id: deal }, admin);
  const ticket = (await t.ok(`mutation($c: ID!) { createTicket(input: { subject: "Broken", priority: HIGH, category: PROBLEM, contactId: $c }) { id } }`, { c: contact }, admin))
    .createTicket.id;
  await t.ok(`mutation($id: ID!) { changeTicketStatus(id: $id, status: PENDING) { id } }`, { id: ticket }, admin);
  await t.ok(`mutation($t: ID!) { createActivity(input: { type: TASK, subject: "Call back", ticketId: $t, dueAt: "2030-01-01T10:00:00.123Z" }) { id } }`, { t: ticket }, admin);
  const product = (await t.ok(`mutation { createProduct(input: { sku: "P-1", name: "Widget", price: "9.990" }) { id } }`, {}, admin)).createProduct.id;
  await t.ok(
    `mutation($a: ID!, $p: ID!) { createOrder(input: { number: "SO-1", accountId: $a, lines: [{ productId: $p, quantity: "3", discountPercent: "12.5" }, { productId: $p, quantity: "1.25" }] }) { id } }`,
    { a: account, p: product },
    admin,
  );
  await t.ok(
    `mutation { createBusinessCalendar(input: { name: "Berlin", timeZone: "Europe/Berlin", holidays: ["2030-12-25"],
      openingHours: [{ weekday: MONDAY, start: "09:00", end: "17:00" }] }) { id } }`,
    {},
    admin,
  );
  await t.ok(`mutation { createSlaPolicy(input: { priority: HIGH, firstResponseMinutes: 60, resolutionMinutes: 480 }) { id } }`, {}, admin);
  // Microseconds, as now() stores them, and a fraction that is all nines.
  await superuser.query(`UPDATE accounts SET created_at = '2026-03-04 05:06:07.999999+00', updated_at = '2026-03-04 05:06:07.000001+00' WHERE id = $1`, [uuid(account)]);
  await superuser.query(`UPDATE contacts SET created_at = '1999-12-31 23:59:59.5+00' WHERE id = $1`, [uuid(contact)]);
});

afterAll(async () => {
  await superuser?.end();
  await t.stop();
});

test.each(STORES)('%s: the SQL snapshot of every row equals the JavaScript one, details included', async (_name, store) => {
  await RequestContext.asSystem(t.app.runtime, uuid(admin.workspaceId), 'snapshot-test', (ctx) =>
    ctx.db.write(async (em) => {
      const { rows } = await superuser.query(`SELECT id FROM ${ctx.runtime.dataSource.getMetadata(store.model.entity).tableName} WHERE workspace_id = $1`, [
        uuid(admin.workspaceId),
      ]);
      const ids = rows.map((row) => row.id as string);
      expect(ids.length).toBeGreaterThan(0);
      const records = await store.lockMany(ctx, em, ids);
      const sql = await (store as any).writer(ctx).snapshots(ctx, em, ids);
      for (const record of records) {
        const snapshot = JSON.parse(sql.get(record.id));
        const { externalRefs: refs, lines, ...columns } = snapshot;
        expect(columns).toEqual(store.snapshot(ctx, record));
        if (store.model.eventDetails) expect(refs).toEqual(await externalRefs.of(ctx, store.model.type, record.id));
        if (store === (orderService.records as unknown)) {
          const stored = await linesOf(ctx, record.id);
          expect(lines).toEqual(stored.map(({ workspaceId: _w, orderId: _o, productId, ...line }) => ({ ...line, productId: encodeId('Product', productId) })));
          expect(lines).toHaveLength(2);
        }
      }
    }),
  );
});

test('every event written above lists as changed exactly what its before and after differ in', async () => {
  const { rows } = await superuser.query(`SELECT type, before, after, changed FROM record_events WHERE workspace_id = $1`, [uuid(admin.workspaceId)]);
  expect(rows.length).toBeGreaterThan(15);
  // jsonb keeps its own key order, so the stored snapshots cannot say the order; the set must match.
  const sorted = (list: string[]) => [...list].sort();
  for (const row of rows) {
    expect({ type: row.type, changed: sorted(row.changed) }).toEqual({ type: row.type, changed: sorted(changedProperties(row.before, row.after)) });
  }
});
