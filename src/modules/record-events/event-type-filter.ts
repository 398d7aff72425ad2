import { lacksScope, missingReadScope, readableRecordTypes } from '../../kernel/auth/read-scopes';
import type { ApiKeyActor } from '../../kernel/context';
import { eventType, type RecordAction } from '../../kernel/events/record-events';
import { badField } from '../../kernel/errors';
import { ID_PREFIXES, type NodeType } from '../../kernel/ids';
import { column, type SqlParams } from '../../kernel/sql';
import type { DataSource } from 'typeorm';

const ACTIONS: readonly RecordAction[] = ['created', 'updated', 'deleted', 'restored'];

/** `deal` → `Deal`: every type an event can name, keyed by its lower-camel spelling. */
const RECORD_TYPES = new Map<string, NodeType>(Object.keys(ID_PREFIXES).map((type) => [eventType(type as NodeType, 'created').split('.')[0], type as NodeType]));

/**
 * Which event types a feed or subscription wants: exact types (`deal.updated`) and whole record
 * types (`deal.*`, every action on deals). Empty means every event.
 */
export interface EventTypeFilter {
  types: string[];
  recordTypes: NodeType[];
  /** The record types an API key may read; null: all (people and the system). */
  readable: NodeType[] | null;
}

/** The record type an event type (`deal.updated`) or pattern (`deal.*`) names, or null when it is neither. */
export function recordTypeOfEventType(type: string): NodeType | null {
  const [record, action, ...rest] = type.split('.');
  const recordType = RECORD_TYPES.get(record);
  const valid = recordType && rest.length === 0 && (action === '*' || ACTIONS.includes(action as RecordAction));
  return valid ? recordType : null;
}

export const EVENT_TYPE_HINT = `must be an event type such as "deal.updated" or "deal.*" (record types: ${[...RECORD_TYPES.keys()].join(', ')}; actions: ${ACTIONS.join(', ')})`;

/** Parses `types`; an unknown record type or action is bad input on `<field>.<index>`, so a typo never silently matches nothing. */
export function parseEventTypes(types: readonly string[] | null | undefined, field = 'types'): EventTypeFilter {
  const filter: EventTypeFilter = { types: [], recordTypes: [], readable: null };
  (types ?? []).forEach((type, index) => {
    const recordType = recordTypeOfEventType(type);
    if (!recordType) throw badField(`${field}.${index}`, EVENT_TYPE_HINT);
    if (type.endsWith('.*')) filter.recordTypes.push(recordType);
    else filter.types.push(type);
  });
  return filter;
}

/** FORBIDDEN when an API key asks (by `where`, e.g. `types.0: account.*`) for events of a record type it may not read. */
export function refuseUnreadableRecordType(apiKey: ApiKeyActor | null, recordType: string | null, where: string): void {
  const missing = apiKey && recordType ? missingReadScope(apiKey, recordType) : null;
  if (missing) throw lacksScope(missing, where);
}

/**
 * `parseEventTypes` for a reader: an API key naming a type it may not read is FORBIDDEN naming
 * the entry; without types it gets only the readable ones.
 */
export function parseReadableEventTypes(apiKey: ApiKeyActor | null, types: readonly string[] | null | undefined): EventTypeFilter {
  const filter = parseEventTypes(types);
  (types ?? []).forEach((type, index) => refuseUnreadableRecordType(apiKey, recordTypeOfEventType(type), `types.${index}: ${type}`));
  return { ...filter, readable: readableRecordTypes(apiKey) };
}

/** The properties a record type's events carry (its columns, as the snapshots name them). */
export function eventFieldsOf(dataSource: DataSource, types: readonly NodeType[]): Set<string> {
  const names = new Set<string>();
  for (const metadata of dataSource.entityMetadatas) {
    if (!(types as readonly string[]).includes(metadata.name)) continue;
    for (const column of metadata.columns) if (column.propertyName !== 'workspaceId') names.add(column.propertyName);
  }
  return names;
}

/** The record types a filter can let through: those it names, or every one when it names none. */
export function recordTypesOf(filter: EventTypeFilter): NodeType[] {
  const named = [...filter.recordTypes, ...filter.types.map((type) => recordTypeOfEventType(type)!)];
  return named.length ? named : [...RECORD_TYPES.values()];
}

const isEmpty = (filter: EventTypeFilter) => filter.types.length === 0 && filter.recordTypes.length === 0;

/** Whether an event of `type` on a `recordType` record passes the filter. */
export function matchesEventType(filter: EventTypeFilter, type: string, recordType: string): boolean {
  if (filter.readable && !(filter.readable as string[]).includes(recordType)) return false;
  return isEmpty(filter) || filter.types.includes(type) || (filter.recordTypes as string[]).includes(recordType);
}

/** Only the record types in `readable` (null: no condition). */
export function readableCondition(readable: NodeType[] | null, alias: string, params: SqlParams): string | null {
  return readable && `${column(alias, 'record_type')} = ANY(${params.add(readable)}::text[])`;
}

/** The filter as a SQL condition on an events table aliased `alias`; null when it lets everything through. */
export function eventTypeCondition(filter: EventTypeFilter, alias: string, params: SqlParams): string | null {
  const readable = readableCondition(filter.readable, alias, params);
  if (isEmpty(filter)) return readable;
  const wanted = `(${column(alias, 'type')} = ANY(${params.add(filter.types)}::text[]) OR ${column(alias, 'record_type')} = ANY(${params.add(filter.recordTypes)}::text[]))`;
  return readable ? `${wanted} AND ${readable}` : wanted;
}
