import type { RequestContext } from '../../kernel/context';
import { encodeId } from '../../kernel/ids';
import { ActivityType, type CreateActivityInput, activityService, FollowUpOrigin, type FollowUpMark } from '../activities';
import { membersService } from '../identity';
import { addDays, birthdaysCelebratedOn, localDate } from '../../kernel/time/local-date';

/** What one sweep of one workspace did: tasks created per origin. */
export type SweepCounts = Record<FollowUpOrigin, number>;

/** A task owed to `ownerId`, for the occasion `mark`, linked to one record. */
interface DueFollowUp {
  ownerId: string;
  subject: string;
  body: string;
  link: Pick<CreateActivityInput, 'dealId' | 'contactId' | 'accountId'>;
  mark: FollowUpMark;
}

/** Joined to every candidate: its owner must still be a member (a removed member gets no tasks). */
const LIVE_OWNER = `JOIN memberships m ON m.workspace_id = r.workspace_id AND m.user_id = r.owner_id AND m.deleted_at IS NULL`;

/**
 * Open, owned deals of stages with `follow_up_after_days` whose last activity is that many days
 * before `now` and that have no open follow-up yet. The last activity is the latest of: the
 * deal's creation, its last stage change, and the creation or completion
 * of any live activity linked to it (the previous follow-up task included).
 */
async function staleDeals(ctx: RequestContext, now: Date): Promise<DueFollowUp[]> {
  const rows = (await ctx.db.read((em) =>
    em.query(
      `SELECT r.id, r.name, r.owner_id, s.name AS stage, s.follow_up_after_days AS days
         FROM deals r
         JOIN stages s ON s.workspace_id = r.workspace_id AND s.id = r.stage_id
         ${LIVE_OWNER}
        WHERE r.workspace_id = $1 AND r.status = 'OPEN' AND r.deleted_at IS NULL AND s.follow_up_after_days IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM activities a
                           WHERE a.workspace_id = r.workspace_id AND a.follow_up_origin = 'STALE_DEAL' AND a.follow_up_key = r.id::text
                             AND a.completed_at IS NULL AND a.deleted_at IS NULL)
          AND GREATEST(
                r.created_at,
                r.stage_changed_at,
                (SELECT max(GREATEST(a.created_at, a.completed_at)) FROM activities a
                  WHERE a.workspace_id = r.workspace_id AND a.deal_id = r.id AND a.deleted_at IS NULL)
              ) <= $2::timestamptz - make_interval(days => s.follow_up_after_days)
        ORDER BY r.id`,
      [ctx.workspaceId, now],
    ),
  )) as Array<{ id: string; name: string; owner_id: string; stage: string; days: number }>;
  return rows.map((deal) => ({
    ownerId: deal.owner_id,
    subject: `Follow up on ${deal.name}`,
    body: `No activity on this deal for ${deal.days} days in stage ${deal.stage}.`,
    link: { dealId: encodeId('Deal', deal.id) },
    mark: { origin: FollowUpOrigin.STALE_DEAL, key: deal.id },
  }));
}

/** Live, owned contacts whose birthday is celebrated on `date` (Feb 29 birthdays on Feb 28 in other years). */
async function birthdays(ctx: RequestContext, date: string): Promise<DueFollowUp[]> {
  const days = birthdaysCelebratedOn(date);
  const rows = (await ctx.db.read((em) =>
    em.query(
      `SELECT r.id, concat_ws(' ', r.first_name, r.last_name) AS name, r.owner_id
         FROM contacts r ${LIVE_OWNER}
        WHERE r.workspace_id = $1 AND r.birthday IS NOT NULL AND r.deleted_at IS NULL
          AND (extract(month FROM r.birthday), extract(day FROM r.birthday)) IN (SELECT * FROM unnest($2::int[], $3::int[]))
        ORDER BY r.id`,
      [ctx.workspaceId, days.map((d) => d.month), days.map((d) => d.day)],
    ),
  )) as Array<{ id: string; name: string; owner_id: string }>;
  return rows.map((contact) => ({
    ownerId: contact.owner_id,
    subject: `Birthday of ${contact.name} on ${date}`,
    body: `${contact.name} celebrates their birthday on ${date}.`,
    link: { contactId: encodeId('Contact', contact.id) },
    mark: { origin: FollowUpOrigin.BIRTHDAY, key: `${contact.id}:${date.slice(0, 4)}` },
  }));
}

/** Live, owned accounts whose contract is up for renewal on `date`. */
async function renewals(ctx: RequestContext, date: string): Promise<DueFollowUp[]> {
  const rows = (await ctx.db.read((em) =>
    em.query(
      `SELECT r.id, r.name, r.owner_id FROM accounts r ${LIVE_OWNER}
        WHERE r.workspace_id = $1 AND r.contract_renewal_date = $2::date AND r.deleted_at IS NULL
        ORDER BY r.id`,
      [ctx.workspaceId, date],
    ),
  )) as Array<{ id: string; name: string; owner_id: string }>;
  return rows.map((account) => ({
    ownerId: account.owner_id,
    subject: `Contract renewal of ${account.name} on ${date}`,
    body: `The contract with ${account.name} is up for renewal on ${date}.`,
    link: { accountId: encodeId('Account', account.id) },
    mark: { origin: FollowUpOrigin.CONTRACT_RENEWAL, key: `${account.id}:${date}` },
  }));
}

/** Creates the tasks through the activity service (events, reminders); returns how many were new. */
async function createTasks(ctx: RequestContext, due: DueFollowUp[], now: Date): Promise<number> {
  let created = 0;
  for (const followUp of due) {
    const input: CreateActivityInput = {
      type: ActivityType.TASK,
      subject: followUp.subject.slice(0, 300),
      body: followUp.body,
      dueAt: now,
      ownerId: encodeId('User', followUp.ownerId),
      ...followUp.link,
    };
    if (await activityService.createFollowUp(ctx, input, followUp.mark)) created += 1;
  }
  return created;
}

export const followUpService = {
  /**
   * Creates the follow-up tasks owed in the context's workspace at `now`: stale deals, and the
   * birthdays and renewals of the workspace's day (its time zone) shifted by its offsets. Safe
   * to run twice or at once: the database keeps one task per occasion.
   */
  async sweep(ctx: RequestContext, now: Date): Promise<SweepCounts> {
    const workspace = await membersService.workspace(ctx);
    const today = localDate(now, workspace.timeZone);
    return {
      [FollowUpOrigin.STALE_DEAL]: await createTasks(ctx, await staleDeals(ctx, now), now),
      [FollowUpOrigin.BIRTHDAY]: await createTasks(ctx, await birthdays(ctx, addDays(today, workspace.birthdayTaskDaysBefore)), now),
      [FollowUpOrigin.CONTRACT_RENEWAL]: await createTasks(ctx, await renewals(ctx, addDays(today, workspace.renewalTaskDaysBefore)), now),
    };
  },
};
