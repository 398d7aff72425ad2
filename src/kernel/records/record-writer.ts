import type { GraphQLError } from 'graphql';
import type { DataSource, EntityManager } from 'typeorm';
import type { ColumnMetadata } from 'typeorm/metadata/ColumnMetadata';
import type { EntityMetadata } from 'typeorm/metadata/EntityMetadata';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { DateUtils } from 'typeorm/util/DateUtils';
import type { RequestContext } from '../context';
import { conflict, notFound } from '../errors';
import { eventsInsertSql, type RecordAction } from '../events/record-events';
import type { SnapshotSql } from '../events/snapshot-sql';
import { newRecordId, type NodeType } from '../ids';
import type { TenantRecord } from '../record';
import { preparedStatement, SqlParams } from '../sql';
import { RowMapper } from './row-mapper';

/** One record's change in a write of many: the columns to set (raw SQL as `() => 'now()'`), optionally guarded by its version. */
export interface RecordChangeInput<E> {
  id: string;
  patch: QueryDeepPartialEntity<E>;
  expectedVersion?: number | null;
}

/** Per record of a write of many: the record as stored after it, or why it was not changed (NOT_FOUND, CONFLICT). */
export type ChangeOutcome<E> = E | GraphQLError;

type Raw = () => string;
const isRaw = (value: unknown): value is Raw => typeof value === 'function';
const quoted = (name: string) => `"${name}"`;

/**
 * The SQL of a record store's writes, built from the entity's metadata: each write is ONE
 * statement that changes the rows and writes their events (a data-modifying CTE whose event
 * snapshots PostgreSQL builds, see SnapshotSql), for one record or a thousand alike. A write
 * with work `alongside` (linking refs, replacing an order's lines) takes a second statement for
 * the events, after that work, so they show its result.
 */
export class RecordWriter<E extends TenantRecord> {
  private readonly metadata: EntityMetadata;
  private readonly table: string;
  private readonly mappers = new Map<string, RowMapper<E>>();

  constructor(
    private readonly dataSource: DataSource,
    private readonly entity: new () => E,
    private readonly type: NodeType,
    private readonly snapshot: SnapshotSql,
  ) {
    this.metadata = dataSource.getMetadata(entity);
    this.table = quoted(this.metadata.tablePath);
  }

  private mapper(alias: string): RowMapper<E> {
    let mapper = this.mappers.get(alias);
    if (!mapper) this.mappers.set(alias, (mapper = new RowMapper(this.dataSource, this.entity, alias)));
    return mapper;
  }

  /**
   * Inserts rows (ids made here unless given) and, unless `deferEvents`, their created events in
   * the same statement; returns the records as stored, in input order.
   */
  async insert(ctx: RequestContext, em: EntityManager, rows: Array<QueryDeepPartialEntity<E>>, deferEvents: boolean): Promise<E[]> {
    const params = new SqlParams();
    const ids = rows.map((row) => ((row as { id?: string }).id as string | undefined) ?? newRecordId());
    const named = new Set(rows.flatMap((row) => Object.keys(row).filter((p) => (row as Record<string, unknown>)[p] !== undefined)));
    const columns = this.metadata.columns.filter((c) => c.isInsert && (c.propertyName === 'id' || c.propertyName === 'workspaceId' || named.has(c.propertyName)));
    const workspace = params.add(ctx.workspaceId);
    const tuples = rows.map((row, i) => {
      const cells = columns.map((c) => {
        if (c.propertyName === 'id') return params.add(ids[i]);
        if (c.propertyName === 'workspaceId') return workspace;
        const value = (row as Record<string, unknown>)[c.propertyName];
        if (value === undefined) return 'DEFAULT';
        return isRaw(value) ? value() : params.add(this.dataSource.driver.preparePersistentValue(value, c));
      });
      return `(${cells.join(', ')})`;
    });
    const insert = `INSERT INTO ${this.table} AS t (${columns.map((c) => quoted(c.databaseName)).join(', ')}) VALUES ${tuples.join(', ')}`;
    const sql = deferEvents
      ? `${insert} RETURNING ${this.mapper('t').selectList}`
      : `WITH ins AS (${insert} RETURNING t.*), ev AS (${eventsInsertSql(ctx, params, this.type, 'created', this.eventSource('ins', null))}) ` +
        `SELECT ${this.mapper('ins').selectList} FROM ins`;
    const stored = await this.query(em, sql, params, rows.length === 1);
    const byId = new Map(stored.map((row) => [row.id as string, this.mapper('t').hydrate(row)]));
    return ids.map((id) => byId.get(id)!);
  }

  /**
   * Changes records in one statement: each is locked and read (its event's `before`), updated
   * only if it is in the state `action` needs (live, or trashed for a restore) and at
   * `expectedVersion` when given, version + 1; events for those changed, in the same statement
   * unless `befores` is given (then it gets each changed record's `before` as JSON text, for
   * `writeEvents` after the caller's work). One outcome per input, in input order.
   */
  async change(
    ctx: RequestContext,
    em: EntityManager,
    action: Exclude<RecordAction, 'created'>,
    inputs: Array<RecordChangeInput<E>>,
    befores: Map<string, string> | null,
  ): Promise<Array<ChangeOutcome<E>>> {
    const params = new SqlParams();
    const workspace = params.add(ctx.workspaceId);
    const raws = new Map<string, Map<string, number[]>>();
    const setBy = new Map<string, number>();
    const items = inputs.map((input, i) => {
      const set: Record<string, unknown> = {};
      for (const [property, value] of Object.entries(input.patch as Record<string, unknown>)) {
        if (value === undefined) continue;
        const column = this.metadata.findColumnWithPropertyName(property);
        if (!column || !column.isUpdate) throw new Error(`${this.type} has no updatable property ${property}`);
        setBy.set(column.databaseName, (setBy.get(column.databaseName) ?? 0) + 1);
        if (isRaw(value)) {
          const byRaw = raws.get(column.databaseName) ?? new Map<string, number[]>();
          raws.set(column.databaseName, byRaw.set(value(), [...(byRaw.get(value()) ?? []), i + 1]));
        } else set[column.databaseName] = jsonValue(column, value);
      }
      return { id: input.id, v: input.expectedVersion ?? null, s: set };
    });
    const sets = [...setBy].map(([name, count]) => `${quoted(name)} = ${this.newValue(name, raws.get(name), count, inputs.length)}`);
    const state = action === 'restored' ? 'IS NOT NULL' : 'IS NULL';
    // Each item with its record, locked (the event's `before`): one CTE, so no CTE is joined to
    // another (their row counts are unknown to the planner); the UPDATE joins it to the table by id.
    const o =
      `SELECT e.n AS o_n, e.item->'s' AS o_set, (e.item->>'v')::int AS o_expected, r AS o_row, t.id AS o_id, ${this.snapshot.of('t')} AS o_snap ` +
      `FROM jsonb_array_elements(${params.add(JSON.stringify(items))}::jsonb) WITH ORDINALITY AS e(item, n) ` +
      `CROSS JOIN LATERAL jsonb_populate_record(NULL::${this.table}, e.item->'s') AS r ` +
      `JOIN ${this.table} t ON t.workspace_id = ${workspace} AND t.id = (e.item->>'id')::uuid FOR UPDATE OF t`;
    const u =
      `UPDATE ${this.table} t SET ${[...sets, 'version = t.version + 1', 'updated_at = now()'].join(', ')} FROM o ` +
      `WHERE t.workspace_id = ${workspace} AND t.id = o.o_id AND t.deleted_at ${state} AND (o.o_expected IS NULL OR t.version = o.o_expected) ` +
      `RETURNING t.*, o.o_n AS u_n, o.o_snap AS u_before`;
    const events = befores ? '' : `, ev AS (${eventsInsertSql(ctx, params, this.type, action, this.eventSource('u', 'u.u_before'))})`;
    const sql =
      `WITH o AS (${o}), u AS (${u})${events} ` +
      `SELECT u.u_n AS "__n"${befores ? ', u.u_before::text AS "__before"' : ''}, ${this.mapper('u').selectList} FROM u`;
    const rows = await this.query(em, sql, params, inputs.length === 1);
    const byN = new Map(rows.map((row) => [Number(row.__n), row]));
    const missed = inputs.filter((_, i) => !byN.has(i + 1)).map((input) => input.id);
    const states = missed.length ? await this.states(ctx, em, missed) : new Map<string, { version: number; trashed: boolean }>();
    return inputs.map((input, i): ChangeOutcome<E> => {
      const row = byN.get(i + 1);
      if (row) {
        befores?.set(input.id, row.__before as string);
        return this.mapper('u').hydrate(row);
      }
      const current = states.get(input.id);
      // Not changed: missing or in the wrong state (trashed, or live for a restore) is NOT_FOUND, else a stale version.
      return !current || current.trashed !== (action === 'restored') ? notFound(this.type) : conflict(this.type, current.version);
    });
  }

  /** Version and trash state of records the write left alone (locked by it, so they are what it saw). */
  private async states(ctx: RequestContext, em: EntityManager, ids: string[]): Promise<Map<string, { version: number; trashed: boolean }>> {
    const rows = await em.query(`SELECT id, version, deleted_at IS NOT NULL AS trashed FROM ${this.table} WHERE workspace_id = $1 AND id = ANY($2::uuid[])`, [
      ctx.workspaceId,
      ids,
    ]);
    return new Map((rows as Array<{ id: string; version: number; trashed: boolean }>).map((row) => [row.id, row]));
  }

  /**
   * Writes the events of records changed earlier in this transaction, snapshotting them as they
   * are now: `befores` (JSON text by id, from `change` or `snapshots`) or none for created ones;
   * `onlyChanged` leaves out records whose snapshot did not change.
   */
  async writeEvents(ctx: RequestContext, em: EntityManager, action: RecordAction, ids: string[], befores: Map<string, string> | null, onlyChanged = false): Promise<void> {
    if (ids.length === 0) return;
    const params = new SqlParams();
    const table =
      `SELECT t.*, ${befores ? 'b.value' : 'NULL::jsonb'} AS w_before FROM ${this.table} t ` +
      (befores ? `JOIN jsonb_each(${params.add(jsonObject(befores))}::jsonb) AS b ON b.key::uuid = t.id ` : '') +
      `WHERE t.workspace_id = ${params.add(ctx.workspaceId)} AND t.id = ANY(${params.add(ids)}::uuid[])`;
    const source = this.eventSource('w', befores ? 'w.w_before' : null, onlyChanged);
    await this.query(em, `WITH w AS (${table}) ${eventsInsertSql(ctx, params, this.type, action, source)}`, params, ids.length === 1);
  }

  /** Each record's event snapshot as JSON text, read FOR UPDATE: the `before` of a change made by other means (see RecordStore.updateEach). */
  async snapshots(ctx: RequestContext, em: EntityManager, ids: string[]): Promise<Map<string, string>> {
    const params = new SqlParams();
    const sql =
      `SELECT t.id, ${this.snapshot.of('t')}::text AS snap FROM ${this.table} t ` +
      `WHERE t.workspace_id = ${params.add(ctx.workspaceId)} AND t.id = ANY(${params.add(ids)}::uuid[]) FOR UPDATE`;
    return new Map((await this.query(em, sql, params)).map((row) => [row.id as string, row.snap as string]));
  }

  /**
   * The SELECT of `record_id`, `before`, `after`, `changed` that eventsInsertSql takes, over the
   * written rows `rows`: `before` is a column of theirs (the snapshot taken before the change), or
   * NULL for created ones; `after` their snapshot now.
   */
  private eventSource(rows: string, before: string | null, onlyChanged = false): string {
    const inner = `SELECT ${rows}.id, ${before ?? 'NULL::jsonb'} AS before, ${this.snapshot.of(rows)} AS after FROM ${rows}`;
    // MATERIALIZED: inlined, each snapshot would be built again for every property `changed` compares.
    return (
      `WITH x AS MATERIALIZED (${inner}) SELECT x.id AS record_id, x.before, x.after, ${this.snapshot.changed('x.before', 'x.after')} AS changed FROM x` +
      (onlyChanged ? ' WHERE x.before IS DISTINCT FROM x.after' : '')
    );
  }

  /** A column's new value: the item's own where it set one (raw SQL for the items that gave it), else unchanged. */
  private newValue(name: string, raws: Map<string, number[]> | undefined, setBy: number, total: number): string {
    const sent = `(o.o_row).${quoted(name)}`;
    const kept = `t.${quoted(name)}`;
    if (!raws) return setBy === total ? sent : `CASE WHEN o.o_set ? '${name}' THEN ${sent} ELSE ${kept} END`;
    const [[raw, items]] = [...raws];
    if (raws.size === 1 && items.length === total) return raw;
    const whens = [...raws].map(([text, ns]) => `WHEN o.o_n IN (${ns.join(', ')}) THEN ${text}`);
    return `CASE ${whens.join(' ')} WHEN o.o_set ? '${name}' THEN ${sent} ELSE ${kept} END`;
  }

  /** Runs a statement; one record's write (`single`) recurs with the same text, so it is prepared. */
  private query(em: EntityManager, sql: string, params: SqlParams, single = false): Promise<Array<Record<string, unknown>>> {
    const [text, values] = params.bind(sql);
    return em.query(single ? preparedStatement(text) : text, values);
  }
}

/** A value as jsonb_populate_record reads it into the column: dates as 'YYYY-MM-DD', the rest as JSON has it. */
function jsonValue(column: ColumnMetadata, value: unknown): unknown {
  return value !== null && column.type === 'date' ? DateUtils.mixedDateToDateString(value as Date | string) : value;
}

/** `{"<id>": <json text>, …}` from JSON texts, without parsing them. */
function jsonObject(texts: Map<string, string>): string {
  return `{${[...texts].map(([id, text]) => `${JSON.stringify(id)}:${text}`).join(',')}}`;
}
