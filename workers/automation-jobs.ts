import { RequestContext, type AppRuntime } from '../src/kernel/context';
import type { SqlParams } from '../src/kernel/sql';
import {
  AUTOMATION_OBJECTS,
  automationRunService,
  matchingRecords,
  type RecordScope,
  executeRun,
  AutomationRunStatus,
  AutomationTriggerType,
  type Automation,
  automationService,
  enqueueAfterCommit,
  isAutomationScheduler,
  schedulerId,
  syncSchedule,
} from '../src/modules/automations';
import type { JobHandler } from './jobs';

/** Runs fanned out per schedule occurrence or sweep, per automation: a bound, not a feature. */
export const MAX_RECORDS_PER_OCCURRENCE = 500;

/** How far back a DATE_RELATIVE moment may lie and still fire (a new automation does not fire for every old record). */
const DATE_LOOKBACK = '1 day';

/** One attempt of a run; see executeRun for statuses, retries and UnrecoverableError. */
export const runAutomation: JobHandler<'automations', 'automation-run'> = (job, runtime) =>
  executeRun(runtime, job.data.workspaceId, job.data.runId, { made: job.attemptsMade, max: job.opts.attempts ?? 1 });

/** In the automation's workspace as the system: records a QUEUED run per matching record and enqueues them after commit. */
async function fanOut(
  runtime: AppRuntime,
  workspaceId: string,
  automationId: string,
  accept: (automation: Automation) => boolean,
  scope: (automation: Automation, params: SqlParams) => RecordScope,
  triggerKey: (recordId: string, key: string | null) => string,
): Promise<number> {
  return RequestContext.asSystem(runtime, workspaceId, `automation:${automationId}`, (ctx) =>
    ctx.db.write(async (em) => {
      const automation = await automationService.loadAny(ctx, em, automationId);
      if (!automation || !automation.enabled || automation.deletedAt || !accept(automation)) return 0;
      const object = AUTOMATION_OBJECTS[automation.objectType];
      const records = await matchingRecords(ctx, em, object, automation.definition.condition, (params) => scope(automation, params), MAX_RECORDS_PER_OCCURRENCE);
      let queued = 0;
      for (const record of records) {
        const runId = await automationRunService.record(ctx, em, {
          automationId,
          version: automation.version,
          triggerKey: triggerKey(record.id, record.key),
          triggerEventId: null,
          object,
          recordId: record.id,
          depth: 1,
          status: AutomationRunStatus.QUEUED,
          reason: null,
        });
        if (runId) {
          enqueueAfterCommit(ctx, runId);
          queued += 1;
        }
      }
      return queued;
    }),
  );
}

/** One occurrence of a SCHEDULE automation (added by its job scheduler): a run per record matching the condition. */
export const fireSchedule: JobHandler<'automations', 'automation-schedule'> = async (job, runtime) => {
  const queued = await fanOut(
    runtime,
    job.data.workspaceId,
    job.data.automationId,
    (automation) => automation.triggerType === AutomationTriggerType.SCHEDULE,
    () => ({ where: [] }),
    (recordId) => `schedule:${job.id}:${recordId}`,
  );
  return { queued };
};

/** DATE_RELATIVE: records whose date + offset has come within the look-back, once per record and date value. */
function fireDateRelative(runtime: AppRuntime, workspaceId: string, automationId: string): Promise<number> {
  return fanOut(
    runtime,
    workspaceId,
    automationId,
    (automation) => automation.triggerType === AutomationTriggerType.DATE_RELATIVE,
    (automation, params) => {
      const { dateField, offsetMinutes } = automation.definition.trigger;
      const spec = AUTOMATION_OBJECTS[automation.objectType].fields[dateField!];
      // A date is a day in UTC (workspace time zones are not modelled yet).
      const value = spec.kind === 'date' ? `(t."${spec.column}"::timestamp AT TIME ZONE 'UTC')` : `t."${spec.column}"`;
      const moment = `(${value} + make_interval(mins => ${params.add(offsetMinutes ?? 0)}::int))`;
      return { where: [`${moment} <= now()`, `${moment} > now() - interval '${DATE_LOOKBACK}'`], key: `t."${spec.column}"` };
    },
    (recordId, key) => `date:${recordId}:${key}`,
  );
}

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
