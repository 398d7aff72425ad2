import type { PoolClient, QueryResult } from 'pg';
import { QueryFailedError, QueryRunnerAlreadyReleasedError, type DataSource, type EntityManager, type QueryRunner } from 'typeorm';

/** What row-level security sees: set per transaction with set_config(…, true). */
export interface TenantScope {
  workspaceId: string | null;
  userId: string | null;
  /** Lets an unauthenticated sign-in find a user by email, and nothing else. */
  lookupEmail?: string | null;
}

export type CommitCheck = (em: EntityManager) => Promise<void>;

/**
 * The request's one connection. Reads share a lazily opened transaction; each write runs in a
 * transaction of its own that commits before the write returns. Both set the tenant scope, so
 * no query can run without it.
 */
export class DbSession {
  private runner: QueryRunner | null = null;
  private readTx: Promise<EntityManager> | null = null;
  private writing = false;
  private role: string | null = null;
  private afterCommit: Array<() => void | Promise<void>> = [];
  /** How long this session's statements took (those over a millisecond, as TypeORM times them); the rate limit charges it. */
  readonly usage = { databaseMs: 0 };

  constructor(
    private readonly dataSource: DataSource,
    readonly scope: TenantScope,
    /** Run inside every write transaction just before it commits; shared with derived sessions. */
    private readonly commitChecks: CommitCheck[] = [],
  ) {}

  /**
   * A further session of the same request with a changed scope (e.g. an email lookup) that keeps
   * this session's commit checks, so its writes are held to the same rules.
   */
  derive(scope: Partial<TenantScope>): DbSession {
    return new DbSession(this.dataSource, { ...this.scope, ...scope }, this.commitChecks);
  }

  /**
   * Runs `check` in every later write transaction of this session (and its derived ones) after
   * the work and before the commit; a check that throws rolls the write back. The Idempotency-Key
   * fence uses it to record, in the same transaction, that the request changed something.
   */
  checkBeforeCommit(check: CommitCheck): void {
    this.commitChecks.push(check);
  }

  /** Runs reads in the request's transaction (or inside the write in progress). */
  read<T>(work: (em: EntityManager) => Promise<T>): Promise<T> {
    if (this.writing) return work(this.runner!.manager);
    this.readTx ??= this.begin();
    return this.readTx.then(work).catch(async (error: unknown) => {
      // A failed statement aborts the transaction; start afresh rather than fail every later read.
      if (error instanceof QueryFailedError) await this.endRead(true);
      throw error;
    });
  }

  /** Runs `work` in its own transaction: all of it commits, or none of it does. Nested calls join. */
  async write<T>(work: (em: EntityManager) => Promise<T>): Promise<T> {
    if (this.writing) return work(this.runner!.manager);
    // The reads so far (the permission check's crm_enter, the input's references) become part
    // of the write's transaction: one BEGIN, crm_enter and COMMIT per mutation, not two.
    const em = await this.adoptRead();
    this.writing = true;
    try {
      const result = await work(em);
      for (const check of this.commitChecks) await check(em);
      await this.runner!.commitTransaction();
      await this.flushAfterCommit();
      return result;
    } catch (error) {
      this.afterCommit = [];
      if (this.runner!.isTransactionActive) await this.runner!.rollbackTransaction();
      throw error;
    } finally {
      this.writing = false;
    }
  }

  /**
   * Inside a write: runs `work` under a savepoint, so its failure undoes only its own statements
   * (and forgets the commit hooks it registered) while the rest of the write goes on.
   */
  async savepoint<T>(work: () => Promise<T>): Promise<T> {
    if (!this.writing) throw new Error('savepoint() runs inside write()');
    const hooks = this.afterCommit.length;
    await this.runner!.query('SAVEPOINT crm_step');
    try {
      const result = await work();
      await this.runner!.query('RELEASE SAVEPOINT crm_step');
      return result;
    } catch (error) {
      await this.runner!.query('ROLLBACK TO SAVEPOINT crm_step');
      this.afterCommit.length = hooks;
      throw error;
    }
  }

  /** Registers work that must happen only once the current write has committed. */
  onCommit(hook: () => void | Promise<void>): void {
    this.afterCommit.push(hook);
  }

  /**
   * Ends the read transaction and returns the connection to the pool. Safe to call twice. The
   * connection goes back even when ending the transaction fails (a lost connection is then
   * discarded by the pool), so a database outage cannot leak pooled connections.
   */
  async close(): Promise<void> {
    try {
      await this.endRead();
    } finally {
      const runner = this.runner;
      this.runner = null;
      if (runner) await runner.release();
    }
  }

  /**
   * The user's live role in the workspace as of the current transaction (null when they are no
   * longer a member), read by the same statement that sets the scope.
   */
  async seatRole(): Promise<string | null> {
    if (!this.writing) await (this.readTx ??= this.begin());
    return this.role;
  }

  private async begin(): Promise<EntityManager> {
    this.runner ??= serialized(this.dataSource.createQueryRunner());
    this.runner.data = this.usage; // StatementCounter adds each statement's time to it
    this.role = await enterTransaction(this.runner, this.scope);
    return this.runner.manager;
  }

  /** The open read transaction handed over to a write (a new one when none is open or it failed). */
  private async adoptRead(): Promise<EntityManager> {
    const pending = this.readTx;
    this.readTx = null;
    if (pending) {
      const em = await pending.catch(() => null);
      if (em && this.runner!.isTransactionActive) return em;
      if (this.runner?.isTransactionActive) await this.runner.rollbackTransaction();
    }
    return this.begin();
  }

  private async endRead(rollback = false): Promise<void> {
    const pending = this.readTx;
    this.readTx = null;
    if (!pending) return;
    await pending.catch(() => undefined);
    if (!this.runner?.isTransactionActive) return;
    await (rollback ? this.runner.rollbackTransaction() : this.runner.commitTransaction());
  }

  private async flushAfterCommit(): Promise<void> {
    const hooks = this.afterCommit;
    this.afterCommit = [];
    for (const hook of hooks) await hook();
  }
}

/**
 * DataLoader batches of one request run concurrently on the request's one connection; pg only
 * queues such statements with a deprecation warning (an error from pg 9). Chain them instead.
 */
function serialized(runner: QueryRunner): QueryRunner {
  const query = runner.query.bind(runner) as (...args: unknown[]) => Promise<unknown>;
  let tail: Promise<unknown> = Promise.resolve();
  runner.query = ((...args: unknown[]) => {
    const result = tail.then(() => query(...args));
    tail = result.catch(() => undefined);
    return result;
  }) as QueryRunner['query'];
  return runner;
}

/**
 * `START TRANSACTION` and the tenant scope (crm_enter, which answers the live role) in one round
 * trip: one simple-protocol message holding both statements, the scope's values as escaped
 * literals (a multi-statement message takes no parameters). TypeORM's runner is told the
 * transaction is open, as its startTransaction would; the message is counted and timed as one
 * statement, like every other (the rate limit charges its time).
 */
async function enterTransaction(runner: QueryRunner, scope: TenantScope): Promise<string | null> {
  // As runner.query does: a runner TypeORM released (its connection failed) runs nothing more.
  if (runner.isReleased) throw new QueryRunnerAlreadyReleasedError();
  const client = (await runner.connect()) as PoolClient;
  const literal = (value: string | null | undefined) => client.escapeLiteral(value ?? '');
  const text = `START TRANSACTION; SELECT crm_enter(${literal(scope.workspaceId)}, ${literal(scope.userId)}, ${literal(scope.lookupEmail?.toLowerCase())}) AS role`;
  const { logger } = runner.connection;
  logger.logQuery(text, [], runner);
  // From here the connection may be in a transaction (an aborted one if crm_enter failed): the runner must roll it back.
  Object.assign(runner, { isTransactionActive: true, transactionDepth: 1 });
  const started = Date.now();
  try {
    const results = (await client.query(text)) as unknown as QueryResult<{ role: string | null }>[];
    return results[1].rows[0].role;
  } catch (error) {
    throw new QueryFailedError(text, [], error as Error);
  } finally {
    const elapsed = Date.now() - started;
    if (elapsed > 1) logger.logQuerySlow(elapsed, text, [], runner);
  }
}
