import type { DefaultJobOptions, JobsOptions, Queue, RedisOptions } from 'bullmq';

/**
 * Every queue, every job it carries and that job's payload, in one place: producers and the
 * worker process agree on names and shapes through these types.
 */
export interface JobPayloads {
  maintenance: {
    /** Deletes refresh tokens dead for over a day, in all workspaces; needs no input. */
    'purge-refresh-tokens': Record<string, never>;
    /** Deletes event-handler ledger rows older than PROCESSED_EVENTS_RETENTION_DAYS, in all workspaces. */
    'purge-processed-events': Record<string, never>;
    /** Deletes relayed record events older than RECORD_EVENTS_RETENTION_DAYS, in all workspaces. */
    'purge-record-events': Record<string, never>;
    /** Deletes expired Idempotency-Key rows (stored mutation responses), in all workspaces. */
    'purge-idempotency-keys': Record<string, never>;
  };
  /** A recurring sweep that creates follow-up tasks (stale deals, birthdays, renewals) in every workspace. */
  'follow-ups': {
    'follow-up-sweep': Record<string, never>;
  };
  /** Filled by the event relay from the outbox; the job id is the event id. */
  'record-events': {
    'record-event': RecordEventPayload;
  };
  /** Delayed jobs, one per task, due time and kind; added and removed by the `task-reminders` event handler. */
  reminders: {
    'task-reminder': TaskReminderPayload;
  };
  /** Ticket SLA escalations: delayed checks at a ticket's warn and due times (added by the `ticket-sla` event handler) and the per-minute sweep. */
  sla: {
    'sla-check': SlaCheckPayload;
    /** Finds, across workspaces, tickets with an escalation owed that no check handled; needs no input. */
    'sla-sweep': Record<string, never>;
  };
  /** Automation runs (one job per run and attempt), scheduled automations' occurrences, and the periodic sweep. */
  automations: {
    'automation-run': AutomationRunPayload;
    'automation-schedule': AutomationSchedulePayload;
    'automation-sweep': Record<string, never>;
  };
  /** Webhook delivery attempts, added by the `webhook-fanout` event handler and after each failed attempt (delayed). */
  'webhook-deliveries': {
    'webhook-delivery': WebhookDeliveryPayload;
  };
  /** The forecast's weekly snapshots (modules/forecast): taken daily, each run replacing its week's. */
  forecasts: {
    /** Snapshots the current and next fiscal quarter's forecast in every workspace; needs no input. */
    'forecast-snapshots': Record<string, never>;
  };
  /** Bulk imports: one job per import (the job id is derived from the import's id), and the minute sweep. */
  imports: {
    'import-job': ImportJobPayload;
    /** Queues open imports no worker touched lately again and purges staged lines of ended ones; needs no input. */
    'import-sweep': Record<string, never>;
  };
}

/** One due attempt of a delivery; `dueAt` (ISO) is the attempt it was scheduled for, so a stale job does nothing. */
export interface WebhookDeliveryPayload {
  workspaceId: string;
  deliveryId: string;
  dueAt: string;
}

/** An import_jobs row to process; the worker acts as the principal that uploaded it. */
export interface ImportJobPayload {
  workspaceId: string;
  importJobId: string;
}

/** Re-check a ticket's SLA targets; the job id names the moment it was scheduled for. */
export interface SlaCheckPayload {
  workspaceId: string;
  ticketId: string;
}

/** A run recorded in `automation_runs`; the job id is derived from the run id and its retry count. */
export interface AutomationRunPayload {
  workspaceId: string;
  runId: string;
}

/** One occurrence of a SCHEDULE automation, added by its BullMQ job scheduler. */
export interface AutomationSchedulePayload {
  workspaceId: string;
  automationId: string;
}

export type ReminderKind = 'TASK_DUE' | 'TASK_DUE_SOON';

/** A reminder owed for a task at the due time it had when the job was scheduled (ISO string). */
export interface TaskReminderPayload {
  workspaceId: string;
  taskId: string;
  dueAt: string;
  kind: ReminderKind;
}

/**
 * One committed record event as a job: ids, the tenant and the actor, never the record's
 * contents (a handler that needs them reads the event or the record). `seq` is a decimal
 * string (a bigint).
 */
export interface RecordEventPayload {
  eventId: string;
  workspaceId: string;
  type: string;
  recordType: string;
  recordId: string;
  actorUserId: string | null;
  seq: string;
  occurredAt: string;
}

export type QueueName = keyof JobPayloads;

/** Every queue by name: the worker process consumes each one and may add jobs to any of them. */
export const QUEUE_NAMES = Object.keys({
  maintenance: true,
  'record-events': true,
  reminders: true,
  sla: true,
  'follow-ups': true,
  forecasts: true,
  automations: true,
  'webhook-deliveries': true,
  imports: true,
} satisfies Record<QueueName, true>) as QueueName[];

/** A producer per queue, typed by its payloads; handlers add jobs through `runtime.producers`. */
export type Producers = { [Q in QueueName]: Queue<JobPayloads[Q][JobName<Q>]> };
export type JobName<Q extends QueueName> = keyof JobPayloads[Q] & string;
export type JobPayload<Q extends QueueName, N extends JobName<Q>> = JobPayloads[Q][N];

/** Namespaces the queues' Redis keys, so the CRM can share a Redis with other applications (the default of the QUEUE_PREFIX setting). */
export const QUEUE_PREFIX = 'crm';

/**
 * Retries for every job added through the worker's producers (`runtime.producers`) that does
 * not set its own: a failure that may pass (a lost connection, a deadlock) is tried again after
 * 1 s, 2 s, 4 s, 8 s. Failures that will not pass throw UnrecoverableError and are not retried.
 */
export const DEFAULT_JOB_OPTIONS: DefaultJobOptions = { attempts: 5, backoff: { type: 'exponential', delay: 1000 } };

/** For Workers: their blocking commands must outlast a Redis restart, so requests never give up. */
export function workerConnection(redisUrl: string): RedisOptions {
  return { url: redisUrl, maxRetriesPerRequest: null };
}

/** For producers: fail fast, so the caller sees an outage instead of waiting on it. */
export function producerConnection(redisUrl: string): RedisOptions {
  return { url: redisUrl, enableOfflineQueue: false, maxRetriesPerRequest: 1 };
}

/** A job as `Queue.addBulk` takes it, with the id that makes adding it twice add it once. */
export interface IdentifiedJob<T> {
  name: string;
  data: T;
  opts: JobsOptions & { jobId: string };
}

/**
 * Puts each job back in the queue unless it is there already: added when Redis knows no job of
 * that id (lost with Redis, or never added: a crash after commit), retried from the start when it
 * failed (e.g. every attempt met a database outage), left alone while it waits, is delayed or
 * runs, and when it completed (the caller's view of the database was older than the job's end).
 * The caller knows from the database that the job's work is still owed. Returns how many it queued.
 */
export async function ensureJobs<T>(queue: Queue<T>, jobs: Array<IdentifiedJob<T>>): Promise<number> {
  const states = await Promise.all(jobs.map((job) => queue.getJobState(job.opts.jobId)));
  const missing = jobs.filter((_, i) => states[i] === 'unknown');
  if (missing.length > 0) await queue.addBulk(missing as never);
  let retried = 0;
  for (const [i, job] of jobs.entries()) {
    if (states[i] !== 'failed') continue;
    const found = await queue.getJob(job.opts.jobId);
    await found?.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
    retried += found ? 1 : 0;
  }
  return missing.length + retried;
}
