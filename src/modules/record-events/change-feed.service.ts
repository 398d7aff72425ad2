import type { RequestContext } from '../../kernel/context';
import { badField } from '../../kernel/errors';
import { sequenceEvents } from '../../kernel/events/record-events';
import type { Connection } from '../../kernel/pagination/connection';
import { decodeCursor, type OrderTerm } from '../../kernel/pagination/keyset';
import { tablePage } from '../../kernel/records/table-page';
import { column, type SqlParams } from '../../kernel/sql';
import type { RecordEvent } from './record-event.entity';
import type { ChangeFeedArgs } from './change-feed.inputs';
import { eventTypeCondition, parseReadableEventTypes, type EventTypeFilter } from './event-type-filter';
import { recordEventMapper } from './record-event.service';

/** Commit order: `seq` is unique among numbered events; the id only completes the cursor. */
const ORDER: OrderTerm[] = [
  { key: 'sequence', column: 'seq', direction: 'ASC' },
  { key: 'id', column: 'id', direction: 'ASC' },
];

/**
 * Fails when the workspace's retention mark (the highest `seq` the purge deleted) lies beyond the
 * cursor: an event the consumer has not read may be gone, and going on would skip it silently.
 */
async function refuseExpiredCursor(ctx: RequestContext, afterSeq: string): Promise<void> {
  const rows = (await ctx.db.read((em) =>
    em.query(`SELECT purged_through_seq::text AS "mark" FROM record_event_retention WHERE workspace_id = $1`, [ctx.workspaceId]),
  )) as Array<{ mark: string }>;
  const mark = rows[0]?.mark;
  if (mark && BigInt(mark) > BigInt(afterSeq)) {
    throw badField(
      'after',
      `has expired: changes older than ${ctx.runtime.config.RECORD_EVENTS_RETENTION_DAYS} days were deleted after this position, ` +
        'so some were never read. Resync the records, then read the feed again from its start (without `after`).',
    );
  }
}

/** The workspace's numbered events of the wanted types. */
function conditions(ctx: RequestContext, filter: EventTypeFilter, params: SqlParams): string[] {
  const alias = recordEventMapper(ctx).alias;
  const where = [`${column(alias, 'workspace_id')} = ${params.add(ctx.workspaceId)}`, `${column(alias, 'seq')} IS NOT NULL`];
  const types = eventTypeCondition(filter, alias, params);
  return types ? [...where, types] : where;
}

export const changeFeedService = {
  /**
   * The workspace's record events in commit order (`seq`), after the cursor. Only numbered events
   * are listed: a number is given only once every older transaction has finished, so nothing can
   * later appear before a position a consumer has read. Numbers what has committed first (in a
   * transaction of its own), so a poller need not wait for the relay's next pass.
   */
  async list(ctx: RequestContext, args: ChangeFeedArgs): Promise<Connection<RecordEvent>> {
    const filter = parseReadableEventTypes(ctx.apiKey, args.types);
    const afterSeq = args.after ? String(decodeCursor(args.after, ORDER, 'after')[0]) : null;
    if (afterSeq !== null && !/^\d+$/.test(afterSeq)) throw badField('after', 'is not a cursor of this list and ordering');
    // Numbering takes a pooled connection of its own: give the request's back first, so that a
    // request never holds two and concurrent polls cannot exhaust the pool waiting on each other.
    await ctx.db.close();
    await sequenceEvents(ctx.runtime.dataSource);
    const page = await tablePage(ctx, recordEventMapper(ctx), ORDER, { first: args.first, after: args.after }, (params) => conditions(ctx, filter, params));
    // After the read, not before: a purge that committed before the read's snapshot (and deleted
    // rows it would have returned) has raised the mark by the time this later statement runs.
    if (afterSeq !== null) await refuseExpiredCursor(ctx, afterSeq);
    return page;
  },
};
