import type { AppRuntime } from '../src/kernel/context';

/** Rows per statement: short transactions that never hold many row locks at once. */
const BATCH = 5000;

/**
 * Calls a cross-workspace purge function `fn(older_than interval, max_rows integer) → integer`
 * (SECURITY DEFINER: row-level security confines the worker's role to one workspace) a batch at
 * a time until a batch comes back short; logs and returns how many rows went.
 */
export async function purgeInBatches(runtime: AppRuntime, fn: string, retentionDays: number, what: string): Promise<{ purged: number }> {
  const retention = `${retentionDays} days`;
  const purged = await repeatUntilShort(runtime, `SELECT ${fn}($1::interval, $2) AS purged`, [retention]);
  runtime.logger.info({ purged, retention }, `purged ${what}`);
  return { purged };
}

/**
 * Runs a purge statement (answering `purged`, taking the batch size as its last parameter after
 * `params`) until a batch comes back short; returns how many rows went in all.
 */
export async function repeatUntilShort(runtime: AppRuntime, sql: string, params: unknown[] = []): Promise<number> {
  let purged = 0;
  for (;;) {
    const [row] = (await runtime.dataSource.query(sql, [...params, BATCH])) as Array<{ purged: number }>;
    purged += row.purged;
    if (row.purged < BATCH) return purged;
  }
}
