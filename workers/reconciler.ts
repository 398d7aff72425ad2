import type { AppRuntime } from '../src/kernel/context';
import type { Logger } from '../src/kernel/logger';
import { ensureJobs, type Producers } from '../src/kernel/queue';
import { stalledRunJobs } from '../src/modules/automations';
import { owedReminders } from '../src/modules/notifications';
import { strandedDeliveries } from '../src/modules/webhooks';
import { eventJob, eventPayload, RELAY_NAME, type EventRelay, type EventRow } from './event-relay';
import { EVENT_HANDLERS, ledgerKeepsMs } from './record-events';
import { missingSchedules, registerSchedules } from './schedules';

/** Events judged per call of crm_reconcile_events. */
const SCAN_BATCH = 1000;

/** Which handlers each event type has, as crm_reconcile_events reads it (types null: every type). */
const SUBSCRIPTIONS = JSON.stringify(EVENT_HANDLERS.map((handler) => ({ name: handler.name, types: handler.types === '*' ? null : handler.types })));

/** What one pass queued again (or registered again, for schedules). */
export interface Reconciled {
  events: number;
  deliveries: number;
  runs: number;
  reminders: number;
  schedules: number;
}

/**
 * PostgreSQL is the truth, Redis a cache of what is owed: every EVENT_RECONCILE_INTERVAL_MS the
 * process holding the relay lock compares the two and queues again what Redis does not have:
 * - record events queued but without a ledger row for each of their handlers
 *   (crm_reconcile_events; the relay's position says queued, the ledger says handled);
 * - webhook deliveries whose attempt is overdue, automation runs still QUEUED (or left RUNNING);
 * - task reminders whose time passed without their notification (their delayed job was lost);
 * - the recurring jobs' schedulers (all gone after Redis restarted without its data).
 * Work younger than EVENT_RECONCILE_AFTER_MS is left to its job. A job that exists is never
 * added twice (ensureJobs), and each handler's ledger, a delivery's due time and a run's status
 * keep a job that does run twice to one effect.
 */
export class Reconciler {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> | null = null;
  private stopped = false;
  private failing = false;

  constructor(
    private readonly runtime: AppRuntime & { producers: Producers },
    private readonly relay: EventRelay,
    private readonly logger: Logger,
  ) {}

  start(): void {
    const loop = async () => {
      if (this.relay.active) await this.pass().catch((error: unknown) => this.failed(error));
      if (!this.stopped) this.timer = setTimeout(() => (this.running = loop()), this.runtime.config.EVENT_RECONCILE_INTERVAL_MS);
    };
    this.timer = setTimeout(() => (this.running = loop()), this.runtime.config.EVENT_RECONCILE_INTERVAL_MS);
  }

  async close(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  /** One comparison of PostgreSQL with Redis; returns what it queued again. */
  async pass(): Promise<Reconciled> {
    const { producers, config, dataSource } = this.runtime;
    const missing = await missingSchedules(producers);
    if (missing.length > 0) await registerSchedules(producers, config, this.logger);
    const overdueMs = config.EVENT_RECONCILE_AFTER_MS;
    const result: Reconciled = {
      schedules: missing.length,
      events: await this.events(),
      deliveries: await ensureJobs(producers['webhook-deliveries'], await strandedDeliveries(dataSource, overdueMs)),
      runs: await ensureJobs(producers.automations, await stalledRunJobs(dataSource, overdueMs)),
      reminders: await ensureJobs(
        producers.reminders,
        await owedReminders(dataSource, overdueMs, config.TASK_REMINDER_LEAD_MINUTES, ledgerKeepsMs(config.PROCESSED_EVENTS_RETENTION_DAYS)),
      ),
    };
    if (this.failing) this.logger.info('reconciler works again');
    this.failing = false;
    if (Object.values(result).some((n) => n > 0)) this.logger.warn({ ...result, missingSchedules: missing }, 'reconciler queued work that Redis did not have');
    return result;
  }

  /**
   * Walks the events between the settled watermark and the relay's position; queues those with a
   * handler not yet run. Not while the queue holds a backlog: its jobs are there (checking each
   * would slow the drain), and what Redis lost is found once the backlog is worked off.
   */
  private async events(): Promise<number> {
    const { config, dataSource, producers } = this.runtime;
    const inQueue = await producers['record-events'].getJobCounts('waiting', 'active', 'delayed', 'prioritized');
    if (Object.values(inQueue).reduce((sum, n) => sum + n, 0) >= SCAN_BATCH) return 0;
    let after = '0';
    let queued = 0;
    for (;;) {
      const rows = (await dataSource.query(
        `SELECT * FROM crm_reconcile_events($1, $2::jsonb, $3, make_interval(secs => $4::float8 / 1000), make_interval(secs => $5::float8 / 1000), $6)`,
        [RELAY_NAME, SUBSCRIPTIONS, after, config.EVENT_RECONCILE_AFTER_MS, ledgerKeepsMs(config.PROCESSED_EVENTS_RETENTION_DAYS), SCAN_BATCH],
      )) as Array<EventRow & { settled: boolean }>;
      const owed = rows.filter((row) => !row.settled).map((row) => eventJob(eventPayload(row)));
      if (owed.length > 0) queued += await ensureJobs(producers['record-events'], owed);
      if (rows.length < SCAN_BATCH) return queued;
      after = String(rows[rows.length - 1].seq);
    }
  }

  private failed(error: unknown): void {
    if (!this.failing) this.logger.warn({ err: error }, 'reconciler pass failed; trying again next interval');
    this.failing = true;
  }
}
