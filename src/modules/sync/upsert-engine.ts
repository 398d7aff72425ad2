import { createHash } from 'node:crypto';
import { GraphQLError } from 'graphql';
import { QueryFailedError, type EntityManager } from 'typeorm';
import type { RequestContext } from '../../kernel/context';
import { decimal, subtract } from '../../kernel/decimal';
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

/** Matches every item at once: refs in one query, natural keys in another (a live record first, else the newest trashed one). */
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
  const ids = [...new Set([...state.byRef.values(), ...state.byKey.values()])];
  const records = await Promise.all(ids.map((id) => spec.store.load(ctx, id)));
  state.records = new Map(records.filter((r): r is TenantRecord => !!r).map((r) => [r.id, r]));
  for (const ref of spec.refs) {
    const given = items.map((item) => item[ref.ref] as ExternalRefInput | undefined).filter((r): r is ExternalRefInput => !!r);
    const found = await externalRefs.find(ctx, em, ref.type, given);
    for (const [key, id] of found) state.targets.set(`${ref.type}:${key}`, id);
  }
}

function same(spec: UpsertSpec, ctx: RequestContext, property: string, stored: unknown, sent: unknown): boolean {
  if (stored == null || sent == null) return stored == sent;
  if (Array.isArray(stored) || Array.isArray(sent)) return JSON.stringify(stored) === JSON.stringify(sent);
  if (stored instanceof Date || sent instanceof Date) return new Date(stored as string).getTime() === new Date(sent as string).getTime();
  const type = ctx.runtime.dataSource.getMetadata(spec.store.model.entity).findColumnWithPropertyName(property)?.type;
  if (type === 'numeric') return subtract(decimal(String(stored)), decimal(String(sent))).units === 0n;
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

/** Upserts one parsed item inside the batch's write (under a savepoint the caller holds). */
async function upsertItem(ctx: RequestContext, state: BatchState, item: ParsedItem, renames: Record<string, string>): Promise<UpsertItemResult> {
  const { spec } = state;
  const { externalRef, syncSource, ...sent } = item as RecordInput & ParsedItem;
  // Only what was sent: the input class's fields are own properties, undefined when not sent.
  const fields: RecordInput = Object.fromEntries(Object.entries(sent).filter(([, value]) => value !== undefined));
  const source = syncSource ?? state.source ?? externalRef?.system ?? 'crm';
  Object.assign(renames, resolveRefFields(state, fields));
  Object.assign(renames, (await spec.prepare?.(ctx, fields)) ?? {});
  const key = naturalKey(spec, fields);
  const refKey = externalRef && externalRefs.key(externalRef);
  const matchedByRef = refKey ? state.byRef.get(refKey) : undefined;
  const id = matchedByRef ?? (key ? state.byKey.get(key) : undefined);
  const attach = externalRef
    ? async (record: TenantRecord) => void (await externalRefs.attach(ctx, state.em, spec.type, record.id, externalRef, 'externalRef'))
    : undefined;
  const remember = (recordId: string) => {
    if (refKey) state.byRef.set(refKey, recordId);
    if (key) state.byKey.set(key, recordId);
    state.records.delete(recordId);
  };
  if (!id) {
    const missing = (spec.requiredOnCreate ?? []).filter((field) => fields[field] == null);
    if (missing.length) throw badInput(missing.map((field) => ({ field, message: `is required to create the ${spec.object}` })));
    const record = await spec.create(ctx, fields, async (created) => attach?.(created));
    remember(record.id);
    return { status: 'CREATED', recordId: encodeId(spec.type, record.id), skippedFields: [] };
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
  remember(id);
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
  if (error instanceof GraphQLError && typeof error.extensions.code === 'string') {
    code = error.extensions.code;
    message = error.message;
    fields = (error.extensions.fields as FieldProblem[] | undefined) ?? [];
  } else if (error instanceof QueryFailedError && databaseError(error)) {
    const mapped = databaseError(error)!;
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
    const results: UpsertItemResult[] = [];
    for (const entry of parsed) {
      if ('error' in entry) {
        results.push({ status: 'FAILED', skippedFields: [], error: entry.error });
        continue;
      }
      const renames: Record<string, string> = {};
      try {
        results.push(await ctx.db.savepoint(() => upsertItem(ctx, state, { ...entry.item }, renames)));
      } catch (error) {
        ctx.clearLoaders();
        state.records.clear();
        results.push({ status: 'FAILED', skippedFields: [], error: itemError(error, renames) });
      }
    }
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

