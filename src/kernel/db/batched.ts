import type { AppRuntime } from '../context';

/** Rows per statement: short transactions that never hold many row locks at once. */
export const PURGE_BATCH = 5000;

/**
 * Runs a purge statement (answering `purged`, taking the batch size as its last parameter after
 * `params`) until a batch comes back short; returns how many rows went in all. Cross-workspace
 * purges are SECURITY DEFINER functions: row-level security confines the caller to one workspace.
 */
export async function repeatUntilShort(runtime: AppRuntime, sql: string, params: unknown[] = []): Promise<number> {
  let purged = 0;
  for (;;) {
    const [row] = (await runtime.dataSource.query(sql, [...params, PURGE_BATCH])) as Array<{ purged: number }>;
    purged += row.purged;
    if (row.purged < PURGE_BATCH) return purged;
  }
}
