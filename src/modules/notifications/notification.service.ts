import type { EntityManager } from 'typeorm';
import type { RequestContext } from '../../kernel/context';
import { notFound } from '../../kernel/errors';
import type { Connection } from '../../kernel/pagination/connection';
import type { OrderTerm } from '../../kernel/pagination/keyset';
import { RowMapper } from '../../kernel/records/row-mapper';
import { tablePage } from '../../kernel/records/table-page';
import { column } from '../../kernel/sql';
import { Notification } from './notification.entity';
import type { NotificationListArgs } from './notification.inputs';
import { publishAfterCommit } from './notification-push';

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

/** What a member is told, about which record; `dedupeKey` names the occasion, so telling twice tells once. */
export interface NotificationInput {
  userId: string;
  kind: string;
  subject: string;
  recordType: string | null;
  recordId: string | null;
  dedupeKey: string;
}

/** Every query is the signed-in member's own: row-level security gives the workspace, `user_id` the member. */
export const notificationService = {
  list(ctx: RequestContext, args: NotificationListArgs): Promise<Connection<Notification>> {
    const { userId } = ctx.member;
    return tablePage(ctx, mapper(ctx), ORDER, args, (params) => [
      `${column(ALIAS, 'workspace_id')} = ${params.add(ctx.workspaceId)}`,
      `${column(ALIAS, 'user_id')} = ${params.add(userId)}`,
      ...(args.unreadOnly ? [`${column(ALIAS, 'read_at')} IS NULL`] : []),
    ]);
  },

  /**
   * Writes a notification inside the caller's transaction (a worker's, usually); returns its id,
   * or null when one for the same occasion exists already. Once that transaction commits, the
   * notification is pushed to its member's open `notificationAdded` subscriptions.
   */
  async notify(ctx: RequestContext, em: EntityManager, input: NotificationInput): Promise<string | null> {
    const rows = (await em.query(
      `INSERT INTO notifications (workspace_id, user_id, kind, subject, record_type, record_id, dedupe_key)
       VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (workspace_id, dedupe_key) DO NOTHING RETURNING id, created_at`,
      [ctx.workspaceId, input.userId, input.kind, input.subject, input.recordType, input.recordId, input.dedupeKey],
    )) as Array<{ id: string; created_at: Date }>;
    const row = rows[0];
    if (!row) return null;
    publishAfterCommit(ctx, { ...input, id: row.id, workspaceId: ctx.workspaceId, createdAt: row.created_at.toISOString() });
    return row.id;
  },

  /** Marks one of the member's notifications read (again keeps the first time); anyone else's is NOT_FOUND. */
  async markRead(ctx: RequestContext, id: string): Promise<Notification> {
    const { userId } = ctx.member;
    const { table, selectList } = mapper(ctx);
    const rows = (await ctx.db.write((em) =>
      em.query(
        `UPDATE ${table} ${ALIAS} SET read_at = COALESCE(read_at, now())
         WHERE workspace_id = $1 AND user_id = $2 AND id = $3 RETURNING ${selectList}`,
        [ctx.workspaceId, userId, id],
      ),
    )) as [Array<Record<string, unknown>>, number];
    const row = rows[0][0];
    if (!row) throw notFound('Notification');
    return mapper(ctx).hydrate(row);
  },

  /** Marks all the member's unread notifications read; returns how many. */
  async markAllRead(ctx: RequestContext): Promise<number> {
    const { userId } = ctx.member;
    const rows = (await ctx.db.write((em) =>
      em.query(`UPDATE notifications SET read_at = now() WHERE workspace_id = $1 AND user_id = $2 AND read_at IS NULL`, [
        ctx.workspaceId,
        userId,
      ]),
    )) as [unknown[], number];
    return rows[1];
  },
};
