import type { DataSource } from 'typeorm';
import type { IdentifiedJob, WebhookDeliveryPayload } from '../../kernel/queue';
import { deliveryJob } from './webhook-attempt';

/** At most this many stranded deliveries are queued per sweep; the next sweep takes the rest. */
const SWEEP_BATCH = 1000;

/**
 * The jobs of open deliveries (PENDING or FAILED, webhook enabled) whose attempt was due more
 * than `overdueMs` ago: their job was lost with Redis, or never queued because the worker died
 * between the fan-out's commit and its enqueue. Queueing them again cannot send twice: the job id
 * names the attempt, and an attempt that already happened moved the delivery's due time on.
 */
export async function strandedDeliveries(dataSource: DataSource, overdueMs: number): Promise<Array<IdentifiedJob<WebhookDeliveryPayload>>> {
  const rows = (await dataSource.query(`SELECT * FROM crm_stranded_webhook_deliveries(make_interval(secs => $1::float8 / 1000), $2)`, [
    overdueMs,
    SWEEP_BATCH,
  ])) as Array<{ workspace_id: string; delivery_id: string; due_at: Date }>;
  return rows.map((row) => deliveryJob(row.workspace_id, row.delivery_id, new Date(row.due_at)));
}
