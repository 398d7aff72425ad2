import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * crm_enter sets a transaction's tenant scope and answers the caller's live role in that
 * workspace, in one round trip: permissions are checked against the database on every request,
 * so a removed or demoted member loses access at once, not when their access token expires.
 */
export class EnterScope1763800000003 implements MigrationInterface {
  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE FUNCTION crm_enter(p_workspace text, p_user text, p_lookup_email text) RETURNS text
      LANGUAGE plpgsql VOLATILE SET search_path = public, pg_temp AS $$
      BEGIN
        PERFORM set_config('app.workspace_id', p_workspace, true),
                set_config('app.user_id', p_user, true),
                set_config('app.lookup_email', p_lookup_email, true);
        IF p_workspace = '' OR p_user = '' THEN
          RETURN NULL;
        END IF;
        -- Runs as the caller, so row-level security (with the scope just set) applies.
        RETURN (SELECT m.role FROM memberships m
                WHERE m.workspace_id = p_workspace::uuid AND m.user_id = p_user::uuid AND m.deleted_at IS NULL);
      END $$;`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP FUNCTION crm_enter(text, text, text)`);
  }
}
