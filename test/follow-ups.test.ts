import { randomBytes } from 'node:crypto';
import { Queue } from 'bullmq';
import { Client } from 'pg';
import { parseId } from '../src/kernel/ids';
import { createLogger } from '../src/kernel/logger';
import { producerConnection } from '../src/kernel/queue';
import { sweepAllWorkspaces } from '../src/modules/follow-ups';
import { startWorkers } from '../workers/start-workers';
import { superuserClient } from './support/databases';
import { errorCode, errorFields, TestApp, type Session } from './support/test-app';
import { waitFor } from './support/wait';

/**
 * Follow-up tasks against real PostgreSQL: the sweep is called with an injected "now" (the
 * worker calls it with the clock), so days pass without waiting.
 */

let t: TestApp;
let superuser: Client;
let admin: Session;
let seller: Session;
let stages: Array<{ id: string; kind: string; name: string }>;

const DAY_MS = 24 * 60 * 60 * 1000;
const daysFromNow = (days: number) => new Date(Date.now() + days * DAY_MS);
const uuid = (id: string) => parseId(id)!.uuid;
const sweep = (now: Date) => sweepAllWorkspaces(t.app.runtime, now);

beforeAll(async () => {
  t = await TestApp.start('follow_ups');
  superuser = await superuserClient(t.database.name);
  admin = await t.signUp('Follow-ups GmbH');
  seller = await t.member(admin, 'SALES');
  stages = (await t.ok(`{ pipelines { edges { node { stages { id kind name } } } } }`, {}, admin)).pipelines.edges[0].node.stages;
});

afterAll(async () => {
  await superuser?.end();
  await t.stop();
});

const UPDATE_STAGE = `mutation($id: ID!, $days: Int) { updateStage(id: $id, input: { followUpAfterDays: $days }) { id followUpAfterDays } }`;
const setFollowUpDays = (stageId: string, days: number | null, who: Session = admin) => t.gql(UPDATE_STAGE, { id: stageId, days }, who);
const openStage = () => stages.find((stage) => stage.kind === 'OPEN')!;

async function createDeal(name: string, owner: Session | null, stageId = openStage().id): Promise<string> {
  const input = { name, stageId, ...(owner ? { ownerId: owner.userId } : {}) };
  return (await t.ok(`mutation($input: CreateDealInput!) { createDeal(input: $input) { id } }`, { input }, admin)).createDeal.id;
}

interface FollowUpRow {
  id: string;
  origin: string;
  owner_id: string;
  subject: string;
  due_at: Date;
  completed_at: Date | null;
}

/** The generated tasks linked to a record (public id), oldest first, read past row-level security. */
async function followUpsOf(recordId: string): Promise<FollowUpRow[]> {
  const { rows } = await superuser.query(
    `SELECT id, follow_up_origin AS origin, owner_id, subject, due_at, completed_at FROM activities
      WHERE follow_up_origin IS NOT NULL AND $1 IN (deal_id, contact_id, account_id) ORDER BY created_at, id`,
    [uuid(recordId)],
  );
  return rows;
}

describe('stage setting', () => {
  test('followUpAfterDays is 1 to 365 or null, on updateStage and addStage', async () => {
    const stage = openStage();
    for (const bad of [0, 366, -1]) {
      const result = await setFollowUpDays(stage.id, bad);
      expect(errorCode(result)).toBe('BAD_USER_INPUT');
      expect(errorFields(result)).toEqual(['followUpAfterDays']);
    }
    expect((await t.ok(UPDATE_STAGE, { id: stage.id, days: 365 }, admin)).updateStage.followUpAfterDays).toBe(365);
    expect((await t.ok(UPDATE_STAGE, { id: stage.id, days: null }, admin)).updateStage.followUpAfterDays).toBeNull();
    const pipelineId = (await t.ok(`{ stage(id: "${stage.id}") { pipeline { id } } }`, {}, admin)).stage.pipeline.id;
    const added = await t.gql(
      `mutation($p: ID!) { addStage(pipelineId: $p, input: { name: "Nurture", probability: 5, kind: OPEN, followUpAfterDays: 1000 }) { id } }`,
      { p: pipelineId },
      admin,
    );
    expect(errorFields(added)).toEqual(['followUpAfterDays']);
    expect(errorCode(await setFollowUpDays(stage.id, 3, seller))).toBe('FORBIDDEN');
  });
});

describe('stale deals', () => {
  let stageId: string;

  beforeAll(async () => {
    // A stage of its own, so the other tests' deals are not stale.
    const pipelineId = (await t.ok(`{ stage(id: "${openStage().id}") { pipeline { id } } }`, {}, admin)).stage.pipeline.id;
    stageId = (
      await t.ok(
        `mutation($p: ID!) { addStage(pipelineId: $p, input: { name: "Waiting", probability: 20, kind: OPEN, followUpAfterDays: 3 }) { id followUpAfterDays } }`,
        { p: pipelineId },
        admin,
      )
    ).addStage.id;
  });

  test('a deal idle for its stage’s days gets one task for its owner, however often and concurrently the sweep runs', async () => {
    const deal = await createDeal('Idle deal', seller, stageId);
    await sweep(daysFromNow(2.9));
    expect(await followUpsOf(deal)).toEqual([]);

    const at = daysFromNow(3.1);
    await Promise.all([sweep(at), sweep(at), sweep(at)]);
    await sweep(at);
    await sweep(daysFromNow(10));
    const tasks = await followUpsOf(deal);
    expect(tasks).toHaveLength(1);
    expect(tasks[0]).toMatchObject({ origin: 'STALE_DEAL', owner_id: uuid(seller.userId), subject: 'Follow up on Idle deal', completed_at: null });
    expect(tasks[0].due_at.getTime()).toBe(at.getTime());

    const listed = await t.ok(
      `query($d: ID!) { deal(id: $d) { activities { edges { node { type followUpOrigin done owner { id } } } } } }`,
      { d: deal },
      seller,
    );
    expect(listed.deal.activities.edges.map((edge: any) => edge.node)).toEqual([
      { type: 'TASK', followUpOrigin: 'STALE_DEAL', done: false, owner: { id: seller.userId } },
    ]);
    const filtered = await t.ok(
      `query($d: ID!) { activities(filter: { dealId: { eq: $d }, followUpOrigin: { eq: STALE_DEAL } }) { totalCount } }`,
      { d: deal },
      seller,
    );
    expect(filtered.activities.totalCount).toBe(1);
  });

  test('once the follow-up is completed and the deal is stale again, a new one; the old one cannot be reopened beside it', async () => {
    const deal = await createDeal('Slow deal', seller, stageId);
    await sweep(daysFromNow(4));
    const [first] = await followUpsOf(deal);
    const firstId = `act_${first.id.replace(/-/g, '')}`;
    await t.ok(`mutation($id: ID!) { completeTask(id: $id) { id } }`, { id: firstId }, seller);
    // Completing it is activity: not stale again until the stage's days have passed since.
    await sweep(daysFromNow(2.9));
    expect(await followUpsOf(deal)).toHaveLength(1);
    await sweep(daysFromNow(3.1));
    const tasks = await followUpsOf(deal);
    expect(tasks).toHaveLength(2);
    expect(tasks[1].completed_at).toBeNull();

    const reopened = await t.gql(`mutation($id: ID!) { reopenTask(id: $id) { id } }`, { id: firstId }, seller);
    expect(errorCode(reopened)).toBe('CONFLICT');
    expect((await followUpsOf(deal)).filter((task) => !task.completed_at)).toHaveLength(1);
  });

  test('a deleted follow-up frees the deal for a new one; restoring the old one beside it is a CONFLICT', async () => {
    const deal = await createDeal('Dropped deal', seller, stageId);
    await sweep(daysFromNow(4));
    const firstId = `act_${(await followUpsOf(deal))[0].id.replace(/-/g, '')}`;
    await t.ok(`mutation($id: ID!) { deleteActivity(id: $id) { id } }`, { id: firstId }, admin);
    await sweep(daysFromNow(4));
    expect(await followUpsOf(deal)).toHaveLength(2);
    const restored = await t.gql(`mutation($id: ID!) { restoreActivity(id: $id) { id } }`, { id: firstId }, admin);
    expect(errorCode(restored)).toBe('CONFLICT');
  });

  test('activity on the deal or a stage change restarts the clock', async () => {
    const withNote = await createDeal('Talked deal', seller, stageId);
    const moved = await createDeal('Moved deal', seller, openStage().id);
    const idle = await createDeal('Forgotten deal', seller, stageId);
    await superuser.query(`UPDATE deals SET created_at = now() - interval '10 days', stage_changed_at = now() - interval '10 days' WHERE id = ANY($1)`, [
      [withNote, moved, idle].map(uuid),
    ]);
    await t.ok(`mutation($d: ID!) { createActivity(input: { type: NOTE, subject: "Called", dealId: $d }) { id } }`, { d: withNote }, seller);
    const { moveDeal } = await t.ok(`mutation($d: ID!, $s: ID!) { moveDeal(id: $d, stageId: $s) { stageChangedAt } }`, { d: moved, s: stageId }, seller);
    expect(Date.now() - Date.parse(moveDeal.stageChangedAt)).toBeLessThan(60_000);
    // The move counts even once its event has left the log (RECORD_EVENTS_RETENTION_DAYS).
    await superuser.query(`DELETE FROM record_events WHERE record_id = $1`, [uuid(moved)]);
    await sweep(daysFromNow(1));
    expect(await followUpsOf(withNote)).toEqual([]);
    expect(await followUpsOf(moved)).toEqual([]);
    expect(await followUpsOf(idle)).toHaveLength(1);
  });

  test('won, lost, unowned deals, deals of a removed member and stages without the setting get none', async () => {
    const leaver = await t.member(admin, 'SALES');
    const leftBehind = await createDeal('Deal of a leaver', leaver, stageId);
    const { rows } = await superuser.query(`SELECT id FROM memberships WHERE user_id = $1`, [uuid(leaver.userId)]);
    await t.ok(`mutation($id: ID!) { removeMember(id: $id) { id } }`, { id: `mem_${rows[0].id.replace(/-/g, '')}` }, admin);
    const won = await createDeal('Won deal', seller, stageId);
    const lost = await createDeal('Lost deal', seller, stageId);
    const unowned = await createDeal('Nobody’s deal', null, stageId);
    const unset = await createDeal('Deal in a quiet stage', seller, openStage().id);
    await t.ok(`mutation($d: ID!) { winDeal(id: $d) { status } }`, { d: won }, seller);
    await t.ok(`mutation($d: ID!) { loseDeal(id: $d, reason: "Budget") { status } }`, { d: lost }, seller);
    for (const stage of stages.filter((s) => s.kind !== 'OPEN')) await t.ok(UPDATE_STAGE, { id: stage.id, days: 1 }, admin);
    await sweep(daysFromNow(400));
    for (const deal of [won, lost, unowned, unset, leftBehind]) expect(await followUpsOf(deal)).toEqual([]);
  });
});

describe('birthdays and renewals', () => {
  let org: Session;
  let owner: Session;

  const SETTINGS = `mutation($input: WorkspaceSettingsInput!) { updateWorkspaceSettings(input: $input) { timeZone birthdayTaskDaysBefore renewalTaskDaysBefore } }`;
  const settings = (input: Record<string, unknown>) => t.gql(SETTINGS, { input }, org);

  beforeAll(async () => {
    org = await t.signUp('Occasions Ltd');
    owner = await t.member(org, 'SALES');
  });

  async function contactBornOn(birthday: string, withOwner = true): Promise<string> {
    const input = { lastName: `Born ${birthday}`, birthday, ...(withOwner ? { ownerId: owner.userId } : {}) };
    return (await t.ok(`mutation($input: CreateContactInput!) { createContact(input: $input) { id birthday } }`, { input }, org)).createContact.id;
  }

  test('workspace settings: defaults, validation, admin only', async () => {
    expect((await t.ok(`{ workspace { timeZone birthdayTaskDaysBefore renewalTaskDaysBefore } }`, {}, org)).workspace).toEqual({
      timeZone: 'UTC',
      birthdayTaskDaysBefore: 0,
      renewalTaskDaysBefore: 30,
    });
    const bad = await settings({ timeZone: 'Mars/Olympus_Mons', birthdayTaskDaysBefore: -1, renewalTaskDaysBefore: 366 });
    expect(errorCode(bad)).toBe('BAD_USER_INPUT');
    expect(errorFields(bad).sort()).toEqual(['birthdayTaskDaysBefore', 'renewalTaskDaysBefore', 'timeZone']);
    expect(errorCode(await t.gql(SETTINGS, { input: { timeZone: 'Europe/Berlin' } }, owner))).toBe('FORBIDDEN');
    expect((await t.ok(`{ workspace { timeZone } }`, {}, org)).workspace.timeZone).toBe('UTC');
  });

  test('a birthday task on the day of the workspace’s time zone, once per year', async () => {
    const contact = await contactBornOn('1990-03-15');
    const unowned = await contactBornOn('1990-03-15', false);
    // 2027-03-14 12:00 UTC is already 2027-03-15 01:00 in Auckland (UTC+13).
    const instant = new Date('2027-03-14T12:00:00Z');
    await sweep(instant);
    expect(await followUpsOf(contact)).toEqual([]);
    expect((await t.ok(SETTINGS, { input: { timeZone: 'Pacific/Auckland' } }, org)).updateWorkspaceSettings.timeZone).toBe('Pacific/Auckland');
    await Promise.all([sweep(instant), sweep(instant)]);
    await sweep(new Date('2027-03-15T10:00:00Z'));
    const tasks = await followUpsOf(contact);
    expect(tasks).toHaveLength(1);
    expect(tasks[0]).toMatchObject({ origin: 'BIRTHDAY', owner_id: uuid(owner.userId), subject: 'Birthday of Born 1990-03-15 on 2027-03-15' });
    // Completing it does not bring it back the same year; the next year brings a new one.
    await t.ok(`mutation($id: ID!) { completeTask(id: $id) { id } }`, { id: `act_${tasks[0].id.replace(/-/g, '')}` }, owner);
    await sweep(instant);
    expect(await followUpsOf(contact)).toHaveLength(1);
    await sweep(new Date('2028-03-14T12:00:00Z'));
    expect((await followUpsOf(contact)).map((task) => task.subject)).toEqual([
      'Birthday of Born 1990-03-15 on 2027-03-15',
      'Birthday of Born 1990-03-15 on 2028-03-15',
    ]);
    expect(await followUpsOf(unowned)).toEqual([]);
    await settings({ timeZone: 'UTC' });
  });

  test('Feb 29 birthdays fall on Feb 28 in other years, and on Feb 29 in leap years', async () => {
    const contact = await contactBornOn('2000-02-29');
    await sweep(new Date('2027-02-28T12:00:00Z'));
    await sweep(new Date('2028-02-28T12:00:00Z'));
    await sweep(new Date('2028-02-29T12:00:00Z'));
    expect((await followUpsOf(contact)).map((task) => task.subject)).toEqual([
      'Birthday of Born 2000-02-29 on 2027-02-28',
      'Birthday of Born 2000-02-29 on 2028-02-29',
    ]);
  });

  test('the birthday offset creates the task days ahead', async () => {
    const contact = await contactBornOn('1985-07-10');
    await settings({ birthdayTaskDaysBefore: 2 });
    await sweep(new Date('2027-07-10T12:00:00Z'));
    expect(await followUpsOf(contact)).toEqual([]);
    await sweep(new Date('2027-07-08T12:00:00Z'));
    expect((await followUpsOf(contact)).map((task) => task.subject)).toEqual(['Birthday of Born 1985-07-10 on 2027-07-10']);
    await settings({ birthdayTaskDaysBefore: 0 });
  });

  test('a contract renewal task the offset’s days ahead (default 30), once per renewal date', async () => {
    const create = `mutation($input: CreateAccountInput!) { createAccount(input: $input) { id contractRenewalDate } }`;
    const account = (await t.ok(create, { input: { name: 'Renewing Inc', contractRenewalDate: '2027-06-30', ownerId: owner.userId } }, org)).createAccount;
    expect(account.contractRenewalDate).toBe('2027-06-30');
    const filtered = await t.ok(`{ accounts(filter: { contractRenewalDate: { gte: "2027-06-01", lt: "2027-07-01" } }) { edges { node { id } } } }`, {}, org);
    expect(filtered.accounts.edges.map((edge: any) => edge.node.id)).toEqual([account.id]);

    await sweep(new Date('2027-05-30T12:00:00Z'));
    expect(await followUpsOf(account.id)).toEqual([]);
    await sweep(new Date('2027-05-31T12:00:00Z'));
    await sweep(new Date('2027-05-31T18:00:00Z'));
    const tasks = await followUpsOf(account.id);
    expect(tasks).toHaveLength(1);
    expect(tasks[0]).toMatchObject({ origin: 'CONTRACT_RENEWAL', owner_id: uuid(owner.userId), subject: 'Contract renewal of Renewing Inc on 2027-06-30' });

    await settings({ renewalTaskDaysBefore: 7 });
    await sweep(new Date('2027-06-23T12:00:00Z'));
    expect(await followUpsOf(account.id)).toHaveLength(1);
    await settings({ renewalTaskDaysBefore: 30 });
  });

  test('contacts filter by birthday', async () => {
    const contact = await contactBornOn('1970-01-02');
    const found = await t.ok(`{ contacts(filter: { birthday: { eq: "1970-01-02" } }) { edges { node { id birthday } } } }`, {}, org);
    expect(found.contacts.edges.map((edge: any) => edge.node)).toEqual([{ id: contact, birthday: '1970-01-02' }]);
  });
});

test('the application role lists workspace ids through crm_workspace_ids only', async () => {
  const app = new Client({ connectionString: t.database.appUrl });
  await app.connect();
  try {
    const { rows } = await app.query(`SELECT crm_workspace_ids() AS id`);
    const { rows: all } = await superuser.query(`SELECT id FROM workspaces`);
    expect(rows.map((row) => row.id).sort()).toEqual(all.map((row) => row.id).sort());
    expect((await app.query(`SELECT count(*)::int AS n FROM workspaces`)).rows[0].n).toBe(0);
  } finally {
    await app.end();
  }
});

test('the worker schedules the sweep every FOLLOW_UP_SWEEP_MINUTES; its first run sweeps every workspace at once', async () => {
  const prefix = `crm-test-${randomBytes(4).toString('hex')}`;
  const queue = new Queue('follow-ups', { connection: producerConnection(t.app.runtime.config.REDIS_URL), prefix });
  const workers = await startWorkers({ ...t.app.runtime.config, FOLLOW_UP_SWEEP_MINUTES: 5 }, createLogger('silent'), { prefix, relay: false });
  try {
    expect(await queue.getJobScheduler('follow-up-sweep')).toMatchObject({ name: 'follow-up-sweep', every: 300_000 });
    const [run] = await waitFor('the first sweep', async () => {
      const done = await queue.getJobs(['completed']);
      return done.length > 0 ? done : undefined;
    });
    const { rows } = await superuser.query(`SELECT count(*)::int AS n FROM workspaces`);
    expect(run.returnvalue).toMatchObject({ workspaces: rows[0].n, failedWorkspaces: 0 });
  } finally {
    await workers.close();
    await queue.obliterate({ force: true });
    await queue.close();
  }
});
