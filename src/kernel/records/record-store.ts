import DataLoader from 'dataloader';
import { GraphQLError } from 'graphql';
import type { ClassType } from 'type-graphql';
import type { EntityManager } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import type { RequestContext } from '../context';
import { badField, notFound } from '../errors';
import { Snapshotter, type RecordAction } from '../events/record-events';
import { SnapshotSql, type SnapshotDetail } from '../events/snapshot-sql';
import { decodeOptionalId, type NodeType } from '../ids';
import { compileFilter, type FieldSpec, type FilterSpec } from '../filtering/compile-filter';
import type { Connection } from '../pagination/connection';
import { keysetConnection, planPage, type KeyedRow, type OrderColumn, type OrderTerm, type PagePlan } from '../pagination/keyset';
import type { TenantRecord } from '../record';
import { SqlParams, column } from '../sql';
import type { ListArgs } from './list-args';
import { RecordWriter, type ChangeOutcome, type RecordChangeInput } from './record-writer';
import { RowMapper } from './row-mapper';

export type { ChangeOutcome, RecordChangeInput } from './record-writer';

const ALIAS = 't';

/** What the store needs to know about one record type. */
export interface RecordModel<E extends TenantRecord, F, O extends string> {
  type: NodeType;
  entity: ClassType<E>;
  filter: FilterSpec<F>;
  /** Order-field enum value → column. `id` is always appended as the tie-breaker. */
  order: Record<O, OrderColumn>;
  defaultOrder: { field: O; direction: 'ASC' | 'DESC' };
  /** Fields matched by `search`: a `startsWith` on any of them. */
  search: Array<keyof FilterSpec<F> & string>;
  /**
   * Reference properties that events show as public ids, beyond the `id` fields of `filter`
   * (which are taken from there), e.g. a stage's `pipelineId`.
   */
  references?: Partial<Record<keyof E & string, NodeType>>;
  /**
   * Parts of a record kept in other tables (its external refs, an order's lines), added to its
   * events' `before` and `after` by property name, so consumers see the whole record.
   */
  eventDetails?: SnapshotDetail[];
}

/** Work done inside a write after the record's row is written and before its event: e.g. replacing an order's lines. */
export type Alongside<E> = (record: E) => Promise<void>;

/**
 * A module's create in two steps, so that a bulk call creates many records in a few statements:
 * `prepare` checks one input and computes what to store (inside the write; the request's loaders
 * batch the reads of many), `insert` stores all prepared ones together with their created events
 * (`alongside` runs once for them all before the events). `createOne` is the single create.
 */
export interface Creation<P, E> {
  prepare(ctx: RequestContext, em: EntityManager, input: never): Promise<P>;
  insert(ctx: RequestContext, em: EntityManager, prepared: P[], alongside?: (records: E[]) => Promise<void>): Promise<E[]>;
}

/** One record created through its module's `Creation`, in a write of its own (or the caller's). */
export function createOne<P, E>(ctx: RequestContext, creation: Creation<P, E>, input: unknown, alongside?: Alongside<E>): Promise<E> {
  return ctx.db.write(async (em) => {
    const prepared = await creation.prepare(ctx, em, input as never);
    const [record] = await creation.insert(ctx, em, [prepared], alongside && (([created]) => alongside(created)));
    return record;
  });
}

/** One list's scope below its parent, e.g. an account's contacts: `account_id = parent`. */
export interface ParentScope {
  column: string;
  parentId: string;
}

/**
 * Reads and writes for one tenant record type. All access goes through the context's session
 * (tenant scope, transactions) and adds `workspace_id` explicitly, so indexes serve it.
 */
export class RecordStore<E extends TenantRecord, F, O extends string> {
  constructor(readonly model: RecordModel<E, F, O>) {}

  /** One record by id (trashed ones too), batched with every other lookup in the request. */
  load(ctx: RequestContext, id: string | null | undefined): Promise<E | null> {
    return id ? this.byId(ctx).load(id) : Promise.resolve(null);
  }

  async require(ctx: RequestContext, id: string): Promise<E> {
    const record = await this.load(ctx, id);
    if (!record) throw notFound(this.model.type);
    return record;
  }

  /** A live (not trashed) record referenced from input field `field`, or bad input naming it. */
  async requireReference(ctx: RequestContext, id: string, field: string): Promise<E> {
    const record = await this.load(ctx, id);
    if (!record || record.deletedAt) throw badField(field, `no ${this.model.type} with this id`);
    return record;
  }

  /**
   * A reference sent in input field `field` (a public id): decoded, and checked to name a live
   * record of this type in the workspace. undefined (not sent) and null (clear) pass through.
   */
  async reference(ctx: RequestContext, publicId: string | null | undefined, field: string): Promise<string | null | undefined> {
    const id = decodeOptionalId(this.model.type, publicId, field);
    if (id) await this.requireReference(ctx, id, field);
    return id;
  }

  private byId(ctx: RequestContext): DataLoader<string, E | null> {
    return ctx.loader(`${this.model.type}:byId`, () =>
      new DataLoader<string, E | null>(async (ids) => {
        const rows = await ctx.db.read((em) => this.fetch(ctx, em, [...ids]));
        const byId = new Map(rows.map((row) => [row.id, row]));
        return ids.map((id) => byId.get(id) ?? null);
      }),
    );
  }

  /** A page of records, keyset-paginated in a stable order. */
  async list(ctx: RequestContext, args: ListArgs<F, O>): Promise<Connection<E>> {
    const params = new SqlParams();
    const order = this.orderTerms(args);
    const plan = planPage(args, order, ALIAS, params);
    const base = this.conditions(ctx, args, params);
    const searched = this.searchConditions(args, params);
    // Rows match one of these; a search over several fields is one alternative per field, each served by that field's index.
    const alternatives = searched.length > 1 ? searched.map((field) => [...base, field]) : [[...base, ...searched]];
    const rows = await ctx.db.read((em) => this.query(em, this.pageSql(ctx, order, plan, alternatives), params));
    const table = this.mapper(ctx).table;
    const exists = (condition: string | null) => () =>
      condition
        ? ctx.db
            .read((em) => {
              const found = alternatives.map((where) => `EXISTS (SELECT 1 FROM ${table} ${ALIAS} WHERE ${and([...where, condition])})`);
              return this.query(em, `SELECT ${found.join(' OR ')} AS "found"`, params);
            })
            .then(([row]) => row.found as boolean)
        : false;
    const count = () =>
      ctx.db
        .read((em) => this.query(em, `SELECT count(*)::int AS "count" FROM ${table} ${ALIAS} WHERE ${and([...base, ...anyOf(searched)])}`, params))
        .then(([row]) => row.count as number);
    return keysetConnection(this.keyed(ctx, rows, order), order, plan, exists(plan.outsideAfter), exists(plan.outsideBefore), count);
  }

  /**
   * The page query. Rows matching any of several alternatives (a search over several fields)
   * cannot be read in order from one index, and PostgreSQL would walk the ordered index testing
   * every row; so each alternative gets an ordered, limited scan of its own, and the page is the
   * first rows of their union.
   */
  private pageSql(ctx: RequestContext, order: OrderTerm[], plan: PagePlan, alternatives: string[][]): string {
    const bounds = [plan.afterCondition, plan.beforeCondition].filter((c): c is string => !!c);
    const limit = `ORDER BY ${orderSql(plan.order)} LIMIT ${plan.limit + 1}`;
    if (alternatives.length === 1) return `${this.keyedSelect(ctx, order)} WHERE ${and([...alternatives[0], ...bounds])} ${limit}`;
    const id = column(ALIAS, 'id');
    const scans = alternatives.map((where) => `(SELECT ${id} FROM ${this.mapper(ctx).table} ${ALIAS} WHERE ${and([...where, ...bounds])} ${limit})`);
    return `${this.keyedSelect(ctx, order)} WHERE ${id} IN (${scans.join(' UNION ALL ')}) ${limit}`;
  }

  /**
   * The same page for many parents at once (e.g. the newest contacts of every account on a
   * page): one windowed query per request and argument set, however many parents there are.
   */
  listForParent(ctx: RequestContext, scope: ParentScope, args: ListArgs<F, O>): Promise<Connection<E>> {
    const key = `${this.model.type}:by:${scope.column}:${JSON.stringify(args)}`;
    const loader = ctx.loader(key, () =>
      new DataLoader<string, Connection<E>>((parentIds) => this.listForParents(ctx, scope.column, [...parentIds], args)),
    );
    return loader.load(scope.parentId);
  }

  private async listForParents(ctx: RequestContext, parentColumn: string, parentIds: string[], args: ListArgs<F, O>) {
    const params = new SqlParams();
    const order = this.orderTerms(args);
    const plan = planPage(args, order, ALIAS, params);
    const where = [...this.conditions(ctx, args, params), ...anyOf(this.searchConditions(args, params))];
    const parentCol = column(ALIAS, parentColumn);
    const bounded = [...where, `${parentCol} = ANY(${params.add(parentIds)})`, plan.afterCondition, plan.beforeCondition];
    const mapper = this.mapper(ctx);
    const ranked =
      `SELECT id FROM (SELECT ${column(ALIAS, 'id')}, row_number() OVER ` +
      `(PARTITION BY ${parentCol} ORDER BY ${orderSql(plan.order)}) AS rn ` +
      `FROM ${mapper.table} ${ALIAS} WHERE ${and(bounded.filter((c): c is string => !!c))}) ranked ` +
      `WHERE rn <= ${plan.limit + 1}`;
    const page = `${this.keyedSelect(ctx, order)} WHERE ${column(ALIAS, 'id')} IN (${ranked}) ORDER BY ${orderSql(plan.order)}`;
    const rows = this.keyed(ctx, await ctx.db.read((em) => this.query(em, page, params)), order);
    const parentProperty = ctx.runtime.dataSource.getMetadata(this.model.entity).findColumnWithDatabaseName(parentColumn)!.propertyName;
    const counter = this.parentCounter(ctx, parentColumn, where, params);
    return parentIds.map((parentId) => {
      const own = rows.filter((row) => (row.node as Record<string, unknown>)[parentProperty] === parentId);
      const afterGiven = () => !!plan.afterCondition;
      const beforeGiven = () => !!plan.beforeCondition;
      return keysetConnection(own, order, plan, afterGiven, beforeGiven, () => counter.load(parentId));
    });
  }

  private parentCounter(ctx: RequestContext, parentColumn: string, where: string[], params: SqlParams) {
    return new DataLoader<string, number>(async (parentIds) => {
      const parentCol = column(ALIAS, parentColumn);
      const conditions = and([...where, `${parentCol} = ANY(${params.add([...parentIds])})`]);
      const sql = `SELECT ${parentCol} AS "parent", count(*)::int AS "count" FROM ${this.mapper(ctx).table} ${ALIAS} WHERE ${conditions} GROUP BY ${parentCol}`;
      const rows = await ctx.db.read((em) => this.query(em, sql, params));
      const counts = new Map(rows.map((r) => [r.parent as string, r.count as number]));
      return parentIds.map((id) => counts.get(id) ?? 0);
    });
  }

  /** Inserts a record into the caller's write transaction and returns it as stored; writes its created event. */
  async insert(ctx: RequestContext, em: EntityManager, values: QueryDeepPartialEntity<E>, alongside?: Alongside<E>): Promise<E> {
    const [stored] = await this.insertMany(ctx, em, [values], alongside && (([record]) => alongside(record)));
    return stored;
  }

  /**
   * Inserts records (in input order) and their created events: one statement for all of them.
   * With `alongside` (run once for all, e.g. linking their external refs) the events follow in a
   * second statement, so they show what it did.
   */
  async insertMany(
    ctx: RequestContext,
    em: EntityManager,
    values: Array<QueryDeepPartialEntity<E>>,
    alongside?: (records: E[]) => Promise<void>,
  ): Promise<E[]> {
    if (values.length === 0) return [];
    const stored = await this.writer(ctx).insert(ctx, em, values, !!alongside);
    ctx.forgetWrites(this.model.type);
    if (alongside) {
      await alongside(stored);
      await this.writer(ctx).writeEvents(ctx, em, 'created', stored.map((record) => record.id), null);
    }
    return stored;
  }

  /**
   * Changes a live record, raising its version, and writes its updated event: one statement
   * that locks the row, reads its event's `before`, updates it and writes the event. With
   * `expectedVersion`, the row is only touched if nobody changed it since (checked in the UPDATE
   * itself, so two concurrent writers cannot both win); otherwise CONFLICT with the current
   * version. A missing or trashed record is NOT_FOUND.
   */
  async update(
    ctx: RequestContext,
    em: EntityManager,
    id: string,
    patch: QueryDeepPartialEntity<E>,
    expectedVersion?: number | null,
    alongside?: Alongside<E>,
  ): Promise<E> {
    const [outcome] = await this.changeMany(ctx, em, 'updated', [{ id, patch, expectedVersion }], alongside && (([record]) => alongside(record)));
    if (outcome instanceof GraphQLError) throw outcome;
    return outcome;
  }

  /** An updated event (version + 1) for a change `alongside` makes elsewhere, e.g. an external ref linked. */
  touch(ctx: RequestContext, em: EntityManager, id: string, alongside: Alongside<E>): Promise<E> {
    return this.update(ctx, em, id, {}, null, alongside);
  }

  /**
   * Changes many records in one statement with their updated events, as `update` changes one;
   * each gets its outcome (the stored record, or NOT_FOUND / CONFLICT as `update` would throw)
   * and nothing else is held against the others. `alongside` runs once for those changed, before
   * their events.
   */
  updateMany(ctx: RequestContext, em: EntityManager, changes: Array<RecordChangeInput<E>>, alongside?: (records: E[]) => Promise<void>) {
    return this.changeMany(ctx, em, 'updated', changes, alongside);
  }

  /** Moves a record to the trash (a deleted event); `restore` brings it back (a restored event). */
  softDelete(ctx: RequestContext, em: EntityManager, id: string, expectedVersion?: number | null): Promise<E> {
    return this.changeOne(ctx, em, 'deleted', { id, patch: { deletedAt: () => 'now()' } as QueryDeepPartialEntity<E>, expectedVersion });
  }

  restore(ctx: RequestContext, em: EntityManager, id: string, expectedVersion?: number | null): Promise<E> {
    return this.changeOne(ctx, em, 'restored', { id, patch: { deletedAt: null } as unknown as QueryDeepPartialEntity<E>, expectedVersion });
  }

  /**
   * Runs a write that changes many rows of this type at once (e.g. shifting stage positions),
   * with updated events for those of `ids` whose values it changed: the rows' snapshots are
   * read FOR UPDATE before, and the events written after in one statement.
   */
  async updateEach(ctx: RequestContext, em: EntityManager, ids: string[], work: () => Promise<unknown>): Promise<void> {
    const before = await this.writer(ctx).snapshots(ctx, em, ids);
    await work();
    ctx.forgetWrites(this.model.type);
    await this.writer(ctx).writeEvents(ctx, em, 'updated', [...before.keys()], before, true);
  }

  /** The records `ids` (trashed ones too) read FOR UPDATE in one statement: a bulk write's view of what it changes. */
  lockMany(ctx: RequestContext, em: EntityManager, ids: string[]): Promise<E[]> {
    return ids.length ? this.fetch(ctx, em, ids, true) : Promise.resolve([]);
  }

  /**
   * Puts records read in this request's transaction into its by-id loader, so the response's
   * relations (a new deal's stage) need no query of their own.
   */
  prime(ctx: RequestContext, records: E[]): void {
    const loader = this.byId(ctx);
    for (const record of records) loader.clear(record.id).prime(record.id, record);
  }

  private async changeOne(ctx: RequestContext, em: EntityManager, action: Exclude<RecordAction, 'created'>, change: RecordChangeInput<E>): Promise<E> {
    const [outcome] = await this.changeMany(ctx, em, action, [change]);
    if (outcome instanceof GraphQLError) throw outcome;
    return outcome;
  }

  private async changeMany(
    ctx: RequestContext,
    em: EntityManager,
    action: Exclude<RecordAction, 'created'>,
    changes: Array<RecordChangeInput<E>>,
    alongside?: (records: E[]) => Promise<void>,
  ): Promise<Array<ChangeOutcome<E>>> {
    if (changes.length === 0) return [];
    if (new Set(changes.map((c) => c.id)).size !== changes.length) throw new Error(`one ${this.model.type} changed twice in one statement`);
    const befores = alongside ? new Map<string, string>() : null;
    const outcomes = await this.writer(ctx).change(ctx, em, action, changes, befores);
    ctx.forgetWrites(this.model.type);
    if (alongside) {
      const changed = outcomes.filter((o): o is E => !(o instanceof GraphQLError));
      if (changed.length) await alongside(changed);
      await this.writer(ctx).writeEvents(ctx, em, action, changed.map((record) => record.id), befores);
    }
    return outcomes;
  }

  private writerOf?: RecordWriter<E>;

  private writer(ctx: RequestContext): RecordWriter<E> {
    if (!this.writerOf) {
      const snapshot = new SnapshotSql(ctx.runtime.dataSource, this.model.entity, {
        idType: this.model.type,
        references: this.referenceTypes(),
        details: this.model.eventDetails,
      });
      this.writerOf = new RecordWriter(ctx.runtime.dataSource, this.model.entity as new () => E, this.model.type, snapshot);
    }
    return this.writerOf;
  }

  /** Reference properties shown as public ids: the filter's `id` fields and the model's `references`. */
  private referenceTypes(): Record<string, NodeType> {
    return {
      ...Object.fromEntries(
        Object.entries(this.model.filter as Record<string, FieldSpec>)
          .filter(([, spec]) => spec.kind === 'id' && spec.idType)
          .map(([property, spec]) => [property, spec.idType!]),
      ),
      ...(this.model.references as Record<string, NodeType> | undefined),
    };
  }

  private snapshotter?: Snapshotter;

  /** The record as its events show it, without details (public ids, ISO dates), e.g. for a webhook body. */
  snapshot(ctx: RequestContext, record: E): Record<string, unknown> {
    this.snapshotter ??= new Snapshotter(ctx.runtime.dataSource, this.model.entity, this.model.type, this.referenceTypes());
    return this.snapshotter.take(record);
  }

  /** Records by id in this workspace, trashed ones included. */
  private async fetch(ctx: RequestContext, em: EntityManager, ids: string[], forUpdate = false): Promise<E[]> {
    const params = new SqlParams();
    const mapper = this.mapper(ctx);
    const where = and([`${column(ALIAS, 'workspace_id')} = ${params.add(ctx.workspaceId)}`, `${column(ALIAS, 'id')} = ANY(${params.add(ids)})`]);
    const lock = forUpdate ? ' FOR UPDATE' : '';
    const rows = await this.query(em, `SELECT ${mapper.selectList} FROM ${mapper.table} ${ALIAS} WHERE ${where}${lock}`, params);
    return rows.map((row) => mapper.hydrate(row));
  }

  private query(em: EntityManager, sql: string, params: SqlParams): Promise<Array<Record<string, unknown>>> {
    const [text, values] = params.bind(sql);
    return em.query(text, values);
  }

  private mapperOf?: RowMapper<E>;

  private mapper(ctx: RequestContext): RowMapper<E> {
    this.mapperOf ??= new RowMapper(ctx.runtime.dataSource, this.model.entity, ALIAS);
    return this.mapperOf;
  }

  /**
   * SELECT of the columns plus each order key as text: a cursor must carry PostgreSQL's exact
   * values (timestamps have microseconds, a JS Date only milliseconds).
   */
  private keyedSelect(ctx: RequestContext, order: OrderTerm[]): string {
    const mapper = this.mapper(ctx);
    const keys = order.map((term, i) => `${column(ALIAS, term.column)}::text AS "__key${i}"`).join(', ');
    return `SELECT ${mapper.selectList}, ${keys} FROM ${mapper.table} ${ALIAS}`;
  }

  private keyed(ctx: RequestContext, rows: Array<Record<string, unknown>>, order: OrderTerm[]): Array<KeyedRow<E>> {
    const mapper = this.mapper(ctx);
    return rows.map((row) => ({ node: mapper.hydrate(row), keys: order.map((_, i) => row[`__key${i}`] as string | null) }));
  }

  private conditions(ctx: RequestContext, args: ListArgs<F, O>, params: SqlParams): string[] {
    const conditions = [`${column(ALIAS, 'workspace_id')} = ${params.add(ctx.workspaceId)}`];
    if (!args.withDeleted) conditions.push(`${column(ALIAS, 'deleted_at')} IS NULL`);
    const filter = compileFilter(args.filter, this.model.filter, ALIAS, params);
    if (filter) conditions.push(filter);
    return conditions;
  }

  /** `search`: a startsWith on each of the model's search fields, one condition per field (any may match). */
  private searchConditions(args: ListArgs<F, O>, params: SqlParams): string[] {
    const search = args.search?.trim();
    if (!search) return [];
    if (search.length > 200) throw badField('search', 'must be at most 200 characters');
    if (this.model.search.length === 0) throw badField('search', `is not supported on ${this.model.type} lists`);
    return this.model.search.map((field) => compileFilter({ [field]: { startsWith: search } } as F, this.model.filter, ALIAS, params, 'search')!);
  }

  private orderTerms(args: ListArgs<F, O>): OrderTerm[] {
    const requested = args.orderBy?.length ? args.orderBy : [this.model.defaultOrder];
    if (requested.length > 3) throw badField('orderBy', 'takes at most 3 fields');
    const terms: OrderTerm[] = requested.map((o) => ({ key: o.field, direction: o.direction, ...this.model.order[o.field] }));
    return [...terms, { key: 'id', column: 'id', direction: terms[terms.length - 1].direction }];
  }
}

function and(conditions: string[]): string {
  return conditions.map((c) => `(${c})`).join(' AND ');
}

/** The conditions OR'ed into one, or nothing when there are none. */
function anyOf(conditions: string[]): string[] {
  return conditions.length ? [conditions.map((c) => `(${c})`).join(' OR ')] : [];
}

function orderSql(order: OrderTerm[]): string {
  return order.map((t) => `${column(ALIAS, t.column)} ${t.direction}`).join(', ');
}
