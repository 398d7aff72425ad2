import type { RequestContext } from '../../kernel/context';
import { appError } from '../../kernel/errors';
import { parseId } from '../../kernel/ids';
import type { TenantRecord } from '../../kernel/record';
import { checkedRef, checkedSystem, externalRefs, type ExternalRefInput } from '../../kernel/records/external-refs';
import { badField } from '../../kernel/errors';
import { SYNC_OBJECTS, type SyncObjectName, type UpsertItemResult } from './sync-object';
import { itemPath, upsertBatch } from './upsert-engine';
import { upsertSpec } from './upsert-specs';
import { UpsertItemStatus, UpsertStatus, type BulkUpsertOutcome, type UpsertOutcome } from './upsert.types';

const load = (ctx: RequestContext, object: SyncObjectName, result: UpsertItemResult): Promise<TenantRecord | null> =>
  result.recordId ? upsertSpec(object).records.load(ctx, parseId(result.recordId)!.uuid) : Promise.resolve(null);

/** The sync object a public id names, or bad input on `field`. */
function objectOf(recordId: string, field: string): SyncObjectName {
  const type = parseId(recordId)?.type;
  const object = SYNC_OBJECTS.find((o) => upsertSpec(o).type === type);
  if (!object) throw badField(field, `must be the id of an account, contact, deal, ticket, product or order`);
  return object;
}

export const syncService = {
  /** One upsert: the batch engine with one item; a failure is the item's error with `input.` paths. */
  async upsertOne(ctx: RequestContext, object: SyncObjectName, input: unknown): Promise<UpsertOutcome<TenantRecord>> {
    const [result] = await upsertBatch(ctx, object, [input], { atomic: false });
    if (result.error) {
      const fields = result.error.fields.map((f) => ({ field: itemPath('input', f.field), message: f.message }));
      throw appError(result.error.code as never, result.error.message, fields.length ? { fields } : {});
    }
    return { status: result.status as UpsertStatus, record: (await load(ctx, object, result))!, skippedFields: result.skippedFields };
  },

  /** Many upserts (see upsertBatch); item problems are named `inputs[i].<field>`. */
  async upsertMany(ctx: RequestContext, object: SyncObjectName, inputs: unknown[], atomic: boolean): Promise<BulkUpsertOutcome<TenantRecord>> {
    const results = await upsertBatch(ctx, object, inputs, { atomic });
    const count = (status: UpsertItemResult['status']) => results.filter((r) => r.status === status).length;
    return {
      items: results.map((result, index) => ({
        index,
        status: result.status as UpsertItemStatus,
        // Loaded only if asked for (in one batch, mostly from what the write itself primed).
        get record() {
          return result.status === 'FAILED' ? null : load(ctx, object, result);
        },
        skippedFields: result.skippedFields,
        error: result.error
          ? { ...result.error, fields: result.error.fields.map((f) => ({ field: itemPath(`inputs[${index}]`, f.field), message: f.message })) }
          : null,
      })),
      created: count('CREATED'),
      updated: count('UPDATED'),
      unchanged: count('UNCHANGED'),
      failed: count('FAILED'),
    };
  },

  /** Links a record to its id in another system: an updated event (version + 1) shows the new `externalRefs`. */
  async addRef(ctx: RequestContext, recordId: string, ref: ExternalRefInput): Promise<TenantRecord> {
    const spec = upsertSpec(objectOf(recordId, 'recordId'));
    await ctx.authorize(spec.permission);
    checkedRef(ref, 'ref');
    const id = parseId(recordId)!.uuid;
    // update() answers NOT_FOUND for a missing or trashed record before the ref is attached.
    return ctx.db.write((em) => spec.records.touch(ctx, em, id, async () => void (await externalRefs.attach(ctx, em, spec.type, id, ref, 'ref'))));
  },

  /** Unlinks the record's id in `system` (an updated event); bad input on `system` when it has none there. */
  async removeRef(ctx: RequestContext, recordId: string, system: string): Promise<TenantRecord> {
    const spec = upsertSpec(objectOf(recordId, 'recordId'));
    await ctx.authorize(spec.permission);
    checkedSystem(system, 'system');
    const id = parseId(recordId)!.uuid;
    return ctx.db.write((em) =>
      spec.records.touch(ctx, em, id, async () => {
        if (!(await externalRefs.detach(ctx, em, spec.type, id, system))) throw badField('system', `the record has no id in ${system}`);
      }),
    );
  },
};
