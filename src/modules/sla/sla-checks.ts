import type { EntityManager } from 'typeorm';
import { RequestContext, type AppRuntime } from '../../kernel/context';
import type { Producers, RecordEventPayload } from '../../kernel/queue';
import { Ticket } from '../tickets';
import { escalateTicket } from './sla-escalation';
import { CLOCK_RUNS, SlaLevel, targetsOf, type Escalation, type SlaTarget } from './sla-targets';

/**
 * Ticket SLA escalations. Each ticket event schedules delayed `sla-check` jobs at the warn and
 * due times still ahead of it; a check re-reads the ticket and handles whatever is owed at the
 * moment it runs (escalateTicket), so stale jobs (due times moved by a pause, a resolved
 * ticket) find nothing to do and are left to run out rather than hunted down. The per-minute
 * `sla-sweep` catches what no job did (a job lost with Redis, an event handled late).
 */

/** The ticket events that can move a warn or due time. */
export const SLA_CHECK_EVENTS = ['ticket.created', 'ticket.updated', 'ticket.restored'] as const;

/** Tickets handled per sweep; the next sweep, a minute later, takes the rest. */
export const SWEEP_BATCH = 500;

/** BullMQ refuses ':' in custom ids. */
export function slaCheckJobId(ticketId: string, target: SlaTarget, level: SlaLevel, at: Date): string {
  return `sla-${ticketId}-${target}-${level}-${at.getTime()}`;
}

/** The checks a ticket still needs: each unhandled warn and due time of its unmet targets, while its clock runs. */
export function plannedChecks(ticket: Ticket): Array<{ jobId: string; at: Date }> {
  if (ticket.deletedAt || !CLOCK_RUNS.includes(ticket.status)) return [];
  return targetsOf(ticket).flatMap((state) => {
    if (state.metAt || !state.dueAt || !state.warnAt) return [];
    const moments: Array<[SlaLevel, Date, Date | null]> = [
      [SlaLevel.WARNING, state.warnAt, state.warnedAt],
      [SlaLevel.BREACH, state.dueAt, state.breachedAt],
    ];
    return moments.filter(([, , handled]) => !handled).map(([level, at]) => ({ jobId: slaCheckJobId(ticket.id, state.target, level, at), at }));
  });
}

/** Adds the delayed checks the event's ticket needs now (deterministic ids: adding one twice adds it once). */
export async function scheduleSlaChecks(em: EntityManager, event: RecordEventPayload, queue: Producers['sla']): Promise<void> {
  const ticket = await em.getRepository(Ticket).findOneBy({ id: event.recordId, workspaceId: event.workspaceId });
  if (!ticket) return;
  for (const { jobId, at } of plannedChecks(ticket)) {
    await queue.add(
      'sla-check',
      { workspaceId: event.workspaceId, ticketId: ticket.id },
      { jobId, delay: Math.max(0, at.getTime() - Date.now()), attempts: 3, backoff: { type: 'exponential', delay: 5_000 } },
    );
  }
}

/** Handles what the ticket owes at `now`, as the system in its workspace (the priority raise is a system update). */
export async function checkTicketSla(runtime: AppRuntime, workspaceId: string, ticketId: string, now: Date): Promise<Escalation[]> {
  return RequestContext.asSystem(runtime, workspaceId, `sla:${ticketId}`, (ctx) => ctx.db.write((em) => escalateTicket(ctx, em, ticketId, now)));
}

/**
 * Every ticket of every workspace with an escalation owed at `now` (crm_sla_due_tickets, a
 * SECURITY DEFINER function: row-level security confines the application role to one
 * workspace), each checked on its own: one failing ticket does not hold back the others.
 */
export async function sweepSla(runtime: AppRuntime, now: Date, batch = SWEEP_BATCH): Promise<{ checked: number; escalated: number; failed: number }> {
  const rows = (await runtime.dataSource.query(`SELECT workspace_id, ticket_id FROM crm_sla_due_tickets($1, $2)`, [now, batch])) as Array<{
    workspace_id: string;
    ticket_id: string;
  }>;
  let escalated = 0;
  let failed = 0;
  for (const row of rows) {
    try {
      escalated += (await checkTicketSla(runtime, row.workspace_id, row.ticket_id, now)).length;
    } catch (error) {
      failed++;
      runtime.logger.error({ err: error, ticketId: row.ticket_id, workspaceId: row.workspace_id }, 'SLA check failed in sweep');
    }
  }
  return { checked: rows.length, escalated, failed };
}
