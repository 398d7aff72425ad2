import type { Redis } from 'ioredis';
import type { PubSub } from 'type-graphql';
import type { RequestContext } from './context';
import type { Logger } from './logger';

/** Namespaces the pub/sub channels, like QUEUE_PREFIX the queues: `crm:pubsub:<topic>[:<id>]`. */
export const PUBSUB_PREFIX = 'crm:pubsub';

type Listener = (payload: unknown) => void;

/**
 * type-graphql's PubSub over Redis pub/sub, so that any API process can serve any subscriber,
 * whoever published: the worker, or another API process. Each topic id (a workspace, say) is a
 * channel of its own, so a process receives only the channels its subscribers listen to.
 *
 * Publishing uses the connection it is given (fail-fast: with Redis down it fails at once) and
 * never throws: a message is a courtesy to open subscriptions, the write behind it has already
 * committed. Subscribing opens one subscriber connection per process, on first use.
 */
export class RedisPubSub implements PubSub {
  private subscriber: Redis | null = null;
  private readonly listeners = new Map<string, Set<Listener>>();
  private readonly subscribing = new Map<string, Promise<unknown>>();

  constructor(
    private readonly publisher: Redis,
    private readonly logger: Logger,
    private readonly prefix = PUBSUB_PREFIX,
  ) {}

  channel(topic: string, id?: unknown): string {
    return id === undefined || id === null ? `${this.prefix}:${topic}` : `${this.prefix}:${topic}:${String(id)}`;
  }

  /** type-graphql's form: `publish(topic, payload)` or `publish(topic, id, payload)`. */
  publish(topic: string, ...args: unknown[]): void {
    const [id, payload] = args.length >= 2 ? args : [undefined, args[0]];
    void this.send(topic, id, payload);
  }

  /** Publishes and resolves once Redis took the message (true) or refused it (false, logged). */
  async send(topic: string, id: unknown, payload: unknown): Promise<boolean> {
    const channel = this.channel(topic, id);
    try {
      await this.publisher.publish(channel, JSON.stringify(payload));
      return true;
    } catch (error) {
      this.logger.warn({ err: error, channel }, 'pub/sub publish failed; open subscriptions miss this message');
      return false;
    }
  }

  subscribe(topic: string, id?: unknown): AsyncIterable<unknown> {
    const channel = this.channel(topic, id);
    return { [Symbol.asyncIterator]: () => this.iterate(channel) };
  }

  /**
   * Resolves once Redis confirmed the channel of a `subscribe(topic, id)` that is being iterated:
   * from then on nothing published there is missed (for a subscription that reads the current
   * state after it started listening).
   */
  async subscribed(topic: string, id?: unknown): Promise<void> {
    await this.subscribing.get(this.channel(topic, id));
  }

  /** Ends the subscriber connection; the server completes its subscriptions before. */
  async close(): Promise<void> {
    const subscriber = this.subscriber;
    this.subscriber = null;
    this.listeners.clear();
    this.subscribing.clear();
    if (subscriber) await subscriber.quit().catch(() => subscriber.disconnect());
  }

  /** One subscription's messages, in order; `return()` (the client stopped) unsubscribes. */
  private iterate(channel: string): AsyncIterator<unknown> {
    const buffered: unknown[] = [];
    let waiting: ((result: IteratorResult<unknown>) => void) | null = null;
    let done = false;
    const listener: Listener = (payload) => {
      if (waiting) {
        const resolve = waiting;
        waiting = null;
        resolve({ value: payload, done: false });
      } else buffered.push(payload);
    };
    const ready = this.listen(channel, listener);
    ready.catch(() => undefined); // reported by next(), when the subscription is read
    const finish = async (): Promise<IteratorResult<unknown>> => {
      if (!done) {
        done = true;
        waiting?.({ value: undefined, done: true });
        waiting = null;
        await this.unlisten(channel, listener);
      }
      return { value: undefined, done: true };
    };
    return {
      next: async () => {
        await ready;
        if (buffered.length > 0) return { value: buffered.shift(), done: false };
        if (done) return { value: undefined, done: true };
        return new Promise((resolve) => (waiting = resolve));
      },
      return: finish,
      throw: async (error: unknown) => {
        await finish();
        throw error;
      },
    };
  }

  private connection(): Redis {
    if (this.subscriber) return this.subscriber;
    // Queues commands while (re)connecting and subscribes again after a reconnect.
    const subscriber = this.publisher.duplicate({ lazyConnect: false, enableOfflineQueue: true, maxRetriesPerRequest: null, autoResubscribe: true });
    subscriber.on('error', (error) => this.logger.warn({ err: error }, 'pub/sub subscriber error'));
    subscriber.on('message', (channel: string, message: string) => this.deliver(channel, message));
    this.subscriber = subscriber;
    return subscriber;
  }

  private deliver(channel: string, message: string): void {
    let payload: unknown;
    try {
      payload = JSON.parse(message);
    } catch (error) {
      this.logger.warn({ err: error, channel }, 'pub/sub message is not JSON; dropped');
      return;
    }
    for (const listener of this.listeners.get(channel) ?? []) listener(payload);
  }

  /** Adds a listener; the first one of a channel subscribes to it (and resolves once Redis confirmed). */
  private listen(channel: string, listener: Listener): Promise<unknown> {
    let set = this.listeners.get(channel);
    if (!set) {
      set = new Set();
      this.listeners.set(channel, set);
      this.subscribing.set(channel, this.connection().subscribe(channel));
    }
    set.add(listener);
    return this.subscribing.get(channel)!;
  }

  private async unlisten(channel: string, listener: Listener): Promise<void> {
    const set = this.listeners.get(channel);
    if (!set?.delete(listener) || set.size > 0) return;
    this.listeners.delete(channel);
    this.subscribing.delete(channel);
    await this.subscriber?.unsubscribe(channel).catch((error: unknown) => this.logger.warn({ err: error, channel }, 'pub/sub unsubscribe failed'));
  }
}

/**
 * Publishes `payload` on `topic:id` once the write in progress has committed (a rolled-back write
 * publishes nothing); nothing without a pub/sub. A failed publish is logged and never fails the write.
 */
export function publishOnCommit(ctx: RequestContext, topic: string, id: string, payload: unknown): void {
  const pubSub = ctx.runtime.pubSub;
  if (!pubSub) return;
  ctx.db.onCommit(async () => {
    await pubSub.send(topic, id, payload);
  });
}
