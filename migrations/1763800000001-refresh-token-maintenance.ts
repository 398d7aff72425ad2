import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Rows a token-purge may touch: expired, used (rotated) or revoked. A live token matches none. */
const DEAD_TOKEN = 'expires_at < now() OR used_at IS NOT NULL OR revoked_at IS NOT NULL';

/**
 * Lets the worker purge dead refresh tokens across all workspaces. Row-level security hides
 * other workspaces even from the table owner (FORCE), so the purge is a SECURITY DEFINER
 * function owned by the owner role, and two owner-only policies widen the owner's view to
 * dead tokens alone: a live token stays invisible, whatever the function is asked to do.
 * EXECUTE is revoked from PUBLIC; setup grants it to the application role.
 */
export class RefreshTokenMaintenance1763800000001 implements MigrationInterface {
  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE POLICY maintenance_purge_read ON refresh_tokens FOR SELECT TO CURRENT_USER USING (${DEAD_TOKEN});
      CREATE POLICY maintenance_purge_delete ON refresh_tokens FOR DELETE TO CURRENT_USER USING (${DEAD_TOKEN});

      -- Deletes tokens that have been dead (expired, used or revoked) for longer than older_than;
      -- returns how many were deleted.
      CREATE FUNCTION crm_purge_refresh_tokens(older_than interval) RETURNS integer
        LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
        AS $$
          WITH purged AS (
            DELETE FROM refresh_tokens
            WHERE expires_at < now() - older_than
               OR used_at < now() - older_than
               OR revoked_at < now() - older_than
            RETURNING 1
          )
          SELECT count(*)::integer FROM purged
        $$;
      REVOKE ALL ON FUNCTION crm_purge_refresh_tokens(interval) FROM PUBLIC;`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`
      DROP FUNCTION crm_purge_refresh_tokens(interval);
      DROP POLICY maintenance_purge_delete ON refresh_tokens;
      DROP POLICY maintenance_purge_read ON refresh_tokens;`);
  }
}
