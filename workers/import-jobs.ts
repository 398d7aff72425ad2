import type { Queue } from 'bullmq';
import type { ImportJobPayload } from '../src/kernel/queue';
import { enqueueImport, importQueueJobId, runImport } from '../src/modules/imports';
import type { JobHandler } from './jobs';
import { repeatUntilShort } from './purge-in-batches';

/** An open import untouched this long has lost its job (Redis lost it, or it failed for good): the sweep queues it again. */
export const IMPORT_STALE_AFTER = '1 minute';

/** Runs an import until it ends (the rules: modules/imports/import-runner.ts); the last attempt's error ends it FAILED. */
export const runImportJob: JobHandler<'imports', 'import-job'> = (job, runtime) => runImport(runtime, job.data, job.attemptsMade + 1 >= (job.opts.attempts ?? 1));

/**
 * Every minute: queues again open imports no worker touched for IMPORT_STALE_AFTER whose job is
 * neither waiting nor running (lost with Redis, or failed for good after its worker died too
 * often), and purges staged lines that ended imports left behind.
 */
export const sweepImports: JobHandler<'imports', 'import-sweep'> = async (_job, runtime) => {
  const queue = runtime.producers!.imports as Queue<ImportJobPayload>;
  const stale = (await runtime.dataSource.query(`SELECT * FROM crm_stale_import_jobs($1::interval)`, [IMPORT_STALE_AFTER])) as Array<{ workspace_id: string; job_id: string }>;
  let requeued = 0;
  for (const row of stale) {
    const id = importQueueJobId(row.job_id);
    const state = await queue.getJobState(id);
    if (state === 'active' || state === 'waiting' || state === 'delayed' || state === 'prioritized' || state === 'waiting-children') continue;
    if (state !== 'unknown') await queue.remove(id);
    await enqueueImport(queue, { workspaceId: row.workspace_id, importJobId: row.job_id });
    requeued += 1;
  }
  const purged = await repeatUntilShort(runtime, `SELECT crm_purge_import_rows($1) AS purged`);
  return { requeued, purged };
};
