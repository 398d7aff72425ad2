import type { RecordEventPayload } from '../src/kernel/queue';
import { scheduleAttempt } from '../src/modules/webhooks';
import type { EventHandler } from './record-events';

/**
 * Fans a record event out to the workspace's enabled webhooks that want it: by type (`deal.updated`,
 * `deal.*`, `*`) and, for updates, by changed field. One delivery row per (webhook, event), made
 * in the event's transaction; a re-run adds none (ON CONFLICT) and schedules nothing twice (the
 * job id names the delivery and its due time). The first attempt is queued after commit.
 */
export const fanOutWebhooks: EventHandler = {
  name: 'webhook-fanout',
  types: '*',
  async run(ctx, em, event: RecordEventPayload) {
    const now = new Date();
    const rows = (await em.query(
      `INSERT INTO webhook_deliveries (workspace_id, webhook_id, event_id, event_type, next_attempt_at)
       SELECT w.workspace_id, w.id, e.id, e.type, $3
       FROM webhooks w JOIN record_events e ON e.id = $2 AND e.workspace_id = w.workspace_id
       WHERE w.workspace_id = $1 AND w.enabled
         AND (e.type = ANY(w.events) OR split_part(e.type, '.', 1) || '.*' = ANY(w.events) OR '*' = ANY(w.events))
         AND (cardinality(w.fields) = 0 OR e.type NOT LIKE '%.updated' OR e.changed && w.fields)
       ON CONFLICT (webhook_id, event_id) DO NOTHING
       RETURNING id`,
      [event.workspaceId, event.eventId, now],
    )) as Array<{ id: string }>;
    for (const { id } of rows) scheduleAttempt(ctx, id, now);
  },
};
