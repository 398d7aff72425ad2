import type { RequestContext } from '../../kernel/context';
import { badField } from '../../kernel/errors';
import { parseId } from '../../kernel/ids';
import type { Connection } from '../../kernel/pagination/connection';
import { keysetConnection, planPage, type OrderTerm } from '../../kernel/pagination/keyset';
import { RowMapper } from '../../kernel/records/row-mapper';
import { SqlParams, column } from '../../kernel/sql';
import { RecordEvent } from './record-event.entity';
import type { RecordEventListArgs } from './record-event.inputs';

const ALIAS = 'e';

/** A history reads forward: oldest first, ties broken by id. */
const ORDER: OrderTerm[] = [
  { key: 'occurredAt', column: 'occurred_at', direction: 'ASC' },
  { key: 'id', column: 'id', direction: 'ASC' },
];

let mapperOf: RowMapper<RecordEvent> | undefined;

function mapper(ctx: RequestContext): RowMapper<RecordEvent> {
  mapperOf ??= new RowMapper(ctx.runtime.dataSource, RecordEvent, ALIAS);
  return mapperOf;
}

function conditions(ctx: RequestContext, args: RecordEventListArgs, params: SqlParams): string[] {
  const where = [`${column(ALIAS, 'workspace_id')} = ${params.add(ctx.workspaceId)}`];
  if (args.recordId != null) {
    const record = parseId(args.recordId);
    if (!record) throw badField('recordId', 'must be a record id');
    where.push(`${column(ALIAS, 'record_id')} = ${params.add(record.uuid)}`, `${column(ALIAS, 'record_type')} = ${params.add(record.type)}`);
  }
  if (args.type != null) where.push(`${column(ALIAS, 'type')} = ${params.add(args.type)}`);
  if (args.since != null) where.push(`${column(ALIAS, 'occurred_at')} >= ${params.add(args.since)}`);
  return where;
}

const and = (parts: Array<string | null>): string =>
  parts
    .filter((part): part is string => !!part)
    .map((part) => `(${part})`)
    .join(' AND ');

export const recordEventService = {
  /** The event log, oldest first, keyset-paginated over the indexes the migration creates. */
  async list(ctx: RequestContext, args: RecordEventListArgs): Promise<Connection<RecordEvent>> {
    const params = new SqlParams();
    const plan = planPage(args, ORDER, ALIAS, params);
    const where = conditions(ctx, args, params);
    const { table, selectList } = mapper(ctx);
    const keys = ORDER.map((term, i) => `${column(ALIAS, term.column)}::text AS "__key${i}"`).join(', ');
    const orderSql = plan.order.map((term) => `${column(ALIAS, term.column)} ${term.direction}`).join(', ');
    const run = (sql: string) => ctx.db.read((em) => em.query(...params.bind(sql)) as Promise<Array<Record<string, unknown>>>);
    const rows = await run(
      `SELECT ${selectList}, ${keys} FROM ${table} ${ALIAS} WHERE ${and([...where, plan.afterCondition, plan.beforeCondition])} ` +
        `ORDER BY ${orderSql} LIMIT ${plan.limit + 1}`,
    );
    const keyed = rows.map((row) => ({ node: mapper(ctx).hydrate(row), keys: ORDER.map((_, i) => row[`__key${i}`] as string) }));
    const exists = (condition: string | null) => () =>
      condition
        ? run(`SELECT EXISTS (SELECT 1 FROM ${table} ${ALIAS} WHERE ${and([...where, condition])}) AS "found"`).then(([row]) => row.found as boolean)
        : false;
    const count = () => run(`SELECT count(*)::int AS "count" FROM ${table} ${ALIAS} WHERE ${and(where)}`).then(([row]) => row.count as number);
    return keysetConnection(keyed, ORDER, plan, exists(plan.outsideAfter), exists(plan.outsideBefore), count);
  },
};
