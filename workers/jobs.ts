import type { Job, JobSchedulerTemplateOptions } from 'bullmq';
import type { Config } from '../src/config/config';
import type { AppRuntime } from '../src/kernel/context';
import type { JobName, JobPayload, QueueName } from '../src/kernel/queue';
import { sweepFollowUps } from './follow-up-sweep';
import { takeForecastSnapshots } from './forecast-snapshots';
import { purgeIdempotencyKeys } from './purge-idempotency-keys';
import { purgeProcessedEvents } from './purge-processed-events';
import { purgeRecordEvents } from './purge-record-events';
import { purgeRefreshTokens } from './purge-refresh-tokens';
import { dispatchRecordEvent } from './record-events';
import { sendTaskReminder } from './task-reminders';
import { runSlaCheck, runSlaSweep } from './ticket-sla';
import { fireSchedule, runAutomation, sweepAutomations } from './automation-jobs';
import { deliverWebhook } from './webhook-deliveries';
import { runImportJob, sweepLostImports } from './import-jobs';

/** Runs one job; `runtime.logger` already names the queue, the job and its id. Must be safe to run twice. */
export type JobHandler<Q extends QueueName, N extends JobName<Q>> = (job: Job<JobPayload<Q, N>>, runtime: AppRuntime) => Promise<unknown>;

export type QueueHandlers<Q extends QueueName> = { [N in JobName<Q>]: JobHandler<Q, N> };

/** Every queue the worker process consumes, and the handler for each job name on it. */
export const HANDLERS: { [Q in QueueName]: QueueHandlers<Q> } = {
  maintenance: {
    'purge-refresh-tokens': purgeRefreshTokens,
    'purge-processed-events': purgeProcessedEvents,
    'purge-record-events': purgeRecordEvents,
    'purge-idempotency-keys': purgeIdempotencyKeys,
  },
  'follow-ups': {
    'follow-up-sweep': sweepFollowUps,
  },
  'record-events': {
    'record-event': dispatchRecordEvent,
  },
  forecasts: {
    'forecast-snapshots': takeForecastSnapshots,
  },
  reminders: {
    'task-reminder': sendTaskReminder,
  },
  sla: {
    'sla-check': runSlaCheck,
    'sla-sweep': runSlaSweep,
  },
  automations: {
    'automation-run': runAutomation,
    'automation-schedule': fireSchedule,
    'automation-sweep': sweepAutomations,
  },
  'webhook-deliveries': {
    'webhook-delivery': deliverWebhook,
  },
  imports: {
    'import-job': runImportJob,
    'import-sweep': sweepLostImports,
  },
};

type ScheduleOf<Q extends QueueName> = {
  /** `everyMs` may depend on the configuration, read when the schedules are registered. */
  [N in JobName<Q>]: { queue: Q; job: N; everyMs: number | ((config: Config) => number); data: JobPayload<Q, N> };
}[JobName<Q>];

/** Recurring work; each job name is also its scheduler id, so registering again replaces, never adds. */
export type Schedule = { [Q in QueueName]: ScheduleOf<Q> }[QueueName];

const HOUR_MS = 60 * 60 * 1000;

export const SCHEDULES: readonly Schedule[] = [
  { queue: 'maintenance', job: 'purge-refresh-tokens', everyMs: HOUR_MS, data: {} },
  { queue: 'maintenance', job: 'purge-processed-events', everyMs: HOUR_MS, data: {} },
  { queue: 'maintenance', job: 'purge-record-events', everyMs: HOUR_MS, data: {} },
  { queue: 'maintenance', job: 'purge-idempotency-keys', everyMs: HOUR_MS, data: {} },
  { queue: 'sla', job: 'sla-sweep', everyMs: 60_000, data: {} },
  { queue: 'follow-ups', job: 'follow-up-sweep', everyMs: (config) => config.FOLLOW_UP_SWEEP_MINUTES * 60_000, data: {} },
  { queue: 'automations', job: 'automation-sweep', everyMs: 60_000, data: {} },
  { queue: 'imports', job: 'import-sweep', everyMs: 60_000, data: {} },
  // Daily, not weekly: each run replaces its week's snapshot, so a week missed by a worker outage still gets one.
  { queue: 'forecasts', job: 'forecast-snapshots', everyMs: 24 * HOUR_MS, data: {} },
];

/** A failed run is retried a few times; the next scheduled run comes anyway. */
export const SCHEDULED_JOB_OPTIONS: JobSchedulerTemplateOptions = {
  attempts: 3,
  backoff: { type: 'exponential', delay: 10_000 },
};
