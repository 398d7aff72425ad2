import { Arg, Args, Authorized, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root, type ClassType } from 'type-graphql';
import { Permission } from '../../kernel/auth/roles';
import type { RequestContext } from '../../kernel/context';
import { decodeId } from '../../kernel/ids';
import { connectionType } from '../../kernel/pagination/connection';
import type { TenantRecord } from '../../kernel/record';
import { Account, accountService } from '../accounts';
import { Contact, contactService } from '../contacts';
import { Deal, dealService } from '../deals';
import { membersService, User } from '../identity';
import { Ticket, ticketService } from '../tickets';
import { Activity } from './activity.entity';
import { ActivityInput, ActivityListArgs, CreateActivityInput } from './activity.inputs';
import { activityService, type ActivityParentColumn } from './activity.service';

export const ActivityConnection = connectionType(Activity, 'Activity');

@Resolver(() => Activity)
export class ActivityResolver {
  @Authorized(Permission.READ)
  @Query(() => Activity, { description: 'One activity by id (also when in the trash).' })
  activity(@Ctx() ctx: RequestContext, @Arg('id', () => ID) id: string): Promise<Activity> {
    return activityService.get(ctx, decodeId('Activity', id, 'id'));
  }

  @Authorized(Permission.READ)
  @Query(() => ActivityConnection)
  activities(@Ctx() ctx: RequestContext, @Args() args: ActivityListArgs) {
    return activityService.list(ctx, args);
  }

  @Authorized(Permission.WRITE_ACTIVITIES)
  @Mutation(() => Activity, { description: 'Logs a call, meeting, email or note, or creates a task.' })
  createActivity(@Ctx() ctx: RequestContext, @Arg('input') input: CreateActivityInput): Promise<Activity> {
    return activityService.create(ctx, input);
  }

  @Authorized(Permission.WRITE_ACTIVITIES)
  @Mutation(() => Activity)
  updateActivity(
    @Ctx() ctx: RequestContext,
    @Arg('id', () => ID) id: string,
    @Arg('input') input: ActivityInput,
    @Arg('expectedVersion', () => Int, { nullable: true }) expectedVersion?: number,
  ): Promise<Activity> {
    return activityService.update(ctx, decodeId('Activity', id, 'id'), input, expectedVersion);
  }

  @Authorized(Permission.DELETE_RECORDS)
  @Mutation(() => Activity, { description: 'Moves the activity to the trash.' })
  deleteActivity(
    @Ctx() ctx: RequestContext,
    @Arg('id', () => ID) id: string,
    @Arg('expectedVersion', () => Int, { nullable: true }) expectedVersion?: number,
  ): Promise<Activity> {
    return activityService.delete(ctx, decodeId('Activity', id, 'id'), expectedVersion);
  }

  @Authorized(Permission.DELETE_RECORDS)
  @Mutation(() => Activity, { description: 'Brings the activity back from the trash.' })
  restoreActivity(@Ctx() ctx: RequestContext, @Arg('id', () => ID) id: string): Promise<Activity> {
    return activityService.restore(ctx, decodeId('Activity', id, 'id'));
  }

  @Authorized(Permission.WRITE_ACTIVITIES)
  @Mutation(() => Activity, { description: 'Marks a task done; a task already done is returned unchanged.' })
  completeTask(
    @Ctx() ctx: RequestContext,
    @Arg('id', () => ID) id: string,
    @Arg('expectedVersion', () => Int, { nullable: true }) expectedVersion?: number,
  ): Promise<Activity> {
    return activityService.completeTask(ctx, decodeId('Activity', id, 'id'), expectedVersion);
  }

  @Authorized(Permission.WRITE_ACTIVITIES)
  @Mutation(() => Activity, { description: 'Marks a done task open again; an open task is returned unchanged.' })
  reopenTask(
    @Ctx() ctx: RequestContext,
    @Arg('id', () => ID) id: string,
    @Arg('expectedVersion', () => Int, { nullable: true }) expectedVersion?: number,
  ): Promise<Activity> {
    return activityService.reopenTask(ctx, decodeId('Activity', id, 'id'), expectedVersion);
  }

  @FieldResolver(() => Account, { nullable: true, description: 'Linked records resolve also when in the trash.' })
  account(@Ctx() ctx: RequestContext, @Root() activity: Activity): Promise<Account | null> {
    return accountService.load(ctx, activity.accountId);
  }

  @FieldResolver(() => Contact, { nullable: true })
  contact(@Ctx() ctx: RequestContext, @Root() activity: Activity): Promise<Contact | null> {
    return contactService.load(ctx, activity.contactId);
  }

  @FieldResolver(() => Deal, { nullable: true })
  deal(@Ctx() ctx: RequestContext, @Root() activity: Activity): Promise<Deal | null> {
    return dealService.load(ctx, activity.dealId);
  }

  @FieldResolver(() => Ticket, { nullable: true })
  ticket(@Ctx() ctx: RequestContext, @Root() activity: Activity): Promise<Ticket | null> {
    return ticketService.load(ctx, activity.ticketId);
  }

  @FieldResolver(() => User, { nullable: true })
  owner(@Ctx() ctx: RequestContext, @Root() activity: Activity): Promise<User | null> {
    return membersService.loadUser(ctx, activity.ownerId);
  }
}

/**
 * `activities` on the records an activity links to; they live here so those modules do not
 * depend on activities. One windowed query per request serves every parent on a page.
 */
function activitiesOf(parent: ClassType<TenantRecord>, label: string, column: ActivityParentColumn) {
  @Resolver(() => parent)
  class ParentActivitiesResolver {
    @FieldResolver(() => ActivityConnection, { description: `Activities linked to the ${label}; same arguments as \`activities\`.` })
    activities(@Ctx() ctx: RequestContext, @Root() record: TenantRecord, @Args() args: ActivityListArgs) {
      return activityService.listFor(ctx, column, record.id, args);
    }
  }
  return ParentActivitiesResolver;
}

export const AccountActivitiesResolver = activitiesOf(Account, 'account', 'account_id');
export const ContactActivitiesResolver = activitiesOf(Contact, 'contact', 'contact_id');
export const DealActivitiesResolver = activitiesOf(Deal, 'deal', 'deal_id');
export const TicketActivitiesResolver = activitiesOf(Ticket, 'ticket', 'ticket_id');
