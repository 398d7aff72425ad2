import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The one advisory lock the sequencer takes; any constant works as long as nothing else uses it. */
const SEQUENCER_LOCK = 7_638_000_004;

/**
 * The record events of the transactional outbox: every create, update, delete and restore of a
 * record writes one row here in the same transaction as the change, so an event exists if and
 * only if its change committed.
 *
 * `seq` orders events for a change feed. It cannot be taken at insert time: transactions commit
 * out of the order they start, so a consumer that had read up to number N could later see a
 * smaller number commit. crm_sequence_events numbers events only once every transaction that
 * could still add an earlier one has finished (see below).
 */
export class RecordEvents1763800000004 implements MigrationInterface {
  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE record_events (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
        type varchar(64) NOT NULL,
        record_type varchar(32) NOT NULL,
        record_id uuid NOT NULL,
        actor_user_id uuid,
        before jsonb,
        after jsonb,
        changed text[] NOT NULL DEFAULT '{}',
        occurred_at timestamptz NOT NULL DEFAULT now(),
        tx_id xid8 NOT NULL DEFAULT pg_current_xact_id(),
        seq bigint
      );
      CREATE INDEX record_events_record_idx ON record_events (workspace_id, record_id, occurred_at, id);
      CREATE INDEX record_events_type_idx ON record_events (workspace_id, type, occurred_at, id);
      CREATE INDEX record_events_occurred_idx ON record_events (workspace_id, occurred_at, id);
      CREATE INDEX record_events_unsequenced_idx ON record_events (tx_id) WHERE seq IS NULL;
      CREATE UNIQUE INDEX record_events_seq_key ON record_events (seq) WHERE seq IS NOT NULL;
      CREATE SEQUENCE record_event_seq AS bigint;

      ALTER TABLE record_events ENABLE ROW LEVEL SECURITY;
      ALTER TABLE record_events FORCE ROW LEVEL SECURITY;
      CREATE POLICY workspace_isolation ON record_events
        USING (workspace_id = crm_current_workspace())
        WITH CHECK (workspace_id = crm_current_workspace());

      -- The sequencer numbers events of every workspace, but FORCE makes row-level security bind
      -- the owner too (and the function runs as the owner). These two owner-only policies widen
      -- its view to unnumbered events alone, and only to give them a number: the history stays
      -- out of reach whatever the function is asked to do. An updated row must still pass the
      -- SELECT policy, so the owner also sees the rows numbered by the current run: those above
      -- crm.sequenced_above, which the function sets for its own transaction.
      CREATE POLICY sequencer_read ON record_events FOR SELECT TO CURRENT_USER
        USING (seq IS NULL OR seq > NULLIF(current_setting('crm.sequenced_above', true), '')::bigint);
      CREATE POLICY sequencer_number ON record_events FOR UPDATE TO CURRENT_USER
        USING (seq IS NULL) WITH CHECK (seq IS NOT NULL);

      -- Numbers up to max_events finished events in (tx_id, occurred_at, id) order; returns how many.
      --
      -- pg_snapshot_xmin(pg_current_snapshot()) is the oldest transaction still running: every
      -- transaction id below it has committed or rolled back, and every transaction that writes
      -- later gets a larger id. So events below the horizon are final, and no event that appears
      -- afterwards can sort before them: numbers only ever grow, each event gets exactly one, and
      -- a consumer that has read up to N never later sees an event numbered N or less. The price:
      -- one long-running write transaction holds back the numbering of everything newer than it.
      -- The transaction-level advisory lock lets one sequencer run at a time; the next one waits
      -- until this one has committed, so it sees its numbers.
      CREATE FUNCTION crm_sequence_events(max_events integer) RETURNS integer
        LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
        AS $$
        DECLARE
          numbered integer;
          base bigint;
        BEGIN
          PERFORM pg_advisory_xact_lock(${SEQUENCER_LOCK});
          -- Under the lock nobody else draws from the sequence, so this run takes the block
          -- after its last value (reading a sequence is not transactional: this is the latest).
          SELECT CASE WHEN is_called THEN last_value ELSE last_value - 1 END INTO base FROM record_event_seq;
          PERFORM set_config('crm.sequenced_above', base::text, true);
          UPDATE record_events e SET seq = base + ready.rn
            FROM (SELECT r.id, row_number() OVER (ORDER BY r.tx_id, r.occurred_at, r.id) AS rn
                  FROM (SELECT u.id, u.tx_id, u.occurred_at FROM record_events u
                        WHERE u.seq IS NULL AND u.tx_id < pg_snapshot_xmin(pg_current_snapshot())
                        ORDER BY u.tx_id, u.occurred_at, u.id
                        LIMIT max_events) r) ready
            WHERE e.id = ready.id;
          GET DIAGNOSTICS numbered = ROW_COUNT;
          IF numbered > 0 THEN
            PERFORM setval('record_event_seq', base + numbered);
          END IF;
          RETURN numbered;
        END $$;
      REVOKE ALL ON FUNCTION crm_sequence_events(integer) FROM PUBLIC;`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`
      DROP FUNCTION crm_sequence_events(integer);
      DROP SEQUENCE record_event_seq;
      DROP TABLE record_events;`);
  }
}
