import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Events the retention purge may ever see or delete: numbered, at or below the position of every
 * relay (so nothing still owed to a consumer of the outbox goes), and older than a day whatever
 * the purge is asked for. Without a relay position nothing qualifies.
 */
const PURGEABLE = `seq IS NOT NULL AND occurred_at < now() - interval '1 day'
  AND seq <= (SELECT COALESCE(min(p.last_seq), 0) FROM event_relay_positions p)`;

/**
 * The change feed over record_events (`changes`), and its retention.
 *
 * The feed reads one workspace's numbered events in `seq` order: record_events_feed_idx.
 *
 * crm_purge_record_events deletes events older than `older_than` in every workspace, at most
 * `max_rows` per call, and remembers per workspace the highest `seq` it deleted in
 * record_event_retention: a feed cursor below that mark may have missed a deleted event, so the
 * feed refuses it (the consumer must resync) instead of silently skipping. The purge and its mark
 * commit together. record_events is append-only for the runtime roles and FORCEs row-level
 * security, so like the other purges this is a SECURITY DEFINER function owned by the owner, with
 * owner-only policies that widen its view to purgeable events alone. Setup grants EXECUTE to the
 * worker role only.
 */
export class ChangeFeed1763800000012 implements MigrationInterface {
  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE INDEX record_events_feed_idx ON record_events (workspace_id, seq) WHERE seq IS NOT NULL;
      CREATE INDEX record_events_retention_idx ON record_events (occurred_at) WHERE seq IS NOT NULL;

      CREATE TABLE record_event_retention (
        workspace_id uuid PRIMARY KEY REFERENCES workspaces (id) ON DELETE CASCADE,
        purged_through_seq bigint NOT NULL DEFAULT 0,
        purged_at timestamptz NOT NULL DEFAULT now()
      );
      ALTER TABLE record_event_retention ENABLE ROW LEVEL SECURITY;
      ALTER TABLE record_event_retention FORCE ROW LEVEL SECURITY;
      CREATE POLICY workspace_isolation ON record_event_retention
        USING (workspace_id = crm_current_workspace())
        WITH CHECK (workspace_id = crm_current_workspace());
      -- The purge (as the owner) moves the marks of every workspace; they hold numbers only.
      CREATE POLICY retention_marks ON record_event_retention TO CURRENT_USER USING (true) WITH CHECK (true);

      CREATE POLICY retention_read ON record_events FOR SELECT TO CURRENT_USER USING (${PURGEABLE});
      CREATE POLICY retention_delete ON record_events FOR DELETE TO CURRENT_USER USING (${PURGEABLE});

      -- Deletes up to max_rows purgeable events older than older_than, oldest numbers first, and
      -- raises each workspace's mark to the highest number deleted; returns how many it deleted.
      CREATE FUNCTION crm_purge_record_events(older_than interval, max_rows integer) RETURNS integer
        LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
        AS $$
        DECLARE
          purged integer;
        BEGIN
          IF older_than < interval '1 day' THEN
            RAISE EXCEPTION 'record_events are kept at least a day (asked: %)', older_than;
          END IF;
          WITH gone AS (
            DELETE FROM record_events
              WHERE id IN (SELECT e.id FROM record_events e
                           WHERE e.seq IS NOT NULL AND e.occurred_at < now() - older_than
                           ORDER BY e.seq LIMIT max_rows)
              RETURNING workspace_id, seq
          ), marks AS (
            INSERT INTO record_event_retention AS r (workspace_id, purged_through_seq, purged_at)
              SELECT g.workspace_id, max(g.seq), now() FROM gone g GROUP BY g.workspace_id
              ON CONFLICT (workspace_id) DO UPDATE
                SET purged_through_seq = GREATEST(r.purged_through_seq, EXCLUDED.purged_through_seq), purged_at = now()
          )
          SELECT count(*) INTO purged FROM gone;
          RETURN purged;
        END $$;
      REVOKE ALL ON FUNCTION crm_purge_record_events(interval, integer) FROM PUBLIC;`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`
      DROP FUNCTION crm_purge_record_events(interval, integer);
      DROP POLICY retention_delete ON record_events;
      DROP POLICY retention_read ON record_events;
      DROP TABLE record_event_retention;
      DROP INDEX record_events_retention_idx;
      DROP INDEX record_events_feed_idx;`);
  }
}
