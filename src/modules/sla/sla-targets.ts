import { registerEnumType } from 'type-graphql';
import { TicketStatus, type Ticket } from '../tickets';

export enum SlaTarget {
  FIRST_RESPONSE = 'FIRST_RESPONSE',
  RESOLUTION = 'RESOLUTION',
}
registerEnumType(SlaTarget, { name: 'SlaTarget' });

export enum SlaLevel {
  WARNING = 'WARNING',
  BREACH = 'BREACH',
}

/** A warning is due at this share of the business time from creation to a target. */
export const WARNING_SHARE = 0.8;

/** The SLA clock runs in these statuses only: PENDING waits on the customer, RESOLVED and CLOSED are settled. */
export const CLOCK_RUNS: readonly TicketStatus[] = [TicketStatus.NEW, TicketStatus.OPEN];

/** One target's columns on the ticket, and what meets it. */
export interface TargetState {
  target: SlaTarget;
  dueAt: Date | null;
  warnAt: Date | null;
  warnedAt: Date | null;
  breachedAt: Date | null;
  metAt: Date | null;
}

export function targetsOf(ticket: Ticket): TargetState[] {
  return [
    {
      target: SlaTarget.FIRST_RESPONSE,
      dueAt: ticket.firstResponseDueAt,
      warnAt: ticket.firstResponseWarnAt,
      warnedAt: ticket.firstResponseWarnedAt,
      breachedAt: ticket.firstResponseBreachedAt,
      metAt: ticket.firstResponseAt,
    },
    {
      target: SlaTarget.RESOLUTION,
      dueAt: ticket.resolutionDueAt,
      warnAt: ticket.resolutionWarnAt,
      warnedAt: ticket.resolutionWarnedAt,
      breachedAt: ticket.resolutionBreachedAt,
      metAt: ticket.resolvedAt,
    },
  ];
}

/** Column names of a target's fields, e.g. `resolutionWarnedAt`. */
export function columnsOf(target: SlaTarget) {
  const prefix = target === SlaTarget.FIRST_RESPONSE ? 'firstResponse' : 'resolution';
  return {
    dueAt: `${prefix}DueAt`,
    warnAt: `${prefix}WarnAt`,
    warnedAt: `${prefix}WarnedAt`,
    breachedAt: `${prefix}BreachedAt`,
  } as const satisfies Record<string, keyof Ticket>;
}

export interface Escalation {
  target: SlaTarget;
  level: SlaLevel;
  /** The due time it is about (dedupes its notifications). */
  dueAt: Date;
}

/**
 * The escalations a ticket owes at `now`: a warning once its warn time has passed, a breach
 * once its due time has, for each unmet target, while the clock runs. The markers make each
 * one owed once (the sweep's SQL, crm_sla_due_tickets, asks the same question).
 */
export function owedEscalations(ticket: Ticket, now: Date): Escalation[] {
  if (ticket.deletedAt || !CLOCK_RUNS.includes(ticket.status)) return [];
  return targetsOf(ticket).flatMap((state) => {
    if (state.metAt || !state.dueAt || !state.warnAt) return [];
    const owed: Escalation[] = [];
    if (!state.warnedAt && state.warnAt <= now) owed.push({ target: state.target, level: SlaLevel.WARNING, dueAt: state.dueAt });
    if (!state.breachedAt && state.dueAt <= now) owed.push({ target: state.target, level: SlaLevel.BREACH, dueAt: state.dueAt });
    return owed;
  });
}
