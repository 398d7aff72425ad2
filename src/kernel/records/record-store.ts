import DataLoader from 'dataloader';
import type { ClassType } from 'type-graphql';
import type { EntityManager } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import type { RequestContext } from '../context';
import { badField, conflict, notFound } from '../errors';
import { Snapshotter, writeRecordEvents, type RecordAction, type RecordChange, type RecordSnapshot } from '../events/record-events';
import { decodeOptionalId, type NodeType } from '../ids';
import { compileFilter, type FieldSpec, type FilterSpec } from '../filtering/compile-filter';
import type { Connection } from '../pagination/connection';
import { keysetConnection, planPage, type KeyedRow, type OrderColumn, type OrderTerm, type PagePlan } from '../pagination/keyset';
import type { TenantRecord } from '../record';
import { SqlParams, column } from '../sql';
import type { ListArgs } from './list-args';
import { RowMapper } from './row-mapper';

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
   * Parts of a record kept in other tables (an order's lines), read inside the write and added
   * to its events' `before` and `after` by property name, so consumers see the whole record.
   */
  eventDetails?: (ctx: RequestContext, em: EntityManager, ids: string[]) => Promise<Map<string, RecordSnapshot>>;
}

/** Work done inside a write after the record's row is written and before its event: e.g. replacing an order's lines. */
export type Alongside<E> = (record: E) => Promise<void>;

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
   * Inserts records in one statement (in input order) and their created events in another;
   * `alongside` runs once for all of them before the events (e.g. linking their external refs).
   */
  async insertMany(
    ctx: RequestContext,
    em: EntityManager,
    values: Array<QueryDeepPartialEntity<E>>,
    alongside?: (records: E[]) => Promise<void>,
  ): Promise<E[]> {
    const repository = em.getRepository(this.model.entity);
    const result = await repository.insert(values.map((v) => ({ ...v, workspaceId: ctx.workspaceId }) as QueryDeepPartialEntity<E>));
    ctx.clearLoaders();
    const ids = result.identifiers.map((identifier) => identifier.id as string);
    const byId = new Map((await this.fetch(ctx, em, ids)).map((row) => [row.id, row]));
    const stored = ids.map((id) => byId.get(id)!);
    await alongside?.(stored);
    const after = await this.eventSnapshots(ctx, em, stored);
    await this.emit(ctx, em, 'created', stored.map((record) => ({ recordId: record.id, before: null, after: after.get(record.id)! })));
    return stored;
  }

  /**
   * Changes a live record, raising its version, and writes its updated event. With
   * `expectedVersion`, the row is only touched if nobody changed it since (checked in the
   * UPDATE itself, so two concurrent writers cannot both win); otherwise CONFLICT with the
   * current version. The row is read FOR UPDATE first, for the event's `before`: one statement
   * more per write, and the lock it takes is the one the UPDATE would take anyway.
   */
  update(
    ctx: RequestContext,
    em: EntityManager,
    id: string,
    patch: QueryDeepPartialEntity<E>,
    expectedVersion?: number | null,
    alongside?: Alongside<E>,
  ): Promise<E> {
    return this.change(ctx, em, id, patch, expectedVersion, 'updated', alongside);
  }

  /** Moves a record to the trash (a deleted event); `restore` brings it back (a restored event). */
  softDelete(ctx: RequestContext, em: EntityManager, id: string, expectedVersion?: number | null): Promise<E> {
    return this.change(ctx, em, id, { deletedAt: () => 'now()' } as QueryDeepPartialEntity<E>, expectedVersion, 'deleted');
  }

  restore(ctx: RequestContext, em: EntityManager, id: string, expectedVersion?: number | null): Promise<E> {
    return this.change(ctx, em, id, { deletedAt: null } as unknown as QueryDeepPartialEntity<E>, expectedVersion, 'restored');
  }

  /**
   * Runs a write that changes many rows of this type at once (e.g. shifting stage positions),
   * with updated events for those of `ids` whose values it changed: the rows are read FOR UPDATE
   * before and read again after.
   */
  async updateEach(ctx: RequestContext, em: EntityManager, ids: string[], work: () => Promise<unknown>): Promise<void> {
    const before = await this.eventSnapshots(ctx, em, await this.fetch(ctx, em, ids, true));
    await work();
    ctx.clearLoaders();
    const rows = await this.fetch(ctx, em, ids);
    const after = await this.eventSnapshots(ctx, em, rows);
    const changes = rows
      .map((row) => ({ recordId: row.id, before: before.get(row.id) ?? null, after: after.get(row.id)! }))
      .filter((change) => JSON.stringify(change.before) !== JSON.stringify(change.after));
    await this.emit(ctx, em, 'updated', changes);
  }

  /** Events' `before` of the rows `lockAhead` locked, by the write (manager) holding the locks; each taken once. */
  private readonly ahead = new WeakMap<EntityManager, Map<string, RecordSnapshot>>();

  /**
   * Runs `work` with the records `ids` read FOR UPDATE (and their events' `before`) in two
   * statements for all of them, so each one's first change inside `work` skips its own two (a
   * bulk upsert's updates). `work` gets the records as read.
   */
  async lockAhead<T>(ctx: RequestContext, em: EntityManager, ids: string[], work: (records: Map<string, E>) => Promise<T>): Promise<T> {
    const rows = ids.length ? await this.fetch(ctx, em, ids, true) : [];
    const before = await this.eventSnapshots(ctx, em, rows);
    this.ahead.set(em, before);
    try {
      return await work(new Map(rows.map((record) => [record.id, record])));
    } finally {
      this.ahead.delete(em);
    }
  }

  private async change(
    ctx: RequestContext,
    em: EntityManager,
    id: string,
    patch: QueryDeepPartialEntity<E>,
    expectedVersion: number | null | undefined,
    action: Exclude<RecordAction, 'created'>,
    alongside?: Alongside<E>,
  ): Promise<E> {
    const state = action === 'restored' ? 'trashed' : 'live';
    const ahead = this.ahead.get(em);
    const before = ahead?.get(id) ?? (await this.eventSnapshots(ctx, em, await this.fetch(ctx, em, [id], true))).get(id);
    ahead?.delete(id);
    const qb = em
      .createQueryBuilder()
      .update(this.model.entity)
      .set({ ...patch, version: () => 'version + 1', updatedAt: () => 'now()' } as QueryDeepPartialEntity<E>)
      .where(`id = :id AND workspace_id = :workspaceId AND deleted_at IS ${state === 'live' ? '' : 'NOT '}NULL`, {
        id,
        workspaceId: ctx.workspaceId,
      });
    if (expectedVersion != null) qb.andWhere('version = :expectedVersion', { expectedVersion });
    const result = await qb.execute();
    ctx.clearLoaders();
    const [current] = await this.fetch(ctx, em, [id]);
    if (!current || (result.affected === 0 && (current.deletedAt === null) !== (state === 'live'))) {
      throw notFound(this.model.type);
    }
    if (result.affected === 0) throw conflict(this.model.type, current.version);
    if (alongside) await alongside(current);
    const after = (await this.eventSnapshots(ctx, em, [current])).get(id)!;
    await this.emit(ctx, em, action, [{ recordId: id, before: before ?? null, after }]);
    return current;
  }

  /** Event snapshots by id: the columns, plus the model's `eventDetails` as they are now in this transaction. */
  private async eventSnapshots(ctx: RequestContext, em: EntityManager, records: E[]): Promise<Map<string, RecordSnapshot>> {
    const details = this.model.eventDetails && records.length ? await this.model.eventDetails(ctx, em, records.map((r) => r.id)) : null;
    return new Map(records.map((record) => [record.id, { ...this.snapshot(ctx, record), ...details?.get(record.id) }]));
  }

  private emit(ctx: RequestContext, em: EntityManager, action: RecordAction, changes: RecordChange[]): Promise<void> {
    return writeRecordEvents(ctx, em, this.model.type, action, changes);
  }

  private snapshotter?: Snapshotter;

  /** The record as its events show it (public ids, ISO dates), e.g. for a webhook body. */
  snapshot(ctx: RequestContext, record: E): Record<string, unknown> {
    this.snapshotter ??= new Snapshotter(ctx.runtime.dataSource, this.model.entity, this.model.type, {
      ...Object.fromEntries(
        Object.entries(this.model.filter as Record<string, FieldSpec>)
          .filter(([, spec]) => spec.kind === 'id' && spec.idType)
          .map(([property, spec]) => [property, spec.idType!]),
      ),
      ...(this.model.references as Record<string, NodeType> | undefined),
    });
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
