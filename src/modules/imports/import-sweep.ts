import type { Queue } from 'bullmq';
import type { AppRuntime } from '../../kernel/context';
import { repeatUntilShort } from '../../kernel/db/batched';
import type { ImportJobPayload } from '../../kernel/queue';
import { enqueueImport, importQueueJobId } from './import-queue';

/** An open import untouched this long has lost its job (Redis lost it, or it failed for good): the sweep queues it again. */
export const IMPORT_STALE_AFTER = '1 minute';

/** Job states in which a job will still run: its import is not lost. */
const PENDING = new Set(['active', 'waiting', 'delayed', 'prioritized', 'waiting-children']);

/**
 * Queues again open imports no worker touched for IMPORT_STALE_AFTER whose job is neither
 * waiting nor running (lost with Redis, or failed for good after its worker died too often), and
 * purges staged lines that ended imports left behind. Lists across workspaces go through
 * SECURITY DEFINER functions (crm_stale_import_jobs, crm_purge_import_rows).
 */
export async function sweepImports(runtime: AppRuntime, queue: Queue<ImportJobPayload>): Promise<{ requeued: number; purged: number }> {
  const stale = (await runtime.dataSource.query(`SELECT * FROM crm_stale_import_jobs($1::interval)`, [IMPORT_STALE_AFTER])) as Array<{ workspace_id: string; job_id: string }>;
  let requeued = 0;
  for (const row of stale) {
    const id = importQueueJobId(row.job_id);
    const state = await queue.getJobState(id);
    if (PENDING.has(state)) continue;
    if (state !== 'unknown') await queue.remove(id);
    await enqueueImport(queue, { workspaceId: row.workspace_id, importJobId: row.job_id });
    requeued += 1;
  }
  const purged = await repeatUntilShort(runtime, `SELECT crm_purge_import_rows($1) AS purged`);
  return { requeued, purged };
}
