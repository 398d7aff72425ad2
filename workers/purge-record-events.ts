import type { JobHandler } from './jobs';
import { purgeInBatches } from './purge-in-batches';

/**
 * Deletes record events older than RECORD_EVENTS_RETENTION_DAYS in every workspace through
 * crm_purge_record_events (migration 1763800000012), which deletes only numbered events every
 * relay has passed (an event still owed to the queue stays, however old) and raises each
 * workspace's retention mark, so that a change-feed cursor from before it is refused rather than
 * silently skipping what was deleted.
 */
export const purgeRecordEvents: JobHandler<'maintenance', 'purge-record-events'> = (_job, runtime) =>
  purgeInBatches(runtime, 'crm_purge_record_events', runtime.config.RECORD_EVENTS_RETENTION_DAYS, 'old record events');
