import type { ClassType } from 'type-graphql';
import type { EntityManager } from 'typeorm';
import type { RequestContext } from '../../kernel/context';
import { RowMapper } from '../../kernel/records/row-mapper';

/** A RowMapper made on first use (it needs the data source's metadata). */
export function lazyMapper<E extends object>(entity: ClassType<E>, alias: string): (ctx: RequestContext) => RowMapper<E> {
  let mapper: RowMapper<E> | undefined;
  return (ctx) => (mapper ??= new RowMapper(ctx.runtime.dataSource, entity, alias));
}

/** One row of the workspace by id (FOR UPDATE when `lock`, inside a write), or null. */
export async function rowById<E extends object>(ctx: RequestContext, em: EntityManager, mapper: RowMapper<E>, id: string, lock = false): Promise<E | null> {
  const rows = (await em.query(`SELECT ${mapper.selectList} FROM ${mapper.table} ${mapper.alias} WHERE workspace_id = $1 AND id = $2${lock ? ' FOR UPDATE' : ''}`, [
    ctx.workspaceId,
    id,
  ])) as Array<Record<string, unknown>>;
  return rows[0] ? mapper.hydrate(rows[0]) : null;
}
