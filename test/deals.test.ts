import { TestApp, errorCode, errorFields, type Session } from './support/test-app';

const DEAL = `id name amount currency status expectedCloseDate closedAt lostReason version deletedAt createdAt updatedAt
  account { id } primaryContact { id } owner { id } pipeline { id name } stage { id name kind }
  contacts { role contact { id name } }`;

interface StageRef {
  id: string;
  name: string;
  kind: string;
}

let t: TestApp;
let admin: Session;
let seller: Session;
let sales: { id: string; stages: StageRef[] };
let other: { id: string; stages: StageRef[] };
let accountIds: string[];
let contactIds: string[];

const stageOf = (pipeline: { stages: StageRef[] }, name: string) => pipeline.stages.find((s) => s.name === name)!;

const createDeal = (input: Record<string, unknown>, who: Session = admin) =>
  t.gql(`mutation($input: CreateDealInput!) { createDeal(input: $input) { ${DEAL} } }`, { input }, who);

async function newDeal(input: Record<string, unknown>) {
  const result = await createDeal(input);
  expect(result.errors).toBeUndefined();
  return result.data!.createDeal;
}

const readDeal = async (id: string) => (await t.ok(`query($id: ID!) { deal(id: $id) { ${DEAL} } }`, { id }, admin)).deal;

const dealCount = async () => (await t.ok(`{ deals(withDeleted: true) { totalCount } }`, {}, admin)).deals.totalCount;

const moveDeal = (id: string, stageId: string, v?: number) =>
  t.gql(`mutation($id: ID!, $stageId: ID!, $v: Int) { moveDeal(id: $id, stageId: $stageId, expectedVersion: $v) { ${DEAL} } }`, { id, stageId, v }, admin);
const winDeal = (id: string, v?: number) =>
  t.gql(`mutation($id: ID!, $v: Int) { winDeal(id: $id, expectedVersion: $v) { ${DEAL} } }`, { id, v }, admin);
const loseDeal = (id: string, reason: string, v?: number) =>
  t.gql(`mutation($id: ID!, $reason: String!, $v: Int) { loseDeal(id: $id, reason: $reason, expectedVersion: $v) { ${DEAL} } }`, { id, reason, v }, admin);
const addDealContact = (dealId: string, contactId: string, role: string, v?: number) =>
  t.gql(
    `mutation($dealId: ID!, $contactId: ID!, $role: DealContactRole!, $v: Int) { addDealContact(dealId: $dealId, contactId: $contactId, role: $role, expectedVersion: $v) { version contacts { role contact { id } } } }`,
    { dealId, contactId, role, v },
    admin,
  );
const removeDealContact = (dealId: string, contactId: string) =>
  t.gql(`mutation($dealId: ID!, $contactId: ID!) { removeDealContact(dealId: $dealId, contactId: $contactId) { version contacts { role contact { id } } } }`, { dealId, contactId }, admin);

beforeAll(async () => {
  t = await TestApp.start('deals');
  admin = await t.signUp();
  seller = await t.member(admin, 'SALES');
  const pipelines = await t.ok(`{ pipelines { edges { node { id isDefault stages { id name kind } } } } }`, {}, admin);
  sales = pipelines.pipelines.edges[0].node;
  const created = await t.ok(
    `mutation { createPipeline(input: { name: "Partners", stages: [
      { name: "Intro", probability: 10, kind: OPEN }, { name: "Signed", probability: 100, kind: WON }, { name: "Dropped", probability: 0, kind: LOST } ] }) { id stages { id name kind } } }`,
    {},
    admin,
  );
  other = created.createPipeline;
  accountIds = [];
  for (const name of ['Acme', 'Globex', 'Initech', 'Umbrella', 'Hooli']) {
    accountIds.push((await t.ok(`mutation($name: String!) { createAccount(input: { name: $name }) { id } }`, { name }, admin)).createAccount.id);
  }
  contactIds = [];
  for (const lastName of ['Ada', 'Bob', 'Cyd', 'Dee', 'Eve', 'Fay', 'Gus', 'Hal', 'Ivy', 'Jon']) {
    contactIds.push((await t.ok(`mutation($n: String!) { createContact(input: { lastName: $n }) { id } }`, { n: lastName }, admin)).createContact.id);
  }
});
afterAll(() => t.stop());

describe('deals: create, read, update, delete', () => {
  test('defaults: the default pipeline, its first OPEN stage, the workspace currency and amount 0', async () => {
    const deal = await newDeal({ name: '  Minimal  ' });
    expect(deal).toMatchObject({
      name: 'Minimal',
      amount: '0.0000',
      currency: 'EUR',
      status: 'OPEN',
      version: 1,
      closedAt: null,
      account: null,
      primaryContact: null,
      owner: null,
      contacts: [],
      pipeline: { id: sales.id, name: 'Sales' },
      stage: { name: 'Research', kind: 'OPEN' },
    });
    expect(deal.id).toMatch(/^deal_[0-9a-f]{32}$/);
    const node = await t.ok(`query($id: ID!) { node(id: $id) { id ... on Deal { name } } }`, { id: deal.id }, admin);
    expect(node.node).toEqual({ id: deal.id, name: 'Minimal' });

    const inOther = await newDeal({ name: 'Partner deal', pipelineId: other.id });
    expect(inOther.pipeline.id).toBe(other.id);
    expect(inOther.stage.name).toBe('Intro');
  });

  test('full create, update, soft delete and restore; Account.deals lists them', async () => {
    const deal = await newDeal({
      name: 'Big one',
      amount: '12345678901.1234',
      currency: 'USD',
      stageId: stageOf(sales, 'Proposal').id,
      expectedCloseDate: '2030-06-30',
      accountId: accountIds[0],
      primaryContactId: contactIds[1],
      ownerId: seller.userId,
      contacts: [{ contactId: contactIds[0], role: 'DECISION_MAKER' }, { contactId: contactIds[2] }],
    });
    expect(deal).toMatchObject({
      amount: '12345678901.1234',
      currency: 'USD',
      expectedCloseDate: '2030-06-30',
      account: { id: accountIds[0] },
      primaryContact: { id: contactIds[1] },
      owner: { id: seller.userId },
      stage: { name: 'Proposal' },
    });
    // Links made together share their creation time; their order among themselves is by contact id.
    expect([...deal.contacts].sort((a: any, b: any) => a.contact.name.localeCompare(b.contact.name))).toEqual([
      { role: 'DECISION_MAKER', contact: { id: contactIds[0], name: 'Ada' } },
      { role: 'OTHER', contact: { id: contactIds[2], name: 'Cyd' } },
    ]);

    const updated = await t.ok(
      `mutation($id: ID!, $input: DealInput!) { updateDeal(id: $id, input: $input, expectedVersion: 1) { ${DEAL} } }`,
      { id: deal.id, input: { name: 'Bigger one', amount: '0.0001', expectedCloseDate: null, accountId: accountIds[1], ownerId: null } },
      admin,
    );
    expect(updated.updateDeal).toMatchObject({
      name: 'Bigger one',
      amount: '0.0001',
      currency: 'USD',
      expectedCloseDate: null,
      account: { id: accountIds[1] },
      primaryContact: { id: contactIds[1] },
      owner: null,
      version: 2,
      stage: { name: 'Proposal' },
    });

    const byAccount = `query($id: ID!) { account(id: $id) { deals(first: 10) { totalCount edges { node { name } } } } }`;
    expect((await t.ok(byAccount, { id: accountIds[1] }, admin)).account.deals).toEqual({ totalCount: 1, edges: [{ node: { name: 'Bigger one' } }] });

    const deleted = await t.ok(`mutation($id: ID!) { deleteDeal(id: $id) { deletedAt version } }`, { id: deal.id }, admin);
    expect(deleted.deleteDeal.deletedAt).not.toBeNull();
    const listed = await t.ok(`{ live: deals(search: "bigger") { totalCount } all: deals(search: "bigger", withDeleted: true) { totalCount } }`, {}, admin);
    expect(listed).toEqual({ live: { totalCount: 0 }, all: { totalCount: 1 } });
    expect((await t.ok(byAccount, { id: accountIds[1] }, admin)).account.deals.totalCount).toBe(0);
    const onTrashed = await t.gql(`mutation($id: ID!) { updateDeal(id: $id, input: { name: "x" }) { id } }`, { id: deal.id }, admin);
    expect(errorCode(onTrashed)).toBe('NOT_FOUND');
    const moveTrashed = await moveDeal(deal.id, stageOf(sales, 'Research').id);
    expect(errorCode(moveTrashed)).toBe('NOT_FOUND');

    const restored = await t.ok(`mutation($id: ID!) { restoreDeal(id: $id) { deletedAt version name } }`, { id: deal.id }, admin);
    expect(restored.restoreDeal).toEqual({ deletedAt: null, version: 4, name: 'Bigger one' });
    expect((await readDeal(deal.id)).amount).toBe('0.0001');
  });

  test('amounts keep exact decimals', async () => {
    const deal = await newDeal({ name: 'Exact', amount: '12345678901.1234' });
    expect(deal.amount).toBe('12345678901.1234');
    expect((await readDeal(deal.id)).amount).toBe('12345678901.1234');
    const found = await t.ok(`{ deals(filter: { amount: { eq: "12345678901.1234" } }) { edges { node { id } } } }`, {}, admin);
    expect(found.deals.edges.map((e: any) => e.node.id)).toContain(deal.id);
    const updated = await t.ok(`mutation($id: ID!) { updateDeal(id: $id, input: { amount: "999999999999999.9999" }) { amount } }`, { id: deal.id }, admin);
    expect(updated.updateDeal.amount).toBe('999999999999999.9999');
  });

  test('the stage must be an OPEN stage of the pipeline; nothing is written otherwise', async () => {
    const before = await dealCount();
    const cases: Array<Record<string, unknown>> = [
      { name: 'X', pipelineId: other.id, stageId: stageOf(sales, 'Proposal').id },
      { name: 'X', stageId: stageOf(other, 'Intro').id },
      { name: 'X', stageId: stageOf(sales, 'Won').id },
      { name: 'X', stageId: stageOf(sales, 'Lost').id },
      { name: 'X', pipelineId: other.id, stageId: stageOf(other, 'Signed').id },
    ];
    for (const input of cases) {
      const result = await createDeal(input);
      expect({ input, code: errorCode(result), fields: errorFields(result) }).toEqual({ input, code: 'BAD_USER_INPUT', fields: ['stageId'] });
    }
    const inStage = await newDeal({ name: 'Partner intro', pipelineId: other.id, stageId: stageOf(other, 'Intro').id });
    expect(inStage.stage.name).toBe('Intro');
    expect(await dealCount()).toBe(before + 1);
  });

  test('bad input names the field and writes nothing', async () => {
    const before = await dealCount();
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ name: 'A', amount: '-5' }, 'amount'],
      [{ name: 'A', amount: '1e5' }, 'amount'],
      [{ name: 'A', amount: null }, 'amount'],
      [{ name: 'A', currency: 'EURO' }, 'currency'],
      [{ name: 'A', currency: 'eur' }, 'currency'],
      [{ name: 'A', accountId: contactIds[0] }, 'accountId'],
      [{ name: 'A', accountId: 'acc_00000000000000000000000000000000' }, 'accountId'],
      [{ name: 'A', stageId: accountIds[0] }, 'stageId'],
      [{ name: 'A', pipelineId: sales.stages[0].id }, 'pipelineId'],
      [{ name: 'A', primaryContactId: accountIds[0] }, 'primaryContactId'],
      [{ name: 'A', primaryContactId: 'con_00000000000000000000000000000000' }, 'primaryContactId'],
      [{ name: 'A', ownerId: contactIds[0] }, 'ownerId'],
      [{ name: 'x'.repeat(201) }, 'name'],
      [{ name: '' }, 'name'],
      [{ name: '   ' }, 'name'],
      [{ name: 'A', expectedCloseDate: '2030-13-01' }, 'expectedCloseDate'],
      [{ name: 'A', contacts: [{ contactId: contactIds[0] }, { contactId: contactIds[0], role: 'USER' }] }, 'contacts.1.contactId'],
      [{ name: 'A', contacts: [{ contactId: accountIds[0] }] }, 'contacts.0.contactId'],
      [{ name: 'A', contacts: Array.from({ length: 51 }, () => ({ contactId: contactIds[0] })) }, 'contacts'],
      [{ name: 'A', contacts: [{ contactId: contactIds[0], role: 'BOSS' }] }, 'role'],
    ];
    for (const [input, field] of cases) {
      const result = await createDeal(input);
      expect({ input, code: errorCode(result) }).toEqual({ input, code: 'BAD_USER_INPUT' });
      expect(errorFields(result).join(',')).toContain(field);
    }
    expect(await dealCount()).toBe(before);

    const deal = await newDeal({ name: 'Untouched', amount: '10' });
    const updates: Array<[Record<string, unknown>, string]> = [
      [{ amount: '-0.01' }, 'amount'],
      [{ name: null }, 'name'],
      [{ currency: null }, 'currency'],
      [{ stageId: stageOf(sales, 'Proposal').id }, 'stageId'],
      [{ accountId: deal.id }, 'accountId'],
    ];
    for (const [input, field] of updates) {
      const result = await t.gql(`mutation($id: ID!, $input: DealInput!) { updateDeal(id: $id, input: $input) { id } }`, { id: deal.id, input }, admin);
      expect({ input, code: errorCode(result) }).toEqual({ input, code: 'BAD_USER_INPUT' });
      expect(errorFields(result).join(',')).toContain(field);
    }
    expect(await readDeal(deal.id)).toMatchObject({ name: 'Untouched', amount: '10.0000', version: 1, account: null });

    const badEnum = await t.gql(`query($f: DealFilter) { deals(filter: $f) { totalCount } }`, { f: { status: { eq: 'WONDERFUL' } } }, admin);
    expect(errorCode(badEnum)).toBe('BAD_USER_INPUT');
    expect(errorFields(badEnum).join(',')).toContain('status');
    const badFilterId = await t.gql(`{ deals(filter: { accountId: { eq: "${contactIds[0]}" } }) { totalCount } }`, {}, admin);
    expect(errorCode(badFilterId)).toBe('BAD_USER_INPUT');
    expect(errorFields(badFilterId)).toEqual(['filter.accountId.eq']);
  });

  test('roles: read-only members cannot write deals, sales members cannot delete them', async () => {
    const reader = await t.member(admin, 'READ_ONLY');
    expect(errorCode(await createDeal({ name: 'Nope' }, reader))).toBe('FORBIDDEN');
    const deal = (await createDeal({ name: 'Seller deal' }, seller)).data!.createDeal;
    const refused = await t.gql(`mutation($id: ID!) { deleteDeal(id: $id) { id } }`, { id: deal.id }, seller);
    expect(errorCode(refused)).toBe('FORBIDDEN');
    expect((await readDeal(deal.id)).deletedAt).toBeNull();
  });
});

describe('deals: stage verbs and contacts', () => {
  test('moveDeal within the pipeline; into WON closes, back into OPEN reopens, LOST needs loseDeal', async () => {
    const deal = await newDeal({ name: 'Mover' });
    const move = (stageName: string, pipeline = sales, v?: number) => moveDeal(deal.id, stageOf(pipeline, stageName).id, v);

    const qualified = (await move('Qualification')).data!.moveDeal;
    expect(qualified).toMatchObject({ stage: { name: 'Qualification' }, status: 'OPEN', version: 2, closedAt: null });

    const lost = await move('Lost');
    expect(errorCode(lost)).toBe('BAD_USER_INPUT');
    expect(errorFields(lost)).toEqual(['stageId']);
    expect(lost.errors![0].extensions!.fields).toEqual([expect.objectContaining({ message: expect.stringContaining('loseDeal') })]);
    const foreign = await move('Intro', other);
    expect(errorFields(foreign)).toEqual(['stageId']);
    const stale = await move('Proposal', sales, 1);
    expect(errorCode(stale)).toBe('CONFLICT');
    expect(stale.errors![0].extensions!.currentVersion).toBe(2);

    const won = (await move('Won', sales, 2)).data!.moveDeal;
    expect(won).toMatchObject({ stage: { name: 'Won' }, status: 'WON', version: 3 });
    expect(won.closedAt).not.toBeNull();

    const reopened = (await move('Negotiation / contract')).data!.moveDeal;
    expect(reopened).toMatchObject({ stage: { name: 'Negotiation / contract' }, status: 'OPEN', version: 4, closedAt: null, lostReason: null });
    expect(await readDeal(deal.id)).toMatchObject({ status: 'OPEN', version: 4 });
  });

  test('winDeal and loseDeal close the deal in the WON and LOST stages', async () => {
    const deal = await newDeal({ name: 'Closer', pipelineId: other.id });
    for (const reason of ['', '   ', 'x'.repeat(501)]) {
      const bad = await loseDeal(deal.id, reason);
      expect(errorCode(bad)).toBe('BAD_USER_INPUT');
      expect(errorFields(bad)).toEqual(['reason']);
    }
    const lost = (await loseDeal(deal.id, ' Too expensive ')).data!.loseDeal;
    expect(lost).toMatchObject({ status: 'LOST', stage: { name: 'Dropped' }, lostReason: 'Too expensive', version: 2 });
    expect(lost.closedAt).not.toBeNull();

    const staleWin = await winDeal(deal.id, 1);
    expect(errorCode(staleWin)).toBe('CONFLICT');
    expect(staleWin.errors![0].extensions!.currentVersion).toBe(2);

    const won = (await winDeal(deal.id, 2)).data!.winDeal;
    expect(won).toMatchObject({ status: 'WON', stage: { name: 'Signed' }, lostReason: null, version: 3 });
    const again = (await winDeal(deal.id)).data!.winDeal;
    expect(again).toMatchObject({ closedAt: won.closedAt, version: 4, status: 'WON' });

    const statuses = await t.ok(`query($id: ID!) { deals(filter: { pipelineId: { eq: $id }, status: { eq: WON } }) { edges { node { id } } } }`, { id: other.id }, admin);
    expect(statuses.deals.edges.map((e: any) => e.node.id)).toContain(deal.id);
  });

  test('addDealContact adds or changes the role, removeDealContact takes it off; each raises the version', async () => {
    const deal = await newDeal({ name: 'People', contacts: [{ contactId: contactIds[3], role: 'USER' }] });
    const add = (contactId: string, role: string, v?: number) => addDealContact(deal.id, contactId, role, v);
    const remove = (contactId: string) => removeDealContact(deal.id, contactId);

    expect((await add(contactIds[4], 'INFLUENCER', 1)).data!.addDealContact).toEqual({
      version: 2,
      contacts: [{ role: 'USER', contact: { id: contactIds[3] } }, { role: 'INFLUENCER', contact: { id: contactIds[4] } }],
    });
    expect((await add(contactIds[4], 'CHAMPION')).data!.addDealContact).toEqual({
      version: 3,
      contacts: [{ role: 'USER', contact: { id: contactIds[3] } }, { role: 'CHAMPION', contact: { id: contactIds[4] } }],
    });
    const stale = await add(contactIds[5], 'USER', 1);
    expect(errorCode(stale)).toBe('CONFLICT');
    const wrongType = await add(accountIds[0], 'USER');
    expect(errorFields(wrongType)).toEqual(['contactId']);
    const missing = await add('con_00000000000000000000000000000000', 'USER');
    expect(errorFields(missing)).toEqual(['contactId']);

    expect((await remove(contactIds[3])).data!.removeDealContact).toEqual({ version: 4, contacts: [{ role: 'CHAMPION', contact: { id: contactIds[4] } }] });
    const notThere = await remove(contactIds[3]);
    expect(errorCode(notThere)).toBe('BAD_USER_INPUT');
    expect(errorFields(notThere)).toEqual(['contactId']);
    expect(await readDeal(deal.id)).toMatchObject({ version: 4, contacts: [{ role: 'CHAMPION', contact: { id: contactIds[4] } }] });

    const trashedContact = (await t.ok(`mutation { createContact(input: { lastName: "Gone" }) { id } }`, {}, admin)).createContact.id;
    await add(trashedContact, 'USER');
    await t.ok(`mutation($id: ID!) { deleteContact(id: $id) { id } }`, { id: trashedContact }, admin);
    expect((await readDeal(deal.id)).contacts.map((c: any) => c.contact.id)).toEqual([contactIds[4]]);
  });
});

describe('deals: concurrency', () => {
  test('two updates with the same expectedVersion: exactly one wins, the other is a CONFLICT', async () => {
    for (let round = 0; round < 5; round++) {
      const deal = await newDeal({ name: `Race ${round}`, amount: '1' });
      const inputs = [
        { name: `Race ${round} left`, amount: '100.5', currency: 'CHF' },
        { name: `Race ${round} right`, amount: '200.25', currency: 'GBP' },
      ];
      const results = await Promise.all(
        inputs.map((input) =>
          t.gql(`mutation($id: ID!, $input: DealInput!) { updateDeal(id: $id, input: $input, expectedVersion: 1) { name amount currency version } }`, { id: deal.id, input }, admin),
        ),
      );
      const winners = results.filter((r) => !r.errors);
      const losers = results.filter((r) => r.errors);
      expect(winners).toHaveLength(1);
      expect(losers.map((r) => [errorCode(r), r.errors![0].extensions!.currentVersion])).toEqual([['CONFLICT', 2]]);
      const winnerInput = inputs[results.indexOf(winners[0])];
      const stored = await readDeal(deal.id);
      expect({ name: stored.name, amount: Number(stored.amount), currency: stored.currency, version: stored.version }).toEqual({
        ...winnerInput,
        amount: Number(winnerInput.amount),
        version: 2,
      });
    }
  });
});

describe('deals: lists', () => {
  // F-1..F-4 are the only deals named "F-…"; every list below is scoped to them.
  const deals: Record<string, any> = {};

  beforeAll(async () => {
    deals.F1 = await newDeal({ name: 'F-1', amount: '100', currency: 'EUR', accountId: accountIds[0], primaryContactId: contactIds[0], ownerId: admin.userId, expectedCloseDate: '2030-01-10' });
    deals.F2 = await newDeal({ name: 'F-2', amount: '250.5', currency: 'USD', accountId: accountIds[1], primaryContactId: contactIds[1], ownerId: seller.userId, expectedCloseDate: '2030-02-20', stageId: stageOf(sales, 'Proposal').id });
    deals.F3 = await newDeal({ name: 'F-3', amount: '999999.9999', currency: 'EUR', pipelineId: other.id });
    deals.F4 = await newDeal({ name: 'F-4', amount: '100', currency: 'CHF', accountId: accountIds[0], stageId: stageOf(sales, 'Qualification').id });
    deals.F2 = (await winDeal(deals.F2.id)).data!.winDeal;
    deals.F3 = (await loseDeal(deals.F3.id, 'No budget')).data!.loseDeal;
  });

  const namesFor = async (filter: Record<string, unknown>): Promise<string[]> => {
    const data = await t.ok(
      `query($f: DealFilter) { deals(filter: $f, first: 200, orderBy: [{ field: NAME, direction: ASC }]) { totalCount edges { node { name } } } }`,
      { f: { and: [{ name: { startsWith: 'F-' } }, filter] } },
      admin,
    );
    expect(data.deals.totalCount).toBe(data.deals.edges.length);
    return data.deals.edges.map((e: any) => e.node.name);
  };

  test('filters on every field', async () => {
    const cases: Array<[Record<string, unknown>, string[]]> = [
      [{}, ['F-1', 'F-2', 'F-3', 'F-4']],
      [{ name: { eq: 'F-2' } }, ['F-2']],
      [{ name: { contains: '-3' } }, ['F-3']],
      [{ currency: { eq: 'USD' } }, ['F-2']],
      [{ currency: { in: ['EUR', 'CHF'] } }, ['F-1', 'F-3', 'F-4']],
      [{ amount: { eq: '100.00' } }, ['F-1', 'F-4']],
      [{ amount: { gt: '100' } }, ['F-2', 'F-3']],
      [{ amount: { lte: '250.5' } }, ['F-1', 'F-2', 'F-4']],
      [{ status: { eq: 'WON' } }, ['F-2']],
      [{ status: { in: ['OPEN', 'LOST'] } }, ['F-1', 'F-3', 'F-4']],
      [{ status: { ne: 'OPEN' } }, ['F-2', 'F-3']],
      [{ pipelineId: { eq: other.id } }, ['F-3']],
      [{ pipelineId: { ne: other.id } }, ['F-1', 'F-2', 'F-4']],
      [{ stageId: { eq: stageOf(sales, 'Research').id } }, ['F-1']],
      [{ stageId: { in: [stageOf(sales, 'Won').id, stageOf(other, 'Dropped').id] } }, ['F-2', 'F-3']],
      [{ accountId: { eq: accountIds[0] } }, ['F-1', 'F-4']],
      [{ accountId: { isNull: true } }, ['F-3']],
      [{ primaryContactId: { eq: contactIds[1] } }, ['F-2']],
      [{ primaryContactId: { isNull: false } }, ['F-1', 'F-2']],
      [{ ownerId: { eq: seller.userId } }, ['F-2']],
      [{ ownerId: { notIn: [admin.userId] } }, ['F-2', 'F-3', 'F-4']],
      [{ expectedCloseDate: { lt: '2030-02-01' } }, ['F-1']],
      [{ expectedCloseDate: { gte: '2030-01-10', lte: '2030-02-20' } }, ['F-1', 'F-2']],
      [{ expectedCloseDate: { isNull: true } }, ['F-3', 'F-4']],
      [{ closedAt: { isNull: false } }, ['F-2', 'F-3']],
      [{ closedAt: { gte: deals.F3.closedAt } }, ['F-3']],
      [{ closedAt: { lt: deals.F3.closedAt } }, ['F-2']],
      [{ createdAt: { gte: deals.F2.createdAt } }, ['F-2', 'F-3', 'F-4']],
      [{ createdAt: { lt: deals.F2.createdAt } }, ['F-1']],
      [{ updatedAt: { gte: deals.F3.updatedAt } }, ['F-3']],
      [{ updatedAt: { lt: deals.F2.updatedAt } }, ['F-1', 'F-4']],
      [{ or: [{ status: { eq: 'WON' } }, { currency: { eq: 'EUR' }, amount: { lt: '500' } }] }, ['F-1', 'F-2']],
      [{ not: { status: { eq: 'OPEN' } } }, ['F-2', 'F-3']],
    ];
    for (const [filter, expected] of cases) {
      expect({ filter, names: await namesFor(filter) }).toEqual({ filter, names: expected });
    }
    const search = await t.ok(`{ deals(search: "f-", first: 200) { totalCount } }`, {}, admin);
    expect(search.deals.totalCount).toBe(4);
  });

  test('orders on every field in both directions, page by page', async () => {
    const all = Object.values(deals);
    const uuid = (d: any) => d.id.slice(5);
    const key: Record<string, (d: any) => number | string | null> = {
      CREATED_AT: (d) => d.createdAt,
      UPDATED_AT: (d) => d.updatedAt,
      NAME: (d) => d.name,
      AMOUNT: (d) => Number(d.amount),
      EXPECTED_CLOSE_DATE: (d) => d.expectedCloseDate,
    };
    for (const [field, of] of Object.entries(key)) {
      for (const direction of ['ASC', 'DESC']) {
        const sign = direction === 'ASC' ? 1 : -1;
        // PostgreSQL sorts NULL as the largest value; ties fall back to the id in the same direction.
        const compare = (a: any, b: any) => {
          const [x, y] = [of(a), of(b)];
          if (x !== y) return sign * (x === null ? 1 : y === null ? -1 : x < y ? -1 : 1);
          return sign * (uuid(a) < uuid(b) ? -1 : 1);
        };
        const expected = [...all].sort(compare).map((d) => d.name);
        const names: string[] = [];
        let after: string | null = null;
        do {
          const page: any = await t.ok(
            `query($o: [DealOrder!], $after: String) { deals(filter: { name: { startsWith: "F-" } }, orderBy: $o, first: 3, after: $after) {
              edges { node { name } } pageInfo { hasNextPage endCursor } } }`,
            { o: [{ field, direction }], after },
            admin,
          );
          names.push(...page.deals.edges.map((e: any) => e.node.name));
          after = page.deals.pageInfo.hasNextPage ? page.deals.pageInfo.endCursor : null;
        } while (after);
        expect({ field, direction, names }).toEqual({ field, direction, names: expected });
      }
    }
    const byDefault = await t.ok(`{ deals(filter: { name: { startsWith: "F-" } }) { edges { node { name } } } }`, {}, admin);
    expect(byDefault.deals.edges.map((e: any) => e.node.name)).toEqual(['F-4', 'F-3', 'F-2', 'F-1']);
  });
});

describe('deals: no N+1', () => {
  test('a page of 5 and a page of 50 deals with all relations take the same few statements', async () => {
    for (let i = 0; i < 50; i++) {
      await newDeal({
        name: `N-${String(i).padStart(2, '0')}`,
        accountId: accountIds[i % 5],
        primaryContactId: contactIds[i % 5],
        ownerId: i % 2 ? seller.userId : admin.userId,
        pipelineId: i % 3 ? sales.id : other.id,
        contacts: [{ contactId: contactIds[5 + (i % 5)], role: 'USER' }, { contactId: contactIds[5 + ((i + 1) % 5)], role: 'CHAMPION' }],
      });
    }
    const query = `query($first: Int!) { deals(first: $first, search: "N-") { edges { node {
      name account { name } primaryContact { name } owner { name } stage { name } pipeline { name } contacts { role contact { name } } } } } }`;
    const measure = async (first: number) => {
      const before = t.statements;
      const data = await t.ok(query, { first }, admin);
      expect(data.deals.edges).toHaveLength(first);
      expect(data.deals.edges.every((e: any) => e.node.account && e.node.primaryContact && e.node.owner && e.node.contacts.length === 2)).toBe(true);
      return t.statements - before;
    };
    const small = await measure(5);
    const large = await measure(50);
    expect(large).toBe(small);
    expect(large).toBeLessThanOrEqual(12);
  });
});
