import type { Queue } from 'bullmq';
import { CronExpressionParser } from 'cron-parser';
import type { EntityManager } from 'typeorm';
import type { RequestContext } from '../src/kernel/context';
import type { AutomationSchedulePayload } from '../src/kernel/queue';
import {
  AUTOMATION_OBJECTS,
  objectOfNodeType,
  automationRunService,
  conditionHolds,
  type AutomationDefinition,
  AutomationRunStatus,
  AutomationTriggerType,
  automationService,
} from '../src/modules/automations';
import { automationsQueue, enqueueAfterCommit, RUN_JOB_OPTIONS, schedulerId } from './automation-queue';
import type { EventHandler } from './record-events';

const lowerFirst = (name: string) => `${name[0].toLowerCase()}${name.slice(1)}`;

/** `deal.created`, `deal.updated`, … for every object automations can watch. */
const RECORD_EVENT_TYPES = Object.values(AUTOMATION_OBJECTS).flatMap((object) => [`${lowerFirst(object.nodeType)}.created`, `${lowerFirst(object.nodeType)}.updated`]);

export const LOOP_GUARD = 'loop guard';

/**
 * Matches a record event to the workspace's enabled RECORD_CREATED / RECORD_UPDATED automations
 * of its object type: watched fields (one of them among the event's changed fields), then the
 * condition on the record as it is now. Each match is recorded as a run (trigger `event:<id>`,
 * unique per automation, so a duplicate event runs once) and enqueued after commit. An event
 * made by an automation chain AUTOMATION_MAX_DEPTH runs deep records a SKIPPED run instead.
 */
export const matchAutomations: EventHandler = {
  name: 'automation-triggers',
  types: RECORD_EVENT_TYPES,
  async run(ctx, em, event) {
    const object = objectOfNodeType(event.recordType)!;
    const triggerType = event.type.endsWith('.created') ? AutomationTriggerType.RECORD_CREATED : AutomationTriggerType.RECORD_UPDATED;
    const [row] = (await em.query(`SELECT changed, automation_depth FROM record_events WHERE id = $1`, [event.eventId])) as Array<{ changed: string[]; automation_depth: number }>;
    const automations = (await em.query(
      `SELECT id, version, definition FROM automations
       WHERE workspace_id = $1 AND object_type = $2 AND trigger_type = $3 AND enabled AND deleted_at IS NULL`,
      [ctx.workspaceId, object.type, triggerType],
    )) as Array<{ id: string; version: number; definition: AutomationDefinition }>;
    const loop = row.automation_depth >= ctx.runtime.config.AUTOMATION_MAX_DEPTH;
    for (const automation of automations) {
      const watched = automation.definition.trigger.watchedFields;
      if (watched?.length && !watched.some((field) => row.changed.includes(field))) continue;
      if (!(await conditionHolds(ctx, em, object, automation.definition.condition, event.recordId))) continue;
      const runId = await automationRunService.record(ctx, em, {
        automationId: automation.id,
        version: automation.version,
        triggerKey: `event:${event.eventId}`,
        triggerEventId: event.eventId,
        object,
        recordId: event.recordId,
        depth: row.automation_depth + 1,
        status: loop ? AutomationRunStatus.SKIPPED : AutomationRunStatus.QUEUED,
        reason: loop ? LOOP_GUARD : null,
      });
      if (runId && !loop) enqueueAfterCommit(ctx, runId);
    }
  },
};

/**
 * Puts one automation's job scheduler in step with the database: registered (or replaced) while
 * it is a live, enabled SCHEDULE automation, removed otherwise. Safe to repeat.
 */
export async function syncSchedule(ctx: RequestContext, em: EntityManager, automationId: string): Promise<'registered' | 'removed'> {
  const queue = automationsQueue(ctx) as unknown as Queue<AutomationSchedulePayload>;
  const automation = await automationService.loadAny(ctx, em, automationId);
  const trigger = automation?.definition.trigger;
  if (!automation || !automation.enabled || automation.deletedAt || trigger?.type !== AutomationTriggerType.SCHEDULE) {
    await queue.removeJobScheduler(schedulerId(automationId));
    return 'removed';
  }
  const id = schedulerId(automationId);
  const repeat = { pattern: trigger.cron!, tz: trigger.timeZone ?? 'UTC' };
  const template = { name: 'automation-schedule', data: { workspaceId: ctx.workspaceId, automationId }, opts: RUN_JOB_OPTIONS };
  try {
    await queue.upsertJobScheduler(id, repeat, template);
  } catch (error) {
    // BullMQ refuses when the next occurrence's job id is still kept from an earlier registration
    // (e.g. disabled and enabled again after that occurrence ran early). Its runs are recorded by
    // occurrence, so the old job can go without anything running twice.
    if (!String(error).includes('job ID already exists')) throw error;
    const next = CronExpressionParser.parse(repeat.pattern, { tz: repeat.tz, currentDate: new Date() }).next().getTime();
    await queue.remove(`repeat:${id}:${next}`);
    await queue.upsertJobScheduler(id, repeat, template);
  }
  return 'registered';
}

/**
 * The API has no queue producers; an automation's create, update, enable, disable and delete
 * write `automation.*` events to the outbox, and this handler registers or removes its job
 * scheduler once they committed. The periodic sweep reconciles the rest (e.g. a Redis reset).
 */
export const syncAutomationSchedules: EventHandler = {
  name: 'automation-schedules',
  types: ['automation.created', 'automation.updated', 'automation.deleted'],
  async run(ctx, em, event) {
    await syncSchedule(ctx, em, event.recordId);
  },
};

/** retryAutomationRun writes `automationRun.updated`; this adds the retry's job (one per retry count). */
export const enqueueRetriedRuns: EventHandler = {
  name: 'automation-retries',
  types: ['automationRun.updated'],
  async run(ctx, em, event) {
    const run = await automationRunService.fetch(ctx, em, event.recordId);
    if (run?.status === AutomationRunStatus.QUEUED) enqueueAfterCommit(ctx, run.id, run.retries);
  },
};
