import { remindTaskOwner, scheduleTaskReminders as schedule, TASK_REMINDER_EVENTS } from '../src/modules/notifications';
import type { JobHandler } from './jobs';
import type { EventHandler } from './record-events';

/** Task events schedule the reminder jobs (the rules: modules/notifications/task-reminders.ts). */
export const scheduleTaskReminders: EventHandler = {
  name: 'task-reminders',
  types: TASK_REMINDER_EVENTS,
  async run(ctx, em, event) {
    const queue = ctx.runtime.producers?.reminders;
    if (!queue) throw new Error('task-reminders needs the reminders queue (worker process only)');
    await schedule(ctx, em, event, queue);
  },
};

export const sendTaskReminder: JobHandler<'reminders', 'task-reminder'> = (job, runtime) => remindTaskOwner(runtime, `reminder:${job.id}`, job.data);
