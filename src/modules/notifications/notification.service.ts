import type { RequestContext } from '../../kernel/context';
import { notFound } from '../../kernel/errors';
import type { Connection } from '../../kernel/pagination/connection';
import { keysetConnection, planPage, type OrderTerm } from '../../kernel/pagination/keyset';
import { RowMapper } from '../../kernel/records/row-mapper';
import { SqlParams, column } from '../../kernel/sql';
import { Notification } from './notification.entity';
import type { NotificationListArgs } from './notification.inputs';

const ALIAS = 'n';

/** An inbox reads newest first. */
const ORDER: OrderTerm[] = [
  { key: 'createdAt', column: 'created_at', direction: 'DESC' },
  { key: 'id', column: 'id', direction: 'DESC' },
];

let mapperOf: RowMapper<Notification> | undefined;

function mapper(ctx: RequestContext): RowMapper<Notification> {
  mapperOf ??= new RowMapper(ctx.runtime.dataSource, Notification, ALIAS);
  return mapperOf;
}

const and = (parts: Array<string | null>): string =>
  parts
    .filter((part): part is string => !!part)
    .map((part) => `(${part})`)
    .join(' AND ');

/** Every query is the signed-in member's own: row-level security gives the workspace, this the member. */
export const notificationService = {
  async list(ctx: RequestContext, args: NotificationListArgs): Promise<Connection<Notification>> {
    const params = new SqlParams();
    const plan = planPage(args, ORDER, ALIAS, params);
    const where = [
      `${column(ALIAS, 'workspace_id')} = ${params.add(ctx.workspaceId)}`,
      `${column(ALIAS, 'user_id')} = ${params.add(ctx.member.userId)}`,
    ];
    if (args.unreadOnly) where.push(`${column(ALIAS, 'read_at')} IS NULL`);
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

  /** Marks one of the member's notifications read (again is a no-op); anyone else's is NOT_FOUND. */
  async markRead(ctx: RequestContext, id: string): Promise<Notification> {
    const { userId } = ctx.member;
    const updated = await ctx.db.write((em) =>
      em
        .createQueryBuilder()
        .update(Notification)
        .set({ readAt: () => 'COALESCE(read_at, now())' })
        .where('workspace_id = :workspace AND user_id = :userId AND id = :id', { workspace: ctx.workspaceId, userId, id })
        .returning('*')
        .execute(),
    );
    const row = (updated.raw as Array<Record<string, unknown>>)[0];
    if (!row) throw notFound('Notification');
    return ctx.runtime.dataSource.getRepository(Notification).create({
      id: row.id as string,
      workspaceId: row.workspace_id as string,
      userId: row.user_id as string,
      kind: row.kind as string,
      subject: row.subject as string,
      recordType: row.record_type as string | null,
      recordUuid: row.record_id as string | null,
      dedupeKey: row.dedupe_key as string,
      readAt: row.read_at as Date | null,
      createdAt: row.created_at as Date,
    });
  },

  /** Marks all the member's unread notifications read; returns how many. */
  async markAllRead(ctx: RequestContext): Promise<number> {
    const { userId } = ctx.member;
    const updated = await ctx.db.write((em) =>
      em
        .createQueryBuilder()
        .update(Notification)
        .set({ readAt: () => 'now()' })
        .where('workspace_id = :workspace AND user_id = :userId AND read_at IS NULL', { workspace: ctx.workspaceId, userId })
        .execute(),
    );
    return updated.affected ?? 0;
  },
};
