import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The same lock as in the record-events migration: one sequencer at a time. */
const SEQUENCER_LOCK = 7_638_000_004;

/** The numbering step shared by both versions; `horizon` is the first transaction id not yet final. */
const numberBelowHorizon = `
          PERFORM pg_advisory_xact_lock(${SEQUENCER_LOCK});
          SELECT CASE WHEN is_called THEN last_value ELSE last_value - 1 END INTO base FROM record_event_seq;
          PERFORM set_config('crm.sequenced_above', base::text, true);
          UPDATE record_events e SET seq = base + ready.rn
            FROM (SELECT r.id, row_number() OVER (ORDER BY r.tx_id, r.occurred_at, r.id) AS rn
                  FROM (SELECT u.id, u.tx_id, u.occurred_at FROM record_events u
                        WHERE u.seq IS NULL AND u.tx_id < horizon
                        ORDER BY u.tx_id, u.occurred_at, u.id
                        LIMIT max_events) r) ready
            WHERE e.id = ready.id;
          GET DIAGNOSTICS numbered = ROW_COUNT;
          IF numbered > 0 THEN
            PERFORM setval('record_event_seq', base + numbered);
          END IF;
          RETURN numbered;`;

function sequencer(horizon: string): string {
  return `
      CREATE OR REPLACE FUNCTION crm_sequence_events(max_events integer) RETURNS integer
        LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
        AS $$
        DECLARE
          numbered integer;
          base bigint;
          snap pg_snapshot;
          horizon xid8;
        BEGIN
          ${horizon}
          ${numberBelowHorizon}
        END $$;
      REVOKE ALL ON FUNCTION crm_sequence_events(integer) FROM PUBLIC;`;
}

/**
 * The sequencer's horizon was the oldest transaction running anywhere on the PostgreSQL server
 * (pg_snapshot_xmin): a long transaction in another database held back the numbering of this
 * one's events, so the change feed and the relay stalled for reasons outside this CRM.
 *
 * Now the horizon skips transactions that pg_stat_activity shows running in another database:
 * only this database's transactions can write its events. An id that is in progress in the
 * snapshot and is not positively another database's (it ended since, or its row is hidden
 * because the owner role lacks pg_read_all_stats) still holds the horizon back, so the rule
 * stays exact: every transaction below the horizon that could have written events here has
 * ended, and the UPDATE's later snapshot sees all it committed. Without pg_read_all_stats
 * (granted by `npm run setup` when it has an admin connection) it behaves as before.
 */
export class SequencerDatabaseHorizon1763800000024 implements MigrationInterface {
  async up(db: QueryRunner): Promise<void> {
    await db.query(
      sequencer(`
          snap := pg_current_snapshot();
          SELECT min(x) INTO horizon FROM pg_snapshot_xip(snap) x
           WHERE NOT EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.backend_xid = xid(x) AND a.datname <> current_database());
          horizon := least(coalesce(horizon, pg_snapshot_xmax(snap)), pg_current_xact_id_if_assigned());`),
    );
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(sequencer(`horizon := pg_snapshot_xmin(pg_current_snapshot());`));
  }
}
