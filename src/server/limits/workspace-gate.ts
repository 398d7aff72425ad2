import { appError } from '../../kernel/errors';
import type { Refusal } from './screen-request';

/**
 * A fair share of the pool per workspace: at most `limit` requests of one workspace run at once in
 * this process (each holds a pooled connection while it runs), so one tenant's heavy requests
 * cannot take every connection from the others. Further requests of that workspace wait in line
 * (a burst, such as a client creating records with 30 requests at once), at most LINE_PER_PLACE ×
 * `limit` of them and at most `waitMs` each; one that finds the line full or waits in vain is
 * turned away, and the client is told to retry (429 RATE_LIMITED, limit "concurrency").
 */
const LINE_PER_PLACE = 16;

export class WorkspaceGate {
  private readonly running = new Map<string, number>();
  private readonly waiting = new Map<string, Array<(release: () => void) => void>>();

  constructor(
    readonly limit: number,
    private readonly waitMs: number,
  ) {}

  /** Takes a place for `workspace`; resolves to the function that gives it back, or null when turned away. */
  enter(workspace: string): Promise<(() => void) | null> {
    const running = this.running.get(workspace) ?? 0;
    if (running < this.limit) {
      this.running.set(workspace, running + 1);
      return Promise.resolve(this.releaser(workspace));
    }
    const line = this.waiting.get(workspace) ?? [];
    if (line.length >= LINE_PER_PLACE * this.limit) return Promise.resolve(null);
    this.waiting.set(workspace, line);
    return new Promise((resolve) => {
      const wake = (release: () => void) => {
        clearTimeout(timer);
        resolve(release);
      };
      const timer = setTimeout(() => {
        const at = line.indexOf(wake);
        if (at >= 0) line.splice(at, 1);
        if (line.length === 0 && this.waiting.get(workspace) === line) this.waiting.delete(workspace);
        resolve(null);
      }, this.waitMs);
      line.push(wake);
    });
  }

  /** The answer to a request turned away: 429 RATE_LIMITED, limit "concurrency", retry in a second. */
  busy(): Refusal {
    const message = `${this.limit} requests of this workspace are already running here; retry in 1 s`;
    return {
      status: 429,
      error: appError('RATE_LIMITED', message, { limit: 'concurrency', maximum: this.limit, retryAfterSeconds: 1 }),
      headers: [['retry-after', '1']],
    };
  }

  /** Gives the place to the next in line (the running count stays), or frees it. Safe to call twice. */
  private releaser(workspace: string): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const line = this.waiting.get(workspace);
      const next = line?.shift();
      if (line && line.length === 0) this.waiting.delete(workspace);
      if (next) return next(this.releaser(workspace));
      const running = (this.running.get(workspace) ?? 1) - 1;
      if (running > 0) this.running.set(workspace, running);
      else this.running.delete(workspace);
    };
  }
}
