import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Notifications for one member, written by workers (task reminders so far). `dedupe_key` names
 * the occasion (e.g. the task, its due time and the reminder kind): a reminder job that runs
 * twice inserts with ON CONFLICT DO NOTHING, so the member is told once.
 */
export class Notifications1763800000006 implements MigrationInterface {
  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE notifications (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
        user_id uuid NOT NULL,
        kind varchar(32) NOT NULL,
        subject text NOT NULL,
        record_type varchar(32),
        record_id uuid,
        dedupe_key varchar(200) NOT NULL,
        read_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (workspace_id, dedupe_key),
        FOREIGN KEY (workspace_id, user_id) REFERENCES memberships (workspace_id, user_id) ON DELETE CASCADE
      );
      CREATE INDEX notifications_user_idx ON notifications (workspace_id, user_id, created_at DESC, id DESC);
      CREATE INDEX notifications_unread_idx ON notifications (workspace_id, user_id, created_at DESC, id DESC) WHERE read_at IS NULL;

      ALTER TABLE notifications ENABLE ROW LEVEL SECURITY;
      ALTER TABLE notifications FORCE ROW LEVEL SECURITY;
      CREATE POLICY workspace_isolation ON notifications
        USING (workspace_id = crm_current_workspace())
        WITH CHECK (workspace_id = crm_current_workspace());`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE notifications;`);
  }
}
