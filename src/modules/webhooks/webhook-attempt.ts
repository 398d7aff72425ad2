import type { EntityManager } from 'typeorm';
import type { Config } from '../../config/config';
import type { RequestContext } from '../../kernel/context';
import { openSecret } from '../../kernel/crypto/secret-box';
import { postJson, type PostResult } from '../../kernel/outbound/http-post';
import type { IdentifiedJob, WebhookDeliveryPayload } from '../../kernel/queue';
import { WebhookDeliveryStatus as Status } from './webhook-delivery.entity';
import { webhookFailed, webhookSucceeded } from './webhook-health';
import { webhookBody } from './webhook-payload';
import { signatureHeaders } from './webhook-signature';

/** When to attempt: `dueAt` is the scheduled attempt a job was made for (null: a manual redelivery); `now` is injectable for tests. */
export interface AttemptOptions {
  dueAt: Date | null;
  now?: Date;
}

interface DeliveryState {
  status: Status;
  nextAttemptAt: Date | null;
  firstAttemptAt: Date | null;
  attempts: number;
  webhookId: string;
}

const STATE = `d.status, d.next_attempt_at AS "nextAttemptAt", d.first_attempt_at AS "firstAttemptAt", d.attempts, d.webhook_id AS "webhookId"`;

/** A job's attempt is still owed: the delivery is open and still scheduled for the moment the job was made for. */
const isDue = (state: DeliveryState, dueAt: Date) =>
  (state.status === Status.PENDING || state.status === Status.FAILED) && state.nextAttemptAt?.getTime() === dueAt.getTime();

/** The wait before the next attempt after `failures` failed ones: the schedule's entry (the last one repeats), jittered ±10%. */
export function retryDelayMs(config: Config, failures: number, random: () => number = Math.random): number {
  const delays = config.WEBHOOK_RETRY_DELAYS_SECONDS;
  return Math.round(delays[Math.min(failures, delays.length) - 1] * 1000 * (0.9 + 0.2 * random()));
}

/** The job of the attempt due at `dueAt`; its id names the delivery and the moment, so adding it twice adds it once. */
export function deliveryJob(workspaceId: string, deliveryId: string, dueAt: Date): IdentifiedJob<WebhookDeliveryPayload> {
  return {
    name: 'webhook-delivery',
    data: { workspaceId, deliveryId, dueAt: dueAt.toISOString() },
    opts: { jobId: `whd-${deliveryId}-${dueAt.getTime()}`, delay: Math.max(0, dueAt.getTime() - Date.now()) },
  };
}

/**
 * Queues the attempt due at `dueAt` once the current write commits. A crash or a Redis outage
 * between the commit and the add leaves the delivery open with its attempt overdue: the
 * reconciler's sweep of stranded deliveries (webhook-sweep) queues it then.
 */
export function scheduleAttempt(ctx: RequestContext, deliveryId: string, dueAt: Date): void {
  const queue = ctx.runtime.producers?.['webhook-deliveries'];
  if (!queue) throw new Error('Webhook deliveries are scheduled by the worker process');
  ctx.db.onCommit(async () => {
    const job = deliveryJob(ctx.workspaceId, deliveryId, dueAt);
    await queue.add(job.name, job.data, job.opts);
  });
}

const errorOf = (result: PostResult): string | null =>
  result.status === null ? result.message : result.ok ? null : `answered ${result.status}${result.excerpt ? `: ${result.excerpt.slice(0, 200)}` : ''}`;

/**
 * Makes one attempt of a delivery and records it. A scheduled attempt (a job) happens only while
 * its webhook is enabled and the delivery is still due at `dueAt`; a manual one (redeliver)
 * always. No database connection is held while the receiver answers. Returns false when nothing
 * was attempted.
 */
export async function attemptDelivery(ctx: RequestContext, deliveryId: string, options: AttemptOptions): Promise<boolean> {
  const now = options.now ?? new Date();
  const { config } = ctx.runtime;
  const found = (await ctx.db.read((em) =>
    em.query(
      `SELECT ${STATE}, d.event_id AS "eventId", w.url, w.secret_sealed AS "secretSealed", w.enabled
       FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id WHERE d.id = $1`,
      [deliveryId],
    ),
  )) as Array<DeliveryState & { eventId: string; url: string; secretSealed: string; enabled: boolean }>;
  const delivery = found[0];
  if (!delivery || (options.dueAt && (!delivery.enabled || !isDue(delivery, options.dueAt)))) return false;
  const payload = await ctx.db.read((em) => webhookBody(em, delivery.eventId));
  await ctx.db.close();
  const result: PostResult = payload
    ? await postJson({
        url: delivery.url,
        body: payload.body,
        headers: signatureHeaders(openSecret(config.DATA_ENCRYPTION_KEY, delivery.secretSealed), payload.id, now, payload.body),
        timeoutMs: config.WEBHOOK_TIMEOUT_MS,
        allowPrivate: config.WEBHOOK_ALLOW_PRIVATE_TARGETS,
      })
    : { ok: false, status: null, error: 'unreachable', message: 'the event is no longer kept (RECORD_EVENTS_RETENTION_DAYS)', durationMs: 0 };
  await ctx.db.write((em) => recordAttempt(ctx, em, deliveryId, options.dueAt, now, result, !payload));
  return true;
}

/**
 * Logs the attempt and moves the delivery on: 2xx succeeds; a failed scheduled attempt is
 * retried after the next delay, or is DEAD when that would pass the retry window (counted from
 * the first attempt). A manual attempt that fails leaves a retrying delivery retrying and makes
 * any other DEAD. An attempt whose schedule a concurrent one already moved on is only logged.
 */
async function recordAttempt(ctx: RequestContext, em: EntityManager, deliveryId: string, dueAt: Date | null, now: Date, result: PostResult, gone: boolean): Promise<void> {
  const locked = (await em.query(`SELECT ${STATE} FROM webhook_deliveries d WHERE d.id = $1 FOR UPDATE`, [deliveryId])) as DeliveryState[];
  const state = locked[0];
  if (!state) return;
  const error = errorOf(result);
  await em.query(
    `INSERT INTO webhook_delivery_attempts (workspace_id, delivery_id, at, status_code, error, duration_ms, response_excerpt, manual)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
    [ctx.workspaceId, deliveryId, now, result.status, error, result.durationMs, result.status === null ? null : result.excerpt || null, dueAt === null],
  );
  const scheduled = dueAt !== null && isDue(state, dueAt);
  let status = state.status;
  let next = state.nextAttemptAt;
  if (result.ok) [status, next] = [Status.SUCCEEDED, null];
  else if (dueAt === null) status = next ? Status.FAILED : Status.DEAD;
  else if (scheduled) {
    const due = new Date(now.getTime() + retryDelayMs(ctx.runtime.config, state.attempts + 1));
    const windowEnd = (state.firstAttemptAt ?? now).getTime() + ctx.runtime.config.WEBHOOK_RETRY_WINDOW_HOURS * 3_600_000;
    [status, next] = gone || due.getTime() > windowEnd ? [Status.DEAD, null] : [Status.FAILED, due];
    if (next) scheduleAttempt(ctx, deliveryId, next);
  }
  await em.query(
    `UPDATE webhook_deliveries SET status = $2, next_attempt_at = $3, attempts = attempts + 1, first_attempt_at = COALESCE(first_attempt_at, $4),
       last_attempt_at = $4, last_status_code = $5, last_error = $6, duration_ms = $7 WHERE id = $1`,
    [deliveryId, status, next, now, result.status, error, result.durationMs],
  );
  if (result.ok) await webhookSucceeded(em, state.webhookId);
  else if (scheduled) await webhookFailed(ctx, em, state.webhookId, now);
}
