import type { RequestContext } from '../../kernel/context';
import { badField } from '../../kernel/errors';
import { parseId } from '../../kernel/ids';
import type { Connection } from '../../kernel/pagination/connection';
import type { OrderTerm } from '../../kernel/pagination/keyset';
import { RowMapper } from '../../kernel/records/row-mapper';
import { tablePage } from '../../kernel/records/table-page';
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

export function recordEventMapper(ctx: RequestContext): RowMapper<RecordEvent> {
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

export const recordEventService = {
  /** The event log, oldest first, keyset-paginated over the indexes the migration creates. */
  list(ctx: RequestContext, args: RecordEventListArgs): Promise<Connection<RecordEvent>> {
    return tablePage(ctx, recordEventMapper(ctx), ORDER, args, (params) => conditions(ctx, args, params));
  },
};
