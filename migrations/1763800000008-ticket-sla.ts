import type { MigrationInterface, QueryRunner } from 'typeorm';

const RECORD_COLUMNS = `
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  version integer NOT NULL DEFAULT 1,
  deleted_at timestamptz`;

/** A target is being checked: not met, the ticket live and running (NEW or OPEN; PENDING pauses). */
const RUNNING = `deleted_at IS NULL AND status IN ('NEW', 'OPEN')`;

/**
 * Ticket SLAs: business calendars (time zone, weekly opening hours, holidays), one SLA policy
 * per ticket priority, the due times and escalation markers on tickets, and each member's
 * manager (who is told when a ticket of theirs is about to breach).
 *
 * Per target (first response, resolution) a ticket holds the due time, the warning time (80 %
 * of the business time to it), and when the warning and the breach were handled: the markers
 * make every escalation happen once. crm_sla_due_tickets lets the per-minute sweep find, across
 * all workspaces, the tickets with an escalation owed: SECURITY DEFINER, owned by the owner,
 * whose read policy on tickets opens only while crm.sla_sweep is set in its own transaction.
 */
export class TicketSla1763800000008 implements MigrationInterface {
  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE business_calendars (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
        name varchar(200) NOT NULL,
        time_zone varchar(64) NOT NULL,
        opening_hours jsonb NOT NULL,
        holidays jsonb NOT NULL DEFAULT '[]',
        is_default boolean NOT NULL DEFAULT false,
        ${RECORD_COLUMNS},
        UNIQUE (workspace_id, id)
      );
      CREATE INDEX business_calendars_created_idx ON business_calendars (workspace_id, created_at, id);
      CREATE INDEX business_calendars_name_idx ON business_calendars (workspace_id, name, id);
      CREATE UNIQUE INDEX business_calendars_default_key ON business_calendars (workspace_id) WHERE is_default AND deleted_at IS NULL;

      CREATE TABLE sla_policies (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
        priority varchar(8) NOT NULL CHECK (priority IN ('LOW', 'NORMAL', 'HIGH', 'URGENT')),
        calendar_id uuid,
        first_response_minutes integer NOT NULL CHECK (first_response_minutes > 0),
        resolution_minutes integer NOT NULL CHECK (resolution_minutes > 0),
        ${RECORD_COLUMNS},
        UNIQUE (workspace_id, id),
        FOREIGN KEY (workspace_id, calendar_id) REFERENCES business_calendars (workspace_id, id)
      );
      CREATE UNIQUE INDEX sla_policies_priority_key ON sla_policies (workspace_id, priority) WHERE deleted_at IS NULL;
      CREATE INDEX sla_policies_created_idx ON sla_policies (workspace_id, created_at, id);
      CREATE INDEX sla_policies_calendar_idx ON sla_policies (workspace_id, calendar_id);

      ALTER TABLE business_calendars ENABLE ROW LEVEL SECURITY;
      ALTER TABLE business_calendars FORCE ROW LEVEL SECURITY;
      CREATE POLICY workspace_isolation ON business_calendars
        USING (workspace_id = crm_current_workspace())
        WITH CHECK (workspace_id = crm_current_workspace());
      ALTER TABLE sla_policies ENABLE ROW LEVEL SECURITY;
      ALTER TABLE sla_policies FORCE ROW LEVEL SECURITY;
      CREATE POLICY workspace_isolation ON sla_policies
        USING (workspace_id = crm_current_workspace())
        WITH CHECK (workspace_id = crm_current_workspace());

      ALTER TABLE tickets
        ADD COLUMN first_response_due_at timestamptz,
        ADD COLUMN first_response_warn_at timestamptz,
        ADD COLUMN first_response_warned_at timestamptz,
        ADD COLUMN first_response_breached_at timestamptz,
        ADD COLUMN resolution_due_at timestamptz,
        ADD COLUMN resolution_warn_at timestamptz,
        ADD COLUMN resolution_warned_at timestamptz,
        ADD COLUMN resolution_breached_at timestamptz,
        ADD COLUMN sla_paused_at timestamptz,
        ADD COLUMN sla_paused_minutes double precision NOT NULL DEFAULT 0;
      CREATE INDEX tickets_first_response_due_idx ON tickets (workspace_id, first_response_due_at);
      CREATE INDEX tickets_resolution_due_idx ON tickets (workspace_id, resolution_due_at);
      CREATE INDEX tickets_sla_first_response_idx ON tickets (first_response_warn_at)
        WHERE first_response_at IS NULL AND first_response_breached_at IS NULL AND ${RUNNING};
      CREATE INDEX tickets_sla_resolution_idx ON tickets (resolution_warn_at)
        WHERE resolved_at IS NULL AND resolution_breached_at IS NULL AND ${RUNNING};

      ALTER TABLE memberships
        ADD COLUMN manager_id uuid CHECK (manager_id <> user_id),
        ADD FOREIGN KEY (workspace_id, manager_id) REFERENCES memberships (workspace_id, user_id) ON DELETE SET NULL (manager_id);
      CREATE INDEX memberships_manager_idx ON memberships (workspace_id, manager_id);

      CREATE POLICY sla_sweep_read ON tickets FOR SELECT TO CURRENT_USER
        USING (current_setting('crm.sla_sweep', true) = 'on');

      -- Up to p_max tickets of every workspace with a warning or breach owed at p_now.
      CREATE FUNCTION crm_sla_due_tickets(p_now timestamptz, p_max integer)
        RETURNS TABLE (workspace_id uuid, ticket_id uuid)
        LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
        AS $$
        BEGIN
          PERFORM set_config('crm.sla_sweep', 'on', true);
          RETURN QUERY
            SELECT t.workspace_id, t.id FROM tickets t
            WHERE t.first_response_at IS NULL AND t.first_response_breached_at IS NULL AND t.deleted_at IS NULL AND t.status IN ('NEW', 'OPEN')
              AND t.first_response_warn_at <= p_now
              AND (t.first_response_warned_at IS NULL OR t.first_response_due_at <= p_now)
            UNION
            SELECT t.workspace_id, t.id FROM tickets t
            WHERE t.resolved_at IS NULL AND t.resolution_breached_at IS NULL AND t.deleted_at IS NULL AND t.status IN ('NEW', 'OPEN')
              AND t.resolution_warn_at <= p_now
              AND (t.resolution_warned_at IS NULL OR t.resolution_due_at <= p_now)
            LIMIT p_max;
          PERFORM set_config('crm.sla_sweep', '', true);
        END $$;
      REVOKE ALL ON FUNCTION crm_sla_due_tickets(timestamptz, integer) FROM PUBLIC;`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`
      DROP FUNCTION crm_sla_due_tickets(timestamptz, integer);
      DROP POLICY sla_sweep_read ON tickets;
      ALTER TABLE memberships DROP COLUMN manager_id;
      ALTER TABLE tickets
        DROP COLUMN first_response_due_at, DROP COLUMN first_response_warn_at,
        DROP COLUMN first_response_warned_at, DROP COLUMN first_response_breached_at,
        DROP COLUMN resolution_due_at, DROP COLUMN resolution_warn_at,
        DROP COLUMN resolution_warned_at, DROP COLUMN resolution_breached_at,
        DROP COLUMN sla_paused_at, DROP COLUMN sla_paused_minutes;
      DROP TABLE sla_policies;
      DROP TABLE business_calendars;`);
  }
}
