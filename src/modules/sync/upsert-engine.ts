import { createHash } from 'node:crypto';
import { GraphQLError } from 'graphql';
import { QueryFailedError, type EntityManager } from 'typeorm';
import type { RequestContext } from '../../kernel/context';
import { equalDecimals } from '../../kernel/decimal';
import { badInput, type FieldProblem } from '../../kernel/errors';
import { databaseError } from '../../kernel/format-error';
import { encodeId } from '../../kernel/ids';
import type { TenantRecord } from '../../kernel/record';
import { externalRefs, type ExternalRefInput } from '../../kernel/records/external-refs';
import { fieldOwnerService } from './field-owners.service';
import type { RecordInput, SyncObjectName, UpsertItemError, UpsertItemResult, UpsertSpec } from './sync-object';
import { parseItem, type ParsedItem } from './upsert-parse';
import { upsertSpec } from './upsert-specs';

export type { SyncObjectName, UpsertItemResult } from './sync-object';

export const MAX_BATCH = 1000;

/** What one batch has matched so far: refs and natural keys to record ids, and the records read up front. */
interface BatchState {
  spec: UpsertSpec;
  em: EntityManager;
  owners: Map<string, string>;
  byRef: Map<string, string>;
  byKey: Map<string, string>;
  records: Map<string, TenantRecord>;
  /** Reference fields given by ref (`accountRef`): `<type>:<ref key>` → record id. */
  targets: Map<string, string>;
  source?: string;
}

const naturalKey = (spec: UpsertSpec, input: RecordInput): string | null => {
  const value = spec.naturalKey ? input[spec.naturalKey] : null;
  return typeof value === 'string' && value.trim() ? value.trim().toLowerCase() : null;
};

/** A 64-bit advisory lock key per ref and natural key, so concurrent upserts of one record queue instead of both creating it. */
const lockKey = (text: string) => BigInt.asIntN(64, createHash('sha256').update(text).digest().readBigUInt64BE(0)).toString();

/** Takes every item's locks in one statement, in a fixed order, so two batches cannot deadlock on each other. */
async function lockItems(ctx: RequestContext, em: EntityManager, spec: UpsertSpec, items: ParsedItem[]): Promise<void> {
  const texts = items.flatMap((item) => {
    const key = naturalKey(spec, item);
    return [item.externalRef && `ref:${externalRefs.key(item.externalRef)}`, key && `key:${key}`].filter((t): t is string => !!t);
  });
  const keys = [...new Set(texts.map((text) => lockKey(`${ctx.workspaceId}:${spec.type}:${text}`)))].sort();
  if (keys.length) await em.query(`SELECT pg_advisory_xact_lock(k) FROM unnest($1::bigint[]) WITH ORDINALITY AS u(k, n) ORDER BY n`, [keys]);
}

/** Matches every item at once: refs in one query, natural keys in another (a live record first, else the newest trashed one), references by ref. */
async function matchItems(ctx: RequestContext, state: BatchState, items: ParsedItem[]): Promise<void> {
  const { spec, em } = state;
  const refs = items.map((item) => item.externalRef).filter((ref): ref is ExternalRefInput => !!ref);
  state.byRef = await externalRefs.find(ctx, em, spec.type, refs);
  const keys = [...new Set(items.map((item) => naturalKey(spec, item)).filter((key): key is string => !!key))];
  if (keys.length) {
    const table = ctx.runtime.dataSource.getMetadata(spec.store.model.entity).tableName;
    const rows: Array<{ id: string; key: string }> = await em.query(
      `SELECT DISTINCT ON (lower(${spec.naturalKey})) id, lower(${spec.naturalKey}) AS key FROM ${table}
       WHERE workspace_id = $1 AND lower(${spec.naturalKey}) = ANY($2)
       ORDER BY lower(${spec.naturalKey}), (deleted_at IS NULL) DESC, updated_at DESC`,
      [ctx.workspaceId, keys],
    );
    state.byKey = new Map(rows.map((row) => [row.key, row.id]));
  }
  for (const ref of spec.refs) {
    const given = items.map((item) => item[ref.ref] as ExternalRefInput | undefined).filter((r): r is ExternalRefInput => !!r);
    const found = await externalRefs.find(ctx, em, ref.type, given);
    for (const [key, id] of found) state.targets.set(`${ref.type}:${key}`, id);
  }
}

/** Numeric properties by entity: looked up once, not for every compared field of every item. */
const numericProperties = new WeakMap<UpsertSpec, ReadonlySet<string>>();

function numericPropertiesOf(spec: UpsertSpec, ctx: RequestContext): ReadonlySet<string> {
  let numeric = numericProperties.get(spec);
  if (!numeric) {
    const columns = ctx.runtime.dataSource.getMetadata(spec.store.model.entity).columns;
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
interface PreparedItem {
  fields: RecordInput;
  externalRef?: ExternalRefInput | null;
  source: string;
  key: string | null;
  refKey?: string | null;
}

/** Takes the sync fields off an item and resolves its references given by ref (adding renames for problems). */
async function prepareItem(ctx: RequestContext, state: BatchState, item: ParsedItem, renames: Record<string, string>): Promise<PreparedItem> {
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
function remember(state: BatchState, item: PreparedItem, recordId: string): void {
  if (item.refKey) state.byRef.set(item.refKey, recordId);
  if (item.key) state.byKey.set(item.key, recordId);
  state.records.delete(recordId);
}

function requireCreatable(spec: UpsertSpec, fields: RecordInput): void {
  const missing = (spec.requiredOnCreate ?? []).filter((field) => fields[field] == null);
  if (missing.length) throw badInput(missing.map((field) => ({ field, message: `is required to create the ${spec.object}` })));
}

const createdResult = (spec: UpsertSpec, recordId: string): UpsertItemResult => ({ status: 'CREATED', recordId: encodeId(spec.type, recordId), skippedFields: [] });

/**
 * Items a set-based create may take: new (neither ref nor key matched) and the first of the batch
 * to send their ref and key, so a later item with the same ref or key still updates the record.
 */
function newItems(state: BatchState, entries: Array<{ index: number; item: ParsedItem }>) {
  const seen = new Set<string>();
  return entries.filter(({ item }) => {
    const refKey = item.externalRef && `ref:${externalRefs.key(item.externalRef)}`;
    const key = naturalKey(state.spec, item);
    const sends = [refKey, key && `key:${key}`].filter((k): k is string => !!k);
    const first = sends.every((k) => !seen.has(k));
    sends.forEach((k) => seen.add(k));
    const matched = (refKey && state.byRef.has(externalRefs.key(item.externalRef!))) || (key && state.byKey.has(key));
    return first && !matched;
  });
}

/**
 * Creates the batch's new items together: columns per item (reference checks batch through the
 * request's loaders), then one insert, one external-ref insert and one events insert, under one
 * savepoint. An item whose columns fail, or all of them when the insert fails, stay without a
 * result: the per-item path then gives each its own outcome.
 */
async function createTogether(ctx: RequestContext, state: BatchState, entries: Array<{ index: number; item: ParsedItem }>, results: UpsertItemResult[]) {
  const { spec, em } = state;
  const ready = (
    await Promise.all(
      entries.map(async ({ index, item }) => {
        try {
          const prepared = await prepareItem(ctx, state, { ...item }, {});
          requireCreatable(spec, prepared.fields);
          return { index, prepared, values: await spec.createColumns!(ctx, prepared.fields) };
        } catch {
          return null;
        }
      }),
    )
  ).filter((entry) => !!entry);
  if (ready.length === 0) return;
  const links = (records: TenantRecord[]) =>
    externalRefs.attachMany(
      ctx,
      em,
      spec.type,
      records.flatMap((record, i) => (ready[i].prepared.externalRef ? [{ recordId: record.id, ref: ready[i].prepared.externalRef! }] : [])),
    );
  let records: TenantRecord[];
  try {
    records = await ctx.db.savepoint(() => spec.store.insertMany(ctx, em, ready.map((entry) => entry.values), links));
  } catch {
    ctx.clearLoaders();
    state.records.clear();
    return;
  }
  records.forEach((record, i) => {
    remember(state, ready[i].prepared, record.id);
    results[ready[i].index] = createdResult(spec, record.id);
  });
}

/** Upserts one parsed item inside the batch's write (under a savepoint the caller holds). */
async function upsertItem(ctx: RequestContext, state: BatchState, item: ParsedItem, renames: Record<string, string>): Promise<UpsertItemResult> {
  const { spec } = state;
  const prepared = await prepareItem(ctx, state, item, renames);
  const { fields, externalRef, source, key, refKey } = prepared;
  const matchedByRef = refKey ? state.byRef.get(refKey) : undefined;
  const id = matchedByRef ?? (key ? state.byKey.get(key) : undefined);
  const attach = externalRef
    ? async (record: TenantRecord) => void (await externalRefs.attach(ctx, state.em, spec.type, record.id, externalRef, 'externalRef'))
    : undefined;
  if (!id) {
    requireCreatable(spec, fields);
    const record = await spec.create(ctx, fields, async (created) => attach?.(created));
    remember(state, prepared, record.id);
    return createdResult(spec, record.id);
  }
  let record = state.records.get(id) ?? (await spec.store.require(ctx, id));
  // A trashed record a ref or key still names comes back rather than getting a twin.
  const restored = !!record.deletedAt;
  if (restored) record = await spec.restore(ctx, id);
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
  const needsRef = !!externalRef && !matchedByRef;
  remember(state, prepared, id);
  if (changed.size === 0 && !needsRef) return { status: restored ? 'UPDATED' : 'UNCHANGED', recordId: encodeId(spec.type, id), skippedFields };
  const patch = Object.fromEntries([...changed].map((field) => [field, fields[field]]));
  await spec.update(ctx, id, patch, needsRef ? attach : undefined);
  return { status: 'UPDATED', recordId: encodeId(spec.type, id), skippedFields };
}

/** An error as an item's result: its code, message and fields (item-relative, refs named as sent); a bug is rethrown. */
function itemError(error: unknown, renames: Record<string, string> = {}): UpsertItemError {
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

/** Every item's result in input order: new ones created together where the spec allows, the rest item by item. */
async function upsertEach(ctx: RequestContext, state: BatchState, parsed: Array<{ item: ParsedItem } | { error: UpsertItemError }>): Promise<UpsertItemResult[]> {
  const results: UpsertItemResult[] = [];
  const entries = parsed.flatMap((entry, index) => ('item' in entry ? [{ index, item: entry.item }] : []));
  if (state.spec.createColumns) await createTogether(ctx, state, newItems(state, entries), results);
  for (const [index, entry] of parsed.entries()) {
    if (results[index]) continue;
    if ('error' in entry) {
      results[index] = { status: 'FAILED', skippedFields: [], error: entry.error };
      continue;
    }
    const renames: Record<string, string> = {};
    try {
      results[index] = await ctx.db.savepoint(() => upsertItem(ctx, state, { ...entry.item }, renames));
    } catch (error) {
      ctx.clearLoaders();
      state.records.clear();
      results[index] = { status: 'FAILED', skippedFields: [], error: itemError(error, renames) };
    }
  }
  return results;
}

/** `inputs[3].email` from an item's `email`; `inputs[3]` for the item itself. */
export const itemPath = (prefix: string, field: string) => (field === 'item' ? prefix : field.startsWith('[') ? `${prefix}${field}` : `${prefix}.${field}`);

/**
 * Creates or updates records of `object` from plain JSON items (GraphQL inputs or parsed NDJSON),
 * each validated as the single upsert validates it, in one write transaction (joining the
 * caller's, if any). Items are matched by external ref, else by natural key, all in a few
 * queries; each is then written under its own savepoint, so a bad item fails alone (FAILED with
 * its error) unless `atomic`: then any failure undoes every item and throws BAD_USER_INPUT whose
 * fields name each failing `inputs[i].<field>`. Concurrent upserts of the same ref or key queue on
 * advisory locks, so they never create two records. Needs the object's write permission (an API
 * key: its write scope). `source` is the default source for field ownership.
 */
export async function upsertBatch(
  ctx: RequestContext,
  object: SyncObjectName,
  items: unknown[],
  options: { atomic: boolean; source?: string },
): Promise<UpsertItemResult[]> {
  const spec = upsertSpec(object);
  await ctx.authorize(spec.permission);
  if (items.length > MAX_BATCH) throw badInput([{ field: 'inputs', message: `takes at most ${MAX_BATCH} items; got ${items.length}` }]);
  const parsed = await Promise.all(
    items.map((raw) => parseItem(spec, raw).then((item) => ({ item }), (error: unknown) => ({ error: itemError(error) }))),
  );
  const valid = parsed.flatMap((p) => ('item' in p ? [p.item] : []));
  return ctx.db.write(async (em) => {
    await lockItems(ctx, em, spec, valid);
    const owners = await fieldOwnerService.ownersOf(ctx, em, object);
    const state: BatchState = { spec, em, owners, byRef: new Map(), byKey: new Map(), records: new Map(), targets: new Map(), source: options.source };
    await matchItems(ctx, state, valid);
    const matched = [...new Set([...state.byRef.values(), ...state.byKey.values()])];
    // The matched records are locked and read once for all, so their updates skip that per item.
    const results = await spec.store.lockAhead(ctx, em, matched, async (records) => {
      state.records = records;
      return upsertEach(ctx, state, parsed);
    });
    if (options.atomic && results.some((r) => r.status === 'FAILED')) {
      throw badInput(
        results.flatMap((r, i) =>
          r.error
            ? (r.error.fields.length ? r.error.fields : [{ field: 'item', message: r.error.message }]).map((f) => ({
                field: itemPath(`inputs[${i}]`, f.field),
                message: f.message,
              }))
            : [],
        ),
      );
    }
    return results;
  });
}

