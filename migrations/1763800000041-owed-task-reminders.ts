import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What lets the reconciler find task reminders whose delayed job Redis lost: crm_owed_task_reminders
 * returns, across workspaces, the reminders of live, open, owned tasks whose time passed more than
 * a lease ago without their notification (TASK_DUE: due within the ledger's keeping window;
 * TASK_DUE_SOON: lead time passed, due time still ahead, and the task last changed before the
 * lead time began, which is when the scheduling handler owes one). Row-level security is FORCEd on both
 * tables, so the owner-run function gets owner-only read policies that open only while
 * crm.reconciling is set (by the function, for its own transaction), as in 1763800000040.
 */
export class OwedTaskReminders1763800000041 implements MigrationInterface {
  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE POLICY reconcile_read ON activities FOR SELECT TO CURRENT_USER
        USING (current_setting('crm.reconciling', true) = 'on');
      CREATE POLICY reconcile_read ON notifications FOR SELECT TO CURRENT_USER
        USING (current_setting('crm.reconciling', true) = 'on');
      CREATE INDEX activities_open_task_due_idx ON activities (due_at)
        WHERE type = 'TASK' AND completed_at IS NULL AND deleted_at IS NULL AND owner_id IS NOT NULL;
      CREATE FUNCTION crm_owed_task_reminders(p_older_than interval, p_lead interval, p_keep interval, p_max integer)
        RETURNS TABLE (workspace_id uuid, task_id uuid, due_at timestamptz, kind varchar)
        LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
        AS $$
        BEGIN
          PERFORM set_config('crm.reconciling', 'on', true);
          RETURN QUERY
            WITH owed AS (
              SELECT a.workspace_id, a.id, a.due_at, 'TASK_DUE'::varchar AS kind FROM activities a
              WHERE a.type = 'TASK' AND a.completed_at IS NULL AND a.deleted_at IS NULL AND a.owner_id IS NOT NULL
                AND a.due_at < now() - p_older_than AND a.due_at > now() - p_keep
              UNION ALL
              SELECT a.workspace_id, a.id, a.due_at, 'TASK_DUE_SOON'::varchar FROM activities a
              WHERE a.type = 'TASK' AND a.completed_at IS NULL AND a.deleted_at IS NULL AND a.owner_id IS NOT NULL
                AND p_lead > interval '0' AND a.due_at > now() AND a.due_at - p_lead < now() - p_older_than
                -- Owed only if the due time was set before the lead time began (as the scheduling handler decides).
                AND a.due_at - p_lead > a.updated_at
            )
            SELECT o.workspace_id, o.id, o.due_at, o.kind FROM owed o
            -- The reminder's dedupe key (modules/notifications/task-reminders.ts): kind, task, due time as JavaScript's toISOString.
            WHERE NOT EXISTS (
              SELECT 1 FROM notifications n WHERE n.workspace_id = o.workspace_id
                AND n.dedupe_key = o.kind || ':' || o.id || ':' || to_char(o.due_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))
            LIMIT p_max;
          PERFORM set_config('crm.reconciling', '', true);
        END $$;
      REVOKE ALL ON FUNCTION crm_owed_task_reminders(interval, interval, interval, integer) FROM PUBLIC;`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`
      DROP FUNCTION crm_owed_task_reminders(interval, interval, interval, integer);
      DROP INDEX activities_open_task_due_idx;
      DROP POLICY reconcile_read ON notifications;
      DROP POLICY reconcile_read ON activities;`);
  }
}
