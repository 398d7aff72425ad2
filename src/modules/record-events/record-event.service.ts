import type { RequestContext } from '../../kernel/context';
import { badField } from '../../kernel/errors';
import { parseId } from '../../kernel/ids';
import type { Connection } from '../../kernel/pagination/connection';
import type { OrderTerm } from '../../kernel/pagination/keyset';
import { RowMapper } from '../../kernel/records/row-mapper';
import { tablePage } from '../../kernel/records/table-page';
import { SqlParams, column } from '../../kernel/sql';
import { readableRecordTypes } from '../../kernel/auth/read-scopes';
import { RecordEvent } from './record-event.entity';
import type { RecordEventListArgs } from './record-event.inputs';
import { readableCondition, recordTypeOfEventType, refuseUnreadableRecordType } from './event-type-filter';

const ALIAS = 'e';

/** A history reads forward: oldest first, ties broken by id. */
const ORDER: OrderTerm[] = [
  { key: 'occurredAt', column: 'occurred_at', direction: 'ASC' },
  { key: 'id', column: 'id', direction: 'ASC' },
];

let mapperOf: RowMapper<RecordEvent> | undefined;

export function recordEventMapper(ctx: RequestContext): RowMapper<RecordEvent> {
  mapperOf ??= new RowMapper(ctx.runtime.dataSource, RecordEvent, ALIAS);
  return mapperOf;
}

/** An API key sees only events of record types it may read, and naming another is FORBIDDEN. */
function conditions(ctx: RequestContext, args: RecordEventListArgs, params: SqlParams): string[] {
  const readable = readableCondition(readableRecordTypes(ctx.apiKey), ALIAS, params);
  const where = [`${column(ALIAS, 'workspace_id')} = ${params.add(ctx.workspaceId)}`, ...(readable ? [readable] : [])];
  if (args.type != null) refuseUnreadableRecordType(ctx.apiKey, recordTypeOfEventType(args.type), `type: ${args.type}`);
  if (args.recordId != null) {
    const record = parseId(args.recordId);
    if (!record) throw badField('recordId', 'must be a record id');
    refuseUnreadableRecordType(ctx.apiKey, record.type, `recordId: ${args.recordId}`);
    where.push(`${column(ALIAS, 'record_id')} = ${params.add(record.uuid)}`, `${column(ALIAS, 'record_type')} = ${params.add(record.type)}`);
  }
  if (args.type != null) where.push(`${column(ALIAS, 'type')} = ${params.add(args.type)}`);
  if (args.since != null) where.push(`${column(ALIAS, 'occurred_at')} >= ${params.add(args.since)}`);
  return where;
}

export const recordEventService = {
  /** The event log, oldest first, keyset-paginated over the indexes the migration creates. */
  list(ctx: RequestContext, args: RecordEventListArgs): Promise<Connection<RecordEvent>> {
    return tablePage(ctx, recordEventMapper(ctx), ORDER, args, (params) => conditions(ctx, args, params));
  },
};
