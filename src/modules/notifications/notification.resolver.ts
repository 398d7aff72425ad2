import { Arg, Args, Authorized, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root, Subscription } from 'type-graphql';
import { Permission } from '../../kernel/auth/roles';
import type { RequestContext } from '../../kernel/context';
import { decodeId } from '../../kernel/ids';
import { connectionType } from '../../kernel/pagination/connection';
import { Activity, activityService } from '../activities';
import { Notification } from './notification.entity';
import { NotificationListArgs } from './notification.inputs';
import { NOTIFICATION_ADDED, fromMessage, isFor, type NotificationMessage } from './notification-push';
import { notificationService } from './notification.service';

export const NotificationConnection = connectionType(Notification, 'Notification');

@Resolver(() => Notification)
export class NotificationResolver {
  @Authorized(Permission.READ)
  @Query(() => NotificationConnection, { description: 'The signed-in member’s notifications, newest first.' })
  notifications(@Ctx() ctx: RequestContext, @Args() args: NotificationListArgs) {
    return notificationService.list(ctx, args);
  }

  @Authorized(Permission.READ)
  @Mutation(() => Notification, { description: 'Marks one of your notifications read; marking it again keeps the first time.' })
  markNotificationRead(@Ctx() ctx: RequestContext, @Arg('id', () => ID) id: string): Promise<Notification> {
    return notificationService.markRead(ctx, decodeId('Notification', id, 'id'));
  }

  @Authorized(Permission.READ)
  @Mutation(() => Int, { description: 'Marks all your unread notifications read; returns how many.' })
  markAllNotificationsRead(@Ctx() ctx: RequestContext): Promise<number> {
    return notificationService.markAllRead(ctx);
  }

  @Authorized(Permission.READ)
  @Subscription(() => Notification, {
    description: 'Your new notifications as they are made (graphql-ws); only your own, in the workspace of your token.',
    topics: NOTIFICATION_ADDED,
    topicId: ({ context }) => (context as RequestContext).workspaceId,
    filter: ({ payload, context }) => isFor(context as RequestContext, payload as NotificationMessage),
  })
  notificationAdded(@Root() message: NotificationMessage): Notification {
    return fromMessage(message);
  }

  @FieldResolver(() => Activity, { nullable: true, description: 'The task it is about; null once the task is deleted.' })
  record(@Ctx() ctx: RequestContext, @Root() notification: Notification): Promise<Activity | null> {
    return notification.recordType === 'Activity' ? activityService.load(ctx, notification.recordUuid) : Promise.resolve(null);
  }
}
