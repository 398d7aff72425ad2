import type { EntityManager } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import type { RequestContext } from '../../kernel/context';
import { normalizeTags } from '../../kernel/records/tags';
import { badField, conflict, notFound } from '../../kernel/errors';
import { registerNodeType } from '../../kernel/node-registry';
import type { Connection } from '../../kernel/pagination/connection';
import { createOne, RecordStore, type Alongside, type Creation } from '../../kernel/records/record-store';
import type { ListArgs } from '../../kernel/records/list-args';
import { recordPort } from '../../kernel/records/record-port';
import { accountService } from '../accounts';
import { contactService } from '../contacts';
import { membersService } from '../identity';
import { slaClock, type NewTicketTimes } from './sla-clock';
import { Ticket, type TicketPriority, TicketStatus } from './ticket.entity';
import type { CreateTicketInput, TicketFilter, TicketInput, TicketOrderField } from './ticket.inputs';
import { ticketModel } from './ticket.model';

export const tickets = new RecordStore(ticketModel);

const { NEW, OPEN, PENDING, RESOLVED, CLOSED } = TicketStatus;

/**
 * Where a ticket may go from each status: NEW → OPEN/PENDING → RESOLVED → CLOSED. OPEN and
 * PENDING alternate while the case is worked on; RESOLVED and CLOSED reopen to OPEN. NEW cannot
 * jump to RESOLVED or CLOSED: a case is answered before it is settled (trash it if it is junk).
 */
const NEXT_STATUSES: Readonly<Record<TicketStatus, readonly TicketStatus[]>> = {
  [NEW]: [OPEN, PENDING],
  [OPEN]: [PENDING, RESOLVED],
  [PENDING]: [OPEN, RESOLVED],
  [RESOLVED]: [CLOSED, OPEN],
  [CLOSED]: [OPEN],
};

/**
 * The columns a move from `from` to `to` changes, or bad input on `status` naming the allowed
 * moves. Leaving NEW is the first response unless one was recorded already; resolving and
 * closing stamp their times, and reopening clears both.
 */
function statusChange(from: TicketStatus, to: TicketStatus): QueryDeepPartialEntity<Ticket> {
  const allowed = NEXT_STATUSES[from];
  if (!allowed.includes(to)) {
    throw badField('status', `cannot go from ${from} to ${to}; from ${from} a ticket may go to ${allowed.join(' or ')}`);
  }
  const reopened = to === OPEN && (from === RESOLVED || from === CLOSED);
  return {
    status: to,
    ...(from === NEW && { firstResponseAt: () => 'COALESCE(first_response_at, now())' }),
    ...(to === RESOLVED && { resolvedAt: () => 'now()' }),
    ...(to === CLOSED && { closedAt: () => 'now()' }),
    ...(reopened && { resolvedAt: null, closedAt: null }),
  };
}

/** Reopening is the way back from RESOLVED or CLOSED only; from other statuses it is refused, not taken as a move to OPEN. */
function reopening(from: TicketStatus): QueryDeepPartialEntity<Ticket> {
  if (from !== RESOLVED && from !== CLOSED) {
    throw badField('status', `only a RESOLVED or CLOSED ticket can be reopened; this one is ${from}`);
  }
  return statusChange(from, OPEN);
}

/** Input → columns: references decoded and checked (the contact need not work for the account), subject trimmed. */
export async function ticketColumns(ctx: RequestContext, input: TicketInput): Promise<QueryDeepPartialEntity<Ticket>> {
  const { accountId, contactId, ...fields } = input;
  const [account, contact] = await Promise.all([
    accountService.records.reference(ctx, accountId, 'accountId'),
    contactService.records.reference(ctx, contactId, 'contactId'),
  ]);
  return { ...fields, subject: fields.subject?.trim(), tags: normalizeTags(fields.tags), accountId: account, contactId: contact };
}

/**
 * The live ticket, row-locked for the rest of the write so that two status changes cannot both
 * pass the check against the same old status.
 */
async function lockForChange(ctx: RequestContext, em: EntityManager, id: string, expectedVersion?: number | null): Promise<Ticket> {
  const ticket = await em.getRepository(Ticket).findOne({
    where: { id, workspaceId: ctx.workspaceId },
    lock: { mode: 'pessimistic_write' },
  });
  if (!ticket || ticket.deletedAt) throw notFound('Ticket');
  if (expectedVersion != null && ticket.version !== expectedVersion) throw conflict('Ticket', ticket.version);
  return ticket;
}

/** Applies the lifecycle move `patchFor` computes from the ticket's current status, checked under the row lock. */
function move(
  ctx: RequestContext,
  id: string,
  expectedVersion: number | null | undefined,
  patchFor: (from: TicketStatus) => QueryDeepPartialEntity<Ticket>,
): Promise<Ticket> {
  return ctx.db.write(async (em) => {
    const ticket = await lockForChange(ctx, em, id, expectedVersion);
    const patch = patchFor(ticket.status);
    const clock = await slaClock().onStatusChange(ctx, em, ticket, patch.status as TicketStatus, new Date());
    return tickets.update(ctx, em, id, { ...patch, ...clock }, expectedVersion);
  });
}

/** A ticket's times taken over from another system on create (history:write, checked by the caller: kernel/records/history.ts). */
export interface TicketHistoryInput {
  createdAt?: Date | null;
  firstResponseAt?: Date | null;
  resolvedAt?: Date | null;
}

export const TICKET_HISTORY_FIELDS = ['createdAt', 'firstResponseAt', 'resolvedAt'] as const;

/**
 * Where a new ticket stands in its lifecycle from its times: NEW; OPEN once answered; RESOLVED
 * once resolved (which needs the answer first, as leaving NEW records it). Times out of order
 * are bad input naming the later one.
 */
function statusFromTimes({ createdAt, firstResponseAt, resolvedAt }: Pick<Ticket, 'createdAt' | 'firstResponseAt' | 'resolvedAt'>): TicketStatus {
  if (firstResponseAt && firstResponseAt < createdAt) throw badField('firstResponseAt', `must not be before createdAt (${createdAt.toISOString()})`);
  if (resolvedAt && !firstResponseAt) throw badField('firstResponseAt', 'is required with resolvedAt: a ticket is answered before it is resolved');
  if (resolvedAt && resolvedAt < firstResponseAt!) throw badField('resolvedAt', 'must not be before firstResponseAt');
  return resolvedAt ? RESOLVED : firstResponseAt ? OPEN : NEW;
}

/** Where a status stands in the lifecycle, as far as the history times tell: unanswered, answered, settled. */
const PHASE: Record<TicketStatus, TicketStatus> = { [NEW]: NEW, [OPEN]: OPEN, [PENDING]: OPEN, [RESOLVED]: RESOLVED, [CLOSED]: RESOLVED };

/**
 * A ticket's history times corrected: the times as they become, checked in order and against
 * its status (an answered ticket has a first response, a settled one its resolution; the
 * status moves through changeTicketStatus, not by its times).
 */
function correctedTimes(ticket: Ticket, history: TicketHistoryInput, priority: TicketPriority): NewTicketTimes {
  const pick = <K extends 'firstResponseAt' | 'resolvedAt'>(field: K) => (history[field] === undefined ? ticket[field] : history[field]!);
  const times = { priority, status: ticket.status, createdAt: history.createdAt ?? ticket.createdAt, firstResponseAt: pick('firstResponseAt'), resolvedAt: pick('resolvedAt') };
  if (PHASE[statusFromTimes(times)] !== PHASE[ticket.status]) {
    const field = history.resolvedAt !== undefined ? 'resolvedAt' : 'firstResponseAt';
    throw badField(field, `does not fit the ticket’s status ${ticket.status}: change its status first (changeTicketStatus)`);
  }
  return times;
}

/** Tickets created one or many at a time (see Creation): NEW (or further on from their history times), with their SLA due times. */
export const ticketCreation: Creation<QueryDeepPartialEntity<Ticket>, Ticket> = {
  async prepare(ctx: RequestContext, em: EntityManager, input: CreateTicketInput & TicketHistoryInput) {
    const { assigneeId, createdAt: takenOver, firstResponseAt = null, resolvedAt = null, ...fields } = input;
    // Created now, not at the database's now(): the SLA due times count from exactly this instant.
    const now = new Date();
    const times = { createdAt: takenOver ?? now, firstResponseAt, resolvedAt };
    const status = statusFromTimes(times);
    const [columns, assignee, sla] = await Promise.all([
      ticketColumns(ctx, fields),
      membersService.memberRef(ctx, assigneeId, 'assigneeId'),
      slaClock().forNewTicket(ctx, em, { priority: input.priority, status, ...times }, now),
    ]);
    return { ...columns, assigneeId: assignee, status, ...times, ...sla };
  },
  insert: (ctx, em, values, alongside) => tickets.insertMany(ctx, em, values, alongside),
};

export const ticketService = {
  /** For other modules: reads and bulk column updates, not the store (see RecordPort). */
  records: recordPort(tickets),

  load: (ctx: RequestContext, id: string | null | undefined) => tickets.load(ctx, id),

  get: (ctx: RequestContext, id: string) => tickets.require(ctx, id),

  list: (ctx: RequestContext, args: ListArgs<TicketFilter, TicketOrderField>): Promise<Connection<Ticket>> =>
    tickets.list(ctx, args),

  /** An account's tickets, batched over every account on the page. */
  listOfAccount: (ctx: RequestContext, accountId: string, args: ListArgs<TicketFilter, TicketOrderField>): Promise<Connection<Ticket>> =>
    tickets.listForParent(ctx, { column: 'account_id', parentId: accountId }, args),

  /** `alongside` runs in the write before the created event (an upsert links the external ref there). */
  create: (ctx: RequestContext, input: CreateTicketInput, alongside?: Alongside<Ticket>): Promise<Ticket> => createOne(ctx, ticketCreation, input, alongside),

  /**
   * A priority change recomputes the SLA due times under the new priority's policy; corrected
   * history times (an upsert with history:write) recompute them from the createdAt, escalating
   * nothing for the past.
   */
  async update(ctx: RequestContext, id: string, input: TicketInput & TicketHistoryInput, expectedVersion?: number | null, alongside?: Alongside<Ticket>): Promise<Ticket> {
    const { createdAt, firstResponseAt, resolvedAt, ...fields } = input;
    const history = { createdAt, firstResponseAt, resolvedAt };
    const corrected = TICKET_HISTORY_FIELDS.some((field) => history[field] !== undefined);
    const patch = await ticketColumns(ctx, fields);
    return ctx.db.write(async (em) => {
      const ticket = input.priority || corrected ? await lockForChange(ctx, em, id, expectedVersion) : null;
      const now = new Date();
      let clock: Partial<Ticket> = {};
      if (corrected) {
        const times = correctedTimes(ticket!, history, input.priority ?? ticket!.priority);
        clock = { createdAt: times.createdAt, firstResponseAt: times.firstResponseAt, resolvedAt: times.resolvedAt, ...(await slaClock().onTimesChange(ctx, em, ticket!, times, now)) };
      } else if (input.priority) clock = await slaClock().onPriorityChange(ctx, em, ticket!, input.priority, now);
      return tickets.update(ctx, em, id, { ...patch, ...clock }, expectedVersion, alongside);
    });
  },

  delete: (ctx: RequestContext, id: string, expectedVersion?: number | null) =>
    ctx.db.write((em) => tickets.softDelete(ctx, em, id, expectedVersion)),

  restore: (ctx: RequestContext, id: string) => ctx.db.write((em) => tickets.restore(ctx, em, id)),

  /** Hands the ticket to a member; null unassigns. The argument must be sent, so omitting it cannot unassign by accident. */
  async assign(ctx: RequestContext, id: string, assigneeId: string | null | undefined, expectedVersion?: number | null): Promise<Ticket> {
    if (assigneeId === undefined) throw badField('assigneeId', 'is required; pass null to unassign');
    const userId = await membersService.memberRef(ctx, assigneeId, 'assigneeId');
    return ctx.db.write((em) => tickets.update(ctx, em, id, { assigneeId: userId }, expectedVersion));
  },

  /** Moves the ticket along its lifecycle (see NEXT_STATUSES), stamping the times that go with it. */
  changeStatus: (ctx: RequestContext, id: string, status: TicketStatus, expectedVersion?: number | null): Promise<Ticket> =>
    move(ctx, id, expectedVersion, (from) => statusChange(from, status)),

  resolve: (ctx: RequestContext, id: string, expectedVersion?: number | null): Promise<Ticket> =>
    move(ctx, id, expectedVersion, (from) => statusChange(from, RESOLVED)),

  reopen: (ctx: RequestContext, id: string, expectedVersion?: number | null): Promise<Ticket> =>
    move(ctx, id, expectedVersion, reopening),

  /**
   * Stamps the first reply (a call, email or meeting logged on the ticket) inside the caller's
   * write transaction. One guarded UPDATE: an earlier first response is never overwritten, and
   * the version is raised (and an updated event written) only when the stamp is set.
   */
  /**
   * Marks SLA escalations on the ticket and raises its priority, inside the caller's transaction
   * (a system update with its event). Unlike `update`, the due times stay: they were promised
   * under the old priority.
   */
  escalate: (ctx: RequestContext, em: EntityManager, id: string, patch: Partial<Ticket>): Promise<Ticket> => tickets.update(ctx, em, id, patch),

  async recordFirstResponse(ctx: RequestContext, em: EntityManager, ticketId: string, at: Date): Promise<void> {
    await tickets.updateEach(ctx, em, [ticketId], () =>
      em
        .createQueryBuilder()
        .update(Ticket)
        .set({ firstResponseAt: at, version: () => 'version + 1', updatedAt: () => 'now()' })
        .where('id = :id AND workspace_id = :workspaceId AND first_response_at IS NULL AND deleted_at IS NULL', {
          id: ticketId,
          workspaceId: ctx.workspaceId,
        })
        .execute(),
    );
  },
};

registerNodeType('Ticket', ticketService.load);
