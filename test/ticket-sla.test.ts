import { randomBytes } from 'node:crypto';
import { Queue, type Job } from 'bullmq';
import { Client } from 'pg';
import { parseId } from '../src/kernel/ids';
import { createLogger } from '../src/kernel/logger';
import { producerConnection, type SlaCheckPayload } from '../src/kernel/queue';
import { addBusinessMinutes } from '../src/kernel/time/business-time';
import { businessHoursOf, SlaLevel, SlaTarget, checkTicketSla, slaCheckJobId, sweepSla } from '../src/modules/sla';
import { startWorkers, type WorkerProcess } from '../workers/start-workers';
import { runSlaCheck } from '../workers/ticket-sla';
import { superuserClient } from './support/databases';
import { errorCode, errorFields, TestApp, type Session } from './support/test-app';
import { waitFor } from './support/wait';

/**
 * Ticket SLAs against real PostgreSQL (and Redis for the scheduling test): calendars and
 * policies through the API, due times on tickets, the pause, and escalations driven by calling
 * the check and the sweep with a chosen "now" instead of waiting.
 */

const MINUTE = 60_000;
const PREFIX = `crm-test-${randomBytes(4).toString('hex')}`;

let t: TestApp;
let superuser: Client;
let admin: Session;
let agent: Session;
let lead: Session;
let loneAgent: Session;

const uuid = (id: string) => parseId(id)!.uuid;
const plus = (iso: string, minutes: number) => new Date(new Date(iso).getTime() + minutes * MINUTE);

const ROUND_THE_CLOCK = ['MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY', 'SATURDAY', 'SUNDAY'].map((weekday) => ({
  weekday,
  start: '00:00',
  end: '24:00',
}));
const BERLIN_HOURS = ['MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY'].flatMap((weekday) => [
  { weekday, start: '09:00', end: '12:00' },
  { weekday, start: '13:00', end: '17:00' },
]);

const CREATE_CALENDAR = `mutation($input: CreateBusinessCalendarInput!) {
  createBusinessCalendar(input: $input) { id name timeZone isDefault holidays openingHours { weekday start end } } }`;
const CREATE_POLICY = `mutation($input: CreateSlaPolicyInput!) { createSlaPolicy(input: $input) { id priority firstResponseMinutes resolutionMinutes calendar { id } } }`;
const SLA_TARGET = 'status dueAt warningAt metAt breachedAt';
const TICKET = `id priority status createdAt firstResponseDueAt resolutionDueAt
  sla { pausedAt pausedMinutes firstResponse { ${SLA_TARGET} } resolution { ${SLA_TARGET} } }`;

async function createTicket(priority: string, who: Session = admin, assignee: Session | null = agent) {
  const input = { subject: `A ${priority} case`, priority, assigneeId: assignee?.userId ?? null };
  return (await t.ok(`mutation($input: CreateTicketInput!) { createTicket(input: $input) { ${TICKET} } }`, { input }, who)).createTicket;
}

const ticket = async (id: string, who: Session = admin) => (await t.ok(`query($id: ID!) { ticket(id: $id) { ${TICKET} } }`, { id }, who)).ticket;

const changeStatus = async (id: string, status: string) =>
  (await t.ok(`mutation($id: ID!, $status: TicketStatus!) { changeTicketStatus(id: $id, status: $status) { ${TICKET} } }`, { id, status }, admin))
    .changeTicketStatus;

async function notificationsOf(ticketId: string): Promise<Array<{ kind: string; user_id: string }>> {
  const { rows } = await superuser.query(`SELECT kind, user_id FROM notifications WHERE record_id = $1 ORDER BY kind, user_id`, [uuid(ticketId)]);
  return rows;
}

const check = (ticketId: string, workspace: Session, now: Date) => checkTicketSla(t.app.runtime, uuid(workspace.workspaceId), uuid(ticketId), now);

let roundTheClock: { id: string };
let berlin: { id: string; timeZone: string; openingHours: Array<{ weekday: string; start: string; end: string }>; holidays: string[] };

beforeAll(async () => {
  t = await TestApp.start('ticket_sla');
  superuser = await superuserClient(t.database.name);
  admin = await t.signUp('Helpdesk GmbH');
  agent = await t.member(admin, 'SUPPORT');
  lead = await t.member(admin, 'MANAGER');
  loneAgent = await t.member(admin, 'SUPPORT');
  const members = (await t.ok(`{ members(first: 10) { edges { node { id user { id } } } } }`, {}, admin)).members.edges.map((e: any) => e.node);
  const agentSeat = members.find((m: any) => m.user.id === agent.userId).id;
  await t.ok(`mutation($m: ID!, $u: ID) { setMemberManager(memberId: $m, managerId: $u) { id } }`, { m: agentSeat, u: lead.userId }, admin);

  const clock = (roundTheClock = (await t.ok(CREATE_CALENDAR, { input: { name: 'Round the clock', timeZone: 'UTC', openingHours: ROUND_THE_CLOCK, isDefault: true } }, admin))
    .createBusinessCalendar);
  berlin = (
    await t.ok(CREATE_CALENDAR, { input: { name: 'Berlin office', timeZone: 'Europe/Berlin', openingHours: BERLIN_HOURS, holidays: ['2030-12-25', '2030-12-24'] } }, admin)
  ).createBusinessCalendar;
  for (const [priority, firstResponseMinutes, resolutionMinutes, calendarId] of [
    ['URGENT', 30, 240, clock.id],
    ['HIGH', 60, 480, null],
    ['NORMAL', 100, 1000, clock.id],
    ['LOW', 120, 960, berlin.id],
  ]) {
    await t.ok(CREATE_POLICY, { input: { priority, firstResponseMinutes, resolutionMinutes, calendarId } }, admin);
  }
});

afterAll(async () => {
  await superuser?.end();
  await t.stop();
});

describe('calendars and policies', () => {
  test('a time zone is stored in its canonical spelling', async () => {
    const input = { name: 'Lower case', timeZone: 'america/new_york', openingHours: ROUND_THE_CLOCK };
    expect((await t.ok(CREATE_CALENDAR, { input }, admin)).createBusinessCalendar.timeZone).toBe('America/New_York');
  });

  test('a calendar is stored sorted and normalised; the default flag moves', async () => {
    expect(berlin.holidays).toEqual(['2030-12-24', '2030-12-25']);
    expect(berlin.openingHours.slice(0, 3)).toEqual([
      { weekday: 'MONDAY', start: '09:00', end: '12:00' },
      { weekday: 'MONDAY', start: '13:00', end: '17:00' },
      { weekday: 'TUESDAY', start: '09:00', end: '12:00' },
    ]);
    const other = await t.ok(CREATE_CALENDAR, { input: { name: 'Other', timeZone: 'America/New_York', openingHours: [{ weekday: 'SUNDAY', start: '10:00', end: '11:00' }] } }, admin);
    const id = other.createBusinessCalendar.id;
    await t.ok(`mutation($id: ID!) { updateBusinessCalendar(id: $id, input: { isDefault: true }) { id } }`, { id }, admin);
    const defaults = await t.ok(`{ businessCalendars(filter: { isDefault: { eq: true } }) { edges { node { id } } } }`, {}, admin);
    expect(defaults.businessCalendars.edges.map((e: any) => e.node.id)).toEqual([id]);
    await t.ok(`mutation($id: ID!) { deleteBusinessCalendar(id: $id) { deletedAt } }`, { id }, admin);
    await t.ok(`mutation($id: ID!) { updateBusinessCalendar(id: $id, input: { isDefault: true }) { id } }`, { id: roundTheClock.id }, admin);
    const list = await t.ok(`{ businessCalendars { totalCount } slaPolicies { priority calendar { name } } }`, {}, admin);
    expect(list.businessCalendars.totalCount).toBe(3);
    expect(list.slaPolicies.map((p: any) => [p.priority, p.calendar?.name ?? null])).toEqual([
      ['URGENT', 'Round the clock'],
      ['HIGH', null],
      ['NORMAL', 'Round the clock'],
      ['LOW', 'Berlin office'],
    ]);
  });

  test.each([
    ['a time zone that does not exist', { timeZone: 'Mars/Olympus_Mons' }, 'timeZone'],
    ['an interval ending before it starts', { openingHours: [{ weekday: 'MONDAY', start: '17:00', end: '09:00' }] }, 'openingHours.0.end'],
    ['a malformed time', { openingHours: [{ weekday: 'MONDAY', start: '9am', end: '17:00' }] }, 'openingHours.0.start'],
    [
      'overlapping intervals of one weekday',
      { openingHours: [{ weekday: 'MONDAY', start: '09:00', end: '13:00' }, { weekday: 'TUESDAY', start: '09:00', end: '10:00' }, { weekday: 'MONDAY', start: '12:00', end: '17:00' }] },
      'openingHours.2',
    ],
    ['no opening hours', { openingHours: [] }, 'openingHours'],
    ['an impossible holiday', { holidays: ['2030-02-30'] }, 'holidays'],
    ['an unknown weekday', { openingHours: [{ weekday: 'FUNDAY', start: '09:00', end: '10:00' }] }, 'openingHours.0.weekday'],
  ])('refuses %s with BAD_USER_INPUT naming the field', async (_case, change, field) => {
    const input = { name: 'Bad', timeZone: 'UTC', openingHours: ROUND_THE_CLOCK, ...change };
    const result = await t.gql(CREATE_CALENDAR, { input }, admin);
    expect(errorCode(result)).toBe('BAD_USER_INPUT');
    // graphql-js names list items `[0]` when it refuses a value, the app `.0`: compare both alike.
    expect(errorFields(result)[0].replace(/\[(\d+)\]/g, '.$1')).toMatch(new RegExp(`^${field.replace(/\./g, '\\.')}`));
  });

  test('refuses bad policies: unknown priority, a second policy for a priority, zero minutes, a foreign id', async () => {
    const unknown = await t.gql(CREATE_POLICY, { input: { priority: 'SOMETIMES', firstResponseMinutes: 1, resolutionMinutes: 2 } }, admin);
    expect([errorCode(unknown), errorFields(unknown)]).toEqual(['BAD_USER_INPUT', ['priority']]);
    const twice = await t.gql(CREATE_POLICY, { input: { priority: 'HIGH', firstResponseMinutes: 1, resolutionMinutes: 2 } }, admin);
    expect([errorCode(twice), errorFields(twice)]).toEqual(['CONFLICT', ['priority']]);
    const zero = await t.gql(`mutation { createSlaPolicy(input: { priority: HIGH, firstResponseMinutes: 0, resolutionMinutes: 2 }) { id } }`, {}, admin);
    expect([errorCode(zero), errorFields(zero)]).toEqual(['BAD_USER_INPUT', ['firstResponseMinutes']]);
    const calendar = await t.gql(CREATE_POLICY, { input: { priority: 'HIGH', firstResponseMinutes: 1, resolutionMinutes: 2, calendarId: admin.userId } }, admin);
    expect([errorCode(calendar), errorFields(calendar)]).toEqual(['BAD_USER_INPUT', ['calendarId']]);
  });

  test('a calendar a policy counts in cannot be deleted; support may read but not manage', async () => {
    const refused = await t.gql(`mutation($id: ID!) { deleteBusinessCalendar(id: $id) { id } }`, { id: berlin.id }, admin);
    expect(errorCode(refused)).toBe('CONFLICT');
    const write = await t.gql(CREATE_CALENDAR, { input: { name: 'Mine', timeZone: 'UTC', openingHours: ROUND_THE_CLOCK } }, agent);
    expect(errorCode(write)).toBe('FORBIDDEN');
    expect((await t.ok(`{ slaPolicies { priority } }`, {}, agent)).slaPolicies).toHaveLength(4);
  });

  test('setMemberManager: admins only, never oneself, null clears', async () => {
    const seats = (await t.ok(`{ members(first: 10) { edges { node { id user { id } manager { id } } } } }`, {}, admin)).members.edges.map((e: any) => e.node);
    const agentSeat = seats.find((m: any) => m.user.id === agent.userId);
    const loneSeat = seats.find((m: any) => m.user.id === loneAgent.userId);
    expect(agentSeat.manager).toEqual({ id: lead.userId });
    const SET = `mutation($m: ID!, $u: ID) { setMemberManager(memberId: $m, managerId: $u) { manager { id } } }`;
    const self = await t.gql(SET, { m: loneSeat.id, u: loneAgent.userId }, admin);
    expect([errorCode(self), errorFields(self)]).toEqual(['BAD_USER_INPUT', ['managerId']]);
    expect(errorCode(await t.gql(SET, { m: loneSeat.id, u: lead.userId }, lead))).toBe('FORBIDDEN');
    expect((await t.ok(SET, { m: loneSeat.id, u: lead.userId }, admin)).setMemberManager.manager).toEqual({ id: lead.userId });
    expect((await t.ok(SET, { m: loneSeat.id, u: null }, admin)).setMemberManager.manager).toBeNull();
  });
});

describe('due times', () => {
  test('are set on creation from the policy of the priority, in its calendar', async () => {
    for (const [priority, firstResponse, resolution] of [
      ['URGENT', 30, 240],
      ['HIGH', 60, 480], // no calendar of its own: the default (round the clock)
      ['NORMAL', 100, 1000],
    ] as const) {
      const created = await createTicket(priority);
      expect([created.firstResponseDueAt, created.resolutionDueAt]).toEqual([
        plus(created.createdAt, firstResponse).toISOString(),
        plus(created.createdAt, resolution).toISOString(),
      ]);
      expect(created.sla.firstResponse).toMatchObject({ status: 'ON_TRACK', warningAt: plus(created.createdAt, firstResponse * 0.8).toISOString(), breachedAt: null });
    }
    const low = await createTicket('LOW');
    const hours = businessHoursOf(berlin as never);
    expect(low.firstResponseDueAt).toBe(addBusinessMinutes(hours, new Date(low.createdAt), 120).toISOString());
    expect(low.resolutionDueAt).toBe(addBusinessMinutes(hours, new Date(low.createdAt), 960).toISOString());
  });

  test('tickets filter by due time', async () => {
    const soon = await createTicket('URGENT');
    const filter = { resolutionDueAt: { lte: plus(soon.createdAt, 240).toISOString() }, priority: { eq: 'URGENT' } };
    const found = await t.ok(`query($f: TicketFilter) { tickets(filter: $f) { edges { node { id } } } }`, { f: filter }, admin);
    expect(found.tickets.edges.map((e: any) => e.node.id)).toContain(soon.id);
    const none = await t.ok(`query($f: TicketFilter) { tickets(filter: $f) { totalCount } }`, { f: { resolutionDueAt: { lt: soon.createdAt } } }, admin);
    expect(none.tickets.totalCount).toBe(0);
  });

  test('a ticket of a priority without a policy has none; a priority change recomputes them', async () => {
    const policy = (await t.ok(`{ slaPolicies { id priority } }`, {}, admin)).slaPolicies.find((p: any) => p.priority === 'LOW');
    await t.ok(`mutation($id: ID!) { deleteSlaPolicy(id: $id) { id } }`, { id: policy.id }, admin);
    try {
      const bare = await createTicket('LOW');
      expect([bare.firstResponseDueAt, bare.resolutionDueAt, bare.sla]).toEqual([null, null, null]);
      const upgraded = (
        await t.ok(`mutation($id: ID!) { updateTicket(id: $id, input: { priority: URGENT }) { ${TICKET} } }`, { id: bare.id }, admin)
      ).updateTicket;
      expect(upgraded.firstResponseDueAt).toBe(plus(bare.createdAt, 30).toISOString());
      expect(upgraded.resolutionDueAt).toBe(plus(bare.createdAt, 240).toISOString());
    } finally {
      await t.ok(`mutation($id: ID!) { restoreSlaPolicy(id: $id) { id } }`, { id: policy.id }, admin);
    }
  });

  test('PENDING stops the clock; leaving it moves the due times by the business time paused', async () => {
    const created = await createTicket('NORMAL');
    const pending = await changeStatus(created.id, 'PENDING');
    expect(pending.sla.resolution.status).toBe('PAUSED');
    expect(pending.sla.pausedAt).not.toBeNull();
    // Two hours in PENDING, without waiting them: the pause began two hours earlier.
    await superuser.query(`UPDATE tickets SET sla_paused_at = sla_paused_at - interval '2 hours' WHERE id = $1`, [uuid(created.id)]);
    const resumed = await changeStatus(created.id, 'OPEN');
    const moved = (new Date(resumed.resolutionDueAt).getTime() - new Date(created.resolutionDueAt).getTime()) / MINUTE;
    expect(moved).toBeGreaterThanOrEqual(120);
    expect(moved).toBeLessThan(121);
    expect(resumed.sla.pausedMinutes).toBeCloseTo(moved, 6);
    expect(resumed.sla).toMatchObject({ pausedAt: null, resolution: { status: 'ON_TRACK' } });
    // An hour past the old due time the resolution is only at its (moved) warning, not breached.
    const owed = await check(created.id, admin, plus(created.resolutionDueAt, 60));
    expect(owed.map((e) => [e.target, e.level])).toEqual([[SlaTarget.RESOLUTION, SlaLevel.WARNING]]);
  });

  test('reopening a resolved ticket gives back the business time it spent resolved', async () => {
    const created = await createTicket('NORMAL');
    await changeStatus(created.id, 'OPEN');
    const resolved = await changeStatus(created.id, 'RESOLVED');
    expect(resolved.sla.resolution.status).toBe('MET');
    await superuser.query(`UPDATE tickets SET sla_paused_at = sla_paused_at - interval '1 hour' WHERE id = $1`, [uuid(created.id)]);
    const reopened = (await t.ok(`mutation($id: ID!) { reopenTicket(id: $id) { ${TICKET} } }`, { id: created.id }, admin)).reopenTicket;
    const moved = (new Date(reopened.resolutionDueAt).getTime() - new Date(created.resolutionDueAt).getTime()) / MINUTE;
    expect(moved).toBeGreaterThanOrEqual(60);
    expect(moved).toBeLessThan(61);
    expect(reopened.sla.resolution).toMatchObject({ status: 'ON_TRACK', metAt: null });
  });
});

describe('warnings and breaches', () => {
  test('at 80 % a warning, at 100 % a breach: the priority rises once each, assignee and manager hear once', async () => {
    const created = await createTicket('NORMAL');
    const warned = await check(created.id, admin, plus(created.createdAt, 81));
    expect(warned.map((e) => [e.target, e.level])).toEqual([[SlaTarget.FIRST_RESPONSE, SlaLevel.WARNING]]);
    expect(await check(created.id, admin, plus(created.createdAt, 81))).toEqual([]); // the same job run again
    await sweepSla(t.app.runtime, plus(created.createdAt, 81)); // and the sweep after it
    const afterWarning = await ticket(created.id);
    expect(afterWarning.priority).toBe('HIGH');
    expect(afterWarning.firstResponseDueAt).toBe(created.firstResponseDueAt); // promised under NORMAL, kept
    expect(afterWarning.sla.firstResponse.status).toBe('WARNING');
    const told = [agent.userId, lead.userId].map(uuid).sort();
    expect(await notificationsOf(created.id)).toEqual(told.map((user_id) => ({ kind: 'SLA_FIRST_RESPONSE_WARNING', user_id })));
    const inbox = (await t.ok(`{ notifications { edges { node { kind ticket { id } } } } }`, {}, lead)).notifications.edges.map((e: any) => e.node);
    expect(inbox).toContainEqual({ kind: 'SLA_FIRST_RESPONSE_WARNING', ticket: { id: created.id } });

    expect((await check(created.id, admin, plus(created.createdAt, 101))).map((e) => e.level)).toEqual([SlaLevel.BREACH]);
    expect(await check(created.id, admin, plus(created.createdAt, 101))).toEqual([]);
    const breached = await ticket(created.id);
    expect(breached.priority).toBe('URGENT');
    expect(breached.sla.firstResponse.status).toBe('BREACHED');
    expect(breached.sla.firstResponse.breachedAt).toBe(plus(created.createdAt, 101).toISOString());
    const kinds = (await notificationsOf(created.id)).map((n) => n.kind);
    expect(kinds.filter((k) => k === 'SLA_FIRST_RESPONSE_BREACH')).toHaveLength(2);

    // Already at the top: the resolution warning notifies but raises nothing.
    expect((await sweepSla(t.app.runtime, plus(created.createdAt, 801))).failed).toBe(0);
    expect((await ticket(created.id)).priority).toBe('URGENT');
    expect((await notificationsOf(created.id)).filter((n) => n.kind === 'SLA_RESOLUTION_WARNING')).toHaveLength(2);

    // The raises are system updates with their record events.
    const events = (await t.ok(`query($r: ID!) { recordEvents(recordId: $r, type: "ticket.updated") { edges { node { actor { id } changed after } } } }`, { r: created.id }, admin))
      .recordEvents.edges.map((e: any) => e.node);
    expect(events.filter((e: any) => e.changed.includes('priority')).map((e: any) => [e.actor, e.after.priority])).toEqual([
      [null, 'HIGH'],
      [null, 'URGENT'],
    ]);
  });

  test('the check job handler run twice escalates once', async () => {
    const created = await createTicket('NORMAL');
    await superuser.query(`UPDATE tickets SET first_response_warn_at = now() - interval '1 minute' WHERE id = $1`, [uuid(created.id)]);
    const job = { id: 'by-hand', data: { workspaceId: uuid(admin.workspaceId), ticketId: uuid(created.id) } } as Job<SlaCheckPayload>;
    expect(await runSlaCheck(job, t.app.runtime)).toEqual({ escalations: ['FIRST_RESPONSE:WARNING'] });
    expect(await runSlaCheck(job, t.app.runtime)).toEqual({ escalations: [] });
    expect((await ticket(created.id)).priority).toBe('HIGH');
    expect(await notificationsOf(created.id)).toHaveLength(2);
  });

  test('checks racing each other escalate once (the row lock serialises them)', async () => {
    const created = await createTicket('NORMAL');
    const at = plus(created.createdAt, 85);
    const results = await Promise.all([check(created.id, admin, at), check(created.id, admin, at), check(created.id, admin, at)]);
    expect(results.flat()).toHaveLength(1);
    expect((await ticket(created.id)).priority).toBe('HIGH');
    expect(await notificationsOf(created.id)).toHaveLength(2);
  });

  test('a missed warning and breach found together raise two steps; without a manager the admins hear', async () => {
    const created = await createTicket('NORMAL', admin, loneAgent);
    const handled = await check(created.id, admin, plus(created.createdAt, 150));
    expect(handled.map((e) => e.level)).toEqual([SlaLevel.WARNING, SlaLevel.BREACH]);
    expect((await ticket(created.id)).priority).toBe('URGENT');
    const users = new Set((await notificationsOf(created.id)).map((n) => n.user_id));
    expect([...users].sort()).toEqual([loneAgent.userId, admin.userId].map(uuid).sort());
  });

  test('a resolved ticket and a pending one escalate nothing', async () => {
    const resolved = await createTicket('NORMAL');
    await changeStatus(resolved.id, 'OPEN');
    await t.ok(`mutation($id: ID!) { resolveTicket(id: $id) { id } }`, { id: resolved.id }, admin);
    const pending = await createTicket('NORMAL');
    await changeStatus(pending.id, 'PENDING');
    const farLater = plus(resolved.createdAt, 5000);
    expect(await check(resolved.id, admin, farLater)).toEqual([]);
    expect(await check(pending.id, admin, farLater)).toEqual([]);
    await sweepSla(t.app.runtime, farLater);
    for (const id of [resolved.id, pending.id]) {
      expect(await notificationsOf(id)).toEqual([]);
      expect((await ticket(id)).priority).toBe('NORMAL');
    }
    const view = (await ticket(resolved.id)).sla;
    expect([view.firstResponse.status, view.resolution.status]).toEqual(['MET', 'MET']);
  });

  test('the sweep finds owed escalations in every workspace', async () => {
    const otherAdmin = await t.signUp('Elsewhere AG');
    await t.ok(CREATE_POLICY, { input: { priority: 'NORMAL', firstResponseMinutes: 10, resolutionMinutes: 20 } }, otherAdmin);
    const theirs = await createTicket('NORMAL', otherAdmin, null);
    const ours = await createTicket('NORMAL');
    const later = plus(ours.createdAt, 90);
    const swept = await sweepSla(t.app.runtime, later);
    expect(swept.failed).toBe(0);
    expect((await ticket(theirs.id, otherAdmin)).priority).toBe('URGENT');
    expect((await ticket(ours.id)).priority).toBe('HIGH');
    // Their ticket has no assignee: their admin hears.
    expect(new Set((await notificationsOf(theirs.id)).map((n) => n.user_id))).toEqual(new Set([uuid(otherAdmin.userId)]));
    expect((await sweepSla(t.app.runtime, later)).checked).toBe(0);
  });
});

describe('scheduling from ticket events', () => {
  let worker: WorkerProcess;
  let queue: Queue<SlaCheckPayload>;

  beforeAll(async () => {
    queue = new Queue('sla', { connection: producerConnection(t.app.runtime.config.REDIS_URL), prefix: PREFIX });
    worker = await startWorkers(t.app.runtime.config, createLogger('silent'), { prefix: PREFIX });
  });

  afterAll(async () => {
    await worker?.close();
    await queue?.obliterate({ force: true });
    await queue?.close();
  });

  test('a new ticket gets delayed checks at its warn and due times; resuming after a pause adds the moved ones', async () => {
    const created = await createTicket('URGENT');
    const id = uuid(created.id);
    const expected = [
      slaCheckJobId(id, SlaTarget.FIRST_RESPONSE, SlaLevel.WARNING, plus(created.createdAt, 24)),
      slaCheckJobId(id, SlaTarget.FIRST_RESPONSE, SlaLevel.BREACH, plus(created.createdAt, 30)),
      slaCheckJobId(id, SlaTarget.RESOLUTION, SlaLevel.WARNING, plus(created.createdAt, 192)),
      slaCheckJobId(id, SlaTarget.RESOLUTION, SlaLevel.BREACH, plus(created.createdAt, 240)),
    ];
    for (const jobId of expected) {
      const job = await waitFor(`job ${jobId}`, async () => (await queue.getJob(jobId)) ?? undefined);
      expect(job.data).toEqual({ workspaceId: uuid(admin.workspaceId), ticketId: id });
      expect(await job.isDelayed()).toBe(true);
    }
    await changeStatus(created.id, 'PENDING');
    await superuser.query(`UPDATE tickets SET sla_paused_at = sla_paused_at - interval '1 hour' WHERE id = $1`, [id]);
    const resumed = await changeStatus(created.id, 'OPEN');
    const moved = slaCheckJobId(id, SlaTarget.RESOLUTION, SlaLevel.BREACH, new Date(resumed.resolutionDueAt));
    expect(await waitFor(`job ${moved}`, async () => (await queue.getJob(moved)) ?? undefined)).toBeDefined();
  });

  test('a warning time already past is handled by the worker: the event schedules a check that runs at once', async () => {
    const created = await createTicket('NORMAL');
    const id = uuid(created.id);
    const { rows } = await superuser.query(
      `UPDATE tickets SET first_response_warn_at = date_trunc('second', now()) - interval '1 minute' WHERE id = $1 RETURNING first_response_warn_at`,
      [id],
    );
    await t.ok(`mutation($id: ID!) { updateTicket(id: $id, input: { description: "More detail" }) { id } }`, { id: created.id }, admin);
    const jobId = slaCheckJobId(id, SlaTarget.FIRST_RESPONSE, SlaLevel.WARNING, rows[0].first_response_warn_at);
    await waitFor(`job ${jobId} to complete`, async () => ((await (await queue.getJob(jobId))?.isCompleted()) ? true : undefined));
    expect((await ticket(created.id)).priority).toBe('HIGH');
    expect((await notificationsOf(created.id)).map((n) => n.kind)).toEqual(['SLA_FIRST_RESPONSE_WARNING', 'SLA_FIRST_RESPONSE_WARNING']);
  });
});
