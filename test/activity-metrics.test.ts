import type { Client } from 'pg';
import { parseId } from '../src/kernel/ids';
import { superuserClient } from './support/databases';
import { errorCode, errorFields, TestApp, type Session } from './support/test-app';

/**
 * activityMetrics: per member per ISO week in Europe/Berlin, zeros where nothing happened, and
 * who sees whom. Members: Ada Admin, Mia (MANAGER), Lea (SALES) managing Rob (SALES) managing
 * Ria (SALES), Ole (SALES, no manager), Sam (SUPPORT). March 2026 covers W09 (Feb 23–Mar 1)
 * to W14 (Mar 30–Apr 5), each week whole.
 */
let t: TestApp;
let admin: Session;
let superuser: Client;
const people: Record<string, Session> = {};
let accountId: string;
const uuid = (id: string) => parseId(id)!.uuid;

const METRICS = `query($period: Period!) {
  activityMetrics(period: $period) {
    period weeks from to
    members { user { id name } overdueTasks total { calls meetings emails notes completedTasks } weeks { week weekStart calls meetings emails notes completedTasks } }
    totals { week calls meetings emails notes completedTasks }
  }
}`;

async function person(name: string, role: string): Promise<Session> {
  const email = `${name.toLowerCase()}.${Date.now()}@example.com`;
  const memberId = (await t.ok(`mutation($input: AddMemberInput!) { addMember(input: $input) { id } }`, { input: { email, role, name, password: 'correct horse battery' } }, admin)).addMember.id;
  const s = (await t.ok(`mutation($input: SignInInput!) { signIn(input: $input) { token refreshToken user { id } workspace { id } } }`, { input: { email, password: 'correct horse battery', workspaceId: admin.workspaceId } })).signIn;
  return { token: s.token, refreshToken: s.refreshToken, userId: s.user.id, workspaceId: s.workspace.id, email, memberId } as Session & { memberId: string };
}

const manage = (member: Session, manager: Session) =>
  t.ok(`mutation($m: ID!, $u: ID) { setMemberManager(memberId: $m, managerId: $u) { id } }`, { m: (member as Session & { memberId: string }).memberId, u: manager.userId }, admin);

/** An activity of `owner`; times set afterwards as stored (occurredAt, completedAt, dueAt). */
async function activity(owner: Session, type: string, times: { occurredAt?: string | null; completedAt?: string; dueAt?: string }, trashed = false): Promise<void> {
  const id = (await t.ok(`mutation($input: CreateActivityInput!) { createActivity(input: $input) { id } }`, { input: { type, subject: type, accountId, ownerId: owner.userId } }, admin)).createActivity.id;
  await superuser.query(`UPDATE activities SET occurred_at = $2, completed_at = $3, due_at = $4 WHERE id = $1`, [
    uuid(id),
    times.occurredAt ?? null,
    times.completedAt ?? null,
    times.dueAt ?? null,
  ]);
  if (trashed) await t.ok(`mutation($id: ID!) { deleteActivity(id: $id) { id } }`, { id }, admin);
}

beforeAll(async () => {
  t = await TestApp.start('activity_metrics');
  admin = await t.signUp();
  superuser = await superuserClient(t.database.name);
  await t.ok(`mutation { updateWorkspaceSettings(input: { timeZone: "Europe/Berlin" }) { id } }`, {}, admin);
  accountId = (await t.ok(`mutation { createAccount(input: { name: "Diary GmbH" }) { id } }`, {}, admin)).createAccount.id;
  for (const [name, role] of [['Mia', 'MANAGER'], ['Lea', 'SALES'], ['Rob', 'SALES'], ['Ria', 'SALES'], ['Ole', 'SALES'], ['Sam', 'SUPPORT']]) people[name] = await person(name, role);
  await manage(people.Rob, people.Lea);
  await manage(people.Ria, people.Rob);
  const rob = people.Rob;
  await activity(rob, 'CALL', { occurredAt: '2026-03-08T22:30:00Z' }); // Sunday 23:30 in Berlin: W10
  await activity(rob, 'CALL', { occurredAt: '2026-03-08T23:30:00Z' }); // Monday 00:30 in Berlin: W11 (W10 in UTC)
  await activity(rob, 'MEETING', { occurredAt: '2026-03-10T09:00:00Z' });
  await activity(rob, 'EMAIL', { occurredAt: '2026-03-11T09:00:00Z' });
  await activity(rob, 'NOTE', { occurredAt: '2026-03-12T09:00:00Z' });
  await activity(rob, 'TASK', { completedAt: '2026-03-13T10:00:00Z', dueAt: '2026-03-01T00:00:00Z' }); // done: counts, not overdue
  await activity(rob, 'CALL', { occurredAt: '2026-02-28T12:00:00Z' }); // Saturday of W09, which overlaps March: counted
  await activity(rob, 'TASK', { completedAt: '2026-02-20T10:00:00Z' }); // W08: outside
  await activity(rob, 'CALL', { occurredAt: '2026-03-10T10:00:00Z' }, true); // trashed: never
  await activity(rob, 'MEETING', { occurredAt: null }); // not scheduled: not happened
  await activity(rob, 'MEETING', { occurredAt: '2099-03-10T10:00:00Z' }); // still to come: not happened
  await activity(rob, 'TASK', { dueAt: '2026-03-01T00:00:00Z' }); // overdue
  await activity(rob, 'TASK', { dueAt: '2099-01-01T00:00:00Z' }); // open, not yet due
  await activity(rob, 'TASK', { dueAt: '2026-03-01T00:00:00Z' }, true); // trashed: not overdue
  await activity(people.Ria, 'EMAIL', { occurredAt: '2026-03-16T08:00:00Z' });
  await activity(people.Ole, 'NOTE', { occurredAt: '2026-03-17T08:00:00Z' });
});
afterAll(async () => {
  await superuser.end();
  await t.stop();
});

const WEEKS = ['2026-W09', '2026-W10', '2026-W11', '2026-W12', '2026-W13', '2026-W14'];
const counts = (calls: number, meetings: number, emails: number, notes: number, completedTasks: number) => ({ calls, meetings, emails, notes, completedTasks });
const none = counts(0, 0, 0, 0, 0);
type Metrics = { members: Array<{ user: { name: string }; overdueTasks: number; total: unknown; weeks: Array<Record<string, unknown>> }>; totals: Array<Record<string, unknown>> };
const grid = (metrics: Metrics, name: string) => metrics.members.find((m) => m.user.name === name)!.weeks.map(({ week, weekStart, ...rest }) => rest);

test('whole ISO weeks in the workspace’s zone, zeros where nothing happened, overdue tasks now', async () => {
  const { activityMetrics } = await t.ok(METRICS, { period: '2026-03' }, admin);
  expect(activityMetrics).toMatchObject({ period: '2026-03', weeks: WEEKS, from: '2026-02-23', to: '2026-04-06' });
  expect(activityMetrics.members.map((m: { user: { name: string } }) => m.user.name)).toEqual(['Ada Admin', 'Lea', 'Mia', 'Ole', 'Ria', 'Rob', 'Sam']);
  expect(activityMetrics.members[5].weeks.map((w: { weekStart: string }) => w.weekStart)).toEqual(['2026-02-23', '2026-03-02', '2026-03-09', '2026-03-16', '2026-03-23', '2026-03-30']);
  expect(grid(activityMetrics, 'Rob')).toEqual([counts(1, 0, 0, 0, 0), counts(1, 0, 0, 0, 0), counts(1, 1, 1, 1, 1), none, none, none]);
  expect(activityMetrics.members.find((m: { user: { name: string } }) => m.user.name === 'Rob')).toMatchObject({ overdueTasks: 1, total: counts(3, 1, 1, 1, 1) });
  expect(grid(activityMetrics, 'Ada Admin')).toEqual(WEEKS.map(() => none));
  expect(grid(activityMetrics, 'Ria')).toEqual([none, none, none, counts(0, 0, 1, 0, 0), none, none]);
  expect(activityMetrics.totals.map(({ week, ...rest }: Record<string, unknown>) => rest)).toEqual([
    counts(1, 0, 0, 0, 0), counts(1, 0, 0, 0, 0), counts(1, 1, 1, 1, 1), counts(0, 0, 1, 1, 0), none, none,
  ]);
});

test('an ISO week period is that one week', async () => {
  const { activityMetrics } = await t.ok(METRICS, { period: '2026-W11' }, admin);
  expect(activityMetrics.weeks).toEqual(['2026-W11']);
  expect(grid(activityMetrics, 'Rob')).toEqual([counts(1, 1, 1, 1, 1)]);
});

test('who sees whom: ADMIN, MANAGER and API keys everyone; others themselves and who reports to them, further down too', async () => {
  const seen = async (who: Session | string) => (await t.ok(METRICS, { period: '2026-03' }, who)).activityMetrics.members.map((m: { user: { name: string } }) => m.user.name);
  const everyone = ['Ada Admin', 'Lea', 'Mia', 'Ole', 'Ria', 'Rob', 'Sam'];
  expect(await seen(people.Mia)).toEqual(everyone);
  expect(await seen(people.Lea)).toEqual(['Lea', 'Ria', 'Rob']);
  expect(await seen(people.Rob)).toEqual(['Ria', 'Rob']);
  expect(await seen(people.Ole)).toEqual(['Ole']);
  expect(await seen(people.Sam)).toEqual(['Sam']);
  const key = (await t.ok(`mutation { createApiKey(input: { name: "BI", scopes: ["reports:read"] }) { token } }`, {}, admin)).createApiKey.token;
  expect(await seen(key)).toEqual(everyone);
  const noScope = (await t.ok(`mutation { createApiKey(input: { name: "ERP", scopes: ["crm:read"] }) { token } }`, {}, admin)).createApiKey.token;
  expect(errorCode(await t.gql(METRICS, { period: '2026-03' }, noScope))).toBe('FORBIDDEN');
});

test('a period that does not parse names the field', async () => {
  const result = await t.gql(METRICS, { period: '2026-W54' }, admin);
  expect([errorCode(result), errorFields(result)]).toEqual(['BAD_USER_INPUT', ['period']]);
});
