import type { EntityManager } from 'typeorm';
import type { RequestContext } from '../../kernel/context';
import { membersService } from '../identity';
import { notificationService } from '../notifications';
import { Ticket, TicketPriority, ticketService } from '../tickets';
import { columnsOf, owedEscalations, SlaLevel, type Escalation } from './sla-targets';

const PRIORITY_STEPS: readonly TicketPriority[] = [TicketPriority.LOW, TicketPriority.NORMAL, TicketPriority.HIGH, TicketPriority.URGENT];

/** `steps` priorities up, stopping at the top. */
export function raised(priority: TicketPriority, steps: number): TicketPriority {
  return PRIORITY_STEPS[Math.min(PRIORITY_STEPS.indexOf(priority) + steps, PRIORITY_STEPS.length - 1)];
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
  const recipients = await membersService.answerableFor(ctx, em, ticket.assigneeId);
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
