import type { AppRuntime } from '../src/kernel/context';
import { repeatUntilShort } from '../src/kernel/db/batched';

/**
 * Calls a cross-workspace purge function `fn(older_than interval, max_rows integer) → integer`
 * a batch at a time until a batch comes back short; logs and returns how many rows went.
 */
export async function purgeInBatches(runtime: AppRuntime, fn: string, retentionDays: number, what: string): Promise<{ purged: number }> {
  const retention = `${retentionDays} days`;
  const purged = await repeatUntilShort(runtime, `SELECT ${fn}($1::interval, $2) AS purged`, [retention]);
  runtime.logger.info({ purged, retention }, `purged ${what}`);
  return { purged };
}
