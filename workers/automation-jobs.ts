import { executeRun, fireScheduleOccurrence, sweepTimedAutomations } from '../src/modules/automations';
import type { JobHandler } from './jobs';

/** One attempt of a run; see executeRun for statuses, retries and UnrecoverableError. */
export const runAutomation: JobHandler<'automations', 'automation-run'> = (job, runtime) =>
  executeRun(runtime, job.data.workspaceId, job.data.runId, { made: job.attemptsMade, max: job.opts.attempts ?? 1 });

/** One occurrence of a SCHEDULE automation (added by its job scheduler); the rules: modules/automations/automation-fan-out.ts. */
export const fireSchedule: JobHandler<'automations', 'automation-schedule'> = async (job, runtime) => ({
  queued: await fireScheduleOccurrence(runtime, job.data.workspaceId, job.data.automationId, String(job.id)),
});

/** Every minute (SCHEDULES in jobs.ts); the rules: modules/automations/automation-sweep.ts. */
export const sweepAutomations: JobHandler<'automations', 'automation-sweep'> = (_job, runtime) => sweepTimedAutomations(runtime);
