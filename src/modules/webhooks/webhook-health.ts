import type { EntityManager } from 'typeorm';
import type { RequestContext } from '../../kernel/context';
import { notificationService } from '../notifications';

/** A webhook whose deliveries have all failed for this long is disabled. */
const DISABLE_AFTER_MS = 24 * 60 * 60 * 1000;

/** A delivery succeeded: the webhook is healthy again. */
export async function webhookSucceeded(em: EntityManager, webhookId: string): Promise<void> {
  await em.query(`UPDATE webhooks SET failing_since = NULL WHERE id = $1 AND failing_since IS NOT NULL`, [webhookId]);
}

/**
 * A delivery attempt failed at `now`: the webhook is failing since its first failure after its
 * last success. Failing for a day, it is disabled (once: the update is conditional), its open
 * deliveries go DEAD (redeliver can still send them), and its creator, or the workspace's admins
 * when no member created it, get one notification each.
 */
export async function webhookFailed(ctx: RequestContext, em: EntityManager, webhookId: string, now: Date): Promise<void> {
  const [[row]] = (await em.query(
    `UPDATE webhooks SET failing_since = COALESCE(failing_since, $2) WHERE id = $1 RETURNING failing_since AS "failingSince", enabled`,
    [webhookId, now],
  )) as [Array<{ failingSince: Date; enabled: boolean }>, number];
  if (!row?.enabled || now.getTime() - row.failingSince.getTime() < DISABLE_AFTER_MS) return;
  const reason = `Every delivery failed since ${row.failingSince.toISOString()}`;
  const [disabled] = (await em.query(
    `UPDATE webhooks SET enabled = false, disabled_reason = $2, disabled_at = $3, updated_at = now(), version = version + 1
     WHERE id = $1 AND enabled RETURNING url, created_by AS "createdBy"`,
    [webhookId, reason, now],
  )) as [Array<{ url: string; createdBy: string | null }>, number];
  const webhook = disabled[0];
  if (!webhook) return;
  await em.query(
    `UPDATE webhook_deliveries SET status = 'DEAD', next_attempt_at = NULL, last_error = coalesce(last_error || '; ', '') || 'webhook disabled'
     WHERE webhook_id = $1 AND status IN ('PENDING', 'FAILED')`,
    [webhookId],
  );
  const recipients = (await em.query(
    `WITH creator AS (SELECT user_id FROM memberships WHERE workspace_id = $1 AND user_id = $2 AND deleted_at IS NULL)
     SELECT user_id AS "userId" FROM creator
     UNION ALL
     SELECT user_id FROM memberships WHERE workspace_id = $1 AND role = 'ADMIN' AND deleted_at IS NULL AND NOT EXISTS (SELECT 1 FROM creator)`,
    [ctx.workspaceId, webhook.createdBy],
  )) as Array<{ userId: string }>;
  for (const { userId } of recipients) {
    await notificationService.notify(ctx, em, {
      userId,
      kind: 'WEBHOOK_DISABLED',
      subject: `Webhook to ${webhook.url} was disabled: its deliveries failed for 24 hours`,
      recordType: 'Webhook',
      recordId: webhookId,
      // Unique per workspace: without the recipient, only the first admin would be notified.
      dedupeKey: `webhook-disabled:${webhookId}:${now.getTime()}:${userId}`,
    });
  }
}
