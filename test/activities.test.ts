import { TestApp, errorCode, errorFields, type GraphQLResult, type Session } from './support/test-app';

const FIELDS = `id type subject body occurredAt durationMinutes dueAt completedAt done version deletedAt createdAt updatedAt
  account { id } contact { id } deal { id } ticket { id } owner { id }`;

let t: TestApp;
let admin: Session;

beforeAll(async () => {
  t = await TestApp.start('activities');
  admin = await t.signUp();
});
afterAll(() => t.stop());

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const create = (input: Record<string, unknown>, who: Session = admin): Promise<GraphQLResult> =>
  t.gql(`mutation($input: CreateActivityInput!) { createActivity(input: $input) { ${FIELDS} } }`, { input }, who);

async function createOk(input: Record<string, unknown>, who: Session = admin): Promise<Record<string, any>> {
  const result = await create(input, who);
  if (result.errors) throw new Error(`createActivity failed: ${JSON.stringify(result.errors)}`);
  return result.data!.createActivity;
}

const update = (id: string, input: Record<string, unknown>, expectedVersion?: number, who: Session = admin) =>
  t.gql(
    `mutation($id: ID!, $input: ActivityInput!, $v: Int) { updateActivity(id: $id, input: $input, expectedVersion: $v) { ${FIELDS} } }`,
    { id, input, v: expectedVersion },
    who,
  );

const verb = (name: 'completeTask' | 'reopenTask' | 'deleteActivity' | 'restoreActivity', id: string, expectedVersion?: number, who: Session = admin) =>
  t.gql(
    name === 'restoreActivity'
      ? `mutation($id: ID!) { restoreActivity(id: $id) { ${FIELDS} } }`
      : `mutation($id: ID!, $v: Int) { ${name}(id: $id, expectedVersion: $v) { ${FIELDS} } }`,
    name === 'restoreActivity' ? { id } : { id, v: expectedVersion },
    who,
  );

async function newRecord(mutation: string, inputType: string, input: Record<string, unknown>, who: Session = admin): Promise<string> {
  const data = await t.ok(`mutation($input: ${inputType}!) { ${mutation}(input: $input) { id } }`, { input }, who);
  return data[mutation].id;
}

const newAccount = (name: string, who: Session = admin) => newRecord('createAccount', 'CreateAccountInput', { name }, who);
const newContact = (lastName: string, who: Session = admin) => newRecord('createContact', 'CreateContactInput', { lastName }, who);
const newTicket = (subject: string, who: Session = admin) => newRecord('createTicket', 'CreateTicketInput', { subject }, who);
const newDeal = (name: string, who: Session = admin) =>
  newRecord('createDeal', 'CreateDealInput', { name, amount: '1000.00', currency: 'EUR' }, who);

/** The distinct fields an error names (a field can break several rules at once). */
const fieldsOf = (result: GraphQLResult) => [...new Set(errorFields(result))];

async function activityCount(who: Session = admin): Promise<number> {
  return (await t.ok(`{ activities(withDeleted: true) { totalCount } }`, {}, who)).activities.totalCount;
}

describe('activities: each type', () => {
  let accountId: string, contactId: string, dealId: string, ticketId: string;

  beforeAll(async () => {
    [accountId, contactId, dealId, ticketId] = await Promise.all([
      newAccount('Diary Corp'),
      newContact('Diarist'),
      newDeal('Diary deal'),
      newTicket('Diary ticket'),
    ]);
  });

  const perType: Array<[string, Record<string, unknown>, Record<string, unknown>]> = [
    ['CALL', { durationMinutes: 15, body: 'Talked pricing' }, { durationMinutes: 20 }],
    ['MEETING', { occurredAt: '2030-01-15T09:00:00.000Z', durationMinutes: 60 }, { durationMinutes: 90 }],
    ['EMAIL', { body: 'Sent the offer' }, { body: 'Sent the revised offer' }],
    ['NOTE', { body: 'Prefers mornings' }, { occurredAt: '2024-05-01T08:00:00.000Z' }],
    ['TASK', { dueAt: '2030-02-01T12:00:00.000Z' }, { dueAt: '2030-02-02T12:00:00.000Z' }],
  ];

  test.each(perType)('%s: create, read, update, delete and restore', async (type, extra, change) => {
    const before = Date.now();
    const created = await createOk({ type, subject: `  A ${type}  `, accountId, contactId, dealId, ticketId, ...extra });
    expect(created).toMatchObject({
      type,
      subject: `A ${type}`,
      version: 1,
      deletedAt: null,
      completedAt: null,
      done: false,
      account: { id: accountId },
      contact: { id: contactId },
      deal: { id: dealId },
      ticket: { id: ticketId },
      owner: { id: admin.userId },
      ...extra,
    });
    expect(created.id).toMatch(/^act_[0-9a-f]{32}$/);
    if (type === 'CALL' || type === 'EMAIL' || type === 'NOTE') {
      expect(Date.parse(created.occurredAt)).toBeGreaterThanOrEqual(before - 1000);
      expect(Date.parse(created.occurredAt)).toBeLessThanOrEqual(Date.now() + 1000);
    }
    if (type === 'TASK') expect(created.occurredAt).toBeNull();

    const read = await t.ok(`query($id: ID!) { activity(id: $id) { ${FIELDS} } node(id: $id) { id ... on Activity { subject } } }`, { id: created.id }, admin);
    expect(read.activity).toEqual(created);
    expect(read.node).toEqual({ id: created.id, subject: `A ${type}` });

    const updated = await update(created.id, { subject: `Changed ${type}`, contactId: null, ...change }, 1);
    expect(updated.errors).toBeUndefined();
    expect(updated.data!.updateActivity).toMatchObject({ subject: `Changed ${type}`, contact: null, account: { id: accountId }, version: 2, ...change });

    const deleted = await verb('deleteActivity', created.id, 2);
    expect(deleted.data!.deleteActivity).toMatchObject({ version: 3 });
    expect(deleted.data!.deleteActivity.deletedAt).not.toBeNull();
    const search = `Changed ${type}`;
    const listed = await t.ok(
      `query($s: String!) { live: activities(search: $s) { totalCount } all: activities(search: $s, withDeleted: true) { totalCount } }`,
      { s: search },
      admin,
    );
    expect(listed).toEqual({ live: { totalCount: 0 }, all: { totalCount: 1 } });
    expect(errorCode(await update(created.id, { subject: 'x' }))).toBe('NOT_FOUND');

    const restored = await verb('restoreActivity', created.id);
    expect(restored.data!.restoreActivity).toMatchObject({ version: 4, deletedAt: null, subject: search });
  });

  test('the owner defaults to whoever logs it; null leaves it unowned; another member can be named', async () => {
    const sales = await t.member(admin, 'SALES');
    expect((await createOk({ type: 'CALL', subject: 'By sales', accountId }, sales)).owner).toEqual({ id: sales.userId });
    expect((await createOk({ type: 'NOTE', subject: 'Unowned', accountId, ownerId: null })).owner).toBeNull();
    expect((await createOk({ type: 'TASK', subject: 'For sales', accountId, ownerId: sales.userId })).owner).toEqual({ id: sales.userId });
  });

  test('a stale expectedVersion is a CONFLICT carrying the current version, and changes nothing', async () => {
    const call = await createOk({ type: 'CALL', subject: 'Versioned call', accountId });
    await update(call.id, { body: 'first' });
    const stale = await update(call.id, { subject: 'Lost' }, 1);
    expect(errorCode(stale)).toBe('CONFLICT');
    expect(stale.errors![0].extensions!.currentVersion).toBe(2);
    const now = await t.ok(`query($id: ID!) { activity(id: $id) { subject version } }`, { id: call.id }, admin);
    expect(now.activity).toEqual({ subject: 'Versioned call', version: 2 });
  });

  test('roles: read-only members cannot log, sales members cannot delete', async () => {
    const readOnly = await t.member(admin, 'READ_ONLY');
    expect(errorCode(await create({ type: 'NOTE', subject: 'Nope', accountId }, readOnly))).toBe('FORBIDDEN');
    const sales = await t.member(admin, 'SALES');
    const note = await createOk({ type: 'NOTE', subject: 'Keep me', accountId }, sales);
    expect(errorCode(await verb('deleteActivity', note.id, undefined, sales))).toBe('FORBIDDEN');
    expect((await verb('deleteActivity', note.id)).data!.deleteActivity.deletedAt).not.toBeNull();
  });
});

describe('tasks', () => {
  let accountId: string;
  beforeAll(async () => {
    accountId = await newAccount('Task Corp');
  });

  test('complete and reopen, idempotently, raising the version only on a change', async () => {
    const task = await createOk({ type: 'TASK', subject: 'Send contract', accountId, dueAt: '2030-03-01T10:00:00.000Z' });
    expect(task).toMatchObject({ dueAt: '2030-03-01T10:00:00.000Z', done: false, completedAt: null, version: 1 });

    const completed = (await verb('completeTask', task.id, 1)).data!.completeTask;
    expect(completed).toMatchObject({ done: true, version: 2 });
    expect(completed.completedAt).not.toBeNull();

    const again = await verb('completeTask', task.id, 1);
    expect(again.errors).toBeUndefined();
    expect(again.data!.completeTask).toMatchObject({ done: true, version: 2, completedAt: completed.completedAt });

    const reopened = (await verb('reopenTask', task.id, 2)).data!.reopenTask;
    expect(reopened).toMatchObject({ done: false, completedAt: null, version: 3 });
    expect((await verb('reopenTask', task.id)).data!.reopenTask).toMatchObject({ done: false, version: 3 });

    const stale = await verb('completeTask', task.id, 1);
    expect(errorCode(stale)).toBe('CONFLICT');
    expect(stale.errors![0].extensions!.currentVersion).toBe(3);
    const now = await t.ok(`query($id: ID!) { activity(id: $id) { done version } }`, { id: task.id }, admin);
    expect(now.activity).toEqual({ done: false, version: 3 });
  });

  test('only tasks can be completed or reopened; trashed tasks are NOT_FOUND', async () => {
    const call = await createOk({ type: 'CALL', subject: 'Not a task', accountId });
    for (const name of ['completeTask', 'reopenTask'] as const) {
      const refused = await verb(name, call.id);
      expect(errorCode(refused)).toBe('BAD_USER_INPUT');
      expect(errorFields(refused)).toEqual(['id']);
    }
    expect(errorFields(await verb('completeTask', accountId))).toEqual(['id']);
    const task = await createOk({ type: 'TASK', subject: 'Trashed task', accountId });
    await verb('deleteActivity', task.id);
    expect(errorCode(await verb('completeTask', task.id))).toBe('NOT_FOUND');
    const unchanged = await t.ok(`query($id: ID!) { a: activity(id: $id) { completedAt version } }`, { id: call.id }, admin);
    expect(unchanged.a).toEqual({ completedAt: null, version: 1 });
  });

  test('the done filter follows completion', async () => {
    const task = await createOk({ type: 'TASK', subject: 'Done filter task', accountId });
    const query = `query($f: ActivityFilter) { activities(filter: $f, search: "Done filter") { edges { node { id } } } }`;
    const ids = async (done: boolean) =>
      (await t.ok(query, { f: { done: { eq: done } } }, admin)).activities.edges.map((e: any) => e.node.id);
    expect(await ids(false)).toEqual([task.id]);
    expect(await ids(true)).toEqual([]);
    await verb('completeTask', task.id);
    expect(await ids(true)).toEqual([task.id]);
    expect(await ids(false)).toEqual([]);
  });
});

describe('rules and bad input', () => {
  let accountId: string, contactId: string, trashedAccountId: string;
  beforeAll(async () => {
    [accountId, contactId, trashedAccountId] = await Promise.all([newAccount('Rules Corp'), newContact('Rules'), newAccount('Gone Corp')]);
    await t.ok(`mutation($id: ID!) { deleteAccount(id: $id) { id } }`, { id: trashedAccountId }, admin);
  });

  test('bad input on create names the field and writes nothing', async () => {
    const before = await activityCount();
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ type: 'CALL', subject: '', accountId }, 'subject'],
      [{ type: 'CALL', subject: '   ', accountId }, 'subject'],
      [{ type: 'CALL', subject: 'x'.repeat(301), accountId }, 'subject'],
      [{ type: 'NOTE', subject: 'Long', body: 'x'.repeat(20001), accountId }, 'body'],
      [{ type: 'CALL', subject: 'Neg', durationMinutes: -1, accountId }, 'durationMinutes'],
      [{ type: 'MEETING', subject: 'Days', durationMinutes: 1441, accountId }, 'durationMinutes'],
      [{ type: 'NOTE', subject: 'Timed note', durationMinutes: 5, accountId }, 'durationMinutes'],
      [{ type: 'CALL', subject: 'Due call', dueAt: '2030-01-01T00:00:00Z', accountId }, 'dueAt'],
      [{ type: 'TASK', subject: 'Happened task', occurredAt: '2030-01-01T00:00:00Z', accountId }, 'occurredAt'],
      [{ type: 'CALL', subject: 'When', occurredAt: 'yesterday', accountId }, 'occurredAt'],
      [{ type: 'PHONE', subject: 'Kind', accountId }, 'type'],
      [{ type: 'CALL', subject: 'Wrong type', accountId: contactId }, 'accountId'],
      [{ type: 'CALL', subject: 'Missing', accountId: 'acc_00000000000000000000000000000000' }, 'accountId'],
      [{ type: 'CALL', subject: 'Trashed', accountId: trashedAccountId }, 'accountId'],
      [{ type: 'CALL', subject: 'Contact', contactId: accountId }, 'contactId'],
      [{ type: 'CALL', subject: 'Deal', dealId: 'deal_00000000000000000000000000000000' }, 'dealId'],
      [{ type: 'CALL', subject: 'Ticket', ticketId: 'tkt_00000000000000000000000000000000' }, 'ticketId'],
      [{ type: 'CALL', subject: 'Owner', accountId, ownerId: 'usr_00000000000000000000000000000000' }, 'ownerId'],
    ];
    for (const [input, field] of cases) {
      const result = await create(input);
      expect({ input, code: errorCode(result) }).toEqual({ input, code: 'BAD_USER_INPUT' });
      expect({ input, fields: fieldsOf(result) }).toEqual({ input, fields: [field] });
    }
    expect(await activityCount()).toBe(before);
  });

  test('every activity needs a link: refused on accountId, naming all four', async () => {
    const before = await activityCount();
    for (const type of ['CALL', 'MEETING', 'EMAIL', 'NOTE', 'TASK']) {
      const result = await create({ type, subject: 'Floating', accountId: null });
      expect(errorCode(result)).toBe('BAD_USER_INPUT');
      const [problem] = result.errors![0].extensions!.fields!;
      expect(problem.field).toBe('accountId');
      for (const field of ['accountId', 'contactId', 'dealId', 'ticketId']) expect(problem.message).toContain(field);
    }
    expect(await activityCount()).toBe(before);
  });

  test('bad input on update names the field and changes nothing', async () => {
    const call = await createOk({ type: 'CALL', subject: 'Stable call', accountId, durationMinutes: 5 });
    const task = await createOk({ type: 'TASK', subject: 'Stable task', contactId });
    const cases: Array<[string, Record<string, unknown>, string]> = [
      [call.id, { subject: null }, 'subject'],
      [call.id, { dueAt: '2030-01-01T00:00:00Z' }, 'dueAt'],
      [call.id, { occurredAt: null }, 'occurredAt'],
      [call.id, { accountId: null }, 'accountId'],
      [call.id, { accountId: null, contactId: null, dealId: null, ticketId: null }, 'accountId'],
      [call.id, { durationMinutes: 2000 }, 'durationMinutes'],
      [call.id, { ownerId: accountId }, 'ownerId'],
      [task.id, { occurredAt: '2030-01-01T00:00:00Z' }, 'occurredAt'],
      [task.id, { durationMinutes: 10 }, 'durationMinutes'],
      [task.id, { contactId: null }, 'accountId'],
      [task.id, { contactId: trashedAccountId }, 'contactId'],
    ];
    for (const [id, input, field] of cases) {
      const result = await update(id, input);
      expect({ input, code: errorCode(result) }).toEqual({ input, code: 'BAD_USER_INPUT' });
      expect({ input, fields: fieldsOf(result) }).toEqual({ input, fields: [field] });
    }
    const badId = await update(accountId, { subject: 'x' });
    expect(errorFields(badId)).toEqual(['id']);
    const typeChange = await t.gql(`mutation($id: ID!) { updateActivity(id: $id, input: { type: NOTE }) { id } }`, { id: call.id }, admin);
    expect(errorCode(typeChange)).toBe('BAD_USER_INPUT');
    expect(errorFields(typeChange)).toEqual(['type']);

    const now = await t.ok(
      `query($c: ID!, $t: ID!) { c: activity(id: $c) { ${FIELDS} } t: activity(id: $t) { ${FIELDS} } }`,
      { c: call.id, t: task.id },
      admin,
    );
    expect(now).toEqual({ c: call, t: task });
  });
});

describe('first response on tickets', () => {
  const ticketState = async (id: string) =>
    (await t.ok(`query($id: ID!) { ticket(id: $id) { firstResponseAt version } }`, { id }, admin)).ticket;

  test('logging a call on a new ticket stamps its first response once', async () => {
    const ticketId = await newTicket('Printer on fire');
    expect(await ticketState(ticketId)).toEqual({ firstResponseAt: null, version: 1 });

    await createOk({ type: 'NOTE', subject: 'Internal note', ticketId });
    await createOk({ type: 'TASK', subject: 'Call back', ticketId });
    expect(await ticketState(ticketId)).toEqual({ firstResponseAt: null, version: 1 });

    await createOk({ type: 'CALL', subject: 'Called back', ticketId, occurredAt: '2025-06-01T10:00:00.000Z' });
    expect(await ticketState(ticketId)).toEqual({ firstResponseAt: '2025-06-01T10:00:00.000Z', version: 2 });

    await createOk({ type: 'CALL', subject: 'Called again', ticketId, occurredAt: '2025-06-02T10:00:00.000Z' });
    await createOk({ type: 'EMAIL', subject: 'Wrote', ticketId });
    expect(await ticketState(ticketId)).toEqual({ firstResponseAt: '2025-06-01T10:00:00.000Z', version: 2 });
  });

  test('an email or a meeting without a time stamps now', async () => {
    for (const type of ['EMAIL', 'MEETING']) {
      const ticketId = await newTicket(`Answered by ${type}`);
      const before = Date.now();
      await createOk({ type, subject: `Answer by ${type}`, ticketId });
      const { firstResponseAt } = await ticketState(ticketId);
      expect(Date.parse(firstResponseAt)).toBeGreaterThanOrEqual(before - 1000);
      expect(Date.parse(firstResponseAt)).toBeLessThanOrEqual(Date.now() + 1000);
    }
  });

  test('a refused activity does not stamp the ticket', async () => {
    const ticketId = await newTicket('Still waiting');
    const refused = await create({ type: 'CALL', subject: 'Bad owner', ticketId, ownerId: 'usr_00000000000000000000000000000000' });
    expect(errorFields(refused)).toEqual(['ownerId']);
    expect(await ticketState(ticketId)).toEqual({ firstResponseAt: null, version: 1 });
  });
});

describe('lists: filters, orders, search and nested connections', () => {
  let owner: Session;
  let other: Session;
  const ids: Record<string, string> = {};
  const act: Record<string, Record<string, any>> = {};
  let createdMark: string;
  let updatedMark: string;

  /** A workspace of its own, so every list below holds exactly these seven activities. */
  beforeAll(async () => {
    owner = await t.signUp('Lists GmbH');
    other = await t.member(owner, 'SALES');
    ids.a1 = await newAccount('List One', owner);
    ids.a2 = await newAccount('List Two', owner);
    ids.c1 = await newContact('Listed', owner);
    ids.d1 = await newDeal('List deal', owner);
    ids.t1 = await newTicket('List ticket', owner);
    const log = async (key: string, input: Record<string, unknown>) => {
      act[key] = await createOk(input, owner);
    };
    await log('alpha', { type: 'CALL', subject: 'Call Alpha', accountId: ids.a1, occurredAt: '2025-01-10T00:00:00.000Z' });
    await log('beta', { type: 'MEETING', subject: 'Meeting Beta', contactId: ids.c1, occurredAt: '2025-02-10T00:00:00.000Z', ownerId: other.userId });
    await log('gamma', { type: 'EMAIL', subject: 'Email Gamma', dealId: ids.d1, occurredAt: '2025-03-10T00:00:00.000Z' });
    await sleep(20);
    createdMark = new Date().toISOString();
    await sleep(20);
    await log('delta', { type: 'NOTE', subject: 'Note Delta', ticketId: ids.t1, occurredAt: '2025-04-10T00:00:00.000Z' });
    await log('epsilon', { type: 'TASK', subject: 'Task Epsilon', accountId: ids.a2, dueAt: '2025-05-10T00:00:00.000Z', ownerId: other.userId });
    await log('zeta', { type: 'TASK', subject: 'Task Zeta', accountId: ids.a1, dueAt: '2025-06-10T00:00:00.000Z', ownerId: other.userId });
    await log('eta', { type: 'TASK', subject: 'Task Eta', contactId: ids.c1 });
    await verb('completeTask', act.epsilon.id, undefined, owner);
    await sleep(20);
    updatedMark = new Date().toISOString();
    await sleep(20);
    await update(act.beta.id, { body: 'Agenda attached' }, undefined, owner);
  });

  const names = (connection: { edges: Array<{ node: { subject: string } }> }) =>
    connection.edges.map((e) => e.node.subject.split(' ')[1].toLowerCase());

  async function matching(filter: Record<string, unknown>): Promise<string[]> {
    const data = await t.ok(`query($f: ActivityFilter) { activities(filter: $f, first: 200) { totalCount edges { node { subject } } } }`, { f: filter }, owner);
    expect(data.activities.totalCount).toBe(data.activities.edges.length);
    return names(data.activities).sort();
  }

  test('every filter field', async () => {
    const cases: Array<[Record<string, unknown>, string[]]> = [
      [{ type: { eq: 'TASK' } }, ['epsilon', 'eta', 'zeta']],
      [{ type: { in: ['CALL', 'EMAIL'] } }, ['alpha', 'gamma']],
      [{ type: { notIn: ['TASK', 'NOTE'] } }, ['alpha', 'beta', 'gamma']],
      [{ subject: { startsWith: 'task e' } }, ['epsilon', 'eta']],
      [{ subject: { contains: 'ALPH' } }, ['alpha']],
      [{ accountId: { eq: ids.a1 } }, ['alpha', 'zeta']],
      [{ accountId: { in: [ids.a1, ids.a2] } }, ['alpha', 'epsilon', 'zeta']],
      [{ contactId: { eq: ids.c1 } }, ['beta', 'eta']],
      [{ dealId: { eq: ids.d1 } }, ['gamma']],
      [{ ticketId: { eq: ids.t1 } }, ['delta']],
      [{ ticketId: { isNull: false } }, ['delta']],
      [{ ownerId: { eq: other.userId } }, ['beta', 'epsilon', 'zeta']],
      [{ ownerId: { ne: other.userId } }, ['alpha', 'delta', 'eta', 'gamma']],
      [{ occurredAt: { gte: '2025-02-01T00:00:00Z', lt: '2025-04-01T00:00:00Z' } }, ['beta', 'gamma']],
      [{ occurredAt: { isNull: true } }, ['epsilon', 'eta', 'zeta']],
      [{ dueAt: { lt: '2025-06-01T00:00:00Z' } }, ['epsilon']],
      [{ dueAt: { gt: '2025-05-10T00:00:00Z' } }, ['zeta']],
      [{ completedAt: { isNull: false } }, ['epsilon']],
      [{ createdAt: { gt: createdMark } }, ['delta', 'epsilon', 'eta', 'zeta']],
      [{ createdAt: { lt: createdMark } }, ['alpha', 'beta', 'gamma']],
      [{ updatedAt: { gt: updatedMark } }, ['beta']],
      [{ done: { eq: true } }, ['epsilon']],
      [{ done: { ne: true }, type: { eq: 'TASK' } }, ['eta', 'zeta']],
    ];
    for (const [filter, expected] of cases) expect({ filter, got: await matching(filter) }).toEqual({ filter, got: expected });
  });

  test('and, or and not combine filters', async () => {
    const cases: Array<[Record<string, unknown>, string[]]> = [
      [{ or: [{ type: { eq: 'CALL' } }, { dealId: { eq: ids.d1 } }] }, ['alpha', 'gamma']],
      [{ and: [{ type: { eq: 'TASK' } }, { not: { done: { eq: true } } }] }, ['eta', 'zeta']],
      [{ not: { or: [{ type: { eq: 'TASK' } }, { occurredAt: { lt: '2025-03-01T00:00:00Z' } }] } }, ['delta', 'gamma']],
      [{ accountId: { eq: ids.a1 }, or: [{ ownerId: { eq: other.userId } }, { subject: { startsWith: 'call' } }] }, ['alpha', 'zeta']],
      [{ and: [{ or: [{ contactId: { isNull: false } }, { ticketId: { isNull: false } }] }, { not: { type: { eq: 'MEETING' } } }] }, ['delta', 'eta']],
    ];
    for (const [filter, expected] of cases) expect({ filter, got: await matching(filter) }).toEqual({ filter, got: expected });
  });

  test("a member's open tasks due before a date", async () => {
    const filter = {
      type: { eq: 'TASK' },
      ownerId: { eq: other.userId },
      completedAt: { isNull: true },
      dueAt: { lt: '2025-07-01T00:00:00Z' },
    };
    expect(await matching(filter)).toEqual(['zeta']);
  });

  test('filters refuse ids of the wrong type, naming the path', async () => {
    const result = await t.gql(`query($f: ActivityFilter) { activities(filter: $f) { totalCount } }`, { f: { ticketId: { eq: ids.a1 } } }, owner);
    expect(errorCode(result)).toBe('BAD_USER_INPUT');
    expect(errorFields(result)).toEqual(['filter.ticketId.eq']);
  });

  async function ordered(orderBy: unknown, extra = ''): Promise<string[]> {
    const data = await t.ok(`query($o: [ActivityOrder!]) { activities(orderBy: $o${extra}) { edges { node { subject } } } }`, { o: orderBy }, owner);
    return names(data.activities);
  }

  test('orders: newest first by default, occurrence and due time with empty values at the end ascending', async () => {
    expect(await ordered(null)).toEqual(['eta', 'zeta', 'epsilon', 'delta', 'gamma', 'beta', 'alpha']);
    expect(await ordered([{ field: 'CREATED_AT', direction: 'ASC' }])).toEqual(['alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta', 'eta']);
    const byOccurrence = await ordered([{ field: 'OCCURRED_AT', direction: 'ASC' }]);
    expect(byOccurrence.slice(0, 4)).toEqual(['alpha', 'beta', 'gamma', 'delta']);
    expect(byOccurrence.slice(4).sort()).toEqual(['epsilon', 'eta', 'zeta']);
    const byOccurrenceDesc = await ordered([{ field: 'OCCURRED_AT', direction: 'DESC' }]);
    expect(byOccurrenceDesc.slice(3)).toEqual(['delta', 'gamma', 'beta', 'alpha']);
    expect(await ordered([{ field: 'DUE_AT', direction: 'ASC' }], ', filter: { type: { eq: TASK } }')).toEqual(['epsilon', 'zeta', 'eta']);
    expect(await ordered([{ field: 'DUE_AT', direction: 'DESC' }], ', filter: { type: { eq: TASK } }')).toEqual(['eta', 'zeta', 'epsilon']);
    expect(await ordered([{ field: 'DUE_AT', direction: 'ASC' }, { field: 'OCCURRED_AT', direction: 'DESC' }])).toEqual([
      'epsilon', 'zeta', 'eta', 'delta', 'gamma', 'beta', 'alpha',
    ]);
  });

  test('paging over a nullable order neither skips nor repeats a row', async () => {
    const orderBy = [{ field: 'DUE_AT', direction: 'ASC' }];
    const whole = await ordered(orderBy);
    const pages: string[][] = [];
    let after: string | null = null;
    for (let page = 0; page < 10; page++) {
      const data: Record<string, any> = await t.ok(
        `query($o: [ActivityOrder!], $after: String) { activities(orderBy: $o, first: 3, after: $after) {
          edges { node { subject } } pageInfo { hasNextPage hasPreviousPage endCursor } } }`,
        { o: orderBy, after },
        owner,
      );
      const { pageInfo } = data.activities;
      expect(pageInfo.hasPreviousPage).toBe(page > 0);
      pages.push(names(data.activities));
      if (!pageInfo.hasNextPage) break;
      after = pageInfo.endCursor;
    }
    expect(pages.map((p) => p.length)).toEqual([3, 3, 1]);
    expect(pages.flat()).toEqual(whole);
  });

  test('search matches a prefix of the subject', async () => {
    const data = await t.ok(`{ tasks: activities(search: "TASK") { totalCount } call: activities(search: "call al") { edges { node { subject } } } none: activities(search: "alpha") { totalCount } }`, {}, owner);
    expect(data).toEqual({ tasks: { totalCount: 3 }, call: { edges: [{ node: { subject: 'Call Alpha' } }] }, none: { totalCount: 0 } });
  });

  test('nested activities on accounts, contacts, deals and tickets take the list arguments', async () => {
    const data = await t.ok(
      `query($a: ID!, $c: ID!, $d: ID!, $t: ID!) {
        account(id: $a) { activities { totalCount edges { node { subject } } } tasks: activities(filter: { type: { eq: TASK } }) { edges { node { subject } } } }
        contact(id: $c) { activities(orderBy: [{ field: CREATED_AT, direction: ASC }]) { edges { node { subject } } } }
        deal(id: $d) { activities { edges { node { subject } } } }
        ticket(id: $t) { activities(search: "nothing") { totalCount } all: activities { edges { node { subject ticket { id } } } } }
      }`,
      { a: ids.a1, c: ids.c1, d: ids.d1, t: ids.t1 },
      owner,
    );
    expect(names(data.account.activities)).toEqual(['zeta', 'alpha']);
    expect(data.account.activities.totalCount).toBe(2);
    expect(names(data.account.tasks)).toEqual(['zeta']);
    expect(names(data.contact.activities)).toEqual(['beta', 'eta']);
    expect(names(data.deal.activities)).toEqual(['gamma']);
    expect(data.ticket.activities.totalCount).toBe(0);
    expect(data.ticket.all.edges).toEqual([{ node: { subject: 'Note Delta', ticket: { id: ids.t1 } } }]);
  });

  test('Account.activities is batched: the same statements for 3 and for 30 accounts', async () => {
    const batch = await t.signUp('Batch GmbH');
    const accountIds: string[] = [];
    for (let i = 0; i < 30; i++) accountIds.push(await newAccount(`Batch ${i}`, batch));
    for (const [i, accountId] of accountIds.entries()) {
      await createOk({ type: 'CALL', subject: `Batch call ${i}`, accountId }, batch);
      await createOk({ type: 'TASK', subject: `Batch task ${i}`, accountId, dueAt: '2030-01-01T00:00:00Z' }, batch);
    }
    const query = `query($n: Int!) { accounts(first: $n) { edges { node { id
      activities(first: 1, filter: { type: { eq: TASK } }) { totalCount edges { node { subject account { id } owner { id } } } }
    } } } }`;
    const statementsFor = async (n: number) => {
      const before = t.statements;
      const data = await t.ok(query, { n }, batch);
      const used = t.statements - before;
      for (const edge of data.accounts.edges) {
        const nested = edge.node.activities;
        expect(nested.totalCount).toBe(1);
        expect(nested.edges[0].node.account.id).toBe(edge.node.id);
        expect(nested.edges[0].node.owner.id).toBe(batch.userId);
      }
      expect(data.accounts.edges).toHaveLength(n);
      return used;
    };
    const forThree = await statementsFor(3);
    const forThirty = await statementsFor(30);
    expect(forThirty).toBe(forThree);
  });
});
