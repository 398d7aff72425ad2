import { randomBytes } from 'node:crypto';
import { ID_PREFIXES, type NodeType } from '../src/kernel/ids';
import { TestApp, type GraphQLResult, type Session } from './support/test-app';

/**
 * The API wall: a member of workspace A, holding every permission and B's ids, can neither read,
 * change, count, reference nor detect B's records. A foreign id answers exactly like a missing one.
 */

const PASSWORD = 'correct horse battery';

/** One record of every kind; `trashed*` ones are in the trash, for the restore verbs. */
interface Ids {
  account: string;
  contact: string;
  pipeline: string;
  stage: string;
  deal: string;
  ticket: string;
  task: string;
  member: string;
  user: string;
  trashedAccount: string;
  trashedContact: string;
  trashedDeal: string;
  trashedTicket: string;
  trashedActivity: string;
  trashedPipeline: string;
}

const TYPE_OF: Record<keyof Ids, NodeType> = {
  account: 'Account',
  contact: 'Contact',
  pipeline: 'Pipeline',
  stage: 'Stage',
  deal: 'Deal',
  ticket: 'Ticket',
  task: 'Activity',
  member: 'Member',
  user: 'User',
  trashedAccount: 'Account',
  trashedContact: 'Contact',
  trashedDeal: 'Deal',
  trashedTicket: 'Ticket',
  trashedActivity: 'Activity',
  trashedPipeline: 'Pipeline',
};

let t: TestApp;
let a: Session;
let b: Session;
let own: Ids;
let foreign: Ids;
let missing: Ids;
let mailbox = 0;

const randomId = (type: NodeType) => `${ID_PREFIXES[type]}_${randomBytes(16).toString('hex')}`;

async function create(who: Session, mutation: string, input: Record<string, unknown>): Promise<string> {
  const data = await t.ok(`mutation($input: ${mutation[0].toUpperCase()}${mutation.slice(1)}Input!) { ${mutation}(input: $input) { id } }`, { input }, who);
  return data[mutation].id;
}

async function trash(who: Session, type: string, id: string): Promise<string> {
  await t.ok(`mutation($id: ID!) { delete${type}(id: $id) { id } }`, { id }, who);
  return id;
}

const STAGES = [
  { name: 'Talk', probability: 20, kind: 'OPEN' },
  { name: 'Offer', probability: 60, kind: 'OPEN' },
  { name: 'Won', probability: 100, kind: 'WON' },
  { name: 'Lost', probability: 0, kind: 'LOST' },
];

/** Fills a workspace with one record of every kind, named after `label` so searches can look for them. */
async function populate(who: Session, label: string): Promise<Ids> {
  const email = `${label.toLowerCase()}${++mailbox}.${Date.now()}@example.com`;
  const member = (await t.ok(`mutation($input: AddMemberInput!) { addMember(input: $input) { id user { id } } }`, { input: { email, role: 'SALES', name: `${label} Seller`, password: PASSWORD } }, who)).addMember;
  const account = await create(who, 'createAccount', { name: `${label} Industries`, domain: `${label.toLowerCase()}.example`, ownerId: member.user.id });
  const contact = await create(who, 'createContact', { lastName: `${label}son`, email: `buyer@${label.toLowerCase()}.example`, accountId: account });
  const pipeline = (await t.ok(`mutation($input: CreatePipelineInput!) { createPipeline(input: $input) { id stages { id } } }`, { input: { name: `${label} Pipeline`, stages: STAGES } }, who)).createPipeline;
  const deal = await create(who, 'createDeal', { name: `${label} Deal`, accountId: account, primaryContactId: contact, pipelineId: pipeline.id, contacts: [{ contactId: contact, role: 'CHAMPION' }] });
  const ticket = await create(who, 'createTicket', { subject: `${label} Ticket`, accountId: account, contactId: contact });
  const task = await create(who, 'createActivity', { type: 'TASK', subject: `${label} Task`, dealId: deal, dueAt: '2030-01-01T09:00:00Z' });
  const spare = (await t.ok(`mutation($input: CreatePipelineInput!) { createPipeline(input: $input) { id } }`, { input: { name: `${label} Spare`, stages: STAGES } }, who)).createPipeline.id;
  return {
    account,
    contact,
    pipeline: pipeline.id,
    stage: pipeline.stages[1].id,
    deal,
    ticket,
    task,
    member: member.id,
    user: member.user.id,
    trashedAccount: await trash(who, 'Account', await create(who, 'createAccount', { name: `${label} Gone` })),
    trashedContact: await trash(who, 'Contact', await create(who, 'createContact', { lastName: `${label} Gone` })),
    trashedDeal: await trash(who, 'Deal', await create(who, 'createDeal', { name: `${label} Gone` })),
    trashedTicket: await trash(who, 'Ticket', await create(who, 'createTicket', { subject: `${label} Gone` })),
    trashedActivity: await trash(who, 'Activity', await create(who, 'createActivity', { type: 'NOTE', subject: `${label} Gone`, accountId: account })),
    trashedPipeline: await trash(who, 'Pipeline', spare),
  };
}

/** Everything about a workspace's records a foreign write could change, as its own admin sees it. */
const SNAPSHOT = `{
  accounts(withDeleted: true, first: 200) { edges { node { id version name domain deletedAt owner { id } } } }
  contacts(withDeleted: true, first: 200) { edges { node { id version lastName deletedAt account { id } } } }
  deals(withDeleted: true, first: 200) { edges { node { id version name status deletedAt stage { id } account { id } contacts { contact { id } role } } } }
  tickets(withDeleted: true, first: 200) { edges { node { id version status deletedAt assignee { id } } } }
  activities(withDeleted: true, first: 200) { edges { node { id version done deletedAt } } }
  pipelines(withDeleted: true, first: 200) { edges { node { id version name deletedAt stages { id name position version } } } }
  members(first: 200) { edges { node { id version role deletedAt } } }
}`;

beforeAll(async () => {
  t = await TestApp.start('tenancy_api');
  a = await t.signUp('Alpha');
  b = await t.signUp('Bravo');
  own = await populate(a, 'Alpha');
  foreign = await populate(b, 'Bravo');
  missing = Object.fromEntries(Object.entries(TYPE_OF).map(([key, type]) => [key, randomId(type)])) as unknown as Ids;
});
afterAll(() => t.stop());

/** What a client can tell from an answer: the error's code, message and fields, and the data. */
function answer(result: GraphQLResult) {
  const error = result.errors?.[0];
  return { code: error?.extensions?.code ?? null, message: error?.message ?? null, fields: error?.extensions?.fields ?? null, data: result.data ?? null };
}

interface Probe {
  name: string;
  query: string;
  variables: (ids: Ids) => Record<string, unknown>;
}

/** Runs a probe with B's ids and with missing ids; both answers must be identical, and are returned. */
async function compare(probe: Probe) {
  const withForeign = answer(await t.gql(probe.query, probe.variables(foreign), a));
  const withMissing = answer(await t.gql(probe.query, probe.variables(missing), a));
  expect({ probe: probe.name, answer: withForeign }).toEqual({ probe: probe.name, answer: withMissing });
  return withForeign;
}

const byId = (type: string, query: string, key: keyof Ids): Probe => ({ name: `${query}(${type})`, query: `query($id: ID!) { ${query}(id: $id) { id } }`, variables: (ids) => ({ id: ids[key] }) });

const SINGLE_LOOKUPS: Probe[] = [
  byId('Account', 'account', 'account'),
  byId('Contact', 'contact', 'contact'),
  byId('Pipeline', 'pipeline', 'pipeline'),
  byId('Stage', 'stage', 'stage'),
  byId('Deal', 'deal', 'deal'),
  byId('Ticket', 'ticket', 'ticket'),
  byId('Activity', 'activity', 'task'),
  byId('trashed Account', 'account', 'trashedAccount'),
];

const mutation = (name: string, args: string, variables: Probe['variables'], signature = '$id: ID!'): Probe => ({
  name,
  query: `mutation(${signature}) { ${name}(${args}) { id } }`,
  variables,
});
const onId = (name: string, key: keyof Ids, args = 'id: $id') => mutation(name, args, (ids) => ({ id: ids[key] }));

/** Every verb aimed at one of B's records: NOT_FOUND, like a missing one. */
const FOREIGN_TARGETS: Probe[] = [
  onId('updateAccount', 'account', 'id: $id, input: { name: "Hijacked" }'),
  onId('updateAccount', 'account', 'id: $id, input: { name: "Hijacked" }, expectedVersion: 1'),
  onId('deleteAccount', 'account'),
  onId('restoreAccount', 'trashedAccount'),
  onId('updateContact', 'contact', 'id: $id, input: { lastName: "Hijacked" }'),
  onId('deleteContact', 'contact'),
  onId('restoreContact', 'trashedContact'),
  onId('updatePipeline', 'pipeline', 'id: $id, input: { name: "Hijacked" }'),
  onId('deletePipeline', 'pipeline'),
  onId('restorePipeline', 'trashedPipeline'),
  mutation('addStage', 'pipelineId: $id, input: { name: "Sneaky", probability: 10, kind: OPEN }', (ids) => ({ id: ids.pipeline })),
  mutation('reorderStages', 'pipelineId: $id, stageIds: [$stage]', (ids) => ({ id: ids.pipeline, stage: ids.stage }), '$id: ID!, $stage: ID!'),
  onId('updateStage', 'stage', 'id: $id, input: { name: "Hijacked" }'),
  onId('deleteStage', 'stage'),
  onId('updateDeal', 'deal', 'id: $id, input: { name: "Hijacked" }'),
  onId('deleteDeal', 'deal'),
  onId('restoreDeal', 'trashedDeal'),
  mutation('moveDeal', 'id: $id, stageId: $stage', (ids) => ({ id: ids.deal, stage: ids.stage }), '$id: ID!, $stage: ID!'),
  onId('winDeal', 'deal'),
  onId('loseDeal', 'deal', 'id: $id, reason: "Sabotage"'),
  mutation('addDealContact', 'dealId: $id, contactId: $contact', (ids) => ({ id: ids.deal, contact: own.contact }), '$id: ID!, $contact: ID!'),
  mutation('removeDealContact', 'dealId: $id, contactId: $contact', (ids) => ({ id: ids.deal, contact: ids.contact }), '$id: ID!, $contact: ID!'),
  onId('updateTicket', 'ticket', 'id: $id, input: { subject: "Hijacked" }'),
  onId('deleteTicket', 'ticket'),
  onId('restoreTicket', 'trashedTicket'),
  mutation('assignTicket', 'id: $id, assigneeId: $user', (ids) => ({ id: ids.ticket, user: a.userId }), '$id: ID!, $user: ID'),
  onId('changeTicketStatus', 'ticket', 'id: $id, status: OPEN'),
  onId('resolveTicket', 'ticket'),
  onId('reopenTicket', 'ticket'),
  onId('updateActivity', 'task', 'id: $id, input: { subject: "Hijacked" }'),
  onId('deleteActivity', 'task'),
  onId('restoreActivity', 'trashedActivity'),
  onId('completeTask', 'task'),
  onId('reopenTask', 'task'),
  onId('changeMemberRole', 'member', 'id: $id, role: ADMIN'),
  onId('removeMember', 'member'),
];

/** A's own writes naming one of B's records as a reference: BAD_USER_INPUT on that field, like a missing id. */
const refIn = (name: string, inputType: string, field: string, input: (ids: Ids) => Record<string, unknown>): Probe & { field: string } => ({
  name: `${name}.${field}`,
  field,
  query: `mutation($input: ${inputType}!) { ${name}(input: $input) { id } }`,
  variables: (ids) => ({ input: input(ids) }),
});
const refInUpdate = (name: string, inputType: string, field: string, target: () => string, input: (ids: Ids) => Record<string, unknown>): Probe & { field: string } => ({
  name: `${name}.${field}`,
  field,
  query: `mutation($id: ID!, $input: ${inputType}!) { ${name}(id: $id, input: $input) { id } }`,
  variables: (ids) => ({ id: target(), input: input(ids) }),
});

const FOREIGN_REFERENCES: Array<Probe & { field: string }> = [
  refIn('createAccount', 'CreateAccountInput', 'ownerId', (ids) => ({ name: 'X', ownerId: ids.user })),
  refIn('createContact', 'CreateContactInput', 'accountId', (ids) => ({ lastName: 'X', accountId: ids.account })),
  refIn('createContact', 'CreateContactInput', 'ownerId', (ids) => ({ lastName: 'X', ownerId: ids.user })),
  refIn('createDeal', 'CreateDealInput', 'accountId', (ids) => ({ name: 'X', accountId: ids.account })),
  refIn('createDeal', 'CreateDealInput', 'primaryContactId', (ids) => ({ name: 'X', primaryContactId: ids.contact })),
  refIn('createDeal', 'CreateDealInput', 'ownerId', (ids) => ({ name: 'X', ownerId: ids.user })),
  refIn('createDeal', 'CreateDealInput', 'pipelineId', (ids) => ({ name: 'X', pipelineId: ids.pipeline })),
  refIn('createDeal', 'CreateDealInput', 'stageId', (ids) => ({ name: 'X', stageId: ids.stage })),
  refIn('createDeal', 'CreateDealInput', 'contacts.1.contactId', (ids) => ({ name: 'X', contacts: [{ contactId: own.contact }, { contactId: ids.contact }] })),
  refIn('createTicket', 'CreateTicketInput', 'accountId', (ids) => ({ subject: 'X', accountId: ids.account })),
  refIn('createTicket', 'CreateTicketInput', 'contactId', (ids) => ({ subject: 'X', contactId: ids.contact })),
  refIn('createTicket', 'CreateTicketInput', 'assigneeId', (ids) => ({ subject: 'X', assigneeId: ids.user })),
  refIn('createActivity', 'CreateActivityInput', 'accountId', (ids) => ({ type: 'NOTE', subject: 'X', accountId: ids.account })),
  refIn('createActivity', 'CreateActivityInput', 'contactId', (ids) => ({ type: 'NOTE', subject: 'X', contactId: ids.contact })),
  refIn('createActivity', 'CreateActivityInput', 'dealId', (ids) => ({ type: 'NOTE', subject: 'X', dealId: ids.deal })),
  refIn('createActivity', 'CreateActivityInput', 'ticketId', (ids) => ({ type: 'NOTE', subject: 'X', ticketId: ids.ticket })),
  refIn('createActivity', 'CreateActivityInput', 'ownerId', (ids) => ({ type: 'NOTE', subject: 'X', accountId: own.account, ownerId: ids.user })),
  refInUpdate('updateAccount', 'AccountInput', 'ownerId', () => own.account, (ids) => ({ ownerId: ids.user })),
  refInUpdate('updateContact', 'ContactInput', 'accountId', () => own.contact, (ids) => ({ accountId: ids.account })),
  refInUpdate('updateDeal', 'DealInput', 'accountId', () => own.deal, (ids) => ({ accountId: ids.account })),
  refInUpdate('updateDeal', 'DealInput', 'primaryContactId', () => own.deal, (ids) => ({ primaryContactId: ids.contact })),
  refInUpdate('updateTicket', 'TicketInput', 'contactId', () => own.ticket, (ids) => ({ contactId: ids.contact })),
  refInUpdate('updateActivity', 'ActivityInput', 'dealId', () => own.task, (ids) => ({ dealId: ids.deal })),
  {
    name: 'moveDeal.stageId',
    field: 'stageId',
    query: `mutation($id: ID!, $stage: ID!) { moveDeal(id: $id, stageId: $stage) { id } }`,
    variables: (ids) => ({ id: own.deal, stage: ids.stage }),
  },
  {
    name: 'addDealContact.contactId',
    field: 'contactId',
    query: `mutation($id: ID!, $contact: ID!) { addDealContact(dealId: $id, contactId: $contact) { id } }`,
    variables: (ids) => ({ id: own.deal, contact: ids.contact }),
  },
  {
    name: 'reorderStages.stageIds',
    field: 'stageIds',
    query: `mutation($id: ID!, $stages: [ID!]!) { reorderStages(pipelineId: $id, stageIds: $stages) { id } }`,
    variables: (ids) => ({ id: own.pipeline, stages: [ids.stage] }),
  },
  {
    name: 'assignTicket.assigneeId',
    field: 'assigneeId',
    query: `mutation($id: ID!, $user: ID) { assignTicket(id: $id, assigneeId: $user) { id } }`,
    variables: (ids) => ({ id: own.ticket, user: ids.user }),
  },
];

describe("A's member with B's ids", () => {
  test('single lookups are NOT_FOUND, exactly as for a missing id', async () => {
    for (const probe of SINGLE_LOOKUPS) {
      const result = await compare(probe);
      expect({ probe: probe.name, code: result.code }).toEqual({ probe: probe.name, code: 'NOT_FOUND' });
    }
  });

  test('node(id) is null for every kind, exactly as for a missing id', async () => {
    for (const key of Object.keys(TYPE_OF) as Array<keyof Ids>) {
      const result = await compare({ name: `node(${key})`, query: `query($id: ID!) { node(id: $id) { id } }`, variables: (ids) => ({ id: ids[key] }) });
      expect({ key, result }).toEqual({ key, result: { code: null, message: null, fields: null, data: { node: null } } });
    }
  });

  test("cannot update, delete, restore or apply any verb to B's records (NOT_FOUND, as for a missing id), and B sees nothing changed", async () => {
    const before = await t.ok(SNAPSHOT, {}, b);
    for (const probe of FOREIGN_TARGETS) {
      const result = await compare(probe);
      expect({ probe: probe.name, code: result.code, data: result.data }).toEqual({ probe: probe.name, code: 'NOT_FOUND', data: null });
    }
    expect(await t.ok(SNAPSHOT, {}, b)).toEqual(before);
  });

  test("cannot reference B's records in its own writes (BAD_USER_INPUT on the field, as for a missing id), and nothing is written", async () => {
    const before = await t.ok(SNAPSHOT, {}, a);
    for (const probe of FOREIGN_REFERENCES) {
      const result = await compare(probe);
      expect({ probe: probe.name, code: result.code, fields: (result.fields as Array<{ field: string }> | null)?.map((f) => f.field) }).toEqual({
        probe: probe.name,
        code: 'BAD_USER_INPUT',
        fields: [probe.field],
      });
    }
    expect(await t.ok(SNAPSHOT, {}, a)).toEqual(before);
  });
});

describe("A's lists", () => {
  const LISTS = ['accounts', 'contacts', 'deals', 'tickets', 'activities', 'pipelines'];

  test("never show, count or find B's rows", async () => {
    const bravoIds = new Set(Object.values(foreign));
    for (const list of LISTS) {
      const data = await t.ok(`{ ${list}(withDeleted: true, first: 200) { totalCount edges { node { id } } } found: ${list}(withDeleted: true, search: "Bravo") { totalCount edges { node { id } } } }`, {}, a);
      const ids = data[list].edges.map((e: { node: { id: string } }) => e.node.id);
      expect({ list, leaked: ids.filter((id: string) => bravoIds.has(id)) }).toEqual({ list, leaked: [] });
      expect({ list, totalCount: data[list].totalCount }).toEqual({ list, totalCount: ids.length });
      expect({ list, found: data.found }).toEqual({ list, found: { totalCount: 0, edges: [] } });
    }
    const members = await t.ok(`{ members(first: 200) { totalCount edges { node { id user { id } } } } }`, {}, a);
    expect(members.members.edges.map((e: { node: { id: string } }) => e.node.id)).not.toContain(foreign.member);
    expect(members.members.edges.map((e: { node: { user: { id: string } } }) => e.node.user.id)).not.toContain(foreign.user);
  });

  test("filtering by B's ids matches nothing, as a missing id does", async () => {
    const probes: Array<[string, string, keyof Ids]> = [
      ['contacts', 'accountId', 'account'],
      ['deals', 'accountId', 'account'],
      ['deals', 'pipelineId', 'pipeline'],
      ['deals', 'stageId', 'stage'],
      ['deals', 'primaryContactId', 'contact'],
      ['tickets', 'contactId', 'contact'],
      ['activities', 'dealId', 'deal'],
      ['accounts', 'ownerId', 'user'],
    ];
    for (const [list, field, key] of probes) {
      const result = await compare({
        name: `${list}.${field}`,
        query: `query($id: ID!) { ${list}(withDeleted: true, filter: { ${field}: { eq: $id } }) { totalCount edges { node { id } } } }`,
        variables: (ids) => ({ id: ids[key] }),
      });
      expect({ list, field, data: result.data }).toEqual({ list, field, data: { [list]: { totalCount: 0, edges: [] } } });
    }
  });

  test("nested connections and relations hold only A's records", async () => {
    const data = await t.ok(
      `query($id: ID!) { account(id: $id) {
        contacts(withDeleted: true) { totalCount edges { node { id } } }
        deals(withDeleted: true) { totalCount edges { node { id account { id } primaryContact { id } stage { id } pipeline { id } contacts { contact { id } } } } }
        tickets(withDeleted: true) { totalCount edges { node { id account { id } contact { id } } } }
      } }`,
      { id: own.account },
      a,
    );
    const text = JSON.stringify(data);
    for (const id of Object.values(foreign)) expect(text).not.toContain(id);
    expect(data.account.contacts.edges.map((e: { node: { id: string } }) => e.node.id)).toEqual([own.contact]);
    expect(data.account.deals.edges.map((e: { node: { id: string } }) => e.node.id)).toEqual([own.deal]);
  });

  test('values unique within a workspace (domain, contact email) do not reveal what B uses', async () => {
    const account = await t.gql(`mutation { createAccount(input: { name: "Same domain", domain: "bravo.example" }) { domain } }`, {}, a);
    expect(account.errors).toBeUndefined();
    const contact = await t.gql(`mutation { createContact(input: { lastName: "Same email", email: "buyer@bravo.example" }) { email } }`, {}, a);
    expect(contact.errors).toBeUndefined();
  });
});

describe('signing in', () => {
  test("asking for B's workspace answers as for a workspace that does not exist", async () => {
    const signIn = (workspaceId: string) =>
      t.gql(`mutation($input: SignInInput!) { signIn(input: $input) { token } }`, { input: { email: a.email, password: PASSWORD, workspaceId } });
    const withForeign = answer(await signIn(b.workspaceId));
    const withMissing = answer(await signIn(randomId('Workspace')));
    expect(withForeign).toEqual(withMissing);
    expect(withForeign.code).toBe('UNAUTHENTICATED');
  });
});
