import type { JobHandler } from './jobs';

/** Rows per statement: short transactions that never hold many row locks at once. */
const BATCH = 5000;

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
export const purgeProcessedEvents: JobHandler<'maintenance', 'purge-processed-events'> = async (_job, runtime) => {
  const retention = `${runtime.config.PROCESSED_EVENTS_RETENTION_DAYS} days`;
  let purged = 0;
  for (;;) {
    const [row] = (await runtime.dataSource.query('SELECT crm_purge_processed_events($1::interval, $2) AS purged', [retention, BATCH])) as Array<{
      purged: number;
    }>;
    purged += row.purged;
    if (row.purged < BATCH) break;
  }
  runtime.logger.info({ purged, retention }, 'purged old processed_events ledger rows');
  return { purged };
};
