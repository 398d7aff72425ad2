import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The relay's side of the outbox: it moves numbered record events of every workspace to the
 * job queue in `seq` order and remembers how far it got, per relay name, in
 * event_relay_positions (a system table: no workspace, and no direct access for the application
 * role, which setup revokes; only the two functions below touch it).
 *
 * Both functions are SECURITY DEFINER, owned by the owner, search_path pinned, EXECUTE revoked
 * from PUBLIC (setup grants it to the application role). Row-level security is FORCEd on
 * record_events, so the owner needs a policy to read across workspaces: relay_read lets it see
 * numbered events above crm.relay_after only, a setting crm_relay_batch sets for its own
 * transaction to the relay's position. The application role keeps its one-workspace view.
 *
 * processed_events is the handlers' idempotency ledger: a handler records (handler, event id)
 * in the transaction of its effect, so a job run twice has its effect once.
 */
export class EventRelay1763800000005 implements MigrationInterface {
  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE event_relay_positions (
        relay text PRIMARY KEY,
        last_seq bigint NOT NULL DEFAULT 0,
        updated_at timestamptz
      );

      CREATE POLICY relay_read ON record_events FOR SELECT TO CURRENT_USER
        USING (seq > NULLIF(current_setting('crm.relay_after', true), '')::bigint);

      -- The next p_max numbered events after the relay's position, in seq order, of every
      -- workspace; ids, tenant and actor only (job payloads carry no record contents).
      CREATE FUNCTION crm_relay_batch(p_relay text, p_max integer)
        RETURNS TABLE (id uuid, workspace_id uuid, type varchar, record_type varchar, record_id uuid,
                       actor_user_id uuid, seq bigint, occurred_at timestamptz)
        LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
        AS $$
        DECLARE
          after_seq bigint;
        BEGIN
          SELECT p.last_seq INTO after_seq FROM event_relay_positions p WHERE p.relay = p_relay;
          after_seq := COALESCE(after_seq, 0);
          PERFORM set_config('crm.relay_after', after_seq::text, true);
          RETURN QUERY
            SELECT e.id, e.workspace_id, e.type, e.record_type, e.record_id, e.actor_user_id, e.seq, e.occurred_at
            FROM record_events e
            WHERE e.seq > after_seq
            ORDER BY e.seq
            LIMIT p_max;
        END $$;
      REVOKE ALL ON FUNCTION crm_relay_batch(text, integer) FROM PUBLIC;

      -- Moves the relay's position to p_seq, never backwards; returns the position afterwards.
      CREATE FUNCTION crm_relay_advance(p_relay text, p_seq bigint) RETURNS bigint
        LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
        AS $$
          INSERT INTO event_relay_positions AS p (relay, last_seq, updated_at) VALUES (p_relay, p_seq, now())
            ON CONFLICT (relay) DO UPDATE SET last_seq = GREATEST(p.last_seq, EXCLUDED.last_seq), updated_at = now();
          SELECT last_seq FROM event_relay_positions WHERE relay = p_relay;
        $$;
      REVOKE ALL ON FUNCTION crm_relay_advance(text, bigint) FROM PUBLIC;

      CREATE TABLE processed_events (
        handler varchar(64) NOT NULL,
        event_id uuid NOT NULL,
        workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
        processed_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (handler, event_id)
      );
      CREATE INDEX processed_events_workspace_idx ON processed_events (workspace_id, processed_at);
      ALTER TABLE processed_events ENABLE ROW LEVEL SECURITY;
      ALTER TABLE processed_events FORCE ROW LEVEL SECURITY;
      CREATE POLICY workspace_isolation ON processed_events
        USING (workspace_id = crm_current_workspace())
        WITH CHECK (workspace_id = crm_current_workspace());`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`
      DROP TABLE processed_events;
      DROP FUNCTION crm_relay_advance(text, bigint);
      DROP FUNCTION crm_relay_batch(text, integer);
      DROP POLICY relay_read ON record_events;
      DROP TABLE event_relay_positions;`);
  }
}
