import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Follow-ups: tasks the CRM creates by itself for a stale deal, a contact's birthday and an
 * account's contract renewal.
 *
 * A generated task carries its origin and a key. Two unique indexes hold the rules in the
 * database, so two sweeps running at once cannot both win:
 * - at most one open, live follow-up per (origin, key): a stale deal (key = deal id) gets a new
 *   one only after the previous one is completed or deleted;
 * - birthdays and renewals once per occasion (key = record and year or date), whatever became
 *   of the task since.
 *
 * The sweep visits every workspace, but row-level security confines the application role to
 * one at a time; crm_workspace_ids (SECURITY DEFINER, owned by the owner role) lists the ids of
 * all workspaces and nothing else. An owner-only SELECT policy lets it see them (FORCE binds
 * the owner too).
 */
export class FollowUps1763800000009 implements MigrationInterface {
  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      ALTER TABLE stages ADD COLUMN follow_up_after_days integer CHECK (follow_up_after_days BETWEEN 1 AND 365);

      ALTER TABLE contacts ADD COLUMN birthday date;
      CREATE INDEX contacts_birthday_idx ON contacts (workspace_id, birthday, id);
      CREATE INDEX contacts_birthday_day_idx ON contacts (workspace_id, (extract(month FROM birthday)), (extract(day FROM birthday)))
        WHERE birthday IS NOT NULL AND deleted_at IS NULL;

      ALTER TABLE accounts ADD COLUMN contract_renewal_date date;
      CREATE INDEX accounts_contract_renewal_idx ON accounts (workspace_id, contract_renewal_date, id);

      ALTER TABLE workspaces
        ADD COLUMN time_zone varchar(64) NOT NULL DEFAULT 'UTC',
        ADD COLUMN birthday_task_days_before integer NOT NULL DEFAULT 0 CHECK (birthday_task_days_before BETWEEN 0 AND 365),
        ADD COLUMN renewal_task_days_before integer NOT NULL DEFAULT 30 CHECK (renewal_task_days_before BETWEEN 0 AND 365);

      ALTER TABLE activities
        ADD COLUMN follow_up_origin varchar(20) CHECK (follow_up_origin IN ('STALE_DEAL', 'BIRTHDAY', 'CONTRACT_RENEWAL')),
        ADD COLUMN follow_up_key varchar(200),
        ADD CONSTRAINT activities_follow_up_shape CHECK (
          (follow_up_origin IS NULL) = (follow_up_key IS NULL) AND (follow_up_origin IS NULL OR type = 'TASK'));
      CREATE UNIQUE INDEX activities_follow_up_open_key ON activities (workspace_id, follow_up_origin, follow_up_key)
        WHERE follow_up_origin IS NOT NULL AND completed_at IS NULL AND deleted_at IS NULL;
      CREATE UNIQUE INDEX activities_follow_up_occasion_key ON activities (workspace_id, follow_up_origin, follow_up_key)
        WHERE follow_up_origin IN ('BIRTHDAY', 'CONTRACT_RENEWAL');
      CREATE INDEX activities_follow_up_idx ON activities (workspace_id, follow_up_origin, created_at) WHERE follow_up_origin IS NOT NULL;

      CREATE POLICY sweep_list ON workspaces FOR SELECT TO CURRENT_USER USING (true);
      -- The id of every workspace, oldest first; no other column leaves the function.
      CREATE FUNCTION crm_workspace_ids() RETURNS SETOF uuid
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
        AS $$ SELECT id FROM workspaces ORDER BY created_at, id $$;
      REVOKE ALL ON FUNCTION crm_workspace_ids() FROM PUBLIC;`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`
      DROP FUNCTION crm_workspace_ids();
      DROP POLICY sweep_list ON workspaces;
      DROP INDEX activities_follow_up_idx;
      DROP INDEX activities_follow_up_occasion_key;
      DROP INDEX activities_follow_up_open_key;
      ALTER TABLE activities DROP CONSTRAINT activities_follow_up_shape, DROP COLUMN follow_up_key, DROP COLUMN follow_up_origin;
      ALTER TABLE workspaces DROP COLUMN renewal_task_days_before, DROP COLUMN birthday_task_days_before, DROP COLUMN time_zone;
      ALTER TABLE accounts DROP COLUMN contract_renewal_date;
      ALTER TABLE contacts DROP COLUMN birthday;
      ALTER TABLE stages DROP COLUMN follow_up_after_days;`);
  }
}