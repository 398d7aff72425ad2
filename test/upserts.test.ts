import { superuserClient } from './support/databases';
import { TestApp, errorCode, errorFields, type Session } from './support/test-app';

let t: TestApp;
let admin: Session;

const UPSERT_ACCOUNT = `mutation($input: UpsertAccountInput!) {
  upsertAccount(input: $input) { status skippedFields account { id name domain city version externalRefs { system id } } } }`;
const UPSERT_CONTACT = `mutation($input: UpsertContactInput!) {
  upsertContact(input: $input) { status skippedFields contact { id firstName lastName email version account { id } externalRefs { system id } } } }`;

const upsertAccount = (input: Record<string, unknown>, who: Session = admin) => t.gql(UPSERT_ACCOUNT, { input }, who);
const upsertContact = (input: Record<string, unknown>, who: Session = admin) => t.gql(UPSERT_CONTACT, { input }, who);

beforeAll(async () => {
  t = await TestApp.start('upserts');
  admin = await t.signUp();
});
afterAll(() => t.stop());

async function eventsOf(recordId: string): Promise<Array<{ type: string; after: any; changed: string[] }>> {
  const db = await superuserClient(t.database.name);
  try {
    const uuid = recordId.split('_')[1].replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, '$1-$2-$3-$4-$5');
    const { rows } = await db.query(`SELECT type, after, changed FROM record_events WHERE record_id = $1 ORDER BY id`, [uuid]);
    return rows;
  } finally {
    await db.end();
  }
}

describe('single upserts: accounts and contacts', () => {
  test('create, update only what differs, then UNCHANGED without a write', async () => {
    const ref = { system: 'erp', id: 'A-1' };
    const created = await upsertAccount({ name: 'Acme', domain: 'acme.com', city: 'Berlin', externalRef: ref });
    expect(created.errors).toBeUndefined();
    const account = created.data!.upsertAccount;
    expect(account).toMatchObject({ status: 'CREATED', skippedFields: [], account: { name: 'Acme', version: 1, externalRefs: [ref] } });

    const updated = (await upsertAccount({ name: 'Acme', domain: 'acme.com', city: 'Hamburg', externalRef: ref })).data!.upsertAccount;
    expect(updated).toMatchObject({ status: 'UPDATED', account: { id: account.account.id, city: 'Hamburg', version: 2 } });

    const same = (await upsertAccount({ name: 'Acme', domain: 'ACME.com', city: 'Hamburg', externalRef: ref })).data!.upsertAccount;
    expect(same).toMatchObject({ status: 'UNCHANGED', account: { version: 2 } });

    const events = await eventsOf(account.account.id);
    expect(events.map((e) => e.type)).toEqual(['account.created', 'account.updated']);
    expect(events[0].after.externalRefs).toEqual([ref]);
    expect(events[1].changed).toEqual(['city']);
  });

  test('a natural key matches a record without the ref and attaches it', async () => {
    const plain = await t.ok(`mutation { createContact(input: { lastName: "Lovelace", email: "ada@example.com" }) { id } }`, {}, admin);
    const result = (await upsertContact({ lastName: 'Lovelace', email: 'ADA@example.com ', externalRef: { system: 'shop', id: '77' } })).data!.upsertContact;
    expect(result).toMatchObject({ status: 'UPDATED', contact: { id: plain.createContact.id, version: 2, externalRefs: [{ system: 'shop', id: '77' }] } });
  });

  test('a contact names its account by ref; an unknown ref is bad input naming input.accountRef', async () => {
    await upsertAccount({ name: 'Globex', externalRef: { system: 'erp', id: 'G-1' } });
    const ok = (await upsertContact({ lastName: 'Simpson', email: 'homer@globex.com', accountRef: { system: 'erp', id: 'G-1' } })).data!.upsertContact;
    expect(ok.contact.account).not.toBeNull();
    const bad = await upsertContact({ lastName: 'Simpson', email: 'marge@globex.com', accountRef: { system: 'erp', id: 'nope' } });
    expect(errorCode(bad)).toBe('BAD_USER_INPUT');
    expect(errorFields(bad)).toEqual(['input.accountRef']);
  });
});
