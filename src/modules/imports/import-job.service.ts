import type { EntityManager } from 'typeorm';
import type { RequestContext } from '../../kernel/context';
import { notFound } from '../../kernel/errors';
import type { Connection, PageArgs } from '../../kernel/pagination/connection';
import type { OrderTerm } from '../../kernel/pagination/keyset';
import { RowMapper } from '../../kernel/records/row-mapper';
import { tablePage } from '../../kernel/records/table-page';
import { column } from '../../kernel/sql';
import { ImportError, ImportJob, ImportJobStatus } from './import-job.entity';
import { type SyncObject, upsertSpec } from '../sync';
import type { StagedLine } from './import-lines';
import { publishProgress } from './import-progress';

/** Staged lines per INSERT: one statement of arrays (unnest), not one per line. */
const STAGE_BATCH = 1000;

const NEWEST_FIRST: OrderTerm[] = [
  { key: 'createdAt', column: 'created_at', direction: 'DESC' },
  { key: 'id', column: 'id', direction: 'DESC' },
];
const BY_LINE: OrderTerm[] = [
  { key: 'line', column: 'line', direction: 'ASC' },
  { key: 'id', column: 'id', direction: 'ASC' },
];

let jobs: RowMapper<ImportJob> | undefined;
let errorRows: RowMapper<ImportError> | undefined;

export function jobMapper(ctx: RequestContext): RowMapper<ImportJob> {
  jobs ??= new RowMapper(ctx.runtime.dataSource, ImportJob, 'j');
  return jobs;
}

function errorMapper(ctx: RequestContext): RowMapper<ImportError> {
  errorRows ??= new RowMapper(ctx.runtime.dataSource, ImportError, 'e');
  return errorRows;
}

/** The job row (with `lock` held until the transaction ends: chunks take KEY SHARE, so they run side by side); null when missing. */
export async function loadJob(ctx: RequestContext, em: EntityManager, id: string, lock?: 'KEY SHARE'): Promise<ImportJob | null> {
  const { selectList, table, alias } = jobMapper(ctx);
  const rows = (await em.query(`SELECT ${selectList} FROM ${table} ${alias} WHERE ${alias}.id = $1${lock ? ` FOR ${lock}` : ''}`, [id])) as Array<Record<string, unknown>>;
  return rows[0] ? jobMapper(ctx).hydrate(rows[0]) : null;
}

/** Sets `assignments` (SQL over the row's columns, `$2`… for `params`) on the job and returns it as it now is. */
export async function updateJob(ctx: RequestContext, em: EntityManager, id: string, assignments: string, params: unknown[] = []): Promise<ImportJob> {
  const { selectList, table, alias } = jobMapper(ctx);
  const rows = (await em.query(`UPDATE ${table} AS ${alias} SET ${assignments}, updated_at = now() WHERE ${alias}.id = $1 RETURNING ${selectList}`, [id, ...params])) as [
    Array<Record<string, unknown>>,
    number,
  ];
  return jobMapper(ctx).hydrate(rows[0][0]);
}

function stage(em: EntityManager, workspaceId: string, jobId: string, batch: StagedLine[]): Promise<unknown> {
  return em.query(
    `INSERT INTO import_rows (workspace_id, job_id, line, payload, problem)
     SELECT $1, $2, u.line, u.payload::jsonb, u.problem FROM unnest($3::int[], $4::text[], $5::text[]) AS u(line, payload, problem)`,
    [workspaceId, jobId, batch.map((l) => l.line), batch.map((l) => l.payload), batch.map((l) => l.problem)],
  );
}

export class TooManyRows extends Error {}

export interface UploadSpec {
  object: SyncObject;
  format: 'csv' | 'ndjson';
  source: string | null;
  maxRows: number;
}

export const importJobService = {
  /**
   * Creates a QUEUED job and stages `lines` as they arrive, in one transaction: the job exists
   * only once every line is stored (a failed or refused upload leaves nothing). Each batch is
   * inserted while the next one is read, and the next is read only once the one before was
   * stored, so a fast client waits for the database (backpressure). `enqueue` runs after commit.
   */
  async upload(ctx: RequestContext, spec: UploadSpec, lines: AsyncIterable<StagedLine>, enqueue: (job: ImportJob) => Promise<void>): Promise<ImportJob> {
    await ctx.authorize(upsertSpec(spec.object).permission);
    const job = await ctx.db.write(async (em) => {
      const workspaceId = ctx.workspaceId;
      const [{ id }] = (await em.query(
        `INSERT INTO import_jobs (workspace_id, object, format, source, created_by, created_by_api_key) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
        [workspaceId, spec.object, spec.format, spec.source, ctx.actor?.userId ?? null, ctx.apiKey?.apiKeyId ?? null],
      )) as Array<{ id: string }>;
      let total = 0;
      let batch: StagedLine[] = [];
      let storing: Promise<unknown> = Promise.resolve();
      const flush = async () => {
        await storing;
        storing = stage(em, workspaceId, id, batch);
        storing.catch(() => undefined); // awaited (and thrown) at the next flush or the end
        batch = [];
      };
      for await (const line of lines) {
        total += 1;
        if (total > spec.maxRows) throw new TooManyRows();
        batch.push(line);
        if (batch.length >= STAGE_BATCH) await flush();
      }
      if (batch.length > 0) await flush();
      await storing;
      return updateJob(ctx, em, id, 'total_rows = $2', [total]);
    });
    // The job is stored; a queue outage leaves it QUEUED and the import sweep queues it later.
    await enqueue(job).catch((error: unknown) => ctx.runtime.logger.warn({ err: error, importJobId: job.id }, 'import job not queued; the sweep will'));
    return job;
  },

  async get(ctx: RequestContext, id: string): Promise<ImportJob> {
    const job = await ctx.db.read((em) => loadJob(ctx, em, id));
    if (!job) throw notFound('ImportJob');
    return job;
  },

  list(ctx: RequestContext, args: PageArgs): Promise<Connection<ImportJob>> {
    return tablePage(ctx, jobMapper(ctx), NEWEST_FIRST, args, (params) => [`${column('j', 'workspace_id')} = ${params.add(ctx.workspaceId)}`]);
  },

  /** The job's failed lines, in file order. */
  errors(ctx: RequestContext, job: ImportJob, args: PageArgs): Promise<Connection<ImportError>> {
    return tablePage(ctx, errorMapper(ctx), BY_LINE, args, (params) => [`${column('e', 'job_id')} = ${params.add(job.id)}`]);
  },

  /**
   * Stops an open import at its next chunk: lines already imported stay; the staged rest is
   * deleted. Needs the object's write permission. An ended job is returned as it is.
   */
  async cancel(ctx: RequestContext, id: string): Promise<ImportJob> {
    return ctx.db.write(async (em) => {
      const job = await loadJob(ctx, em, id);
      if (!job) throw notFound('ImportJob');
      await ctx.authorize(upsertSpec(job.object).permission);
      return endJob(ctx, em, id, ImportJobStatus.CANCELLED);
    });
  },
};

/**
 * Ends the job with `status` (and `reason` for FAILED) unless it ended already, drops its staged
 * lines and tells subscribers. It takes no lock a chunk in flight holds (the job row only by its
 * UPDATE; staged lines SKIP LOCKED: such a chunk deletes its own), so it never deadlocks with one;
 * a chunk committing later keeps the status (see runChunk).
 */
export async function endJob(ctx: RequestContext, em: EntityManager, id: string, status: ImportJobStatus, reason: string | null = null): Promise<ImportJob> {
  const { selectList, table, alias } = jobMapper(ctx);
  const [rows] = (await em.query(
    `UPDATE ${table} AS ${alias} SET status = $2, failure_reason = $3, finished_at = now(), updated_at = now()
     WHERE ${alias}.id = $1 AND ${alias}.status IN ('QUEUED', 'RUNNING') RETURNING ${selectList}`,
    [id, status, reason],
  )) as [Array<Record<string, unknown>>, number];
  if (rows.length === 0) return (await loadJob(ctx, em, id))!;
  await em.query(`DELETE FROM import_rows WHERE (job_id, line) IN (SELECT job_id, line FROM import_rows WHERE job_id = $1 FOR UPDATE SKIP LOCKED)`, [id]);
  const job = jobMapper(ctx).hydrate(rows[0]);
  publishProgress(ctx, job);
  return job;
}
