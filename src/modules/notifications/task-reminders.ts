import type { Queue } from 'bullmq';
import type { DataSource, EntityManager } from 'typeorm';
import { RequestContext, type AppRuntime } from '../../kernel/context';
import type { IdentifiedJob, RecordEventPayload, ReminderKind, TaskReminderPayload } from '../../kernel/queue';
import { remindableTask } from '../activities';
import { notificationService } from './notification.service';

/**
 * Task reminders: the owner of an open task with a due time is notified at that time
 * (TASK_DUE) and TASK_REMINDER_LEAD_MINUTES before it (TASK_DUE_SOON), through delayed jobs on
 * the `reminders` queue. Job ids are derived from (task, due time, kind), so scheduling twice
 * adds one job, and the jobs of a due time the task no longer has can be found and removed.
 */

/** The task events that can change which reminders are owed. */
export const TASK_REMINDER_EVENTS = ['activity.created', 'activity.updated', 'activity.deleted', 'activity.restored'] as const;

/** BullMQ refuses ':' in custom ids. */
export function reminderJobId(taskId: string, dueAt: Date, kind: ReminderKind): string {
  return `reminder-${taskId}-${dueAt.getTime()}-${kind}`;
}

/** The occasion a notification is sent for: once per task, due time and kind. */
const dedupeKey = (taskId: string, dueAt: Date, kind: ReminderKind) => `${kind}:${taskId}:${dueAt.toISOString()}`;

/** The jobs owed for a due time: TASK_DUE always (at once if already past), TASK_DUE_SOON only while still ahead. */
function wantedJobs(dueAt: Date, leadMinutes: number, now: number): Array<{ kind: ReminderKind; at: number }> {
  const jobs: Array<{ kind: ReminderKind; at: number }> = [{ kind: 'TASK_DUE', at: dueAt.getTime() }];
  const soon = dueAt.getTime() - leadMinutes * 60_000;
  if (leadMinutes > 0 && soon > now) jobs.push({ kind: 'TASK_DUE_SOON', at: soon });
  return jobs;
}

const KINDS: readonly ReminderKind[] = ['TASK_DUE', 'TASK_DUE_SOON'];

async function removeJob(queue: Queue, id: string): Promise<void> {
  // A job already running cannot be removed; its processor re-checks the task and stays silent.
  await queue.remove(id).catch(() => undefined);
}

/**
 * Schedules from the task as it is now (not as the event left it, so events handled out of
 * order still converge) and removes the jobs of the due times the event's before and after
 * snapshots name that are no longer owed: a moved, completed or deleted task.
 */
export async function scheduleTaskReminders(ctx: RequestContext, em: EntityManager, event: RecordEventPayload, queue: Queue<TaskReminderPayload>): Promise<void> {
  const [row] = (await em.query(`SELECT before, after FROM record_events WHERE id = $1`, [event.eventId])) as Array<{
    before: { dueAt?: string | null } | null;
    after: { dueAt?: string | null } | null;
  }>;
  const task = await remindableTask(ctx, em, event.recordId);
  const wanted = new Map<string, { kind: ReminderKind; at: number }>();
  if (task) {
    for (const job of wantedJobs(task.dueAt, ctx.runtime.config.TASK_REMINDER_LEAD_MINUTES, Date.now())) {
      wanted.set(reminderJobId(event.recordId, task.dueAt, job.kind), job);
    }
  }
  const seen = [row?.before?.dueAt, row?.after?.dueAt].filter((value): value is string => !!value).map((value) => new Date(value));
  for (const due of seen) {
    for (const kind of KINDS) {
      const id = reminderJobId(event.recordId, due, kind);
      if (!wanted.has(id)) await removeJob(queue, id);
    }
  }
  for (const job of wanted.values()) {
    const { name, data, opts } = reminderJob(event.workspaceId, event.recordId, task!.dueAt, job.kind, job.at);
    await queue.add(name, data, opts);
  }
}

/** The delayed job that sends one reminder at `at`. */
function reminderJob(workspaceId: string, taskId: string, dueAt: Date, kind: ReminderKind, at: number): IdentifiedJob<TaskReminderPayload> {
  return {
    name: 'task-reminder',
    data: { workspaceId, taskId, dueAt: dueAt.toISOString(), kind },
    opts: { jobId: reminderJobId(taskId, dueAt, kind), delay: Math.max(0, at - Date.now()), attempts: 3, backoff: { type: 'exponential', delay: 5_000 } },
  };
}

/** At most this many owed reminders are queued per reconciler pass; the next pass takes the rest. */
const OWED_BATCH = 1000;

/**
 * The jobs of reminders owed more than `overdueMs` ago that have no notification yet: their delayed
 * job was lost with Redis (the event that scheduled it is settled). Only due times within
 * `keepMs` are looked at, as the event ledger keeps events. Queueing one again cannot notify
 * twice: the job re-checks the task and the notification's dedupe key makes a second one a no-op.
 */
export async function owedReminders(dataSource: DataSource, overdueMs: number, leadMinutes: number, keepMs: number): Promise<Array<IdentifiedJob<TaskReminderPayload>>> {
  const rows = (await dataSource.query(
    `SELECT * FROM crm_owed_task_reminders(make_interval(secs => $1::float8 / 1000), make_interval(secs => $2::float8 * 60), make_interval(secs => $3::float8 / 1000), $4)`,
    [overdueMs, leadMinutes, keepMs, OWED_BATCH],
  )) as Array<{ workspace_id: string; task_id: string; due_at: Date; kind: ReminderKind }>;
  return rows.map((row) => reminderJob(row.workspace_id, row.task_id, new Date(row.due_at), row.kind, 0));
}

/**
 * Notifies the task's owner if the reminder is still owed: the task is live, open, owned and
 * still due at the time the job was scheduled for. The dedupe key makes a second run a no-op.
 */
export function remindTaskOwner(runtime: AppRuntime, requestId: string, reminder: TaskReminderPayload): Promise<{ notified: boolean; stale: boolean }> {
  const { workspaceId, taskId, kind } = reminder;
  const dueAt = new Date(reminder.dueAt);
  return RequestContext.asSystem(runtime, workspaceId, requestId, (ctx) =>
    ctx.db.write(async (em) => {
      const task = await remindableTask(ctx, em, taskId, true);
      if (!task || task.dueAt.getTime() !== dueAt.getTime()) return { notified: false, stale: true };
      const id = await notificationService.notify(ctx, em, {
        userId: task.ownerId,
        kind,
        subject: task.subject,
        recordType: 'Activity',
        recordId: taskId,
        dedupeKey: dedupeKey(taskId, dueAt, kind),
      });
      return { notified: id !== null, stale: false };
    }),
  );
}
