import type { RequestContext } from '../context';
import type { Connection, PageArgs } from '../pagination/connection';
import { keysetConnection, planPage, type OrderTerm } from '../pagination/keyset';
import { SqlParams, column } from '../sql';
import type { RowMapper } from './row-mapper';

export const andAll = (parts: Array<string | null>): string =>
  parts
    .filter((part): part is string => !!part)
    .map((part) => `(${part})`)
    .join(' AND ');

/**
 * One keyset page of a table that is not a RecordStore (the event log, notifications): `where`
 * adds the list's conditions (the workspace among them) to `params`; the order should match an index.
 */
export async function tablePage<E extends object>(
  ctx: RequestContext,
  mapper: RowMapper<E>,
  order: OrderTerm[],
  args: PageArgs,
  where: (params: SqlParams) => string[],
): Promise<Connection<E>> {
  const params = new SqlParams();
  const alias = mapper.alias;
  const plan = planPage(args, order, alias, params);
  const conditions = where(params);
  const { table, selectList } = mapper;
  const keys = order.map((term, i) => `${column(alias, term.column)}::text AS "__key${i}"`).join(', ');
  const orderSql = plan.order.map((term) => `${column(alias, term.column)} ${term.direction}`).join(', ');
  const run = (sql: string) => ctx.db.read((em) => em.query(...params.bind(sql)) as Promise<Array<Record<string, unknown>>>);
  const rows = await run(
    `SELECT ${selectList}, ${keys} FROM ${table} ${alias} WHERE ${andAll([...conditions, plan.afterCondition, plan.beforeCondition])} ` +
      `ORDER BY ${orderSql} LIMIT ${plan.limit + 1}`,
  );
  const keyed = rows.map((row) => ({ node: mapper.hydrate(row), keys: order.map((_, i) => row[`__key${i}`] as string) }));
  const exists = (condition: string | null) => () =>
    condition
      ? run(`SELECT EXISTS (SELECT 1 FROM ${table} ${alias} WHERE ${andAll([...conditions, condition])}) AS "found"`).then(([row]) => row.found as boolean)
      : false;
  const count = () => run(`SELECT count(*)::int AS "count" FROM ${table} ${alias} WHERE ${andAll(conditions)}`).then(([row]) => row.count as number);
  return keysetConnection(keyed, order, plan, exists(plan.outsideAfter), exists(plan.outsideBefore), count);
}
