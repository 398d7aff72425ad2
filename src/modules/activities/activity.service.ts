import { QueryFailedError, type EntityManager } from 'typeorm';
import type { RequestContext } from '../../kernel/context';
import { badField, notFound } from '../../kernel/errors';
import { registerNodeType } from '../../kernel/node-registry';
import type { Connection } from '../../kernel/pagination/connection';
import { checkHistoryFields } from '../../kernel/records/history';
import { RecordStore } from '../../kernel/records/record-store';
import type { ListArgs } from '../../kernel/records/list-args';
import { recordPort } from '../../kernel/records/record-port';
import { accountService } from '../accounts';
import { contactService } from '../contacts';
import { dealService } from '../deals';
import { membersService } from '../identity';
import { ticketService } from '../tickets';
import type { FollowUpMark } from './follow-up-origin';
import { Activity, ActivityType } from './activity.entity';
import { ACTIVITY_HISTORY_FIELDS, type ActivityFilter, type ActivityInput, type ActivityOrderField, type CreateActivityInput } from './activity.inputs';
import { activityModel } from './activity.model';
import { CUSTOMER_RESPONSES, STAMPED_NOW, assertShape } from './activity.rules';

export const activities = new RecordStore(activityModel);

type ActivityArgs = ListArgs<ActivityFilter, ActivityOrderField>;

/** The columns an activity list can hang below: `Account.activities` and its siblings. */
export type ActivityParentColumn = 'account_id' | 'contact_id' | 'deal_id' | 'ticket_id';

/** Input → columns: references decoded and checked, the subject trimmed. */
async function toColumns(ctx: RequestContext, input: ActivityInput): Promise<Partial<Activity>> {
  const { accountId, contactId, dealId, ticketId, ownerId, ...fields } = input;
  return {
    ...fields,
    subject: fields.subject?.trim(),
    accountId: await accountService.records.reference(ctx, accountId, 'accountId'),
    contactId: await contactService.records.reference(ctx, contactId, 'contactId'),
    dealId: await dealService.records.reference(ctx, dealId, 'dealId'),
    ticketId: await ticketService.records.reference(ctx, ticketId, 'ticketId'),
    ownerId: await membersService.memberRef(ctx, ownerId, 'ownerId'),
  };
}

/** The fields a patch actually sets (undefined means "not sent"). */
function sentFields(patch: Partial<Activity>): Partial<Activity> {
  return Object.fromEntries(Object.entries(patch).filter(([, value]) => value !== undefined));
}

/** The live activity, locked until the write commits so the rules are checked against what is stored. */
async function lockLive(ctx: RequestContext, em: EntityManager, id: string): Promise<Activity> {
  const activity = await em.getRepository(Activity).findOne({
    where: { id, workspaceId: ctx.workspaceId },
    lock: { mode: 'pessimistic_write' },
  });
  if (!activity || activity.deletedAt) throw notFound('Activity');
  return activity;
}

/**
 * Completes or reopens a task. A task already in the wanted state is returned unchanged (same
 * version, no expectedVersion check), so a retried call succeeds instead of failing.
 */
function setCompletion(ctx: RequestContext, id: string, done: boolean, expectedVersion?: number | null): Promise<Activity> {
  return ctx.db.write(async (em) => {
    const task = await lockLive(ctx, em, id);
    if (task.type !== ActivityType.TASK) throw badField('id', `is a ${task.type.toLowerCase()}, not a task`);
    if (task.done === done) return task;
    return activities.update(ctx, em, id, { completedAt: done ? () => 'now()' : null }, expectedVersion);
  });
}

/**
 * Logs an activity, owned by the acting member unless `ownerId` says otherwise. A call, email or
 * meeting on a ticket stamps the ticket's first response in the same transaction.
 */
async function insertActivity(ctx: RequestContext, input: CreateActivityInput, extra: Partial<Activity>): Promise<Activity> {
  const { type } = input;
  const { createdAt, ...fields } = input;
  await checkHistoryFields(ctx, input, ACTIVITY_HISTORY_FIELDS);
  const columns = await toColumns(ctx, fields);
  const values = {
    ...columns,
    ...extra,
    // Null leaves it to the database (now), as not sending it does.
    createdAt: createdAt ?? undefined,
    occurredAt: columns.occurredAt ?? (STAMPED_NOW.includes(type) ? new Date() : null),
    // An API key is no person: what it logs has no owner unless it names one.
    ownerId: columns.ownerId === undefined ? (ctx.actor?.userId ?? null) : columns.ownerId,
  };
  assertShape(type, values);
  return ctx.db.write(async (em) => {
    const activity = await activities.insert(ctx, em, values);
    if (activity.ticketId && CUSTOMER_RESPONSES.includes(type)) {
      await ticketService.recordFirstResponse(ctx, em, activity.ticketId, activity.occurredAt ?? new Date());
    }
    return activity;
  });
}

/** The unique indexes that keep one follow-up per occasion (migration 1763800000009). */
const FOLLOW_UP_KEYS = new Set(['activities_follow_up_open_key', 'activities_follow_up_occasion_key']);

function isFollowUpTaken(error: unknown): boolean {
  const driverError = error instanceof QueryFailedError ? (error.driverError as { code?: string; constraint?: string }) : null;
  return driverError?.code === '23505' && FOLLOW_UP_KEYS.has(driverError.constraint ?? '');
}

export const activityService = {
  /** For other modules: reads and bulk column updates, not the store (see RecordPort). */
  records: recordPort(activities),

  load: (ctx: RequestContext, id: string | null | undefined) => activities.load(ctx, id),

  get: (ctx: RequestContext, id: string) => activities.require(ctx, id),

  list: (ctx: RequestContext, args: ActivityArgs): Promise<Connection<Activity>> => activities.list(ctx, args),

  listFor: (ctx: RequestContext, column: ActivityParentColumn, parentId: string, args: ActivityArgs) =>
    activities.listForParent(ctx, { column, parentId }, args),

  create: (ctx: RequestContext, input: CreateActivityInput): Promise<Activity> => insertActivity(ctx, input, {}),

  /**
   * A task the CRM creates by itself (`mark` says why), with its created event like any other.
   * Returns null when the database already holds the task for that occasion (an open one for a
   * stale deal; any for a birthday or renewal): two sweeps at once create one task.
   */
  async createFollowUp(ctx: RequestContext, input: CreateActivityInput, mark: FollowUpMark): Promise<Activity | null> {
    try {
      return await insertActivity(ctx, { ...input, type: ActivityType.TASK }, { followUpOrigin: mark.origin, followUpKey: mark.key });
    } catch (error) {
      if (isFollowUpTaken(error)) return null;
      throw error;
    }
  },

  async update(ctx: RequestContext, id: string, input: ActivityInput, expectedVersion?: number | null): Promise<Activity> {
    const patch = await toColumns(ctx, input);
    return ctx.db.write(async (em) => {
      const current = await lockLive(ctx, em, id);
      assertShape(current.type, { ...current, ...sentFields(patch) });
      return activities.update(ctx, em, id, patch, expectedVersion);
    });
  },

  delete: (ctx: RequestContext, id: string, expectedVersion?: number | null) =>
    ctx.db.write((em) => activities.softDelete(ctx, em, id, expectedVersion)),

  restore: (ctx: RequestContext, id: string) => ctx.db.write((em) => activities.restore(ctx, em, id)),

  completeTask: (ctx: RequestContext, id: string, expectedVersion?: number | null) => setCompletion(ctx, id, true, expectedVersion),

  reopenTask: (ctx: RequestContext, id: string, expectedVersion?: number | null) => setCompletion(ctx, id, false, expectedVersion),
};

registerNodeType('Activity', activityService.load);
