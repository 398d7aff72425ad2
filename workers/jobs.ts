import type { Job, JobSchedulerTemplateOptions } from 'bullmq';
import type { AppRuntime } from '../src/kernel/context';
import type { JobName, JobPayload, QueueName } from '../src/kernel/queue';
import { purgeProcessedEvents } from './purge-processed-events';
import { purgeRefreshTokens } from './purge-refresh-tokens';
import { dispatchRecordEvent } from './record-events';
import { sendTaskReminder } from './task-reminders';

/** Runs one job; `runtime.logger` already names the queue, the job and its id. Must be safe to run twice. */
export type JobHandler<Q extends QueueName, N extends JobName<Q>> = (job: Job<JobPayload<Q, N>>, runtime: AppRuntime) => Promise<unknown>;

export type QueueHandlers<Q extends QueueName> = { [N in JobName<Q>]: JobHandler<Q, N> };

/** Every queue the worker process consumes, and the handler for each job name on it. */
export const HANDLERS: { [Q in QueueName]: QueueHandlers<Q> } = {
  maintenance: {
    'purge-refresh-tokens': purgeRefreshTokens,
    'purge-processed-events': purgeProcessedEvents,
  },
  'record-events': {
    'record-event': dispatchRecordEvent,
  },
  reminders: {
    'task-reminder': sendTaskReminder,
  },
};

type ScheduleOf<Q extends QueueName> = {
  [N in JobName<Q>]: { queue: Q; job: N; everyMs: number; data: JobPayload<Q, N> };
}[JobName<Q>];

/** Recurring work; each job name is also its scheduler id, so registering again replaces, never adds. */
export type Schedule = { [Q in QueueName]: ScheduleOf<Q> }[QueueName];

const HOUR_MS = 60 * 60 * 1000;

export const SCHEDULES: readonly Schedule[] = [
  { queue: 'maintenance', job: 'purge-refresh-tokens', everyMs: HOUR_MS, data: {} },
  { queue: 'maintenance', job: 'purge-processed-events', everyMs: HOUR_MS, data: {} },
];

/** A failed run is retried a few times; the next scheduled run comes anyway. */
export const SCHEDULED_JOB_OPTIONS: JobSchedulerTemplateOptions = {
  attempts: 3,
  backoff: { type: 'exponential', delay: 10_000 },
};
