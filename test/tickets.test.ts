import { TestApp, errorCode, errorFields, type GraphQLResult, type Session } from './support/test-app';

const FIELDS =
  'id subject description status priority category version deletedAt createdAt updatedAt firstResponseAt resolvedAt closedAt account { id } contact { id } assignee { id }';

let t: TestApp;
let admin: Session;
let support: Session;
let accountId: string;
let contactId: string;

const createAccount = async (name: string, who: Session = admin): Promise<string> =>
  (await t.ok(`mutation($name: String!) { createAccount(input: { name: $name }) { id } }`, { name }, who)).createAccount.id;

const createContact = async (lastName: string, who: Session = admin): Promise<string> =>
  (await t.ok(`mutation($lastName: String!) { createContact(input: { lastName: $lastName }) { id } }`, { lastName }, who)).createContact.id;

const create = (input: Record<string, unknown>, who: Session = admin) =>
  t.gql(`mutation($input: CreateTicketInput!) { createTicket(input: $input) { ${FIELDS} } }`, { input }, who);

const createOk = async (input: Record<string, unknown>, who: Session = admin) =>
  (await t.ok(`mutation($input: CreateTicketInput!) { createTicket(input: $input) { ${FIELDS} } }`, { input }, who)).createTicket;

const changeStatus = (id: string, status: string, who: Session = admin, expectedVersion?: number) =>
  t.gql(
    `mutation($id: ID!, $status: TicketStatus!, $v: Int) { changeTicketStatus(id: $id, status: $status, expectedVersion: $v) { ${FIELDS} } }`,
    { id, status, v: expectedVersion },
    who,
  );

/** resolveTicket, reopenTicket, deleteTicket, restoreTicket: mutations taking only the id. */
const verb = (name: string, id: string, who: Session = admin) =>
  t.gql(`mutation($id: ID!) { ${name}(id: $id) { ${FIELDS} } }`, { id }, who);

const read = async (id: string, who: Session = admin) =>
  (await t.ok(`query($id: ID!) { ticket(id: $id) { ${FIELDS} } }`, { id }, who)).ticket;

const countAll = async (who: Session = admin): Promise<number> =>
  (await t.ok(`{ tickets(withDeleted: true) { totalCount } }`, {}, who)).tickets.totalCount;

function data(result: GraphQLResult, field: string) {
  expect(result.errors).toBeUndefined();
  return result.data![field];
}

beforeAll(async () => {
  t = await TestApp.start('tickets');
  admin = await t.signUp();
  support = await t.member(admin, 'SUPPORT');
  accountId = await createAccount('Acme GmbH');
  contactId = await createContact('Lovelace');
});
afterAll(() => t.stop());

describe('tickets: records', () => {
  test('create, read, update, delete and restore', async () => {
    const ticket = await createOk({
      subject: '  Printer on fire ',
      description: 'Smoke everywhere',
      priority: 'HIGH',
      category: 'PROBLEM',
      accountId,
      contactId,
      assigneeId: support.userId,
    });
    expect(ticket.id).toMatch(/^tkt_[0-9a-f]{32}$/);
    expect(ticket).toMatchObject({
      subject: 'Printer on fire',
      description: 'Smoke everywhere',
      status: 'NEW',
      priority: 'HIGH',
      category: 'PROBLEM',
      version: 1,
      deletedAt: null,
      firstResponseAt: null,
      resolvedAt: null,
      closedAt: null,
      account: { id: accountId },
      contact: { id: contactId },
      assignee: { id: support.userId },
    });

    const plain = await createOk({ subject: 'Just a question' });
    expect(plain).toMatchObject({ status: 'NEW', priority: 'NORMAL', category: 'QUESTION', account: null, contact: null, assignee: null });

    const both = await t.ok(`query($id: ID!) { ticket(id: $id) { subject } node(id: $id) { id ... on Ticket { subject status } } }`, { id: ticket.id }, admin);
    expect(both).toEqual({ ticket: { subject: 'Printer on fire' }, node: { id: ticket.id, subject: 'Printer on fire', status: 'NEW' } });

    const updated = await t.gql(
      `mutation($id: ID!, $input: TicketInput!) { updateTicket(id: $id, input: $input, expectedVersion: 1) { ${FIELDS} } }`,
      { id: ticket.id, input: { subject: 'Printer smoking', accountId: null, priority: 'URGENT' } },
      admin,
    );
    expect(data(updated, 'updateTicket')).toMatchObject({
      subject: 'Printer smoking',
      priority: 'URGENT',
      category: 'PROBLEM',
      description: 'Smoke everywhere',
      account: null,
      contact: { id: contactId },
      assignee: { id: support.userId },
      status: 'NEW',
      version: 2,
    });

    const stale = await t.gql(`mutation($id: ID!) { updateTicket(id: $id, input: { subject: "Lost" }, expectedVersion: 1) { id } }`, { id: ticket.id }, admin);
    expect(errorCode(stale)).toBe('CONFLICT');
    expect(stale.errors![0].extensions!.currentVersion).toBe(2);
    expect((await read(ticket.id)).subject).toBe('Printer smoking');

    const deleted = data(await verb('deleteTicket', ticket.id), 'deleteTicket');
    expect(deleted.deletedAt).not.toBeNull();
    const listed = await t.ok(`{ live: tickets(search: "printer") { totalCount } all: tickets(search: "printer", withDeleted: true) { totalCount } }`, {}, admin);
    expect(listed).toEqual({ live: { totalCount: 0 }, all: { totalCount: 1 } });
    expect((await read(ticket.id)).deletedAt).not.toBeNull();
    expect(errorCode(await t.gql(`mutation($id: ID!) { updateTicket(id: $id, input: { subject: "x" }) { id } }`, { id: ticket.id }, admin))).toBe('NOT_FOUND');
    expect(errorCode(await changeStatus(ticket.id, 'OPEN'))).toBe('NOT_FOUND');

    const restored = data(await verb('restoreTicket', ticket.id), 'restoreTicket');
    expect(restored).toMatchObject({ deletedAt: null, version: 4, subject: 'Printer smoking' });
  });

  test('another workspace cannot see or change a ticket', async () => {
    const ticket = await createOk({ subject: 'Private matter' });
    const stranger = await t.signUp('Other AG');
    const seen = await t.gql(`query($id: ID!) { ticket(id: $id) { id } node(id: $id) { id } }`, { id: ticket.id }, stranger);
    expect(errorCode(seen)).toBe('NOT_FOUND');
    expect(errorCode(await changeStatus(ticket.id, 'OPEN', stranger))).toBe('NOT_FOUND');
    expect(await read(ticket.id)).toMatchObject({ status: 'NEW', version: 1 });
  });

  test('a complaint is a ticket of category COMPLAINT', async () => {
    const complaint = await createOk({ subject: 'Rude driver', category: 'COMPLAINT', priority: 'HIGH', contactId });
    expect(complaint).toMatchObject({ category: 'COMPLAINT', status: 'NEW', contact: { id: contactId } });
    const question = await createOk({ subject: 'Is this a complaint?' });
    const turned = await t.ok(`mutation($id: ID!) { updateTicket(id: $id, input: { category: COMPLAINT }) { category version } }`, { id: question.id }, admin);
    expect(turned.updateTicket).toEqual({ category: 'COMPLAINT', version: 2 });
    const complaints = await t.ok(`{ tickets(filter: { category: { eq: COMPLAINT } }) { edges { node { id } } } }`, {}, admin);
    expect(complaints.tickets.edges.map((e: { node: { id: string } }) => e.node.id).sort()).toEqual([complaint.id, question.id].sort());
  });

  test('roles: SUPPORT works tickets but cannot delete them, SALES cannot write them', async () => {
    const sales = await t.member(admin, 'SALES');
    expect(errorCode(await create({ subject: 'From sales' }, sales))).toBe('FORBIDDEN');
    const ticket = await createOk({ subject: 'From support' }, support);
    expect(data(await changeStatus(ticket.id, 'OPEN', support), 'changeTicketStatus').status).toBe('OPEN');
    expect(errorCode(await changeStatus(ticket.id, 'PENDING', sales))).toBe('FORBIDDEN');
    expect(errorCode(await verb('deleteTicket', ticket.id, support))).toBe('FORBIDDEN');
    expect(await read(ticket.id, sales)).toMatchObject({ status: 'OPEN', deletedAt: null });
  });
});

describe('tickets: lifecycle', () => {
  test('NEW → OPEN → PENDING → OPEN → RESOLVED → CLOSED → reopened, with its timestamps', async () => {
    const ticket = await createOk({ subject: 'Lifecycle' });

    const opened = data(await changeStatus(ticket.id, 'OPEN', admin, 1), 'changeTicketStatus');
    expect(opened).toMatchObject({ status: 'OPEN', version: 2, resolvedAt: null, closedAt: null });
    expect(opened.firstResponseAt).not.toBeNull();
    const firstResponseAt = opened.firstResponseAt;

    const pending = data(await changeStatus(ticket.id, 'PENDING'), 'changeTicketStatus');
    expect(pending).toMatchObject({ status: 'PENDING', version: 3, firstResponseAt });
    const reopenedByCustomer = data(await changeStatus(ticket.id, 'OPEN'), 'changeTicketStatus');
    expect(reopenedByCustomer).toMatchObject({ status: 'OPEN', version: 4, firstResponseAt });

    const resolved = data(await verb('resolveTicket', ticket.id), 'resolveTicket');
    expect(resolved).toMatchObject({ status: 'RESOLVED', version: 5, firstResponseAt, closedAt: null });
    expect(resolved.resolvedAt).not.toBeNull();

    const closed = data(await changeStatus(ticket.id, 'CLOSED'), 'changeTicketStatus');
    expect(closed).toMatchObject({ status: 'CLOSED', version: 6, firstResponseAt, resolvedAt: resolved.resolvedAt });
    expect(closed.closedAt).not.toBeNull();

    const reopened = data(await verb('reopenTicket', ticket.id), 'reopenTicket');
    expect(reopened).toMatchObject({ status: 'OPEN', version: 7, firstResponseAt, resolvedAt: null, closedAt: null });

    const resolvedAgain = data(await verb('resolveTicket', ticket.id), 'resolveTicket');
    expect(Date.parse(resolvedAgain.resolvedAt)).toBeGreaterThan(Date.parse(resolved.resolvedAt));
    const reopenedFromResolved = data(await changeStatus(ticket.id, 'OPEN'), 'changeTicketStatus');
    expect(reopenedFromResolved).toMatchObject({ status: 'OPEN', version: 9, firstResponseAt, resolvedAt: null, closedAt: null });
  });

  test('a call logged on the ticket is its first response; later replies and leaving NEW keep it', async () => {
    const ticket = await createOk({ subject: 'Call me back' });
    const log = (type: string, occurredAt: string) =>
      t.ok(
        `mutation($input: CreateActivityInput!) { createActivity(input: $input) { id } }`,
        { input: { type, subject: `${type} about it`, ticketId: ticket.id, occurredAt } },
        admin,
      );
    await log('NOTE', '2030-01-01T08:00:00.000Z');
    expect(await read(ticket.id)).toMatchObject({ firstResponseAt: null, version: 1 });
    await log('CALL', '2030-01-02T09:30:00.000Z');
    expect(await read(ticket.id)).toMatchObject({ firstResponseAt: '2030-01-02T09:30:00.000Z', version: 2, status: 'NEW' });
    await log('EMAIL', '2030-01-03T10:00:00.000Z');
    expect(await read(ticket.id)).toMatchObject({ firstResponseAt: '2030-01-02T09:30:00.000Z', version: 2 });
    const opened = data(await changeStatus(ticket.id, 'OPEN'), 'changeTicketStatus');
    expect(opened).toMatchObject({ status: 'OPEN', firstResponseAt: '2030-01-02T09:30:00.000Z', version: 3 });
  });

  test('going from NEW to PENDING is the first response too', async () => {
    const ticket = await createOk({ subject: 'Need your invoice number' });
    const pending = data(await changeStatus(ticket.id, 'PENDING'), 'changeTicketStatus');
    expect(pending.status).toBe('PENDING');
    expect(Date.parse(pending.firstResponseAt)).toBeGreaterThanOrEqual(Date.parse(ticket.createdAt));
  });

  test('moves outside the lifecycle are refused on status, naming the allowed moves, and change nothing', async () => {
    const fresh = await createOk({ subject: 'Refusals' });
    const refusals: Array<[() => Promise<GraphQLResult>, string]> = [
      [() => changeStatus(fresh.id, 'CLOSED'), 'OPEN or PENDING'],
      [() => verb('resolveTicket', fresh.id), 'OPEN or PENDING'],
      [() => changeStatus(fresh.id, 'NEW'), 'OPEN or PENDING'],
      [() => verb('reopenTicket', fresh.id), 'only a RESOLVED or CLOSED ticket can be reopened'],
    ];
    for (const [attempt, allowed] of refusals) {
      const result = await attempt();
      expect(errorCode(result)).toBe('BAD_USER_INPUT');
      expect(errorFields(result)).toEqual(['status']);
      expect(result.errors![0].extensions!.fields![0].message).toContain(allowed);
    }
    expect(await read(fresh.id)).toMatchObject({ status: 'NEW', version: 1, firstResponseAt: null });

    await changeStatus(fresh.id, 'OPEN');
    const openToClosed = await changeStatus(fresh.id, 'CLOSED');
    expect(errorFields(openToClosed)).toEqual(['status']);
    expect(openToClosed.errors![0].extensions!.fields![0].message).toContain('PENDING or RESOLVED');
    expect(errorFields(await verb('reopenTicket', fresh.id))).toEqual(['status']);

    await verb('resolveTicket', fresh.id);
    await changeStatus(fresh.id, 'CLOSED');
    const before = await read(fresh.id);
    const closedToPending = await changeStatus(fresh.id, 'PENDING');
    expect(errorCode(closedToPending)).toBe('BAD_USER_INPUT');
    expect(errorFields(closedToPending)).toEqual(['status']);
    expect(closedToPending.errors![0].extensions!.fields![0].message).toMatch(/from CLOSED a ticket may go to OPEN$/);
    expect(errorFields(await verb('resolveTicket', fresh.id))).toEqual(['status']);
    expect(await read(fresh.id)).toEqual(before);
  });

  test('a stale expectedVersion on a status change is a CONFLICT and changes nothing', async () => {
    const ticket = await createOk({ subject: 'Versioned status' });
    await t.ok(`mutation($id: ID!) { updateTicket(id: $id, input: { priority: LOW }) { id } }`, { id: ticket.id }, admin);
    const stale = await changeStatus(ticket.id, 'OPEN', admin, 1);
    expect(errorCode(stale)).toBe('CONFLICT');
    expect(stale.errors![0].extensions!.currentVersion).toBe(2);
    expect(await read(ticket.id)).toMatchObject({ status: 'NEW', version: 2, firstResponseAt: null });
  });
});

describe('tickets: assignment', () => {
  const assign = (id: string, assigneeId: string | null | undefined, expectedVersion?: number) =>
    t.gql(
      `mutation($id: ID!, $assigneeId: ID, $v: Int) { assignTicket(id: $id, assigneeId: $assigneeId, expectedVersion: $v) { ${FIELDS} } }`,
      assigneeId === undefined ? { id, v: expectedVersion } : { id, assigneeId, v: expectedVersion },
      admin,
    );

  test('assign, reassign and unassign, each raising the version', async () => {
    const ticket = await createOk({ subject: 'Who takes it?' });
    expect(data(await assign(ticket.id, support.userId, 1), 'assignTicket')).toMatchObject({ assignee: { id: support.userId }, version: 2, status: 'NEW' });
    expect(data(await assign(ticket.id, admin.userId), 'assignTicket')).toMatchObject({ assignee: { id: admin.userId }, version: 3 });
    expect(data(await assign(ticket.id, null), 'assignTicket')).toMatchObject({ assignee: null, version: 4 });
    const stale = await assign(ticket.id, support.userId, 2);
    expect(errorCode(stale)).toBe('CONFLICT');
    expect(await read(ticket.id)).toMatchObject({ assignee: null, version: 4 });
  });

  test('a non-member, an id of another type or a missing assigneeId is refused on assigneeId', async () => {
    const ticket = await createOk({ subject: 'Assign me properly', assigneeId: support.userId });
    const stranger = await t.signUp('Elsewhere Ltd');
    for (const assigneeId of [stranger.userId, accountId, undefined]) {
      const result = await assign(ticket.id, assigneeId);
      expect({ assigneeId, code: errorCode(result) }).toEqual({ assigneeId, code: 'BAD_USER_INPUT' });
      expect(errorFields(result)).toEqual(['assigneeId']);
    }
    expect(await read(ticket.id)).toMatchObject({ assignee: { id: support.userId }, version: 1 });
    const created = await create({ subject: 'Foreign assignee', assigneeId: stranger.userId });
    expect(errorFields(created)).toEqual(['assigneeId']);
  });
});

describe('tickets: bad input', () => {
  test('is BAD_USER_INPUT naming the field, and writes nothing', async () => {
    const trashedAccount = await createAccount('Gone GmbH');
    await t.ok(`mutation($id: ID!) { deleteAccount(id: $id) { id } }`, { id: trashedAccount }, admin);
    const before = await countAll();
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ subject: '' }, 'subject'],
      [{ subject: '   ' }, 'subject'],
      [{ subject: 'x'.repeat(301) }, 'subject'],
      [{ subject: 'A', description: 'x'.repeat(20001) }, 'description'],
      [{ subject: 'A', priority: 'SEVERE' }, 'priority'],
      [{ subject: 'A', priority: null }, 'priority'],
      [{ subject: 'A', category: 'RANT' }, 'category'],
      [{ subject: 'A', contactId: accountId }, 'contactId'],
      [{ subject: 'A', contactId: `con_${'0'.repeat(32)}` }, 'contactId'],
      [{ subject: 'A', accountId: contactId }, 'accountId'],
      [{ subject: 'A', accountId: trashedAccount }, 'accountId'],
      [{ subject: 'A', assigneeId: contactId }, 'assigneeId'],
      [{ subject: 'A', status: 'OPEN' }, 'status'],
    ];
    for (const [input, field] of cases) {
      const result = await create(input);
      expect({ input, code: errorCode(result) }).toEqual({ input, code: 'BAD_USER_INPUT' });
      expect({ input, fields: [...new Set(errorFields(result))] }).toEqual({ input, fields: [field] });
    }
    const literal = await t.gql(`mutation { createTicket(input: { subject: "A", priority: SEVERE }) { id } }`, {}, admin);
    expect(errorCode(literal)).toBe('BAD_USER_INPUT');
    expect(errorFields(literal)).toEqual(['priority']);
    expect(await countAll()).toBe(before);
  });

  test('on update too, and the ticket stays as it was', async () => {
    const ticket = await createOk({ subject: 'Keep me', priority: 'HIGH', contactId });
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ subject: null }, 'subject'],
      [{ subject: ' ' }, 'subject'],
      [{ priority: null }, 'priority'],
      [{ category: null }, 'category'],
      [{ contactId: accountId }, 'contactId'],
      [{ subject: 'Changed', accountId: `acc_${'0'.repeat(32)}` }, 'accountId'],
      [{ assigneeId: support.userId }, 'assigneeId'],
    ];
    for (const [input, field] of cases) {
      const result = await t.gql(`mutation($id: ID!, $input: TicketInput!) { updateTicket(id: $id, input: $input) { id } }`, { id: ticket.id, input }, admin);
      expect({ input, code: errorCode(result) }).toEqual({ input, code: 'BAD_USER_INPUT' });
      expect({ input, fields: [...new Set(errorFields(result))] }).toEqual({ input, fields: [field] });
    }
    expect(await read(ticket.id)).toEqual(ticket);
    const wrongId = await changeStatus(accountId, 'OPEN');
    expect(errorFields(wrongId)).toEqual(['id']);
  });
});

describe('tickets: lists', () => {
  let fa: Session;
  let agent: Session;
  let accountA: string;
  let accountB: string;
  let contactC: string;
  const T: Record<string, any> = {};

  /** Subjects of the tickets `tickets(...)` returns for these arguments (absent variables are absent arguments). */
  const subjects = async (args: { f?: unknown; o?: unknown; last?: number; s?: string }): Promise<string[]> => {
    const result = await t.ok(
      `query($f: TicketFilter, $o: [TicketOrder!], $last: Int, $s: String) { tickets(filter: $f, orderBy: $o, last: $last, search: $s) { edges { node { subject } } } }`,
      args,
      fa,
    );
    return result.tickets.edges.map((e: { node: { subject: string } }) => e.node.subject);
  };
  const matching = async (filter: Record<string, unknown>) => (await subjects({ f: filter })).sort();
  const names = (...keys: string[]) => keys.map((k) => T[k].subject).sort();

  beforeAll(async () => {
    fa = await t.signUp('Filters KG');
    agent = await t.member(fa, 'SUPPORT');
    accountA = await createAccount('A Corp', fa);
    accountB = await createAccount('B Corp', fa);
    await createAccount('C Corp', fa);
    contactC = await createContact('Curie', fa);
    const specs: Array<[string, Record<string, unknown>]> = [
      ['t1', { subject: 'Printer jams', priority: 'HIGH', category: 'PROBLEM', accountId: accountA, contactId: contactC, assigneeId: agent.userId }],
      ['t2', { subject: 'Invoice wrong', priority: 'URGENT', category: 'COMPLAINT', accountId: accountA, assigneeId: fa.userId }],
      ['t3', { subject: 'Password reset', priority: 'LOW', category: 'QUESTION', accountId: accountB, contactId: contactC }],
      ['t4', { subject: 'Delivery late', category: 'COMPLAINT', assigneeId: agent.userId }],
      ['t5', { subject: 'Printer toner', category: 'REQUEST', accountId: accountB }],
    ];
    for (const [key, input] of specs) T[key] = await createOk(input, fa);
    T.t1 = data(await changeStatus(T.t1.id, 'OPEN', fa), 'changeTicketStatus');
    T.t2 = data(await changeStatus(T.t2.id, 'OPEN', fa), 'changeTicketStatus');
    T.t4 = data(await changeStatus(T.t4.id, 'PENDING', fa), 'changeTicketStatus');
    T.t1 = data(await verb('resolveTicket', T.t1.id, fa), 'resolveTicket');
  });

  test('filters on every field', async () => {
    const cases: Array<[Record<string, unknown>, string[]]> = [
      [{ subject: { startsWith: 'PRINTER' } }, ['t1', 't5']],
      [{ subject: { contains: 'LATE' } }, ['t4']],
      [{ subject: { eq: 'Password reset' } }, ['t3']],
      [{ status: { eq: 'NEW' } }, ['t3', 't5']],
      [{ status: { ne: 'NEW' } }, ['t1', 't2', 't4']],
      [{ status: { in: ['OPEN', 'PENDING'] } }, ['t2', 't4']],
      [{ status: { notIn: ['NEW', 'RESOLVED'] } }, ['t2', 't4']],
      [{ priority: { eq: 'URGENT' } }, ['t2']],
      [{ priority: { in: ['HIGH', 'URGENT'] } }, ['t1', 't2']],
      [{ priority: { eq: 'NORMAL' } }, ['t4', 't5']],
      [{ category: { eq: 'COMPLAINT' } }, ['t2', 't4']],
      [{ category: { ne: 'COMPLAINT' } }, ['t1', 't3', 't5']],
      [{ accountId: { eq: accountA } }, ['t1', 't2']],
      [{ accountId: { in: [accountA, accountB] } }, ['t1', 't2', 't3', 't5']],
      [{ accountId: { notIn: [accountA] } }, ['t3', 't4', 't5']],
      [{ accountId: { isNull: true } }, ['t4']],
      [{ contactId: { eq: contactC } }, ['t1', 't3']],
      [{ contactId: { isNull: true } }, ['t2', 't4', 't5']],
      [{ assigneeId: { eq: agent.userId } }, ['t1', 't4']],
      [{ assigneeId: { ne: agent.userId } }, ['t2', 't3', 't5']],
      [{ assigneeId: { isNull: true } }, ['t3', 't5']],
      [{ firstResponseAt: { isNull: false } }, ['t1', 't2', 't4']],
      [{ firstResponseAt: { gte: T.t2.firstResponseAt } }, ['t2', 't4']],
      [{ firstResponseAt: { lt: T.t2.firstResponseAt } }, ['t1']],
      [{ resolvedAt: { isNull: false } }, ['t1']],
      [{ resolvedAt: { gte: T.t1.resolvedAt } }, ['t1']],
      [{ resolvedAt: { lt: T.t1.resolvedAt } }, []],
      [{ createdAt: { gte: T.t3.createdAt } }, ['t3', 't4', 't5']],
      [{ createdAt: { lt: T.t3.createdAt } }, ['t1', 't2']],
      [{ updatedAt: { gte: T.t1.updatedAt } }, ['t1']],
      [{ updatedAt: { lt: T.t2.updatedAt } }, ['t3', 't5']],
    ];
    for (const [filter, keys] of cases) {
      expect({ filter, found: await matching(filter) }).toEqual({ filter, found: names(...keys) });
    }
  });

  test('filters combine with and, or and not', async () => {
    const cases: Array<[Record<string, unknown>, string[]]> = [
      [{ and: [{ category: { eq: 'COMPLAINT' } }, { status: { eq: 'OPEN' } }] }, ['t2']],
      [{ or: [{ priority: { eq: 'URGENT' } }, { assigneeId: { isNull: true } }] }, ['t2', 't3', 't5']],
      [{ not: { accountId: { isNull: true } } }, ['t1', 't2', 't3', 't5']],
      [{ not: { or: [{ status: { eq: 'NEW' } }, { category: { eq: 'COMPLAINT' } }] } }, ['t1']],
      [{ subject: { startsWith: 'printer' }, not: { status: { eq: 'NEW' } } }, ['t1']],
      [{ or: [{ and: [{ accountId: { eq: accountB } }, { contactId: { isNull: false } }] }, { status: { eq: 'PENDING' } }] }, ['t3', 't4']],
    ];
    for (const [filter, keys] of cases) {
      expect({ filter, found: await matching(filter) }).toEqual({ filter, found: names(...keys) });
    }
    const wrongType = await t.gql(`{ tickets(filter: { accountId: { eq: "${contactC}" } }) { totalCount } }`, {}, fa);
    expect(errorCode(wrongType)).toBe('BAD_USER_INPUT');
    expect(errorFields(wrongType)).toEqual(['filter.accountId.eq']);
  });

  test('orders by creation and last change in both directions, newest first by default', async () => {
    const byCreation = ['t1', 't2', 't3', 't4', 't5'].map((k) => T[k].subject);
    const byChange = ['t3', 't5', 't2', 't4', 't1'].map((k) => T[k].subject);
    expect(await subjects({})).toEqual([...byCreation].reverse());
    expect(await subjects({ o: [{ field: 'CREATED_AT', direction: 'ASC' }] })).toEqual(byCreation);
    expect(await subjects({ o: [{ field: 'CREATED_AT', direction: 'DESC' }] })).toEqual([...byCreation].reverse());
    expect(await subjects({ o: [{ field: 'UPDATED_AT', direction: 'ASC' }] })).toEqual(byChange);
    expect(await subjects({ o: [{ field: 'UPDATED_AT', direction: 'DESC' }] })).toEqual([...byChange].reverse());
    expect(await subjects({ o: [{ field: 'UPDATED_AT', direction: 'ASC' }], last: 2 })).toEqual(byChange.slice(3));
  });

  test('orders by urgency, paging through ties', async () => {
    const urgentFirst = await subjects({ o: [{ field: 'PRIORITY', direction: 'DESC' }] });
    expect(urgentFirst[0]).toBe(T.t2.subject);
    expect(urgentFirst[1]).toBe(T.t1.subject);
    expect(urgentFirst.slice(2, 4).sort()).toEqual(names('t4', 't5'));
    expect(urgentFirst[4]).toBe(T.t3.subject);
    expect(await subjects({ o: [{ field: 'PRIORITY', direction: 'ASC' }] })).toEqual([...urgentFirst].reverse());
    expect(await subjects({ o: [{ field: 'PRIORITY', direction: 'DESC' }], last: 3 })).toEqual(urgentFirst.slice(2));
  });

  test('pages through a list without skipping or repeating', async () => {
    for (const direction of ['ASC', 'DESC']) {
      const seen: string[] = [];
      let after: string | null = null;
      for (let page = 0; page < 5; page++) {
        const result: Record<string, any> = await t.ok(
          `query($o: [TicketOrder!], $after: String) { tickets(first: 2, after: $after, orderBy: $o) { edges { node { subject } } pageInfo { hasNextPage endCursor } } }`,
          { o: [{ field: 'CREATED_AT', direction }], after },
          fa,
        );
        seen.push(...result.tickets.edges.map((e: { node: { subject: string } }) => e.node.subject));
        if (!result.tickets.pageInfo.hasNextPage) break;
        after = result.tickets.pageInfo.endCursor;
      }
      const expected = ['t1', 't2', 't3', 't4', 't5'].map((k) => T[k].subject);
      expect(seen).toEqual(direction === 'ASC' ? expected : expected.reverse());
    }
  });

  test('search matches a case-insensitive prefix of the subject', async () => {
    expect((await subjects({ s: 'PRINTER t' })).sort()).toEqual(names('t5'));
    expect((await subjects({ s: 'printer' })).sort()).toEqual(names('t1', 't5'));
    expect(await subjects({ s: 'jams' })).toEqual([]);
  });

  test('Account.tickets pages each account’s tickets with the list arguments, in one batch', async () => {
    const query = `query($first: Int) { accounts(first: $first, orderBy: [{ field: NAME, direction: ASC }]) { edges { node { name
      tickets(first: 1, orderBy: [{ field: CREATED_AT, direction: ASC }]) { totalCount pageInfo { hasNextPage } edges { node { subject account { id } } } }
      newOnes: tickets(filter: { status: { eq: NEW } }, search: "pass") { totalCount }
    } } } }`;
    const before = t.statements;
    const one = await t.ok(query, { first: 1 }, fa);
    const statementsForOne = t.statements - before;
    const start = t.statements;
    const all = await t.ok(query, { first: 3 }, fa);
    const statementsForThree = t.statements - start;

    expect(one.accounts.edges.map((e: any) => e.node.name)).toEqual(['A Corp']);
    expect(all.accounts.edges.map((e: any) => e.node)).toEqual([
      { name: 'A Corp', tickets: { totalCount: 2, pageInfo: { hasNextPage: true }, edges: [{ node: { subject: T.t1.subject, account: { id: accountA } } }] }, newOnes: { totalCount: 0 } },
      { name: 'B Corp', tickets: { totalCount: 2, pageInfo: { hasNextPage: true }, edges: [{ node: { subject: T.t3.subject, account: { id: accountB } } }] }, newOnes: { totalCount: 1 } },
      { name: 'C Corp', tickets: { totalCount: 0, pageInfo: { hasNextPage: false }, edges: [] }, newOnes: { totalCount: 0 } },
    ]);
    expect(statementsForThree).toBe(statementsForOne);
  });

  test('Ticket.account, contact and assignee resolve in batches', async () => {
    const query = `query($first: Int) { tickets(first: $first, orderBy: [{ field: CREATED_AT, direction: ASC }]) { edges { node { account { name } contact { name } assignee { id } } } } }`;
    const before = t.statements;
    await t.ok(query, { first: 1 }, fa);
    const forOne = t.statements - before;
    const start = t.statements;
    const all = await t.ok(query, { first: 5 }, fa);
    expect(t.statements - start).toBe(forOne);
    const nodes = all.tickets.edges.map((e: any) => e.node);
    expect(nodes).toContainEqual({ account: { name: 'A Corp' }, contact: { name: 'Curie' }, assignee: { id: agent.userId } });
    expect(nodes).toContainEqual({ account: null, contact: null, assignee: { id: agent.userId } });
  });
});
