import type { EntityManager } from 'typeorm';
import type { RequestContext } from '../../kernel/context';
import { hook } from '../../kernel/hook';
import type { Ticket, TicketPriority, TicketStatus } from './ticket.entity';

export type SlaDueTimes = Pick<Ticket, 'firstResponseDueAt' | 'firstResponseWarnAt' | 'resolutionDueAt' | 'resolutionWarnAt'>;

/**
 * How a ticket's SLA due times move: set on creation, recomputed when a person changes the
 * priority, moved on by the time the clock stood still. The sla module keeps the policies and
 * calendars and depends on tickets, so it registers the clock here when its face loads; tickets
 * never import sla. The patches merge into the ticket's own write.
 */
/** What a new ticket's SLA times follow from: created live, or taken over with its history. */
export type NewTicketTimes = Pick<Ticket, 'priority' | 'status' | 'createdAt' | 'firstResponseAt' | 'resolvedAt'>;

export interface SlaClock {
  /**
   * A new ticket's due and warn times, counted from its createdAt; for one taken over with its
   * history, moments already past at `now` are recorded as passed (no escalation for the past)
   * and a settled one's clock stands still from when it was resolved.
   */
  forNewTicket(ctx: RequestContext, em: EntityManager, ticket: NewTicketTimes, now: Date): Promise<Partial<Ticket>>;
  onPriorityChange(ctx: RequestContext, em: EntityManager, ticket: Ticket, priority: TicketPriority, now: Date): Promise<Partial<Ticket>>;
  /** Due times and markers after a ticket's history times were corrected (an upsert with history:write); none past escalates. */
  onTimesChange(ctx: RequestContext, em: EntityManager, ticket: Ticket, times: NewTicketTimes, now: Date): Promise<Partial<Ticket>>;
  onStatusChange(ctx: RequestContext, em: EntityManager, ticket: Ticket, to: TicketStatus, now: Date): Promise<Partial<Ticket>>;
}

const clock = hook<SlaClock>('No SLA clock registered: the sla module (src/modules/sla) must be loaded to write tickets');

export const keepSlaTimesWith = clock.fill;
export const slaClock = clock.get;
