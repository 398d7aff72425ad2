import { randomBytes } from 'node:crypto';
import { badField } from './errors';

/**
 * Public ids are `<prefix>_<uuid hex>`: opaque to clients, globally unique, and they say their
 * type, so `node(id)` can route and an id of the wrong type is refused as bad input.
 */
export const ID_PREFIXES = {
  Workspace: 'wsp',
  User: 'usr',
  Member: 'mem',
  Account: 'acc',
  Contact: 'con',
  Pipeline: 'pip',
  Stage: 'stg',
  Deal: 'deal',
  Ticket: 'tkt',
  Activity: 'act',
  RecordEvent: 'evt',
  Notification: 'ntf',
  BusinessCalendar: 'cal',
  SlaPolicy: 'slap',
  RoutingRule: 'rr',
  Team: 'team',
  RoutingDecision: 'rd',
  Automation: 'aut',
  AutomationRun: 'arun',
  Product: 'prd',
  Order: 'ord',
  ApiKey: 'key',
  Webhook: 'whk',
  WebhookDelivery: 'whd',
  ImportJob: 'imp',
  Quota: 'quota',
} as const;

export type NodeType = keyof typeof ID_PREFIXES;

const TYPE_BY_PREFIX = new Map<string, NodeType>(
  Object.entries(ID_PREFIXES).map(([type, prefix]) => [prefix, type as NodeType]),
);
const GLOBAL_ID = /^([a-z]+)_([0-9a-f]{32})$/;

export function encodeId(type: NodeType, uuid: string): string {
  return `${ID_PREFIXES[type]}_${uuid.replace(/-/g, '')}`;
}

export interface DecodedId {
  type: NodeType;
  uuid: string;
}

/** Returns null for anything that is not a well-formed id of a known type. */
export function parseId(id: string): DecodedId | null {
  const match = GLOBAL_ID.exec(id);
  const type = match && TYPE_BY_PREFIX.get(match[1]);
  if (!match || !type) return null;
  const h = match[2];
  return { type, uuid: `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}` };
}

/** Decodes an id that must be of `type`; a malformed or wrong-typed id is bad input on `field`. */
export function decodeId(type: NodeType, id: string, field: string): string {
  const decoded = parseId(id);
  if (!decoded || decoded.type !== type) throw badField(field, `must be a ${type} id`);
  return decoded.uuid;
}

export function decodeOptionalId(type: NodeType, id: string | null | undefined, field: string): string | null | undefined {
  return id == null ? id : decodeId(type, id, field);
}

let pool = Buffer.alloc(0);
let offset = 0;

/**
 * A new record id: a UUID version 7 (RFC 9562), the creation millisecond first, then 74 random
 * bits. Records created together get ids close to each other, so the primary key and every index
 * that starts with the id (or the workspace and the id) grow at their right edge instead of at
 * random pages: a million-row import keeps its index pages in memory.
 */
export function newRecordId(now = Date.now()): string {
  if (offset + 10 > pool.length) {
    pool = randomBytes(4096);
    offset = 0;
  }
  const bytes = Buffer.alloc(16);
  bytes.writeUIntBE(now, 0, 6);
  pool.copy(bytes, 6, offset, (offset += 10));
  bytes[6] = 0x70 | (bytes[6] & 0x0f);
  bytes[8] = 0x80 | (bytes[8] & 0x3f);
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
