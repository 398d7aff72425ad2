import type { JobHandler } from './jobs';
import { repeatUntilShort } from '../src/kernel/db/batched';

/**
 * Deletes expired Idempotency-Key rows (past IDEMPOTENCY_TTL_HOURS) in every workspace, a batch at
 * a time, through crm_purge_idempotency_keys (migration 1763800000014), which can see expired rows
 * only. An expired row is already ignored by requests (a new claim replaces it), so the purge only
 * keeps the table small.
 */
export const purgeIdempotencyKeys: JobHandler<'maintenance', 'purge-idempotency-keys'> = async (_job, runtime) => {
  const purged = await repeatUntilShort(runtime, 'SELECT crm_purge_idempotency_keys($1) AS purged');
  runtime.logger.info({ purged }, 'purged expired idempotency keys');
  return { purged };
};
