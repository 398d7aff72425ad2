import DataLoader from 'dataloader';
import { Field, InputType, ObjectType } from 'type-graphql';
import type { EntityManager } from 'typeorm';
import type { RequestContext } from '../context';
import { appError, badInput, notFound, type FieldProblem } from '../errors';
import type { SnapshotDetail } from '../events/snapshot-sql';
import { decodeId, type NodeType } from '../ids';

/** A lower-case slug naming another system, e.g. "erp" or "shop.de". */
export const SYSTEM_SLUG = /^[a-z0-9][a-z0-9_.-]{0,39}$/;
export const MAX_EXTERNAL_ID = 200;

@ObjectType({ description: 'The id another system knows this record by.' })
export class ExternalRef {
  @Field({ description: 'Lower-case slug of the system, e.g. "erp".' }) system: string;
  @Field({ description: 'The record’s id in that system (1 to 200 characters).' }) id: string;
}

@InputType({ description: 'A record’s id in another system: `system` is a lower-case slug (`^[a-z0-9][a-z0-9_.-]{0,39}$`), `id` 1 to 200 characters.' })
export class ExternalRefInput {
  @Field() system: string;
  @Field() id: string;
}

/** Problems of a system slug sent in `field`. */
export function systemProblems(system: unknown, field: string): FieldProblem[] {
  return typeof system === 'string' && SYSTEM_SLUG.test(system)
    ? []
    : [{ field, message: 'must be a lower-case slug: a letter or digit, then up to 39 of a-z 0-9 _ . -' }];
}

/** `system` if it is a valid slug, else BAD_USER_INPUT naming `field`. */
export function checkedSystem(system: string, field: string): string {
  const problems = systemProblems(system, field);
  if (problems.length) throw badInput(problems);
  return system;
}

/** Problems of a ref sent in `path` (e.g. `input.externalRef`), each naming its field. */
export function refProblems(ref: unknown, path: string): FieldProblem[] {
  if (ref === null || typeof ref !== 'object') return [{ field: path, message: 'must be an object { system, id }' }];
  const { system, id } = ref as Record<string, unknown>;
  const problems = systemProblems(system, `${path}.system`);
  if (typeof id !== 'string' || id.length < 1 || id.length > MAX_EXTERNAL_ID) {
    problems.push({ field: `${path}.id`, message: `must be 1 to ${MAX_EXTERNAL_ID} characters` });
  }
  return problems;
}

/** The ref sent in `path`, or bad input naming its fields. */
export function checkedRef(ref: ExternalRefInput, path: string): ExternalRefInput {
  const problems = refProblems(ref, path);
  if (problems.length) throw badInput(problems);
  return ref;
}

const refKey = (ref: ExternalRefInput) => `${ref.system}\u0000${ref.id}`;

async function refsOfRecords(em: EntityManager, workspaceId: string, type: NodeType, ids: readonly string[]): Promise<Map<string, ExternalRef[]>> {
  const rows: Array<{ record_id: string; system: string; external_id: string }> = await em.query(
    `SELECT record_id, system, external_id FROM external_refs
     WHERE workspace_id = $1 AND record_type = $2 AND record_id = ANY($3) ORDER BY system`,
    [workspaceId, type, ids],
  );
  const byRecord = new Map<string, ExternalRef[]>(ids.map((id) => [id, []]));
  for (const row of rows) byRecord.get(row.record_id)?.push({ system: row.system, id: row.external_id });
  return byRecord;
}

/**
 * External references of records of any type: a record's ids in other systems. Reads batch per
 * request; writes join the caller's write transaction and raise no event themselves (callers
 * change the record with `RecordStore.update`, whose event shows `externalRefs` through
 * `externalRefDetails`).
 */
export const externalRefs = {
  /** `X.externalRefs`: one query per type for every parent in the request. */
  of(ctx: RequestContext, type: NodeType, recordId: string): Promise<ExternalRef[]> {
    const loader = ctx.loader(`ExternalRef:${type}`, () =>
      new DataLoader<string, ExternalRef[]>(async (ids) => {
        const byRecord = await ctx.db.read((em) => refsOfRecords(em, ctx.workspaceId, type, ids));
        return ids.map((id) => byRecord.get(id) ?? []);
      }),
    );
    return loader.load(recordId);
  },

  /** Record ids by ref (trashed records keep theirs), in one query. */
  async find(ctx: RequestContext, em: EntityManager, type: NodeType, refs: ExternalRefInput[]): Promise<Map<string, string>> {
    if (refs.length === 0) return new Map();
    const rows: Array<{ record_id: string; system: string; external_id: string }> = await em.query(
      `SELECT r.record_id, r.system, r.external_id FROM external_refs r
       JOIN unnest($3::text[], $4::text[]) AS k(system, external_id) ON k.system = r.system AND k.external_id = r.external_id
       WHERE r.workspace_id = $1 AND r.record_type = $2`,
      [ctx.workspaceId, type, refs.map((r) => r.system), refs.map((r) => r.id)],
    );
    return new Map(rows.map((row) => [refKey({ system: row.system, id: row.external_id }), row.record_id]));
  },

  key: refKey,

  /** The record a ref names, or null; read in the request's transaction, batched with the request's other refs of the type. */
  recordId(ctx: RequestContext, type: NodeType, ref: ExternalRefInput): Promise<string | null> {
    const loader = ctx.loader(`ExternalRef:${type}:record`, () =>
      new DataLoader<ExternalRefInput, string | null, string>(
        async (refs) => {
          const found = await ctx.db.read((em) => externalRefs.find(ctx, em, type, [...refs]));
          return refs.map((r) => found.get(refKey(r)) ?? null);
        },
        { cacheKeyFn: refKey },
      ),
    );
    return loader.load(ref);
  },

  /**
   * Links `ref` to the record inside the caller's write. CONFLICT naming `field` when another
   * record has that id, or this record already has another id in the system. Linking the same
   * ref twice is a no-op (false); true when a link was added.
   */
  async attach(ctx: RequestContext, em: EntityManager, type: NodeType, recordId: string, ref: ExternalRefInput, field: string): Promise<boolean> {
    const inserted: unknown[] = await em.query(
      `INSERT INTO external_refs (workspace_id, record_type, record_id, system, external_id)
       VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING RETURNING 1`,
      [ctx.workspaceId, type, recordId, ref.system, ref.id],
    );
    ctx.clearLoaders();
    if (inserted.length) return true;
    const [taken]: Array<{ record_id: string; external_id: string }> = await em.query(
      `SELECT record_id, external_id FROM external_refs
       WHERE workspace_id = $1 AND record_type = $2 AND system = $3 AND (external_id = $4 OR record_id = $5)
       ORDER BY (external_id = $4) DESC LIMIT 1`,
      [ctx.workspaceId, type, ref.system, ref.id, recordId],
    );
    if (taken?.record_id === recordId && taken.external_id === ref.id) return false;
    const message =
      taken?.external_id === ref.id
        ? `another ${type} already has this id in ${ref.system}`
        : `this ${type} already has another id in ${ref.system}; remove it first`;
    throw appError('CONFLICT', `${field}: ${message}`, { fields: [{ field, message }] });
  },

  /**
   * Links new records to their refs in one statement inside the caller's write. CONFLICT when
   * any ref is taken (a batch falls back to `attach` per record for exact errors).
   */
  async attachMany(ctx: RequestContext, em: EntityManager, type: NodeType, links: Array<{ recordId: string; ref: ExternalRefInput }>): Promise<void> {
    if (links.length === 0) return;
    const inserted: unknown[] = await em.query(
      `INSERT INTO external_refs (workspace_id, record_type, record_id, system, external_id)
       SELECT $1, $2, l.record_id, l.system, l.external_id FROM unnest($3::uuid[], $4::text[], $5::text[]) AS l(record_id, system, external_id)
       ON CONFLICT DO NOTHING RETURNING 1`,
      [ctx.workspaceId, type, links.map((l) => l.recordId), links.map((l) => l.ref.system), links.map((l) => l.ref.id)],
    );
    ctx.clearLoaders();
    if (inserted.length !== links.length) throw appError('CONFLICT', `some of these ${type} ids in other systems are taken`);
  },

  /** Unlinks the record's id in `system` inside the caller's write; false when it had none. */
  async detach(ctx: RequestContext, em: EntityManager, type: NodeType, recordId: string, system: string): Promise<boolean> {
    // TypeORM answers a DELETE with [rows, affected].
    const [, affected]: [unknown[], number] = await em.query(
      `DELETE FROM external_refs WHERE workspace_id = $1 AND record_type = $2 AND record_id = $3 AND system = $4`,
      [ctx.workspaceId, type, recordId, system],
    );
    ctx.clearLoaders();
    return affected > 0;
  },
};

/** The `externalRefs` of a record's event snapshots: its ids in other systems, ordered by system, as `X.externalRefs` lists them. */
export function externalRefsDetail(type: NodeType): SnapshotDetail {
  return {
    property: 'externalRefs',
    sql: (_dataSource, alias) =>
      `(SELECT coalesce(jsonb_agg(jsonb_build_object('system', r.system, 'id', r.external_id) ORDER BY r.system), '[]'::jsonb) ` +
      `FROM external_refs r WHERE r.workspace_id = "${alias}".workspace_id AND r.record_type = '${type}' AND r.record_id = "${alias}".id)`,
  };
}

/**
 * The record a lookup names (`account(id: …)` or `account(externalRef: …)`): exactly one of the
 * two, else bad input; an unknown ref answers like a missing id (NOT_FOUND).
 */
export async function lookupId(ctx: RequestContext, type: NodeType, id: string | null | undefined, ref: ExternalRefInput | null | undefined): Promise<string> {
  if ((id == null) === (ref == null)) {
    throw badInput([{ field: id == null ? 'id' : 'externalRef', message: 'give exactly one of id and externalRef' }]);
  }
  if (id != null) return decodeId(type, id, 'id');
  const recordId = await externalRefs.recordId(ctx, type, checkedRef(ref!, 'externalRef'));
  if (!recordId) throw notFound(type);
  return recordId;
}
