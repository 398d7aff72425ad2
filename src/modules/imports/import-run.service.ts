import type { RequestContext } from '../../kernel/context';
import { type SyncObjectName, upsertBatch, upsertSpec } from '../sync';
import { ImportJobStatus, OPEN_STATUSES, type ImportJob } from './import-job.entity';
import { endJob, loadJob, updateJob } from './import-job.service';
import { publishProgress } from './import-progress';

interface StagedRow {
  line: number;
  payload: unknown;
  problem: string | null;
}

interface LineError {
  line: number;
  code: string;
  message: string;
  fields: Array<{ field: string; message: string }>;
}

export interface ChunkOutcome {
  /** The job after the chunk; null when it no longer exists. */
  job: ImportJob | null;
  /** No chunk follows: the job ended (now or before). */
  done: boolean;
}

const COUNTERS = { CREATED: 0, UPDATED: 0, UNCHANGED: 0, FAILED: 0 };

/** Sets a counter-advancing chunk's status without overturning a cancel that committed meanwhile. */
const whileOpen = (status: ImportJobStatus) => `CASE WHEN status IN ('QUEUED', 'RUNNING') THEN '${status}' ELSE status END`;

export const importRunService = {
  /**
   * Upserts the next `size` staged lines of an open job as its uploader (`ctx`), in ONE
   * transaction with what records their outcome: the lines' errors, the job's counters and
   * `processedRows`, and the deletion of the lines from staging. A worker that dies mid-chunk
   * leaves none of it, so the next one starts from the last committed chunk: no line is
   * imported or counted twice. Several runners may work on one job side by side: each claims
   * its lines with FOR UPDATE SKIP LOCKED, and the job row is only KEY SHARE locked until the
   * counters' UPDATE. The chunk that leaves no staged line behind COMPLETES the job.
   */
  async runChunk(ctx: RequestContext, id: string, size: number): Promise<ChunkOutcome> {
    return ctx.db.write(async (em) => {
      const job = await loadJob(ctx, em, id, 'KEY SHARE');
      if (!job || !OPEN_STATUSES.includes(job.status)) return { job, done: true };
      // Checked in every chunk: a member's demotion or a key's revocation stops the import.
      await ctx.authorize(upsertSpec(job.object).permission);
      const rows = (await em.query(`SELECT line, payload, problem FROM import_rows WHERE job_id = $1 ORDER BY line LIMIT $2 FOR UPDATE SKIP LOCKED`, [
        id,
        size,
      ])) as StagedRow[];
      const readable = rows.filter((row) => row.problem === null);
      const results = readable.length > 0 ? await upsertBatch(ctx, job.object as SyncObjectName, readable.map((row) => row.payload), { atomic: false, source: job.source ?? undefined }) : [];
      if (results.length !== readable.length) throw new Error(`upsertBatch answered ${results.length} results for ${readable.length} items`);
      const counts = { ...COUNTERS };
      const errors: LineError[] = [];
      for (const row of rows) {
        if (row.problem !== null) errors.push({ line: row.line, code: 'BAD_USER_INPUT', message: `Line ${row.line}: ${row.problem}`, fields: [] });
      }
      results.forEach((result, i) => {
        counts[result.status] += 1;
        const { code = 'INTERNAL_SERVER_ERROR', message = 'failed', fields = [] } = result.error ?? {};
        if (result.status === 'FAILED') errors.push({ line: readable[i].line, code, message, fields });
      });
      counts.FAILED += rows.length - readable.length;
      if (errors.length > 0) {
        await em.query(
          `INSERT INTO import_errors (workspace_id, job_id, line, code, message, fields)
           SELECT $1, $2, u.line, u.code, u.message, u.fields::jsonb FROM unnest($3::int[], $4::text[], $5::text[], $6::text[]) AS u(line, code, message, fields)`,
          [job.workspaceId, id, errors.map((e) => e.line), errors.map((e) => e.code), errors.map((e) => e.message), errors.map((e) => JSON.stringify(e.fields))],
        );
      }
      if (rows.length > 0) await em.query(`DELETE FROM import_rows WHERE job_id = $1 AND line = ANY($2::int[])`, [id, rows.map((row) => row.line)]);
      const [{ left }] = (await em.query(`SELECT EXISTS (SELECT 1 FROM import_rows WHERE job_id = $1) AS left`, [id])) as Array<{ left: boolean }>;
      // Nothing to claim, but another runner holds the last lines: it completes the job.
      if (rows.length === 0 && left) return { job, done: true };
      const progressed = await updateJob(
        ctx,
        em,
        id,
        `status = ${whileOpen(left ? ImportJobStatus.RUNNING : ImportJobStatus.COMPLETED)}, started_at = COALESCE(started_at, now()),
         finished_at = ${left ? 'NULL' : 'COALESCE(finished_at, now())'}, processed_rows = processed_rows + $2,
         created_count = created_count + $3, updated_count = updated_count + $4, unchanged_count = unchanged_count + $5, failed_count = failed_count + $6`,
        [rows.length, counts.CREATED, counts.UPDATED, counts.UNCHANGED, counts.FAILED],
      );
      publishProgress(ctx, progressed);
      return { job: progressed, done: !left };
    });
  },

  /** Marks an open job FAILED with `reason` (why the whole job stopped); an ended one stays as it is. */
  async fail(ctx: RequestContext, id: string, reason: string): Promise<void> {
    await ctx.db.write((em) => endJob(ctx, em, id, ImportJobStatus.FAILED, reason));
  },
};
