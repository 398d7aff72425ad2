import { GraphQLError } from 'graphql';
import { QueryFailedError } from 'typeorm';
import type { RequestContext } from '../../kernel/context';
import { encodeId } from '../../kernel/ids';
import type { TenantRecord } from '../../kernel/record';
import { externalRefs } from '../../kernel/records/external-refs';
import type { UpsertItemResult } from './sync-object';
import { createdResult, failed, itemError, naturalKey, planUpdate, prepareItem, remember, requireCreatable, type BatchState } from './upsert-items';
import type { ParsedItem } from './upsert-parse';

/**
 * The set-based steps of a batch: its new items created together and its matched items updated
 * together, a few statements for a thousand items. Whatever these leave without a result (a
 * later item naming the same record, a trashed match, a change the module's own update must
 * make, or all of a step's items when a statement failed) the engine writes item by item.
 */

/**
 * Items a set-based create may take: new (neither ref nor key matched) and the first of the batch
 * to send their ref and key, so a later item with the same ref or key still updates the record.
 */
export function newItems(state: BatchState, entries: Array<{ index: number; item: ParsedItem }>) {
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
 * Runs a set-based step of the batch under one savepoint. If a statement fails (a constraint, a
 * reference gone), the step's writes are undone and its items left without results: the
 * per-item path then gives each its own outcome.
 */
async function together(ctx: RequestContext, state: BatchState, step: () => Promise<void>): Promise<void> {
  try {
    await ctx.db.savepoint(step);
  } catch (error) {
    if (error instanceof QueryFailedError || (error instanceof GraphQLError && error.extensions.code === 'CONFLICT')) {
      ctx.clearLoaders();
      state.records.clear();
      return;
    }
    throw error;
  }
}

/**
 * Creates the batch's new items together: each prepared by the module's creation (its reads
 * batch through the request's loaders), then one insert with their created events, one insert of
 * their external refs (and what else the module stores with them: a deal's contacts, an order's
 * lines). An item whose input is refused fails alone.
 */
export async function createTogether(ctx: RequestContext, state: BatchState, entries: Array<{ index: number; item: ParsedItem }>, results: UpsertItemResult[]) {
  const { spec, em } = state;
  if (entries.length === 0) return;
  await together(ctx, state, async () => {
    const ready = (
      await Promise.all(
        entries.map(async ({ index, item }) => {
          const renames: Record<string, string> = {};
          try {
            const prepared = await prepareItem(ctx, state, { ...item }, renames);
            requireCreatable(spec, prepared.fields);
            return { index, prepared, values: await spec.creation.prepare(ctx, em, prepared.fields as never) };
          } catch (error) {
            results[index] = failed(itemError(error, renames));
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
    const records = await spec.creation.insert(ctx, em, ready.map((entry) => entry.values), links);
    records.forEach((record, i) => {
      remember(state, ready[i].prepared, record.id);
      state.stored.set(record.id, record);
      results[ready[i].index] = createdResult(spec, record.id);
    });
  });
}

/**
 * Items a set-based update may take: matched to a live record read up front, and the first of
 * the batch to name that record (a later one updates it item by item, after this one).
 */
export function matchedItems(state: BatchState, entries: Array<{ index: number; item: ParsedItem }>) {
  const named = new Set<string>();
  return entries.flatMap(({ index, item }) => {
    const refKey = item.externalRef && externalRefs.key(item.externalRef);
    const key = naturalKey(state.spec, item);
    const id = (refKey && state.byRef.get(refKey)) || (key && state.byKey.get(key)) || null;
    if (!id || named.has(id)) return [];
    named.add(id);
    const record = state.records.get(id);
    return record && !record.deletedAt ? [{ index, item, record }] : [];
  });
}

/**
 * Updates the batch's matched items together: each compared with its record (field ownership
 * applied), the unchanged ones answered at once, the changed ones written by one UPDATE with
 * their events (records.updateMany, version-checked against the record as read) after one
 * insert of the refs they add. Items whose change needs the module's own update (a ticket's
 * priority, an order's lines) are left to the per-item path.
 */
export async function updateTogether(ctx: RequestContext, state: BatchState, entries: ReturnType<typeof matchedItems>, results: UpsertItemResult[]) {
  const { spec, em } = state;
  if (entries.length === 0) return;
  await together(ctx, state, async () => {
    const planned = await Promise.all(
      entries.map(async ({ index, item, record }) => {
        const renames: Record<string, string> = {};
        try {
          const prepared = await prepareItem(ctx, state, { ...item }, renames);
          return { index, record, prepared, renames, plan: await planUpdate(ctx, state, prepared, record, renames) };
        } catch (error) {
          results[index] = failed(itemError(error, renames));
          return null;
        }
      }),
    );
    const writes = planned.filter((entry) => !!entry && !entry.plan.changed.some((field) => spec.perItemFields?.includes(field)));
    for (const entry of writes.filter((w) => !w!.plan.changed.length && !w!.plan.needsRef)) {
      remember(state, entry!.prepared, entry!.record.id);
      results[entry!.index] = { status: 'UNCHANGED', recordId: encodeId(spec.type, entry!.record.id), skippedFields: entry!.plan.skippedFields };
    }
    const changing = writes.filter((w) => w!.plan.changed.length || w!.plan.needsRef).map((w) => w!);
    if (changing.length === 0) return;
    const refs = changing.filter((w) => w.plan.needsRef).map((w) => ({ recordId: w.record.id, ref: w.prepared.externalRef! }));
    const outcomes = await spec.records.updateMany(
      ctx,
      em,
      changing.map((w) => ({
        id: w.record.id,
        patch: Object.fromEntries(w.plan.changed.map((field) => [field, w.plan.columns[field]])),
        expectedVersion: w.record.version,
      })),
      refs.length ? () => externalRefs.attachMany(ctx, em, spec.type, refs) : undefined,
    );
    outcomes.forEach((outcome, i) => {
      const { index, record, prepared, renames, plan } = changing[i];
      if (outcome instanceof GraphQLError) {
        results[index] = failed(itemError(outcome, renames));
        return;
      }
      remember(state, prepared, record.id);
      state.stored.set(record.id, outcome);
      results[index] = { status: 'UPDATED', recordId: encodeId(spec.type, record.id), skippedFields: plan.skippedFields };
    });
  });
}

