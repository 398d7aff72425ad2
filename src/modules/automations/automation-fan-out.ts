import { RequestContext, type AppRuntime } from '../../kernel/context';
import type { SqlParams } from '../../kernel/sql';
import { AUTOMATION_OBJECTS } from './automation-objects';
import { enqueueAfterCommit } from './automation-queue';
import { automationRunService, matchingRecords, type RecordScope } from './automation-runs.service';
import type { Automation } from './automation.entity';
import { AutomationRunStatus, AutomationTriggerType } from './automation.enums';
import { automationService } from './automation.service';

/** Runs fanned out per schedule occurrence or sweep, per automation: a bound, not a feature. */
export const MAX_RECORDS_PER_OCCURRENCE = 500;

/** How far back a DATE_RELATIVE moment may lie and still fire (a new automation does not fire for every old record). */
const DATE_LOOKBACK = '1 day';

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

/** One occurrence (`occurrence`: its job id) of a SCHEDULE automation: a run per record matching the condition. */
export function fireScheduleOccurrence(runtime: AppRuntime, workspaceId: string, automationId: string, occurrence: string): Promise<number> {
  return fanOut(
    runtime,
    workspaceId,
    automationId,
    (automation) => automation.triggerType === AutomationTriggerType.SCHEDULE,
    () => ({ where: [] }),
    (recordId) => `schedule:${occurrence}:${recordId}`,
  );
}

/** DATE_RELATIVE: records whose date + offset has come within the look-back, once per record and date value. */
export function fireDateRelative(runtime: AppRuntime, workspaceId: string, automationId: string): Promise<number> {
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
