import DataLoader from 'dataloader';
import { IsNull, type EntityManager } from 'typeorm';
import type { RequestContext } from '../../kernel/context';
import { keepSlaTimesWith, type NewTicketTimes, type SlaClock, type SlaDueTimes, type Ticket, type TicketPriority, TicketStatus } from '../tickets';
import { BusinessCalendar } from './business-calendar.entity';
import { addBusinessMinutes, businessMinutesBetween, type BusinessHours } from '../../kernel/time/business-time';
import { businessHoursOf, ROUND_THE_CLOCK } from './calendar-rules';
import { CLOCK_RUNS, columnsOf, owedEscalations, SlaLevel, WARNING_SHARE } from './sla-targets';
import type { SlaPolicy } from './sla-policy.entity';
import { policyOfPriority } from './sla-policy.service';

/**
 * The SLA clock the ticket service calls (tickets' SlaClock hook, registered below): due times
 * set on creation, recomputed when a person changes the priority, moved on by the business time
 * the clock stood still (PENDING, RESOLVED, CLOSED). The patches merge into the ticket's own
 * write, so they are in its record event.
 */

const NO_SLA: SlaDueTimes = { firstResponseDueAt: null, firstResponseWarnAt: null, resolutionDueAt: null, resolutionWarnAt: null };

interface Clock {
  policy: SlaPolicy;
  hours: BusinessHours;
}

/** The policy of a priority with the hours it counts in, or null without a policy. */
async function readClock(ctx: RequestContext, em: EntityManager, priority: TicketPriority): Promise<Clock | null> {
  const policy = await policyOfPriority(ctx, em, priority);
  if (!policy) return null;
  const repository = em.getRepository(BusinessCalendar);
  const calendar = policy.calendarId
    ? await repository.findOneBy({ workspaceId: ctx.workspaceId, id: policy.calendarId })
    : await repository.findOneBy({ workspaceId: ctx.workspaceId, isDefault: true, deletedAt: IsNull() });
  return { policy, hours: calendar ? businessHoursOf(calendar) : ROUND_THE_CLOCK };
}

/** `readClock`, once per priority until the request's next write (a bulk call's new tickets share it). */
function clockOf(ctx: RequestContext, em: EntityManager, priority: TicketPriority): Promise<Clock | null> {
  return ctx
    .loader('SlaClock:byPriority', () => new DataLoader<TicketPriority, Clock | null>((priorities) => Promise.all(priorities.map((p) => readClock(ctx, em, p)))))
    .load(priority);
}

/** Due and warn times counted from `start`, `pausedMinutes` later for the time the clock stood still. */
function dueTimes({ policy, hours }: Clock, start: Date, pausedMinutes: number): SlaDueTimes {
  const at = (minutes: number) => addBusinessMinutes(hours, start, minutes + pausedMinutes);
  return {
    firstResponseDueAt: at(policy.firstResponseMinutes),
    firstResponseWarnAt: at(policy.firstResponseMinutes * WARNING_SHARE),
    resolutionDueAt: at(policy.resolutionMinutes),
    resolutionWarnAt: at(policy.resolutionMinutes * WARNING_SHARE),
  };
}

/**
 * The markers of a new ticket's warn and due times that lay in the past when it was created (a
 * ticket taken over with its history): recorded at their own moment, so the checks and the
 * sweep owe nothing for them (no priority raise, no notification), while the SLA view still
 * shows a breach. A ticket created live has none: its moments are all ahead.
 */
function passedBefore(ticket: Ticket, now: Date): Partial<Ticket> {
  const patch: Partial<Record<string, Date>> = {};
  for (const { target, level, dueAt } of owedEscalations(ticket, now)) {
    const columns = columnsOf(target);
    if (level === SlaLevel.WARNING) patch[columns.warnedAt] = ticket[columns.warnAt]!;
    else patch[columns.breachedAt] = dueAt;
  }
  return patch as Partial<Ticket>;
}

/** A marker stays only while its moment is still past: a target moved ahead can warn and breach again. */
const keepIfPassed = (marker: Date | null, at: Date | null, now: Date) => (at && at <= now ? marker : null);

/** The escalation markers that stay with new due times (see keepIfPassed). */
const markersKept = (ticket: Ticket, due: SlaDueTimes, now: Date): Partial<Ticket> => ({
  firstResponseWarnedAt: keepIfPassed(ticket.firstResponseWarnedAt, due.firstResponseWarnAt, now),
  firstResponseBreachedAt: keepIfPassed(ticket.firstResponseBreachedAt, due.firstResponseDueAt, now),
  resolutionWarnedAt: keepIfPassed(ticket.resolutionWarnedAt, due.resolutionWarnAt, now),
  resolutionBreachedAt: keepIfPassed(ticket.resolutionBreachedAt, due.resolutionDueAt, now),
});

/** Settled tickets: their clock stands still from their resolution. */
const SETTLED: readonly TicketStatus[] = [TicketStatus.RESOLVED, TicketStatus.CLOSED];

const ticketClock: SlaClock = {
  async forNewTicket(ctx: RequestContext, em: EntityManager, ticket: NewTicketTimes, now: Date): Promise<Partial<Ticket>> {
    const clock = await clockOf(ctx, em, ticket.priority);
    const due = clock ? dueTimes(clock, ticket.createdAt, 0) : NO_SLA;
    // Taken over RESOLVED: the clock stopped when it was resolved.
    const paused = CLOCK_RUNS.includes(ticket.status) ? {} : { slaPausedAt: ticket.resolvedAt };
    return { ...due, ...passedBefore({ ...ticket, ...due } as Ticket, now), ...paused };
  },

  /** A person changed the priority: due times as if the ticket had been created with it. */
  async onPriorityChange(ctx: RequestContext, em: EntityManager, ticket: Ticket, priority: TicketPriority, now: Date): Promise<Partial<Ticket>> {
    if (priority === ticket.priority) return {};
    const clock = await clockOf(ctx, em, priority);
    const due = clock ? dueTimes(clock, ticket.createdAt, ticket.slaPausedMinutes) : NO_SLA;
    return { ...due, ...markersKept(ticket, due, now) };
  },

  /**
   * A ticket's history times corrected (history:write): due times as if it had been created at
   * `times.createdAt` (with its priority and the time it stood still), moments that are past now
   * recorded as passed as for a new ticket taken over, and a settled one standing still from its
   * resolvedAt.
   */
  async onTimesChange(ctx: RequestContext, em: EntityManager, ticket: Ticket, times: NewTicketTimes, now: Date): Promise<Partial<Ticket>> {
    const clock = await clockOf(ctx, em, times.priority);
    const due = clock ? dueTimes(clock, times.createdAt, ticket.slaPausedMinutes) : NO_SLA;
    const kept = markersKept(ticket, due, now);
    const settled = SETTLED.includes(ticket.status) ? { slaPausedAt: times.resolvedAt } : {};
    return { ...due, ...kept, ...passedBefore({ ...ticket, ...times, ...due, ...kept } as Ticket, now), ...settled };
  },

  /**
   * Stopping the clock remembers when; starting it again moves every due and warn time on by
   * the business minutes it stood still, in the calendar of the current priority.
   */
  async onStatusChange(ctx: RequestContext, em: EntityManager, ticket: Ticket, to: TicketStatus, now: Date): Promise<Partial<Ticket>> {
    const ran = CLOCK_RUNS.includes(ticket.status);
    const runs = CLOCK_RUNS.includes(to);
    if (ran && !runs) return { slaPausedAt: now };
    if (ran || !runs || !ticket.slaPausedAt) return {};
    const clock = await clockOf(ctx, em, ticket.priority);
    if (!clock) return { slaPausedAt: null };
    const paused = businessMinutesBetween(clock.hours, ticket.slaPausedAt, now);
    const later = (at: Date | null) => (at && paused > 0 ? addBusinessMinutes(clock.hours, at, paused) : at);
    return {
      slaPausedAt: null,
      slaPausedMinutes: ticket.slaPausedMinutes + paused,
      firstResponseDueAt: later(ticket.firstResponseDueAt),
      firstResponseWarnAt: later(ticket.firstResponseWarnAt),
      resolutionDueAt: later(ticket.resolutionDueAt),
      resolutionWarnAt: later(ticket.resolutionWarnAt),
    };
  },
};

keepSlaTimesWith(ticketClock);
