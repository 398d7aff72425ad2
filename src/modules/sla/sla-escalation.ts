import type { EntityManager } from 'typeorm';
import type { RequestContext } from '../../kernel/context';
import { notificationService } from '../notifications';
import { Ticket, TicketPriority, ticketService } from '../tickets';
import { columnsOf, owedEscalations, SlaLevel, type Escalation } from './sla-targets';

const PRIORITY_STEPS: readonly TicketPriority[] = [TicketPriority.LOW, TicketPriority.NORMAL, TicketPriority.HIGH, TicketPriority.URGENT];

/** `steps` priorities up, stopping at the top. */
export function raised(priority: TicketPriority, steps: number): TicketPriority {
  return PRIORITY_STEPS[Math.min(PRIORITY_STEPS.indexOf(priority) + steps, PRIORITY_STEPS.length - 1)];
}

/**
 * Who hears of an escalation: the assignee (while a member) and their manager; without a
 * manager who is a member (or without an assignee) the workspace's admins instead, so that
 * someone with authority always hears of a breach.
 */
async function recipientsOf(ctx: RequestContext, em: EntityManager, assigneeId: string | null): Promise<string[]> {
  const rows = (await em.query(
    `WITH seat AS (
       SELECT user_id, manager_id FROM memberships WHERE workspace_id = $1 AND user_id = $2 AND deleted_at IS NULL
     ), boss AS (
       SELECT m.user_id FROM memberships m JOIN seat ON m.user_id = seat.manager_id
       WHERE m.workspace_id = $1 AND m.deleted_at IS NULL
     )
     SELECT user_id FROM seat
     UNION SELECT user_id FROM boss
     UNION SELECT user_id FROM memberships
       WHERE workspace_id = $1 AND role = 'ADMIN' AND deleted_at IS NULL AND NOT EXISTS (SELECT 1 FROM boss)`,
    [ctx.workspaceId, assigneeId],
  )) as Array<{ user_id: string }>;
  return rows.map((row) => row.user_id);
}

/** The markers of the escalations handled now: a breach also counts as the (late) warning. */
function markers(escalations: Escalation[], now: Date): Partial<Record<string, Date>> {
  const patch: Partial<Record<string, Date>> = {};
  for (const { target, level } of escalations) {
    const columns = columnsOf(target);
    patch[columns.warnedAt] = now;
    if (level === SlaLevel.BREACH) patch[columns.breachedAt] = now;
  }
  return patch;
}

/**
 * Handles the escalations the ticket owes at `now` in the caller's transaction: marks them,
 * raises the priority one step for each (a system update with its record event; the due times
 * stay, they were promised under the old priority), and notifies the recipients once per
 * (ticket, target, level, due time). The row lock and the markers make a second run, or a
 * sweep racing a job, do nothing. Returns what it handled.
 */
export async function escalateTicket(ctx: RequestContext, em: EntityManager, ticketId: string, now: Date): Promise<Escalation[]> {
  const ticket = await em.getRepository(Ticket).findOne({ where: { id: ticketId, workspaceId: ctx.workspaceId }, lock: { mode: 'pessimistic_write' } });
  if (!ticket) return [];
  const owed = owedEscalations(ticket, now);
  if (owed.length === 0) return [];
  await ticketService.escalate(ctx, em, ticketId, { ...markers(owed, now), priority: raised(ticket.priority, owed.length) });
  const recipients = await recipientsOf(ctx, em, ticket.assigneeId);
  for (const { target, level, dueAt } of owed) {
    for (const userId of recipients) {
      await notificationService.notify(ctx, em, {
        userId,
        kind: `SLA_${target}_${level}`,
        subject: ticket.subject,
        recordType: 'Ticket',
        recordId: ticketId,
        dedupeKey: `sla:${ticketId}:${target}:${level}:${dueAt.getTime()}:${userId}`,
      });
    }
  }
  return owed;
}
