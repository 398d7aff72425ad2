import type { MigrationInterface, QueryRunner } from 'typeorm';

const TAGGED = ['accounts', 'contacts', 'deals', 'tickets'];

/** Automations that list on the sweep's view: enabled, live and driven by time rather than events. */
const TIMED = `enabled AND deleted_at IS NULL AND trigger_type IN ('SCHEDULE', 'DATE_RELATIVE')`;

/**
 * Automations (rules integrators script), their versions and their runs; tags on the taggable
 * records; and on record events the run that caused a write and its automation depth (the loop
 * guard). The worker's sweep works across workspaces, so, like the refresh-token purge, it reads
 * through SECURITY DEFINER functions whose owner-only policies show it ids of timed automations
 * and of queued runs, nothing else.
 */
export class Automations1763800000010 implements MigrationInterface {
  async up(db: QueryRunner): Promise<void> {
    for (const table of TAGGED) {
      await db.query(`
        ALTER TABLE ${table} ADD COLUMN tags text[] NOT NULL DEFAULT '{}';
        CREATE INDEX ${table}_tags_idx ON ${table} USING gin (tags);`);
    }
    await db.query(`
      ALTER TABLE record_events ADD COLUMN caused_by_run_id uuid, ADD COLUMN automation_depth smallint NOT NULL DEFAULT 0;

      CREATE TABLE automations (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
        name varchar(200) NOT NULL,
        description text,
        enabled boolean NOT NULL DEFAULT true,
        version int NOT NULL DEFAULT 1,
        object_type varchar(16) NOT NULL,
        trigger_type varchar(16) NOT NULL,
        definition jsonb NOT NULL,
        created_by uuid,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        deleted_at timestamptz,
        UNIQUE (workspace_id, id),
        FOREIGN KEY (workspace_id, created_by) REFERENCES memberships (workspace_id, user_id) ON DELETE SET NULL (created_by)
      );
      CREATE INDEX automations_list_idx ON automations (workspace_id, created_at, id);
      CREATE INDEX automations_match_idx ON automations (workspace_id, object_type, trigger_type) WHERE enabled AND deleted_at IS NULL;
      CREATE INDEX automations_timed_idx ON automations (trigger_type) WHERE ${TIMED};
      CREATE INDEX automations_created_by_idx ON automations (workspace_id, created_by);

      CREATE TABLE automation_versions (
        workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
        automation_id uuid NOT NULL,
        version int NOT NULL,
        definition jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (workspace_id, automation_id, version),
        FOREIGN KEY (workspace_id, automation_id) REFERENCES automations (workspace_id, id) ON DELETE CASCADE
      );

      CREATE TABLE automation_runs (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
        automation_id uuid NOT NULL,
        version int NOT NULL,
        trigger_key varchar(300) NOT NULL,
        trigger_event_id uuid,
        record_type varchar(16) NOT NULL,
        record_id uuid NOT NULL,
        depth smallint NOT NULL DEFAULT 1,
        status varchar(20) NOT NULL,
        reason text,
        action_results jsonb NOT NULL DEFAULT '[]',
        error_code varchar(64),
        error_message text,
        attempts int NOT NULL DEFAULT 0,
        retries int NOT NULL DEFAULT 0,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        started_at timestamptz,
        finished_at timestamptz,
        UNIQUE (workspace_id, id),
        UNIQUE (workspace_id, automation_id, trigger_key),
        FOREIGN KEY (workspace_id, automation_id, version) REFERENCES automation_versions (workspace_id, automation_id, version) ON DELETE CASCADE
      );
      CREATE INDEX automation_runs_list_idx ON automation_runs (workspace_id, created_at DESC, id DESC);
      CREATE INDEX automation_runs_automation_idx ON automation_runs (workspace_id, automation_id, created_at DESC, id DESC);
      CREATE INDEX automation_runs_status_idx ON automation_runs (workspace_id, status, created_at DESC, id DESC);
      CREATE INDEX automation_runs_queued_idx ON automation_runs (updated_at) WHERE status = 'QUEUED';`);
    for (const table of ['automations', 'automation_versions', 'automation_runs']) {
      await db.query(`
        ALTER TABLE ${table} ENABLE ROW LEVEL SECURITY;
        ALTER TABLE ${table} FORCE ROW LEVEL SECURITY;
        CREATE POLICY workspace_isolation ON ${table}
          USING (workspace_id = crm_current_workspace())
          WITH CHECK (workspace_id = crm_current_workspace());`);
    }
    await db.query(`
      CREATE POLICY sweep_timed_read ON automations FOR SELECT TO CURRENT_USER USING (${TIMED});
      CREATE POLICY sweep_queued_read ON automation_runs FOR SELECT TO CURRENT_USER USING (status = 'QUEUED');

      -- Timed automations of every workspace (ids only): the sweep reads each one in its workspace.
      CREATE FUNCTION crm_timed_automations() RETURNS TABLE (workspace_id uuid, automation_id uuid, trigger_type text)
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
        AS $$ SELECT workspace_id, id, trigger_type FROM automations WHERE ${TIMED} $$;
      REVOKE ALL ON FUNCTION crm_timed_automations() FROM PUBLIC;

      -- Runs queued longer than older_than (their job was lost, e.g. Redis down after commit).
      CREATE FUNCTION crm_stalled_automation_runs(older_than interval) RETURNS TABLE (workspace_id uuid, run_id uuid, retries int)
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
        AS $$ SELECT workspace_id, id, retries FROM automation_runs WHERE status = 'QUEUED' AND updated_at < now() - older_than LIMIT 1000 $$;
      REVOKE ALL ON FUNCTION crm_stalled_automation_runs(interval) FROM PUBLIC;`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`
      DROP FUNCTION crm_stalled_automation_runs(interval);
      DROP FUNCTION crm_timed_automations();
      DROP TABLE automation_runs;
      DROP TABLE automation_versions;
      DROP TABLE automations;
      ALTER TABLE record_events DROP COLUMN caused_by_run_id, DROP COLUMN automation_depth;`);
    for (const table of TAGGED) await db.query(`ALTER TABLE ${table} DROP COLUMN tags;`);
  }
}
