import { Arg, Args, Authorized, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { Permission } from '../../kernel/auth/roles';
import type { RequestContext } from '../../kernel/context';
import { decodeId } from '../../kernel/ids';
import { connectionType } from '../../kernel/pagination/connection';
import { Account, accountService } from '../accounts';
import { Contact, contactService } from '../contacts';
import { membersService, User } from '../identity';
import { Ticket, TicketStatus } from './ticket.entity';
import { CreateTicketInput, TicketInput, TicketListArgs } from './ticket.inputs';
import { ticketService } from './ticket.service';
import { ExternalRefInput, lookupId } from '../../kernel/records/external-refs';

export const TicketConnection = connectionType(Ticket, 'Ticket');

const ticketId = (id: string) => decodeId('Ticket', id, 'id');

@Resolver(() => Ticket)
export class TicketResolver {
  @Authorized(Permission.READ)
  @Query(() => Ticket, { description: 'One ticket by id or by its id in another system (also when in the trash).' })
  ticket(
    @Ctx() ctx: RequestContext,
    @Arg('id', () => ID, { nullable: true }) id?: string | null,
    @Arg('externalRef', () => ExternalRefInput, { nullable: true, description: 'Instead of id.' }) externalRef?: ExternalRefInput | null,
  ): Promise<Ticket> {
    return lookupId(ctx, 'Ticket', id, externalRef).then((uuid) => ticketService.get(ctx, uuid));
  }

  @Authorized(Permission.READ)
  @Query(() => TicketConnection)
  tickets(@Ctx() ctx: RequestContext, @Args() args: TicketListArgs) {
    return ticketService.list(ctx, args);
  }

  @Authorized(Permission.WRITE_TICKETS)
  @Mutation(() => Ticket, { description: 'Opens a ticket in status NEW.' })
  createTicket(@Ctx() ctx: RequestContext, @Arg('input') input: CreateTicketInput): Promise<Ticket> {
    return ticketService.create(ctx, input);
  }

  @Authorized(Permission.WRITE_TICKETS)
  @Mutation(() => Ticket)
  updateTicket(
    @Ctx() ctx: RequestContext,
    @Arg('id', () => ID) id: string,
    @Arg('input') input: TicketInput,
    @Arg('expectedVersion', () => Int, { nullable: true }) expectedVersion?: number,
  ): Promise<Ticket> {
    return ticketService.update(ctx, ticketId(id), input, expectedVersion);
  }

  @Authorized(Permission.DELETE_RECORDS)
  @Mutation(() => Ticket, { description: 'Moves the ticket to the trash.' })
  deleteTicket(
    @Ctx() ctx: RequestContext,
    @Arg('id', () => ID) id: string,
    @Arg('expectedVersion', () => Int, { nullable: true }) expectedVersion?: number,
  ): Promise<Ticket> {
    return ticketService.delete(ctx, ticketId(id), expectedVersion);
  }

  @Authorized(Permission.DELETE_RECORDS)
  @Mutation(() => Ticket, { description: 'Brings the ticket back from the trash.' })
  restoreTicket(@Ctx() ctx: RequestContext, @Arg('id', () => ID) id: string): Promise<Ticket> {
    return ticketService.restore(ctx, ticketId(id));
  }

  @Authorized(Permission.WRITE_TICKETS)
  @Mutation(() => Ticket, { description: 'Hands the ticket to a member of the workspace; assigneeId null unassigns.' })
  assignTicket(
    @Ctx() ctx: RequestContext,
    @Arg('id', () => ID) id: string,
    @Arg('assigneeId', () => ID, { nullable: true, description: 'Required; null unassigns.' }) assigneeId: string | null | undefined,
    @Arg('expectedVersion', () => Int, { nullable: true }) expectedVersion?: number,
  ): Promise<Ticket> {
    return ticketService.assign(ctx, ticketId(id), assigneeId, expectedVersion);
  }

  @Authorized(Permission.WRITE_TICKETS)
  @Mutation(() => Ticket, {
    description:
      'Moves the ticket along NEW → OPEN/PENDING → RESOLVED → CLOSED (OPEN and PENDING alternate; RESOLVED and CLOSED reopen to OPEN).',
  })
  changeTicketStatus(
    @Ctx() ctx: RequestContext,
    @Arg('id', () => ID) id: string,
    @Arg('status', () => TicketStatus) status: TicketStatus,
    @Arg('expectedVersion', () => Int, { nullable: true }) expectedVersion?: number,
  ): Promise<Ticket> {
    return ticketService.changeStatus(ctx, ticketId(id), status, expectedVersion);
  }

  @Authorized(Permission.WRITE_TICKETS)
  @Mutation(() => Ticket, { description: 'changeTicketStatus to RESOLVED (from OPEN or PENDING).' })
  resolveTicket(
    @Ctx() ctx: RequestContext,
    @Arg('id', () => ID) id: string,
    @Arg('expectedVersion', () => Int, { nullable: true }) expectedVersion?: number,
  ): Promise<Ticket> {
    return ticketService.resolve(ctx, ticketId(id), expectedVersion);
  }

  @Authorized(Permission.WRITE_TICKETS)
  @Mutation(() => Ticket, { description: 'changeTicketStatus to OPEN (from RESOLVED or CLOSED), clearing resolvedAt and closedAt.' })
  reopenTicket(
    @Ctx() ctx: RequestContext,
    @Arg('id', () => ID) id: string,
    @Arg('expectedVersion', () => Int, { nullable: true }) expectedVersion?: number,
  ): Promise<Ticket> {
    return ticketService.reopen(ctx, ticketId(id), expectedVersion);
  }

  @FieldResolver(() => Account, { nullable: true })
  account(@Ctx() ctx: RequestContext, @Root() ticket: Ticket): Promise<Account | null> {
    return accountService.load(ctx, ticket.accountId);
  }

  @FieldResolver(() => Contact, { nullable: true })
  contact(@Ctx() ctx: RequestContext, @Root() ticket: Ticket): Promise<Contact | null> {
    return contactService.load(ctx, ticket.contactId);
  }

  @FieldResolver(() => User, { nullable: true })
  assignee(@Ctx() ctx: RequestContext, @Root() ticket: Ticket): Promise<User | null> {
    return membersService.loadUser(ctx, ticket.assigneeId);
  }
}

@Resolver(() => Account)
export class AccountTicketsResolver {
  @FieldResolver(() => TicketConnection, { description: 'Tickets about this account; same arguments as `tickets`.' })
  tickets(@Ctx() ctx: RequestContext, @Root() account: Account, @Args() args: TicketListArgs) {
    return ticketService.listOfAccount(ctx, account.id, args);
  }
}
