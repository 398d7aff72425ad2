import type { ClassType } from 'type-graphql';
import type { DataSource } from 'typeorm';
import { column } from '../sql';

/**
 * Reads an entity's rows with plain SQL: a select list aliased to property names, computed once
 * from TypeORM's metadata, and hydration that fills a new instance. TypeORM's query builder and
 * result transformer cost a fifth of the API's CPU on list pages; this path does the same work
 * for flat rows. Writes still go through TypeORM repositories.
 */
export class RowMapper<E extends object> {
  readonly table: string;
  readonly selectList: string;
  private readonly properties: string[];

  constructor(
    dataSource: DataSource,
    private readonly entity: ClassType<E>,
    readonly alias: string,
    /** Prefixes the result names, so two entities' columns can share one row (`p.id` beside `id`). */
    private readonly prefix = '',
  ) {
    const metadata = dataSource.getMetadata(entity);
    const columns = metadata.columns.filter((c) => c.isSelect);
    this.table = `"${metadata.tablePath}"`;
    this.properties = columns.map((c) => c.propertyName);
    // Dates travel as 'YYYY-MM-DD' text, as TypeORM returns them; pg would make local-time Dates.
    this.selectList = columns
      .map((c) => `${column(alias, c.databaseName)}${c.type === 'date' ? '::text' : ''} AS "${prefix}${c.propertyName}"`)
      .join(', ');
  }

  hydrate(row: Record<string, unknown>): E {
    const entity = new this.entity() as Record<string, unknown>;
    for (const property of this.properties) entity[property] = row[this.prefix + property];
    return entity as E;
  }
}
