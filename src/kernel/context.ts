import { randomUUID } from 'node:crypto';
import DataLoader from 'dataloader';
import type { DataSource } from 'typeorm';
import type { Config } from '../config/config';
import type { Logger } from './logger';
import type { Producers } from './queue';
import type { RedisPubSub } from './pubsub';
import { DbSession } from './db/session';
import { databaseUnavailable } from './db/unavailable';
import { Permission, Role, roleAllows } from './auth/roles';
import { scopesAllow } from './auth/api-key-scopes';
import { forbidden, unauthenticated } from './errors';

/** Who is acting: a signed-in member of one workspace. */
export interface Actor {
  userId: string;
  workspaceId: string;
  role: Role;
}

const NO_PERSON = 'An API key acts for no person; this needs a signed-in member';
/** One message for unknown, expired and revoked keys: a caller learns nothing about which. */
export const INVALID_API_KEY = 'Invalid, expired or revoked API key';

/** A system acting through an API key: its own principal, never a person. */
export interface ApiKeyActor {
  apiKeyId: string;
  workspaceId: string;
  scopes: readonly string[];
}

/** Who a request's rate limits and Idempotency-Key ledger are kept for. */
export interface Principal {
  workspaceId: string;
  /** `user:<uuid>` or `key:<uuid>`. */
  id: string;
}

/** The automation run whose actions make a write, and how deep in a chain of runs it is. */
export interface EventCause {
  runId: string;
  depth: number;
}

/** Process-wide things a context is built from; created once at start. */
export interface AppRuntime {
  config: Config;
  dataSource: DataSource;
  logger: Logger;
  /** Set in the worker process only: the queues its handlers schedule jobs on. */
  producers?: Producers;
  /** Redis pub/sub for GraphQL subscriptions: API processes subscribe, any process publishes. */
  pubSub?: RedisPubSub;
}

/**
 * Everything a request (or a job) carries: the actor and their workspace, the one database
 * session whose transactions apply the tenant scope, and DataLoaders that live as long as it.
 */
export class RequestContext {
  readonly db: DbSession;
  private readonly loaderBag = new Map<string, DataLoader<unknown, unknown>>();
  /** Set while an automation run acts: its record events carry the run and depth (the loop guard). */
  cause: EventCause | null = null;
  /** The caller's network address (HTTP and graphql-ws), for the per-address rate limit of anonymous calls. */
  clientAddress: string | null = null;

  constructor(
    readonly runtime: AppRuntime,
    readonly actor: Actor | null,
    readonly requestId: string = randomUUID(),
    /** Why a credential that was sent is not accepted; reported when a protected field is asked for. */
    readonly authProblem: string | null = null,
    /** A system context (see `system`): the workspace it acts in without an actor. */
    private readonly systemWorkspaceId: string | null = null,
    /** Set when an API key authenticated the request; `actor` is then null (a key is no person). */
    readonly apiKey: ApiKeyActor | null = null,
  ) {
    this.db = new DbSession(runtime.dataSource, {
      workspaceId: actor?.workspaceId ?? systemWorkspaceId,
      userId: actor?.userId ?? null,
    });
  }

  /**
   * The CRM itself acting in one workspace, for jobs with no actor to act as (an event without
   * an actor, or whose actor has left the workspace): row-level security scopes it to the
   * workspace; it has no member, so `require` refuses it and only code that writes directly runs.
   */
  static system(runtime: AppRuntime, workspaceId: string, requestId?: string): RequestContext {
    return new RequestContext(runtime, null, requestId, 'A system context has no member', workspaceId);
  }

  /** Runs `work` in a system context of the workspace (see `system`) and closes it afterwards. */
  static async asSystem<T>(runtime: AppRuntime, workspaceId: string, requestId: string, work: (ctx: RequestContext) => Promise<T>): Promise<T> {
    const ctx = RequestContext.system(runtime, workspaceId, requestId);
    try {
      return await work(ctx);
    } finally {
      await ctx.close();
    }
  }

  /** A member acting with their live role (read from their seat now); null when they hold no seat in the workspace any more. */
  static async forLiveMember(runtime: AppRuntime, workspaceId: string, userId: string, requestId?: string): Promise<RequestContext | null> {
    const probe = new DbSession(runtime.dataSource, { workspaceId, userId });
    try {
      const role = (await probe.seatRole()) as Role | null;
      return role ? new RequestContext(runtime, { userId, workspaceId, role }, requestId) : null;
    } finally {
      await probe.close();
    }
  }

  /** A request authenticated by a valid API key: it acts in the key's workspace under row-level security. */
  static forApiKey(runtime: AppRuntime, apiKey: ApiKeyActor, requestId?: string): RequestContext {
    return new RequestContext(runtime, null, requestId, null, apiKey.workspaceId, apiKey);
  }

  /** The signed-in member or the API key the request acts as; null when anonymous or the system. */
  get principal(): Principal | null {
    if (this.actor) return { workspaceId: this.actor.workspaceId, id: `user:${this.actor.userId}` };
    if (this.apiKey) return { workspaceId: this.apiKey.workspaceId, id: `key:${this.apiKey.apiKeyId}` };
    return null;
  }

  /** The actor, or UNAUTHENTICATED (FORBIDDEN for an API key: what needs a person refuses keys). */
  get member(): Actor {
    if (this.apiKey) throw forbidden(NO_PERSON);
    if (!this.actor) throw unauthenticated(this.authProblem ?? undefined);
    return this.actor;
  }

  get workspaceId(): string {
    if (!this.actor && this.systemWorkspaceId) return this.systemWorkspaceId;
    return this.member.workspaceId;
  }

  /**
   * What `@Authorized` checks: a member's live role, or an API key's scopes. The key itself was
   * checked (unknown, expired, revoked) when this request was authenticated.
   */
  async authorize(permission?: Permission): Promise<void> {
    if (!this.apiKey) {
      await this.require(permission);
      return;
    }
    // No permission named means "a live member": a person's own things (me, notifications, …).
    if (!permission) throw forbidden(NO_PERSON);
    if (!scopesAllow(this.apiKey.scopes, permission)) {
      throw forbidden(`This API key may not ${permission}; its scopes are ${this.apiKey.scopes.join(', ') || 'none'}`);
    }
  }

  /**
   * A member with `permission`. The role comes from the member's live seat in the database, not
   * from the token, so removal or demotion takes effect at once.
   */
  async require(permission?: Permission): Promise<Actor> {
    const actor = this.member;
    const role = (await this.db.seatRole()) as Role | null;
    if (!role) throw unauthenticated('You are no longer a member of this workspace');
    if (permission && !roleAllows(role, permission)) throw forbidden(`Role ${role} may not ${permission}`);
    return { ...actor, role };
  }

  /** A per-request DataLoader, created on first use; the workspace is implied by the context. */
  loader<K, V>(key: string, create: () => DataLoader<K, V>): DataLoader<K, V> {
    let loader = this.loaderBag.get(key);
    if (!loader) {
      loader = create() as DataLoader<unknown, unknown>;
      this.loaderBag.set(key, loader);
    }
    return loader as DataLoader<K, V>;
  }

  /** Forget cached rows after a write so later reads in this request see the change. */
  clearLoaders(): void {
    for (const loader of this.loaderBag.values()) loader.clearAll();
  }

  /**
   * Forgets what a write of `type` records (or of no record's own row, e.g. links) may have
   * changed: every list and relation loader and that type's by-id loader. Other types' records
   * by id stay cached: a record store's write changes only rows of its own type, so a deal's
   * account and stage, read to check the input, still answer the response without a query.
   * Writes outside the record stores call `clearLoaders`.
   */
  forgetWrites(type?: string): void {
    for (const [key, loader] of this.loaderBag) {
      if (!key.endsWith(':byId') || key === `${type}:byId`) loader.clearAll();
    }
  }

  /**
   * Ends the session. Writes committed when they returned, so failing to end the read-only
   * transaction (the connection was lost meanwhile) changes no answer: it is logged, not thrown.
   * A lost connection was already logged with the request's answer; here it is only a debug line.
   */
  async close(): Promise<void> {
    try {
      await this.db.close();
    } catch (error) {
      const level = databaseUnavailable(error) ? 'debug' : 'warn';
      this.runtime.logger[level]({ err: error, requestId: this.requestId }, 'ending the database session failed');
    }
  }
}
