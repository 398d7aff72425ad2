import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The only rows the owner may ever see or delete: keys past their expiry. */
const EXPIRED = 'expires_at < now()';

/**
 * The `Idempotency-Key` ledger: one row per (workspace, principal, key). A request claims its key
 * (lock_token, locked_until) before it runs; every write transaction of that request sets
 * work_committed in the same transaction as its changes, but only while it still holds the lock
 * (a fence); the response is recorded afterwards and replayed to retries until expires_at.
 *
 * `principal` is text ("user:<uuid>") rather than a foreign key, so callers other than users (API
 * keys) can hold keys too; rows live a day, so nothing dangles for long.
 *
 * Row-level security as everywhere; the hourly purge is a SECURITY DEFINER function owned by the
 * owner, and two owner-only policies let it see and delete expired rows and nothing else.
 */
export class Idempotency1763800000014 implements MigrationInterface {
  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE idempotency_keys (
        workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
        principal varchar(100) NOT NULL,
        key varchar(255) NOT NULL,
        fingerprint char(64) NOT NULL,
        lock_token uuid NOT NULL,
        locked_until timestamptz NOT NULL,
        work_committed boolean NOT NULL DEFAULT false,
        response_status smallint,
        response_content_type varchar(200),
        response_body text,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL,
        PRIMARY KEY (workspace_id, principal, key)
      );
      CREATE INDEX idempotency_keys_expires_idx ON idempotency_keys (expires_at);

      ALTER TABLE idempotency_keys ENABLE ROW LEVEL SECURITY;
      ALTER TABLE idempotency_keys FORCE ROW LEVEL SECURITY;
      CREATE POLICY workspace_isolation ON idempotency_keys
        USING (workspace_id = crm_current_workspace())
        WITH CHECK (workspace_id = crm_current_workspace());

      CREATE POLICY expired_read ON idempotency_keys FOR SELECT TO CURRENT_USER USING (${EXPIRED});
      CREATE POLICY expired_delete ON idempotency_keys FOR DELETE TO CURRENT_USER USING (${EXPIRED});

      -- Deletes at most max_rows expired keys of every workspace; returns how many.
      CREATE FUNCTION crm_purge_idempotency_keys(max_rows integer) RETURNS integer
        LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
        AS $$
          WITH purged AS (
            DELETE FROM idempotency_keys
            WHERE ctid IN (SELECT ctid FROM idempotency_keys WHERE ${EXPIRED} LIMIT max_rows)
            RETURNING 1
          )
          SELECT count(*)::integer FROM purged
        $$;
      REVOKE ALL ON FUNCTION crm_purge_idempotency_keys(integer) FROM PUBLIC;`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`
      DROP FUNCTION crm_purge_idempotency_keys(integer);
      DROP TABLE idempotency_keys;`);
  }
}
