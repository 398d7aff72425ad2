import { fanOutToWebhooks } from '../src/modules/webhooks';
import type { EventHandler } from './record-events';

/** Every record event to the webhooks that want it (the rule: modules/webhooks/webhook-fanout). */
export const fanOutWebhooks: EventHandler = {
  name: 'webhook-fanout',
  types: '*',
  async run(ctx, em, event) {
    await fanOutToWebhooks(ctx, em, event.eventId);
  },
};
