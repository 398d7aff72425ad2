import type { EntityManager } from 'typeorm';
import { Permission } from '../../kernel/auth/roles';
import type { RequestContext } from '../../kernel/context';
import { badField } from '../../kernel/errors';
import { parseId } from '../../kernel/ids';
import { requireLiveSeat } from '../../kernel/live-seat';
import { publishOnCommit } from '../../kernel/pubsub';
import { RecordEvent } from './record-event.entity';
import type { RecordChangedArgs } from './change-feed.inputs';
import { eventFieldsOf, matchesEventType, parseReadableEventTypes, recordTypesOf, type EventTypeFilter } from './event-type-filter';
import { recordEventMapper } from './record-event.service';

/** The pub/sub topic of record changes; its id is the workspace, so each workspace is a channel. */
export const RECORD_CHANGED = 'record-changed';

/** A record event as it travels through Redis: the row's properties, the time as an ISO string. */
export type RecordChangedMessage = Omit<RecordEvent, 'occurredAt' | 'globalId' | 'recordId' | 'causedByRunId'> & { occurredAt: string };

/** What one subscription asked for, parsed once when it starts. */
export interface RecordChangedFilter {
  types: EventTypeFilter;
  /** `<type>:<uuid>` of the wanted records; empty: all. */
  records: Set<string>;
  /** Updates must have changed one of these; empty: any. */
  fields: Set<string>;
}

/**
 * Parses the subscription's arguments; bad ones are BAD_USER_INPUT naming `types.<i>`,
 * `recordIds.<i>` or `fields.<i>` (a field none of the wanted record types has), a type an API key
 * may not read FORBIDDEN; a key gets only readable record types.
 */
export function parseRecordChangedArgs(ctx: RequestContext, args: RecordChangedArgs): RecordChangedFilter {
  const records = (args.recordIds ?? []).map((id, index) => {
    const record = parseId(id);
    if (!record) throw badField(`recordIds.${index}`, 'must be a record id');
    return `${record.type}:${record.uuid}`;
  });
  const types = parseReadableEventTypes(ctx.apiKey, args.types);
  const known = eventFieldsOf(ctx.runtime.dataSource, recordTypesOf(types));
  (args.fields ?? []).forEach((field, index) => {
    if (!known.has(field)) throw badField(`fields.${index}`, `is not a field of the records these changes are about`);
  });
  return { types, records: new Set(records), fields: new Set(args.fields ?? []) };
}

/**
 * Reads the event (inside the worker's transaction `em`, scoped to its workspace) and publishes
 * it once that transaction has committed; a rolled-back handler publishes nothing. A failed
 * publish is logged by the pub/sub and never fails the job. Nothing to do for an event already
 * purged, or without a pub/sub.
 */
export async function publishRecordChange(ctx: RequestContext, em: EntityManager, eventId: string): Promise<void> {
  if (!ctx.runtime.pubSub) return;
  const mapper = recordEventMapper(ctx);
  const [row] = (await em.query(`SELECT ${mapper.selectList} FROM ${mapper.table} ${mapper.alias} WHERE ${mapper.alias}.id = $1`, [eventId])) as Array<
    Record<string, unknown>
  >;
  if (!row) return;
  const event = mapper.hydrate(row);
  const message: RecordChangedMessage = { ...event, occurredAt: event.occurredAt.toISOString() };
  publishOnCommit(ctx, RECORD_CHANGED, event.workspaceId, message);
}

/** A subscription's arguments keep their object for its life: parsed once, not at every delivery. */
const parsedFilters = new WeakMap<RecordChangedArgs, RecordChangedFilter>();

export function filterOf(ctx: RequestContext, args: RecordChangedArgs): RecordChangedFilter {
  let filter = parsedFilters.get(args);
  if (!filter) parsedFilters.set(args, (filter = parseRecordChangedArgs(ctx, args)));
  return filter;
}

/**
 * Whether a subscriber in `ctx` gets the message: their workspace, the types and records they
 * asked for, and a live seat that may read (checked at each delivery, so a removed member's
 * subscription ends with UNAUTHENTICATED at the next change).
 */
export async function isWanted(ctx: RequestContext, args: RecordChangedArgs, message: RecordChangedMessage): Promise<boolean> {
  const filter = filterOf(ctx, args);
  if (message.workspaceId !== ctx.workspaceId || !matchesEventType(filter.types, message.type, message.recordType)) return false;
  if (filter.records.size > 0 && !filter.records.has(`${message.recordType}:${message.recordUuid}`)) return false;
  if (filter.fields.size > 0 && message.type.endsWith('.updated') && !message.changed.some((field) => filter.fields.has(field))) return false;
  await requireLiveSeat(ctx, Permission.READ);
  ctx.clearLoaders(); // the actor's name as it is now, not as it was at the first delivery
  return true;
}

export function fromMessage(message: RecordChangedMessage): RecordEvent {
  return Object.assign(new RecordEvent(), message, { occurredAt: new Date(message.occurredAt) });
}
