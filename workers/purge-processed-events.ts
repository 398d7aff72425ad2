import type { JobHandler } from './jobs';
import { purgeInBatches } from './purge-in-batches';

/**
 * Deletes ledger rows (processed_events) older than PROCESSED_EVENTS_RETENTION_DAYS in every
 * workspace, a batch at a time, through crm_purge_processed_events (migration 1763800000011:
 * row-level security confines the application role to one workspace).
 *
 * Safe because a claim is only needed while its event can still be delivered again, and that
 * window is bounded: a record-event job retries for seconds (5 attempts, backoff from 1 s), a job
 * recovered from a dead worker runs again within the stalled interval, the relay re-adds events
 * only between an enqueue and its advance; and the dispatcher refuses any event older than the
 * retention less an hour (a failed job retried by hand weeks later, an event that waited out a
 * month-long outage), so no handler can run for an event whose claim may have been purged.
 */
export const purgeProcessedEvents: JobHandler<'maintenance', 'purge-processed-events'> = (_job, runtime) =>
  purgeInBatches(runtime, 'crm_purge_processed_events', runtime.config.PROCESSED_EVENTS_RETENTION_DAYS, 'old processed_events ledger rows');
