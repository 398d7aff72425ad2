import type { MigrationInterface, QueryRunner } from 'typeorm';

const OPEN = `status IN ('QUEUED', 'RUNNING')`;
const ENDED = `status IN ('COMPLETED', 'FAILED', 'CANCELLED')`;

/**
 * Bulk imports (`POST /imports/{object}`): a job row, its staged lines and its per-line errors.
 *
 * The upload writes the job and every staged line in one transaction, so a job exists only with
 * all of its lines. The worker takes lines in `line` order and, in the transaction of each chunk's
 * upserts, deletes them, writes their errors and advances the job's counters: a worker that dies
 * resumes with exactly the lines not yet committed.
 *
 * Cross-workspace maintenance goes through SECURITY DEFINER functions (worker only): open jobs
 * untouched for a while (their BullMQ job was lost) and staged lines left by ended jobs.
 */
export class Imports1763800000018 implements MigrationInterface {
  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE import_jobs (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
        object varchar(20) NOT NULL CHECK (object IN ('account', 'contact', 'deal', 'ticket', 'product', 'order')),
        format varchar(10) NOT NULL CHECK (format IN ('csv', 'ndjson')),
        source varchar(100),
        status varchar(20) NOT NULL DEFAULT 'QUEUED' CHECK (status IN ('QUEUED', 'RUNNING', 'COMPLETED', 'FAILED', 'CANCELLED')),
        total_rows integer NOT NULL DEFAULT 0,
        processed_rows integer NOT NULL DEFAULT 0,
        created_count integer NOT NULL DEFAULT 0,
        updated_count integer NOT NULL DEFAULT 0,
        unchanged_count integer NOT NULL DEFAULT 0,
        failed_count integer NOT NULL DEFAULT 0,
        failure_reason text,
        created_by uuid REFERENCES users (id) ON DELETE SET NULL,
        created_by_api_key uuid,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        started_at timestamptz,
        finished_at timestamptz,
        UNIQUE (workspace_id, id),
        FOREIGN KEY (workspace_id, created_by_api_key) REFERENCES api_keys (workspace_id, id)
      );
      CREATE INDEX import_jobs_workspace_created_idx ON import_jobs (workspace_id, created_at, id);
      CREATE INDEX import_jobs_open_idx ON import_jobs (updated_at) WHERE ${OPEN};
      CREATE INDEX import_jobs_created_by_idx ON import_jobs (created_by);
      CREATE INDEX import_jobs_api_key_idx ON import_jobs (created_by_api_key) WHERE created_by_api_key IS NOT NULL;

      -- A line as uploaded: its upsert input, or why it could not be read (bad JSON, column count).
      CREATE TABLE import_rows (
        job_id uuid NOT NULL,
        line integer NOT NULL,
        workspace_id uuid NOT NULL,
        payload jsonb,
        problem text,
        PRIMARY KEY (job_id, line),
        FOREIGN KEY (workspace_id, job_id) REFERENCES import_jobs (workspace_id, id) ON DELETE CASCADE
      );

      CREATE TABLE import_errors (
        id uuid NOT NULL DEFAULT gen_random_uuid(),
        job_id uuid NOT NULL,
        line integer NOT NULL,
        workspace_id uuid NOT NULL,
        code varchar(40) NOT NULL,
        message text NOT NULL,
        fields jsonb NOT NULL DEFAULT '[]',
        PRIMARY KEY (job_id, line),
        FOREIGN KEY (workspace_id, job_id) REFERENCES import_jobs (workspace_id, id) ON DELETE CASCADE
      );`);
    for (const table of ['import_jobs', 'import_rows', 'import_errors']) {
      await db.query(`
        ALTER TABLE ${table} ENABLE ROW LEVEL SECURITY;
        ALTER TABLE ${table} FORCE ROW LEVEL SECURITY;
        CREATE POLICY workspace_isolation ON ${table}
          USING (workspace_id = crm_current_workspace())
          WITH CHECK (workspace_id = crm_current_workspace());`);
    }
    await db.query(`
      CREATE POLICY sweep_open_read ON import_jobs FOR SELECT TO CURRENT_USER USING (${OPEN});
      CREATE POLICY sweep_ended_read ON import_jobs FOR SELECT TO CURRENT_USER USING (${ENDED});
      CREATE POLICY purge_ended_delete ON import_rows FOR DELETE TO CURRENT_USER
        USING (EXISTS (SELECT 1 FROM import_jobs j WHERE j.id = job_id AND j.${ENDED}));
      CREATE POLICY purge_ended_read ON import_rows FOR SELECT TO CURRENT_USER
        USING (EXISTS (SELECT 1 FROM import_jobs j WHERE j.id = job_id AND j.${ENDED}));

      -- Open jobs no worker touched for older_than (ids only): the sweep queues them again.
      CREATE FUNCTION crm_stale_import_jobs(older_than interval) RETURNS TABLE (workspace_id uuid, job_id uuid)
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
        AS $$ SELECT workspace_id, id FROM import_jobs WHERE ${OPEN} AND updated_at < now() - older_than LIMIT 1000 $$;
      REVOKE ALL ON FUNCTION crm_stale_import_jobs(interval) FROM PUBLIC;

      -- Deletes at most max_rows staged lines of ended jobs (cancelled or failed ones leave them); returns how many.
      CREATE FUNCTION crm_purge_import_rows(max_rows integer) RETURNS integer
        LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
        AS $$
          WITH purged AS (
            DELETE FROM import_rows
            WHERE ctid IN (SELECT r.ctid FROM import_rows r JOIN import_jobs j ON j.id = r.job_id WHERE j.${ENDED} LIMIT max_rows)
            RETURNING 1
          )
          SELECT count(*)::integer FROM purged
        $$;
      REVOKE ALL ON FUNCTION crm_purge_import_rows(integer) FROM PUBLIC;`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`
      DROP FUNCTION crm_purge_import_rows(integer);
      DROP FUNCTION crm_stale_import_jobs(interval);
      DROP TABLE import_errors;
      DROP TABLE import_rows;
      DROP TABLE import_jobs;`);
  }
}
