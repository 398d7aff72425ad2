import { Queue, type JobsOptions } from 'bullmq';
import type { DataSource } from 'typeorm';
import { sequenceEvents } from '../src/kernel/events/record-events';
import type { Logger } from '../src/kernel/logger';
import type { JobPayload, RecordEventPayload } from '../src/kernel/queue';

/** The relay's name in event_relay_positions; a second consumer of the outbox would take another. */
export const RELAY_NAME = 'bullmq';
export const RELAY_BATCH = 500;

/** A failing handler is retried; the ledger keeps the handlers that already succeeded from running again. */
const EVENT_JOB_OPTIONS: JobsOptions = { attempts: 5, backoff: { type: 'exponential', delay: 1000 } };

interface EventRow {
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
 * add fails, the position stays, and the next tick tries again: the API's writes never wait on
 * Redis, their events wait in the outbox.
 */
export class EventRelay {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;

  constructor(
    private readonly dataSource: DataSource,
    private readonly queue: Queue<RecordEventPayload>,
    private readonly logger: Logger,
    private readonly intervalMs: number,
    private readonly batchSize = RELAY_BATCH,
  ) {}

  /** Polls until close(); a full batch is followed by the next one at once. */
  start(): void {
    const loop = async () => {
      let moved = 0;
      try {
        moved = await this.tick();
      } catch (error) {
        this.logger.warn({ err: error }, 'event relay tick failed; events stay in the outbox and are retried');
      }
      if (!this.stopped) this.timer = setTimeout(() => (this.running = loop()), moved >= this.batchSize ? 0 : this.intervalMs);
    };
    this.running = loop();
  }

  /** One pass: sequence, read, enqueue, advance. Returns how many events it moved. */
  async tick(): Promise<number> {
    const batch = await this.nextBatch();
    if (batch.length === 0) return 0;
    await this.enqueue(batch);
    await this.advance(batch[batch.length - 1].seq);
    this.logger.debug({ events: batch.length, lastSeq: batch[batch.length - 1].seq }, 'events relayed');
    return batch.length;
  }

  /** Numbers committed events, then reads the next batch after the relay's position (all workspaces). */
  async nextBatch(): Promise<RecordEventPayload[]> {
    await sequenceEvents(this.dataSource);
    const rows = (await this.dataSource.query(`SELECT * FROM crm_relay_batch($1, $2)`, [RELAY_NAME, this.batchSize])) as EventRow[];
    return rows.map(toPayload);
  }

  /** Adds the batch as jobs; the event id as job id makes adding the same event twice a no-op while the job exists. */
  async enqueue(batch: RecordEventPayload[]): Promise<void> {
    await this.queue.addBulk(batch.map((data) => ({ name: 'record-event', data, opts: { ...EVENT_JOB_OPTIONS, jobId: data.eventId } })));
  }

  /** Moves the position forward (never back); returns it. */
  async advance(seq: string): Promise<string> {
    const [row] = (await this.dataSource.query(`SELECT crm_relay_advance($1, $2) AS position`, [RELAY_NAME, seq])) as Array<{ position: string }>;
    return row.position;
  }

  /** Stops polling and waits for the pass in progress. Safe to call twice. */
  async close(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }
}

function toPayload(row: EventRow): JobPayload<'record-events', 'record-event'> {
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
