import { RequestContext, type AppRuntime } from '../../kernel/context';
import { fireDateRelative } from './automation-fan-out';
import { isAutomationScheduler, schedulerId } from './automation-queue';
import { syncSchedule } from './automation-triggers';
import { AutomationTriggerType } from './automation.enums';

interface TimedAutomation {
  workspace_id: string;
  automation_id: string;
  trigger_type: AutomationTriggerType;
}

/**
 * The periodic sweep (every minute): fires DATE_RELATIVE triggers that came due, reconciles job
 * schedulers with the database (the one truth: missing ones registered, stray ones removed). Runs
 * left QUEUED without a job are the reconciler's (workers/reconciler.ts). Lists across workspaces
 * go through SECURITY DEFINER functions that return ids only (migration 1763800000010).
 */
export async function sweepTimedAutomations(runtime: AppRuntime) {
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
  const queue = runtime.producers?.automations;
  if (!queue) throw new Error('the automation sweep needs the automations queue (worker process only)');
  let removed = 0;
  for (const scheduler of await queue.getJobSchedulers()) {
    if (isAutomationScheduler(scheduler.key) && !schedules.has(scheduler.key)) {
      await queue.removeJobScheduler(scheduler.key);
      removed += 1;
    }
  }
  return { dateRuns, schedules: schedules.size, removedSchedulers: removed };
}
