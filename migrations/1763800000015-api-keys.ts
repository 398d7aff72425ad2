import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * API keys: credentials for systems. A key is stored as the SHA-256 of its token plus a short
 * random lookup prefix (also part of the token), so checking a key is one indexed lookup and a
 * constant-time compare. The token has 256 bits of randomness, so a fast hash is enough: a slow
 * password hash (argon2, ~50 ms) protects guessable secrets and would tax every request.
 *
 * Before the workspace is known, the app role finds a key only through crm_api_key_lookup
 * (SECURITY DEFINER, owner-only policy), like sign-in's email lookup; everything else runs under
 * row-level security. crm_api_key_touch records use at most once a minute per key.
 *
 * record_events gains actor_api_key_id: a change made by a key names the key, not a person.
 */
export class ApiKeys1763800000015 implements MigrationInterface {
  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE api_keys (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
        name varchar(200) NOT NULL,
        lookup_prefix char(16) NOT NULL,
        secret_hash char(64) NOT NULL,
        scopes text[] NOT NULL,
        created_by uuid REFERENCES users (id) ON DELETE SET NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz,
        last_used_at timestamptz,
        revoked_at timestamptz,
        UNIQUE (workspace_id, id)
      );
      CREATE UNIQUE INDEX api_keys_lookup_prefix_key ON api_keys (lookup_prefix);
      CREATE INDEX api_keys_workspace_created_idx ON api_keys (workspace_id, created_at, id);
      CREATE INDEX api_keys_created_by_idx ON api_keys (created_by);

      ALTER TABLE api_keys ENABLE ROW LEVEL SECURITY;
      ALTER TABLE api_keys FORCE ROW LEVEL SECURITY;
      CREATE POLICY workspace_isolation ON api_keys
        USING (workspace_id = crm_current_workspace())
        WITH CHECK (workspace_id = crm_current_workspace());
      -- The owner's functions below find a key by prefix before any workspace is in scope.
      CREATE POLICY owner_lookup ON api_keys FOR SELECT TO CURRENT_USER USING (true);
      CREATE POLICY owner_touch ON api_keys FOR UPDATE TO CURRENT_USER USING (true);

      CREATE FUNCTION crm_api_key_lookup(p_prefix text)
        RETURNS TABLE (id uuid, workspace_id uuid, secret_hash text, scopes text[], expires_at timestamptz, revoked_at timestamptz)
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
        AS $$
          SELECT k.id, k.workspace_id, k.secret_hash::text, k.scopes, k.expires_at, k.revoked_at
          FROM api_keys k WHERE k.lookup_prefix = p_prefix
        $$;

      CREATE FUNCTION crm_api_key_touch(p_id uuid) RETURNS void
        LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
        AS $$
          UPDATE api_keys SET last_used_at = now()
          WHERE id = p_id AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')
        $$;

      ALTER TABLE record_events ADD COLUMN actor_api_key_id uuid;
      ALTER TABLE record_events ADD CONSTRAINT record_events_actor_api_key_fk
        FOREIGN KEY (workspace_id, actor_api_key_id) REFERENCES api_keys (workspace_id, id);
      CREATE INDEX record_events_actor_api_key_idx ON record_events (actor_api_key_id) WHERE actor_api_key_id IS NOT NULL;`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`
      ALTER TABLE record_events DROP COLUMN actor_api_key_id;
      DROP FUNCTION crm_api_key_touch(uuid);
      DROP FUNCTION crm_api_key_lookup(text);
      DROP TABLE api_keys;`);
  }
}
