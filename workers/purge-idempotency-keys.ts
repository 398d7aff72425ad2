import type { JobHandler } from './jobs';

/** Rows per statement: short transactions that never hold many row locks at once. */
const BATCH = 5000;

/**
 * Deletes expired Idempotency-Key rows (past IDEMPOTENCY_TTL_HOURS) in every workspace, a batch at
 * a time, through crm_purge_idempotency_keys (migration 1763800000014), which can see expired rows
 * only. An expired row is already ignored by requests (a new claim replaces it), so the purge only
 * keeps the table small.
 */
export const purgeIdempotencyKeys: JobHandler<'maintenance', 'purge-idempotency-keys'> = async (_job, runtime) => {
  let purged = 0;
  for (;;) {
    const [row] = (await runtime.dataSource.query('SELECT crm_purge_idempotency_keys($1) AS purged', [BATCH])) as Array<{ purged: number }>;
    purged += row.purged;
    if (row.purged < BATCH) break;
  }
  runtime.logger.info({ purged }, 'purged expired idempotency keys');
  return { purged };
};
