import type { Logger } from '../src/kernel/logger';

/**
 * The longest the relay waits between tries while Redis (or PostgreSQL) is down: a try costs one
 * connection attempt, and the wait bounds how long work waits once the outage is over (the
 * reconciler runs only beside an active relay).
 */
export const MAX_BACKOFF_MS = 5_000;

/** Doubles from the poll interval with each failure in a row: 2×, 4×, … up to `capMs`. */
export function backoffDelay(intervalMs: number, failures: number, capMs = MAX_BACKOFF_MS): number {
  return Math.min(capMs, intervalMs * 2 ** Math.min(failures, 30));
}

/**
 * Tells the story of an outage in two log lines instead of one per tick: a warning when the
 * first pass fails (with the error), and one line when the backlog that waited has been moved
 * (how long the relay was failing, how many tries, how many events waited).
 */
export class OutageLog {
  private failures = 0;
  private since = 0;
  private recovery: { downMs: number; failures: number; moved: number } | null = null;

  constructor(
    private readonly logger: Logger,
    private readonly intervalMs: number,
  ) {}

  /** Failed passes in a row so far (0 while healthy). */
  get failing(): number {
    return this.failures;
  }

  /** Records a failed pass; returns how long to wait before the next one. */
  failed(error: unknown): number {
    if (this.failures === 0) {
      this.since = Date.now();
      this.recovery = null;
      this.logger.warn({ err: error }, 'event relay cannot move events; they wait in the outbox, retrying with backoff');
    }
    this.failures++;
    return backoffDelay(this.intervalMs, this.failures);
  }

  /** Records a pass that worked; `drained` is false while the backlog still fills whole batches. */
  succeeded(moved: number, drained: boolean): void {
    if (this.failures > 0) {
      this.recovery = { downMs: Date.now() - this.since, failures: this.failures, moved: 0 };
      this.failures = 0;
    }
    if (!this.recovery) return;
    this.recovery.moved += moved;
    if (!drained) return;
    const { downMs, failures, moved: eventsWaited } = this.recovery;
    this.logger.info({ downMs, failedTries: failures, eventsWaited }, 'event relay recovered; the events that waited are queued');
    this.recovery = null;
  }
}
