import { RequestContext } from '../src/kernel/context';
import { attemptDelivery } from '../src/modules/webhooks';
import type { JobHandler } from './jobs';

/**
 * One scheduled attempt of a webhook delivery, as the system in the delivery's workspace. Failed
 * attempts schedule the next one themselves (webhook-attempt), so the job itself only fails (and
 * BullMQ retries it) when the database does; a stale job (the delivery moved on) does nothing.
 */
export const deliverWebhook: JobHandler<'webhook-deliveries', 'webhook-delivery'> = async (job, runtime) => {
  const { workspaceId, deliveryId, dueAt } = job.data;
  return RequestContext.asSystem(runtime, workspaceId, `webhook-delivery:${deliveryId}`, async (ctx) => ({
    attempted: await attemptDelivery(ctx, deliveryId, { dueAt: new Date(dueAt) }),
  }));
};
