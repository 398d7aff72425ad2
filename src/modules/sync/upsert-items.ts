import { GraphQLError } from 'graphql';
import { QueryFailedError, type EntityManager } from 'typeorm';
import type { RequestContext } from '../../kernel/context';
import { equalDecimals } from '../../kernel/decimal';
import { badInput, type FieldProblem } from '../../kernel/errors';
import { databaseError } from '../../kernel/format-error';
import { encodeId } from '../../kernel/ids';
import type { TenantRecord } from '../../kernel/record';
import { externalRefs, type ExternalRefInput } from '../../kernel/records/external-refs';
import type { RecordInput, UpsertItemError, UpsertItemResult, UpsertSpec } from './sync-object';
import type { ParsedItem } from './upsert-parse';

/**
 * What the upsert engine does with one item, whichever path writes it: its fields prepared
 * (sync fields off, references by ref resolved), what it would change in its record (field
 * ownership applied), and its error as an item result.
 */

/** What one batch has matched so far: refs and natural keys to record ids, and the records read up front. */
export interface BatchState {
  spec: UpsertSpec;
  em: EntityManager;
  owners: Map<string, string>;
  byRef: Map<string, string>;
  byKey: Map<string, string>;
  records: Map<string, TenantRecord>;
  /** Records as the set-based steps stored them, for the request's loaders once the batch is done (see upsertBatch). */
  stored: Map<string, TenantRecord>;
  /** Reference fields given by ref (`accountRef`): `<type>:<ref key>` → record id. */
  targets: Map<string, string>;
  source?: string;
}

export const naturalKey = (spec: UpsertSpec, input: RecordInput): string | null => {
  const value = spec.naturalKey ? input[spec.naturalKey] : null;
  return typeof value === 'string' && value.trim() ? value.trim().toLowerCase() : null;
};

/** Numeric properties by entity: looked up once, not for every compared field of every item. */
const numericProperties = new WeakMap<UpsertSpec, ReadonlySet<string>>();

function numericPropertiesOf(spec: UpsertSpec, ctx: RequestContext): ReadonlySet<string> {
  let numeric = numericProperties.get(spec);
  if (!numeric) {
    const columns = ctx.runtime.dataSource.getMetadata(spec.records.model.entity).columns;
    numericProperties.set(spec, (numeric = new Set(columns.filter((c) => c.type === 'numeric').map((c) => c.propertyName))));
  }
  return numeric;
}

function same(spec: UpsertSpec, ctx: RequestContext, property: string, stored: unknown, sent: unknown): boolean {
  if (stored == null || sent == null) return stored == sent;
  if (Array.isArray(stored) || Array.isArray(sent)) return JSON.stringify(stored) === JSON.stringify(sent);
  if (stored instanceof Date || sent instanceof Date) return new Date(stored as string).getTime() === new Date(sent as string).getTime();
  if (numericPropertiesOf(spec, ctx).has(property)) return equalDecimals(String(stored), String(sent));
  return stored === sent;
}

/** Replaces references given by ref with our public ids; returns renames for problems (`accountId` → `accountRef`). */
function resolveRefFields(state: BatchState, fields: RecordInput): Record<string, string> {
  const renames: Record<string, string> = {};
  const problems: FieldProblem[] = [];
  for (const ref of state.spec.refs) {
    const given = fields[ref.ref] as ExternalRefInput | null | undefined;
    delete fields[ref.ref];
    if (given == null) continue;
    const id = state.targets.get(`${ref.type}:${externalRefs.key(given)}`);
    if (!id) problems.push({ field: ref.ref, message: `no ${ref.type} with this id in ${given.system}` });
    else fields[ref.id] = encodeId(ref.type, id);
    renames[ref.id] = ref.ref;
  }
  if (problems.length) throw badInput(problems);
  return renames;
}

/** An item's record fields as its create or update takes them, with its sync fields and match keys. */
export interface PreparedItem {
  fields: RecordInput;
  externalRef?: ExternalRefInput | null;
  source: string;
  key: string | null;
  refKey?: string | null;
}

/** Takes the sync fields off an item and resolves its references given by ref (adding renames for problems). */
export async function prepareItem(ctx: RequestContext, state: BatchState, item: ParsedItem, renames: Record<string, string>): Promise<PreparedItem> {
  const { spec } = state;
  const { externalRef, syncSource, ...sent } = item as RecordInput & ParsedItem;
  // Only what was sent: the input class's fields are own properties, undefined when not sent.
  const fields: RecordInput = Object.fromEntries(Object.entries(sent).filter(([, value]) => value !== undefined));
  const source = syncSource ?? state.source ?? externalRef?.system ?? 'crm';
  Object.assign(renames, resolveRefFields(state, fields));
  Object.assign(renames, (await spec.prepare?.(ctx, fields)) ?? {});
  return { fields, externalRef, source, key: naturalKey(spec, fields), refKey: externalRef && externalRefs.key(externalRef) };
}

/** Notes a record created or matched for an item, so later items with its ref or key update it. */
export function remember(state: BatchState, item: PreparedItem, recordId: string): void {
  if (item.refKey) state.byRef.set(item.refKey, recordId);
  if (item.key) state.byKey.set(item.key, recordId);
  state.records.delete(recordId);
}

export function requireCreatable(spec: UpsertSpec, fields: RecordInput): void {
  const missing = (spec.requiredOnCreate ?? []).filter((field) => fields[field] == null);
  if (missing.length) throw badInput(missing.map((field) => ({ field, message: `is required to create the ${spec.object}` })));
}

export const createdResult = (spec: UpsertSpec, recordId: string): UpsertItemResult => ({ status: 'CREATED', recordId: encodeId(spec.type, recordId), skippedFields: [] });

export const failed = (error: UpsertItemError): UpsertItemResult => ({ status: 'FAILED', skippedFields: [], error });

/** What an item changes in its record: fields another source owns skipped, create-only ones dropped, the rest compared. */
export interface UpdatePlan {
  changed: string[];
  columns: Record<string, unknown>;
  skippedFields: string[];
  /** The item's ref is not attached to the record yet. */
  needsRef: boolean;
}

export async function planUpdate(ctx: RequestContext, state: BatchState, prepared: PreparedItem, record: TenantRecord, renames: Record<string, string>): Promise<UpdatePlan> {
  const { spec } = state;
  const { fields, source, externalRef, refKey } = prepared;
  const skippedFields: string[] = [];
  for (const field of Object.keys(fields)) {
    const owner = state.owners.get(field);
    if (spec.createOnly.includes(field)) delete fields[field];
    else if (owner && owner !== source) {
      delete fields[field];
      skippedFields.push(renames[field] ?? field);
    }
  }
  const columns = await spec.columns(ctx, fields);
  const stored = record as unknown as Record<string, unknown>;
  const changed = new Set(Object.keys(fields).filter((f) => columns[f] !== undefined && !same(spec, ctx, f, stored[f], columns[f])));
  for (const field of (await spec.differs?.(ctx, record, fields)) ?? []) changed.add(field);
  return { changed: [...changed], columns, skippedFields, needsRef: !!externalRef && !(refKey && state.byRef.has(refKey)) };
}

/** An error as an item's result: its code, message and fields (item-relative, refs named as sent); a bug is rethrown. */
export function itemError(error: unknown, renames: Record<string, string> = {}): UpsertItemError {
  let code: string;
  let message: string;
  let fields: FieldProblem[];
  let mapped: ReturnType<typeof databaseError>;
  if (error instanceof GraphQLError && typeof error.extensions.code === 'string') {
    code = error.extensions.code;
    message = error.message;
    fields = (error.extensions.fields as FieldProblem[] | undefined) ?? [];
  } else if (error instanceof QueryFailedError && (mapped = databaseError(error))) {
    code = mapped.extensions!.code as string;
    message = mapped.message;
    fields = (mapped.extensions!.fields as FieldProblem[] | undefined) ?? [];
  } else {
    throw error;
  }
  const relabel = (field: string) => {
    const relative = field.replace(/^input\./, '');
    return renames[relative] ?? relative;
  };
  return { code, message, fields: fields.map((f) => ({ field: relabel(f.field), message: f.message })) };
}

