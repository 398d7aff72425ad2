/** How a subscription's pushes are paced and what they are computed from. */
export interface PushPlan<T> {
  /** The figures when the subscription started: the first push. */
  first: T;
  /** Committed changes as they arrive (already subscribed: nothing committed after this call is missed). */
  changes: AsyncIterator<unknown>;
  /** Whether a change can move the figures. */
  affects(change: unknown): boolean;
  /** The figures as they are now; a throw ends the subscription with that error. */
  compute(): Promise<T>;
  /** At least this long between the end of one push and the start of the next. */
  intervalMs: number;
}

/**
 * The pushes of one live subscription: the first figures at once, then, after changes that affect
 * them, the figures again, at most one push per `intervalMs`. Changes that arrive while a push
 * waits or computes are folded into the next one, so a burst of writes gives one or two pushes,
 * the last computed after the last change arrived (the final figures).
 *
 * A hand-written iterator, not an async generator: `return()` (the client stopped) must end a
 * subscription that is waiting for changes at once, which a suspended generator cannot.
 */
export function debouncedPushes<T>(plan: PushPlan<T>): AsyncIterableIterator<T> {
  let first: { value: T } | null = { value: plan.first };
  let dirty = false;
  let closed = false;
  let lastPushAt = 0;
  let wake: (() => void) | null = null;
  let timer: NodeJS.Timeout | null = null;
  const rouse = () => {
    const resolve = wake;
    wake = null;
    resolve?.();
  };
  const until = (condition: () => boolean) =>
    new Promise<void>((resolve) => {
      if (condition()) return resolve();
      wake = () => (condition() ? resolve() : until(condition).then(resolve));
    });
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      if (ms <= 0) return resolve();
      wake = resolve;
      timer = setTimeout(rouse, ms);
    });

  const close = async (): Promise<IteratorResult<T>> => {
    if (!closed) {
      closed = true;
      if (timer) clearTimeout(timer);
      rouse();
      await plan.changes.return?.();
    }
    return { value: undefined, done: true };
  };

  // Reads the changes for the subscription's life; a change only marks the figures stale.
  void (async () => {
    try {
      for (let change = await plan.changes.next(); !change.done && !closed; change = await plan.changes.next()) {
        if (!plan.affects(change.value)) continue;
        dirty = true;
        if (!timer) rouse();
      }
    } finally {
      await close();
    }
  })().catch(() => undefined);

  const push = async (): Promise<IteratorResult<T>> => {
    try {
      const value = await plan.compute();
      lastPushAt = Date.now();
      return { value, done: false };
    } catch (error) {
      await close();
      throw error;
    }
  };

  return {
    async next() {
      if (closed) return { value: undefined, done: true };
      if (first) {
        const { value } = first;
        first = null;
        lastPushAt = Date.now();
        return { value, done: false };
      }
      await until(() => dirty || closed);
      await pause(lastPushAt + plan.intervalMs - Date.now());
      timer = null;
      if (closed) return { value: undefined, done: true };
      dirty = false;
      return push();
    },
    return: close,
    async throw(error: unknown) {
      await close();
      throw error;
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}
