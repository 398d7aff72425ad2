import type { EntityManager } from 'typeorm';
import type { RequestContext } from '../../kernel/context';

/** A task as its reminders need it. */
export interface RemindableTask {
  subject: string;
  ownerId: string;
  dueAt: Date;
}

/**
 * The task reminders are owed for, or null: a live, open, owned task with a due time.
 * `lock` holds the row (FOR SHARE) for the rest of the caller's transaction.
 */
export async function remindableTask(ctx: RequestContext, em: EntityManager, taskId: string, lock = false): Promise<RemindableTask | null> {
  const [task] = (await em.query(
    `SELECT type, subject, due_at, completed_at, owner_id, deleted_at FROM activities WHERE workspace_id = $1 AND id = $2${lock ? ' FOR SHARE' : ''}`,
    [ctx.workspaceId, taskId],
  )) as Array<{ type: string; subject: string; due_at: Date | null; completed_at: Date | null; owner_id: string | null; deleted_at: Date | null }>;
  if (!task || task.type !== 'TASK' || task.deleted_at || task.completed_at || !task.owner_id || !task.due_at) return null;
  return { subject: task.subject, ownerId: task.owner_id, dueAt: task.due_at };
}
