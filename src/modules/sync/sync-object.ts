import { registerEnumType, type ClassType } from 'type-graphql';
import type { Permission } from '../../kernel/auth/roles';
import type { NodeType } from '../../kernel/ids';
import type { TenantRecord } from '../../kernel/record';
import type { RecordPort } from '../../kernel/records/record-port';
import type { Alongside, Creation } from '../../kernel/records/record-store';
import type { RequestContext } from '../../kernel/context';

export enum SyncObject {
  ACCOUNT = 'account',
  CONTACT = 'contact',
  DEAL = 'deal',
  TICKET = 'ticket',
  PRODUCT = 'product',
  ORDER = 'order',
}
registerEnumType(SyncObject, { name: 'SyncObject', description: 'An object other systems sync by upserts and imports.' });

/** upsertBatch's object names: `account`, `contact`, … */
export type SyncObjectName = `${SyncObject}`;
export const SYNC_OBJECTS = Object.values(SyncObject) as SyncObjectName[];

export interface UpsertItemError {
  code: string;
  message: string;
  fields: Array<{ field: string; message: string }>;
}

/** One item's outcome; field paths are relative to the item (`email`, `lines[2].productRef`). */
export interface UpsertItemResult {
  status: 'CREATED' | 'UPDATED' | 'UNCHANGED' | 'FAILED';
  /** The record's public id. */
  recordId?: string;
  skippedFields: string[];
  error?: UpsertItemError;
}

/** The record fields of an upsert input (sync fields taken off), as the module's create/update take them. */
export type RecordInput = Record<string, unknown>;

/** A reference given by external ref (`accountRef`) instead of our id (`accountId`). */
export interface RefField {
  ref: string;
  id: string;
  type: NodeType;
}

/**
 * What the upsert engine needs to know about one object; the work itself is the module's own
 * input → columns function and its service's create / update / restore.
 */
export interface UpsertSpec<E extends TenantRecord = TenantRecord> {
  object: SyncObjectName;
  type: NodeType;
  /** The GraphQL input type (`UpsertAccountInput`): items are coerced and validated as it. */
  input: ClassType;
  permission: Permission;
  /** The owning module's records (its service's `records`). */
  records: RecordPort<E, any, any>;
  /** The natural key matched (ignoring case) when no ref matches: input field = column. */
  naturalKey?: string;
  refs: RefField[];
  /** Fields a create needs that the input type leaves optional (an order's account: `accountId` or `accountRef`). */
  requiredOnCreate?: string[];
  /** Input fields that write history (`createdAt`, a deal's stage history, …): refused without history:write or in the future. */
  history: readonly string[];
  /** Fields that apply only when the record is created (e.g. a deal's pipeline). */
  createOnly: string[];
  /** The module's input → columns normalisation (references checked), compared with the record. */
  columns(ctx: RequestContext, input: RecordInput): Promise<Record<string, unknown>>;
  /** The module's creation: a batch's new records are prepared one by one and inserted together. */
  creation: Creation<any, E>;
  /**
   * The module's update, for what a plain update of the changed columns does not cover: a batch
   * writes its other changes together (`records.updateMany`), items that change one of
   * `perItemFields` (or what `differs` finds) one by one through this.
   */
  update(ctx: RequestContext, id: string, input: RecordInput, alongside?: Alongside<E>): Promise<E>;
  perItemFields?: string[];
  restore(ctx: RequestContext, id: string): Promise<E>;
  /** Fields beyond the columns that differ from the record (an order's lines and status). */
  differs?(ctx: RequestContext, record: E, input: RecordInput): Promise<string[]>;
  /**
   * Resolves references inside the input given by ref or key (order lines' products); problems
   * name item-relative paths. Returns renames for later problems (`lines[0].productId` → `lines[0].productSku`).
   */
  prepare?(ctx: RequestContext, input: RecordInput): Promise<Record<string, string>>;
}
