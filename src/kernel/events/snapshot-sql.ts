import type { DataSource } from 'typeorm';
import type { ColumnMetadata } from 'typeorm/metadata/ColumnMetadata';
import { ID_PREFIXES, type NodeType } from '../ids';
import { BOOKKEEPING } from './record-events';

/** A part of a record's event snapshot kept in another table: its property and a jsonb expression over the record's row alias. */
export interface SnapshotDetail {
  property: string;
  sql(dataSource: DataSource, alias: string): string;
}

const quoted = (name: string) => `"${name.replace(/"/g, '""')}"`;
const text = (value: string) => `'${value.replace(/'/g, "''")}'`;

/** `deal_<hex>` from a uuid expression, as `encodeId` makes it (NULL stays NULL). */
export const publicIdSql = (type: NodeType, uuid: string) => `(${text(`${ID_PREFIXES[type]}_`)} || replace(${uuid}::text, '-', ''))`;

/** A timestamptz as JavaScript's `Date.toISOString()` prints the millisecond-truncated value pg hands over. */
const isoSql = (value: string) => `to_char(${value} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/**
 * One column's value as the JavaScript snapshot shows it after pg parsed the row: timestamps as ISO
 * strings, numerics, bigints and dates as text, references as public ids, the rest as JSON does.
 */
function valueSql(column: ColumnMetadata, alias: string, reference: NodeType | undefined): string {
  const value = `${quoted(alias)}.${quoted(column.databaseName)}`;
  if (reference) return publicIdSql(reference, value);
  switch (column.type) {
    case 'timestamptz':
    case 'timestamp with time zone':
      return isoSql(value);
    case 'numeric':
    case 'decimal':
    case 'bigint':
    case 'int8':
    case 'date':
      return `${value}::text`;
    default:
      return value;
  }
}

/**
 * The SQL twin of `Snapshotter`: a record's event snapshot built by PostgreSQL from a row, so a
 * write can store its event in the same statement as the row (a data-modifying CTE) and a bulk
 * write can snapshot a thousand rows without shipping them to Node and back. Property for
 * property it yields what `Snapshotter.take` yields from the hydrated record, plus the model's
 * details (`externalRefs`, an order's `lines`); test/snapshot-sql.test.ts holds the two together.
 */
export class SnapshotSql {
  /** Property names in snapshot order (columns, then details): the order `changed` lists them in. */
  readonly properties: string[];
  private readonly columns: ColumnMetadata[];

  constructor(
    private readonly dataSource: DataSource,
    entity: Function,
    private readonly options: { idType?: NodeType; references: Record<string, NodeType>; omit?: string[]; details?: SnapshotDetail[] },
  ) {
    const omit = new Set(['workspaceId', ...(options.omit ?? [])]);
    this.columns = dataSource.getMetadata(entity).columns.filter((c) => c.isSelect && !omit.has(c.propertyName));
    this.properties = [...this.columns.map((c) => c.propertyName), ...(options.details ?? []).map((d) => d.property)];
  }

  private readonly built = new Map<string, string>();

  /** The snapshot of the row `alias` as one jsonb expression. */
  of(alias: string): string {
    let sql = this.built.get(alias);
    if (!sql) this.built.set(alias, (sql = this.build(alias)));
    return sql;
  }

  private build(alias: string): string {
    const pairs = [
      ...this.columns.map((c) => [c.propertyName, valueSql(c, alias, c.propertyName === 'id' ? this.options.idType : this.options.references[c.propertyName])]),
      ...(this.options.details ?? []).map((d) => [d.property, d.sql(this.dataSource, alias)]),
    ];
    // jsonb_build_object takes at most 100 arguments: build in slices of 40 properties and merge.
    const slices: string[] = [];
    for (let i = 0; i < pairs.length; i += 40) {
      slices.push(`jsonb_build_object(${pairs.slice(i, i + 40).map(([key, sql]) => `${text(key!)}, ${sql}`).join(', ')})`);
    }
    return slices.length === 1 ? slices[0] : `(${slices.join(' || ')})`;
  }

  /**
   * The properties whose values differ between two snapshot expressions (either may be NULL),
   * bookkeeping left out, in snapshot order. Give it columns, not expressions: each is read once
   * per property (a CASE per property, no subquery per row).
   */
  changed(before: string, after: string): string {
    const key = `${before}\u0000${after}`;
    let sql = this.built.get(key);
    if (!sql) this.built.set(key, (sql = this.compare(before, after)));
    return sql;
  }

  private compare(before: string, after: string): string {
    const keys = this.properties.filter((p) => !BOOKKEEPING.has(p));
    const differs = (key: string) => `coalesce(${before} -> ${text(key)}, 'null'::jsonb) IS DISTINCT FROM coalesce(${after} -> ${text(key)}, 'null'::jsonb)`;
    return `array_remove(ARRAY[${keys.map((key) => `CASE WHEN ${differs(key)} THEN ${text(key)} END`).join(', ')}]::text[], NULL)`;
  }
}
