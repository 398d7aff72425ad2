import type { RequestContext } from '../../kernel/context';
import { requireLiveSeat } from '../../kernel/live-seat';
import { publishOnCommit } from '../../kernel/pubsub';
import { Notification } from './notification.entity';
import type { NotificationInput } from './notification.service';

/** The pub/sub topic of new notifications; its id is the workspace, so each workspace is a channel. */
export const NOTIFICATION_ADDED = 'notification-added';

/** A new notification as it travels through Redis (times as ISO strings). */
export interface NotificationMessage extends NotificationInput {
  id: string;
  workspaceId: string;
  createdAt: string;
}

/**
 * Publishes the notification once the transaction that wrote it has committed (a rolled-back
 * write publishes nothing). A failed publish is logged by the pub/sub and never fails the write.
 */
export function publishAfterCommit(ctx: RequestContext, message: NotificationMessage): void {
  publishOnCommit(ctx, NOTIFICATION_ADDED, message.workspaceId, message);
}

/**
 * Whether a subscriber in `ctx` gets the message: their own, in their workspace, while they are
 * still a member (checked against their live seat, so a removed member's subscription ends
 * with UNAUTHENTICATED at their next notification).
 */
export async function isFor(ctx: RequestContext, message: NotificationMessage): Promise<boolean> {
  if (message.workspaceId !== ctx.workspaceId || message.userId !== ctx.member.userId) return false;
  await requireLiveSeat(ctx);
  return true;
}

export function fromMessage(message: NotificationMessage): Notification {
  const { recordId, createdAt, ...fields } = message;
  return Object.assign(new Notification(), fields, { recordUuid: recordId, readAt: null, createdAt: new Date(createdAt) });
}
