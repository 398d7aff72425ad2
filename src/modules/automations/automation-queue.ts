import type { Queue } from 'bullmq';
import type { DataSource } from 'typeorm';
import type { RequestContext } from '../../kernel/context';
import type { AutomationRunPayload, IdentifiedJob, Producers } from '../../kernel/queue';

/** Attempts and backoff of automation jobs: runs, and scheduled automations' occurrences. */
export const RUN_JOB_OPTIONS = { attempts: 3, backoff: { type: 'exponential', delay: 1_000 } };

/** The job of a run's first execution (retries = 0) or of its n-th manual retry: one job each, however often added. */
export const runJobId = (runId: string, retries: number) => `run-${runId}-${retries}`;

/** BullMQ refuses ':' in custom ids; one scheduler per SCHEDULE automation. */
export const schedulerId = (automationId: string) => `automation-${automationId}`;

/** Whether a job scheduler is a SCHEDULE automation's (and not, say, the `automation-sweep`'s own). */
export const isAutomationScheduler = (key: string) => /^automation-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(key);

export function automationsQueue(ctx: RequestContext): Producers['automations'] {
  const queue = ctx.runtime.producers?.automations;
  if (!queue) throw new Error('automations need the automations queue (worker process only)');
  return queue;
}

/** The job of a run's attempt series (first execution or n-th manual retry). */
export function runJob(workspaceId: string, runId: string, retries: number): IdentifiedJob<AutomationRunPayload> {
  return { name: 'automation-run', data: { workspaceId, runId }, opts: { jobId: runJobId(runId, retries), ...RUN_JOB_OPTIONS } };
}

export function enqueueRun(queue: Queue<AutomationRunPayload>, workspaceId: string, runId: string, retries: number): Promise<unknown> {
  const job = runJob(workspaceId, runId, retries);
  return queue.add(job.name, job.data, job.opts);
}

/**
 * The jobs of runs still QUEUED, or left RUNNING, `overdueMs` after they last changed: their job
 * was lost with Redis, never added (a crash after commit), or failed while the database was
 * away. Queueing one again runs it once: a run executes only while QUEUED or RUNNING, keeps the
 * actions that succeeded, and the job id (the run and its retry) is left alone while it runs.
 */
export async function stalledRunJobs(dataSource: DataSource, overdueMs: number): Promise<Array<IdentifiedJob<AutomationRunPayload>>> {
  const rows = (await dataSource.query(`SELECT * FROM crm_stalled_automation_runs(make_interval(secs => $1::float8 / 1000))`, [overdueMs])) as Array<{
    workspace_id: string;
    run_id: string;
    retries: number;
  }>;
  return rows.map((row) => runJob(row.workspace_id, row.run_id, row.retries));
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
