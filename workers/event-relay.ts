import type { Queue } from 'bullmq';
import type { DataSource } from 'typeorm';
import { sequenceEvents } from '../src/kernel/events/record-events';
import type { Logger } from '../src/kernel/logger';
import { DEFAULT_JOB_OPTIONS, type IdentifiedJob, type JobPayload, type RecordEventPayload } from '../src/kernel/queue';
import { RelayLock } from './relay-lock';
import { OutageLog } from './relay-outage';

/** The relay's name in event_relay_positions; a second consumer of the outbox would take another. */
export const RELAY_NAME = 'bullmq';
export const RELAY_BATCH = 500;
/** Notified at the commit of every transaction that wrote record events (trigger in migration 1763800000040). */
export const EVENTS_CHANNEL = 'crm_record_events';
/** After a wake-up that moved nothing (an older transaction still running), passes follow this quickly, this many times, before the poll takes over. */
const OWED_RETRY_MS = 10;
const OWED_RETRIES = 20;


export interface EventRow {
  id: string;
  workspace_id: string;
  type: string;
  record_type: string;
  record_id: string;
  actor_user_id: string | null;
  seq: string;
  occurred_at: Date;
}

/**
 * Moves committed record events from the outbox to the `record-events` queue: number what has
 * committed, read the next batch after this relay's position, add it with the event id as job
 * id, then advance the position. At least once: a relay that dies between adding and advancing
 * adds the same jobs again, which BullMQ ignores while a job with that id exists; once it is
 * gone, the handlers' ledger (processed_events) keeps the effects to one. If Redis is down the
 * add fails, the position stays, and the next pass tries again after a growing pause (up to
 * 5 s): the API's writes never wait on Redis, their events wait in the outbox. Every worker
 * process runs a relay, but only the one holding the relay lock (RelayLock) moves events; the
 * others stand by and take over when it goes.
 *
 * The active relay LISTENs on EVENTS_CHANNEL: a commit that wrote events wakes it at once, so an
 * event is queued milliseconds after its commit. The poll every `intervalMs` stays as the
 * fallback (a lost listening connection, a commit numbered only after an older transaction
 * without events ended). The position says what was queued, not what was handled: the
 * Reconciler (reconciler.ts) finds events queued but never handled (Redis lost their jobs).
 */
export class EventRelay {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;
  private readonly lock: RelayLock;
  private readonly outage: OutageLog;
  private standingBy = false;
  /** A wake-up arrived while a pass was running. */
  private woken = false;
  /** Quick retries left after a wake-up whose events could not be numbered yet. */
  private owed = 0;

  constructor(
    dataSource: DataSource,
    private readonly queue: Queue<RecordEventPayload>,
    private readonly logger: Logger,
    private readonly intervalMs: number,
    private readonly batchSize = RELAY_BATCH,
  ) {
    // The same database and role as the data source (createDataSource always sets `url`), on a connection of its own.
    this.lock = new RelayLock((dataSource.options as { url: string }).url, RELAY_NAME);
    this.outage = new OutageLog(logger, intervalMs);
  }

  /** Whether this relay holds the relay lock (the one active relay); the others stand by. */
  get active(): boolean {
    return this.lock.holding;
  }

  /** Failed passes in a row (0 while healthy). */
  get failing(): number {
    return this.outage.failing;
  }

  /**
   * Runs passes until close(): the next one at once after a full batch or a wake-up that came
   * during the pass, after `intervalMs` otherwise, after a longer wait each time after a failure.
   */
  start(): void {
    this.lock.onNotification = () => this.wake();
    this.running = this.loop();
  }

  private async loop(): Promise<void> {
    this.timer = null;
    this.woken = false;
    let delay: number;
    try {
      const moved = await this.tick();
      this.outage.succeeded(moved, moved < this.batchSize);
      // A wake-up promises events; none moved means an older transaction still holds back their numbering: look again soon.
      this.owed = moved > 0 ? 0 : Math.max(0, this.owed - 1);
      delay = moved >= this.batchSize || this.woken ? 0 : this.owed > 0 ? Math.min(OWED_RETRY_MS, this.intervalMs) : this.intervalMs;
    } catch (error) {
      delay = this.outage.failed(error);
    }
    if (!this.stopped) this.timer = setTimeout(() => (this.running = this.loop()), delay);
  }

  /** A commit wrote events: run a pass now, or right after the one in progress (not while backing off from a failure). */
  private wake(): void {
    if (this.stopped || this.outage.failing > 0) return;
    this.owed = OWED_RETRIES;
    if (!this.timer) {
      this.woken = true;
      return;
    }
    clearTimeout(this.timer);
    this.running = this.loop();
  }

  /** One pass: take (or hold) the relay lock, sequence, read, enqueue, advance. Returns how many events it moved. */
  async tick(): Promise<number> {
    if (!(await this.takeLock())) return 0;
    const batch = await this.nextBatch();
    if (batch.length === 0) return 0;
    await this.enqueue(batch);
    await this.advance(batch[batch.length - 1].seq);
    this.logger.debug({ events: batch.length, lastSeq: batch[batch.length - 1].seq }, 'events relayed');
    return batch.length;
  }

  private async takeLock(): Promise<boolean> {
    const had = this.lock.holding;
    const holds = await this.lock.acquire(EVENTS_CHANNEL);
    if (holds && !had) this.logger.info('event relay active: this process relays the outbox');
    if (!holds && !this.standingBy) this.logger.info('event relay standing by: another process relays the outbox');
    this.standingBy = !holds;
    return holds;
  }

  /** Numbers committed events, then reads the next batch after the relay's position (all workspaces). */
  async nextBatch(): Promise<RecordEventPayload[]> {
    await sequenceEvents(this.lock.sql);
    const rows = (await this.lock.sql.query(`SELECT * FROM crm_relay_batch($1, $2)`, [RELAY_NAME, this.batchSize])) as EventRow[];
    return rows.map(eventPayload);
  }

  /**
   * Adds the batch as jobs; the event id as job id makes adding the same event twice a no-op while
   * the job exists. A failing handler is retried with backoff; the ledger keeps the handlers that
   * already succeeded from running again.
   */
  async enqueue(batch: RecordEventPayload[]): Promise<void> {
    await this.queue.addBulk(batch.map(eventJob));
  }

  /** Moves the position forward (never back); returns it. */
  async advance(seq: string): Promise<string> {
    const [row] = (await this.lock.sql.query(`SELECT crm_relay_advance($1, $2) AS position`, [RELAY_NAME, seq])) as Array<{ position: string }>;
    return row.position;
  }

  /** Stops polling, waits for the pass in progress, and lets go of the relay lock. Safe to call twice. */
  async close(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
    await this.lock.release();
  }
}

/** An event's job: its id is the event id, so adding an event twice adds one job while that job exists. */
export function eventJob(data: RecordEventPayload): IdentifiedJob<RecordEventPayload> {
  return { name: 'record-event', data, opts: { ...DEFAULT_JOB_OPTIONS, jobId: data.eventId } };
}

/** A record_events row (or a crm_relay_batch row) as the job payload. */
export function eventPayload(row: EventRow): JobPayload<'record-events', 'record-event'> {
  return {
    eventId: row.id,
    workspaceId: row.workspace_id,
    type: row.type,
    recordType: row.record_type,
    recordId: row.record_id,
    actorUserId: row.actor_user_id,
    seq: String(row.seq),
    occurredAt: new Date(row.occurred_at).toISOString(),
  };
}
