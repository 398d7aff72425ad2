import type { EntityManager } from 'typeorm';
import type { RequestContext } from '../../kernel/context';
import { Permission } from '../../kernel/auth/roles';
import { badField } from '../../kernel/errors';
import { checkedSystem } from '../../kernel/records/external-refs';
import type { SyncObjectName } from './sync-object';
import { syncFieldNames } from './upsert-parse';

export interface FieldOwnerRow {
  object: SyncObjectName;
  field: string;
  system: string;
}

/**
 * Which source owns which field of an object: upserts from other sources leave an owned field as
 * it is (reported in `skippedFields`). People's plain updateX mutations are not restricted.
 */
export const fieldOwnerService = {
  list: (ctx: RequestContext): Promise<FieldOwnerRow[]> =>
    ctx.db.read((em) =>
      em.query(`SELECT object, field, system FROM field_owners WHERE workspace_id = $1 ORDER BY object, field`, [ctx.workspaceId]),
    ),

  /** Field → owning source for one object, read inside the caller's transaction. */
  async ownersOf(ctx: RequestContext, em: EntityManager, object: SyncObjectName): Promise<Map<string, string>> {
    const rows: FieldOwnerRow[] = await em.query(`SELECT field, system FROM field_owners WHERE workspace_id = $1 AND object = $2`, [ctx.workspaceId, object]);
    return new Map(rows.map((row) => [row.field, row.system]));
  },

  /** Sets (or with a null system removes) a field's owner. */
  async set(ctx: RequestContext, object: SyncObjectName, field: string, system: string | null | undefined): Promise<FieldOwnerRow[]> {
    await ctx.authorize(Permission.MANAGE_WORKSPACE);
    const fields = await syncFieldNames(object);
    if (!fields.includes(field)) throw badField('input.field', `is not a field of ${object} upserts; one of ${fields.join(', ')}`);
    if (system != null) checkedSystem(system, 'input.system');
    await ctx.db.write((em) =>
      system == null
        ? em.query(`DELETE FROM field_owners WHERE workspace_id = $1 AND object = $2 AND field = $3`, [ctx.workspaceId, object, field])
        : em.query(
            `INSERT INTO field_owners (workspace_id, object, field, system) VALUES ($1, $2, $3, $4)
             ON CONFLICT (workspace_id, object, field) DO UPDATE SET system = EXCLUDED.system, updated_at = now()`,
            [ctx.workspaceId, object, field, system],
          ),
    );
    return fieldOwnerService.list(ctx);
  },
};
