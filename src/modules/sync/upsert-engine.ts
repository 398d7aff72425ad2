import { createHash } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import type { RequestContext } from '../../kernel/context';
import { badInput } from '../../kernel/errors';
import { encodeId, parseId } from '../../kernel/ids';
import type { TenantRecord } from '../../kernel/record';
import { externalRefs, type ExternalRefInput } from '../../kernel/records/external-refs';
import { checkHistoryFields } from '../../kernel/records/history';
import { createOne } from '../../kernel/records/record-store';
import { fieldOwnerService } from './field-owners.service';
import type { SyncObjectName, UpsertItemError, UpsertItemResult, UpsertSpec } from './sync-object';
import { createdResult, itemError, naturalKey, planUpdate, prepareItem, remember, requireCreatable, type BatchState } from './upsert-items';
import { parseItem, type ParsedItem } from './upsert-parse';
import { upsertSpec } from './upsert-specs';
import { createTogether, matchedItems, newItems, updateTogether } from './upsert-together';

export type { SyncObjectName, UpsertItemResult } from './sync-object';

export const MAX_BATCH = 1000;

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
    const table = ctx.runtime.dataSource.getMetadata(spec.records.model.entity).tableName;
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

/** Upserts one parsed item inside the batch's write (under a savepoint the caller holds). */
async function upsertItem(ctx: RequestContext, state: BatchState, item: ParsedItem, renames: Record<string, string>): Promise<UpsertItemResult> {
  const { spec } = state;
  const prepared = await prepareItem(ctx, state, item, renames);
  const { fields, externalRef, key, refKey } = prepared;
  const id = (refKey ? state.byRef.get(refKey) : undefined) ?? (key ? state.byKey.get(key) : undefined);
  const attach = externalRef
    ? async (record: TenantRecord) => void (await externalRefs.attach(ctx, state.em, spec.type, record.id, externalRef, 'externalRef'))
    : undefined;
  if (!id) {
    requireCreatable(spec, fields);
    const record = await createOne(ctx, spec.creation, fields, async (created) => attach?.(created));
    remember(state, prepared, record.id);
    return createdResult(spec, record.id);
  }
  let record = state.records.get(id) ?? (await spec.records.require(ctx, id));
  // A trashed record a ref or key still names comes back rather than getting a twin.
  const restored = !!record.deletedAt;
  if (restored) record = await spec.restore(ctx, id);
  const plan = await planUpdate(ctx, state, prepared, record, renames);
  remember(state, prepared, id);
  const recordId = encodeId(spec.type, id);
  if (plan.changed.length === 0 && !plan.needsRef) return { status: restored ? 'UPDATED' : 'UNCHANGED', recordId, skippedFields: plan.skippedFields };
  const patch = Object.fromEntries(plan.changed.map((field) => [field, fields[field]]));
  await spec.update(ctx, id, patch, plan.needsRef ? attach : undefined);
  return { status: 'UPDATED', recordId, skippedFields: plan.skippedFields };
}

/** Every item's result in input order: new ones created together, matched ones updated together, the rest item by item. */
async function upsertEach(ctx: RequestContext, state: BatchState, parsed: Array<{ item: ParsedItem } | { error: UpsertItemError }>): Promise<UpsertItemResult[]> {
  const results: UpsertItemResult[] = [];
  const entries = parsed.flatMap((entry, index) => ('item' in entry ? [{ index, item: entry.item }] : []));
  const matched = matchedItems(state, entries);
  await createTogether(ctx, state, newItems(state, entries), results);
  await updateTogether(ctx, state, matched, results);
  for (const [index, entry] of parsed.entries()) {
    if (results[index]) continue;
    if ('error' in entry) {
      results[index] = { status: 'FAILED', skippedFields: [], error: entry.error };
      continue;
    }
    const renames: Record<string, string> = {};
    try {
      results[index] = await ctx.db.savepoint(() => upsertItem(ctx, state, { ...entry.item }, renames));
      // Written again item by item: what a set-based step stored of it is no longer current.
      state.stored.delete(parseId(results[index].recordId!)!.uuid);
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
 * key: its write scope). `source` is the default source for field ownership. An item setting
 * history (`spec.history`: createdAt, a deal's stage history, …) also needs history:write.
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
  const now = new Date();
  // An item setting history it may not set (see kernel/records/history.ts) fails alone, before anything is written.
  const checked = async (raw: unknown) => {
    const item = await parseItem(spec, raw);
    await checkHistoryFields(ctx, item, spec.history, now);
    return item;
  };
  const parsed = await Promise.all(items.map((raw) => checked(raw).then((item) => ({ item }), (error: unknown) => ({ error: itemError(error) }))));
  const valid = parsed.flatMap((p) => ('item' in p ? [p.item] : []));
  return ctx.db.write(async (em) => {
    await lockItems(ctx, em, spec, valid);
    const owners = await fieldOwnerService.ownersOf(ctx, em, object);
    const state: BatchState = {
      spec,
      em,
      owners,
      source: options.source,
      byRef: new Map(),
      byKey: new Map(),
      records: new Map(),
      stored: new Map(),
      targets: new Map(),
    };
    await matchItems(ctx, state, valid);
    const matched = [...new Set([...state.byRef.values(), ...state.byKey.values()])];
    // The matched records are locked and read once for all.
    state.records = new Map((await spec.records.lockMany(ctx, em, matched)).map((record) => [record.id, record]));
    const results = await upsertEach(ctx, state, parsed);
    // The response's records (if asked for) then need no query.
    spec.records.prime(ctx, [...state.stored.values()]);
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

