import { randomBytes } from 'node:crypto';
import { Queue } from 'bullmq';
import { Client } from 'pg';
import { Role } from '../src/kernel/auth/roles';
import { RequestContext } from '../src/kernel/context';
import { parseId } from '../src/kernel/ids';
import { createLogger } from '../src/kernel/logger';
import { producerConnection, QUEUE_NAMES } from '../src/kernel/queue';
import { contactService } from '../src/modules/contacts';
import { RoutingObjectType, routingService } from '../src/modules/routing';
import { startWorkers } from '../workers/start-workers';
import { superuserClient } from './support/databases';
import { errorCode, errorFields, TestApp, type Session } from './support/test-app';
import { waitFor } from './support/wait';

/**
 * Lead routing against real PostgreSQL (and Redis for the worker path): rules in the list-filter
 * language, the four strategies, availability and capacity, decisions, simulation, fairness of
 * round-robin under concurrency, and tenancy. Each describe works in a workspace of its own.
 */

const PREFIX = `crm-test-${randomBytes(4).toString('hex')}`;

let t: TestApp;
let superuser: Client;

beforeAll(async () => {
  t = await TestApp.start('routing');
  superuser = await superuserClient(t.database.name);
});

afterAll(async () => {
  await superuser?.end();
  await t.stop();
});

const uuid = (id: string) => parseId(id)!.uuid;

interface Workspace {
  admin: Session;
  members: Session[];
}

async function workspace(name: string, memberCount: number): Promise<Workspace> {
  const admin = await t.signUp(name);
  const members: Session[] = [];
  for (let i = 0; i < memberCount; i++) members.push(await t.member(admin, 'SALES'));
  return { admin, members };
}

const RULE_FIELDS = `id name position enabled condition strategy objectType user { id } team { id } territories { country region postcodePrefix user { id } }`;
const DECISION_FIELDS = `id recordId objectType outcome reason ruleName strategy simulated rule { id } owner { id } candidates { user { id } chosen skipReason detail }`;

async function createRule(admin: Session, input: Record<string, unknown>) {
  return (await t.ok(`mutation($input: CreateRoutingRuleInput!) { createRoutingRule(input: $input) { ${RULE_FIELDS} } }`, { input }, admin)).createRoutingRule;
}

async function createTeam(admin: Session, name: string, members: Session[]): Promise<string> {
  const id = (await t.ok(`mutation($name: String!) { createTeam(input: { name: $name }) { id } }`, { name }, admin)).createTeam.id;
  for (const member of members) {
    await t.ok(`mutation($team: ID!, $user: ID!) { addTeamMember(teamId: $team, userId: $user) { id } }`, { team: id, user: member.userId }, admin);
  }
  return id;
}

async function setAvailability(who: Session, input: Record<string, unknown>) {
  return t.ok(`mutation($input: MemberAvailabilityInput!) { setMemberAvailability(input: $input) { available unavailable until maxContacts maxOpenDeals } }`, { input }, who);
}

async function createContact(admin: Session, input: Record<string, unknown>): Promise<string> {
  const data = await t.ok(`mutation($input: CreateContactInput!) { createContact(input: $input) { id } }`, { input: { lastName: 'Lead', ...input } }, admin);
  return data.createContact.id;
}

async function createDeal(admin: Session, input: Record<string, unknown>): Promise<string> {
  return (await t.ok(`mutation($input: CreateDealInput!) { createDeal(input: $input) { id } }`, { input: { name: 'Deal', ...input } }, admin)).createDeal.id;
}

/** Routes one record through the service, in a system context of the record's workspace (as a job would). */
async function route(ws: Session, recordId: string) {
  const parsed = parseId(recordId)!;
  const ctx = RequestContext.system(t.app.runtime, uuid(ws.workspaceId));
  try {
    const type = parsed.type === 'Deal' ? RoutingObjectType.DEAL : RoutingObjectType.CONTACT;
    return await ctx.db.write((em) => routingService.route(ctx, em, type, parsed.uuid));
  } finally {
    await ctx.close();
  }
}

async function ownerOf(admin: Session, recordId: string): Promise<string | null> {
  const data = await t.ok(`query($id: ID!) { node(id: $id) { ... on Contact { owner { id } } ... on Deal { owner { id } } } }`, { id: recordId }, admin);
  return data.node.owner?.id ?? null;
}

async function decisionOf(who: Session, recordId: string) {
  return (await t.ok(`query($id: ID!) { routingDecision(recordId: $id) { ${DECISION_FIELDS} } }`, { id: recordId }, who)).routingDecision;
}

/** Routes a new contact and returns its owner (public id or null). */
async function routeContact(admin: Session, input: Record<string, unknown>): Promise<string | null> {
  const id = await createContact(admin, input);
  await route(admin, id);
  return ownerOf(admin, id);
}

const candidate = (decision: any, who: Session) => decision.candidates.find((c: any) => c.user.id === who.userId);

describe('end to end through the worker', () => {
  test('a contact created through the API gets its owner from the worker, with the decision queryable', async () => {
    const { admin, members } = await workspace('Worker Routing', 2);
    await createRule(admin, { name: 'Germany', objectType: 'CONTACT', condition: { country: { eq: 'DE' } }, strategy: 'FIXED_USER', userId: members[1].userId });
    const worker = await startWorkers(t.app.runtime.config, createLogger('silent'), { prefix: PREFIX });
    try {
      const contact = await createContact(admin, { country: 'DE' });
      const owner = await waitFor('the worker to route the contact', async () => (await ownerOf(admin, contact)) ?? undefined, 30_000);
      expect(owner).toBe(members[1].userId);
      const decision = await decisionOf(admin, contact);
      expect(decision).toMatchObject({ recordId: contact, outcome: 'ASSIGNED', ruleName: 'Germany', strategy: 'FIXED_USER', simulated: false, owner: { id: members[1].userId } });
      expect(decision.id).toMatch(/^rd_/);
      const events = await t.ok(`query($id: ID!) { recordEvents(recordId: $id) { edges { node { type changed actor { id } } } } }`, { id: contact }, admin);
      const update = events.recordEvents.edges.map((e: any) => e.node).find((e: any) => e.type === 'contact.updated');
      expect(update).toMatchObject({ changed: ['ownerId'], actor: { id: admin.userId } });

      const owned = await createContact(admin, { country: 'DE', ownerId: members[0].userId });
      const deal = await createDeal(admin, {});
      await waitFor('the worker to handle the deal', async () => {
        const { rows } = await superuser.query(`SELECT 1 FROM processed_events p JOIN record_events e ON e.id = p.event_id WHERE p.handler = 'lead-routing' AND e.record_id = $1`, [uuid(deal)]);
        return rows.length ? true : undefined;
      }, 30_000);
      const dealDecision = await decisionOf(admin, deal);
      expect(dealDecision).toMatchObject({ outcome: 'NO_RULE_MATCHED', owner: null, rule: null });
      expect(dealDecision.reason).toMatch(/no enabled DEAL rules/);
      expect(await ownerOf(admin, owned)).toBe(members[0].userId);
      expect(await decisionOf(admin, owned)).toBeNull();
    } finally {
      await worker.close();
      for (const name of QUEUE_NAMES) {
        const queue = new Queue(name, { connection: producerConnection(t.app.runtime.config.REDIS_URL), prefix: PREFIX });
        await queue.obliterate({ force: true });
        await queue.close();
      }
    }
  });
});

describe('rules and conditions', () => {
  let ws: Workspace;
  beforeAll(async () => {
    ws = await workspace('Rules', 3);
  });

  test('the first matching rule in order wins; reordering changes which; no match leaves the record unowned', async () => {
    const [a, b] = ws.members;
    const germany = await createRule(ws.admin, { name: 'DACH', objectType: 'CONTACT', condition: { country: { in: ['DE', 'AT'] } }, strategy: 'FIXED_USER', userId: a.userId });
    const webinar = await createRule(ws.admin, { name: 'Webinar', objectType: 'CONTACT', condition: { source: { eq: 'webinar' } }, strategy: 'FIXED_USER', userId: b.userId });
    expect([germany.position, webinar.position]).toEqual([0, 1]);
    expect(await routeContact(ws.admin, { country: 'DE', source: 'webinar' })).toBe(a.userId);
    const french = await createContact(ws.admin, { country: 'FR', source: 'webinar' });
    await route(ws.admin, french);
    expect(await ownerOf(ws.admin, french)).toBe(b.userId);

    const unmatched = await createContact(ws.admin, { country: 'US', source: 'fair' });
    expect(await route(ws.admin, unmatched)).toMatchObject({ outcome: 'NO_RULE_MATCHED', ownerId: null });
    expect(await ownerOf(ws.admin, unmatched)).toBeNull();
    expect(await decisionOf(ws.admin, unmatched)).toMatchObject({ outcome: 'NO_RULE_MATCHED', reason: 'None of the 2 enabled CONTACT rules matched', owner: null, candidates: [] });

    const reordered = await t.ok(`mutation($ids: [ID!]!) { reorderRoutingRules(ids: $ids) { id position } }`, { ids: [webinar.id, germany.id] }, ws.admin);
    expect(reordered.reorderRoutingRules).toEqual([{ id: webinar.id, position: 0 }, { id: germany.id, position: 1 }]);
    expect(await routeContact(ws.admin, { country: 'DE', source: 'webinar' })).toBe(b.userId);

    await t.ok(`mutation($id: ID!) { updateRoutingRule(id: $id, input: { enabled: false }) { id } }`, { id: webinar.id }, ws.admin);
    expect(await routeContact(ws.admin, { country: 'DE', source: 'webinar' })).toBe(a.userId);
    await t.ok(`mutation($id: ID!) { deleteRoutingRule(id: $id) { id } }`, { id: webinar.id }, ws.admin);
    const rules = (await t.ok(`{ routingRules { id position } }`, {}, ws.admin)).routingRules;
    expect(rules).toEqual([{ id: germany.id, position: 0 }]);
    // The decision outlives its rule, by name.
    expect(await decisionOf(ws.admin, french)).toMatchObject({ rule: null, ruleName: 'Webinar', owner: { id: b.userId } });
  });

  test('deal conditions reach the account’s industry, the amount and the lead source', async () => {
    const [, , c] = ws.members;
    const rule = await createRule(ws.admin, {
      name: 'Big software deals',
      objectType: 'DEAL',
      condition: { accountIndustry: { eq: 'Software' }, amount: { gte: '10000' }, source: { in: ['webinar', 'referral'] } },
      strategy: 'FIXED_USER',
      userId: c.userId,
    });
    expect(rule.condition).toEqual({ accountIndustry: { eq: 'Software' }, amount: { gte: '10000' }, source: { in: ['webinar', 'referral'] } });
    const software = (await t.ok(`mutation { createAccount(input: { name: "Soft AG", industry: "Software" }) { id } }`, {}, ws.admin)).createAccount.id;
    const farming = (await t.ok(`mutation { createAccount(input: { name: "Farm AG", industry: "Farming" }) { id } }`, {}, ws.admin)).createAccount.id;
    const big = await createDeal(ws.admin, { accountId: software, amount: '25000', source: 'referral' });
    const small = await createDeal(ws.admin, { accountId: software, amount: '500', source: 'referral' });
    const other = await createDeal(ws.admin, { accountId: farming, amount: '25000', source: 'referral' });
    for (const deal of [big, small, other]) await route(ws.admin, deal);
    expect(await ownerOf(ws.admin, big)).toBe(c.userId);
    expect(await ownerOf(ws.admin, small)).toBeNull();
    expect(await ownerOf(ws.admin, other)).toBeNull();
    // The same filter works in the list query, by the same code.
    const listed = await t.ok(`{ deals(filter: { accountIndustry: { eq: "Software" }, amount: { gte: "10000" } }) { edges { node { id } } } }`, {}, ws.admin);
    expect(listed.deals.edges.map((e: any) => e.node.id)).toEqual([big]);
  });

  test.each([
    ['an unknown field', 'CONTACT', { countryy: { eq: 'DE' } }, 'input.condition.countryy'],
    ['an unknown operator', 'CONTACT', { country: { equals: 'DE' } }, 'input.condition.country.equals'],
    ['a wrong value type', 'CONTACT', { country: { eq: 5 } }, 'input.condition.country.eq'],
    ['a deal field on a contact rule', 'CONTACT', { amount: { gte: '5' } }, 'input.condition.amount'],
    ['a malformed decimal', 'DEAL', { amount: { gte: 'lots' } }, 'input.condition.amount.gte'],
    ['an unknown enum value', 'DEAL', { status: { eq: 'PENDING' } }, 'input.condition.status.eq'],
    ['an id of the wrong type', 'DEAL', { ownerId: { eq: 'acc_00000000000000000000000000000000' } }, 'input.condition.ownerId.eq'],
    ['a problem nested in or', 'CONTACT', { or: [{ country: { eq: 'DE' } }, { city: { startsWith: ['M'] } }] }, 'input.condition.or[1].city.startsWith'],
  ])('a condition with %s is refused naming the path', async (_, objectType, condition, path) => {
    const before = (await t.ok(`{ routingRules { id } }`, {}, ws.admin)).routingRules.length;
    const result = await t.gql(`mutation($input: CreateRoutingRuleInput!) { createRoutingRule(input: $input) { id } }`, {
      input: { name: 'Bad', objectType, condition, strategy: 'FIXED_USER', userId: ws.admin.userId },
    }, ws.admin);
    expect(errorCode(result)).toBe('BAD_USER_INPUT');
    expect(errorFields(result)).toEqual([path]);
    expect((await t.ok(`{ routingRules { id } }`, {}, ws.admin)).routingRules).toHaveLength(before);
  });

  test('a strategy without its target is refused naming the field; so is an update to a bad condition', async () => {
    const create = (input: Record<string, unknown>) =>
      t.gql(`mutation($input: CreateRoutingRuleInput!) { createRoutingRule(input: $input) { id } }`, { input: { name: 'X', objectType: 'CONTACT', ...input } }, ws.admin);
    expect(errorFields(await create({ strategy: 'FIXED_USER' }))).toEqual(['input.userId']);
    expect(errorFields(await create({ strategy: 'ROUND_ROBIN' }))).toEqual(['input.teamId']);
    expect(errorFields(await create({ strategy: 'TERRITORY', territories: [] }))).toEqual(['input.territories']);
    expect(errorFields(await create({ strategy: 'TERRITORY', territories: [{ country: 'DE', userId: 'usr_00000000000000000000000000000000' }] }))).toEqual([
      'input.territories[0].userId',
    ]);
    const rule = await createRule(ws.admin, { name: 'Fine', objectType: 'CONTACT', strategy: 'FIXED_USER', userId: ws.admin.userId, enabled: false });
    const update = await t.gql(`mutation($id: ID!) { updateRoutingRule(id: $id, input: { condition: { lastName: { gt: 1 } } }) { id } }`, { id: rule.id }, ws.admin);
    expect(errorFields(update)).toEqual(['input.condition.lastName.gt']);
  });
});

describe('strategies', () => {
  test('ROUND_ROBIN takes turns and skips members out of office or at capacity, saying why', async () => {
    const { admin, members } = await workspace('Round robin', 4);
    const [a, b, c, d] = members;
    const team = await createTeam(admin, 'Inbound', members);
    await createRule(admin, { name: 'Everyone', objectType: 'CONTACT', strategy: 'ROUND_ROBIN', teamId: team });
    const until = new Date(Date.now() + 86_400_000).toISOString();
    expect((await setAvailability(b, { unavailable: true, until, note: 'Holiday' })).setMemberAvailability).toMatchObject({ available: false, unavailable: true });
    await setAvailability(admin, { userId: c.userId, maxContacts: 0 });

    const owners: Array<string | null> = [];
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) {
      ids.push(await createContact(admin, {}));
      await route(admin, ids[i]);
      owners.push(await ownerOf(admin, ids[i]));
    }
    expect(owners).toEqual([a.userId, d.userId, a.userId, d.userId]);
    const second = await decisionOf(admin, ids[1]);
    expect(second).toMatchObject({ outcome: 'ASSIGNED', strategy: 'ROUND_ROBIN', owner: { id: d.userId } });
    expect(candidate(second, b)).toMatchObject({ chosen: false, skipReason: 'UNAVAILABLE', detail: `out of office until ${until}` });
    expect(candidate(second, c)).toMatchObject({ chosen: false, skipReason: 'AT_CAPACITY', detail: 'owns 0 contacts; capacity 0' });
    expect(candidate(second, a)).toMatchObject({ chosen: false, skipReason: 'RANKED_LOWER' });
    expect(candidate(second, d)).toMatchObject({ chosen: true, skipReason: null });

    // Out of office with an end in the past is over: b gets the turn after a's. Everyone out leaves the lead unowned.
    await setAvailability(b, { until: new Date(Date.now() - 1000).toISOString() });
    expect(await routeContact(admin, {})).toBe(a.userId);
    expect(await routeContact(admin, {})).toBe(b.userId);
    for (const m of [a, b, d]) await setAvailability(m, { unavailable: true, until: null });
    const stuck = await createContact(admin, {});
    await route(admin, stuck);
    expect(await ownerOf(admin, stuck)).toBeNull();
    const decision = await decisionOf(admin, stuck);
    expect(decision.outcome).toBe('NO_ELIGIBLE_CANDIDATE');
    expect(decision.reason).toBe('Rule "Everyone" matched, but no candidate qualified (1 at capacity, 3 unavailable)');
  });

  test('LEAST_LOADED picks the member with the fewest open deals, ties by id, and respects deal capacity', async () => {
    const { admin, members } = await workspace('Least loaded', 3);
    const [a, b, c] = members;
    const team = await createTeam(admin, 'Closers', members);
    await createRule(admin, { name: 'Deals', objectType: 'DEAL', strategy: 'LEAST_LOADED', teamId: team });
    for (const [owner, n] of [[a, 2], [b, 1], [c, 1]] as const) {
      for (let i = 0; i < n; i++) await createDeal(admin, { ownerId: owner.userId });
    }
    const [first, second] = [b, c].sort((x, y) => (uuid(x.userId) < uuid(y.userId) ? -1 : 1));
    const deal = await createDeal(admin, {});
    await route(admin, deal);
    expect(await ownerOf(admin, deal)).toBe(first.userId);
    const decision = await decisionOf(admin, deal);
    expect(candidate(decision, a)).toMatchObject({ skipReason: 'RANKED_LOWER', detail: 'owns 2 open deals' });
    expect(candidate(decision, second)).toMatchObject({ skipReason: 'RANKED_LOWER', detail: 'owns 1 open deals' });

    // Now first owns 2; second is least loaded, unless at capacity.
    await setAvailability(admin, { userId: second.userId, maxOpenDeals: 1 });
    const next = await createDeal(admin, {});
    await route(admin, next);
    expect(await ownerOf(admin, next)).toBe(a.userId < first.userId ? a.userId : first.userId);
    expect(candidate(await decisionOf(admin, next), second)).toMatchObject({ skipReason: 'AT_CAPACITY', detail: 'owns 1 open deals; capacity 1' });
  });

  test('TERRITORY: the longest matching postcode prefix wins, falling back to less specific territories', async () => {
    const { admin, members } = await workspace('Territories', 4);
    const [germany, south, munich, austria] = members;
    await createRule(admin, {
      name: 'Field sales',
      objectType: 'CONTACT',
      strategy: 'TERRITORY',
      territories: [
        { country: 'de', userId: germany.userId },
        { country: 'DE', postcodePrefix: '8', userId: south.userId },
        { country: 'DE', postcodePrefix: '80', userId: munich.userId },
        { country: 'AT', userId: austria.userId },
      ],
    });
    expect(await routeContact(admin, { country: 'DE', postalCode: '80331' })).toBe(munich.userId);
    expect(await routeContact(admin, { country: 'DE', postalCode: '81671' })).toBe(south.userId);
    expect(await routeContact(admin, { country: 'DE', postalCode: '10115' })).toBe(germany.userId);
    const account = (await t.ok(`mutation { createAccount(input: { name: "Wien GmbH", country: "AT" }) { id } }`, {}, admin)).createAccount.id;
    expect(await routeContact(admin, { accountId: account })).toBe(austria.userId);

    await setAvailability(munich, { unavailable: true });
    const contact = await createContact(admin, { country: 'DE', postalCode: '80331' });
    await route(admin, contact);
    expect(await ownerOf(admin, contact)).toBe(south.userId);
    const decision = await decisionOf(admin, contact);
    expect(candidate(decision, munich)).toMatchObject({ skipReason: 'UNAVAILABLE' });
    expect(candidate(decision, germany)).toMatchObject({ skipReason: 'RANKED_LOWER', detail: 'less specific territory (DE)' });
    expect(candidate(decision, austria)).toMatchObject({ skipReason: 'NOT_IN_TERRITORY' });

    const nowhere = await createContact(admin, { country: 'FR' });
    await route(admin, nowhere);
    expect(await ownerOf(admin, nowhere)).toBeNull();
    expect((await decisionOf(admin, nowhere)).candidates.every((c: any) => c.skipReason === 'NOT_IN_TERRITORY')).toBe(true);
  });
});

describe('simulateRouting', () => {
  test('shows the decision without writing anything or advancing round-robin', async () => {
    const { admin, members } = await workspace('Simulation', 2);
    const [a, b] = members;
    const team = await createTeam(admin, 'Pair', members);
    await createRule(admin, { name: 'Pair', objectType: 'CONTACT', condition: { source: { eq: 'ads' } }, strategy: 'ROUND_ROBIN', teamId: team });
    const SIMULATE = `query($input: SimulateRoutingInput!) { simulateRouting(input: $input) { ${DECISION_FIELDS} } }`;
    const simulate = async (input: Record<string, unknown>) => (await t.ok(SIMULATE, { input }, admin)).simulateRouting;
    const counts = async () =>
      (await superuser.query(
        `SELECT (SELECT count(*) FROM routing_decisions WHERE workspace_id = $1)::int AS decisions,
                (SELECT count(*) FROM record_events WHERE workspace_id = $1)::int AS events,
                (SELECT count(*) FROM contacts WHERE workspace_id = $1)::int AS contacts,
                (SELECT sum(rr_cursor) FROM routing_rules WHERE workspace_id = $1)::int AS cursor`,
        [uuid(admin.workspaceId)],
      )).rows[0];
    const before = await counts();
    for (let i = 0; i < 2; i++) {
      expect(await simulate({ contact: { lastName: 'Maybe', source: 'ads' } })).toMatchObject({
        id: null, recordId: null, simulated: true, outcome: 'ASSIGNED', owner: { id: a.userId }, ruleName: 'Pair',
      });
    }
    expect(await simulate({ contact: { source: 'fair' } })).toMatchObject({ outcome: 'NO_RULE_MATCHED', owner: null });
    expect(await simulate({ deal: { name: 'Maybe' } })).toMatchObject({ objectType: 'DEAL', outcome: 'NO_RULE_MATCHED' });
    expect(await counts()).toEqual(before);

    expect(await routeContact(admin, { source: 'ads' })).toBe(a.userId);
    expect((await simulate({ contact: { source: 'ads' } })).owner.id).toBe(b.userId);

    const neither = await t.gql(SIMULATE, { input: {} }, admin);
    expect(errorFields(neither)).toEqual(['input']);
  });

  test('a name prefix matches a simulated record as it matches a stored one, ignoring case and umlaut spelling', async () => {
    const { admin, members } = await workspace('Prefix rules', 1);
    await createRule(admin, { name: 'Müllers', objectType: 'CONTACT', condition: { lastName: { startsWith: 'MÜ' } }, strategy: 'FIXED_USER', userId: members[0].userId });
    const SIMULATE = `query($input: SimulateRoutingInput!) { simulateRouting(input: $input) { outcome ruleName } }`;
    for (const lastName of ['Müller', 'mueller', 'MUELLER-Schmidt']) {
      expect(await t.ok(SIMULATE, { input: { contact: { lastName } } }, admin)).toEqual({ simulateRouting: { outcome: 'ASSIGNED', ruleName: 'Müllers' } });
      expect(await routeContact(admin, { lastName })).toBe(members[0].userId);
    }
    expect((await t.ok(SIMULATE, { input: { contact: { lastName: 'Muller' } } }, admin)).simulateRouting.outcome).toBe('NO_RULE_MATCHED');
    expect(await routeContact(admin, { lastName: 'Muller' })).toBeNull();
  });
});

describe('fair round-robin under concurrency', () => {
  test('1,000 leads created and routed at once over 7 members give each 142 or 143', async () => {
    const { admin, members } = await workspace('Fairness', 7);
    const team = await createTeam(admin, 'Seven', members);
    await createRule(admin, { name: 'All', objectType: 'CONTACT', strategy: 'ROUND_ROBIN', teamId: team });
    const actor = { userId: uuid(admin.userId), workspaceId: uuid(admin.workspaceId), role: Role.ADMIN };
    const create = async (i: number) => {
      const ctx = new RequestContext(t.app.runtime, actor);
      try {
        return (await contactService.create(ctx, { lastName: `Lead ${i}` })).id;
      } finally {
        await ctx.close();
      }
    };
    const ids = await Promise.all(Array.from({ length: 1000 }, (_, i) => create(i)));
    const decisions = await Promise.all(ids.map((id) => route(admin, `con_${id.replace(/-/g, '')}`)));
    expect(decisions.every((d) => d?.outcome === 'ASSIGNED')).toBe(true);

    const { rows } = await superuser.query(
      `SELECT owner_id, count(*)::int AS n FROM contacts WHERE workspace_id = $1 GROUP BY owner_id ORDER BY n DESC`,
      [uuid(admin.workspaceId)],
    );
    expect(rows.map((row) => row.n)).toEqual([143, 143, 143, 143, 143, 143, 142]);
    expect(new Set(rows.map((row) => row.owner_id))).toEqual(new Set(members.map((m) => uuid(m.userId))));
    // Routing an owned record again does nothing.
    expect(await route(admin, `con_${ids[0].replace(/-/g, '')}`)).toBeNull();
  });
});

describe('permissions and tenancy', () => {
  test('managing routing needs routing:manage; members set only their own out-of-office', async () => {
    const { admin, members } = await workspace('Permissions', 2);
    const [seller, other] = members;
    const refused = await t.gql(`mutation { createTeam(input: { name: "Mine" }) { id } }`, {}, seller);
    expect(errorCode(refused)).toBe('FORBIDDEN');
    expect((await setAvailability(seller, { unavailable: true, note: 'Dentist' })).setMemberAvailability.available).toBe(false);
    const forOther = await t.gql(`mutation($input: MemberAvailabilityInput!) { setMemberAvailability(input: $input) { available } }`, { input: { userId: other.userId, unavailable: true } }, seller);
    expect(errorCode(forOther)).toBe('FORBIDDEN');
    const capacity = await t.gql(`mutation { setMemberAvailability(input: { maxContacts: 100 }) { available } }`, {}, seller);
    expect(errorCode(capacity)).toBe('FORBIDDEN');
    const listed = (await t.ok(`{ memberAvailability { user { id } unavailable note maxContacts } }`, {}, admin)).memberAvailability;
    expect(listed).toEqual([{ user: { id: seller.userId }, unavailable: true, note: 'Dentist', maxContacts: null }]);
  });

  test('rules, teams and decisions of another workspace are invisible', async () => {
    const ours = await workspace('Ours', 1);
    const theirs = await workspace('Theirs', 1);
    const team = await createTeam(theirs.admin, 'Theirs', theirs.members);
    const rule = await createRule(theirs.admin, { name: 'Theirs', objectType: 'CONTACT', strategy: 'ROUND_ROBIN', teamId: team });
    const contact = await createContact(theirs.admin, {});
    await route(theirs.admin, contact);
    expect(await decisionOf(theirs.admin, contact)).not.toBeNull();

    expect((await t.ok(`{ routingRules { id } teams { id } }`, {}, ours.admin))).toEqual({ routingRules: [], teams: [] });
    expect(await decisionOf(ours.admin, contact)).toBeNull();
    const update = await t.gql(`mutation($id: ID!) { updateRoutingRule(id: $id, input: { enabled: false }) { id } }`, { id: rule.id }, ours.admin);
    expect(errorCode(update)).toBe('NOT_FOUND');
    expect(errorCode(await t.gql(`mutation($id: ID!) { deleteRoutingRule(id: $id) { id } }`, { id: rule.id }, ours.admin))).toBe('NOT_FOUND');
    const join = await t.gql(`mutation($team: ID!, $user: ID!) { addTeamMember(teamId: $team, userId: $user) { id } }`, { team, user: ours.admin.userId }, ours.admin);
    expect(errorCode(join)).toBe('NOT_FOUND');
    const borrow = await t.gql(`mutation($input: CreateRoutingRuleInput!) { createRoutingRule(input: $input) { id } }`, {
      input: { name: 'Borrowed', objectType: 'CONTACT', strategy: 'ROUND_ROBIN', teamId: team },
    }, ours.admin);
    expect(errorFields(borrow)).toEqual(['input.teamId']);
    expect((await t.ok(`{ routingRules { id } }`, {}, theirs.admin)).routingRules).toEqual([{ id: rule.id }]);
  });
});
