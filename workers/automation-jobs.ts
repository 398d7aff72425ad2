import { RequestContext } from '../src/kernel/context';
import {
  executeRun,
  AutomationTriggerType,
  fireDateRelative,
  fireScheduleOccurrence,
  isAutomationScheduler,
  schedulerId,
  syncSchedule,
} from '../src/modules/automations';
import type { JobHandler } from './jobs';

/** One attempt of a run; see executeRun for statuses, retries and UnrecoverableError. */
export const runAutomation: JobHandler<'automations', 'automation-run'> = (job, runtime) =>
  executeRun(runtime, job.data.workspaceId, job.data.runId, { made: job.attemptsMade, max: job.opts.attempts ?? 1 });

/** One occurrence of a SCHEDULE automation (added by its job scheduler); the rules: modules/automations/automation-fan-out.ts. */
export const fireSchedule: JobHandler<'automations', 'automation-schedule'> = async (job, runtime) => ({
  queued: await fireScheduleOccurrence(runtime, job.data.workspaceId, job.data.automationId, String(job.id)),
});

interface TimedAutomation {
  workspace_id: string;
  automation_id: string;
  trigger_type: AutomationTriggerType;
}

/**
 * The periodic sweep (every minute, SCHEDULES in jobs.ts): fires DATE_RELATIVE triggers that came
 * due, reconciles job schedulers with the database (the one truth: missing ones registered,
 * stray ones removed). Runs left QUEUED without a job are the reconciler's (workers/reconciler.ts). Lists across workspaces go
 * through SECURITY DEFINER functions that return ids only (migration 1763800000010).
 */
export const sweepAutomations: JobHandler<'automations', 'automation-sweep'> = async (_job, runtime) => {
  const timed = (await runtime.dataSource.query(`SELECT * FROM crm_timed_automations()`)) as TimedAutomation[];
  let dateRuns = 0;
  const schedules = new Set<string>();
  for (const automation of timed) {
    if (automation.trigger_type === AutomationTriggerType.DATE_RELATIVE) {
      dateRuns += await fireDateRelative(runtime, automation.workspace_id, automation.automation_id);
    } else {
      schedules.add(schedulerId(automation.automation_id));
      await RequestContext.asSystem(runtime, automation.workspace_id, 'automation-sweep', (ctx) =>
        ctx.db.read((em) => syncSchedule(ctx, em, automation.automation_id)),
      );
    }
  }
  const queue = runtime.producers!.automations;
  let removed = 0;
  for (const scheduler of await queue.getJobSchedulers()) {
    if (isAutomationScheduler(scheduler.key) && !schedules.has(scheduler.key)) {
      await queue.removeJobScheduler(scheduler.key);
      removed += 1;
    }
  }
  return { dateRuns, schedules: schedules.size, removedSchedulers: removed };
};
