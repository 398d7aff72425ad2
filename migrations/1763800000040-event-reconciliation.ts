import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What lets the worker find work that Redis forgot, and wake the relay without polling.
 *
 * - processed_events.error: a handler that failed its last attempt is written to the ledger with
 *   the error (its effects rolled back), so the event counts as settled: given up, visibly, rather
 *   than retried for ever. A row without error means the handler's effect happened.
 * - event_relay_positions.settled_seq: every event up to it has a ledger row for each handler
 *   subscribed to its type. The relay's last_seq says what was queued; between the two lie the
 *   events a reconciler must check (their jobs may have been lost with Redis).
 * - crm_reconcile_events walks that window in seq order, moves settled_seq over the settled prefix
 *   and returns the events it scanned with whether each is settled. Which handlers an event type
 *   has is the code's knowledge, passed in as jsonb ([{ "name": …, "types": [...] | null }]).
 * - crm_stalled_automation_runs also returns runs left RUNNING (their attempt died with a worker
 *   or a database outage), which resume where they stopped.
 * - crm_stranded_webhook_deliveries: open deliveries of enabled webhooks whose attempt was due
 *   longer ago than a lease: their job was lost (Redis) or never queued (a crash after commit).
 * - A statement-level trigger on record_events notifies channel crm_record_events; PostgreSQL
 *   delivers it at commit (once per transaction), which wakes the relay at once.
 *
 * Row-level security is FORCEd on the tables read, so the owner-run functions get owner-only
 * policies as narrow as their job: ledger rows only while crm.reconciling is set (by the function,
 * for its own transaction), deliveries only while open, webhooks only while enabled.
 */
export class EventReconciliation1763800000040 implements MigrationInterface {
  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      ALTER TABLE processed_events ADD COLUMN error text;
      ALTER TABLE event_relay_positions ADD COLUMN settled_seq bigint NOT NULL DEFAULT 0;
      -- What was relayed before this migration is taken as settled: the ledger cannot tell older gaps apart.
      UPDATE event_relay_positions SET settled_seq = last_seq;

      CREATE POLICY reconcile_read ON processed_events FOR SELECT TO CURRENT_USER
        USING (current_setting('crm.reconciling', true) = 'on');

      CREATE FUNCTION crm_reconcile_events(p_relay text, p_handlers jsonb, p_after bigint, p_settle_after interval, p_keep interval, p_max integer)
        RETURNS TABLE (id uuid, workspace_id uuid, type varchar, record_type varchar, record_id uuid,
                       actor_user_id uuid, seq bigint, occurred_at timestamptz, settled boolean)
        LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
        AS $$
        DECLARE
          watermark bigint;
          queued bigint;
          start_seq bigint;
          moving boolean;
          e record;
        BEGIN
          SELECT p.settled_seq, p.last_seq INTO watermark, queued FROM event_relay_positions p WHERE p.relay = p_relay FOR UPDATE;
          IF NOT FOUND THEN RETURN; END IF;
          start_seq := GREATEST(watermark, COALESCE(p_after, 0));
          -- The watermark moves only when this call starts from it.
          moving := start_seq = watermark;
          PERFORM set_config('crm.relay_after', start_seq::text, true);
          PERFORM set_config('crm.reconciling', 'on', true);
          FOR e IN
            SELECT r.id, r.workspace_id, r.type, r.record_type, r.record_id, r.actor_user_id, r.seq, r.occurred_at
            FROM record_events r WHERE r.seq > start_seq AND r.seq <= queued ORDER BY r.seq LIMIT p_max
          LOOP
            -- Too young to judge (its job may be running): stop here, the next call goes on.
            EXIT WHEN e.occurred_at > now() - p_settle_after;
            id := e.id; workspace_id := e.workspace_id; type := e.type; record_type := e.record_type;
            record_id := e.record_id; actor_user_id := e.actor_user_id; seq := e.seq; occurred_at := e.occurred_at;
            -- Older than the ledger keeps: the dispatcher refuses it, so it is settled either way.
            settled := e.occurred_at < now() - p_keep OR NOT EXISTS (
              SELECT 1 FROM jsonb_to_recordset(p_handlers) AS h(name text, types text[])
              WHERE (h.types IS NULL OR e.type = ANY (h.types))
                AND NOT EXISTS (SELECT 1 FROM processed_events l WHERE l.handler = h.name AND l.event_id = e.id));
            IF NOT settled THEN moving := false; END IF;
            IF moving THEN watermark := e.seq; END IF;
            RETURN NEXT;
          END LOOP;
          UPDATE event_relay_positions SET settled_seq = watermark WHERE relay = p_relay;
        END $$;
      REVOKE ALL ON FUNCTION crm_reconcile_events(text, jsonb, bigint, interval, interval, integer) FROM PUBLIC;

      CREATE POLICY stranded_read ON webhook_deliveries FOR SELECT TO CURRENT_USER USING (status IN ('PENDING', 'FAILED'));
      CREATE POLICY stranded_read ON webhooks FOR SELECT TO CURRENT_USER USING (enabled);
      CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (next_attempt_at) WHERE status IN ('PENDING', 'FAILED');

      CREATE FUNCTION crm_stranded_webhook_deliveries(older_than interval, max_rows integer)
        RETURNS TABLE (workspace_id uuid, delivery_id uuid, due_at timestamptz)
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
        AS $$
          SELECT d.workspace_id, d.id, d.next_attempt_at FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id
          WHERE d.status IN ('PENDING', 'FAILED') AND w.enabled AND d.next_attempt_at < now() - older_than
          ORDER BY d.next_attempt_at LIMIT max_rows
        $$;
      REVOKE ALL ON FUNCTION crm_stranded_webhook_deliveries(interval, integer) FROM PUBLIC;

      -- Runs left RUNNING count too: an attempt that died with the worker or the database resumes
      -- (actions that succeeded are kept, not repeated); while its job runs, nobody adds another.
      CREATE POLICY stalled_running_read ON automation_runs FOR SELECT TO CURRENT_USER USING (status = 'RUNNING');
      CREATE INDEX automation_runs_running_idx ON automation_runs (updated_at) WHERE status = 'RUNNING';
      CREATE OR REPLACE FUNCTION crm_stalled_automation_runs(older_than interval) RETURNS TABLE (workspace_id uuid, run_id uuid, retries int)
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
        AS $$ SELECT workspace_id, id, retries FROM automation_runs WHERE status IN ('QUEUED', 'RUNNING') AND updated_at < now() - older_than LIMIT 1000 $$;
      REVOKE ALL ON FUNCTION crm_stalled_automation_runs(interval) FROM PUBLIC;

      CREATE FUNCTION crm_notify_record_events() RETURNS trigger
        LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_notify('crm_record_events', ''); RETURN NULL; END $$;
      CREATE TRIGGER record_events_notify AFTER INSERT ON record_events
        FOR EACH STATEMENT EXECUTE FUNCTION crm_notify_record_events();`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`
      DROP TRIGGER record_events_notify ON record_events;
      DROP FUNCTION crm_notify_record_events();
      CREATE OR REPLACE FUNCTION crm_stalled_automation_runs(older_than interval) RETURNS TABLE (workspace_id uuid, run_id uuid, retries int)
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
        AS $$ SELECT workspace_id, id, retries FROM automation_runs WHERE status = 'QUEUED' AND updated_at < now() - older_than LIMIT 1000 $$;
      DROP INDEX automation_runs_running_idx;
      DROP POLICY stalled_running_read ON automation_runs;
      DROP FUNCTION crm_stranded_webhook_deliveries(interval, integer);
      DROP INDEX webhook_deliveries_due_idx;
      DROP POLICY stranded_read ON webhooks;
      DROP POLICY stranded_read ON webhook_deliveries;
      DROP FUNCTION crm_reconcile_events(text, jsonb, bigint, interval, interval, integer);
      DROP POLICY reconcile_read ON processed_events;
      ALTER TABLE event_relay_positions DROP COLUMN settled_seq;
      ALTER TABLE processed_events DROP COLUMN error;`);
  }
}