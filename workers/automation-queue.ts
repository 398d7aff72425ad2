import type { Queue } from 'bullmq';
import type { RequestContext } from '../src/kernel/context';
import type { AutomationRunPayload, Producers } from '../src/kernel/queue';

/** Attempts per run job; between them exponential backoff from RUN_BACKOFF_MS. */
/** Attempts and backoff of automation jobs: runs, and scheduled automations' occurrences. */
export const RUN_JOB_OPTIONS = { attempts: 3, backoff: { type: 'exponential', delay: 1_000 } };

/** The job of a run's first execution (retries = 0) or of its n-th manual retry: one job each, however often added. */
export const runJobId = (runId: string, retries: number) => `run-${runId}-${retries}`;

/** BullMQ refuses ':' in custom ids; one scheduler per SCHEDULE automation. */
export const schedulerId = (automationId: string) => `automation-${automationId}`;

export function automationsQueue(ctx: RequestContext): Producers['automations'] {
  const queue = ctx.runtime.producers?.automations;
  if (!queue) throw new Error('automations need the automations queue (worker process only)');
  return queue;
}

export function enqueueRun(queue: Queue<AutomationRunPayload>, workspaceId: string, runId: string, retries: number): Promise<unknown> {
  return queue.add('automation-run', { workspaceId, runId }, { jobId: runJobId(runId, retries), ...RUN_JOB_OPTIONS });
}

/** Adds the run's job once the caller's write has committed (the job must find its row). */
export function enqueueAfterCommit(ctx: RequestContext, runId: string, retries = 0): void {
  const queue = automationsQueue(ctx);
  ctx.db.onCommit(async () => {
    // The run is committed QUEUED either way: if Redis refuses now, the sweep enqueues it later.
    await enqueueRun(queue as unknown as Queue<AutomationRunPayload>, ctx.workspaceId, runId, retries).catch((error: unknown) =>
      ctx.runtime.logger.warn({ err: error, runId }, 'automation run not enqueued; the sweep will'),
    );
  });
}
