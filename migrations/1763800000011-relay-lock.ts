import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The youngest ledger rows the owner may ever see or delete, whatever the purge is asked for. */
const FLOOR = `processed_at < now() - interval '1 day'`;

/**
 * The worker's side of the event pipeline: a retention for the handlers' ledger, and the time
 * each claim was made. (The relay lock itself needs no schema: it is a session advisory lock.)
 *
 * processed_at now records the moment of the claim (clock_timestamp()) instead of the start of
 * the handler's transaction, so commit-to-handler latency can be read from it.
 *
 * crm_purge_processed_events deletes ledger rows older than `older_than` in every workspace, at
 * most `max_rows` per call. Row-level security is FORCEd on processed_events, so like the
 * refresh-token purge it is a SECURITY DEFINER function owned by the owner, and two owner-only
 * policies widen the owner's view to rows older than a day and nothing younger. The dispatcher
 * refuses events older than the retention (workers/record-events.ts), so a purged claim cannot
 * let a handler run twice.
 */
export class ProcessedEventsRetention1763800000011 implements MigrationInterface {
  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      ALTER TABLE processed_events ALTER COLUMN processed_at SET DEFAULT clock_timestamp();
      CREATE INDEX processed_events_processed_at_idx ON processed_events (processed_at);

      CREATE POLICY retention_read ON processed_events FOR SELECT TO CURRENT_USER USING (${FLOOR});
      CREATE POLICY retention_delete ON processed_events FOR DELETE TO CURRENT_USER USING (${FLOOR});

      CREATE FUNCTION crm_purge_processed_events(older_than interval, max_rows integer) RETURNS integer
        LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
        AS $$
        DECLARE
          purged integer;
        BEGIN
          IF older_than < interval '1 day' THEN
            RAISE EXCEPTION 'processed_events are kept at least a day (asked: %)', older_than;
          END IF;
          DELETE FROM processed_events
            WHERE ctid IN (SELECT ctid FROM processed_events WHERE processed_at < now() - older_than LIMIT max_rows);
          GET DIAGNOSTICS purged = ROW_COUNT;
          RETURN purged;
        END $$;
      REVOKE ALL ON FUNCTION crm_purge_processed_events(interval, integer) FROM PUBLIC;`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`
      DROP FUNCTION crm_purge_processed_events(interval, integer);
      DROP POLICY retention_delete ON processed_events;
      DROP POLICY retention_read ON processed_events;
      DROP INDEX processed_events_processed_at_idx;
      ALTER TABLE processed_events ALTER COLUMN processed_at SET DEFAULT now();`);
  }
}
