import { Arg, Args, Authorized, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { Permission } from '../../kernel/auth/roles';
import type { RequestContext } from '../../kernel/context';
import { decodeId } from '../../kernel/ids';
import { connectionType } from '../../kernel/pagination/connection';
import { Notification } from '../notifications';
import { Ticket, ticketService } from '../tickets';
import { BusinessCalendar } from './business-calendar.entity';
import { businessCalendarService } from './business-calendar.service';
import { BusinessCalendarInput, BusinessCalendarListArgs, CreateBusinessCalendarInput, CreateSlaPolicyInput, SlaPolicyInput } from './sla.inputs';
import { SlaPolicy } from './sla-policy.entity';
import { slaPolicyService } from './sla-policy.service';
import { slaOf, TicketSla } from './ticket-sla.view';

export const BusinessCalendarConnection = connectionType(BusinessCalendar, 'BusinessCalendar');

const calendarId = (id: string) => decodeId('BusinessCalendar', id, 'id');
const policyId = (id: string) => decodeId('SlaPolicy', id, 'id');

@Resolver(() => BusinessCalendar)
export class BusinessCalendarResolver {
  @Authorized(Permission.READ)
  @Query(() => BusinessCalendar, { description: 'One business calendar by id (also when in the trash).' })
  businessCalendar(@Ctx() ctx: RequestContext, @Arg('id', () => ID) id: string): Promise<BusinessCalendar> {
    return businessCalendarService.get(ctx, calendarId(id));
  }

  @Authorized(Permission.READ)
  @Query(() => BusinessCalendarConnection)
  businessCalendars(@Ctx() ctx: RequestContext, @Args() args: BusinessCalendarListArgs) {
    return businessCalendarService.list(ctx, args);
  }

  @Authorized(Permission.MANAGE_SLA)
  @Mutation(() => BusinessCalendar)
  createBusinessCalendar(@Ctx() ctx: RequestContext, @Arg('input') input: CreateBusinessCalendarInput): Promise<BusinessCalendar> {
    return businessCalendarService.create(ctx, input);
  }

  @Authorized(Permission.MANAGE_SLA)
  @Mutation(() => BusinessCalendar, { description: 'Changes apply to due times computed afterwards; running tickets keep theirs.' })
  updateBusinessCalendar(
    @Ctx() ctx: RequestContext,
    @Arg('id', () => ID) id: string,
    @Arg('input') input: BusinessCalendarInput,
    @Arg('expectedVersion', () => Int, { nullable: true }) expectedVersion?: number,
  ): Promise<BusinessCalendar> {
    return businessCalendarService.update(ctx, calendarId(id), input, expectedVersion);
  }

  @Authorized(Permission.MANAGE_SLA)
  @Mutation(() => BusinessCalendar, { description: 'To the trash; refused (CONFLICT) while an SLA policy counts in it.' })
  deleteBusinessCalendar(
    @Ctx() ctx: RequestContext,
    @Arg('id', () => ID) id: string,
    @Arg('expectedVersion', () => Int, { nullable: true }) expectedVersion?: number,
  ): Promise<BusinessCalendar> {
    return businessCalendarService.delete(ctx, calendarId(id), expectedVersion);
  }

  @Authorized(Permission.MANAGE_SLA)
  @Mutation(() => BusinessCalendar)
  restoreBusinessCalendar(@Ctx() ctx: RequestContext, @Arg('id', () => ID) id: string): Promise<BusinessCalendar> {
    return businessCalendarService.restore(ctx, calendarId(id));
  }
}

@Resolver(() => SlaPolicy)
export class SlaPolicyResolver {
  @Authorized(Permission.READ)
  @Query(() => [SlaPolicy], { description: 'The live SLA policies (at most one per priority), most urgent first.' })
  slaPolicies(@Ctx() ctx: RequestContext): Promise<SlaPolicy[]> {
    return slaPolicyService.list(ctx);
  }

  @Authorized(Permission.MANAGE_SLA)
  @Mutation(() => SlaPolicy, { description: 'Applies to tickets created or re-prioritised afterwards.' })
  createSlaPolicy(@Ctx() ctx: RequestContext, @Arg('input') input: CreateSlaPolicyInput): Promise<SlaPolicy> {
    return slaPolicyService.create(ctx, input);
  }

  @Authorized(Permission.MANAGE_SLA)
  @Mutation(() => SlaPolicy)
  updateSlaPolicy(
    @Ctx() ctx: RequestContext,
    @Arg('id', () => ID) id: string,
    @Arg('input') input: SlaPolicyInput,
    @Arg('expectedVersion', () => Int, { nullable: true }) expectedVersion?: number,
  ): Promise<SlaPolicy> {
    return slaPolicyService.update(ctx, policyId(id), input, expectedVersion);
  }

  @Authorized(Permission.MANAGE_SLA)
  @Mutation(() => SlaPolicy, { description: 'To the trash: tickets created afterwards with this priority get no due times.' })
  deleteSlaPolicy(
    @Ctx() ctx: RequestContext,
    @Arg('id', () => ID) id: string,
    @Arg('expectedVersion', () => Int, { nullable: true }) expectedVersion?: number,
  ): Promise<SlaPolicy> {
    return slaPolicyService.delete(ctx, policyId(id), expectedVersion);
  }

  @Authorized(Permission.MANAGE_SLA)
  @Mutation(() => SlaPolicy, { description: 'Back from the trash, unless another live policy has its priority (CONFLICT).' })
  restoreSlaPolicy(@Ctx() ctx: RequestContext, @Arg('id', () => ID) id: string): Promise<SlaPolicy> {
    return slaPolicyService.restore(ctx, policyId(id));
  }

  @FieldResolver(() => BusinessCalendar, { nullable: true, description: 'Null: counts in the workspace default calendar (round the clock in UTC without one).' })
  calendar(@Ctx() ctx: RequestContext, @Root() policy: SlaPolicy): Promise<BusinessCalendar | null> {
    return businessCalendarService.load(ctx, policy.calendarId);
  }
}

@Resolver(() => Ticket)
export class TicketSlaResolver {
  @FieldResolver(() => TicketSla, { nullable: true, description: 'Standing against the SLA policy of its priority, as of now; null without a policy.' })
  sla(@Root() ticket: Ticket): TicketSla | null {
    return slaOf(ticket, new Date());
  }
}

@Resolver(() => Notification)
export class NotificationTicketResolver {
  @FieldResolver(() => Ticket, { nullable: true, description: 'The ticket an SLA notification is about (`record` covers tasks only).' })
  ticket(@Ctx() ctx: RequestContext, @Root() notification: Notification): Promise<Ticket | null> {
    return notification.recordType === 'Ticket' ? ticketService.load(ctx, notification.recordUuid) : Promise.resolve(null);
  }
}
