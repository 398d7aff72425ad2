import { automationRunService, AutomationRunStatus, enqueueAfterCommit, matchRecordEvent, RECORD_EVENT_TYPES, syncSchedule } from '../src/modules/automations';
import type { EventHandler } from './record-events';

/** Record events to the automations they trigger (the rules: modules/automations/automation-triggers). */
export const matchAutomations: EventHandler = {
  name: 'automation-triggers',
  types: RECORD_EVENT_TYPES,
  run: (ctx, em, event) => matchRecordEvent(ctx, em, event),
};

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
